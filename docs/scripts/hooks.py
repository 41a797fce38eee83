"""MkDocs hook: the pages' executed code imports this checkout's tapegrad, installed or not."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

ROOT = str(Path(__file__).resolve().parents[2])


def on_config(config: Any, **kwargs: Any) -> Any:
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    os.environ.setdefault("MPLBACKEND", "Agg")  # figures are written to the page, never shown
    return config
