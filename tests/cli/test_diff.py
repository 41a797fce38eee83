"""`tapegrad diff`: the seed's 48 and (12, 12, 9), Hessians, the four methods, and a property test."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli.conftest import run_module

SEED = ["3*(x1**2 + x2*x3)", "--at", "x1=2", "x2=3", "x3=4"]


def test_seed_example_readable(cli):
    r = cli("diff", *SEED)
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0] == "f(x1, x2, x3) = 3*(x1**2 + x2*x3)"
    assert lines[1].startswith("at x1 = 2, x2 = 3, x3 = 4")
    assert "value     48" in lines
    assert [line.split() for line in lines if line.strip().startswith("df/")] == [
        ["df/dx1", "12"], ["df/dx2", "12"], ["df/dx3", "9"],
    ]


def test_seed_example_json(cli):
    r = cli("diff", *SEED, "--json")
    assert r.code == 0
    doc = r.json()
    assert doc["value"] == 48.0 and doc["gradient"] == [12.0, 12.0, 9.0]
    assert doc["variables"] == ["x1", "x2", "x3"] and doc["at"] == {"x1": 2.0, "x2": 3.0, "x3": 4.0}
    assert "hessian" not in doc


def test_hessian_and_third_order(cli):
    doc = cli("diff", *SEED, "--order", "2", "--json").json()
    assert doc["hessian"] == [[6.0, 0.0, 0.0], [0.0, 0.0, 3.0], [0.0, 3.0, 0.0]]
    text = cli("diff", *SEED, "--order", "2").out
    assert "Hessian" in text and "x3   0   3   0" in text
    # sin(x)^2: f' = sin 2x, f'' = 2 cos 2x, f''' = -4 sin 2x
    x = 0.3
    doc = cli("diff", "sin(x)**2", "--at", f"x={x}", "--order", "3", "--json").json()
    assert doc["value"] == pytest.approx(math.sin(x) ** 2, rel=1e-14)
    assert doc["derivatives"]["1"] == pytest.approx([math.sin(2 * x)], rel=1e-13)
    assert np.array(doc["derivatives"]["2"]).shape == (1, 1)
    assert doc["derivatives"]["2"][0][0] == pytest.approx(2 * math.cos(2 * x), rel=1e-13)
    assert doc["derivatives"]["3"][0][0][0] == pytest.approx(-4 * math.sin(2 * x), rel=1e-13)


def test_mixed_third_order_tensor_is_symmetric_and_exact(cli):
    # f = x^2 y z: d3f/dx dy dz = 2x, d3f/dx^2 dy = 2z
    doc = cli("diff", "x**2*y*z", "--at", "x=1.5", "y=2", "z=-1", "--order", "3", "--json").json()
    t = np.array(doc["derivatives"]["3"])
    assert t.shape == (3, 3, 3)
    for p in [(0, 1, 2), (2, 1, 0), (1, 0, 2)]:
        assert t[p] == pytest.approx(3.0)
    assert t[0, 0, 1] == pytest.approx(-2.0) and t[1, 0, 0] == pytest.approx(-2.0)
    assert t[1, 1, 1] == 0.0


@pytest.mark.parametrize("method", ["reverse", "forward", "numeric"])
def test_each_method_alone(cli, method):
    doc = cli("diff", *SEED, "--order", "2", "--method", method, "--json").json()
    assert doc["method"] == method
    assert doc["value"] == 48.0
    tol = 1e-6 if method == "numeric" else 0
    assert doc["gradient"] == pytest.approx([12.0, 12.0, 9.0], abs=tol)
    assert np.allclose(doc["hessian"], [[6, 0, 0], [0, 0, 3], [0, 3, 0]], atol=max(tol, 1e-300))
    if method == "numeric":
        assert 0 <= doc["error"] < 1e-5


def test_method_all_table(cli):
    r = cli("diff", *SEED, "--method", "all")
    assert r.code == 0, r.err
    rows = {line.split("  ")[0]: line for line in r.out.splitlines()}
    for title in ("reverse mode", "forward mode", "central differences"):
        assert title in rows and rows[title].split()[title.count(" ") + 1 : title.count(" ") + 5] == [
            "48", "12", "12", "9",
        ]
    assert "df/dx1" in r.out and "max |error|" in r.out and "time" in r.out
    doc = cli("diff", *SEED, "--method", "all", "--json").json()
    methods = doc["methods"]
    assert methods["forward"]["gradient"] == [12.0, 12.0, 9.0] and methods["forward"]["error"] == 0.0
    assert methods["numeric"]["error"] < 1e-6
    for m in ("reverse", "forward", "numeric"):
        assert methods[m]["seconds"] >= 0


def test_symbolic_with_sympy(cli):
    pytest.importorskip("sympy")
    doc = cli("diff", *SEED, "--order", "2", "--method", "symbolic", "--json").json()
    assert doc["gradient"] == [12.0, 12.0, 9.0]
    assert doc["expressions"]["1"] == ["6*x1", "3*x3", "3*x2"]
    r = cli("diff", *SEED, "--method", "all")
    assert "symbolic (SymPy)" in r.out and "= 6*x1" in r.out


def test_symbolic_without_sympy_says_how_to_install(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "sympy", None)  # import sympy now raises ImportError
    r = cli("diff", *SEED, "--method", "all")
    assert r.code == 0
    assert 'pip install "tapegrad[symbolic]"' in r.out
    assert "reverse mode" in r.out
    doc = cli("diff", *SEED, "--method", "all", "--json").json()
    assert doc["methods"]["symbolic"] == {"available": False, "note": doc["methods"]["symbolic"]["note"]}
    r = cli("diff", *SEED, "--method", "symbolic")
    assert r.code == 2 and 'pip install "tapegrad[symbolic]"' in r.out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["x + y", "--at", "x=1"], "no value for y"),
        (["x", "--at", "x=abc"], "must be a number"),
        (["x", "--at", "x"], "NAME=VALUE"),
        (["x", "--at", "x=1", "x=2"], "given twice"),
        (["x", "--at", "pi=1"], "constant"),
        (["x", "--at", "x=1", "--order", "-1"], "--order"),
        (["x", "--at", "x=1", "--order", "99"], "--order"),
        (["x.y", "--at", "x=1"], "attribute access"),
        (["x", "--at", "x=1", "--method", "magic"], "invalid choice"),
    ],
)
def test_bad_input_exits_2_with_one_line(cli, argv, message):
    r = cli("diff", *argv)
    assert r.code == 2
    assert message in r.err
    assert "Traceback" not in r.err


def test_leading_minus_and_constant_values(cli):
    doc = cli("diff", "-x**2", "--at", "x=pi/2", "--json").json()
    assert doc["value"] == pytest.approx(-(math.pi / 2) ** 2)
    assert doc["gradient"] == pytest.approx([-math.pi])
    r = cli("diff", "2*y", "--at", "x=1", "y=3", "z=4", "--json")  # a value for a name not in it: a mistake
    assert r.code == 2 and r.out == ""
    assert r.err == "tapegrad diff: error: --at x, z: not in the expression (its variables are y); remove them\n"


def test_non_finite_results_are_null_in_json(cli):
    doc = cli("diff", "log(x)", "--at", "x=0", "--json").json()
    assert doc["value"] is None and doc["gradient"] == [None]


def test_help_has_an_example(cli):
    r = cli("diff", "--help")
    assert r.code == 0 and "examples:" in r.out and "--at x1=2 x2=3 x3=4" in r.out


# ---- property: the CLI's gradient agrees with central differences on random expressions --------------
def _leaf() -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from([("x1", lambda a, b: a), ("x2", lambda a, b: b)]),
        st.floats(0.25, 3.0).map(lambda c: (repr(round(c, 3)), lambda a, b, c=round(c, 3): c + 0 * a)),
    )


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    binary = st.tuples(st.sampled_from(["+", "-", "*"]), children, children).map(
        lambda t: (
            f"({t[1][0]} {t[0]} {t[2][0]})",
            {
                "+": lambda a, b, f=t[1][1], g=t[2][1]: f(a, b) + g(a, b),
                "-": lambda a, b, f=t[1][1], g=t[2][1]: f(a, b) - g(a, b),
                "*": lambda a, b, f=t[1][1], g=t[2][1]: f(a, b) * g(a, b),
            }[t[0]],
        )
    )
    safe_div = st.tuples(children, children).map(
        lambda t: (f"({t[0][0]} / (1 + ({t[1][0]})**2))",
                   lambda a, b, f=t[0][1], g=t[1][1]: f(a, b) / (1 + g(a, b) ** 2))
    )
    unary = st.tuples(
        st.sampled_from([
            ("sin({})", np.sin), ("cos({})", np.cos), ("tanh({})", np.tanh), ("arctan({})", np.arctan),
            ("sqrt(1 + ({})**2)", lambda v: np.sqrt(1 + v**2)), ("log(1 + ({})**2)", lambda v: np.log(1 + v**2)),
            ("exp(sin({}))", lambda v: np.exp(np.sin(v))), ("-({})", np.negative), ("({})**3", lambda v: v**3),
        ]),
        children,
    ).map(lambda t: (t[0][0].format(t[1][0]), lambda a, b, h=t[0][1], f=t[1][1]: h(f(a, b))))
    return st.one_of(binary, safe_div, unary)


expressions = st.recursive(_leaf(), _extend, max_leaves=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(expr=expressions, a=st.floats(-1.5, 1.5), b=st.floats(-1.5, 1.5), method=st.sampled_from(["reverse", "forward"]))
def test_gradient_matches_central_differences(cli, expr, a, b, method):
    text, f = expr
    text += " + 0*x1 + 0*x2"  # both variables appear, whatever was drawn (a value for an absent name is an error)
    a, b = round(a, 6), round(b, 6)
    r = cli("diff", text, "--at", f"x1={a!r}", f"x2={b!r}", "--method", method, "--json")
    assert r.code == 0, (text, r.err)
    doc = r.json()
    assert doc["value"] == pytest.approx(float(f(a, b)), rel=1e-12, abs=1e-12)
    h = 1e-6
    fd = [(f(a + h, b) - f(a - h, b)) / (2 * h), (f(a, b + h) - f(a, b - h)) / (2 * h)]
    scale = 1 + max(abs(float(f(a, b))), *map(abs, fd))
    np.testing.assert_allclose(doc["gradient"], fd, rtol=1e-5, atol=1e-6 * scale, err_msg=text)


# ---- no Python warning reaches the user; a nan or inf says where it arose ---------------------------
@pytest.mark.parametrize("value, shown", [("1/0", "inf"), ("-1/0", "-inf"), ("0/0", "nan"), ("inf", None)])
def test_infinite_point_is_rejected(value, shown):
    r = run_module("diff", "x", "--at", f"x={value}")
    assert r.code == 2 and r.out == ""
    assert "Warning" not in r.err and len(r.err.splitlines()) == 1
    if shown:
        assert f"--at 'x={value}': the value of x '{value}' is not a finite number (it is {shown})" in r.err
    else:
        assert "must be a number, not contain the name 'inf'" in r.err


def test_nan_value_is_explained_in_one_line():
    r = run_module("diff", "exp(log(x)) + 1", "--at", "x=-1")
    assert r.code == 0
    assert "value     nan" in r.out
    assert r.err == "tapegrad diff: note: log(x) is nan where x = -1\n"  # and no RuntimeWarning


def test_infinite_derivative_is_explained(cli):
    doc = cli("diff", "sqrt(x) + y", "--at", "x=0", "y=2", "--json").json()
    assert doc["value"] == 2.0 and doc["gradient"] == [None, 1.0]
    assert doc["note"] == "the derivative of sqrt(x) is inf where x = 0"
    assert cli("diff", "x**2", "--at", "x=3", "--json").json()["note"] is None


def test_every_method_runs_without_warnings():
    r = run_module("diff", "log(x) + 1/y", "--at", "x=-2", "y=0", "--method", "all", "--order", "2")
    assert r.code == 0 and "Warning" not in r.err
    assert r.err == "tapegrad diff: note: log(x) is nan where x = -2\n"


def test_flat_sum_of_101_terms_is_not_too_deep(cli):
    text = " + ".join(f"{k}*x" for k in range(1, 102))  # 101 terms: long, but one level of nesting
    doc = cli("diff", text, "--at", "x=2", "--json").json()
    assert doc["value"] == 2 * 101 * 102 / 2 and doc["gradient"] == [101 * 102 / 2]
    deep = "sin(" * 101 + "x" + ")" * 101
    r = cli("diff", deep, "--at", "x=1")
    assert r.code == 2 and "nested too deeply (more than 100 levels)" in r.err
