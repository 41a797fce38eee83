"""Elementwise ops: one line each, the NumPy forward and the partial derivative(s) d(ans, *args).

``elementwise`` turns the partials into both the VJP (unbroadcast(g * d)) and the JVP (t * d).
Partials are written in tapegrad ops, so they are differentiable again (higher order).
Conventions at kinks follow TensorFlow: abs'(0) = 0, relu'(0) = 0, maximum gives ties to its
first argument and minimum likewise, clip passes the gradient where lo <= x <= hi.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from tapegrad._primitive import defrule, elementwise, unbroadcast
from tapegrad._tensor import ops
from tapegrad.batching import broadcasting

__all__ = [
    "add",
    "subtract",
    "negative",
    "multiply",
    "divide",
    "power",
    "floor_divide",
    "mod",
    "square",
    "reciprocal",
    "sqrt",
    "cbrt",
    "abs",
    "sign",
    "floor",
    "ceil",
    "round",
    "exp",
    "expm1",
    "exp2",
    "log",
    "log1p",
    "log2",
    "log10",
    "logaddexp",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "arctan2",
    "sinh",
    "cosh",
    "tanh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "maximum",
    "minimum",
    "clip",
    "where",
    "hypot",
]



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
    reads=(_NOTHING, _NOTHING),  # unbroadcast reads only shapes and dtypes
    float_out=True,
    array_scalars=True,
    batch=broadcasting,
)
subtract = defrule(
    operator.sub,
    vjps=(lambda g, ans, x, y: unbroadcast(g, x), lambda g, ans, x, y: unbroadcast(-g, y)),
    jvps=(lambda t, ans, x, y: t, lambda t, ans, x, y: -t),
    name="subtract",
    reads=(_NOTHING, _NOTHING),
    float_out=True,
    array_scalars=True,
    batch=broadcasting,
)
_NEGATE = (lambda g, _ans, _x: -g,)
negative = defrule(operator.neg, vjps=_NEGATE, jvps=_NEGATE, name="negative", float_out=True, batch=broadcasting)
multiply = elementwise(operator.mul, lambda _ans, _x, y: y, lambda _ans, x, _y: x, name="multiply", array_scalars=True)
divide = elementwise(
    operator.truediv, lambda _ans, _x, y: 1 / y, lambda ans, _x, y: -ans / y, name="divide", array_scalars=True
)
# d/dy x**y = x**y log x, taken as 0 where x <= 0 (TensorFlow's convention: no false nan at x = 0)
def _power_dx(_ans, x, y):
    if (y.__class__ is int or y.__class__ is float) and y == 2:  # x**2 (as JAX's integer_pow): 2x, one op
        return 2 * x
    return y * x ** (y - 1)


power = elementwise(
    operator.pow,
    _power_dx,
    lambda ans, x, _y: ans * ops.where(x > 0, ops.log(ops.where(x > 0, x, 1)), 0),
    name="power",
)
floor_divide = elementwise(operator.floordiv, _zero, _zero, name="floor_divide")
mod = elementwise(
    operator.mod, lambda ans, _x, _y: ops.ones_like(ans), lambda _ans, x, y: -ops.floor_divide(x, y), name="mod"
)
square = elementwise(np.square, lambda _ans, x: 2 * x, name="square")
reciprocal = elementwise(np.reciprocal, lambda ans, _x: -(ans * ans), name="reciprocal")
sqrt = elementwise(np.sqrt, lambda ans, _x: 0.5 / ans, name="sqrt")
cbrt = elementwise(np.cbrt, lambda ans, _x: 1 / (3 * ans * ans), name="cbrt")

# ---- sign-like (zero derivative almost everywhere, so gradient 0 rather than None) -------------------
abs = elementwise(np.abs, lambda _ans, x: ops.sign(x), name="abs")  # noqa: A001
sign = elementwise(np.sign, _zero, name="sign")
floor = elementwise(np.floor, _zero, name="floor")
ceil = elementwise(np.ceil, _zero, name="ceil")
round = elementwise(np.round, _zero, name="round")  # noqa: A001

# ---- exponentials and logarithms ---------------------------------------------------------------
exp = elementwise(np.exp, lambda ans, _x: ans, name="exp")
expm1 = elementwise(np.expm1, lambda ans, _x: ans + 1, name="expm1")
exp2 = elementwise(np.exp2, lambda ans, _x: ans * math.log(2), name="exp2")
log = elementwise(np.log, lambda _ans, x: 1 / x, name="log")
log1p = elementwise(np.log1p, lambda _ans, x: 1 / (1 + x), name="log1p")
log2 = elementwise(np.log2, lambda _ans, x: 1 / (x * math.log(2)), name="log2")
log10 = elementwise(np.log10, lambda _ans, x: 1 / (x * math.log(10)), name="log10")
logaddexp = elementwise(
    np.logaddexp, lambda ans, x, _y: ops.exp(x - ans), lambda ans, _x, y: ops.exp(y - ans), name="logaddexp"
)

# ---- trigonometric and hyperbolic ----------------------------------------------------------------
sin = elementwise(np.sin, lambda _ans, x: ops.cos(x), name="sin")
cos = elementwise(np.cos, lambda _ans, x: -ops.sin(x), name="cos")
tan = elementwise(np.tan, lambda ans, _x: 1 + ans * ans, name="tan")
arcsin = elementwise(np.arcsin, lambda _ans, x: 1 / ops.sqrt(1 - x * x), name="arcsin")
arccos = elementwise(np.arccos, lambda _ans, x: -1 / ops.sqrt(1 - x * x), name="arccos")
arctan = elementwise(np.arctan, lambda _ans, x: 1 / (1 + x * x), name="arctan")
arctan2 = elementwise(
    np.arctan2, lambda _ans, y, x: x / (x * x + y * y), lambda _ans, y, x: -y / (x * x + y * y), name="arctan2"
)
sinh = elementwise(np.sinh, lambda _ans, x: ops.cosh(x), name="sinh")
cosh = elementwise(np.cosh, lambda _ans, x: ops.sinh(x), name="cosh")


def _tanh_vjp(g, ans, x):
    if g.__class__ is np.ndarray and ans.__class__ is np.ndarray and g.shape == ans.shape and g.dtype == ans.dtype:
        # plain NumPy values (nothing records this pass): g * (1 - ans**2) with one temporary, not three
        d = np.multiply(ans, ans)
        np.subtract(1, d, out=d)
        return np.multiply(g, d, out=d)
    return unbroadcast(g * (1 - ans * ans), x)


tanh = elementwise(np.tanh, lambda ans, _x: 1 - ans * ans, name="tanh", vjp=_tanh_vjp)  # MLPs' hot activation
arcsinh = elementwise(np.arcsinh, lambda _ans, x: 1 / ops.sqrt(x * x + 1), name="arcsinh")
arccosh = elementwise(np.arccosh, lambda _ans, x: 1 / ops.sqrt(x * x - 1), name="arccosh")
arctanh = elementwise(np.arctanh, lambda _ans, x: 1 / (1 - x * x), name="arctanh")

# ---- selection -----------------------------------------------------------------------------------
maximum = elementwise(
    np.maximum, lambda ans, x, y: _mask(x >= y, ans), lambda ans, x, y: _mask(x < y, ans), name="maximum"
)
minimum = elementwise(
    np.minimum, lambda ans, x, y: _mask(x <= y, ans), lambda ans, x, y: _mask(x > y, ans), name="minimum"
)
clip = elementwise(
    np.clip,
    lambda ans, x, lo, hi: _mask((x >= lo) & (x <= hi), ans),
    lambda ans, x, lo, _hi: _mask(x < lo, ans),
    lambda ans, x, _lo, hi: _mask(x > hi, ans),
    name="clip",
)
where = elementwise(
    np.where,
    None,
    lambda ans, c, _x, _y: _mask(c, ans),
    lambda ans, c, _x, _y: _mask(ops.logical_not(c), ans),
    name="where",
    float_out=False,  # a floating condition with integer branches gives integers
)
# hypot'(0, 0) is taken as 0 (not nan), like the norm at 0
hypot = elementwise(
    np.hypot,
    lambda ans, x, _y: x / ops.where(ans == 0, 1, ans),
    lambda ans, _x, y: y / ops.where(ans == 0, 1, ans),
    name="hypot",
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
}
