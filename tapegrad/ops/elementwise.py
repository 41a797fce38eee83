"""Elementwise ops: one line each, the NumPy forward and the partial derivative(s) d(ans, *args).

``elementwise`` turns the partials into both the VJP (unbroadcast(g * d)) and the JVP (t * d).
Partials are written in tapegrad ops, so they are differentiable again (higher order).
Conventions at kinks follow TensorFlow: abs'(0) = 0, relu'(0) = 0, maximum gives ties to its
first argument and minimum likewise, clip passes the gradient where lo <= x <= hi.
"""

from __future__ import annotations

import cmath
import math
import operator

import numpy as np

from tapegrad import _backend
from tapegrad._primitive import defrule, elementwise, linear, rule_reads, unbroadcast
from tapegrad._tensor import ops
from tapegrad.batching import broadcasting
from tapegrad.ops import series as S
from tapegrad.taylor import real_only

# fmt: off
__all__ = [
    "add", "subtract", "negative", "multiply", "divide", "power", "floor_divide", "mod", "square", "reciprocal",
    "sqrt", "cbrt", "abs", "sign", "floor", "ceil", "round", "exp", "expm1", "exp2", "log", "log1p", "log2",
    "log10", "logaddexp", "xlogy", "xlog1py", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "sinh",
    "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "maximum", "minimum", "clip", "where", "hypot", "real", "imag",
    "conj", "angle",
]
# fmt: on


def _mask(condition, like):
    """A 0/1 array of ``like``'s dtype from a boolean condition (not differentiable)."""
    return ops.cast(condition, like.dtype)


def _zero(ans, *_args):
    return ops.zeros_like(ans)


# ---- arithmetic --------------------------------------------------------------------------------
# The Python operators compute exactly what the ufuncs do, but reach NumPy's scalar fast paths
# (np.multiply on two scalars costs 10x operator.mul); NUMPY_UFUNCS maps the ufuncs to these ops.
_NOTHING = (frozenset(), False)
add = defrule(
    operator.add,
    vjps=(lambda g, ans, x, y: unbroadcast(g, x), lambda g, ans, x, y: unbroadcast(g, y)),
    jvps=(lambda t, ans, x, y: t, lambda t, ans, x, y: t),
    name="add",
    complex=True,
    taylor="linear",
    reads=(_NOTHING, _NOTHING),  # unbroadcast reads only shapes and dtypes
    float_out=True,
    array_scalars=True,
    batch=broadcasting,
    partials=(1, 1),
)
subtract = defrule(
    operator.sub,
    vjps=(lambda g, ans, x, y: unbroadcast(g, x), lambda g, ans, x, y: unbroadcast(-g, y)),
    jvps=(lambda t, ans, x, y: t, lambda t, ans, x, y: -t),
    name="subtract",
    complex=True,
    taylor="linear",
    reads=(_NOTHING, _NOTHING),
    float_out=True,
    array_scalars=True,
    batch=broadcasting,
    partials=(1, -1),
)
_NEGATE = (lambda g, _ans, _x: -g,)
negative = defrule(
    operator.neg,
    vjps=_NEGATE,
    jvps=_NEGATE,
    name="negative",
    complex=True,
    float_out=True,
    batch=broadcasting,
    taylor="linear",
    partials=(-1,),
)
multiply = elementwise(
    operator.mul,
    lambda _ans, _x, y: y,
    lambda _ans, x, _y: x,
    name="multiply",
    array_scalars=True,
    taylor=S.binary(S.mul),
)


def _divide_dx(_ans, x, y):
    if (y.__class__ is float or y.__class__ is int) and not y:  # x / 0.0: inf as the forward, no ZeroDivisionError
        return _ans.dtype.type(math.copysign(math.inf, y) if y.__class__ is float else math.inf)
    return 1 / y


divide = elementwise(
    operator.truediv, _divide_dx, lambda ans, _x, y: -ans / y, name="divide", array_scalars=True, taylor=S.binary(S.div)
)


# d/dy x**y = x**y log x, taken as 0 where x <= 0 (TensorFlow's convention: no false nan at x = 0)
def _power_dx(_ans, x, y):
    if y.__class__ is int or y.__class__ is float:
        if y == 2:  # x**2 (as JAX's integer_pow): 2x, one op
            return 2 * x
        if y == 0:  # x**0 is constant: 0, not 0 * 0**-1 = nan at x = 0
            return ops.zeros_like(x)
        return y * x ** (y - 1)
    # where y is 0 the derivative is 0; x is replaced there (the double-where) so that no inf from
    # 0**-1 reaches this value or its own derivatives
    zero = y == 0
    return ops.where(zero, 0, y * ops.where(zero, 1, x) ** (y - 1))


