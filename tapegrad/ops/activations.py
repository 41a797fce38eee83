"""Neural-network activations (tf.nn's), stable in the forward value and in the gradient.

Each forward avoids exp of a large positive number; each derivative is written from values that
stay finite (sigmoid'(x) = s(1 - s), softplus' = sigmoid, softmax' from the softmax itself), so
sigmoid(1000), softplus(1000) = 1000 and softmax of logits near 1000 have finite exact gradients.
Conventions at kinks follow TensorFlow: relu'(0) = 0, relu6' is 1 only for 0 < x < 6,
leaky_relu'(0) = alpha, elu'(0) = selu'(0)/scale = 1 (TF's EluGrad: y < 0 ? y + alpha : 1).
logsumexp lives with the reductions (tg.logsumexp); log_softmax uses the same stable shift.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tapegrad._primitive import defrule, elementwise
from tapegrad._tensor import ops
from tapegrad.batching import along_axes
from tapegrad.ops import series as S
from tapegrad.ops.elementwise import _mask
from tapegrad.ops.reduce import as_axis_param

# fmt: off
__all__ = [
    "sigmoid", "log_sigmoid", "relu", "relu6", "leaky_relu", "elu", "selu", "softplus", "softsign", "silu", "swish",
    "gelu", "softmax", "log_softmax",
]
# fmt: on


def _scalar(out: Any) -> Any:
    """0-d results as NumPy scalars, as the other primitives give them."""
    return out[()] if isinstance(out, np.ndarray) and out.ndim == 0 else out


def _real(x: Any, name: str) -> None:
    """These activations order their input (x > 0, |x|): for complex values they would be wrong."""
    if x.dtype.kind == "c":
        raise TypeError(f"{name} is defined for real values, got {x.dtype}; apply it to tg.real(x) or tg.abs(x)")


# ---- forward values in NumPy ----------------------------------------------------------------------
def _sigmoid(x):
    _real(x, "sigmoid")
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    r = 1 / (1 + e)
    return _scalar(np.where(x >= 0, r, e * r))


def _relu(x):
    _real(x, "relu")
    return np.maximum(x, 0)


def _relu6(x):
    _real(x, "relu6")
    return np.clip(x, 0, 6)


def _leaky_relu(x, alpha=0.2):
    _real(x, "leaky_relu")
    return _scalar(np.where(x > 0, x, alpha * x))


def _elu(x, alpha=1.0):
    _real(x, "elu")
    return _scalar(np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _selu(x):
    _real(x, "selu")
    return _scalar(_SELU_SCALE * np.where(x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0))))


def _softplus(x):
    return np.logaddexp(0, x)  # max(x, 0) + log1p(exp(-|x|)): softplus(1000) = 1000 exactly


def _softsign(x):
    _real(x, "softsign")
    return x / (1 + np.abs(x))


def _silu(x, beta=1.0):
    return x * _sigmoid(beta * x)


_GELU_C = math.sqrt(2 / math.pi)
_GELU_A = 0.044715


def _gelu_tanh(x):
    _real(x, "gelu")
    xc = np.clip(x, -100, 100)  # tanh is exactly +-1 beyond; clipping keeps x**3 from overflowing
    return 0.5 * x * (1 + np.tanh(_GELU_C * (xc + _GELU_A * (xc * xc * xc))))


_erfc = None  # chosen on first use: importing SciPy takes half a second


def _choose_erfc():
    """NumPy has no erfc: SciPy's vectorized one when installed (pip install tapegrad[special]), else
    the standard library's, one element at a time (same values, slower on large arrays)."""
    try:
        from scipy.special import erfc
    except ImportError:
        erfc = np.frompyfunc(math.erfc, 1, 1)
    return erfc


def _normal_cdf(x):
    # erfc keeps the lower tail accurate (1 + erf(x) would cancel)
    global _erfc
    if _erfc is None:
        _erfc = _choose_erfc()
    x = np.asarray(x)
    _real(x, "gelu")
    return _scalar(np.asarray(0.5 * _erfc(-x * (1 / math.sqrt(2))), dtype=x.dtype if x.dtype.kind == "f" else float))


def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


# ---- the rule table: elementwise ones from their derivative d(ans, x) --------------------------------
# (complex=False: they order their input, so their Taylor rules decline complex values too)
_sigmoid_p = elementwise(
    _sigmoid, lambda ans, _x: ans * (1 - ans), name="sigmoid", complex=False, taylor=S.unary(S.sigmoid)
)
# relu'(0) = 0 (TensorFlow)
_relu_p = elementwise(_relu, lambda ans, x: _mask(x > 0, ans), name="relu", complex=False, taylor="linear")
# relu6' = 1 on 0 < x < 6 only (TensorFlow's Relu6Grad)
_relu6_p = elementwise(
    _relu6, lambda ans, x: _mask((x > 0) & (x < 6), ans), name="relu6", complex=False, taylor="linear"
)
# leaky_relu'(0) = alpha (TensorFlow's LeakyReluGrad: x > 0 ? 1 : alpha)
_leaky_relu_p = elementwise(
    _leaky_relu,
    lambda ans, x, alpha=0.2: _mask(x > 0, ans) * (1 - alpha) + alpha,
    name="leaky_relu",
    complex=False,
    taylor="linear",
)


