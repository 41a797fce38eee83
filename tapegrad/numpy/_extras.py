"""More of NumPy as compositions of differentiable ops: statistics (cov, corrcoef, NaN-aware
moments and scans), polynomials, integration, vector/matrix products, block assembly, and the
integer- or boolean-valued helpers (plain results, not differentiable)."""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from tapegrad import _backend
from tapegrad._tensor import Tensor, ops, value_read
from tapegrad.numpy._convert import array, asarray
from tapegrad.numpy._functions import (
    _float64,
    _in,
    _nan_free,
    _no_out,
    _options,
    _percent,
    _plain,
    _quantile_layout,
    _rearranged,
    convolve,
    diff,
)
from tapegrad.ops import shape as _shape_ops


def _is_complex(x: Tensor) -> bool:
    return np.dtype(x.dtype).kind == "c"


def _conj(x: Tensor) -> Tensor:
    return ops.conj(x) if _is_complex(x) else x


# ---- statistics ----------------------------------------------------------------------------------
def cov(m: Any, y: Any = None, rowvar: bool = True, bias: bool = False, ddof: Any = None, fweights: Any = None,
        aweights: Any = None, *, dtype: Any = None) -> Tensor:
    """``np.cov``: the covariance of the rows (variables), in NumPy's arithmetic and dtypes (float64 at
    least); frequency and analytic weights may be tensors (differentiable in them too)."""
    if ddof is not None and ddof != int(ddof):
        raise ValueError("ddof must be integer")
    x = asarray(m)
    if x.ndim > 2:
        raise ValueError("m has more than 2 dimensions")
    yy = None if y is None else asarray(y)
    if yy is not None and yy.ndim > 2:
        raise ValueError("y has more than 2 dimensions")
    if dtype is None:
        dtype = np.result_type(x.dtype, np.float64) if yy is None else np.result_type(x.dtype, yy.dtype, np.float64)
    dtype = np.dtype(dtype)
    big = ops.cast(_at_least_2d(x), dtype)
    if not rowvar and x.ndim != 1:
        big = ops.transpose(big)
    if big.shape[0] == 0:
        return array(np.array([]).reshape(0, 0))
    if yy is not None:
        yy = ops.cast(_at_least_2d(yy), dtype)
        if not rowvar and yy.shape[0] != 1:
            yy = ops.transpose(yy)
        big = ops.concatenate([big, yy], axis=0)
    if ddof is None:
        ddof = 1 if bias == 0 else 0
    n = big.shape[1]
    f = _cov_weights(fweights, n, "fweights")
    a = _cov_weights(aweights, n, "aweights")
    if f is not None and not np.all(_plain(f) == np.around(_plain(f))):
        raise TypeError("fweights must be integer")
    w = f if a is None else a if f is None else f * a
    if w is None:
        avg = ops.mean(big, axis=1)
        fact = n - ddof
    else:  # np.average(X, axis=1, weights=w, returned=True)
        kind = np.result_type(big.dtype, w.dtype)
        w_sum = ops.sum(ops.cast(w, kind) if kind != w.dtype else w)
        avg = ops.sum(big * w, axis=1) / w_sum
        if ddof == 0:
            fact = w_sum
        elif a is None:
            fact = w_sum - ddof
        else:
            fact = w_sum - ddof * ops.sum(w * a) / w_sum
    if np.all(_plain(fact) <= 0) if isinstance(fact, Tensor) else fact <= 0:
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=2)
        fact = 0.0
    centred = big - ops.reshape(avg, (-1, 1))
    if centred.dtype != big.dtype:  # X -= avg[:, None] in place: X keeps its dtype
        centred = ops.cast(centred, big.dtype)
    c = ops.matmul(centred, _conj(ops.transpose(centred if w is None else centred * w)))
    scale = 1 / fact if isinstance(fact, Tensor) else np.true_divide(1, fact)
    kind = np.result_type(c.dtype, _plain(scale))  # c *= 1 / fact in place: computed in float64, stored in c's dtype
    c = c * scale if kind == c.dtype else ops.cast(ops.cast(c, kind) * scale, c.dtype)
    return ops.squeeze(c)


def _at_least_2d(x: Tensor) -> Tensor:
    return ops.reshape(x, (1,) * (2 - x.ndim) + x.shape) if x.ndim < 2 else x


def _cov_weights(weights: Any, n: int, what: str) -> Any:
    """np.cov's checks of fweights/aweights, as float64 (a tensor stays differentiable)."""
    if weights is None:
        return None
    w = ops.cast(weights, np.float64) if isinstance(weights, Tensor) else asarray(np.asarray(weights, dtype=float))
    if w.ndim > 1:
        raise RuntimeError(f"cannot handle multidimensional {what}")
    if w.shape[0] != n:
        raise RuntimeError(f"incompatible numbers of samples and {what}")
    if np.any(_plain(w) < 0):
        raise ValueError(f"{what} cannot be negative")
    return w


def _shape_of(v: Any) -> tuple:
    return v.shape if isinstance(v, Tensor) else np.shape(v)


def _ndmin(v: Any, ndim: int) -> Any:
    """``np.array(v, ndmin=ndim)`` (a tensor stays one)."""
    if not isinstance(v, Tensor):
        return np.array(v, copy=None, subok=True, ndmin=ndim)
    return ops.reshape(v, (1,) * (ndim - v.ndim) + v.shape) if v.ndim < ndim else v


