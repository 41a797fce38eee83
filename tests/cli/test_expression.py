"""The whitelisted expression parser: what it accepts, what it rejects (one line, naming the construct)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.cli.expression import (
    MAX_DEPTH,
    MAX_LENGTH,
    ExpressionError,
    allowed_functions,
    locate_nonfinite,
    parse_expression,
    parse_number,
    to_text,
)


def value(text: str, **env: float) -> float:
    out = parse_expression(text)({k: tg.constant(v, dtype=tg.float64) for k, v in env.items()})
    assert out.dtype == np.float64
    return float(out)


def test_seed_function_and_variable_order():
    expr = parse_expression("3*(x1**2 + x2*x3)")
    assert expr.variables == ("x1", "x2", "x3")
    assert value("3*(x1**2 + x2*x3)", x1=2, x2=3, x3=4) == 48.0


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1 + 2 * 3", 7.0),
        ("-2**2", -4.0),  # Python precedence: -(2**2)
        ("(-2)**2", 4.0),
        ("2**3**2", 512.0),  # right associative
        ("+x - -x", 6.0),
        ("10 / 4", 2.5),
        ("sin(pi/2) + cos(0)", 2.0),
        ("exp(log(x))", 3.0),
        ("sqrt(16) + abs(-2)", 6.0),
        ("tanh(0) + arctan(0) + atan2(0, 1)", 0.0),
        ("max(x, 5) + min(x, 5)", 8.0),
        ("e", math.e),
        ("1e-3 * 1000", 1.0),
    ],
)
def test_values(text, expected):
    assert value(text, x=3.0) == pytest.approx(expected, rel=1e-12)


def test_every_whitelisted_function_is_a_tapegrad_op():
    table = allowed_functions()
    assert {"sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "abs", "arcsin"} <= set(table)
    for name, (fn, arity) in table.items():
        assert callable(fn) and 1 <= arity <= 3, name
    # a function evaluates with tapegrad, so it is differentiable
    x = tg.constant(0.5, dtype=tg.float64)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = parse_expression("arcsin(x)")({"x": x})
    assert float(tape.gradient(y, x)) == pytest.approx(1 / math.sqrt(1 - 0.25))


@pytest.mark.parametrize(
    "text, construct",
    [
        ("x.real", "attribute access"),
        ("x[0]", "subscripts"),
        ("'a'", "strings"),
        ("b'a'", "strings"),
        ("lambda: 1", "lambda"),
        ("[i for i in x]", "comprehensions"),
        ("(i for i in x)", "generator expressions"),
        ("__import__('os')", "dunder name '__import__'"),
        ("__builtins__", "dunder name"),
        ("open('f')", "unknown function 'open'"),
        ("eval('1')", "unknown function 'eval'"),
        ("x(2)", "unknown function 'x'"),
        ("(x).__class__", "dunder name '__class__'"),
        ("__import__('os').system('ls')", "dunder name '__import__'"),
        ("sin(x=1)", "keyword arguments"),
        ("sin(*x)", "starred arguments"),
        ("sin(x, x)", "takes 1 argument, got 2"),
        ("sin", "sin is a function"),
        ("x if x else 1", "conditional expressions"),
        ("x < 1", "comparisons"),
        ("x and 1", "and/or"),
        ("not x", "'not'"),
        ("~x", "the operator ~"),
        ("x % 2", "the operator %"),
        ("x ^ 2", "write powers as x**2"),
        ("x @ x", "the operator @"),
        ("(x := 2)", "assignment expressions"),
        ("[x]", "lists"),
        ("(x, 1)", "tuples"),
        ("{x: 1}", "dicts"),
        ("f'{x}'", "f-strings"),
        ("True", "True"),
        ("None", "None"),
        ("1j", "complex numbers"),
        ("...", "Ellipsis"),
        ("import os", "not a valid expression"),
        ("x = 1", "not a valid expression"),
        ("x; y", "not a valid expression"),
        ("", "empty"),
        ("   ", "empty"),
        ("x\x00", "not a valid expression"),
        ("9" * 400, "too large"),
    ],
)
def test_rejected_with_one_line_naming_the_construct(text, construct):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    message = str(info.value)
    assert construct in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "text",
    [
        "(" * 500 + "x" + ")" * 500,  # the tokenizer's nesting limit
        "-" * 3000 + "x",  # deep enough to exhaust ast.parse's recursion
        "sin(" * 150 + "x" + ")" * 150,
        "x" + "**x" * 1000,  # right-associative: as deep as it is long
    ],
)
def test_deep_nesting_is_an_error_not_a_crash(text):
    assert len(text) <= MAX_LENGTH
    with pytest.raises(ExpressionError, match="nest|too large"):
        parse_expression(text)


def test_oversized_input():
    with pytest.raises(ExpressionError, match="too long"):
        parse_expression("x+" * MAX_LENGTH + "x")


def test_long_flat_sums_are_fine_and_evaluate_without_recursion():
    # depth measures nesting, not length: a flat chain of + and - (or * and /) is one level
    assert value("+".join(["x"] * 101), x=1.0) == 101
    assert value("-".join(["x"] * 999), x=1.0) == 1 - 998
    assert value("*".join(["x"] * 600), x=1.001) == pytest.approx(1.001**600, rel=1e-12)
    assert value("x" + "/x*x" * 300, x=3.0) == pytest.approx(3.0, rel=1e-12)
    assert value("+".join(f"sin({i}*x)" for i in range(200)), x=0.5) == pytest.approx(
        sum(math.sin(i * 0.5) for i in range(200)), rel=1e-12)


def test_nesting_still_counts_inside_a_flat_chain():
    ok = "x + " + "(" * 90 + "x" + ")" * 90
    assert value(ok, x=2.0) == 4.0
    deep = "x + " + "sin(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression(deep)
    mixed = "x" + "+x*(x" * (MAX_DEPTH + 1) + ")" * (MAX_DEPTH + 1)  # each * opens a new level
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression(mixed)


def test_huge_powers_overflow_to_inf_instead_of_hanging():
    with np.errstate(all="ignore"):
        assert math.isinf(value("9**9**9**9"))


def test_to_text_round_trips():
    for text in ["-(x + 1)**-2 - -y / (a*b) + sin(-x)**2", "2**3**2", "(2**3)**2", "x - (y - z)", "-x**2"]:
        expr = parse_expression(text)
        again = parse_expression(to_text(expr.tree))
        env = {"x": 0.3, "y": 1.7, "a": 2.0, "b": -0.5, "z": 0.25}
        env = {k: v for k, v in env.items() if k in expr.variables}
        assert value(to_text(again.tree), **env) == pytest.approx(value(text, **env), rel=1e-14)


def test_parse_number():
    assert parse_number("-2*pi") == pytest.approx(-2 * math.pi)
    assert parse_number("1.5") == 1.5
    with pytest.raises(ExpressionError, match="must be a number"):
        parse_number("x + 1")
    for text, shown in [("1/0", "inf"), ("-1/0", "-inf"), ("0/0", "nan"), ("1e400", "inf"), ("exp(1000)", "inf")]:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # rejected without a RuntimeWarning on the way
            with pytest.raises(ExpressionError, match=f"is not a finite number \\(it is {shown}\\)"):
                parse_number(text)


@pytest.mark.parametrize(
    "text, env, derivative, expected",
    [
        ("exp(log(x)) + 1", {"x": -1.0}, False, "log(x) is nan where x = -1"),
        ("2 + 1/y", {"y": 0.0}, False, "1 / y is inf where y = 0"),
        ("log(sin(x))", {"x": 4.0}, False, f"log(sin(x)) is nan where sin(x) = {math.sin(4.0):.6g}"),
        ("x/y", {"x": 0.0, "y": 0.0}, False, "x / y is nan where x = 0, y = 0"),
        ("exp(x)*0", {"x": 1000.0}, False, "exp(x) is inf where x = 1000"),
        ("2*sqrt(x)", {"x": 0.0}, True, "the derivative of sqrt(x) is inf where x = 0"),
        ("x**y", {"x": 0.0, "y": 0.5}, True, "the derivative of x**y with respect to x is inf where x = 0, y = 0.5"),
        ("sin(x) + x**2", {"x": 1.0}, False, None),
        ("sin(x) + x**2", {"x": 1.0}, True, None),
    ],
)
def test_locate_nonfinite(text, env, derivative, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert locate_nonfinite(parse_expression(text), env, derivative=derivative) == expected


def test_locate_nonfinite_in_arrays_names_the_element():
    x = np.array([0.0, 300.0, 800.0, 900.0])
    note = locate_nonfinite(parse_expression("a*exp(b*x)"), {"x": x, "a": 1.0, "b": 1.0},
                            label=lambda i: f"data row {i[0] + 1}")
    assert note == "exp(b * x) is inf where b * x = 800 (data row 3)"


def test_to_sympy():
    sympy = pytest.importorskip("sympy")
    expr = parse_expression("3*(x1**2 + x2*x3) + sin(x1)")
    s = expr.to_sympy()
    x1 = sympy.Symbol("x1", real=True)
    assert sympy.simplify(sympy.diff(s, x1) - (6 * x1 + sympy.cos(x1))) == 0
