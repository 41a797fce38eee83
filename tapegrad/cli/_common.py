"""Helpers the verbs share: argument parsing of ``name=value`` lists, number formatting, JSON output."""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np

from tapegrad.cli.expression import CONSTANTS, ExpressionError, parse_number


class UsageError(Exception):
    """Bad input on the command line: printed as one line, exit code 2."""


def parse_assignments(items: list[str] | None, option: str) -> dict[str, float]:
    """``["x1=2", "x2=pi/2"]`` -> ``{"x1": 2.0, "x2": 1.5707...}`` (values are constant expressions)."""
    out: dict[str, float] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"{option} expects NAME=VALUE pairs such as x=2, got {item!r}")
        if not name.isidentifier() or name.startswith("__"):
            raise UsageError(f"{option}: {name!r} is not a valid variable name")
        if name in CONSTANTS:
            raise UsageError(f"{option}: {name!r} is a constant ({CONSTANTS[name]:.6g}) and cannot be set")
        if name in out:
            raise UsageError(f"{option}: {name} is given twice")
        try:
            out[name] = parse_number(value, what=f"value of {name}")
        except ExpressionError as err:
            raise UsageError(f"{option} {item!r}: {err}") from None
    return out


def check_unused(point: dict[str, float], variables: tuple[str, ...] | list[str], option: str = "--at") -> None:
    """A value for a name the expression does not have is a mistake (a typo, a stale option): say which."""
    unused = [n for n in point if n not in variables]
    if unused:
        has = f"its variables are {', '.join(variables)}" if variables else "it has no variables"
        raise UsageError(
            f"{option} {', '.join(unused)}: not in the expression ({has}); remove "
            + ("it" if len(unused) == 1 else "them")
        )


def plural(n: int, word: str, many: str | None = None) -> str:
    """``plural(1, "row")`` -> "1 row"; ``plural(3, "row")`` -> "3 rows"."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def note(prog: str, text: str) -> None:
    """A one-line note on stderr (never a Python warning)."""
    print(f"{prog}: note: {text}", file=sys.stderr)


def fmt(value: Any, digits: int = 10) -> str:
    """A number for people: 48, 12, 0.5, 1.234567891e-07, nan."""
    v = float(value)
    if v == 0:
        return "0"
    return f"{v:.{digits}g}"


def fmt_seconds(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def jsonable(value: Any) -> Any:
    """NumPy values and tensors as JSON: nested lists of floats, non-finite numbers as null."""
    if hasattr(value, "_value"):
        value = value._value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (np.ndarray, np.generic)):
        a = np.asarray(value)
        if a.ndim:
            return [jsonable(v) for v in a]
        value = a[()]
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.integer):
            return int(value)
        value = float(value)
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def print_json(obj: Any) -> None:
    json.dump(jsonable(obj), sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def table(rows: list[list[str]], right: set[int] | None = None, indent: str = "") -> str:
    """Columns padded to their widest cell; columns in ``right`` are right-aligned."""
    right = right or set()
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))]
        lines.append((indent + "  ".join(cells)).rstrip())
    return "\n".join(lines)


def require_module(name: str, extra: str, purpose: str, alternative: str = "") -> Any:
    """Import an optional dependency or raise UsageError saying how to install it."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        raise UsageError(
            f'{purpose} needs {name}, which is not installed: pip install "tapegrad[{extra}]"  (or pip install {name})'
            + (f"; {alternative}" if alternative else "")
        ) from None