def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: Any = 10.0, dtype: Any = None,
             axis: int = 0) -> Any:
    """``np.logspace``: ``base ** np.linspace(start, stop)`` in NumPy's arithmetic, differentiable in
    tensor ``start``, ``stop`` and ``base``."""
    if not any(isinstance(v, Tensor) for v in (start, stop, base)):
        return array(np.logspace(start, stop, num, endpoint, base, dtype, axis))
    if not isinstance(base, (float, int)) and np.ndim(_plain(base)):
        # a non-scalar base is broadcast with the endpoints: it may change what axis means (NumPy's)
        ndmax = len(np.broadcast_shapes(*(_shape_of(v) for v in (start, stop, base))))
        start, stop, base = (_ndmin(v, ndmax) for v in (start, stop, base))
        base = ops.expand_dims(base, axis) if isinstance(base, Tensor) else np.expand_dims(base, axis=axis)
    y = np.linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    result = ops.power(base, y)
    return result if dtype is None else ops.cast(result, np.dtype(dtype))


def geomspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None, axis: int = 0) -> Any:
    """``np.geomspace``: a geometric progression in NumPy's arithmetic (10 ** linspace of the log10 of the
    endpoints turned to the positive real axis, then turned back; the endpoints exact), differentiable in
    tensor ``start`` and ``stop``. The turn, ``sign(start)``, is a constant: the progression between
    two points does not change as it moves, only which branch it follows."""
    if not (isinstance(start, Tensor) or isinstance(stop, Tensor)):
        return array(np.geomspace(start, stop, num, endpoint, dtype, axis))
    start, stop = (v if isinstance(v, Tensor) else np.asanyarray(v) for v in (start, stop))
    if np.any(_plain(start) == 0) or np.any(_plain(stop) == 0):
        raise ValueError("Geometric sequence cannot include zero")
    dt = np.result_type(_plain(start), _plain(stop), float(num), np.zeros((), dtype))
    dtype = dt if dtype is None else np.dtype(dtype)
    start, stop = (ops.cast(v, dt) if isinstance(v, Tensor) else v.astype(dt) for v in (start, stop))
    out_sign = np.sign(_plain(start))
    start = start / out_sign
    stop = stop / out_sign
    result = logspace(ops.log10(start), ops.log10(stop), num=num, endpoint=endpoint, base=10.0, dtype=dt)
    if num > 0:  # the endpoints exactly (10 ** log10(x) need not be x)
        row = np.arange(num).reshape((num,) + (1,) * (result.ndim - 1))
        result = ops.where(row == 0, start, result)
        if num > 1 and endpoint:
            result = ops.where(row == num - 1, stop, result)
    result = result * out_sign
    if axis != 0:
        result = ops.moveaxis(result, 0, axis)
    return result if dtype == dt else ops.cast(result, dtype)


def corrcoef(x: Any, y: Any = None, rowvar: bool = True, *, dtype: Any = None) -> Tensor:
    """``np.corrcoef``: Pearson correlation coefficients (clipped to [-1, 1] as NumPy does)."""
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:
        return c / c
    n = c.shape[0]
    d = c[np.arange(n), np.arange(n)]  # (not a sum with the identity's zeros: NaN * 0 would spread a row's NaN)
    d = ops.real(d) if _is_complex(c) else d
    std = ops.sqrt(d)
    c = c / ops.reshape(std, (-1, 1))
    c = c / ops.reshape(std, (1, -1))
    return c if _is_complex(c) else ops.clip(c, -1.0, 1.0)


def nanvar(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: Any = 0, keepdims: bool = False,
           **kw: Any) -> Tensor:
    """``np.nanvar``: the variance of the non-NaN entries, in NumPy's steps (the deviations kept in the
    input's dtype); NaN where the degrees of freedom are not positive."""
    _no_out(out, "nanvar")
    correction = kw.pop("correction", np._NoValue)
    _options("nanvar", kw)
    if correction is not np._NoValue:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        ddof = correction
    a = asarray(a)
    if np.dtype(a.dtype).kind not in "fc":  # no NaNs: np.var
        return np.var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims)
    if dtype is not None and np.dtype(dtype).kind not in "fc":
        raise TypeError("If a is inexact, then dtype must be inexact")
    clean, nan = _nan_free(a, 0.0)
    count = np.sum(~nan, axis=axis, keepdims=True)
    total = ops.sum(_in(dtype, clean), axis=axis, keepdims=True)
    centred = clean - total / count.astype(_plain(total).dtype)
    if centred.dtype != clean.dtype:  # np.subtract(arr, avg, out=arr): the input's dtype
        centred = ops.cast(centred, clean.dtype)
    centred = ops.where(nan, 0.0, centred)
    squares = ops.real(centred * ops.conj(centred)) if _is_complex(a) else centred * centred  # |x - mean|^2
    var = ops.sum(_in(dtype, squares), axis=axis, keepdims=keepdims)
    dof = np.sum(~nan, axis=axis, keepdims=keepdims) - ddof
    var = var / dof.astype(_plain(var).dtype)
    if np.any(dof <= 0):
        warnings.warn("Degrees of freedom <= 0 for slice.", RuntimeWarning, stacklevel=2)
        var = ops.where(dof <= 0, np.nan, var)
    return var


