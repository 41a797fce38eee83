"""Random junk on the command line is data: nothing is ever executed, bad input exits 2 with one line."""

from __future__ import annotations

import ast
import builtins
import contextlib

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tapegrad.cli.diff
import tapegrad.cli.fit
import tapegrad.cli.graph
import tapegrad.cli.plot  # noqa: F401  (imported before eval/exec/compile are watched)
from tapegrad.cli.expression import ExpressionError, parse_expression

# fragments that are code, not arithmetic: each must be rejected wherever it appears
DANGEROUS = [
    "__import__('os').system('touch pwned')",
    "tapegrad_sentinel()",
    "sentinel()",
    "eval('tapegrad_sentinel()')",
    "exec('tapegrad_sentinel()')",
    "open('pwned', 'w')",
    "globals()",
    "x.__class__.__bases__",
    "().__class__",
    "(lambda: tapegrad_sentinel())()",
    "[tapegrad_sentinel() for _ in (1,)]",
    "x[0]",
    "'text'",
    "x if x else tapegrad_sentinel()",
    "(x := tapegrad_sentinel())",
    "getattr(x, 'y')",
    "__builtins__",
    "x.real",
    "{1: 2}",
    "f'{tapegrad_sentinel()}'",
    "x < 1",
    "not x",
    "x % 2",
    "sin(x=1)",
    "x(1)",
]
SAFE = ["x", "1", "2.5", "sin(x)", "(x + 1)", "-x", "x**2"]
OPS = [" + ", " - ", " * ", " / ", " ** "]


@contextlib.contextmanager
def nothing_executes():
    """Fail if anything is evaluated: eval/exec flag, compile() may only parse to an AST, and the
    sentinel functions the junk calls record any call."""
    calls: list[str] = []

    def flag(name):
        def hit(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called")

        return hit

    real_compile = builtins.compile

    def parse_only(source, filename, mode, flags=0, *args, **kwargs):
        # importing a module file compiles it (harmless); anything else may only be parsed to an AST
        if not flags & ast.PyCF_ONLY_AST and not str(filename).endswith(".py"):
            calls.append("compile")
            raise AssertionError("compile() to code was called")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    saved = {name: getattr(builtins, name, None) for name in ("eval", "exec", "compile")}
    builtins.eval, builtins.exec, builtins.compile = flag("eval"), flag("exec"), parse_only
    builtins.tapegrad_sentinel = flag("tapegrad_sentinel")
    builtins.sentinel = flag("sentinel")
    try:
        yield calls
    finally:
        for name, value in saved.items():
            setattr(builtins, name, value)
        del builtins.tapegrad_sentinel, builtins.sentinel


junk = st.builds(
    lambda left, bad, right, op1, op2: f"{left}{op1}{bad}{op2}{right}",
    st.sampled_from(SAFE),
    st.sampled_from(DANGEROUS),
    st.sampled_from(SAFE),
    st.sampled_from(OPS),
    st.sampled_from(OPS),
) | st.sampled_from(DANGEROUS)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=junk, verb=st.sampled_from(["diff", "graph", "plot"]))
def test_code_in_expressions_is_rejected_and_never_run(cli, text, verb):
    extra = {"diff": ["--at", "x=1"], "graph": ["--at", "x=1"], "plot": ["--var", "x", "--json"]}[verb]
    with nothing_executes() as calls:
        r = cli(verb, text, *extra)
    assert calls == []
    assert r.code == 2, (text, r.out, r.err)
    assert r.err.count("\n") == 1 and r.err.startswith(f"tapegrad {verb}: error: "), r.err
    assert "Traceback" not in r.err


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=40) | st.text(alphabet="x1+-*/()., _[]'\"=:;lambda", max_size=40))
def test_random_text_is_either_a_valid_expression_or_exit_2(cli, text):
    assume(text.split("=")[0] not in {"-h", "--help", "--at", "--order", "--method", "--json"})  # options, not EXPR
    with nothing_executes() as calls:
        r = cli("diff", text, "--at", "x=1.5", "--json")
    assert calls == []
    try:
        expr = parse_expression(text)
        valid = set(expr.variables) == {"x"}  # a constant expression with --at x=... is a usage error
    except ExpressionError:
        valid = False
    if valid:
        assert r.code == 0, (text, r.err)
    else:
        assert r.code == 2, (text, r.out, r.err)
        assert "Traceback" not in r.err


@pytest.mark.parametrize(
    "text", ["(" * 1000 + "x" + ")" * 1000, "-" * 3990 + "x", "x+" * 3000 + "x", "sin(" * 120 + "x" + ")" * 120]
)
def test_oversized_and_deep_input_exit_2(cli, text):
    r = cli("diff", text, "--at", "x=1")
    assert r.code == 2
    assert "Traceback" not in r.err and ("nested" in r.err or "too long" in r.err or "too large" in r.err)