def _power_dy(ans, x, y):
    # d/dy x**y = x**y log x: for real x taken as 0 where x <= 0, for complex x the principal log
    # (0 at x = 0); the double where keeps log's singular point out of every order of derivative
    if x.__class__ in (int, float, complex):  # a Python base (2.0 ** t): a constant log
        if x.__class__ is complex:
            return ans * (cmath.log(x) if x else 0)
        return ans * (math.log(x) if x > 0 else 0)
    inside = x > 0 if _backend.kind(x.dtype) != "c" else x != 0
    return ans * ops.where(inside, ops.log(ops.where(inside, x, 1)), 0)


def _power_taylor(K, s, ans, x, c):
    base, exponent = s
    if len(exponent) > 1:  # x(t) ** c(t) = exp(c log x), for x > 0 (else the exact fallback)
        return None if S.has_nonpositive(x) else S.exp(S.mul(exponent, S.log(base, K, ops.log(x)), K), K, ans)
    c_raw = np.asarray(S.raw(c))
    if c_raw.ndim == 0 and float(c_raw).is_integer() and 1 <= abs(float(c_raw)) <= 64:
        n = int(c_raw)
        if n == 2:
            return S.square(base, K, ans)
        out = S.int_pow(base, abs(n), K)
        return S.valued(out if n > 0 else S.div([ops.ones_like(ans)], out, K), ans)
    if c_raw.ndim == 0 and float(c_raw) == 0:
        return [ans]
    return None if S.has_zero(x) else S.pow(base, c, K, ans)


power = elementwise(operator.pow, _power_dx, _power_dy, name="power", taylor=_power_taylor)
# floor, mod, sign, ...: linear where differentiable (taylor="linear": each coefficient through the JVP)
floor_divide = elementwise(operator.floordiv, _zero, _zero, name="floor_divide", complex=False, taylor="linear")
mod = elementwise(
    operator.mod,
    lambda ans, _x, _y: ops.ones_like(ans),
    lambda _ans, x, y: -ops.floor_divide(x, y),
    name="mod",
    complex=False,
    taylor="linear",
)
square = elementwise(np.square, lambda _ans, x: 2 * x, name="square", taylor=S.unary(S.square))
reciprocal = elementwise(np.reciprocal, lambda ans, _x: -(ans * ans), name="reciprocal", taylor=S.unary(S.reciprocal))
sqrt = elementwise(np.sqrt, lambda ans, _x: 0.5 / ans, name="sqrt", taylor=S.unary(S.sqrt, singular_at_zero=True))
cbrt = elementwise(
    np.cbrt,
    lambda ans, _x: 1 / (3 * ans * ans),
    name="cbrt",
    complex=False,
    taylor=S.unary(S.cbrt, singular_at_zero=True),
)


# ---- sign-like (zero derivative almost everywhere, so gradient 0 rather than None) -------------------
def _abs_d(ans, x):
    if _backend.kind(x.dtype) == "c":
        # |z| is not holomorphic: d|z| = Re(conj(z) dz) / |z|. The VJP g * conj(z) / |z| is the rule's
        # transpose; the JVP t * conj(z) / |z| is made real by the cast to the output's dtype. 0 at z = 0.
        return ops.conj(x) / ops.where(ans == 0, 1, ans)
    return ops.sign(x)


def _sign_d(ans, _x):
    if _backend.kind(_x.dtype) == "c":
        raise NotImplementedError("tg.sign of complex values (z / |z|) has no derivative rule; write x / tg.abs(x)")
    return ops.zeros_like(ans)


abs = elementwise(np.abs, _abs_d, name="abs", taylor=real_only("linear"))  # noqa: A001
sign = elementwise(np.sign, _sign_d, name="sign", complex=False, taylor="linear")
floor = elementwise(np.floor, _zero, name="floor", complex=False, taylor="linear")
ceil = elementwise(np.ceil, _zero, name="ceil", complex=False, taylor="linear")
round = elementwise(np.round, _zero, name="round", complex=False, taylor="linear")  # noqa: A001