def nanstd(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: Any = 0, keepdims: bool = False,
           **kw: Any) -> Tensor:
    """``np.nanstd``: the square root of nanvar; where the variance is 0 (a slice of one valid value,
    or of equal ones) the gradient is 0, as for ``std``, not 0 * inf = NaN."""
    var = nanvar(a, axis, dtype, out, ddof, keepdims, **kw)
    zero = _plain(var) == 0
    return ops.where(zero, 0.0, ops.sqrt(ops.where(zero, 1.0, var)))


def nanquantile(a: Any, q: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
                method: str = "linear", keepdims: bool = False, *, weights: Any = None,
                interpolation: Any = None) -> Tensor:
    """``np.nanquantile`` (methods linear, lower, higher, nearest, midpoint; any axes): NaNs
    sort last and each slice interpolates among its own valid values; all-NaN slices give NaN."""
    return _nanquantile(a, q, axis, out, method, keepdims, weights, interpolation, type(q) in (int, float))


def _nanquantile(a: Any, q: Any, axis: Any, out: Any, method: str, keepdims: bool, weights: Any,
                 interpolation: Any, weak: bool) -> Tensor:
    from tapegrad.numpy._functions import _METHODS, _lerp, _quantiles, _reduce_axis, sort, take_along_axis

    _no_out(out, "nanquantile")
    method = interpolation if interpolation is not None else method
    if method not in _METHODS or weights is not None:
        raise NotImplementedError(f"tapegrad.numpy.nanquantile supports method in {_METHODS}, no weights")
    a = asarray(a)
    if _is_complex(a):
        raise TypeError("a must be an array of real numbers")
    if _backend.kind(a.dtype) != "f":  # no NaNs: NumPy's quantile (lower/higher/nearest keep an integer dtype)
        from tapegrad.numpy._functions import _quantile

        return _quantile(a, q, axis, out, method, keepdims, weights, interpolation, weak)
    qv = _quantiles(q)
    if np.any((qv < 0) | (qv > 1)):
        raise ValueError("Quantiles must be in the range [0, 1]")
    moved, ax = _reduce_axis(a, axis)
    s = sort(moved, axis=-1)  # NaNs last
    count = np.sum(~np.isnan(_plain(moved)), axis=-1)
    pos = np.maximum(count - 1, 0)[..., None].astype(qv.dtype) * qv.reshape(-1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, np.maximum(count - 1, 0)[..., None])
    frac = (pos - lo).astype(pos.dtype)  # NumPy's gamma, in the quantiles' dtype
    if method == "lower":
        res = take_along_axis(s, lo, -1)
    elif method == "higher":
        res = take_along_axis(s, np.ceil(pos).astype(np.intp), -1)
    elif method == "nearest":
        res = take_along_axis(s, np.round(pos).astype(np.intp), -1)
    else:
        frac = frac if method == "linear" else np.full_like(frac, 0.5) * (frac > 0)
        f = None
        if method == "linear" and isinstance(q, Tensor):  # the same fraction, differentiable in q
            f = np.maximum(count - 1, 0)[..., None] * ops.reshape(_float64(q), (-1,)) - lo
        res = _lerp(take_along_axis(s, lo, -1), take_along_axis(s, hi, -1), frac, f, weak)
    res = ops.where(np.broadcast_to((count == 0)[..., None], res.shape), np.nan, res)
    return _quantile_layout(ops.reshape(res, res.shape[:-1] + qv.shape), qv, a, axis, ax, keepdims)


def nanpercentile(a: Any, q: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
                  method: str = "linear", keepdims: bool = False, *, weights: Any = None,
                  interpolation: Any = None) -> Tensor:
    """``np.nanpercentile``: nanquantile at q / 100."""
    return _nanquantile(a, _percent(q), axis, out, method, keepdims, weights, interpolation, type(q) in (int, float))


def nanmedian(a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
              keepdims: bool = False) -> Tensor:
    """``np.nanmedian``: the median of the valid values of each slice."""
    return nanquantile(a, 0.5, axis, out, keepdims=keepdims)


def nancumsum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Tensor:
    """``np.nancumsum``: NaNs count as zero."""
    _no_out(out, "nancumsum")
    clean, _ = _nan_free(a, 0.0)
    return _in(dtype, ops.cumsum(_in(dtype, clean), axis=axis))  # (axis None: flattened, as NumPy's)


def nancumprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Tensor:
    """``np.nancumprod``: NaNs count as one."""
    _no_out(out, "nancumprod")
    clean, _ = _nan_free(a, 1.0)
    return _in(dtype, ops.cumprod(_in(dtype, clean), axis=axis))


def _cumulative(scan: Callable, initial: float, x: Any, axis: Any, include_initial: bool, out: Any,
                dtype: Any = None) -> Tensor:
    _no_out(out, "cumulative_sum")
    x = _in(dtype, asarray(x))
    if axis is None:
        if x.ndim > 1:
            raise ValueError("For arrays which have more than one dimension ``axis`` argument is required.")
        axis = 0
    axis = int(axis) % max(x.ndim, 1)
    result = _in(dtype, scan(x, axis=axis))  # dtype=int8 wraps around in int8, as NumPy's
    if include_initial:
        shape = list(x.shape)
        shape[axis] = 1
        result = ops.concatenate([ops.fill(tuple(shape), np.array(initial, np.dtype(result.dtype))), result], axis)
    return result


