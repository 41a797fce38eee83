"""Helpers for the command-line tests: run main() in-process, or `python -m tapegrad` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tapegrad.cli import main

ROOT = Path(__file__).resolve().parents[2]
SEED_X = [8, 10, 6, 3, 7, 9, 13, 1, 0, 11]


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self) -> dict:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys):
    """cli("diff", "x**2", "--at", "x=3") -> Result(code, stdout, stderr), in-process."""

    def run(*argv: str) -> Result:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def run_module(*argv: str, module: str = "tapegrad", cwd: Path | None = None, stdin: str | None = None) -> Result:
    """`python -m tapegrad ARGV...` in a subprocess (the end-to-end path a user takes)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("TAPEGRAD_DEBUG", None)
    done = subprocess.run(
        [sys.executable, "-m", module, *argv], capture_output=True, text=True, cwd=cwd or ROOT, env=env,
        input=stdin, timeout=120,
    )
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def seed_csv(tmp_path: Path) -> Path:
    """The seeds' data: y = 2x - 8 at x = 8, 10, 6, 3, 7, 9, 13, 1, 0, 11."""
    path = tmp_path / "data.csv"
    path.write_text("x,y\n" + "".join(f"{x},{2 * x - 8}\n" for x in SEED_X))
    return path