# ---- exponentials and logarithms ---------------------------------------------------------------
exp = elementwise(np.exp, lambda ans, _x: ans, name="exp", taylor=S.unary(S.exp))
expm1 = elementwise(np.expm1, lambda ans, _x: ans + 1, name="expm1", taylor=S.unary(S.expm1))
exp2 = elementwise(np.exp2, lambda ans, _x: ans * math.log(2), name="exp2", taylor=real_only(S.unary(S.exp2)))
log = elementwise(np.log, lambda _ans, x: 1 / x, name="log", taylor=S.unary(S.log))
log1p = elementwise(np.log1p, lambda _ans, x: 1 / (1 + x), name="log1p", taylor=S.unary(S.log1p))
log2 = elementwise(np.log2, lambda _ans, x: 1 / (x * math.log(2)), name="log2", taylor=S.log_base(math.log(2)))
log10 = elementwise(np.log10, lambda _ans, x: 1 / (x * math.log(10)), name="log10", taylor=S.log_base(math.log(10)))


def _logaddexp_taylor(K, s, ans, x, y):
    # d/dt logaddexp(x, y) = sigmoid(y - x) y' + sigmoid(x - y) x' = x' + sigmoid(y - x) (y - x)'
    d = S.add(s[1], S.neg(s[0]))
    sig = S.sigmoid(d, K - 1, ops.exp(y - ans))
    rest = S.integrate(S.mul(sig, S.deriv(d), K - 1), 0 * ans, K)
    return S.valued(S.add(S.padded(s[0], K), rest), ans)


logaddexp = elementwise(
    np.logaddexp,
    lambda ans, x, _y: ops.exp(x - ans),
    lambda ans, _x, y: ops.exp(y - ans),
    name="logaddexp",
    complex=False,
    taylor=_logaddexp_taylor,
)


