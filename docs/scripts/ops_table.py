"""The supported-functions tables, generated from the rule table when the site is built.

``rows()`` reads every primitive of ``tapegrad.ops.primitives()`` and what it declares;
``markdown()`` renders them. ``tests/test_docs.py`` renders the table and checks it against the
rule table, so the page can never drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import tapegrad as tg  # noqa: E402
from tapegrad import _primitive, _tensor, ops  # noqa: E402

PerArgument = getattr(_primitive, "PerArgument", ())  # per-argument rules (elementwise declarators)

YES, NO = "✓", "—"
COLUMNS = ("op", "NumPy", "reverse", "forward", "second order", "batched", "complex")


def _family(prim: Any) -> str:
    for family in ops.FAMILIES:
        if any(value is prim for value in vars(family).values()):
            return family.__name__.rsplit(".", 1)[-1]
    return "other"


def _numpy_names(prim: Any) -> list[str]:
    """NumPy entry points that run this primitive on a tensor (ufuncs, and functions that are it)."""
    names = [f"np.{u.__name__}" for u, p in _tensor.UFUNCS.items() if p is prim]
    names += [f"np.{f.__name__}" for f, p in _tensor.FUNCTIONS.items() if p is prim and f.__module__ == "numpy"]
    return sorted(set(names))


def _batched(prim: Any) -> str:
    """How a batched walk (a Jacobian in one walk) runs the op: by a rule for the whole stack,
    by broadcasting its elementwise partials, or once per row (correct, slower)."""
    if not prim.differentiable:
        return NO
    if hasattr(prim, "batch"):  # one batching rule per op
        rule = prim.batch
        if rule is None:
            return "per row"
        return "elementwise" if getattr(rule, "__name__", "") == "broadcasting" else "declared"
    if getattr(prim, "batched_vjps", None) or getattr(prim, "batched_jvps", None) or getattr(
        prim, "batched_joint_jvp", None
    ):
        return "declared"
    return "elementwise" if isinstance(prim.vjps, PerArgument) else "per row"


def declares_complex() -> bool:
    """Whether the rule table says, per primitive, which ops take complex inputs (``prim.complex``).

    Until it does, the table has no complex column (rather than one that could be wrong)."""
    return any(getattr(p, "complex", None) is not None for p in ops.primitives())


def columns() -> tuple[str, ...]:
    return COLUMNS if declares_complex() else COLUMNS[:-1]


def _complex(prim: Any) -> str:
    return YES if getattr(prim, "complex", None) else NO


def rows() -> list[dict[str, str]]:
    """One row per primitive: what the rule table declares for it."""
    out = []
    for prim in sorted(ops.primitives(), key=lambda p: (_family(p), p.name)):
        differentiable = prim.differentiable
        forward = prim.jvps is not None or prim.joint_jvp is not None
        exported = getattr(tg, prim.name, None)  # the primitive itself, or the tg function that calls it
        public = exported is prim or (exported is not None and not isinstance(exported, _primitive.Primitive))
        out.append({
            "family": _family(prim),
            "op": f"`tg.{prim.name}`" if public else f"`{prim.name}`",  # not public: used by the tg functions
            "NumPy": ", ".join(f"`{n}`" for n in _numpy_names(prim)) or NO,
            "reverse": YES if differentiable else NO,
            "forward": YES if forward else NO,
            # every rule is written in tapegrad's own ops, so a differentiable rule differentiates again
            "second order": YES if differentiable else NO,
            "batched": _batched(prim),
            "complex": _complex(prim),
        })
    return out


def numpy_functions() -> list[str]:
    """NumPy functions (not ufuncs) that a tensor accepts."""
    def qualified(func: Any) -> str:
        module = (getattr(func, "__module__", None) or "numpy").replace("numpy", "np", 1)
        return f"{module}.{func.__name__}"

    return sorted({qualified(func) for func in _tensor.FUNCTIONS})


def markdown() -> str:
    table = rows()
    lines = [
        f"{len(table)} primitives, {sum(r['reverse'] == YES for r in table)} differentiable.",
        "",
        "| family | " + " | ".join(columns()) + " |",
        "|---" * (len(columns()) + 1) + "|",
    ]
    for r in table:
        lines.append(f"| {r['family']} | " + " | ".join(r[c] for c in columns()) + " |")
    lines += [
        "",
        "## Other NumPy functions on tensors",
        "",
        "These NumPy functions, called on a tensor, run tapegrad code built from the primitives above, "
        "so they are recorded and differentiated like them:",
        "",
        ", ".join(f"`{name}`" for name in numpy_functions()),
        "",
        "Any other NumPy function called on a tensor raises a `TypeError` naming it.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    np.set_printoptions(linewidth=200)
    print(markdown())