def cumulative_sum(x: Any, /, *, axis: Any = None, dtype: Any = None, out: Any = None,
                   include_initial: bool = False) -> Tensor:
    """``np.cumulative_sum`` (the array API's cumsum, with ``include_initial``)."""
    return _cumulative(ops.cumsum, 0.0, x, axis, include_initial, out, dtype)


def cumulative_prod(x: Any, /, *, axis: Any = None, dtype: Any = None, out: Any = None,
                    include_initial: bool = False) -> Tensor:
    """``np.cumulative_prod`` (the array API's cumprod, with ``include_initial``)."""
    return _cumulative(ops.cumprod, 1.0, x, axis, include_initial, out, dtype)


def trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> Tensor:
    """``np.trapezoid``: the trapezoidal rule along ``axis`` (differentiable in y and x)."""
    y = asarray(y)
    axis = int(axis) % y.ndim
    if x is None:
        d: Any = dx
    else:
        d = diff(asarray(x))
        if d.ndim == 1 and y.ndim > 1:
            shape = [1] * y.ndim
            shape[axis] = d.shape[0]
            d = ops.reshape(d, tuple(shape))
        else:
            d = diff(asarray(x), axis=axis)
    lead = (slice(None),) * axis
    return ops.sum(d * (y[lead + (slice(1, None),)] + y[lead + (slice(None, -1),)]) / 2.0, axis=axis)


# ---- polynomials ---------------------------------------------------------------------------------------
def vander(x: Any, N: int | None = None, increasing: bool = False) -> Tensor:  # noqa: N803
    """``np.vander``: columns of powers, built by repeated multiplication (as NumPy does)."""
    x = ops.reshape(asarray(x), (-1,))
    n = x.shape[0] if N is None else int(N)
    cols = []
    col = ops.ones_like(x)
    for k in range(n):
        cols.append(col)
        if k + 1 < n:
            col = col * x if k else x * 1
    out = ops.stack(cols, axis=1) if n else ops.reshape(x, (-1, 0))
    return out if increasing or n < 2 else out[:, ::-1]


def polyval(p: Any, x: Any) -> Tensor:
    """``np.polyval``: Horner's scheme, as NumPy (differentiable in p and x)."""
    p, x = asarray(p), asarray(x)
    y = ops.zeros_like(x * p[0]) if p.shape[0] else ops.zeros_like(x)
    for i in range(p.shape[0]):
        y = y * x + p[i]
    return y


def polyder(p: Any, m: int = 1) -> Tensor:
    """``np.polyder``: the m-th derivative's coefficients."""
    p = asarray(p)
    for _ in range(m):
        n = p.shape[0] - 1
        if n <= 0:
            return ops.zeros_like(p[:1]) if p.shape[0] else p
        p = p[:-1] * np.arange(n, 0, -1, dtype=np.dtype(p.dtype) if np.dtype(p.dtype).kind in "fc" else float)
    return p


def polyint(p: Any, m: int = 1, k: Any = None) -> Tensor:
    """``np.polyint``: the m-th antiderivative (integration constants ``k``, default 0)."""
    p = asarray(p)
    if isinstance(k, (list, tuple)) and any(isinstance(v, Tensor) for v in k):
        k = asarray(k)
    if isinstance(k, Tensor):  # integration constants given as a tensor: differentiable in them too
        ks = ops.broadcast_to(ops.reshape(k, (-1,)) if k.ndim else k, (m,))
    else:
        ks = np.zeros(m) if k is None else np.broadcast_to(np.asarray(k, dtype=float), (m,))
    for j in range(m):
        n = p.shape[0]
        p = ops.concatenate([p / np.arange(n, 0, -1, dtype=float), ops.reshape(asarray(ks[j]) * 1.0, (1,))], 0)
    return p


def _poly_align(a1: Tensor, a2: Tensor) -> tuple[Tensor, Tensor]:
    n = max(a1.shape[0], a2.shape[0])
    return (_shape_ops.pad(a1, [(n - a1.shape[0], 0)]), _shape_ops.pad(a2, [(n - a2.shape[0], 0)]))


def polyadd(a1: Any, a2: Any) -> Tensor:
    """``np.polyadd``."""
    b1, b2 = _poly_align(ops.reshape(asarray(a1), (-1,)), ops.reshape(asarray(a2), (-1,)))
    return b1 + b2


def polysub(a1: Any, a2: Any) -> Tensor:
    """``np.polysub``."""
    b1, b2 = _poly_align(ops.reshape(asarray(a1), (-1,)), ops.reshape(asarray(a2), (-1,)))
    return b1 - b2


def polymul(a1: Any, a2: Any) -> Tensor:
    """``np.polymul``: the convolution of the coefficients."""
    return convolve(a1, a2)


