"""Jacobians through einsum, tensordot and linalg.solve: one batched walk against one walk per row.

    python benchmarks/op_jacobians.py [--n 200] [--per-row]

For ``tanh(op(W, x))`` with op in einsum("ij,j->i"), tensordot(axes=1) and solve, both modes of
``tg.jacobian`` push the whole stack of cotangents (tangents) through the op's batched rules in
one walk. ``--per-row`` also times the same Jacobians with those rules taken away, which is the
per-row fallback every op had before it declared them. Each Jacobian is checked against its
closed form first: diag(1 - tanh^2) W, and diag(1 - tanh^2) A^-1 for solve. One thread.
"""

from __future__ import annotations

import argparse
import os
import sys
import timeit
from contextlib import contextmanager
from typing import Any, Callable, Iterator

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from harness import pin_environment  # noqa: E402

pin_environment()

import numpy as np  # noqa: E402

import tapegrad as tg  # noqa: E402
from tapegrad import ops  # noqa: E402


@contextmanager
def per_row(name: str) -> Iterator[None]:
    """The primitive ``name`` without its batching rule, so the walks fall back to one row at a time."""
    prim = next(p for p in ops.primitives() if p.name == name)
    saved, prim.batch = prim.batch, None
    try:
        yield
    finally:
        prim.batch = saved


def cases(n: int) -> tuple[tg.Tensor, list[tuple[str, str, Callable[[Any], Any], np.ndarray]]]:
    """The point x, and per op: a label, the primitive's name, the function and its Jacobian at x."""
    rng = np.random.default_rng(0)
    w = rng.normal(size=(n, n)) / np.sqrt(n)
    a = w + 3 * np.eye(n)
    x0 = rng.normal(size=n)
    W, A = tg.constant(w), tg.constant(a)
    t = np.tanh(w @ x0)
    s = np.tanh(np.linalg.solve(a, x0))
    by_w = (1 - t * t)[:, None] * w
    return tg.constant(x0), [
        ("einsum", "einsum", lambda v: tg.tanh(tg.einsum("ij,j->i", W, v)), by_w),
        ("tensordot", "tensordot", lambda v: tg.tanh(tg.tensordot(W, v, 1)), by_w),
        ("solve", "linalg.solve", lambda v: tg.tanh(tg.linalg.solve(A, v)), (1 - s * s)[:, None] * np.linalg.inv(a)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200, help="size of x (the Jacobian is n x n)")
    parser.add_argument("--per-row", action="store_true", help="also time the per-row fallback")
    args = parser.parse_args()
    x, rows_of = cases(args.n)
    print(f"ms per {args.n}x{args.n} Jacobian of tanh(op(W, x)) (one walk: min of 5 repeats; per row: of 3)")
    for label, prim_name, f, expected in rows_of:
        for mode in ("reverse", "forward"):
            jac = tg.jacobian(f, mode=mode)
            np.testing.assert_allclose(jac(x).numpy(), expected, rtol=1e-10, atol=1e-12)
            batched = min(timeit.repeat(lambda jac=jac: jac(x), number=3, repeat=5)) / 3
            line = f"{label:10s} {mode:8s} one walk {batched * 1e3:8.2f}"
            if args.per_row:
                with per_row(prim_name):
                    np.testing.assert_allclose(jac(x).numpy(), expected, rtol=1e-10, atol=1e-12)
                    rows = min(timeit.repeat(lambda jac=jac: jac(x), number=1, repeat=3))
                line += f"   per row {rows * 1e3:8.2f}"
            print(line)


if __name__ == "__main__":
    main()