def _elu_taylor(scale: float, alpha_default: float | None):
    """elu and selu: scale * (x if x >= 0 else alpha expm1(x)); x = 0 takes the linear side (TF's EluGrad)."""

    def rule(K, s, ans, x, alpha=alpha_default):
        a, negative, low = S.padded(s[0], K), x < 0, ops.minimum(x, 0.0)
        em = S.padded(S.expm1([low, *a[1:]], K, ops.expm1(low)), K)
        return [ans] + [ops.where(negative, (scale * alpha) * e, scale * c) for e, c in zip(em[1:], a[1:])]

    return rule


# elu'(x) = alpha e^x = ans + alpha for x < 0, and 1 from x = 0 on (TensorFlow's EluGrad)
_elu_p = elementwise(
    _elu,
    lambda ans, x, alpha=1.0: ops.where(x < 0, ans + alpha, ops.ones_like(ans)),
    name="elu",
    complex=False,
    taylor=_elu_taylor(1.0, 1.0),
)
_selu_p = elementwise(
    _selu,
    lambda ans, x: ops.where(x < 0, ans + _SELU_SCALE * _SELU_ALPHA, ops.ones_like(ans) * _SELU_SCALE),
    name="selu",
    complex=False,
    taylor=_elu_taylor(_SELU_SCALE, _SELU_ALPHA),
)
_softplus_p = elementwise(  # softplus' = sigmoid
    _softplus,
    lambda _ans, x: _sigmoid_p(x),
    name="softplus",
    complex=False,
    taylor=lambda K, s, ans, x: S.with_slope(s[0], K, ans, S.sigmoid(s[0], K - 1, ops.sigmoid(x))),
)
_softsign_p = elementwise(  # x / (1 + sign(x0) x) near x0 (at 0, as the JVP's abs'(0) = 0)
    _softsign,
    lambda _ans, x: 1 / ops.square(1 + ops.abs(x)),
    name="softsign",
    complex=False,
    taylor=lambda K, s, ans, x: S.div(s[0], S.add([1.0], S.scale(s[0], ops.sign(x))), K, ans),
)


def _silu_taylor(K, s, ans, x, beta=1.0):  # x * sigmoid(beta x)
    return S.valued(S.mul(s[0], S.sigmoid(S.scale(s[0], beta), K, ops.sigmoid(x * beta)), K), ans)


# silu'(x) = s + beta x s (1 - s) with s = sigmoid(beta x); x s = ans keeps it finite for large |x|
_silu_p = elementwise(
    _silu,
    lambda ans, x, beta=1.0: _silu_slope(ans, _sigmoid_p(x * beta), beta),
    name="silu",
    complex=False,
    taylor=_silu_taylor,
)


def _silu_slope(ans: Any, s: Any, beta: float) -> Any:
    return s + beta * ans * (1 - s)


def _gelu_tanh_slope(_ans: Any, x: Any) -> Any:
    # beyond |x| = 100, th is exactly +-1 and 1 - th**2 exactly 0: clipping changes no value, and keeps
    # x**3 from overflowing (0 * inf = nan)
    xc = ops.clip(x, -100.0, 100.0)
    th = ops.tanh(_GELU_C * (xc + _GELU_A * (xc * xc * xc)))
    return 0.5 * (1 + th) + 0.5 * xc * (1 - th * th) * (_GELU_C * (1 + 3 * _GELU_A * xc * xc))


def _gelu_tanh_taylor(K, s, ans, x):  # 0.5 x (1 + tanh(c (x + a x**3)))
    a = s[0]
    u = S.scale(S.add(a, S.scale(S.int_pow(a, 3, K), _GELU_A)), _GELU_C)
    return S.valued(S.scale(S.mul(a, S.add([1.0], S.tanh(u, K, ops.tanh(u[0]))), K), 0.5), ans)


def _normal_cdf_taylor(K, s, ans, x):  # Phi' = exp(-x**2 / 2) / sqrt(2 pi)
    e = S.scale(S.mul(s[0], s[0], K - 1), -0.5)
    return S.with_slope(s[0], K, ans, S.scale(S.exp(e, K - 1, ops.exp(e[0])), 1 / math.sqrt(2 * math.pi)))


