"""Taylor rules: how each op maps its inputs' truncated Taylor series to its output's (taylor.py).

A series is a list ``[x0, x1, ..., xk]``: the value, then the scaled coefficients (``xk`` is the
k-th derivative along the path divided by k!); a shorter list means the remaining coefficients
are 0, so a constant is ``[x0]``. A rule ``rule(K, series, ans, *inputs, **params)`` returns the
output's series up to order K, starting with ``ans`` (NumPy's forward value), or None to decline
(the walk then expands the op by nested forward mode, exactly). Rules use Python operators and
tapegrad ops only, so they run on plain arrays, and an outer tape can differentiate them.

Three kinds need no formula of their own, and are derived from the op's declaration:
  * linear ops (``linear`` declarator: sum, reshape, getitem, ...) and ops that are linear where
    they are differentiable (abs, relu, maximum, max, where, clip, ...): each coefficient goes
    through the op's JVP, ``y_k = JVP(x_k)``, with the same conventions at kinks and ties;
  * multilinear ops (``multilinear`` declarator: matmul, tensordot; einsum, multiply): the
    Cauchy product ``y_k = sum_{i+j=k} op(a_i, b_j)``.
Elementwise functions use the standard recurrences (Griewank and Walther, "Evaluating
Derivatives", ch. 13): for ``y' = g x'`` the coefficients are ``y_k = 1/k sum_{j=1..k} j x_j g_{k-j}``.
Next step: fold these into each op's one-statement declaration, as the JVP and VJP are.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Callable

import numpy as np

from tapegrad import taylor
from tapegrad._tensor import Tensor, ops
from tapegrad.forward import output_tangent

Series = list


# ---- series arithmetic ----------------------------------------------------------------------------
def _raw(v: Any) -> Any:
    return v._value if isinstance(v, Tensor) else v


def _total(terms: list) -> Any:
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def s_add(a: Series, b: Series) -> Series:
    return [a[k] + b[k] if k < len(a) and k < len(b) else (a[k] if k < len(a) else b[k])
            for k in range(max(len(a), len(b)))]


def s_neg(a: Series) -> Series:
    return [-c for c in a]


def s_scale(a: Series, c: Any) -> Series:
    return [c * x for x in a]


def s_mul(a: Series, b: Series, K: int, y0: Any = None) -> Series:
    """Cauchy product, truncated after order K (``y0``: the product's value, when already known)."""
    out = [a[0] * b[0] if y0 is None else y0]
    for k in range(1, min(len(a) + len(b) - 1, K + 1)):
        lo, hi = max(0, k - len(b) + 1), min(k, len(a) - 1)
        out.append(_total([a[j] * b[k - j] for j in range(lo, hi + 1)]))
    return out


def s_square(a: Series, K: int, y0: Any = None) -> Series:
    """a * a with each cross term once: y_k = 2 sum_{j < k - j} a_j a_{k-j} (+ a_{k/2}**2)."""
    out = [a[0] * a[0] if y0 is None else y0]
    for k in range(1, min(2 * len(a) - 1, K + 1)):
        cross = [a[j] * a[k - j] for j in range(max(0, k - len(a) + 1), (k + 1) // 2)]
        total = 2 * _total(cross) if cross else None
        if k % 2 == 0 and k // 2 < len(a):
            middle = a[k // 2] * a[k // 2]
            total = middle if total is None else total + middle
        out.append(total)
    return out


def s_div(a: Series, b: Series, K: int, y0: Any = None) -> Series:
    """a / b: y_k = (a_k - sum_{j=1..k} b_j y_{k-j}) / b_0."""
    b0 = b[0]
    y = [a[0] / b0 if y0 is None else y0]
    if len(b) == 1:
        return y + [c / b0 for c in a[1 : K + 1]]
    for k in range(1, K + 1):
        s = _total([b[j] * y[k - j] for j in range(1, min(k, len(b) - 1) + 1)])
        y.append((a[k] - s if k < len(a) else -s) / b0)
    return y


def s_deriv(a: Series) -> Series:
    """The series of x'(t): [x1, 2 x2, 3 x3, ...]."""
    return a[1:2] + [j * a[j] for j in range(2, len(a))]


def s_integrate(z: Series, y0: Any, K: int) -> Series:
    """y with y' = z and y(0) = y0: y_k = z_{k-1} / k."""
    return [y0] + [z[k - 1] / k for k in range(1, min(len(z), K) + 1)]


def s_exp(a: Series, K: int, y0: Any) -> Series:
    """y = exp(a) (times a constant y0 / exp(a0)): y' = y a', y_k = 1/k sum_j j a_j y_{k-j}."""
    da = s_deriv(a)
    y = [y0]
    for k in range(1, K + 1):
        y.append(_total([da[j - 1] * y[k - j] for j in range(1, min(k, len(a) - 1) + 1)]) / k)
    return y


def s_log(a: Series, K: int, y0: Any) -> Series:
    """y = log(a): a y' = a', y_k = (a_k - 1/k sum_{j=1..k-1} j y_j a_{k-j}) / a0."""
    y = [y0]
    a0 = a[0]
    for k in range(1, K + 1):
        terms = [(j * y[j]) * a[k - j] for j in range(max(1, k - len(a) + 1), k)]
        ak = a[k] if k < len(a) else None
        if terms:
            s = _total(terms) / k
            ak = ak - s if ak is not None else -s
        y.append(ak / a0 if ak is not None else 0 * a0)
    return y


def s_sqrt(a: Series, K: int, y0: Any) -> Series:
    """y = sqrt(a): y_k = (a_k - sum_{j=1..k-1} y_j y_{k-j}) / (2 y0)."""
    y = [y0]
    for k in range(1, K + 1):
        terms = [y[j] * y[k - j] for j in range(1, k)]
        ak = a[k] if k < len(a) else None
        if terms:
            s = _total(terms)
            ak = ak - s if ak is not None else -s
        y.append(ak / (2 * y0) if ak is not None else 0 * y0)
    return y


def s_pow(a: Series, c: Any, K: int, y0: Any) -> Series:
    """y = a**c for a constant c: a y' = c y a', y_k = 1/(k a0) sum_j ((c+1) j - k) a_j y_{k-j}."""
    y = [y0]
    a0 = a[0]
    for k in range(1, K + 1):
        terms = [((c + 1) * j - k) * a[j] * y[k - j] for j in range(1, min(k, len(a) - 1) + 1)]
        y.append(_total(terms) / (k * a0))
    return y


def s_int_pow(a: Series, n: int, K: int) -> Series:
    """a**n for an integer n >= 1 by repeated squaring (exact where a0 = 0)."""
    if n == 2:
        return s_square(a, K)
    result, base = None, a
    while n:
        if n & 1:
            result = base if result is None else s_mul(result, base, K)
        n >>= 1
        if n:
            base = s_square(base, K)
    return result


def s_slope_ode(a: Series, K: int, y0: Any, w: Callable[[Series, int], Any]) -> Series:
    """y with y' = w(y) a', where w(y, m) gives the m-th coefficient of w(y) from y_0..y_m."""
    da = s_deriv(a)
    y = [y0]
    ws: list = []
    for k in range(1, K + 1):
        ws.append(w(y, k - 1))
        y.append(_total([da[j - 1] * ws[k - j] for j in range(1, min(k, len(a) - 1) + 1)]) / k)
    return y


def _paired(a: Series, K: int, s0: Any, c0: Any, sign: int) -> tuple[Series, Series]:
    """s and c together from s' = c a', c' = sign * s a' (sin/cos: sign -1; sinh/cosh: +1)."""
    da = s_deriv(a)
    s, c = [s0], [c0]
    for k in range(1, K + 1):
        js = range(1, min(k, len(a) - 1) + 1)
        s.append(_total([da[j - 1] * c[k - j] for j in js]) / k)
        c.append(_total([da[j - 1] * s[k - j] for j in js]) / (sign * k))
    return s, c


def s_sincos(a: Series, K: int, s0: Any, c0: Any) -> tuple[Series, Series]:
    """sin and cos together: s' = c a', c' = -s a'."""
    return _paired(a, K, s0, c0, -1)


def s_sinhcosh(a: Series, K: int, s0: Any, c0: Any) -> tuple[Series, Series]:
    """sinh and cosh together: s' = c a', c' = s a'."""
    return _paired(a, K, s0, c0, 1)


def _square_coef(y: Series, m: int) -> Any:
    return _total([y[i] * y[m - i] for i in range(m + 1)])


def s_with_slope(a: Series, K: int, y0: Any, g: Series) -> Series:
    """y with y' = g a' for a known series g (needed up to order K-1)."""
    return s_integrate(s_mul(g, s_deriv(a), K - 1), y0, K)


def _padded(a: Series, K: int) -> Series:
    zero = ops.zeros_like(a[0]) if hasattr(a[0], "shape") else 0.0
    return a + [zero] * (K + 1 - len(a))


def _any(condition: Any) -> bool:
    return bool(np.any(_raw(condition)))


def _sigmoid_series(a: Series, K: int, s0: Any) -> Series:
    return s_slope_ode(a, K, s0, lambda y, m: y[m] - _square_coef(y, m))


# ---- the elementwise rules: rule(K, series, ans, *inputs, **params) -> series --------------------------
def _multiply(K, s, ans, x, y):
    return s_mul(s[0], s[1], K, ans)


def _divide(K, s, ans, x, y):
    return s_div(s[0], s[1], K, ans)


def _reciprocal(K, s, ans, x):
    return s_div([ops.ones_like(ans)], s[0], K, ans)


def _square(K, s, ans, x):
    return s_square(s[0], K, ans)


def _power(K, s, ans, x, c):
    base, exponent = s
    if len(exponent) > 1:  # x(t) ** c(t) = exp(c log x), for x > 0 (else the exact fallback)
        if _any(_raw(x) <= 0):
            return None
        return s_exp(s_mul(exponent, s_log(base, K, ops.log(x)), K), K, ans)
    c_raw = np.asarray(_raw(c))
    if c_raw.ndim == 0 and float(c_raw).is_integer() and 1 <= abs(float(c_raw)) <= 64:
        n = int(c_raw)
        if n == 2:
            return s_square(base, K, ans)
        out = s_int_pow(base, abs(n), K)
        out = out if n > 0 else s_div([ops.ones_like(ans)], out, K)
        out[0] = ans
        return out
    if c_raw.ndim == 0 and float(c_raw) == 0:
        return [ans]
    if _any(_raw(x) == 0):
        return None
    return s_pow(base, c, K, ans)


def _sqrt(K, s, ans, x):
    return None if _any(_raw(ans) == 0) else s_sqrt(s[0], K, ans)


def _cbrt(K, s, ans, x):
    return None if _any(_raw(ans) == 0) else s_pow(s[0], 1 / 3, K, ans)


def _exp(K, s, ans, x):
    return s_exp(s[0], K, ans)


def _exp2(K, s, ans, x):
    return s_exp(s_scale(s[0], math.log(2)), K, ans)


def _expm1(K, s, ans, x):
    return s_slope_ode(s[0], K, ans, lambda y, m: y[0] + 1 if m == 0 else y[m])


def _log(K, s, ans, x):
    return s_log(s[0], K, ans)


def _log_base(scale: float) -> Callable[..., Series]:
    def rule(K, s, ans, x):
        out = s_scale(s_log(s[0], K, ans), 1 / scale)
        out[0] = ans
        return out

    return rule


def _log1p(K, s, ans, x):
    return s_log(s_add([1.0], s[0]), K, ans)


def _x_times_log(shift: float) -> Callable[..., Series]:
    """xlogy (shift 0) and xlog1py (shift 1): x log(shift + y), where shift + y > 0 everywhere (else
    the exact fallback, which keeps the conventions where x = 0 and y is log's singular point)."""

    def rule(K, s, ans, x, y):
        inner = s_add([shift], s[1]) if shift else s[1]
        if _any(_raw(inner[0]) <= 0):
            return None
        return s_mul(s[0], s_log(inner, K, ops.log(inner[0])), K, ans)

    return rule


def _sin(K, s, ans, x):
    return s_sincos(s[0], K, ans, ops.cos(x))[0]


def _cos(K, s, ans, x):
    return s_sincos(s[0], K, ops.sin(x), ans)[1]


def _sinh(K, s, ans, x):
    return s_sinhcosh(s[0], K, ans, ops.cosh(x))[0]


def _cosh(K, s, ans, x):
    return s_sinhcosh(s[0], K, ops.sinh(x), ans)[1]


def _tan(K, s, ans, x):  # tan' = 1 + tan**2
    return s_slope_ode(s[0], K, ans, lambda y, m: 1 + y[0] * y[0] if m == 0 else _square_coef(y, m))


def _tanh(K, s, ans, x):  # tanh' = 1 - tanh**2
    return s_slope_ode(s[0], K, ans, lambda y, m: 1 - y[0] * y[0] if m == 0 else -_square_coef(y, m))


def _sigmoid(K, s, ans, x):  # sigmoid' = s (1 - s)
    return _sigmoid_series(s[0], K, ans)


def _inverse_slope(sign: float, inner: Callable[[Series, int], Series], root: bool) -> Callable[..., Series]:
    """arcsin, arctan, ...: y' = sign * a' / inner(a) (or / sqrt(inner(a)))."""

    def rule(K, s, ans, x):
        a = s[0]
        u = inner(a, K - 1)
        if root:
            if _any(_raw(u[0]) <= 0):
                return None
            u = s_sqrt(u, K - 1, ops.sqrt(u[0]))
        g = s_div([sign * ops.ones_like(u[0])], u, K - 1)
        return s_with_slope(a, K, ans, g)

    return rule


def _one_minus_square(a, K):
    return s_add([1.0], s_neg(s_mul(a, a, K)))


def _one_plus_square(a, K):
    return s_add([1.0], s_mul(a, a, K))


def _square_minus_one(a, K):
    return s_add([-1.0], s_mul(a, a, K))


def _arctan2(K, s, ans, y, x):
    ys, xs = s
    r2 = s_add(s_mul(xs, xs, K - 1), s_mul(ys, ys, K - 1))
    if _any(_raw(r2[0]) == 0):
        return None
    num = s_add(s_mul(xs, s_deriv(ys), K - 1), s_neg(s_mul(ys, s_deriv(xs), K - 1)))
    if not num:
        return [ans]
    return s_integrate(s_div(num, r2, K - 1), ans, K)


def _hypot(K, s, ans, x, y):
    if _any(_raw(ans) == 0):
        return None
    r2 = s_add(s_mul(s[0], s[0], K), s_mul(s[1], s[1], K))
    return s_sqrt(r2, K, ans)


def _logaddexp(K, s, ans, x, y):
    # d/dt logaddexp(x, y) = sigmoid(y - x) y' + sigmoid(x - y) x' = x' + sigmoid(y - x) (y - x)'
    d = s_add(s[1], s_neg(s[0]))
    sig = _sigmoid_series(d, K - 1, ops.exp(y - ans))
    rest = s_integrate(s_mul(sig, s_deriv(d), K - 1), 0 * ans, K)
    out = s_add(_padded(s[0], K), rest)
    out[0] = ans
    return out


def _softplus(K, s, ans, x):  # softplus' = sigmoid
    return s_with_slope(s[0], K, ans, _sigmoid_series(s[0], K - 1, ops.sigmoid(x)))


def _silu(K, s, ans, x, beta=1.0):  # x * sigmoid(beta x)
    sig = _sigmoid_series(s_scale(s[0], beta), K, ops.sigmoid(x * beta))
    out = s_mul(s[0], sig, K)
    out[0] = ans
    return out


def _gelu_tanh(K, s, ans, x):  # 0.5 x (1 + tanh(c (x + a x**3)))
    from tapegrad.ops.activations import _GELU_A, _GELU_C

    a = s[0]
    u = s_scale(s_add(a, s_scale(s_int_pow(a, 3, K), _GELU_A)), _GELU_C)
    th = _tanh(K, [u], ops.tanh(u[0]), u[0])
    out = s_scale(s_mul(a, s_add([1.0], th), K), 0.5)
    out[0] = ans
    return out


def _normal_cdf(K, s, ans, x):  # Phi' = exp(-x**2 / 2) / sqrt(2 pi)
    a = s[0]
    e = s_scale(s_mul(a, a, K - 1), -0.5)
    density = s_scale(s_exp(e, K - 1, ops.exp(e[0])), 1 / math.sqrt(2 * math.pi))
    return s_with_slope(a, K, ans, density)


def _softsign(K, s, ans, x):  # x / (1 + sign(x0) x) near x0 (at 0, as the JVP's abs'(0) = 0)
    sign = ops.sign(x)
    return s_div(s[0], s_add([1.0], s_scale(s[0], sign)), K, ans)


def _elu_like(scale: float, alpha_default: float | None) -> Callable[..., Series]:
    """elu and selu: scale * (x if x >= 0 else alpha expm1(x)); x = 0 takes the linear side (TF's EluGrad)."""

    def rule(K, s, ans, x, alpha=None):
        alpha = alpha_default if alpha is None else alpha
        a = _padded(s[0], K)
        negative = x < 0
        em = _expm1(K, [[ops.minimum(x, 0.0), *a[1:]]], ops.expm1(ops.minimum(x, 0.0)), x)
        em = _padded(em, K)
        return [ans] + [ops.where(negative, (scale * alpha) * e, scale * c) for e, c in zip(em[1:], a[1:])]

    return rule


def _elu(K, s, ans, x, alpha=1.0):
    return _elu_like(1.0, 1.0)(K, s, ans, x, alpha)


_selu = _elu_like(1.0507009873554804934193349852946, 1.6732632423543772848170429916717)


# ---- derived kinds ---------------------------------------------------------------------------------
def locally_linear(prim: Any) -> Callable[..., Series]:
    """For ops linear where differentiable: each coefficient through the JVP, ``y_k = JVP(x_k)``."""

    def rule(K, s, ans, *inputs, **params):
        out = [ans]
        for k in range(1, min(max(len(x) for x in s), K + 1)):
            tangents = [x[k] if k < len(x) else None for x in s]
            t = output_tangent(prim, tangents, ans, inputs, params)
            out.append(ops.zeros_like(ans) if t is None else t)
        return out

    return rule


def multilinear(prim: Any) -> Callable[..., Series]:
    """For ops linear in each argument: the Cauchy product ``y_k = sum_{i+j+...=k} op(a_i, b_j, ...)``."""

    def rule(K, s, ans, *inputs, **params):
        lengths = [len(x) for x in s]
        out = [ans]
        for k in range(1, K + 1):
            terms = [
                prim(*[x[i] for x, i in zip(s, combo)], **params)
                for combo in itertools.product(*[range(min(n, k + 1)) for n in lengths])
                if sum(combo) == k
            ]
            if not terms:
                break
            out.append(_total(terms))
        return out

    return rule


def _declared_kind(prim: Any) -> str | None:
    """'linear' or 'multilinear' when the op was made by that declarator (read from its JVP rule)."""
    jvps = prim.jvps
    if not isinstance(jvps, tuple) or not jvps or jvps[0] is None:
        return None
    name = getattr(jvps[0], "__qualname__", "")
    for kind in ("multilinear", "linear"):
        if name.startswith(f"{kind}.<locals>"):
            return kind
    return None


def derive(prim: Any) -> Callable[..., Series] | None:
    kind = _declared_kind(prim)
    if kind == "linear":
        return locally_linear(prim)
    if kind == "multilinear":
        return multilinear(prim)
    return None


# ---- THE table: primitive name -> rule ------------------------------------------------------------------
RULES_BY_NAME: dict[str, Callable[..., Series]] = {
    "multiply": _multiply,
    "divide": _divide,
    "reciprocal": _reciprocal,
    "square": _square,
    "power": _power,
    "sqrt": _sqrt,
    "cbrt": _cbrt,
    "exp": _exp,
    "exp2": _exp2,
    "expm1": _expm1,
    "log": _log,
    "log2": _log_base(math.log(2)),
    "log10": _log_base(math.log(10)),
    "log1p": _log1p,
    "logaddexp": _logaddexp,
    "xlogy": _x_times_log(0.0),
    "xlog1py": _x_times_log(1.0),
    "sin": _sin,
    "cos": _cos,
    "tan": _tan,
    "sinh": _sinh,
    "cosh": _cosh,
    "tanh": _tanh,
    "arcsin": _inverse_slope(1.0, _one_minus_square, root=True),
    "arccos": _inverse_slope(-1.0, _one_minus_square, root=True),
    "arctan": _inverse_slope(1.0, _one_plus_square, root=False),
    "arcsinh": _inverse_slope(1.0, _one_plus_square, root=True),
    "arccosh": _inverse_slope(1.0, _square_minus_one, root=True),
    "arctanh": _inverse_slope(1.0, _one_minus_square, root=False),
    "arctan2": _arctan2,
    "hypot": _hypot,
    "sigmoid": _sigmoid,
    "softplus": _softplus,
    "silu": _silu,
    "gelu_tanh": _gelu_tanh,
    "normal_cdf": _normal_cdf,
    "softsign": _softsign,
    "elu": _elu,
    "selu": _selu,
}
# linear where differentiable (kinks and ties follow the JVP's conventions)
LOCALLY_LINEAR = (
    "add", "subtract", "negative", "abs", "sign", "floor", "ceil", "round", "floor_divide", "mod",
    "maximum", "minimum", "clip", "where", "relu", "relu6", "leaky_relu", "max", "min", "pad",
    "stack", "concatenate", "trace", "angle",
)
MULTILINEAR = ("einsum",)
# rules that hold for complex arguments too (holomorphic functions, and maps linear over the reals,
# which the path parameter t is); the others decline complex arguments, which the walk then
# expands exactly by nested forward mode (|z| is not linear near z, nor sign(z) constant)
COMPLEX_OK = (
    "multiply", "divide", "reciprocal", "square", "power", "sqrt", "exp", "expm1", "log", "log1p", "log2",
    "log10", "sin", "cos", "tan", "sinh", "cosh", "tanh", "add", "subtract", "negative", "pad", "stack",
    "concatenate", "trace", "einsum",
)


def _real_only(rule: Callable[..., Series]) -> Callable[..., Series]:
    def checked(K, s, ans, *inputs, **params):
        if any(np.iscomplexobj(_raw(x)) for x in inputs) or np.iscomplexobj(_raw(ans)):
            return None
        return rule(K, s, ans, *inputs, **params)

    return checked


def _register() -> None:
    from tapegrad.ops import primitives

    by_name: dict[str, list] = {}
    for p in primitives():  # a name may belong to more than one primitive (each family's own angle)
        by_name.setdefault(p.name, []).append(p)
    for name in [*RULES_BY_NAME, *LOCALLY_LINEAR, *MULTILINEAR]:
        for prim in by_name[name]:
            rule = (RULES_BY_NAME.get(name) or (locally_linear if name in LOCALLY_LINEAR else multilinear)(prim))
            taylor.RULES[prim] = rule if name in COMPLEX_OK else _real_only(rule)
    taylor.DERIVERS.append(derive)


_register()
