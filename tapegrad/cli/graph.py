"""``tapegrad graph``: the computational graph of an expression, with forward values and adjoints."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

import tapegrad as tg
from tapegrad.cli._common import UsageError, check_unused, parse_assignments, plural, print_json
from tapegrad.cli.expression import parse_expression
from tapegrad.graph import GraphvizNotFound, tape_graph

EXAMPLES = """\
examples:
  tapegrad graph "3*(x1**2 + x2*x3)" --at x1=2 x2=3 x3=4 -o graph.svg
  tapegrad graph "sin(x)**2" --at x=1 -o graph.png
  tapegrad graph "x*y + exp(x)" --at x=1 y=2            (DOT text on stdout)
  tapegrad graph "x*y + exp(x)" --at x=1 y=2 --json     (nodes and edges as JSON)

Each node shows its operation, its forward value and its adjoint d(result)/d(node), which the
reverse pass carries back; each edge the local partial derivative. .svg/.png/.pdf are drawn by
Graphviz's `dot` program when it is installed, otherwise by matplotlib (pip install "tapegrad[graph]");
.dot needs nothing.
"""


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "graph",
        help="draw the recorded computational graph with values and adjoints",
        description="Record EXPR at a point on a GradientTape and draw the graph the tape holds.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("expression", metavar="EXPR", help="the expression, e.g. \"3*(x1**2 + x2*x3)\"")
    p.add_argument("--at", nargs="+", metavar="NAME=VALUE", default=[], help="the point: one NAME=VALUE per variable")
    p.add_argument(
        "-o", "--output", metavar="FILE",
        help="where to write: .svg, .png, .pdf (a drawing) or .dot; without it the DOT text is printed",
    )
    p.add_argument("--json", action="store_true", help="print the nodes and edges as JSON")
    return p


def run(args: argparse.Namespace) -> int:
    expr = parse_expression(args.expression)
    point = parse_assignments(args.at, "--at")
    missing = [v for v in expr.variables if v not in point]
    if missing:
        raise UsageError(f"no value for {', '.join(missing)}: give --at {' '.join(f'{m}=...' for m in missing)}")
    check_unused(point, expr.variables)
    if not point:
        raise UsageError("the expression has no variables, so nothing is recorded: use a variable and --at NAME=VALUE")
    if args.output:
        suffix = args.output.rsplit(".", 1)[-1].lower() if "." in args.output else ""
        if suffix not in ("svg", "png", "pdf", "dot", "gv"):
            raise UsageError(f"-o {args.output}: the file name must end in .svg, .png, .pdf or .dot")
    inputs = {name: tg.constant(value, dtype=tg.float64) for name, value in point.items()}
    with np.errstate(all="ignore"):
        with tg.GradientTape(persistent=True) as tape:
            tape.watch(list(inputs.values()))
            result = expr(inputs)
        used = {name: t for name, t in inputs.items() if name in expr.variables}
        graph = tape_graph(tape, result, used or inputs)
    if args.output:
        try:
            graph.render(args.output)
        except GraphvizNotFound as err:
            raise UsageError(str(err)) from None
    if args.json:
        doc = graph.to_dict()
        doc.update({"expression": expr.text, "at": point, "output": args.output})
        print_json(doc)
    elif args.output:
        t = graph.target
        print(
            f"wrote {args.output}: {plural(len(graph.inputs), 'input')}, {plural(len(graph.operations), 'operation')}; "
            f"{t.name} = {expr.text} = {t.value:.10g}",
            file=sys.stdout,
        )
    else:
        sys.stdout.write(graph.to_dot())
    return 0