def polyfit(x: Any, y: Any, deg: int, rcond: Any = None, full: bool = False, w: Any = None, cov: Any = False) -> Any:
    """``np.polyfit`` (least squares on the Vandermonde matrix; no weights, full or cov)."""
    if full or w is not None or cov:
        raise NotImplementedError("tapegrad.numpy.polyfit: full=, w= and cov= are not supported")
    from tapegrad.numpy import linalg

    a = vander(x, int(deg) + 1)
    scale = ops.sqrt(ops.sum(a * a, axis=0))  # NumPy scales the columns before solving
    coef = linalg.lstsq(a / scale, asarray(y), rcond)[0]
    return (coef.T / scale).T if coef.ndim > 1 else coef / scale


def poly(seq_of_zeros: Any) -> Tensor:
    """``np.poly`` of a 1-d sequence of roots: the monic polynomial, by repeated convolution (a
    square matrix gives the characteristic polynomial through its eigenvalues)."""
    from tapegrad.numpy import linalg

    zeros = asarray(seq_of_zeros)
    if zeros.ndim == 2 and zeros.shape[0] == zeros.shape[1] and zeros.shape[0] > 0:
        zeros = linalg.eigvals(zeros)
    elif zeros.ndim != 1:
        raise ValueError("input must be 1d or non-empty square 2d array.")
    a = array(np.ones(1, dtype=np.result_type(np.dtype(zeros.dtype), float)))
    for k in range(zeros.shape[0]):
        a = convolve(a, ops.stack([ops.ones_like(zeros[k]), -zeros[k]]))
    if _is_complex(a):  # conjugate pairs of roots give real coefficients, as NumPy returns them
        roots_v = _plain(zeros)
        if np.array_equal(np.sort_complex(roots_v[np.iscomplex(roots_v)]),
                          np.sort_complex(np.conj(roots_v[np.iscomplex(roots_v)]))):
            a = ops.real(a)
    return a


def polydiv(u: Any, v: Any) -> tuple[Tensor, Tensor]:
    """``np.polydiv``: quotient and remainder by long division (differentiable in u and v)."""
    u, v = ops.reshape(asarray(u), (-1,)) * 1.0, ops.reshape(asarray(v), (-1,)) * 1.0
    m, n = u.shape[0] - 1, v.shape[0] - 1
    r = [u[i] for i in range(m + 1)]
    q = []
    for k in range(max(m - n + 1, 0)):
        d = r[k] / v[0]
        q.append(d)
        for j in range(n + 1):
            r[k + j] = r[k + j] - d * v[j]
    quotient = ops.stack(q) if q else ops.zeros_like(u[:1])
    rest = r
    while len(rest) > 1 and np.allclose(_plain(rest[0]), 0, rtol=1e-14):
        rest = rest[1:]
    return quotient, ops.stack(rest)


def unwrap(p: Any, discont: Any = None, axis: int = -1, *, period: float = 2 * np.pi) -> Tensor:
    """``np.unwrap``: p plus NumPy's piecewise-constant corrections (so the gradient is 1)."""
    p = asarray(p)
    values = np.asarray(_plain(p), dtype=np.result_type(_plain(p), float))
    corrected = np.unwrap(values, discont, axis, period=period)
    return p + (corrected - values)


def roots(p: Any) -> Tensor:
    """``np.roots``: eigenvalues of the companion matrix (differentiable in p); real when they all are,
    as NumPy's (``np.linalg.eigvals``)."""
    p = ops.reshape(asarray(p), (-1,))
    nz = np.flatnonzero(_plain(p))
    if nz.size == 0:
        return array(np.zeros(0))
    trailing = p.shape[0] - nz[-1] - 1
    if trailing:  # a root at 0 still moves with the zero coefficients: see _zero_roots
        return _zero_roots(p[int(nz[0]) :], trailing)
    p = p[int(nz[0]) : int(nz[-1]) + 1]
    n = p.shape[0]
    if n < 2:  # no eigenvalues: NumPy's empty float64 array, with the trailing zeros
        return array(np.zeros(trailing))
    return _companion_roots(p)


def _companion_roots(p: Tensor) -> Tensor:
    """The eigenvalues of the companion matrix of p (p[0] != 0, at least 2 coefficients), as NumPy's."""
    from tapegrad.numpy import linalg

    n = p.shape[0]
    first = ops.reshape(-p[1:] / p[0], (1, n - 1))
    companion = ops.concatenate([first, array(np.eye(n - 2, n - 1, dtype=np.dtype(p.dtype)))], 0) if n > 2 else first
    return linalg.eigvals(companion)


def _zero_roots(p: Tensor, trailing: int) -> Tensor:
    """np.roots of p ending in ``trailing`` zero coefficients: NumPy strips them and appends exact zero roots,
    but the roots are functions of those coefficients too (a simple root at 0 moves by -dp[-1] / p[-2], and
    the others move with it). NumPy's values, with the derivatives of the full companion matrix's eigenvalues
    (matched to them by value): c + (r - stop_gradient(r)) is c exactly."""
    from tapegrad.transforms import stop_gradient

    values = np.roots(_plain(p))
    full = _companion_roots(p)
    near = np.asarray(value_read(full))
    order, free = [], list(range(near.shape[0]))
    for v in values:  # each of NumPy's roots takes the nearest eigenvalue not taken yet
        j = free[int(np.argmin(np.abs(near[free] - v)))]
        order.append(j)
        free.remove(j)
    moved = ops.take(full, np.array(order))
    change = moved - stop_gradient(moved)
    if values.dtype.kind != "c" and _is_complex(change):
        change = ops.real(change)
    return array(values) + change


