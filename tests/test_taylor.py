"""Taylor mode: every elementwise spec row to order 6 against nested forward mode (and SymPy),
linear and multilinear ops, the exact fallback and the clear error, mixed partials, and the CLI."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import taylor as taylor_module
from tests.ops import test_activations, test_elementwise
from tests.ops.spec import arguments, cases_of

ORDER = 6
ELEMENTWISE_SPECS = test_elementwise.SPECS + [
    s for s in test_activations.SPECS if not s.name.startswith(("softmax", "log_softmax"))
]
NON_ELEMENTWISE_SPECS = [s for s in test_activations.SPECS if s.name.startswith(("softmax", "log_softmax"))]


def nested_forward(fn, args, directions, order):
    """[y0, y1, ..., yK] of fn(args + t directions) by ``order`` nested ForwardAccumulators on t."""
    t = tg.constant(np.float64(0.0))
    accs = [tg.ForwardAccumulator(t, tg.constant(np.float64(1.0))) for _ in range(order)]
    for acc in accs:
        acc.__enter__()
    try:
        y = fn(*[tg.constant(a) + t * tg.constant(v) for a, v in zip(args, directions)])
    finally:
        for acc in reversed(accs):
            acc.__exit__(None, None, None)
    out, d = [y.numpy()], y
    for k, acc in enumerate(reversed(accs), start=1):
        d = acc.jvp(d, unconnected_gradients="zero")
        out.append(d.numpy() / math.factorial(k))
    return out


def taylor_series(fn, args, directions, order):
    y, coefs = tg.taylor_series(fn, [tg.constant(a) for a in args], [[v] for v in directions], order=order)
    return [y.numpy()] + [c.numpy() for c in coefs]


def _directions(args, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, size=np.shape(a)) for a in args]


def _assert_series_close(got, want, rtol=1e-9):
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        scale = max(1.0, float(np.max(np.abs(w))) if np.size(w) else 1.0)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * scale, err_msg=f"coefficient {k}")


# ---- every elementwise row of the spec table, to order 6 -------------------------------------------
@pytest.mark.parametrize("spec, shapes", cases_of(ELEMENTWISE_SPECS + NON_ELEMENTWISE_SPECS))
def test_spec_row_against_nested_forward(spec, shapes):
    args = arguments(spec, shapes)
    directions = _directions(args)
    want = nested_forward(spec.fn, args, directions, ORDER)
    got = taylor_series(spec.fn, args, directions, ORDER)
    _assert_series_close(got, want)


def test_every_elementwise_primitive_of_the_table_has_a_rule():
    """Rows use rules, not the exponential fallback (which the softmax rows and linalg still take)."""
    covered = {p for s in ELEMENTWISE_SPECS for p in s.covered()}
    from tapegrad.ops import primitives

    without = sorted(p.name for p in primitives() if p.name in covered and taylor_module.rule_for(p) is None)
    assert without == []


def _primitive(name):
    from tapegrad.ops import primitives

    return next(p for p in primitives() if p.name == name)


def test_declared_rules_are_rules_or_kinds():
    """Each ``taylor=`` of the table is a rule, "linear" or "multilinear", possibly wrapped in real_only."""
    from tapegrad.ops import primitives

    declared = [p.taylor for p in primitives() if p.taylor is not None]
    unwrapped = [d.declared if isinstance(d, taylor_module.real_only) else d for d in declared]
    assert len(declared) > 60 and all(callable(d) or d in ("linear", "multilinear") for d in unwrapped)


# ---- SymPy, where the row has a closed form ---------------------------------------------------------
def _sympy_forms():
    sp = pytest.importorskip("sympy")
    sig = lambda x: 1 / (1 + sp.exp(-x))  # noqa: E731
    c, a = math.sqrt(2 / math.pi), 0.044715
    return sp, {
        "exp": sp.exp,
        "expm1": lambda x: sp.exp(x) - 1,
        "exp2": lambda x: 2**x,
        "log": sp.log,
        "log1p": lambda x: sp.log(1 + x),
        "log2": lambda x: sp.log(x) / sp.log(2),
        "log10": lambda x: sp.log(x) / sp.log(10),
        "sin": sp.sin,
        "cos": sp.cos,
        "tan": sp.tan,
        "arcsin": sp.asin,
        "arccos": sp.acos,
        "arctan": sp.atan,
        "sinh": sp.sinh,
        "cosh": sp.cosh,
        "tanh": sp.tanh,
        "arcsinh": sp.asinh,
        "arccosh": sp.acosh,
        "arctanh": sp.atanh,
        "sqrt": sp.sqrt,
        "cbrt": lambda x: x ** sp.Rational(1, 3),
        "square": lambda x: x**2,
        "reciprocal": lambda x: 1 / x,
        "power_int_exponent": lambda x: x**3,
        "power_two": lambda x: x**2,
        "sigmoid": sig,
        "softplus": lambda x: sp.log(1 + sp.exp(x)),
        "silu": lambda x: x * sig(x),
        "gelu_tanh": lambda x: x / 2 * (1 + sp.tanh(c * (x + a * x**3))),
        "gelu_exact": lambda x: x / 2 * (1 + sp.erf(x / sp.sqrt(2))),
        "multiply": lambda x, y: x * y,
        "divide": lambda x, y: x / y,
        "power": lambda x, y: x**y,
        "arctan2": sp.atan2,
        "hypot": lambda x, y: sp.sqrt(x**2 + y**2),
        "logaddexp": lambda x, y: sp.log(sp.exp(x) + sp.exp(y)),
    }


SYMPY_ROWS = [
    s
    for s in ELEMENTWISE_SPECS
    if s.name
    in {
        "exp",
        "expm1",
        "exp2",
        "log",
        "log1p",
        "log2",
        "log10",
        "sin",
        "cos",
        "tan",
        "arcsin",
        "arccos",
        "arctan",
        "sinh",
        "cosh",
        "tanh",
        "arcsinh",
        "arccosh",
        "arctanh",
        "sqrt",
        "cbrt",
        "square",
        "reciprocal",
        "power_int_exponent",
        "power_two",
        "sigmoid",
        "softplus",
        "silu",
        "gelu_tanh",
        "gelu_exact",
        "multiply",
        "divide",
        "power",
        "arctan2",
        "hypot",
        "logaddexp",
    }
]


@pytest.mark.parametrize("spec", SYMPY_ROWS, ids=[s.name for s in SYMPY_ROWS])
def test_spec_row_against_sympy(spec):
    sp, forms = _sympy_forms()
    shapes = spec.cases[0]
    assert all(s == () for s in shapes)  # the scalar case
    args = [float(a) for a in arguments(spec, shapes)]
    directions = [0.7, -0.4, 0.3][: len(args)]
    t = sp.Symbol("t")
    path = forms[spec.name](*[sp.Float(a, 30) + sp.Float(v, 30) * t for a, v in zip(args, directions)])
    want, d = [], path
    for k in range(ORDER + 1):
        want.append(float(sp.N(d.subs(t, 0), 25)) / math.factorial(k))
        d = sp.diff(d, t)
    got = taylor_series(spec.fn, [np.float64(a) for a in args], [np.float64(v) for v in directions], ORDER)
    np.testing.assert_allclose(np.array(got, dtype=np.float64), want, rtol=1e-11, atol=1e-13)


# ---- high orders, scaling, linear and multilinear ops -----------------------------------------------
def test_derivatives_of_sin_squared_elementwise_to_order_16():
    x = np.linspace(-2 * np.pi, 2 * np.pi, 101)
    d = tg.derivatives(lambda v: tg.sin(v) ** 2, x, order=16)
    assert len(d) == 16
    for k, dk in enumerate(d, start=1):  # (sin^2)^(k) = -2^(k-1) cos(2x + k pi / 2)
        want = -(2.0 ** (k - 1)) * np.cos(2 * x + k * np.pi / 2)
        np.testing.assert_allclose(dk.numpy(), want, atol=1e-12 * 2.0**k)


def test_coefficients_are_scaled_so_order_40_does_not_overflow():
    y, coefs = tg.taylor_series(tg.exp, [tg.constant(np.float64(0.0))], [[np.float64(1.0)]], order=40)
    np.testing.assert_allclose([c.numpy() for c in coefs], [1 / math.factorial(k) for k in range(1, 41)], rtol=1e-13)


def test_polynomial_path_and_several_primals():
    # f(x, y) = x * y along x = 1 + t + 2 t^2, y = 3 - t: 3 + 2 t + 5 t^2 - 2 t^3
    y, coefs = tg.taylor_series(
        lambda a, b: a * b,
        [tg.constant(np.float64(1.0)), tg.constant(np.float64(3.0))],
        [[np.float64(1.0), np.float64(2.0)], [np.float64(-1.0)]],
        order=4,
    )
    assert y.numpy() == 3.0 and [c.numpy() for c in coefs] == [2.0, 5.0, -2.0, 0.0]


@pytest.mark.parametrize(
    "name, fn, shapes",
    [
        ("sum_mean_reshape", lambda x: tg.reduce_mean(tg.reshape(tg.sin(x), (3, 2)), axis=0), [(2, 3)]),
        ("getitem_transpose", lambda x: tg.transpose(tg.exp(x))[1:, ::2], [(2, 3)]),
        ("matmul", lambda a, b: tg.tanh(tg.matmul(a, b)), [(2, 3), (3, 2)]),
        ("einsum", lambda a, b: tg.einsum("ij,jk->ik", tg.sin(a), b * b), [(2, 3), (3, 2)]),
        ("tensordot", lambda a, b: tg.tensordot(a, tg.cos(b), axes=1), [(2, 3), (3,)]),
        ("max_min", lambda x: tg.reduce_max(x * x, axis=1) + tg.reduce_min(tg.sin(x)), [(2, 3)]),
        ("stack_concat", lambda x: tg.concat([tg.stack([x, tg.exp(x)]), tg.stack([x * x, x])], axis=1), [(3,)]),
        ("prod_fallback", lambda x: tg.reduce_prod(tg.sin(x) + 2), [(3,)]),
        ("logsumexp_fallback", lambda x: tg.reduce_logsumexp(x * x, axis=0), [(2, 3)]),
        ("inv_fallback", lambda a: tg.linalg.inv(a + 3 * tg.eye(2, dtype=tg.float64)), [(2, 2)]),
        (
            "eigh_two_outputs_fallback",
            lambda a: (
                tg.linalg.eigh(a + tg.transpose(a) + tg.constant(np.diag([0.0, 3.0, 6.0])))[1][:, 0]
                * tg.linalg.eigh(a + tg.transpose(a))[0][1]
            ),
            [(3, 3)],
        ),
    ],
)
def test_linear_multilinear_reductions_and_fallback(name, fn, shapes):
    rng = np.random.default_rng(4)
    args = [rng.uniform(-1, 1, size=s) for s in shapes]
    directions = _directions(args, seed=5)
    order = 4 if "fallback" in name else ORDER
    _assert_series_close(taylor_series(fn, args, directions, order), nested_forward(fn, args, directions, order))


def test_fallback_and_rule_agree(monkeypatch):
    """The exact fallback (nested forward mode) gives what the rule gives, for an op that has one."""
    x = np.array([0.3, -1.2, 2.0])
    v = np.array([1.0, 0.5, -0.25])
    f = lambda a: tg.tan(tg.exp(a) / 3)  # noqa: E731
    with_rule = taylor_series(f, [x], [v], 5)
    monkeypatch.delitem(taylor_module.RULES, _primitive("tan"))
    monkeypatch.setattr(_primitive("tan"), "taylor", None)
    assert taylor_module.rule_for(_primitive("tan")) is None
    _assert_series_close(taylor_series(f, [x], [v], 5), with_rule, rtol=1e-12)


def test_power_rule_at_a_zero_base():
    x = np.array([0.0, 1.5])
    for c in (2, 3, 2.0, -2):
        got = taylor_series(lambda a, c=c: a**c, [x + (c < 0)], [np.ones(2)], 5)
        want = nested_forward(lambda a, c=c: a**c, [x + (c < 0)], [np.ones(2)], 5)
        _assert_series_close(got, want)
    # a real exponent at 0 declines the rule and expands exactly: x**2.5 has x'' = 3.75 x**0.5 = 0 there
    got = taylor_series(lambda a: a**2.5, [x], [np.ones(2)], 2)
    assert got[2][0] == 0.0


def test_outer_tape_differentiates_the_coefficients():
    x = tg.constant(np.array([0.4, 1.1]))
    with tg.GradientTape() as tape:
        tape.watch(x)
        with tg.TaylorAccumulator(x, [np.ones(2)], order=3) as acc:
            y = tg.sin(x) * x
        c3 = acc.series(y)[2]  # (x sin x)''' / 3! = (-3 sin x - x cos x) / 6
    g = tape.gradient(c3, x).numpy()
    xv = x.numpy()
    np.testing.assert_allclose(c3.numpy(), (-3 * np.sin(xv) - xv * np.cos(xv)) / 6, rtol=1e-13)
    np.testing.assert_allclose(g, (-4 * np.cos(xv) + xv * np.sin(xv)) / 6, rtol=1e-13)


def test_variables_float32_and_unconnected():
    v = tg.Variable(np.float32(0.5))
    with tg.TaylorAccumulator(v, [np.float32(1.0)], order=3) as acc:
        y = tg.exp(v.read_value())
        z = tg.constant(np.float32(2.0)) * 3
    ys, zs = acc.series([y, z])
    assert ys[2].dtype == np.float32
    np.testing.assert_allclose(
        [c.numpy() for c in ys], [math.exp(0.5) / math.factorial(k) for k in (1, 2, 3)], rtol=1e-6
    )
    assert [c.numpy() for c in zs] == [0.0, 0.0, 0.0]


# ---- clear errors -------------------------------------------------------------------------------------
def test_op_without_rule_or_jvp_is_a_clear_error():
    op = tg.primitive(np.exp, name="my_exp")
    tg.defvjp(op, lambda g, ans, x: g * ans)
    with pytest.raises(taylor_module.TaylorRuleError, match=r"tg\.my_exp has no Taylor rule and no JVP"):
        tg.taylor_series(op, [tg.constant(np.array([0.5]))], [[np.ones(1)]], order=3)


def test_custom_gradient_beyond_first_order_is_a_clear_error():
    @tg.custom_gradient
    def f(x):
        e = tg.exp(x)
        return e, lambda g: g * e

    x = tg.constant(np.array([0.5]))
    _, (c1,) = tg.taylor_series(f, [x], [[np.ones(1)]], order=1)
    np.testing.assert_allclose(c1.numpy(), np.exp(0.5))
    with pytest.raises(taylor_module.TaylorRuleError, match="first derivatives only"):
        tg.taylor_series(f, [x], [[np.ones(1)]], order=2)


def test_bad_series_are_clear_errors():
    x = tg.constant(np.zeros(3))
    with pytest.raises(ValueError, match="shape"):
        tg.TaylorAccumulator(x, [np.ones(2)])
    with pytest.raises(ValueError, match="one list of coefficients"):
        tg.TaylorAccumulator([x, x], [[np.ones(3)]])
    with pytest.raises(ValueError, match="order"):
        tg.TaylorAccumulator(x, [np.ones(3), np.ones(3)], order=1)


# ---- mixed partials -----------------------------------------------------------------------------------
def test_derivative_tensors_against_sympy():
    sp = pytest.importorskip("sympy")
    xs = sp.symbols("x0:3")
    point = [0.3, -0.7, 1.1]
    expr = sp.exp(xs[0] * xs[1]) * sp.sin(xs[2] + xs[0] ** 2) / (1 + xs[1] ** 2)
    f = lambda v: tg.exp(v[0] * v[1]) * tg.sin(v[2] + v[0] ** 2) / (1 + v[1] ** 2)  # noqa: E731
    got = tg.derivative_tensors(f, np.array(point), order=4)
    subs = dict(zip(xs, point))
    for k in range(1, 5):
        tensor = got[k].numpy()
        assert tensor.shape == (3,) * k
        for idx in np.ndindex(*tensor.shape):
            want = float(sp.diff(expr, *[xs[i] for i in idx]).evalf(20, subs=subs))
            assert tensor[idx] == pytest.approx(want, rel=1e-11, abs=1e-12), idx


def test_derivative_tensors_match_reverse_mode_hessian_and_vector_outputs():
    f = lambda v: tg.stack([tg.tanh(v[0] * v[1] + v[2]), v[0] ** 3 * v[2]])  # noqa: E731
    x = np.array([0.2, 0.9, -0.4])
    value, grad, hess = tg.derivative_tensors(f, x, order=2)
    np.testing.assert_allclose(value.numpy(), f(tg.constant(x)).numpy())
    np.testing.assert_allclose(grad.numpy(), tg.jacobian(f)(tg.constant(x)).numpy(), rtol=1e-13)
    for j in range(2):
        h = tg.hessian(lambda v, j=j: f(v)[j])(tg.constant(x)).numpy()
        np.testing.assert_allclose(hess.numpy()[j], h, rtol=1e-12, atol=1e-14)


def test_lagrange_weights_recover_every_homogeneous_polynomial():
    rng = np.random.default_rng(7)
    for s, d in [(1, 3), (2, 2), (2, 8), (3, 5), (4, 4), (5, 5)]:
        lattice, rows, weights = taylor_module._lagrange_weights(s, d)
        monomials = taylor_module._compositions(d, s)
        coefficients = dict(zip(monomials, rng.integers(-5, 6, size=len(monomials))))
        values = [sum(c * math.prod(v**e for v, e in zip(j, i)) for i, c in coefficients.items()) for j in lattice]
        got = weights @ np.array(values, dtype=np.float64)
        np.testing.assert_allclose(got, [coefficients[i] for i in rows], atol=1e-9 * max(map(abs, values)))


def test_derivative_tensors_vectorized_matches_one_pass_per_direction():
    f = lambda v: tg.exp(v[0] * v[1]) * tg.sin(v[2] - v[1] ** 2) + v[0] ** 4 * v[2]  # noqa: E731
    x = np.array([0.3, -0.5, 0.8])
    one_by_one = tg.derivative_tensors(f, x, order=5)
    together = tg.derivative_tensors(f, x, order=5, vectorized=True)
    for a, b in zip(one_by_one, together):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12)
    assert together[5].shape == (3,) * 5


# ---- the command line -----------------------------------------------------------------------------------
def _cli_json(capsys, *argv):
    import json

    from tapegrad.cli import main

    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_order_8_uses_taylor_mode_and_matches_high_precision(capsys):
    """Every derivative to order 8 against mpmath at 40 digits (SymPy's numeric engine): SymPy's own
    diff of this function to order 8 takes ~25 s, so the symbolic check below stops at order 4."""
    mpmath = pytest.importorskip("mpmath")
    doc = _cli_json(capsys, "diff", "exp(sin(x*y)/(1+x**2))*tanh(y)", "--at", "x=1", "y=2", "--order", "8", "--json")
    assert doc["method"] == "taylor"
    mpmath.mp.dps = 40
    f = lambda x, y: mpmath.exp(mpmath.sin(x * y) / (1 + x**2)) * mpmath.tanh(y)  # noqa: E731
    for k in range(1, 9):
        tensor = np.array(doc["derivatives"][str(k)])
        assert tensor.shape == (2,) * k
        for a in range(k + 1):
            want = float(mpmath.diff(f, (mpmath.mpf(1), mpmath.mpf(2)), (a, k - a)))
            idx = (0,) * a + (1,) * (k - a)
            assert tensor[idx] == pytest.approx(want, rel=1e-9), (k, a)
            assert tensor[idx[::-1]] == tensor[idx]  # symmetric


def test_cli_taylor_mode_against_sympy_symbolic(capsys):
    pytest.importorskip("sympy")
    doc = _cli_json(
        capsys,
        "diff",
        "exp(sin(x*y)/(1+x**2))*tanh(y)",
        "--at",
        "x=1",
        "y=2",
        "--order",
        "3",
        "--method",
        "all",
        "--json",
    )
    taylor, symbolic = doc["methods"]["taylor"], doc["methods"]["symbolic"]
    for k in ("1", "2", "3"):
        np.testing.assert_allclose(taylor["derivatives"][k], symbolic["derivatives"][k], rtol=1e-12)
    assert taylor["error"] < 1e-12  # against reverse mode


def test_cli_picks_the_cheapest_mode(capsys):
    def method(*argv):
        return _cli_json(capsys, "diff", *argv, "--json")["method"]

    assert method("x*y", "--at", "x=1", "y=2", "--order", "2") == "reverse"
    assert method("x*y*z", "--at", "x=1", "y=2", "z=3", "--order", "3") == "reverse"
    assert method("x*y", "--at", "x=1", "y=2", "--order", "3") == "taylor"
    assert method("x*y*z", "--at", "x=1", "y=2", "z=3", "--order", "4") == "taylor"


def test_cli_plot_order_uses_one_taylor_pass(capsys):
    doc = _cli_json(capsys, "plot", "sin(x)**2", "--range", "0:3", "--points", "7", "--order", "6", "--json")
    x = np.array(doc["x"])
    curves = list(doc["curves"].values())
    assert len(curves) == 7
    for k in range(1, 7):
        np.testing.assert_allclose(curves[k], -(2.0 ** (k - 1)) * np.cos(2 * x + k * np.pi / 2), atol=1e-12)


def test_taylor_orders_benchmark_runs_and_checks_agreement():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [
            sys.executable,
            str(root / "benchmarks" / "taylor_orders.py"),
            "--max-order",
            "4",
            "--mixed-order",
            "3",
            "--points",
            "10",
            "--limit",
            "0.5",
        ],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(root), "PATH": ""},
        timeout=120,
    )
    assert out.returncode == 0, out.stderr  # it checks Taylor mode against nested AD before timing
    assert "| 4 |" in out.stdout and "every mixed partial" in out.stdout


def test_linear_and_multilinear_ops_get_their_rule_from_the_declarator():
    from tapegrad.ops import primitives

    kinds = {p.name: taylor_module.declared_kind(p) for p in primitives()}
    assert {kinds[n] for n in ("sum", "reshape", "getitem", "transpose", "broadcast_to", "cumsum")} == {"linear"}
    assert {kinds[n] for n in ("matmul", "tensordot")} == {"multilinear"}
    assert kinds["exp"] is None and kinds["multiply"] is None  # elementwise: a rule of its own
