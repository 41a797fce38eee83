"""Truncated Taylor series arithmetic, from which the ops' ``taylor=`` rules are written (tapegrad.taylor).

A series is a list ``[x0, x1, ..., xk]``: the value, then the scaled coefficients (``xk`` is the
k-th derivative along the path divided by k!); a shorter list means the remaining coefficients are 0.
Elementwise functions use the standard recurrences (Griewank and Walther, "Evaluating Derivatives",
ch. 13): for ``y' = g x'`` the coefficients are ``y_k = 1/k sum_{j=1..k} j x_j g_{k-j}``.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from tapegrad._tensor import Tensor, ops
from tapegrad.taylor import real_only

Series = list


def raw(v: Any) -> Any:
    return v._value if isinstance(v, Tensor) else v


def has_zero(v: Any) -> bool:
    return bool(np.any(raw(v) == 0))


def has_nonpositive(v: Any) -> bool:
    return bool(np.any(raw(v) <= 0))


def total(terms: list) -> Any:
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


def add(a: Series, b: Series) -> Series:
    n = max(len(a), len(b))
    return [a[k] + b[k] if k < len(a) and k < len(b) else (a[k] if k < len(a) else b[k]) for k in range(n)]


def neg(a: Series) -> Series:
    return [-c for c in a]


def scale(a: Series, c: Any) -> Series:
    return [c * x for x in a]


def valued(a: Series, y0: Any) -> Series:
    """``a`` with its value replaced by ``y0`` (NumPy's forward value)."""
    a[0] = y0
    return a


def mul(a: Series, b: Series, K: int, y0: Any = None) -> Series:
    """Cauchy product, truncated after order K (``y0``: the product's value, when already known)."""
    out = [a[0] * b[0] if y0 is None else y0]
    for k in range(1, min(len(a) + len(b) - 1, K + 1)):
        lo, hi = max(0, k - len(b) + 1), min(k, len(a) - 1)
        out.append(total([a[j] * b[k - j] for j in range(lo, hi + 1)]))
    return out


def square(a: Series, K: int, y0: Any = None) -> Series:
    """a * a with each cross term once: y_k = 2 sum_{j < k - j} a_j a_{k-j} (+ a_{k/2}**2)."""
    out = [a[0] * a[0] if y0 is None else y0]
    for k in range(1, min(2 * len(a) - 1, K + 1)):
        cross = [a[j] * a[k - j] for j in range(max(0, k - len(a) + 1), (k + 1) // 2)]
        y = 2 * total(cross) if cross else None
        if k % 2 == 0 and k // 2 < len(a):
            middle = a[k // 2] * a[k // 2]
            y = middle if y is None else y + middle
        out.append(y)
    return out


def div(a: Series, b: Series, K: int, y0: Any = None) -> Series:
    """a / b: y_k = (a_k - sum_{j=1..k} b_j y_{k-j}) / b_0."""
    b0 = b[0]
    y = [a[0] / b0 if y0 is None else y0]
    if len(b) == 1:
        return y + [c / b0 for c in a[1 : K + 1]]
    for k in range(1, K + 1):
        s = total([b[j] * y[k - j] for j in range(1, min(k, len(b) - 1) + 1)])
        y.append((a[k] - s if k < len(a) else -s) / b0)
    return y


def deriv(a: Series) -> Series:
    """The series of x'(t): [x1, 2 x2, 3 x3, ...]."""
    return a[1:2] + [j * a[j] for j in range(2, len(a))]


def integrate(z: Series, y0: Any, K: int) -> Series:
    """y with y' = z and y(0) = y0: y_k = z_{k-1} / k."""
    return [y0] + [z[k - 1] / k for k in range(1, min(len(z), K) + 1)]


def exp(a: Series, K: int, y0: Any) -> Series:
    """y = exp(a) (times a constant y0 / exp(a0)): y' = y a', y_k = 1/k sum_j j a_j y_{k-j}."""
    da = deriv(a)
    y = [y0]
    for k in range(1, K + 1):
        y.append(total([da[j - 1] * y[k - j] for j in range(1, min(k, len(a) - 1) + 1)]) / k)
    return y


def log(a: Series, K: int, y0: Any) -> Series:
    """y = log(a): a y' = a', y_k = (a_k - 1/k sum_{j=1..k-1} j y_j a_{k-j}) / a0."""
    y = [y0]
    for k in range(1, K + 1):
        terms = [(j * y[j]) * a[k - j] for j in range(max(1, k - len(a) + 1), k)]
        ak = a[k] if k < len(a) else None
        if terms:
            s = total(terms) / k
            ak = ak - s if ak is not None else -s
        y.append(ak / a[0] if ak is not None else 0 * a[0])
    return y


def sqrt(a: Series, K: int, y0: Any) -> Series:
    """y = sqrt(a): y_k = (a_k - sum_{j=1..k-1} y_j y_{k-j}) / (2 y0)."""
    y = [y0]
    for k in range(1, K + 1):
        terms = [y[j] * y[k - j] for j in range(1, k)]
        ak = a[k] if k < len(a) else None
        if terms:
            s = total(terms)
            ak = ak - s if ak is not None else -s
        y.append(ak / (2 * y0) if ak is not None else 0 * y0)
    return y


def pow(a: Series, c: Any, K: int, y0: Any) -> Series:  # noqa: A001
    """y = a**c for a constant c: a y' = c y a', y_k = 1/(k a0) sum_j ((c+1) j - k) a_j y_{k-j}."""
    y = [y0]
    for k in range(1, K + 1):
        y.append(total([((c + 1) * j - k) * a[j] * y[k - j] for j in range(1, min(k, len(a) - 1) + 1)]) / (k * a[0]))
    return y


def int_pow(a: Series, n: int, K: int) -> Series:
    """a**n for an integer n >= 1 by repeated squaring (exact where a0 = 0)."""
    if n == 2:
        return square(a, K)
    result, base = None, a
    while n:
        if n & 1:
            result = base if result is None else mul(result, base, K)
        n >>= 1
        if n:
            base = square(base, K)
    return result


def slope_ode(a: Series, K: int, y0: Any, w: Callable[[Series, int], Any]) -> Series:
    """y with y' = w(y) a', where w(y, m) gives the m-th coefficient of w(y) from y_0..y_m."""
    da = deriv(a)
    y = [y0]
    ws: list = []
    for k in range(1, K + 1):
        ws.append(w(y, k - 1))
        y.append(total([da[j - 1] * ws[k - j] for j in range(1, min(k, len(a) - 1) + 1)]) / k)
    return y


def paired(a: Series, K: int, s0: Any, c0: Any, sign: int) -> tuple[Series, Series]:
    """s and c together from s' = c a', c' = sign * s a' (sin/cos: sign -1; sinh/cosh: +1)."""
    da = deriv(a)
    s, c = [s0], [c0]
    for k in range(1, K + 1):
        js = range(1, min(k, len(a) - 1) + 1)
        s.append(total([da[j - 1] * c[k - j] for j in js]) / k)
        c.append(total([da[j - 1] * s[k - j] for j in js]) / (sign * k))
    return s, c


def square_coef(y: Series, m: int) -> Any:
    return total([y[i] * y[m - i] for i in range(m + 1)])


# ---- elementwise functions of one series ``a`` (its value ``a[0]`` is the op's input, ``y0`` its output)
def reciprocal(a: Series, K: int, y0: Any) -> Series:
    return div([ops.ones_like(y0)], a, K, y0)


def cbrt(a: Series, K: int, y0: Any) -> Series:
    return pow(a, 1 / 3, K, y0)


def exp2(a: Series, K: int, y0: Any) -> Series:
    return exp(scale(a, math.log(2)), K, y0)


def expm1(a: Series, K: int, y0: Any) -> Series:
    return slope_ode(a, K, y0, lambda y, m: y[0] + 1 if m == 0 else y[m])


def log1p(a: Series, K: int, y0: Any) -> Series:
    return log(add([1.0], a), K, y0)


def sin(a: Series, K: int, y0: Any) -> Series:  # sin and cos (sinh and cosh) expand together
    return paired(a, K, y0, ops.cos(a[0]), -1)[0]


def cos(a: Series, K: int, y0: Any) -> Series:
    return paired(a, K, ops.sin(a[0]), y0, -1)[1]


def sinh(a: Series, K: int, y0: Any) -> Series:
    return paired(a, K, y0, ops.cosh(a[0]), 1)[0]


def cosh(a: Series, K: int, y0: Any) -> Series:
    return paired(a, K, ops.sinh(a[0]), y0, 1)[1]


def tan(a: Series, K: int, y0: Any) -> Series:  # tan' = 1 + tan**2
    return slope_ode(a, K, y0, lambda y, m: 1 + y[0] * y[0] if m == 0 else square_coef(y, m))


def tanh(a: Series, K: int, y0: Any) -> Series:  # tanh' = 1 - tanh**2
    return slope_ode(a, K, y0, lambda y, m: 1 - y[0] * y[0] if m == 0 else -square_coef(y, m))


def sigmoid(a: Series, K: int, y0: Any) -> Series:  # sigmoid' = s (1 - s)
    return slope_ode(a, K, y0, lambda y, m: y[m] - square_coef(y, m))


def with_slope(a: Series, K: int, y0: Any, g: Series) -> Series:
    """y with y' = g a' for a known series g (needed up to order K-1)."""
    return integrate(mul(g, deriv(a), K - 1), y0, K)


def padded(a: Series, K: int) -> Series:
    zero = ops.zeros_like(a[0]) if hasattr(a[0], "shape") else 0.0
    return a + [zero] * (K + 1 - len(a))


# ---- rules: rule(K, series, ans, *inputs, **params) -> series --------------------------------------------
def unary(fn: Callable[..., Series], singular_at_zero: bool = False) -> Callable[..., Series]:
    """The rule of an op whose output series is ``fn(a, K, ans)`` of its input's series ``a``
    (``singular_at_zero``: declines where ans = 0, where the recurrence would divide by 0)."""
    return lambda K, s, ans, x: None if singular_at_zero and has_zero(ans) else fn(s[0], K, ans)


def binary(fn: Callable[..., Series]) -> Callable[..., Series]:
    """The rule of an op whose output series is ``fn(a, b, K, ans)`` of its inputs' series."""
    return lambda K, s, ans, x, y: fn(s[0], s[1], K, ans)


def log_base(base_log: float) -> Callable[..., Series]:
    return lambda K, s, ans, x: valued(scale(log(s[0], K, ans), 1 / base_log), ans)


def inverse_slope(sign: float, inner: Callable[[Series, int], Series], root: bool = True) -> real_only:
    """arcsin, arctan, ...: y' = sign * a' / sqrt(inner(a)) (or / inner(a)); real arguments only."""

    def rule(K, s, ans, x):
        u = inner(s[0], K - 1)
        if root:
            if has_nonpositive(u[0]):
                return None
            u = sqrt(u, K - 1, ops.sqrt(u[0]))
        return with_slope(s[0], K, ans, div([sign * ops.ones_like(u[0])], u, K - 1))

    return real_only(rule)


def one_minus_square(a: Series, K: int) -> Series:
    return add([1.0], neg(mul(a, a, K)))


def one_plus_square(a: Series, K: int) -> Series:
    return add([1.0], mul(a, a, K))


def square_minus_one(a: Series, K: int) -> Series:
    return add([-1.0], mul(a, a, K))
