"""``tapegrad diff``: value, gradient, Hessian (and higher) of an expression at a point, four ways."""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from typing import Any, Callable

import numpy as np

import tapegrad as tg
from tapegrad.checking import numerical_gradient
from tapegrad.cli import _common
from tapegrad.cli._common import UsageError, fmt, fmt_seconds, parse_assignments, print_json, table
from tapegrad.cli.expression import Expression, ExpressionError, locate_nonfinite, parse_expression

METHODS = ("reverse", "forward", "taylor", "numeric", "symbolic")
TITLES = {
    "reverse": "reverse mode",
    "taylor": "Taylor mode",
    "forward": "forward mode",
    "numeric": "central differences",
    "symbolic": "symbolic (SymPy)",
}
MAX_ORDER = 8
MAX_ENTRIES = 4096  # n**order derivative entries at most
SYMPY_HINT = 'SymPy is not installed: pip install "tapegrad[symbolic]"  (or pip install sympy)'

EXAMPLES = """\
examples:
  tapegrad diff "3*(x1**2 + x2*x3)" --at x1=2 x2=3 x3=4
  tapegrad diff "sin(x)**2" --at x=pi/4 --order 3
  tapegrad diff "x*y + exp(x)" --at x=1 y=2 --order 2 --method all
  tapegrad diff "tanh(w*x + b)" --at w=0.5 x=2 b=-1 --json
"""


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "diff",
        help="value and derivatives of an expression at a point",
        description=(
            "Differentiate EXPR at a point (in float64): the value, the gradient, and with --order 2 the "
            "Hessian (higher orders as nested tensors). --method all compares reverse mode, forward mode, "
            "central differences and symbolic differentiation (SymPy), with the time each took."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("expression", metavar="EXPR", help="the expression, e.g. \"3*(x1**2 + x2*x3)\"")
    p.add_argument(
        "--at", nargs="+", metavar="NAME=VALUE", default=[],
        help="the point: one NAME=VALUE per variable (values may be constant expressions such as pi/2)",
    )
    p.add_argument("--order", type=int, default=1, help="highest derivative order (default 1: the gradient)")
    p.add_argument(
        "--method", choices=(*METHODS, "all"), default=None,
        help="how to differentiate (default: the cheapest, reverse mode up to order 2 or 3, Taylor mode "
        "above); 'all' compares them side by side",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    return p


# ---- the four ways ---------------------------------------------------------------------------------
def make_function(expr: Expression, names: list[str]) -> Callable[[Any], Any]:
    """f(x) for a vector x of the variables' values, in tapegrad ops."""

    def f(x: Any) -> Any:
        return expr({name: x[i] for i, name in enumerate(names)})

    return f


def reverse_mode(f: Callable[[Any], Any], point: np.ndarray, order: int) -> list[np.ndarray]:
    """[value, gradient, Hessian, ...] by nested GradientTapes (the outer tapes record the inner gradients)."""
    x = tg.constant(point, dtype=tg.float64)
    tapes = [tg.GradientTape() for _ in range(order)]
    try:
        for tape in tapes:
            tape.__enter__()
        if tapes:
            tapes[-1].watch(x)  # every enclosing tape that records watches it too
        y = f(x)
        results = [y]
        current = y
        for level, tape in enumerate(reversed(tapes)):
            tape.__exit__(None, None, None)
            if level == 0:
                current = tape.gradient(current, x, unconnected_gradients="zero")
            else:
                current = tape.jacobian(current, x, unconnected_gradients="zero")
            results.append(current)
    finally:
        for tape in tapes:
            tape.__exit__(None, None, None)
    return [np.asarray(r._value if isinstance(r, tg.Tensor) else r, dtype=np.float64) for r in results]


def forward_mode(f: Callable[[Any], Any], point: np.ndarray, order: int) -> list[np.ndarray]:
    """[value, gradient, ...] by ForwardAccumulators: one pass per input (nested for higher orders)."""
    n = point.size
    x = tg.constant(point, dtype=tg.float64)
    results = [np.asarray(f(x)._value, dtype=np.float64)]
    basis = np.eye(n)
    for k in range(1, order + 1):
        out = np.zeros((n,) * k)
        for idx in itertools.product(range(n), repeat=k):
            if tuple(sorted(idx)) != idx:  # mixed partials are symmetric: fill from the sorted one
                out[idx] = out[tuple(sorted(idx))]
                continue
            accs = [tg.ForwardAccumulator(x, tg.constant(basis[i], dtype=tg.float64)) for i in idx]
            try:
                for acc in accs:
                    acc.__enter__()
                y = f(x)
            finally:
                for acc in reversed(accs):
                    acc.__exit__(None, None, None)
            t = y
            for acc in reversed(accs):  # the innermost tangent first; outer ones differentiate it again
                t = acc.jvp(t, unconnected_gradients="zero")
            out[idx] = float(np.asarray(t._value))
        results.append(out)
    return results


def taylor_mode(f: Callable[[Any], Any], point: np.ndarray, order: int) -> list[np.ndarray]:
    """[value, gradient, ...] by univariate Taylor passes along lattice directions (tg.derivative_tensors):
    about order**2 work per op and pass, where nested first-order differentiation grows exponentially."""
    x = tg.constant(point, dtype=tg.float64)  # the expression is elementwise: all directions in one pass
    return [np.asarray(r._value, dtype=np.float64) for r in tg.derivative_tensors(f, x, order, vectorized=True)]


def cheapest_method(order: int, n: int) -> str:
    """Reverse mode for values, gradients, Hessians, and third derivatives of 3 or more variables;
    Taylor mode above, where nested reverse mode's cost and memory grow exponentially with the
    order (order 6 of a 3-variable expression: minutes; order 8: out of memory) and Taylor mode's as
    order**2 per direction (benchmarks/taylor_orders.py measures both)."""
    return "taylor" if order >= 4 or (order == 3 and n <= 2) else "reverse"


def numeric_mode(f: Callable[[Any], Any], point: np.ndarray, order: int) -> list[np.ndarray]:
    """[value, gradient, ...] by (nested) central differences, step eps**(1/(order+2)) * max(1, |x|)."""
    h = float(np.finfo(np.float64).eps) ** (1.0 / (order + 2))

    def nested(k: int) -> Callable[[Any], Any]:
        if k == 0:
            return f
        inner = nested(k - 1)
        return lambda x: numerical_gradient(inner, x, eps=h)[0]

    results = [np.asarray(f(tg.constant(point, dtype=tg.float64))._value, dtype=np.float64)]
    for k in range(1, order + 1):
        results.append(np.asarray(nested(k)(point.copy()), dtype=np.float64))
    return results


def symbolic_mode(expr: Expression, names: list[str], point: np.ndarray, order: int) -> tuple[list, list]:
    """([value, gradient, ...], [derivative expressions as text per order]) with SymPy."""
    import sympy

    symbols = {name: sympy.Symbol(name, real=True) for name in names}
    s = expr.to_sympy(symbols)
    subs = {symbols[name]: sympy.Float(float(v), 30) for name, v in zip(names, point)}
    n = len(names)

    def value(e: Any) -> float:
        if e.has(sympy.Derivative):  # SymPy found no closed form (floor, sign, ...): no number to compare
            return float("nan")
        v = complex(sympy.N(e.subs(subs), 17))
        return v.real if abs(v.imag) <= 1e-12 * max(1.0, abs(v.real)) else float("nan")

    values = [np.asarray(value(s))]
    texts: list = [sympy.sstr(s)]
    cache: dict = {(): s}
    for k in range(1, order + 1):
        out = np.zeros((n,) * k)
        text = np.empty((n,) * k, dtype=object)
        for idx in itertools.product(range(n), repeat=k):
            key = tuple(sorted(idx))
            if key not in cache:
                cache[key] = sympy.diff(cache[key[:-1]], symbols[names[key[-1]]])
            d = cache[key]
            out[idx] = value(d)
            text[idx] = sympy.sstr(d)
        values.append(out)
        texts.append(text.tolist())
    return values, texts


def sympy_available() -> bool:
    try:
        import sympy  # noqa: F401
    except ImportError:
        return False
    return True


# ---- the command -----------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    expr = parse_expression(args.expression)
    point_map = parse_assignments(args.at, "--at")
    missing = [v for v in expr.variables if v not in point_map]
    if missing:
        raise UsageError(
            f"no value for {', '.join(missing)}: give --at {' '.join(f'{m}=...' for m in missing)}"
        )
    _common.check_unused(point_map, expr.variables)
    names = list(point_map)
    point = np.array([point_map[n] for n in names], dtype=np.float64)
    order = args.order
    if order < 0 or order > MAX_ORDER:
        raise UsageError(f"--order must be between 0 and {MAX_ORDER}, got {order}")
    if len(names) ** order > MAX_ENTRIES:
        raise UsageError(
            f"--order {order} with {len(names)} variables means {len(names) ** order} derivative entries; "
            f"at most {MAX_ENTRIES} are computed"
        )
    if args.method is None:
        args.method = cheapest_method(order, len(names))
    methods = METHODS if args.method == "all" else (args.method,)
    f = make_function(expr, names)
    results: dict[str, dict[str, Any]] = {}
    with np.errstate(all="ignore"):
        for method in methods:
            start = time.perf_counter()
            if method == "symbolic":
                if not sympy_available():
                    results[method] = {"available": False, "note": SYMPY_HINT}
                    continue
                start = time.perf_counter()
                try:
                    values, texts = symbolic_mode(expr, names, point, order)
                except ExpressionError as err:
                    results[method] = {"available": False, "note": str(err)}
                    continue
                except (RecursionError, ValueError, TypeError, ArithmeticError) as err:
                    results[method] = {"available": False, "note": f"SymPy failed ({type(err).__name__})"}
                    continue
                results[method] = {"values": values, "expressions": texts}
            else:
                fn = {
                    "reverse": reverse_mode, "forward": forward_mode, "taylor": taylor_mode, "numeric": numeric_mode,
                }[method]
                results[method] = {"values": fn(f, point, order)}
            results[method]["seconds"] = time.perf_counter() - start
        if "reverse" not in results and args.method in ("numeric",):
            results["_reference"] = {"values": reverse_mode(f, point, order)}
    reference = (results.get("reverse") or results.get("_reference") or {}).get("values")
    for method, r in results.items():
        if method in ("reverse", "_reference") or "values" not in r or reference is None:
            continue
        with np.errstate(all="ignore"):  # inf - inf is nan: no warning, the table shows nan
            r["error"] = _max_abs(np.concatenate([np.ravel(a - b) for a, b in zip(r["values"], reference)]))
    results.pop("_reference", None)
    main_values = (results.get("reverse") or results.get(args.method) or {}).get("values")
    note_text = nonfinite_note(expr, names, point, main_values) if main_values is not None else None
    if args.json:
        doc = _as_json(expr, names, point, order, args.method, results)
        doc["note"] = note_text
        print_json(doc)
    elif args.method == "all":
        print(_render_all(expr, names, point, order, results))
    else:
        print(_render_one(expr, names, point, order, args.method, results[args.method]))
    if note_text:
        sys.stdout.flush()
        _common.note("tapegrad diff", note_text)
    if args.method == "symbolic" and not results["symbolic"].get("available", True):
        return 2 if results["symbolic"]["note"] == SYMPY_HINT else 1
    return 0


def nonfinite_note(expr: Expression, names: list[str], point: np.ndarray, values: list) -> str | None:
    """One line saying where a nan or inf in the value or the derivatives first arose, or None."""
    env = dict(zip(names, point))
    if not np.all(np.isfinite(values[0])):
        return locate_nonfinite(expr, env) or f"the value is {float(values[0])}"
    for k, v in enumerate(values[1:], start=1):
        if not np.all(np.isfinite(v)):
            where = locate_nonfinite(expr, env, derivative=True) if k == 1 else None
            return where or f"some derivatives of order {k} are not finite at this point"
    return None


def _max_abs(a: np.ndarray) -> float:
    a = np.abs(np.asarray(a, dtype=np.float64))
    if a.size == 0:
        return 0.0
    return float(np.max(a))  # nan when any derivative is missing


def _as_json(expr: Expression, names: list[str], point: np.ndarray, order: int, method: str, results: dict) -> dict:
    def block(r: dict) -> dict:
        if "values" not in r:
            return {"available": False, "note": r.get("note")}
        values = r["values"]
        out: dict[str, Any] = {"value": values[0]}
        if order >= 1:
            out["gradient"] = values[1]
        if order >= 2:
            out["hessian"] = values[2]
        out["derivatives"] = {str(k): values[k] for k in range(1, order + 1)}
        if "expressions" in r:
            out["expressions"] = {str(k): r["expressions"][k] for k in range(order + 1)}
        if "error" in r:
            out["error"] = r["error"]
        out["seconds"] = r.get("seconds")
        return out

    doc: dict[str, Any] = {
        "expression": expr.text,
        "variables": names,
        "at": dict(zip(names, point.tolist())),
        "order": order,
        "method": method,
    }
    if method == "all":
        doc["methods"] = {m: block(results[m]) for m in METHODS}
        main = block(results["reverse"])
    else:
        main = block(results[method])
    doc.update(main)
    return doc


def _header(expr: Expression, names: list[str], point: np.ndarray) -> str:
    at = ", ".join(f"{n} = {fmt(v)}" for n, v in zip(names, point))
    return f"f({', '.join(names)}) = {expr.text}\nat {at}" if names else f"f = {expr.text}"


def _render_derivatives(names: list[str], values: list[np.ndarray], order: int, texts: list | None = None) -> str:
    lines = [f"value     {fmt(values[0])}"]
    if order >= 1:
        lines += ["", "gradient"]
        rows = [[f"df/d{n}", fmt(g)] for n, g in zip(names, values[1])]
        if texts is not None:
            rows = [r + [f"= {t}"] for r, t in zip(rows, texts[1])]
        lines.append(table(rows, right={1}, indent="  "))
    if order >= 2:
        lines += ["", "Hessian"]
        rows = [[""] + names] + [[n] + [fmt(v) for v in row] for n, row in zip(names, values[2])]
        lines.append(table(rows, right=set(range(1, len(names) + 1)), indent="  "))
        if texts is not None:
            lines += ["", "second derivatives"]
            rows = [
                [f"d2f/d{a}d{b}" if a != b else f"d2f/d{a}^2", f"= {texts[2][i][j]}"]
                for i, a in enumerate(names) for j, b in enumerate(names) if j >= i
            ]
            lines.append(table(rows, indent="  "))
    for k in range(3, order + 1):
        lines += ["", f"derivatives of order {k} (d^{k}f/dxi...), shape {values[k].shape}, variables in order "
                  f"{', '.join(names)}"]
        body = np.array2string(values[k], precision=10, suppress_small=True, floatmode="maxprec")
        lines.append("\n".join("  " + line for line in body.splitlines()))
    return "\n".join(lines)


def _render_one(expr: Expression, names: list[str], point: np.ndarray, order: int, method: str, r: dict) -> str:
    head = _header(expr, names, point)
    if "values" not in r:
        return f"{head}\n\n{TITLES[method]}: {r['note']}"
    out = [head + f"   [{TITLES[method]}, float64, {fmt_seconds(r['seconds'])}]", ""]
    out.append(_render_derivatives(names, r["values"], order, r.get("expressions")))
    if "error" in r:
        out += ["", f"max |error| against reverse mode: {r['error']:.3g}"]
    return "\n".join(out)


def _render_all(expr: Expression, names: list[str], point: np.ndarray, order: int, results: dict) -> str:
    head = _header(expr, names, point)
    show_grad = 1 <= order and len(names) <= 6
    columns = ["method", "value"] + ([f"df/d{n}" for n in names] if show_grad else []) + ["max |error|", "time"]
    rows = [columns]
    notes = []
    for m in METHODS:
        r = results[m]
        if "values" not in r:
            notes.append(f"{TITLES[m]}: {r['note']}")
            continue
        v = r["values"]
        row = [TITLES[m], fmt(v[0])]
        if show_grad:
            row += [fmt(g) for g in v[1]]
        row += ["-" if m == "reverse" else f"{r.get('error', float('nan')):.2g}", fmt_seconds(r["seconds"])]
        rows.append(row)
    body = "\n".join([table(rows, right=set(range(1, len(columns))))] + notes)
    out = [head, "", body, "", "max |error|: largest difference from reverse mode over all derivatives computed"]
    ref = results["reverse"]["values"]
    if order >= 2 or (order == 1 and not show_grad):
        out += ["", "reverse mode:", _render_derivatives(names, ref, order)]
    sym = results["symbolic"]
    if "expressions" in sym and order >= 1:
        out += ["", "symbolic derivatives:"]
        rows = [[f"df/d{n}", f"= {t}"] for n, t in zip(names, sym["expressions"][1])]
        out.append(table(rows, indent="  "))
    return "\n".join(out)
