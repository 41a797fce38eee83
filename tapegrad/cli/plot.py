"""``tapegrad plot``: a function and its derivatives up to some order, in one figure."""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

import tapegrad as tg
from tapegrad.cli._common import UsageError, check_unused, note, parse_assignments, plural, print_json, require_module
from tapegrad.cli.expression import Expression, ExpressionError, locate_nonfinite, parse_expression, parse_number

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
function is elementwise, so each point gets its own derivatives. Needs matplotlib: pip install "tapegrad[plot]".
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
    p.add_argument(
        "--ylim", metavar="A:B",
        help="the vertical axis range, e.g. -5:5 (default: fitted to the curves, clipped near a singularity)",
    )
    p.add_argument(
        "--yscale", choices=("auto", "linear", "symlog"), default="auto",
        help="vertical scale: linear, symlog (logarithmic in both directions, linear near 0), or auto (default: "
             "linear, with the axis clipped when a curve shoots off, as 1/x does near 0)",
    )
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
    check_unused(others, [v for v in expr.variables if v != var])
    lo, hi = _interval(args.range_, "--range", "-6.283:6.283")
    ylim = _interval(args.ylim, "--ylim", "-5:5") if args.ylim is not None else None
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
    axis = y_axis(curves, ylim, args.yscale)
    if output:
        _draw(expr, var, grid, curves, others, output, axis)
    if args.json:
        print_json({
            "expression": expr.text, "var": var, "at": others, "order": args.order, "output": output,
            "x": grid, "curves": {label(k): c for k, c in enumerate(curves)},
            "y_axis": {"limits": axis.limits, "scale": axis.scale, "clipped": axis.clipped},
        })
    else:
        derivs = plural(args.order, "derivative")
        print(f"wrote {output}: f({var}) = {expr.text} and {derivs} on [{lo:g}, {hi:g}]")
    sys.stdout.flush()
    if axis.clipped and output:
        far = max(float(np.nanmax(np.abs(np.where(np.isfinite(c), c, np.nan)))) for c in curves)
        note("tapegrad plot", f"the y axis is clipped to [{axis.limits[0]:.4g}, {axis.limits[1]:.4g}] (the curves "
                              f"reach {far:.3g}); use --ylim A:B or --yscale symlog to see more")
    problem = _nonfinite_note(expr, var, grid, curves, others)
    if problem:
        note("tapegrad plot", problem)
    return 0


def _interval(text: str, option: str, example: str) -> tuple[float, float]:
    """``"A:B"`` (constant expressions) -> (A, B) with finite A < B."""
    lo_text, sep, hi_text = text.partition(":")
    if not sep:
        raise UsageError(f"{option} expects A:B such as {example}, got {text!r}")
    try:
        lo, hi = parse_number(lo_text, f"{option[2:]} start"), parse_number(hi_text, f"{option[2:]} end")
    except ExpressionError as err:
        raise UsageError(f"{option}: {err}") from None
    if lo >= hi:
        raise UsageError(f"{option} needs A < B, got {lo:g}:{hi:g}")
    return lo, hi


@dataclass
class YAxis:
    """How the vertical axis is drawn: limits (None: matplotlib's choice), scale, and whether clipped."""

    limits: tuple[float, float] | None
    scale: str
    clipped: bool = False
    linthresh: float = 1.0