_gelu_tanh_p = elementwise(_gelu_tanh, _gelu_tanh_slope, name="gelu_tanh", complex=False, taylor=_gelu_tanh_taylor)
# the normal density; beyond |x| = 40 it is 0 in every float type, so clipping only prevents x**2 overflow
_normal_cdf_p = elementwise(
    _normal_cdf,
    lambda _ans, x: ops.exp(-0.5 * ops.square(ops.clip(x, -40.0, 40.0))) * (1 / math.sqrt(2 * math.pi)),
    name="normal_cdf",
    complex=False,
    taylor=_normal_cdf_taylor,
)


# ---- softmax and log_softmax ----------------------------------------------------------------------
# softmax's Jacobian diag(s) - s s^T is symmetric: one rule is both the VJP (of g) and the JVP (of t)
def _softmax_d(g, ans, _x, axis=-1):
    return ans * (g - ops.sum(g * ans, axis=axis, keepdims=True))


# d log_softmax = dx - softmax . dx, with softmax = exp(ans) (ans <= 0, so exp never overflows)
def _log_softmax_vjp(g, ans, _x, axis=-1):
    return g - ops.exp(ans) * ops.sum(g, axis=axis, keepdims=True)


def _log_softmax_jvp(t, ans, _x, axis=-1):
    return t - ops.sum(ops.exp(ans) * t, axis=axis, keepdims=True)


_softmax_p = defrule(_softmax, vjps=(_softmax_d,), jvps=(_softmax_d,), name="softmax", complex=True, batch=along_axes)
_log_softmax_p = defrule(
    _log_softmax, vjps=(_log_softmax_vjp,), jvps=(_log_softmax_jvp,), name="log_softmax", batch=along_axes
)


# ---- public functions (tf.nn's names and signatures) ----------------------------------------------
def sigmoid(x: Any, name: str | None = None) -> Any:
    """1 / (1 + exp(-x)), without overflow for large |x| (sigmoid(-1000) = 0, sigmoid(1000) = 1)."""
    return _sigmoid_p(x)


def log_sigmoid(x: Any, name: str | None = None) -> Any:
    """log(sigmoid(x)) = -softplus(-x), finite for large |x|."""
    return -_softplus_p(ops.negative(x))


def relu(x: Any, name: str | None = None) -> Any:
    """max(x, 0); relu'(0) = 0, as in TensorFlow."""
    return _relu_p(x)


def relu6(x: Any, name: str | None = None) -> Any:
    """min(max(x, 0), 6); the gradient is 1 strictly between 0 and 6."""
    return _relu6_p(x)


def leaky_relu(x: Any, alpha: float = 0.2, name: str | None = None) -> Any:
    """x for x > 0, alpha * x otherwise (gradient alpha at 0, as TensorFlow)."""
    return _leaky_relu_p(x, alpha=float(alpha))


def elu(x: Any, alpha: float = 1.0, name: str | None = None) -> Any:
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return _elu_p(x, alpha=float(alpha))


def selu(x: Any, name: str | None = None) -> Any:
    """Scaled ELU with the self-normalizing constants (tf.nn.selu)."""
    return _selu_p(x)


def softplus(x: Any, name: str | None = None) -> Any:
    """log(1 + exp(x)), stable: softplus(1000) = 1000 and its gradient there is 1.0."""
    return _softplus_p(x)


def softsign(x: Any, name: str | None = None) -> Any:
    """x / (1 + |x|)."""
    return _softsign_p(x)


def silu(x: Any, beta: float = 1.0, name: str | None = None) -> Any:
    """x * sigmoid(beta * x) (tf.nn.silu, also called swish)."""
    return _silu_p(x, beta=float(beta))


swish = silu


def gelu(x: Any, approximate: bool = False, name: str | None = None) -> Any:
    """x * Phi(x), Phi the standard normal CDF (tf.nn.gelu; exact by default, as TensorFlow).

    ``approximate=True`` uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3))), which is all NumPy.
    The exact form needs erfc: SciPy's when installed (``tapegrad[special]``), else the standard
    library's one element at a time, which is slower on large arrays.
    """
    if approximate:
        return _gelu_tanh_p(x)
    return ops.multiply(x, _normal_cdf_p(x))


def _softmax_axis(axis: Any) -> Any:
    axis = as_axis_param(axis)
    return -1 if axis is None else axis


def softmax(x: Any, axis: Any = -1, name: str | None = None) -> Any:
    """exp(x) / sum(exp(x)) along ``axis`` (None means the last, as tf.nn.softmax), shifted by the max."""
    return _softmax_p(x, axis=_softmax_axis(axis))


def log_softmax(x: Any, axis: Any = -1, name: str | None = None) -> Any:
    """x - logsumexp(x) along ``axis`` (None means the last), stable for large logits."""
    return _log_softmax_p(x, axis=_softmax_axis(axis))
