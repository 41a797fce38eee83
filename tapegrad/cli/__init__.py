"""The ``tapegrad`` command: differentiate, plot, draw and fit expressions from the shell.

    tapegrad diff "3*(x1**2 + x2*x3)" --at x1=2 x2=3 x3=4
    tapegrad plot "sin(x)**2" --range -6.283:6.283 --order 3 -o derivatives.png
    tapegrad graph "3*(x1**2 + x2*x3)" --at x1=2 x2=3 x3=4 -o graph.svg
    tapegrad fit data.csv --model "y = m*x + c"

Expressions are data, never code: they are parsed against a whitelist (see
:mod:`tapegrad.cli.expression`) and evaluated with tapegrad ops. Exit codes: 0 on success, 2 on bad
input (with a one-line message), 1 when the computation itself failed, 3 when ``fit`` stopped at its
default iteration limit before converging. No Python warning reaches the user: a nan or inf in a
result comes with a one-line note saying where it first arose.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from typing import Sequence

import numpy as np

from tapegrad.cli._common import UsageError
from tapegrad.cli.expression import ExpressionError

__all__ = ["main", "build_parser"]

VERBS = ("diff", "plot", "graph", "fit")


def build_parser() -> argparse.ArgumentParser:
    from tapegrad.cli import diff, fit, graph, plot

    parser = argparse.ArgumentParser(
        prog="tapegrad",
        description="Exact derivatives of expressions with tapegrad's gradient tape.",
        epilog=(
            "examples:\n"
            '  tapegrad diff "3*(x1**2 + x2*x3)" --at x1=2 x2=3 x3=4\n'
            '  tapegrad plot "sin(x)**2" --range -6.283:6.283 --order 3 -o derivatives.png\n'
            '  tapegrad graph "3*(x1**2 + x2*x3)" --at x1=2 x2=3 x3=4 -o graph.svg\n'
            '  tapegrad fit data.csv --model "y = m*x + c"\n\n'
            "Run 'tapegrad VERB --help' for each verb's options."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from tapegrad import __version__

    parser.add_argument("--version", action="version", version=f"tapegrad {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    sub.required = True
    verbs = {}
    for module in (diff, plot, graph, fit):
        p = module.add_parser(sub)
        p.set_defaults(_run=module.run)
        verbs[p.prog.split()[-1]] = p
    parser.set_defaults(_verbs=verbs)
    return parser


def _fix_argv(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """Let values that start with '-' through: an expression "-x**2", --range -6.28:6.28, --ylim -1:1."""
    argv = list(argv)
    if len(argv) >= 2 and argv[0] in ("diff", "plot", "graph"):
        options = _option_strings(parser, argv[0])
        first = argv[1]
        if first.startswith("-") and first.split("=", 1)[0] not in options:
            argv[1] = " " + first  # argparse would take it for an option; a leading space keeps it a value
    out = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--range", "--ylim") and i + 1 < len(argv) and argv[i + 1].startswith("-"):
            out.append(f"{a}={argv[i + 1]}")
            i += 2
            continue
        out.append(a)
        i += 1
    return out


def _option_strings(parser: argparse.ArgumentParser, verb: str) -> set[str]:
    """Every option string the verb's parser knows (-h, --at, --order, ...)."""
    sub = parser.get_default("_verbs").get(verb)
    if sub is None:
        return {"-h", "--help"}
    return {s for action in sub._actions for s in action.option_strings}


def _run_quietly(args: argparse.Namespace, prog: str) -> int:
    """Run a verb so that no Python warning reaches the user: floating-point events are silenced (the
    verbs say where a nan or inf arose), any other warning becomes a one-line note on stderr."""
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        try:
            return int(args._run(args))
        finally:
            seen = set()
            for w in caught:
                text = str(w.message).splitlines()[0] if str(w.message) else type(w.message).__name__
                if text in seen or (issubclass(w.category, RuntimeWarning) and "encountered in" in text):
                    continue
                seen.add(text)
                print(f"{prog}: note: {text}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 success, 2 bad input, 1 failure)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(_fix_argv(argv, parser))
    except SystemExit as exc:  # --help, --version, or a usage error (argparse printed it)
        return int(exc.code) if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    prog = f"tapegrad {args.verb}"
    try:
        return _run_quietly(args, prog)
    except (UsageError, ExpressionError) as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `tapegrad ... | head`: the reader left; stop quietly, as Unix tools do
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141
    except Exception as err:  # a failure in the computation: one line, unless debugging
        if os.environ.get("TAPEGRAD_DEBUG"):
            raise
        first = str(err).splitlines()[0] if str(err) else ""
        print(f"{prog}: failed: {type(err).__name__}: {first} (set TAPEGRAD_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return 1