# ---- products and assembly ------------------------------------------------------------------------------
def vecdot(x1: Any, x2: Any, /, *, axis: int = -1, out: Any = None, **kw: Any) -> Tensor:
    """``np.vecdot``: sum(conj(x1) * x2) along ``axis``."""
    _no_out(out, "vecdot")
    x1, x2 = asarray(x1), asarray(x2)
    return ops.sum(_conj(x1) * x2, axis=axis)


def matvec(x1: Any, x2: Any, /, *, out: Any = None, **kw: Any) -> Tensor:
    """``np.matvec``: matrix times vector over the last axes."""
    _no_out(out, "matvec")
    return ops.matmul(asarray(x1), ops.expand_dims(asarray(x2), -1))[..., 0]


def vecmat(x1: Any, x2: Any, /, *, out: Any = None, **kw: Any) -> Tensor:
    """``np.vecmat``: conj(vector) times matrix over the last axes."""
    _no_out(out, "vecmat")
    return ops.matmul(ops.expand_dims(_conj(asarray(x1)), -2), asarray(x2))[..., 0, :]


def diagflat(v: Any, k: int = 0) -> Tensor:
    """``np.diagflat``: the flattened input on diagonal k."""
    return _shape_ops.diag(ops.reshape(asarray(v), (-1,)), k)


def block(arrays: Any) -> Tensor:
    """``np.block``: assemble from nested lists (the innermost lists join along the last axis)."""

    def depth(x: Any) -> int:
        return 1 + depth(x[0]) if isinstance(x, list) and x else (1 if isinstance(x, list) else 0)

    d = depth(arrays)
    leaves = []

    def collect(x: Any) -> None:
        if isinstance(x, list):
            for e in x:
                collect(e)
        else:
            leaves.append(asarray(x))

    collect(arrays)
    nd = max([d] + [leaf.ndim for leaf in leaves])

    def build(x: Any, level: int) -> Tensor:
        if isinstance(x, list):
            return ops.concatenate([build(e, level + 1) for e in x], axis=-(d - level))
        x = asarray(x)
        return ops.reshape(x, (1,) * (nd - x.ndim) + x.shape) if x.ndim < nd else x

    return build(arrays, 0)


def unstack(x: Any, /, *, axis: int = 0) -> tuple[Tensor, ...]:
    """``np.unstack``: the slices along ``axis``."""
    x = asarray(x)
    moved = ops.moveaxis(x, axis, 0)
    return tuple(moved[i] for i in range(moved.shape[0]))


def resize(a: Any, new_shape: Any) -> Tensor:
    """``np.resize``: the flattened input repeated cyclically to ``new_shape``."""
    return _rearranged(a, lambda c: np.resize(c, new_shape))


def compress(condition: Any, a: Any, axis: Any = None, out: Any = None) -> Tensor:
    """``np.compress``: the slices where ``condition`` holds."""
    _no_out(out, "compress")
    cond = _plain(condition)
    return _rearranged(a, lambda c: np.compress(cond, c, axis))


def extract(condition: Any, arr: Any) -> Tensor:
    """``np.extract``: the entries where ``condition`` holds, flattened."""
    cond = _plain(condition)
    return _rearranged(arr, lambda c: np.extract(cond, c))


def trim_zeros(filt: Any, trim: str = "fb", axis: Any = None) -> Tensor:
    """``np.trim_zeros`` of a 1-d tensor."""
    filt = asarray(filt)
    kept = np.trim_zeros(np.arange(1, filt.shape[0] + 1) * (_plain(filt) != 0), trim)
    nonzero = np.flatnonzero(np.arange(1, filt.shape[0] + 1) * (_plain(filt) != 0))
    if kept.size == 0:
        return filt[:0]
    start = int(nonzero[0]) if "f" in trim.lower() else 0
    return filt[start : start + kept.size]


def apply_along_axis(func1d: Callable, axis: int, arr: Any, *args: Any, **kwargs: Any) -> Tensor:
    """``np.apply_along_axis``: ``func1d`` on each 1-d slice (differentiable when func1d is)."""
    arr = asarray(arr)
    axis = int(axis) % arr.ndim
    moved = ops.moveaxis(arr, axis, -1)
    batch = moved.shape[:-1]
    rows = ops.reshape(moved, (-1, moved.shape[-1]))
    outs = [asarray(func1d(rows[i], *args, **kwargs)) for i in range(rows.shape[0])]
    stacked = ops.stack(outs, axis=0)
    res = ops.reshape(stacked, batch + outs[0].shape)
    k = outs[0].ndim
    if k == 0:
        return res
    order = list(range(len(batch)))
    return ops.transpose(res, tuple(order[:axis] + list(range(len(batch), len(batch) + k)) + order[axis:]))


# ---- elementwise compositions ------------------------------------------------------------------------------
def fix(x: Any, out: Any = None) -> Tensor:
    """``np.fix``: round towards zero (gradient 0)."""
    _no_out(out, "fix")
    x = asarray(x)
    return ops.where(_plain(x) >= 0, ops.floor(x), ops.ceil(x))


