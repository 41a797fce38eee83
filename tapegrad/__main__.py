"""``python -m tapegrad``: the tapegrad command line (see ``tapegrad --help``)."""

import sys

from tapegrad.cli import main

if __name__ == "__main__":
    sys.exit(main())
