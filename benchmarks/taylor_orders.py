"""Cost of every derivative up to order K: Taylor mode against nested first-order differentiation.

    python benchmarks/taylor_orders.py [--max-order 16] [--points 1000] [--limit 2.0]

Table 1: d^1..d^K of f(x) = exp(sin(x) / (1 + x**2)) * tanh(x) at ``--points`` points (elementwise),
K = 1..max-order, by one Taylor-mode pass (``tg.derivatives``) and by K nested GradientTapes (what
``tapegrad plot`` did before). Table 2: every mixed partial up to order K of
f(x, y) = exp(sin(x*y) / (1 + x**2)) * tanh(y) at (1, 2) (``tapegrad diff --order K``), by Taylor
passes along lattice directions (``tg.derivative_tensors``) and by nested reverse mode (the CLI's
``--method reverse``). Nested runs stop once one call takes longer than ``--limit`` seconds.
Times are the best of a few calls in one process; the ratios are what to read. Every pair of
results is checked to agree (1e-8 relative) before it is timed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any, Callable

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tapegrad as tg  # noqa: E402
from tapegrad.cli.diff import reverse_mode  # noqa: E402


def f1(x: Any) -> Any:
    return tg.exp(tg.sin(x) / (1 + x**2)) * tg.tanh(x)


def f2(v: Any) -> Any:
    x, y = v[0], v[1]
    return tg.exp(tg.sin(x * y) / (1 + x**2)) * tg.tanh(y)


def nested_tapes(f: Callable[[Any], Any], x: Any, order: int) -> list:
    """d^1..d^K by K nested GradientTapes (the gradient of each level is differentiated again)."""
    tapes = [tg.GradientTape() for _ in range(order)]
    for tape in tapes:
        tape.__enter__()
    tapes[-1].watch(x)
    current = f(x)
    out = []
    try:
        for tape in reversed(tapes):
            tape.__exit__(None, None, None)
            current = tape.gradient(current, x)
            out.append(current)
    finally:
        for tape in tapes:
            tape.__exit__(None, None, None)
    return out


def best_time(fn: Callable[[], Any], budget: float = 0.5, max_calls: int = 20) -> float:
    """The best of up to ``max_calls`` calls, stopping after ``budget`` seconds (at least 2 calls)."""
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < max_calls and (len(times) < 2 or time.perf_counter() - start < budget):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def agree(a: list, b: list, what: str) -> None:
    for k, (u, v) in enumerate(zip(a, b), start=1):
        u, v = np.asarray(u), np.asarray(v)
        scale = max(1.0, float(np.max(np.abs(v))))
        if not np.allclose(u, v, rtol=1e-8, atol=1e-8 * scale):
            raise AssertionError(f"{what}: order {k} differs by {np.max(np.abs(u - v)):.3g}")


def growth_exponent(orders: list[int], times: list[float]) -> float:
    """Least-squares slope of log(time) against log(K)."""
    return float(np.polyfit(np.log(orders), np.log(times), 1)[0])


def table_elementwise(max_order: int, points: int, limit: float) -> list[str]:
    x = tg.constant(np.linspace(-3, 3, points), dtype=tg.float64)
    rows = ["| K | Taylor (ms) | Taylor / K=1 | K² | nested tapes (ms) | nested / Taylor |", "|---" * 6 + "|"]
    nested_on = True
    taylor_times, orders = [], []
    for k in range(1, max_order + 1):
        taylor = tg.derivatives(f1, x, order=k)
        t_taylor = best_time(lambda k=k: tg.derivatives(f1, x, order=k))
        taylor_times.append(t_taylor)
        orders.append(k)
        nested_text, ratio_text = "—", "—"
        if nested_on:
            t0 = time.perf_counter()
            nested = nested_tapes(f1, x, k)
            first = time.perf_counter() - t0
            agree([d.numpy() for d in taylor], [d.numpy() for d in nested], f"f1 order {k}")
            t_nested = first if first > limit / 4 else min(first, best_time(lambda k=k: nested_tapes(f1, x, k)))
            nested_text, ratio_text = f"{t_nested * 1e3:.3g}", f"{t_nested / t_taylor:.3g}"
            nested_on = first < limit
        rows.append(f"| {k} | {t_taylor * 1e3:.3g} | {t_taylor / taylor_times[0]:.3g} | {k * k} | {nested_text} "
                    f"| {ratio_text} |")
    tail = [k for k in orders if k >= 4]
    slope = growth_exponent(tail, taylor_times[len(orders) - len(tail):]) if len(tail) >= 2 else float("nan")
    return rows + ["", f"Taylor mode's time grows as K^{slope:.2f} over K = 4..{max_order} (K^2 is the "
                       "cost of the recurrences; at small K the per-op Python overhead dominates)."]


def table_mixed(max_order: int, limit: float) -> list[str]:
    point = tg.constant(np.array([1.0, 2.0]), dtype=tg.float64)
    rows = ["| order | Taylor passes (ms) | nested reverse (ms) | reverse / Taylor |", "|---|---|---|---|"]
    reverse_on = True
    for k in range(1, max_order + 1):
        taylor = tg.derivative_tensors(f2, point, order=k)
        t_taylor = best_time(lambda k=k: tg.derivative_tensors(f2, point, order=k))
        rev_text, ratio_text = "—", "—"
        if reverse_on:
            t0 = time.perf_counter()
            reverse = reverse_mode(f2, point.numpy(), k)
            first = time.perf_counter() - t0
            agree([t.numpy() for t in taylor[1:]], reverse[1:], f"f2 order {k}")
            rev_text, ratio_text = f"{first * 1e3:.3g}", f"{first / t_taylor:.3g}"
            reverse_on = first < limit
        rows.append(f"| {k} | {t_taylor * 1e3:.3g} | {rev_text} | {ratio_text} |")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-order", type=int, default=16)
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--limit", type=float, default=2.0, help="stop nested runs once one call takes this long (s)")
    parser.add_argument("--mixed-order", type=int, default=8, help="highest order of table 2")
    args = parser.parse_args(argv)
    with np.errstate(all="ignore"):
        lines = [f"## d^1..d^K of exp(sin(x)/(1+x^2))*tanh(x) at {args.points} points", ""]
        lines += table_elementwise(args.max_order, args.points, args.limit)
        lines += ["", "## every mixed partial up to order K of exp(sin(x*y)/(1+x^2))*tanh(y) at (1, 2)", ""]
        lines += table_mixed(args.mixed_order, args.limit)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
