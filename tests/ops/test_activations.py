"""Activations: spec rows (reverse, forward, second order where smooth), values against NumPy
closed forms, TensorFlow's conventions at kinks, and stability for arguments near +-1000."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.ops import activations as nn
from tests.ops.spec import UNARY_SHAPES, OpSpec, cases_of, check_spec

AXIS = [((3,),), ((2, 3),), ((2, 3, 2),)]


def _away_from(*kinks: float, gap: float = 0.05):
    """make_args: uniform values in (-8, 8) kept ``gap`` away from each kink."""

    def make(rng, shapes):
        x = rng.uniform(-8, 8, size=shapes[0])
        for k in kinks:
            near = np.abs(x - k) < gap
            x = np.where(near, k + np.copysign(gap, x - k), x)
        return [x]

    return make


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


_erf = np.vectorize(math.erf)

SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

SPECS = [
    OpSpec("sigmoid", nn.sigmoid, UNARY_SHAPES, domain=(-6, 6), reference=_sigmoid),
    OpSpec("log_sigmoid", nn.log_sigmoid, UNARY_SHAPES, ("softplus",), domain=(-6, 6),
           reference=lambda x: np.log(_sigmoid(x))),
    OpSpec("softplus", nn.softplus, UNARY_SHAPES, domain=(-6, 6), reference=lambda x: np.log1p(np.exp(x))),
    OpSpec("softsign", nn.softsign, UNARY_SHAPES, reference=lambda x: x / (1 + np.abs(x))),
    OpSpec("silu", nn.silu, UNARY_SHAPES, domain=(-6, 6), reference=lambda x: x * _sigmoid(x)),
    OpSpec("silu_beta", lambda x: nn.swish(x, beta=1.7), UNARY_SHAPES, ("silu",),
           reference=lambda x: x * _sigmoid(1.7 * x)),
    OpSpec("gelu_tanh", lambda x: nn.gelu(x, approximate=True), UNARY_SHAPES, domain=(-4, 4),
           reference=lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))),
    OpSpec("gelu_exact", nn.gelu, UNARY_SHAPES, ("normal_cdf",), domain=(-4, 4),
           reference=lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    OpSpec("elu", nn.elu, UNARY_SHAPES, make_args=_away_from(0.0), reference=lambda x: np.where(x > 0, x, np.expm1(x))),
    OpSpec("elu_alpha", lambda x: nn.elu(x, alpha=0.5), UNARY_SHAPES, ("elu",), make_args=_away_from(0.0),
           reference=lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    OpSpec("selu", nn.selu, UNARY_SHAPES, make_args=_away_from(0.0),
           reference=lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(x))),
    OpSpec("relu", nn.relu, UNARY_SHAPES, smooth=False, make_args=_away_from(0.0),
           reference=lambda x: np.maximum(x, 0)),
    OpSpec("relu6", nn.relu6, UNARY_SHAPES, smooth=False, make_args=_away_from(0.0, 6.0),
           reference=lambda x: np.clip(x, 0, 6)),
    OpSpec("leaky_relu", nn.leaky_relu, UNARY_SHAPES, smooth=False, make_args=_away_from(0.0),
           reference=lambda x: np.where(x > 0, x, 0.2 * x)),
    OpSpec("leaky_relu_alpha", lambda x: nn.leaky_relu(x, alpha=0.01), UNARY_SHAPES, ("leaky_relu",), smooth=False,
           make_args=_away_from(0.0), reference=lambda x: np.where(x > 0, x, 0.01 * x)),
    # softmax is holomorphic (no ordering, no branch cut): complex rows too
    OpSpec("softmax", nn.softmax, AXIS, reference=_softmax, complex=True),
    OpSpec("softmax_axis0", lambda x: nn.softmax(x, axis=0), AXIS, ("softmax",),
           reference=lambda x: _softmax(x, 0), complex=True),
    OpSpec("softmax_tuple", lambda x: nn.softmax(x, axis=(0, -1)), AXIS[1:], ("softmax",),
           reference=lambda x: _softmax(x, (0, -1))),
    OpSpec("log_softmax", nn.log_softmax, AXIS, reference=lambda x: np.log(_softmax(x))),
    OpSpec("log_softmax_axis1", lambda x: nn.log_softmax(x, axis=1), AXIS[1:], ("log_softmax",),
           reference=lambda x: np.log(_softmax(x, 1))),
]


@pytest.mark.parametrize("spec, shapes", cases_of(SPECS))
def test_spec(spec, shapes):
    check_spec(spec, shapes)


def _grad(f, x, dtype=np.float64):
    x = tg.constant(np.asarray(x, dtype=dtype))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    return y, tape.gradient(y, x)


def _second(f, x):
    x = tg.constant(np.asarray(x, dtype=np.float64))
    with tg.GradientTape() as outer:
        outer.watch(x)
        with tg.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        g = inner.gradient(y, x)
    return g, outer.gradient(g, x)


BIG = [-1000.0, -40.0, 0.0, 40.0, 1000.0]


# ---- stability at large arguments: forward values and gradients finite and exact ---------------------
def test_sigmoid_is_stable():
    y, g = _grad(nn.sigmoid, BIG)
    np.testing.assert_allclose(y.numpy(), [0.0, _sigmoid(-40.0), 0.5, _sigmoid(40.0), 1.0], rtol=1e-15)
    np.testing.assert_allclose(g.numpy(), [0.0, np.exp(-40.0), 0.25, 0.0, 0.0], rtol=1e-12, atol=1e-300)
    g, h = _second(nn.sigmoid, BIG)
    assert np.all(np.isfinite(h.numpy()))


def test_softplus_at_1000_is_exactly_1000_with_gradient_1():
    y, g = _grad(nn.softplus, BIG)
    np.testing.assert_array_equal(y.numpy()[[0, 2, 4]], [0.0, np.log(2.0), 1000.0])
    np.testing.assert_array_equal(g.numpy()[[0, 2, 4]], [0.0, 0.5, 1.0])
    y, g = _grad(nn.softplus, [1000.0], dtype=np.float32)
    assert y.numpy()[0] == np.float32(1000.0) and g.numpy()[0] == np.float32(1.0)
    _, h = _second(nn.softplus, BIG)
    np.testing.assert_allclose(h.numpy()[[0, 2, 4]], [0.0, 0.25, 0.0])


def test_log_sigmoid_is_stable():
    y, g = _grad(nn.log_sigmoid, BIG)
    np.testing.assert_array_equal(y.numpy()[[0, 4]], [-1000.0, 0.0])
    np.testing.assert_array_equal(g.numpy()[[0, 2, 4]], [1.0, 0.5, 0.0])


@pytest.mark.parametrize("f", [nn.silu, nn.gelu, lambda x: nn.gelu(x, approximate=True), nn.elu, nn.selu])
def test_unbounded_activations_are_stable(f):
    y, g = _grad(f, BIG)
    assert np.all(np.isfinite(y.numpy())) and np.all(np.isfinite(g.numpy()))
    slope = 1.0 if f is not nn.selu else SELU_S
    assert g.numpy()[-1] == slope and abs(g.numpy()[0]) < 1e-300
    _, h = _second(f, BIG)
    assert np.all(np.isfinite(h.numpy()))
    y32, g32 = _grad(f, [-1e30, 1e30, 3e38], dtype=np.float32)  # x**3 overflows float32 here
    assert np.all(np.isfinite(g32.numpy())) and y32.dtype == np.float32


def test_softmax_and_log_softmax_of_large_logits():
    logits = [[1000.0, 1000.0, -1000.0], [1000.0, 0.0, 999.0]]
    y = nn.softmax(tg.constant(np.array(logits)))
    np.testing.assert_allclose(y.numpy(), _softmax(np.array(logits)))
    np.testing.assert_allclose(y.numpy()[0], [0.5, 0.5, 0.0])
    _, g = _grad(lambda x: nn.softmax(x)[:, 0], logits)
    np.testing.assert_allclose(g.numpy()[0], [0.25, -0.25, 0.0])
    y, g = _grad(lambda x: nn.log_softmax(x)[0, 2], logits)
    np.testing.assert_allclose(y.numpy(), -2000.0 - np.log(2.0))
    np.testing.assert_allclose(g.numpy(), [[-0.5, -0.5, 1.0], [0.0, 0.0, 0.0]])
    lse = 1000 + np.log1p(np.exp(-1.0))
    np.testing.assert_allclose(nn.log_softmax(tg.constant(np.array(logits))).numpy()[1], [1000 - lse, -lse, 999 - lse])


def test_softmax_axis_none_means_the_last_axis():
    x = tg.constant(np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(nn.softmax(x, axis=None).numpy(), _softmax(x.numpy(), -1))
    np.testing.assert_allclose(nn.log_softmax(x, axis=None).numpy(), np.log(_softmax(x.numpy(), -1)))
    with pytest.raises(ValueError, match="softmax"):
        nn.softmax(x, axis=2)


# ---- conventions at kinks (TensorFlow's) --------------------------------------------------------------
def test_gradients_at_the_kinks_follow_tensorflow():
    _, g = _grad(nn.relu, [-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0, 1.0])  # relu'(0) = 0
    _, g = _grad(nn.relu6, [-1.0, 0.0, 3.0, 6.0, 7.0])
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0, 1.0, 0.0, 0.0])
    _, g = _grad(lambda x: nn.leaky_relu(x, alpha=0.3), [-1.0, 0.0, 2.0])
    np.testing.assert_allclose(g.numpy(), [0.3, 0.3, 1.0])  # leaky_relu'(0) = alpha
    _, g = _grad(lambda x: nn.elu(x, alpha=0.5), [-1.0, 0.0, 2.0])
    np.testing.assert_allclose(g.numpy(), [0.5 * np.exp(-1.0), 1.0, 1.0])  # EluGrad: y < 0 ? y + alpha : 1
    _, g = _grad(nn.selu, [0.0])
    np.testing.assert_allclose(g.numpy(), [SELU_S])


def test_values_against_numpy():
    x = np.linspace(-3, 3, 13)
    t = tg.constant(x)
    np.testing.assert_allclose(nn.gelu(t).numpy(), 0.5 * x * (1 + _erf(x / np.sqrt(2))), rtol=1e-14)
    np.testing.assert_allclose(nn.gelu(tg.constant(np.float64(-10.0))).numpy(),
                               -10 * 0.5 * math.erfc(10 / math.sqrt(2)), rtol=1e-12)  # the lower tail keeps its digits
    np.testing.assert_allclose(nn.silu(t).numpy(), x * _sigmoid(x), rtol=1e-14)
    np.testing.assert_allclose(nn.elu(t, 2.0).numpy(), np.where(x > 0, x, 2 * np.expm1(x)), rtol=1e-14)
    np.testing.assert_allclose(nn.relu6(t * 3).numpy(), np.clip(3 * x, 0, 6))


def test_first_derivatives_against_closed_forms():
    x = np.array([-2.5, -0.3, 0.7, 1.9])
    s = _sigmoid(x)
    for f, d in [
        (nn.sigmoid, s * (1 - s)),
        (nn.softplus, s),
        (nn.silu, s + x * s * (1 - s)),
        (nn.gelu, 0.5 * (1 + _erf(x / np.sqrt(2))) + x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)),
        (nn.softsign, 1 / (1 + np.abs(x)) ** 2),
        (nn.log_sigmoid, 1 - s),
    ]:
        _, g = _grad(f, x)
        np.testing.assert_allclose(g.numpy(), d, rtol=1e-12)


# ---- float32 stays float32 ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "f",
    [nn.sigmoid, nn.relu, nn.softplus, nn.softmax, nn.log_softmax, nn.elu, nn.leaky_relu, nn.gelu,
     lambda x: nn.gelu(x, approximate=True), nn.silu, nn.selu, nn.relu6, nn.softsign, nn.log_sigmoid],
    ids=["sigmoid", "relu", "softplus", "softmax", "log_softmax", "elu", "leaky_relu", "gelu", "gelu_tanh",
         "silu", "selu", "relu6", "softsign", "log_sigmoid"],
)
def test_float32_in_float32_out_and_gradient(f):
    x = tg.constant(np.array([[1.0, -2.0, 3.0], [0.5, -1.0, 4.0]], dtype=np.float32))
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = f(x)
        s = tg.reduce_sum(y * y)
    g = tape.gradient(s, x)
    assert y.dtype == np.float32 and g.dtype == np.float32
    with tg.ForwardAccumulator(x, tg.ones_like(x)) as acc:
        y = f(x)
    assert acc.jvp(y).dtype == np.float32
    scalar = f(tg.constant(np.float32(0.5))) if f not in (nn.softmax, nn.log_softmax) else y
    assert scalar.dtype == np.float32


def test_scalar_results_are_numpy_scalars():
    for f in (nn.sigmoid, nn.elu, nn.leaky_relu, nn.selu, nn.gelu):
        out = f(tg.constant(np.float64(-0.5)))._value
        assert isinstance(out, np.generic), f


def test_exact_gelu_is_the_same_with_or_without_scipy(monkeypatch):
    import math

    from tapegrad.ops import activations

    x = np.linspace(-12.0, 12.0, 97)
    expected = np.array([v * (0.5 * math.erfc(-v * (1 / math.sqrt(2)))) for v in x])
    np.testing.assert_allclose(tg.gelu(tg.constant(x)).numpy(), expected, rtol=1e-12, atol=1e-300)  # SciPy's
    monkeypatch.setattr(activations, "_erfc", np.frompyfunc(math.erfc, 1, 1))  # the standard-library fallback
    np.testing.assert_allclose(tg.gelu(tg.constant(x)).numpy(), expected, rtol=1e-14, atol=0)
