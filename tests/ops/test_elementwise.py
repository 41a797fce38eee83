"""Elementwise rules: every op against central differences, forward vs reverse, second order."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import tapegrad as tg
from tests.ops.spec import BINARY_SHAPES, UNARY_SHAPES, OpSpec, cases_of, check_spec

POSITIVE = (0.3, 2.0)
UNIT = (-0.9, 0.9)


def _apart(rng, shapes):
    """Two arguments whose elements never tie (for maximum/minimum)."""
    x = rng.uniform(-2, 2, size=shapes[0])
    return [x, rng.uniform(-2, 2, size=shapes[1]) + np.where(rng.random(shapes[1]) < 0.5, 0.5, -0.5)]


def _away_from_integers(rng, shapes):
    return [np.floor(rng.uniform(-3, 3, size=s)) + rng.uniform(0.2, 0.8, size=s) for s in shapes]


def _mod_args(rng, shapes):
    """x mod y with x / y kept away from integers, so floor(x / y) is locally constant."""
    y = rng.uniform(0.7, 1.3, size=shapes[1])
    quotient = np.floor(rng.uniform(0.5, 5, size=shapes[0])) + rng.uniform(0.2, 0.8, size=shapes[0])
    return [quotient * y, y]


def _clip_args(rng, shapes):
    x = rng.uniform(-2, 2, size=shapes[0])
    x = np.where(np.abs(np.abs(x) - 1) < 0.2, x + 0.5, x)  # away from the bounds +-1
    return [x, -np.ones(shapes[1]), np.ones(shapes[2])]


def _where_args(rng, shapes):
    return [rng.uniform(-1, 1, size=s) for s in shapes]


def _xlog1py_args(rng, shapes):
    return [rng.uniform(-2, 2, size=shapes[0]), rng.uniform(-0.9, 2, size=shapes[1])]


def _zero_weights(rng, shapes):
    """x with exact zeros, where the value is pinned to 0 but d/dx is still log y."""
    return [np.array([0.0, 0.0, 1.3]), rng.uniform(0.3, 2.0, size=shapes[1])]


SPECS = [
    # arithmetic
    OpSpec("add", lambda x, y: x + y, BINARY_SHAPES, reference=np.add),
    OpSpec("subtract", lambda x, y: x - y, BINARY_SHAPES, reference=np.subtract),
    OpSpec("multiply", lambda x, y: x * y, BINARY_SHAPES, reference=np.multiply),
    OpSpec("divide", lambda x, y: x / y, BINARY_SHAPES, domain=POSITIVE, reference=np.divide),
    OpSpec("negative", lambda x: -x, reference=np.negative),
    OpSpec("power", lambda x, y: x**y, BINARY_SHAPES, domain=POSITIVE, reference=np.power),
    OpSpec("power_int_exponent", lambda x: x**3, primitives=("power",), reference=lambda x: x**3),
    OpSpec("power_two", lambda x: x**2, primitives=("power",), reference=lambda x: x**2),  # its own 2x rule
    OpSpec("power_two_float", lambda x: x**2.0, primitives=("power",), reference=lambda x: x**2.0),
    OpSpec("square", tg.square, reference=np.square),
    OpSpec("reciprocal", tg.reciprocal, domain=POSITIVE, reference=np.reciprocal),
    OpSpec("sqrt", tg.sqrt, domain=POSITIVE, reference=np.sqrt),
    OpSpec("cbrt", tg.cbrt, domain=POSITIVE, reference=np.cbrt),
    OpSpec("floor_divide", lambda x, y: tg.floor_divide(x, y) * x, [((3,), (3,))], make_args=_away_from_integers,
           primitives=("floor_divide",), smooth=False),
    OpSpec("mod", lambda x, y: tg.mod(x, y), [((3,), (3,))], make_args=_mod_args, smooth=False),
    # sign-like: zero derivative almost everywhere
    OpSpec("abs", tg.abs, domain=(0.2, 2.0), reference=np.abs),
    OpSpec("abs_negative", tg.abs, domain=(-2.0, -0.2), primitives=("abs",)),
    OpSpec("sign", lambda x: tg.sign(x) * x, domain=(0.2, 2.0), primitives=("sign",)),
    OpSpec("floor", lambda x: tg.floor(x) + x, make_args=_away_from_integers, primitives=("floor",)),
    OpSpec("ceil", lambda x: tg.ceil(x) + x, make_args=_away_from_integers, primitives=("ceil",)),
    OpSpec("round", lambda x: tg.round(x) + x, make_args=_away_from_integers, primitives=("round",)),
    # exponentials and logarithms
    OpSpec("exp", tg.exp, reference=np.exp),
    OpSpec("expm1", tg.expm1, reference=np.expm1),
    OpSpec("exp2", tg.exp2, reference=np.exp2),
    OpSpec("log", tg.log, domain=POSITIVE, reference=np.log),
    OpSpec("log1p", tg.log1p, domain=(-0.5, 2.0), reference=np.log1p),
    OpSpec("log2", tg.log2, domain=POSITIVE, reference=np.log2),
    OpSpec("log10", tg.log10, domain=POSITIVE, reference=np.log10),
    OpSpec("logaddexp", tg.logaddexp, BINARY_SHAPES, reference=np.logaddexp),
    OpSpec("xlogy", tg.xlogy, BINARY_SHAPES, domain=POSITIVE, reference=lambda x, y: x * np.log(y)),
    OpSpec("xlog1py", tg.xlog1py, BINARY_SHAPES, domain=UNIT, make_args=_xlog1py_args,
           reference=lambda x, y: x * np.log1p(y)),
    OpSpec("xlogy_at_zero_x", tg.xlogy, [((3,), (3,))], ("xlogy",), make_args=_zero_weights,
           reference=lambda x, y: x * np.log(y)),
    OpSpec("xlog1py_at_zero_x", tg.xlog1py, [((3,), (3,))], ("xlog1py",), make_args=_zero_weights,
           reference=lambda x, y: x * np.log1p(y)),
    # trigonometric and hyperbolic
    OpSpec("sin", tg.sin, reference=np.sin),
    OpSpec("cos", tg.cos, reference=np.cos),
    OpSpec("tan", tg.tan, domain=(-1.2, 1.2), reference=np.tan),
    OpSpec("arcsin", tg.arcsin, domain=UNIT, reference=np.arcsin),
    OpSpec("arccos", tg.arccos, domain=UNIT, reference=np.arccos),
    OpSpec("arctan", tg.arctan, reference=np.arctan),
    OpSpec("arctan2", tg.arctan2, BINARY_SHAPES, domain=POSITIVE, reference=np.arctan2),
    OpSpec("sinh", tg.sinh, reference=np.sinh),
    OpSpec("cosh", tg.cosh, reference=np.cosh),
    OpSpec("tanh", tg.tanh, reference=np.tanh),
    OpSpec("arcsinh", tg.arcsinh, reference=np.arcsinh),
    OpSpec("arccosh", tg.arccosh, domain=(1.2, 3.0), reference=np.arccosh),
    # the left half-plane, off the branch cut: 1 / sqrt(z**2 - 1) has the wrong sign there
    OpSpec("arccosh_left_half_plane", lambda z: tg.arccosh(z - (4 + 3j)), domain=(1.2, 3.0), primitives=("arccosh",),
           reference=lambda z: np.arccosh(z - (4 + 3j))),
    OpSpec("arctanh", tg.arctanh, domain=UNIT, reference=np.arctanh),
    # selection
    OpSpec("maximum", tg.maximum, BINARY_SHAPES, make_args=_apart, smooth=False, reference=np.maximum),
    OpSpec("minimum", tg.minimum, BINARY_SHAPES, make_args=_apart, smooth=False, reference=np.minimum),
    OpSpec("clip", tg.clip, [((5,), (), ()), ((2, 3), (3,), ())], make_args=_clip_args, smooth=False,
           reference=np.clip),
    OpSpec("where", lambda c, x, y: tg.where(c > 0, x * x, y), [((4,), (4,), (4,)), ((2, 3), (3,), ())],
           make_args=_where_args, smooth=True),
    OpSpec("hypot", tg.hypot, BINARY_SHAPES, domain=POSITIVE, reference=np.hypot),
    # complex parts (also given real arguments: real(x) = conj(x) = x, imag(x) = 0, angle(x) is 0 or pi)
    OpSpec("real", tg.real, reference=np.real),
    OpSpec("imag", tg.imag, reference=np.imag),
    OpSpec("conj", tg.conj, reference=np.conj),
    OpSpec("angle", tg.angle, reference=np.angle),
    OpSpec("abs_of_complex_product", lambda x: tg.abs(x * (1 + 1j)), primitives=("abs",),
           reference=lambda x: np.abs(x * (1 + 1j))),
    OpSpec("abs_squared_of_square", lambda z: tg.abs(z * z) ** 2, primitives=("abs",),
           reference=lambda z: np.abs(z * z) ** 2),
]

# Rows also checked with complex arguments, along the real and the imaginary directions: every
# holomorphic op (whose real rules serve complex values unchanged), and those that are not (abs,
# the complex parts), whose rules say how the real and imaginary parts move.
HOLOMORPHIC = (
    "add", "subtract", "multiply", "divide", "negative", "power", "power_int_exponent", "power_two",
    "power_two_float", "square", "reciprocal", "sqrt", "exp", "expm1", "exp2", "log", "log1p", "log2", "log10",
    "xlogy", "xlog1py", "xlogy_at_zero_x", "xlog1py_at_zero_x", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
    "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arccosh_left_half_plane", "arctanh", "where",
)
NOT_HOLOMORPHIC = ("abs", "abs_negative", "real", "imag", "conj", "angle", "abs_squared_of_square")
SPECS = [replace(s, complex=True) if s.name in HOLOMORPHIC + NOT_HOLOMORPHIC else s for s in SPECS]


@pytest.mark.parametrize("spec, shapes", cases_of(SPECS))
def test_rule(spec, shapes):
    check_spec(spec, shapes)


def test_unary_shapes_cover_scalar_vector_matrix():
    assert [s[0] for s in UNARY_SHAPES] == [(), (3,), (2, 3)]


# ---- conventions at kinks and ties (TensorFlow's) ----------------------------------------------------
def grad_of(f, *values):
    xs = [tg.constant(np.asarray(v, dtype=np.float64)) for v in values]
    with tg.GradientTape() as tape:
        tape.watch(xs)
        y = f(*xs)
    return [None if g is None else g.numpy() for g in tape.gradient(y, xs)]


def test_abs_has_zero_gradient_at_zero():
    assert grad_of(tg.abs, [0.0, -1.0, 2.0])[0].tolist() == [0.0, -1.0, 1.0]


def test_maximum_gives_ties_to_the_first_argument():
    gx, gy = grad_of(tg.maximum, [1.0, 2.0], [1.0, 3.0])
    assert gx.tolist() == [1.0, 0.0] and gy.tolist() == [0.0, 1.0]


def test_minimum_gives_ties_to_the_first_argument():
    gx, gy = grad_of(tg.minimum, [1.0, 2.0], [1.0, 3.0])
    assert gx.tolist() == [1.0, 1.0] and gy.tolist() == [0.0, 0.0]


def test_clip_passes_the_gradient_on_the_bounds():
    gx, glo, ghi = grad_of(tg.clip, [-2.0, -1.0, 0.0, 1.0, 2.0], -1.0, 1.0)
    assert gx.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    assert glo == 1.0 and ghi == 1.0


def test_power_gradient_wrt_exponent_is_finite_at_zero_base():
    gx, gy = grad_of(lambda x, y: x**y, [0.0, 2.0], [2.0, 3.0])
    assert gx.tolist() == [0.0, 12.0]
    np.testing.assert_allclose(gy, [0.0, 8 * np.log(2.0)])


def test_hypot_gradient_is_zero_at_the_origin():
    gx, gy = grad_of(tg.hypot, [0.0], [0.0])
    assert gx.tolist() == [0.0] and gy.tolist() == [0.0]


def test_sign_floor_round_give_zero_gradient_not_none():
    for f in (tg.sign, tg.floor, tg.ceil, tg.round):
        assert grad_of(f, [0.3, 1.7])[0].tolist() == [0.0, 0.0]


def test_float32_in_gives_float32_out_and_float32_gradient():
    x = tg.constant([0.5, 1.5])
    assert x.dtype == np.float32
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.exp(x) * 2.0 + tg.sin(x) / 3 - x**2
    g = tape.gradient(y, x)
    assert y.dtype == np.float32 and g.dtype == np.float32
    expected = np.exp([0.5, 1.5]) * 2 + np.cos([0.5, 1.5]) / 3 - 2 * np.array([0.5, 1.5])
    np.testing.assert_allclose(g.numpy(), expected, rtol=1e-6)


def test_float64_numpy_constant_does_not_upcast_a_float32_tensor():
    x = tg.constant([1.0, 2.0])
    y = x * np.array([0.1, 0.2])
    assert y.dtype == np.float32
