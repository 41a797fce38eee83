"""Four ways to differentiate f(x1, x2, x3) = 3 * (x1**2 + x2 * x3) at (2, 3, 4).

The running example of "Automatic Differentiation Explained": the value is 48 and the exact
gradient (6 x1, 3 x3, 3 x2) = (12, 12, 9). This script computes it

    1. manually      -- the derivative worked out by hand and typed in,
    2. symbolically  -- with SymPy (optional: pip install sympy),
    3. numerically   -- central finite differences, tg.numerical_gradient,
    4. automatically -- tapegrad in reverse mode (tg.grad) and forward mode (tg.jvp),

and prints them side by side with their errors against the exact gradient.

Seed 001 (../shared/seeds/001_*.txt) has no code block (its gists were not scraped): this is
written from its prose, lines 15-128.

    python examples/four_ways_to_differentiate.py
"""

from __future__ import annotations

import numpy as np

import tapegrad as tg

POINT = (2.0, 3.0, 4.0)
EXACT = np.array([12.0, 12.0, 9.0])


def f(x1, x2, x3):
    """Works on Python floats, NumPy values, tapegrad tensors and SymPy symbols alike."""
    return 3 * (x1**2 + x2 * x3)


def manual(x1: float, x2: float, x3: float) -> list[float]:
    """df/dx1 = 6 x1, df/dx2 = 3 x3, df/dx3 = 3 x2 (constant factor, power and linearity rules)."""
    return [6 * x1, 3 * x3, 3 * x2]


def symbolic(x1: float, x2: float, x3: float) -> tuple[list[float], list[str]] | None:
    """SymPy differentiates the expression tree; None when SymPy is not installed."""
    try:
        import sympy
    except ImportError:
        return None
    s1, s2, s3 = sympy.symbols("x1 x2 x3")
    expression = f(s1, s2, s3)
    derivatives = [sympy.diff(expression, s) for s in (s1, s2, s3)]
    at = {s1: x1, s2: x2, s3: x3}
    return [float(d.subs(at)) for d in derivatives], [str(d) for d in derivatives]


def finite_differences(x1: float, x2: float, x3: float) -> list[float]:
    """Central differences in float64: two evaluations of f per input, an approximation."""
    return [float(g) for g in tg.numerical_gradient(f, x1, x2, x3)]


def reverse_mode(x1: float, x2: float, x3: float) -> list[float]:
    """One forward pass recorded on a tape, one backward pass for all three inputs."""
    grads = tg.grad(f, argnums=(0, 1, 2))(np.float64(x1), np.float64(x2), np.float64(x3))
    return [float(g) for g in grads]


def forward_mode(x1: float, x2: float, x3: float) -> list[float]:
    """One forward pass with dual numbers per input direction e_i."""
    primals = (np.float64(x1), np.float64(x2), np.float64(x3))
    out = []
    for i in range(3):
        direction = tuple(np.float64(1.0 if j == i else 0.0) for j in range(3))
        _, tangent = tg.jvp(f, primals, direction)
        out.append(float(tangent))
    return out


def main() -> None:
    value = f(*(np.float64(v) for v in POINT))
    print(f"f(x1, x2, x3) = 3 * (x1**2 + x2 * x3) at (x1, x2, x3) = {POINT}: f = {value:g}")
    print(f"exact gradient: {tuple(float(v) for v in EXACT)}")
    print()
    rows: list[tuple[str, list[float] | None]] = [("manual", manual(*POINT))]
    sym = symbolic(*POINT)
    rows.append(("symbolic (SymPy)", None if sym is None else sym[0]))
    rows.append(("finite differences", finite_differences(*POINT)))
    rows.append(("automatic, reverse mode", reverse_mode(*POINT)))
    rows.append(("automatic, forward mode", forward_mode(*POINT)))

    print(f"{'method':<26}{'df/dx1':>22}{'df/dx2':>22}{'df/dx3':>22}{'max error':>12}")
    for name, grad in rows:
        if grad is None:
            print(f"{name:<26}  (SymPy is not installed: pip install sympy to see this row)")
            continue
        error = float(np.max(np.abs(np.asarray(grad) - EXACT)))
        cells = "".join(f"{g:>22.17g}" for g in grad)
        print(f"{name:<26}{cells}{error:>12.1e}")
    if sym is not None:
        print()
        print("SymPy's derivatives: " + ", ".join(f"df/dx{i + 1} = {d}" for i, d in enumerate(sym[1])))
    print()
    print("Manual, symbolic and automatic differentiation are exact; finite differences approximate")
    print("(see examples/finite_difference_error.py for how their error depends on the step).")


if __name__ == "__main__":
    main()
