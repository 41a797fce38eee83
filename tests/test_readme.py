"""The README's example prints exactly what its comments say it prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_readme_example_prints_what_its_comments_say(tmp_path):
    blocks = python_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert blocks, "the README has no python example"
    for source in blocks:
        # every print(...) line ends in a comment holding its exact output
        expected = [line.split("#", 1)[1].strip() for line in source.splitlines() if line.startswith("print(")]
        assert expected and all(expected), f"a print in the README has no '# output' comment:\n{source}"
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        proc = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, env=env, cwd=tmp_path,
                              timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines() == expected