def trunc(x: Any) -> Tensor:
    """``np.trunc``: round towards zero (gradient 0)."""
    return fix(x)


def rint(x: Any) -> Tensor:
    """``np.rint``: round half to even (gradient 0)."""
    return ops.round(asarray(x))


def positive(x: Any) -> Tensor:
    """``np.positive``: +x."""
    return asarray(x)


def float_power(x1: Any, x2: Any) -> Tensor:
    """``np.float_power``: the power in float64 (complex128 for complex inputs)."""
    x1, x2 = asarray(x1), asarray(x2)
    target = np.complex128 if _is_complex(x1) or _is_complex(x2) else np.float64
    return ops.power(ops.cast(x1, target), ops.cast(x2, target))


def ldexp(x1: Any, x2: Any) -> Tensor:
    """``np.ldexp``: x1 * 2**x2 (exact; x2 is an integer exponent, not differentiated)."""
    x1 = asarray(x1)
    return x1 * np.ldexp(np.ones((), np.dtype(x1.dtype) if np.dtype(x1.dtype).kind == "f" else float), _plain(x2))


def astype(x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Tensor:
    """``np.astype``."""
    return ops.cast(asarray(x), np.dtype(dtype))


def copy(a: Any, order: str = "K", subok: bool = False) -> Tensor:
    """``np.copy``: tensors are immutable, so the same values (and gradient) as a."""
    return asarray(a) * 1 if isinstance(a, Tensor) else array(a)


def modf(x: Any) -> tuple[Tensor, Tensor]:
    """``np.modf``: (fractional part, integral part); d frac/dx = 1, d int/dx = 0."""
    x = asarray(x)
    whole = fix(x)
    return x - whole, whole


def frexp(x: Any) -> tuple[Tensor, Any]:
    """``np.frexp``: (mantissa, exponent) with x = m 2**e; d m/dx = 2**-e, the exponent is an integer."""
    x = asarray(x)
    _, exponent = np.frexp(_plain(x))
    return x * np.ldexp(np.ones((), np.dtype(x.dtype)), -exponent), array(exponent)


def divmod(x1: Any, x2: Any) -> tuple[Tensor, Tensor]:  # noqa: A001
    """``np.divmod``: (floor_divide, mod)."""
    x1 = asarray(x1)
    return ops.floor_divide(x1, x2), ops.mod(x1, x2)


def sort_complex(a: Any) -> Tensor:
    """``np.sort_complex``: sorted by real part, then imaginary part (complex result)."""
    a = asarray(a)
    order = np.argsort(_plain(a).astype(complex), axis=-1)
    out = _rearranged(a, lambda c: np.take_along_axis(c, order, -1))
    return out if _is_complex(out) else ops.complex(out, ops.zeros_like(out))


def real_if_close(a: Any, tol: float = 100) -> Tensor:
    """``np.real_if_close``: the real part when every imaginary part is within tol machine epsilons."""
    a = asarray(a)
    if not _is_complex(a):
        return a
    limit = tol * np.finfo(np.dtype(a.dtype)).eps if tol > 1 else tol
    return ops.real(a) if np.all(np.abs(np.imag(_plain(a))) < limit) else a


def choose(a: Any, choices: Any, out: Any = None, mode: str = "raise") -> Tensor:
    """``np.choose``: entry i from ``choices[a[i]]`` (differentiable in the choices)."""
    _no_out(out, "choose")
    idx = _plain(a).astype(np.intp)
    n = len(choices)
    if mode == "wrap":
        idx = np.mod(idx, n)
    elif mode == "clip":
        idx = np.clip(idx, 0, n - 1)
    elif idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError("invalid entry in choice array")
    parts = ops.broadcast_arrays(*[asarray(c) for c in choices], array(np.zeros(idx.shape)))[:-1]
    stacked = ops.stack(list(parts), axis=0)
    from tapegrad.numpy._functions import take_along_axis

    return take_along_axis(stacked, np.broadcast_to(idx, stacked.shape[1:])[None], 0)[0]


def apply_over_axes(func: Callable, a: Any, axes: Any) -> Tensor:
    """``np.apply_over_axes``: func(a, axis) for each axis in turn, keeping the dimensions."""
    a = asarray(a)
    for axis in np.atleast_1d(axes).tolist():
        axis = int(axis) % a.ndim
        res = asarray(func(a, axis))
        if res.ndim == a.ndim - 1:
            res = ops.expand_dims(res, axis)
        elif res.ndim != a.ndim:
            raise ValueError("function is not returning an array of the correct shape")
        a = res
    return a


def asarray_chkfinite(a: Any, dtype: Any = None, order: Any = None) -> Tensor:
    """``np.asarray_chkfinite``: asarray, raising on NaN or infinity."""
    out = asarray(a, dtype)
    if np.dtype(out.dtype).kind in "fc" and not np.isfinite(_plain(out)).all():
        raise ValueError("array must not contain infs or NaNs")
    return out


def asanyarray(a: Any, dtype: Any = None, order: Any = None, **kw: Any) -> Tensor:
    """``np.asanyarray``: asarray."""
    return asarray(a, dtype)


def ascontiguousarray(a: Any, dtype: Any = None, **kw: Any) -> Tensor:
    """``np.ascontiguousarray``: asarray (a tensor's layout is NumPy's business)."""
    return asarray(a, dtype)


def asfortranarray(a: Any, dtype: Any = None, **kw: Any) -> Tensor:
    """``np.asfortranarray``: asarray (a tensor's layout is NumPy's business)."""
    return asarray(a, dtype)


def require(a: Any, dtype: Any = None, requirements: Any = None, **kw: Any) -> Tensor:
    """``np.require``: asarray of the dtype (memory-layout requirements do not apply)."""
    return asarray(a, dtype)


def unique(ar: Any, return_index: bool = False, return_inverse: bool = False, return_counts: bool = False,
           axis: Any = None, *, equal_nan: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    """``np.unique``: the sorted distinct values, gathered from their first occurrences (so the
    gradient of each value goes to that entry; where entries tie the derivative is one-sided).
    Indices, inverse and counts are integers (not differentiable)."""
    ar = asarray(ar)
    values = _plain(ar)
    if axis is None:
        flat = ops.reshape(ar, (-1,))
        _, first, inverse, counts = np.unique(values.reshape(-1), True, True, True, equal_nan=equal_nan)
        out = flat[first]
    else:
        axis = int(axis) % ar.ndim
        _, first, inverse, counts = np.unique(values, True, True, True, axis=axis, equal_nan=equal_nan)
        out = ops.take(ar, first, axis=axis)
    extras = [array(first)] if return_index else []
    if return_inverse:
        extras.append(array(inverse.reshape(values.shape) if axis is None else inverse))
    if return_counts:
        extras.append(array(counts))
    return (out, *extras) if extras else out


def unique_values(x: Any) -> Tensor:
    """``np.unique_values``."""
    return unique(x)


# NumPy's named results (``np.unique_all(x).counts``), their classes read from NumPy itself
_UniqueAll, _UniqueCounts, _UniqueInverse = (
    type(f(np.zeros(1))) for f in (np.unique_all, np.unique_counts, np.unique_inverse)
)


def unique_counts(x: Any) -> tuple:
    """``np.unique_counts``: (values, counts), NumPy's named tuple."""
    values, counts = unique(x, return_counts=True, equal_nan=False)
    return _UniqueCounts(values, counts)


def unique_inverse(x: Any) -> tuple:
    """``np.unique_inverse``: (values, inverse indices shaped like x), NumPy's named tuple."""
    values, inverse = unique(x, return_inverse=True, equal_nan=False)
    return _UniqueInverse(values, ops.reshape(inverse, np.shape(x)))


def unique_all(x: Any) -> tuple:
    """``np.unique_all``: (values, first indices, inverse indices shaped like x, counts), NumPy's named tuple."""
    values, indices, inverse, counts = unique(x, True, True, True, equal_nan=False)
    return _UniqueAll(values, indices, ops.reshape(inverse, np.shape(x)), counts)


# ---- integer- and boolean-valued helpers (plain results: not differentiable) ------------------------------------
def _plain_result(name: str) -> Callable:
    fn = getattr(np, name)

    def helper(*args: Any, **kwargs: Any) -> Any:
        out = fn(*[_plain(a) if isinstance(a, Tensor) else a for a in args], **kwargs)
        if isinstance(out, tuple):
            return tuple(array(o) if isinstance(o, np.ndarray) else o for o in out)
        return array(out) if isinstance(out, np.ndarray) else out

    helper.__name__ = helper.__qualname__ = name
    helper.__doc__ = f"``numpy.{name}``: integer or boolean results, not differentiable."
    helper.__module__ = __name__
    return helper


_PLAIN = ("signbit", "isneginf", "isposinf", "iscomplex", "isreal", "isin", "digitize", "lexsort", "nanargmax",
          "nanargmin", "flatnonzero", "broadcast_shapes", "ix_", "unravel_index", "ravel_multi_index",
          "diag_indices_from", "tril_indices_from", "triu_indices_from", "bartlett", "blackman", "hamming",
          "hanning", "kaiser", "mask_indices", "array_equiv", "gcd", "lcm", "bitwise_and", "bitwise_or",
          "bitwise_xor", "bitwise_not", "bitwise_invert", "bitwise_count", "bitwise_left_shift",
          "bitwise_right_shift", "invert", "left_shift", "right_shift", "einsum_path", "isdtype", "typename",
          "min_scalar_type", "mintypecode", "common_type", "spacing", "searchsorted", "iscomplexobj", "isrealobj",
          "array2string", "array_repr", "array_str", "packbits", "unpackbits")
for _name in _PLAIN:
    globals()[_name] = _plain_result(_name)


def bincount(x: Any, /, weights: Any = None, minlength: int = 0) -> Tensor:
    """``np.bincount``; with ``weights`` the sums are differentiable in the weights."""
    idx = _plain(x)
    if weights is None:
        return array(np.bincount(idx, minlength=minlength))
    from tapegrad.ops.shape import scatter_add

    w = asarray(weights)
    n = max(int(idx.max()) + 1 if idx.size else 0, minlength)
    return scatter_add(ops.reshape(w, (-1,)), index=(idx.reshape(-1),), shape=(n,))