# x log y and x log1p y, 0 wherever x = 0 (even where log y is -inf or nan), as scipy.special.xlogy
# and tf.math.xlogy: entropies and log-likelihoods with zero weights. d/dy = x / y is exactly 0 at
# x = 0; d/dx = log y, taken as 0 where x = 0 and y = 0 (TensorFlow's choice: the one-sided limit is
# -inf). The y replaced there (the double-where) keeps every order of derivative finite.
def _x_times(log, x, y):
    dtype = np.result_type(x, y)  # Python numbers are weak, as in the other binary ops
    if dtype.kind not in "fc":
        dtype = np.result_type(dtype, np.float64)
    x, y = np.asarray(x, dtype), np.asarray(y, dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(x == 0, np.zeros((), dtype), x * log(y))
    return out[()] if out.ndim == 0 else out


def _xlogy(x, y):
    return _x_times(np.log, x, y)


def _xlog1py(x, y):
    return _x_times(np.log1p, x, y)


def _safe_y(x, y, pole):
    """y, with 1 + pole where both x = 0 and y = pole (log's singular point), so no inf appears there."""
    return ops.where((x == 0) & (y == pole), pole + 1, y)


def _x_times_log_taylor(shift: float):
    """x log(shift + y), where shift + y > 0 everywhere (else the exact fallback, which keeps the
    conventions where x = 0 and y is log's singular point)."""

    def rule(K, s, ans, x, y):
        inner = S.add([shift], s[1]) if shift else s[1]
        if S.has_nonpositive(inner[0]):
            return None
        return S.mul(s[0], S.log(inner, K, ops.log(inner[0])), K, ans)

    return real_only(rule)


xlogy = elementwise(
    _xlogy,
    lambda ans, x, y: ops.log(_safe_y(x, y, 0)),
    lambda ans, x, y: x / _safe_y(x, y, 0),
    name="xlogy",
    taylor=_x_times_log_taylor(0.0),
)
xlog1py = elementwise(
    _xlog1py,
    lambda ans, x, y: ops.log1p(_safe_y(x, y, -1)),
    lambda ans, x, y: x / (1 + _safe_y(x, y, -1)),
    name="xlog1py",
    taylor=_x_times_log_taylor(1.0),
)

# ---- trigonometric and hyperbolic ----------------------------------------------------------------
sin = elementwise(np.sin, lambda _ans, x: ops.cos(x), name="sin", taylor=S.unary(S.sin))
cos = elementwise(np.cos, lambda _ans, x: -ops.sin(x), name="cos", taylor=S.unary(S.cos))
tan = elementwise(np.tan, lambda ans, _x: 1 + ans * ans, name="tan", taylor=S.unary(S.tan))
# the inverse functions: y' = a' / (1 - a**2) and the like (S.inverse_slope)
arcsin = elementwise(
    np.arcsin, lambda _ans, x: 1 / ops.sqrt(1 - x * x), name="arcsin", taylor=S.inverse_slope(1.0, S.one_minus_square)
)
arccos = elementwise(
    np.arccos, lambda _ans, x: -1 / ops.sqrt(1 - x * x), name="arccos", taylor=S.inverse_slope(-1.0, S.one_minus_square)
)
arctan = elementwise(
    np.arctan,
    lambda _ans, x: 1 / (1 + x * x),
    name="arctan",
    taylor=S.inverse_slope(1.0, S.one_plus_square, root=False),
)


def _arctan2_taylor(K, s, ans, y, x):
    ys, xs = s
    r2 = S.add(S.mul(xs, xs, K - 1), S.mul(ys, ys, K - 1))
    if S.has_zero(r2[0]):
        return None
    num = S.add(S.mul(xs, S.deriv(ys), K - 1), S.neg(S.mul(ys, S.deriv(xs), K - 1)))
    return S.integrate(S.div(num, r2, K - 1), ans, K) if num else [ans]


arctan2 = elementwise(
    np.arctan2,
    lambda _ans, y, x: x / (x * x + y * y),
    lambda _ans, y, x: -y / (x * x + y * y),
    name="arctan2",
    complex=False,
    taylor=_arctan2_taylor,
)
sinh = elementwise(np.sinh, lambda _ans, x: ops.cosh(x), name="sinh", taylor=S.unary(S.sinh))
cosh = elementwise(np.cosh, lambda _ans, x: ops.sinh(x), name="cosh", taylor=S.unary(S.cosh))


def _tanh_vjp(g, ans, x):
    if g.__class__ is np.ndarray and ans.__class__ is np.ndarray and g.shape == ans.shape and g.dtype == ans.dtype:
        # plain NumPy values (nothing records this pass): g * (1 - ans**2) with one temporary, not three
        d = np.multiply(ans, ans)
        np.subtract(1, d, out=d)
        return np.multiply(g, d, out=d)
    return unbroadcast(g * (1 - ans * ans), x)


tanh = elementwise(np.tanh, lambda ans, _x: 1 - ans * ans, name="tanh", vjp=_tanh_vjp, taylor=S.unary(S.tanh))
arcsinh = elementwise(
    np.arcsinh, lambda _ans, x: 1 / ops.sqrt(x * x + 1), name="arcsinh", taylor=S.inverse_slope(1.0, S.one_plus_square)
)


def _arccosh_d(_ans, x):
    # 1 / sqrt(x**2 - 1) for real x >= 1; for complex x it has the wrong sign where Re x < 0: arccosh's
    # principal branch has the slope 1 / (sqrt(x - 1) sqrt(x + 1))
    if _backend.kind(x.dtype) == "c":
        return 1 / (ops.sqrt(x - 1) * ops.sqrt(x + 1))
    return 1 / ops.sqrt(x * x - 1)


arccosh = elementwise(np.arccosh, _arccosh_d, name="arccosh", taylor=S.inverse_slope(1.0, S.square_minus_one))
arctanh = elementwise(
    np.arctanh,
    lambda _ans, x: 1 / (1 - x * x),
    name="arctanh",
    taylor=S.inverse_slope(1.0, S.one_minus_square, root=False),
)


# ---- selection -----------------------------------------------------------------------------------
def _selected(condition, g, like):
    """``g`` where ``condition`` holds, else 0, in the dtype of ``g * like``: a select, not a product
    with a 0/1 mask, so an inf or nan cotangent (tangent) where the op did not take this argument
    gives 0, as TensorFlow's and JAX's select gradients do (``sqrt(maximum(x, 0))`` at x < 0)."""
    return ops.where(condition, g, ops.zeros_like(like))


def _selecting(impl, *conditions, name, **flags):
    """An op that passes argument i through where ``conditions[i](*args)`` holds (None: the argument
    has no derivative); its VJP and JVP select the cotangent (tangent) there. The records keep the
    arguments a condition names (``_x``: not read) and ans (its dtype and shape, for the JVP)."""

    def vjp(i, cond):
        return lambda g, ans, *args: unbroadcast(_selected(cond(*args), g, g), args[i])

    def jvp(cond):
        return lambda t, ans, *args: _selected(cond(*args), t, ans)

    reads = tuple(_NOTHING if c is None else (rule_reads(c, 0)[0], True) for c in conditions)
    return defrule(
        impl,
        vjps=tuple(None if c is None else vjp(i, c) for i, c in enumerate(conditions)),
        jvps=tuple(None if c is None else jvp(c) for c in conditions),
        name=name,
        reads=reads,
        batch=broadcasting,
        **flags,
    )


# ties go to the first argument (TensorFlow)
_FLOATS = {"float_out": True, "taylor": "linear"}
maximum = _selecting(np.maximum, lambda x, y: x >= y, lambda x, y: x < y, name="maximum", **_FLOATS)
minimum = _selecting(np.minimum, lambda x, y: x <= y, lambda x, y: x > y, name="minimum", **_FLOATS)
clip = _selecting(
    np.clip,
    lambda x, lo, hi: (x >= lo) & (x <= hi),
    lambda x, lo, _hi: x < lo,
    lambda x, _lo, hi: x > hi,
    name="clip",
    **_FLOATS,
)
where = _selecting(
    np.where,
    None,
    lambda c, _x, _y: c,
    lambda c, _x, _y: ops.logical_not(c),
    name="where",
    complex=True,
    float_out=False,  # a floating condition with integer branches gives integers
    taylor=real_only("linear"),
    doc="""where(condition, x, y): x where condition holds, else y (np.where, tf.where).

The gradient flows to x where the condition holds and to y elsewhere; the condition has none.

The NaN trap: ``tg.where(x > 0, tg.log(x), 0)`` has the right value but a NaN gradient at x <= 0.
Both branches are computed everywhere, and the masked branch's derivative is multiplied by the
zero cotangent: 0 * (1/0) = 0 * inf = NaN (the same in TensorFlow and JAX). The fix is the
double where: make the masked input harmless before the unsafe op,

    safe = tg.where(x > 0, x, 1.0)
    y = tg.where(x > 0, tg.log(safe), 0.0)

For x log y with 0 at x = 0 use ``tg.xlogy`` (``tg.xlog1py`` for x log(1 + y)).
""",
)
# hypot'(0, 0) is taken as 0 (not nan), like the norm at 0
hypot = elementwise(
    np.hypot,
    lambda ans, x, _y: x / ops.where(ans == 0, 1, ans),
    lambda ans, _x, y: y / ops.where(ans == 0, 1, ans),
    name="hypot",
    complex=False,
    taylor=lambda K, s, ans, x, y: (
        None if S.has_zero(ans) else S.sqrt(S.add(S.mul(s[0], s[0], K), S.mul(s[1], s[1], K)), K, ans)
    ),
)


# ---- complex parts ----------------------------------------------------------------------------------
# Complex numbers follow one convention (see tapegrad.backward.finish): every rule is the transpose
# of its JVP for the bilinear pairing Re(sum(a * b)), so holomorphic ops keep their real rules and
# only the ops below, which are not holomorphic, say how real and imaginary parts move.
def _to_input(g, x):
    """A real cotangent as one for ``x`` (complex when x is): the transpose of taking a real part."""
    return ops.cast(g, x.dtype) if x.dtype.kind == "c" else g


def _abs2(x):
    return ops.real(x * ops.conj(x))


real = linear(np.real, lambda g, _ans, x: _to_input(g, x), name="real", batch=broadcasting, float_out=True)
imag = linear(  # Im z = Re(-i z): its transpose takes g to -i g (and to 0 for a real input)
    np.imag,
    lambda g, _ans, x: _to_input(g, x) * -1j if x.dtype.kind == "c" else g * 0,
    name="imag",
    batch=broadcasting,
    float_out=True,
)
conj = linear(np.conj, lambda g, _ans, _x: conj(g), name="conj", batch=broadcasting, float_out=True)


def _angle_vjp(g, _ans, x):
    if x.dtype.kind != "c":
        return g * 0  # 0 or pi: constant for real values
    return g * -1j * ops.conj(x) / _abs2(x)  # d angle = Im(conj(z) dz) / |z|^2


def _angle_jvp(t, _ans, x):
    if x.dtype.kind != "c":
        return t * 0
    return imag(ops.conj(x) * t) / _abs2(x)


angle = defrule(
    np.angle,
    vjps=(_angle_vjp,),
    jvps=(_angle_jvp,),
    name="angle",
    complex=True,
    batch=broadcasting,
    float_out=True,
    taylor=real_only("linear"),
)

NUMPY_UFUNCS = {
    np.add: add,
    np.subtract: subtract,
    np.negative: negative,
    np.multiply: multiply,
    np.divide: divide,
    np.power: power,
    np.floor_divide: floor_divide,
    np.mod: mod,
    np.conjugate: conj,
}
