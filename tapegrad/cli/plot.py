"""``tapegrad plot``: a function and its derivatives up to some order, in one figure."""

from __future__ import annotations

import argparse
import math
from typing import Any

import numpy as np

import tapegrad as tg
from tapegrad.cli._common import UsageError, parse_assignments, print_json, require_module
from tapegrad.cli.expression import Expression, ExpressionError, parse_expression, parse_number

MAX_POINTS = 100_000
MAX_ORDER = 10
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}

EXAMPLES = """\
examples:
  tapegrad plot "sin(x)**2" --range -6.283:6.283 --order 3 -o derivatives.png
  tapegrad plot "tanh(x)" --range=-2*pi:2*pi --order 4 -o tanh.svg
  tapegrad plot "exp(-a*x**2)" --at a=0.5 --range -3:3 --order 2 -o gauss.png
  tapegrad plot "sin(x)**2" --range 0:pi --points 5 --json        (the numbers, no figure)

Derivatives come from one Taylor-mode pass (tg.TaylorAccumulator) over a tg.linspace grid: the
function is elementwise, so each point gets its own derivatives. Needs matplotlib: pip install tapegrad[plot].
"""


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "plot",
        help="plot a function and its derivatives",
        description="Plot EXPR as a function of one variable together with its derivatives up to --order.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("expression", metavar="EXPR", help="the function, e.g. \"sin(x)**2\"")
    p.add_argument("--var", help="the variable on the horizontal axis (default: the expression's only variable)")
    p.add_argument(
        "--range", dest="range_", metavar="A:B", default="-2*pi:2*pi",
        help="the interval, e.g. -6.283:6.283 or -2*pi:2*pi (default -2*pi:2*pi)",
    )
    p.add_argument("--order", type=int, default=3, help="highest derivative to plot (default 3)")
    p.add_argument("--points", type=int, default=200, help="grid points (default 200)")
    p.add_argument("--at", nargs="+", metavar="NAME=VALUE", default=[], help="values of the other variables")
    p.add_argument("-o", "--output", metavar="FILE", help="image file: .png, .svg, .pdf (default derivatives.png)")
    p.add_argument("--json", action="store_true", help="print the grid and the curves as JSON (no figure unless -o)")
    return p


def derivatives_on_grid(expr: Expression, var: str, grid: np.ndarray, order: int, others: dict[str, float]) -> list:
    """[f, f', f'', ...] on the grid, by one Taylor-mode pass (tg.TaylorAccumulator) of the given order.

    The function is elementwise, so the series along a direction of ones is each point's Taylor
    series: all ``order`` derivatives at about order**2 times the cost of f, where nested tapes
    grow exponentially with the order.
    """
    x = tg.linspace(float(grid[0]), float(grid[-1]), grid.size, dtype=tg.float64)
    env: dict[str, Any] = {name: tg.constant(v, dtype=tg.float64) for name, v in others.items()}
    env[var] = x
    if order == 0:
        return [np.asarray((expr(env) + tg.zeros_like(x))._value, dtype=np.float64)]
    with tg.TaylorAccumulator(x, [np.ones(grid.size)], order=order) as acc:
        value = expr(env) + tg.zeros_like(x)  # a constant expression still gives one value per point
    coefficients = acc.series(value)
    curves = [value] + [c * math.factorial(k) for k, c in enumerate(coefficients, start=1)]
    return [np.asarray(c._value, dtype=np.float64) for c in curves]


def label(k: int) -> str:
    if k == 0:
        return "f"
    return f"{ORDINALS[k]} derivative" if k in ORDINALS else f"derivative of order {k}"


def run(args: argparse.Namespace) -> int:
    expr = parse_expression(args.expression)
    others = parse_assignments(args.at, "--at")
    var = args.var
    if var is None:
        free = [v for v in expr.variables if v not in others]
        if len(free) != 1:
            raise UsageError(
                "say which variable goes on the horizontal axis with --var"
                + (f" (the expression has {', '.join(free)})" if free else "")
            )
        var = free[0]
    if not var.isidentifier():
        raise UsageError(f"--var {var!r} is not a variable name")
    others.pop(var, None)
    missing = [v for v in expr.variables if v != var and v not in others]
    if missing:
        raise UsageError(f"no value for {', '.join(missing)}: give --at {' '.join(f'{m}=...' for m in missing)}")
    lo_text, sep, hi_text = args.range_.partition(":")
    if not sep:
        raise UsageError(f"--range expects A:B such as -6.283:6.283, got {args.range_!r}")
    try:
        lo, hi = parse_number(lo_text, "range start"), parse_number(hi_text, "range end")
    except ExpressionError as err:
        raise UsageError(f"--range: {err}") from None
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo >= hi:
        raise UsageError(f"--range needs finite A < B, got {lo:g}:{hi:g}")
    if not 0 <= args.order <= MAX_ORDER:
        raise UsageError(f"--order must be between 0 and {MAX_ORDER}, got {args.order}")
    if not 2 <= args.points <= MAX_POINTS:
        raise UsageError(f"--points must be between 2 and {MAX_POINTS}, got {args.points}")
    output = args.output if args.output or args.json else "derivatives.png"
    if output:
        suffix = output.rsplit(".", 1)[-1].lower() if "." in output else ""
        if suffix not in ("png", "svg", "pdf", "jpg", "jpeg"):
            raise UsageError(f"-o {output}: the file name must end in .png, .svg, .pdf or .jpg")
        require_module("matplotlib", "plot", "tapegrad plot")

    grid = np.linspace(lo, hi, args.points)
    with np.errstate(all="ignore"):
        curves = derivatives_on_grid(expr, var, grid, args.order, others)
    if output:
        _draw(expr, var, grid, curves, others, output)
    if args.json:
        print_json({
            "expression": expr.text, "var": var, "at": others, "order": args.order, "output": output,
            "x": grid, "curves": {label(k): c for k, c in enumerate(curves)},
        })
    else:
        print(f"wrote {output}: f({var}) = {expr.text} and {args.order} derivative(s) on [{lo:g}, {hi:g}]")
    return 0


def _draw(expr: Expression, var: str, grid: np.ndarray, curves: list, others: dict, output: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for k, c in enumerate(curves):
        ax.plot(grid, c, label=label(k), linewidth=2.0 if k == 0 else 1.4)
    title = f"f({var}) = {expr.text}"
    if others:
        title += "   (" + ", ".join(f"{n} = {v:g}" for n, v in others.items()) + ")"
    ax.set_title(title)
    ax.set_xlabel(var)
    ax.axhline(0, color="#999999", linewidth=0.6)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=min(len(curves), 4), frameon=False)
    fig.tight_layout()
    fig.savefig(output)