def y_axis(curves: list[np.ndarray], ylim: tuple[float, float] | None, yscale: str) -> YAxis:
    """The vertical axis for the curves: --ylim if given; symlog if asked; else linear, clipped to where
    the bulk of each curve lies when some curve shoots off (a singularity such as 1/x at 0)."""
    finite = [c[np.isfinite(c)] for c in curves]
    values = np.concatenate(finite) if finite else np.zeros(0)
    if yscale == "symlog":
        nonzero = np.abs(values[values != 0])
        linthresh = float(np.percentile(nonzero, 10)) if nonzero.size else 1.0
        return YAxis(ylim, "symlog", linthresh=max(linthresh, 1e-300))
    if ylim is not None or yscale == "linear" or values.size == 0:
        return YAxis(ylim, "linear")
    fences, singular = [], False
    for c in curves:  # Tukey's fences of each curve: where its bulk lies, whatever a singularity does
        v = c[np.isfinite(c)]
        if not v.size:
            continue
        q1, q3 = np.percentile(v, [25, 75])
        lo, hi = max(q1 - 1.5 * (q3 - q1), v.min()), min(q3 + 1.5 * (q3 - q1), v.max())
        fences.append((lo, hi))
        span = hi - lo if hi > lo else max(abs(hi), 1.0)
        # a pole: the curve shoots far past its bulk at a point inside the range (growth toward an end,
        # as exp(x) shows, is drawn as it is)
        peak = int(np.nanargmax(np.abs(np.where(np.isfinite(c), c - np.median(v), np.nan))))
        singular |= bool(v.max() - v.min() > 4 * span and 0 < peak < c.size - 1)
    if not singular:
        return YAxis(None, "linear")
    lo, hi = float(min(f[0] for f in fences)), float(max(f[1] for f in fences))
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    return YAxis((lo - 0.25 * span, hi + 0.25 * span), "linear", clipped=True)


def _nonfinite_note(expr: Expression, var: str, grid: np.ndarray, curves: list, others: dict) -> str | None:
    """Say where the function (or a derivative) is nan or inf on the grid, in one line."""
    for k, c in enumerate(curves):
        bad = ~np.isfinite(c)
        if bad.any():
            env = {**others, var: grid}
            where = locate_nonfinite(expr, env, derivative=k > 0)
            if where and f" {var} = " not in where:  # say at which point of the grid
                where = locate_nonfinite(expr, env, derivative=k > 0,
                                         label=lambda i: f"at {var} = {grid[i[0]]:.6g}" if i else "")
            what = "f" if k == 0 else label(k)
            text = f"{what} is not finite at {int(bad.sum())} of {plural(c.size, 'point')}"
            return text + (f": {where}" if where else "")
    return None


def _break_at_jumps(x: np.ndarray, y: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Lift the pen where a curve jumps through a pole (1/x at 0, tan at pi/2), so that no vertical line
    is drawn there: a step larger than the axis, reaching outside it, against the slope on either side."""
    d = np.diff(y)
    outside = (y < lo) | (y > hi)
    breaks = []
    for i in np.flatnonzero((np.abs(d) > hi - lo) & (outside[:-1] | outside[1:])):
        before = d[i - 1] if i > 0 else np.nan
        after = d[i + 1] if i + 1 < d.size else np.nan
        if np.sign(before) == -np.sign(d[i]) or np.sign(after) == -np.sign(d[i]):
            breaks.append(i)
    if breaks:
        at = np.array(breaks)
        x = np.insert(x, at + 1, (x[at] + x[at + 1]) / 2)
        y = np.insert(y, at + 1, np.nan)
    return x, y


def _draw(expr: Expression, var: str, grid: np.ndarray, curves: list, others: dict, output: str,
          axis: YAxis | None = None) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    axis = axis or YAxis(None, "linear")
    fig = Figure(figsize=(8, 5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for k, c in enumerate(curves):
        x = grid
        if axis.limits is not None and axis.scale == "linear":
            x, c = _break_at_jumps(grid, c, *axis.limits)
        ax.plot(x, c, label=label(k), linewidth=2.0 if k == 0 else 1.4)
    if axis.scale == "symlog":
        ax.set_yscale("symlog", linthresh=axis.linthresh)
    if axis.limits is not None:
        ax.set_ylim(*axis.limits)
    ax.set_ylabel(f"f({var})" if len(curves) == 1 else f"f({var}) and its derivatives"
                  + (" (clipped)" if axis.clipped else ""))
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
    return ax
