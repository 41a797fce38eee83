"""Reductions and scans: sum, mean, prod, max, min, var, std, norm, logsumexp, cumsum, cumprod.

Every primitive takes its parameters (axis, keepdims, ddof, reverse) as keywords; the public
wrappers take NumPy's and TensorFlow's spellings (``reduce_sum(input_tensor, axis, keepdims)``).
Conventions where the derivative is not unique (following TensorFlow where it has one):
  * max/min: tied elements share the gradient equally (TF's reduce_max: indicators / count);
    the JVP is the mean of the tied tangents, so forward and reverse mode stay adjoint.
  * norm and std: the gradient where the result is 0 is 0, not nan.
prod and cumprod are exact where the input has zeros (and where a product underflows to 0), to
every order: there they use division-free formulas instead of ans / x.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from tapegrad import _backend
from tapegrad._primitive import defrule, linear
from tapegrad._tensor import Tensor, ops, value_read
from tapegrad.batching import along_axes
from tapegrad.taylor import real_only

# fmt: off
__all__ = [
    "sum", "mean", "prod", "max", "min", "var", "std", "norm", "logsumexp", "cumsum", "cumprod", "reduce_sum",
    "reduce_mean", "reduce_prod", "reduce_max", "reduce_min", "reduce_variance", "reduce_std", "reduce_logsumexp",
    "reduce_euclidean_norm",
]
# fmt: on


# ---- helpers shared by the rules (and by other families) ------------------------------------------
def normalize_axis(axis: Any, ndim: int) -> tuple[int, ...]:
    """The reduced axes as a sorted tuple of non-negative ints (all axes for None)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (list, tuple)):
        axes = tuple(int(a) for a in axis)
    else:
        axes = (int(axis),)
    out = []
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(set(out)))


def as_axis_param(axis: Any) -> Any:
    """Axis arguments as NumPy takes them (lists become tuples)."""
    if isinstance(axis, list):
        return tuple(axis)
    if isinstance(axis, Tensor):  # a tensor holding the axis (tg.function guards it)
        return as_axis_param(np.asarray(value_read(axis)).tolist())
    return axis


def expand_reduced(g: Any, shape: tuple, axis: Any, keepdims: bool) -> Any:
    """Broadcast a cotangent of a reduction back to the input's shape."""
    return ops.broadcast_to(kept(g, shape, axis, keepdims), shape)


def kept(g: Any, shape: tuple, axis: Any, keepdims: bool) -> Any:
    """A reduced value reshaped as with keepdims=True, so that it broadcasts against the input."""
    if keepdims:
        return g
    axes = normalize_axis(axis, len(shape))
    return ops.reshape(g, tuple(1 if i in axes else n for i, n in enumerate(shape)))


def reduced_count(shape: tuple, axis: Any) -> int:
    axes = normalize_axis(axis, len(shape))
    return int(np.prod([shape[a] for a in axes], dtype=np.int64)) if shape else 1


def _value(x: Any) -> Any:
    return x._value if isinstance(x, Tensor) else x


def shape_of(x: Any) -> tuple:
    """The shape of a tensor or a plain value."""
    return np.shape(_value(x))


def _safe(d: Any) -> Any:
    """``d`` with its zeros replaced by ones (a denominator where the numerator is 0 anyway)."""
    return ops.where(d == 0, ops.ones_like(d), d)


def _numpy_reduction(fn: Any) -> Any:
    """The forward of a reduction: NumPy's ``fn`` with the primitive's keyword parameters (and var's ddof)."""

    def forward(x, axis=None, keepdims=False, **ddof):
        return fn(x, axis=axis, keepdims=keepdims, **ddof)

    forward.__name__ = f"_{fn.__name__}"  # as the primitive's doc names it
    return forward


# ---- sum and mean (linear) ------------------------------------------------------------------------
_sum_p = linear(
    _numpy_reduction(np.sum),
    lambda g, _ans, _x, axis=None, keepdims=False: expand_reduced(g, _x.shape, axis, keepdims),
    name="sum",
    batch=along_axes,
)
_mean_p = linear(
    _numpy_reduction(np.mean),
    lambda g, _ans, _x, axis=None, keepdims=False: (
        expand_reduced(g, _x.shape, axis, keepdims) / reduced_count(_x.shape, axis)
    ),
    name="mean",
    batch=along_axes,
)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """Sum over ``axis`` (an int, a tuple of ints, or None for all)."""
    return _sum_p(x, axis=as_axis_param(axis), keepdims=bool(keepdims))


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Arithmetic mean over ``axis``."""
    return _mean_p(x, axis=as_axis_param(axis), keepdims=bool(keepdims))


# ---- sums and means over a mask (NumPy's where=; initial=): NumPy's own loops, so NumPy's values -------
# The mask is the second argument (not differentiated), so a mask computed from tensors is recorded, not read.
def _masked_sum(x, where, axis=None, keepdims=False, initial=None):
    extra = {} if initial is None else {"initial": initial}
    return np.sum(x, axis=axis, keepdims=keepdims, where=where, **extra)


def _on_mask(g, x, where, axis, keepdims):
    """A reduction's cotangent spread back over x's entries where the mask holds (0 elsewhere)."""
    return ops.where(ops.broadcast_to(where, x.shape), expand_reduced(g, x.shape, axis, keepdims), 0)


_masked_sum_p = defrule(
    _masked_sum,
    vjps=(lambda g, _ans, x, where, axis=None, keepdims=False, initial=None: _on_mask(g, x, where, axis, keepdims),
          None),
    jvps=(lambda t, _ans, x, where, axis=None, keepdims=False, initial=None: _masked_sum_p(
        t, where, axis=axis, keepdims=keepdims), None),  # initial is a constant: no tangent
    name="masked_sum",
    complex=True,
    batch=along_axes,  # the mask broadcasts from the right, over the stack's leading axis too
)


def _masked_count(like, where, axis, keepdims):
    """How many entries each masked mean averages (at least 1: an empty slice has no entry to reach)."""
    mask = ops.cast(ops.broadcast_to(where, like.shape), _backend.numpy_dtype(like.dtype))
    return ops.maximum(sum(mask, axis, keepdims), 1)


_masked_mean_p = defrule(
    lambda x, where, axis=None, keepdims=False: np.mean(x, axis=axis, keepdims=keepdims, where=where),
    vjps=(lambda g, _ans, x, where, axis=None, keepdims=False: _on_mask(
        g / _masked_count(x, where, axis, keepdims), x, where, axis, keepdims), None),
    jvps=(lambda t, _ans, x, where, axis=None, keepdims=False: _masked_mean_p(
        t, where, axis=axis, keepdims=keepdims), None),
    name="masked_mean",
    complex=True,
    batch=along_axes,
)


def _mask(where: Any) -> Any:
    """NumPy's where= as a boolean tensor or a read-only boolean array (a mask selects; it is not differentiated)."""
    if isinstance(where, Tensor):
        return where if _backend.kind(where.dtype) == "b" else ops.cast(where, np.bool_)
    mask = np.array(where, dtype=bool)
    mask.flags.writeable = False
    return mask


def masked_sum(x: Any, axis: Any = None, keepdims: bool = False, where: Any = True, initial: Any = None) -> Any:
    """``np.sum(x, axis, where=where, initial=initial)``: the entries where ``where`` holds (and ``initial``)."""
    return _masked_sum_p(x, _mask(where), axis=as_axis_param(axis), keepdims=bool(keepdims), initial=initial)


def masked_mean(x: Any, axis: Any = None, keepdims: bool = False, where: Any = True) -> Any:
    """``np.mean(x, axis, where=where)``: the mean of the entries where ``where`` holds (NaN for none)."""
    return _masked_mean_p(x, _mask(where), axis=as_axis_param(axis), keepdims=bool(keepdims))


# ---- scans: cumsum and cumprod along one axis -----------------------------------------------------
def _flip(x, axis):
    return np.flip(x, axis) if x.ndim else x


def _cumsum(x, axis=0, reverse=False):
    if reverse:
        return _flip(np.cumsum(_flip(x, axis), axis=axis), axis)
    return np.cumsum(x, axis=axis)


def _cumprod(x, axis=0, reverse=False):
    if reverse:
        return _flip(np.cumprod(_flip(x, axis), axis=axis), axis)
    return np.cumprod(x, axis=axis)


# The transpose of a forward running sum is the reversed running sum (the primitive always gets
# one int axis; the public wrappers flatten for axis=None first).
_cumsum_p = linear(
    _cumsum,
    lambda g, _ans, _x, axis=0, reverse=False: _cumsum_p(g, axis=axis, reverse=not reverse),
    name="cumsum",
    batch=along_axes,
)


def _part(x: Any, axis: int, start: int, stop: int) -> Any:
    """``x[start:stop]`` along ``axis`` counted from the end (so it names the same axis of a stack)."""
    return ops.getitem(x, (Ellipsis, slice(start, stop)) + (slice(None),) * (-axis - 1))


def _shifted(x: Any, axis: int, reverse: bool, fill: int = 1) -> Any:
    """``x`` moved one step along ``axis``, the vacated end filled with ``fill``: the exclusive running
    product (fill 1) or sum (fill 0) when ``x`` is the inclusive one."""
    axis = _from_end(axis, x)
    n = x.shape[axis]
    if n == 0:
        return x
    edge = ops.full_like(_part(x, axis, 0, 1), fill)
    if reverse:
        return ops.concatenate([_part(x, axis, 1, n), edge], axis)
    return ops.concatenate([edge, _part(x, axis, 0, n - 1)], axis)


def _recurrence(a: Any, b: Any, axis: int, reverse: bool) -> Any:
    """h with h_i = b_i + a_i h_(i-1) along ``axis`` (from the end; ``reverse``: h_(i+1)), h_(-1) = 0.

    A Hillis-Steele scan over the maps h -> a h + b in log2(n) steps of products and sums: no
    division, so it stays exact with zeros, subnormals and huge values. ``b`` may carry a leading
    batch axis that ``a`` lacks (a stack of tangents or cotangents): they broadcast.
    """
    n = b.shape[axis]
    step = 1
    while step < n:
        if reverse:  # combine i with i + step
            b = ops.concatenate(
                [
                    _part(b, axis, 0, n - step) + _part(a, axis, 0, n - step) * _part(b, axis, step, n),
                    _part(b, axis, n - step, n),
                ],
                axis,
            )
            if 2 * step < n:
                a = ops.concatenate(
                    [_part(a, axis, 0, n - step) * _part(a, axis, step, n), _part(a, axis, n - step, n)], axis
                )
        else:  # combine i with i - step
            b = ops.concatenate(
                [
                    _part(b, axis, 0, step),
                    _part(b, axis, step, n) + _part(a, axis, step, n) * _part(b, axis, 0, n - step),
                ],
                axis,
            )
            if 2 * step < n:
                a = ops.concatenate(
                    [_part(a, axis, 0, step), _part(a, axis, step, n) * _part(a, axis, 0, n - step)], axis
                )
        step *= 2
    return b


def _from_end(axis: int, x: Any) -> int:
    return axis - len(x.shape) if axis >= 0 else axis


# y = cumprod(x): y_i = e_i x_i with e the exclusive running product. Forward: dy_i = x_i dy_(i-1)
# + e_i t_i (the product rule, one step at a time). Reverse: dL/dx_k = e_k h_k with h_k = g_k +
# x_(k+1) h_(k+1). Both are linear recurrences, scanned without any division (y_i / x_k is not exact
# at subnormals and undefined at zeros). The rules also serve stacks (a leading batch axis on g or
# t): the axis is counted from the end, and x, ans broadcast against the stack.
def _cumprod_vjp(g, ans, x, axis=0, reverse=False):
    axis = _from_end(axis, x)
    if x.shape[axis] == 0:
        return g
    # the coefficient of step k is x_(k+1) (x_(k-1) when reversed): x shifted towards k
    a = _shifted(x, axis, not reverse)
    return _shifted(ans, axis, reverse) * _recurrence(a, g, axis, not reverse)


def _cumprod_jvp(t, ans, x, axis=0, reverse=False):
    axis = _from_end(axis, x)
    if x.shape[axis] == 0:
        return t
    return _recurrence(x, _shifted(ans, axis, reverse) * t, axis, reverse)


_cumprod_p = defrule(
    _cumprod, vjps=(_cumprod_vjp,), jvps=(_cumprod_jvp,), name="cumprod", complex=True, batch=along_axes
)


def _scan_axis(x: Any, axis: Any, what: str) -> tuple[Any, int]:
    """The scanned tensor and its axis as a non-negative int (None: the flattened tensor)."""
    axis = as_axis_param(axis)
    if axis is None:
        return ops.reshape(x, (-1,)), 0
    if isinstance(axis, tuple) or isinstance(axis, (float, bool)):
        raise TypeError(f"{what}: axis must be one int (or None for the flattened tensor), got {axis!r}")
    ndim = len(shape_of(x))
    if ndim == 0 or not -ndim <= int(axis) < ndim:
        raise ValueError(f"{what}: axis {axis} is out of range for a tensor with {ndim} dimensions")
    return x, int(axis) % ndim


def cumsum(x: Any, axis: Any = None, exclusive: bool = False, reverse: bool = False, name: str | None = None) -> Any:
    """Running sum along ``axis`` (np.cumsum; None flattens first, as NumPy does).

    ``exclusive`` and ``reverse`` are tf.math.cumsum's: leave out each element's own term, and run
    from the end.
    """
    x, axis = _scan_axis(x, axis, "cumsum")
    y = _cumsum_p(x, axis=axis, reverse=bool(reverse))
    return _shifted(y, axis, bool(reverse), 0) if exclusive else y


def cumprod(x: Any, axis: Any = None, exclusive: bool = False, reverse: bool = False, name: str | None = None) -> Any:
    """Running product along ``axis`` (np.cumprod; None flattens first); exact gradients with zeros.

    ``exclusive`` and ``reverse`` are tf.math.cumprod's.
    """
    x, axis = _scan_axis(x, axis, "cumprod")
    y = _cumprod_p(x, axis=axis, reverse=bool(reverse))
    return _shifted(y, axis, bool(reverse)) if exclusive else y


# ---- prod -----------------------------------------------------------------------------------------
def _others_product(x: Any, axis: Any) -> Any:
    """For each element, the product of the other elements of its reduced slice, without division.

    The reduced axes are flattened into one last axis; there the product of the others is the
    exclusive running product from the left times the one from the right.
    """
    shape = x.shape
    axes = normalize_axis(axis, len(shape))
    if not axes:
        return ops.ones_like(x)
    rest = tuple(i for i in range(len(shape)) if i not in axes)
    perm = rest + axes
    moved = x if perm == tuple(range(len(shape))) else ops.transpose(x, perm)
    lead = tuple(shape[i] for i in rest)
    flat = ops.reshape(moved, lead + (reduced_count(shape, axes),))
    last = len(lead)
    left = _shifted(_cumprod_p(flat, axis=last, reverse=False), last, False)
    right = _shifted(_cumprod_p(flat, axis=last, reverse=True), last, True)
    others = ops.reshape(left * right, tuple(shape[i] for i in perm))
    if perm == tuple(range(len(shape))):
        return others
    return ops.transpose(others, tuple(int(i) for i in np.argsort(perm)))


def _divisible(ans: Any, x: Any) -> bool:
    """True when ans / x_k is the product of the others to within rounding: every value normal and
    finite (a zero makes it undefined, a subnormal or an overflowed product inexact). Decides which
    formula a rule uses; inspecting values here is control flow, not math."""
    for v in (ans, x):
        if _backend.is_foreign(_value(v)):  # a lazy (Dask) value is not inspected: the division-free
            return False  # formula is right everywhere, and recording and differentiating compute nothing
        v = np.abs(np.asarray(_value(v)))
        if v.dtype.kind == "f" and not np.all((v >= np.finfo(v.dtype).tiny) & (v < np.inf)):
            return False
        if v.dtype.kind != "f" and not np.all(v != 0):
            return False
    return True


def _prod_vjp(g, ans, x, axis=None, keepdims=False):
    g = kept(g, x.shape, axis, keepdims)
    if _divisible(ans, x):
        # ans / x_k is the product of the others, to rounding while every value is normal
        return g * (kept(ans, x.shape, axis, keepdims) / x)
    return g * _others_product(x, axis)


def _prod_jvp(t, ans, x, axis=None, keepdims=False):
    if _divisible(ans, x):
        return ans * ops.sum(t / x, axis=axis, keepdims=keepdims)
    return ops.sum(t * _others_product(x, axis), axis=axis, keepdims=keepdims)


_prod_p = defrule(
    _numpy_reduction(np.prod), vjps=(_prod_vjp,), jvps=(_prod_jvp,), name="prod", complex=True, batch=along_axes
)


def prod(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Product over ``axis``; its gradient is exact where elements are 0 (no ans / x)."""
    return _prod_p(x, axis=as_axis_param(axis), keepdims=bool(keepdims))


# ---- max and min ----------------------------------------------------------------------------------
def _selected(ans: Any, x: Any, axis: Any, keepdims: bool) -> tuple[Any, Any]:
    """0/1 indicators of the elements equal to the result, and how many there are per slice."""
    hit = ops.cast(ops.equal(x, kept(ans, x.shape, axis, keepdims)), x.dtype)
    return hit, ops.sum(hit, axis=axis, keepdims=True)


_EXTREMUM = dict(complex=True, batch=along_axes, taylor=real_only("linear"))


# Ties share the gradient equally, as TensorFlow's reduce_max/reduce_min (indicators / count).
def _extremum_vjp(g, ans, x, axis=None, keepdims=False):
    hit, count = _selected(ans, x, axis, keepdims)
    return kept(g, x.shape, axis, keepdims) * hit / count


# The JVP is the mean tangent over the tied elements: the adjoint of the VJP above.
def _extremum_jvp(t, ans, x, axis=None, keepdims=False):
    hit, count = _selected(ans, x, axis, keepdims)
    return ops.sum(t * (hit / count), axis=axis, keepdims=keepdims)


# linear where differentiable: Taylor coefficients go through the JVP (ties as there)
_max_p, _min_p = (
    defrule(_numpy_reduction(fn), vjps=(_extremum_vjp,), jvps=(_extremum_jvp,), name=name, **_EXTREMUM)
    for fn, name in ((np.max, "max"), (np.min, "min"))
)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """Largest element over ``axis``; tied maxima share the gradient equally (as TensorFlow)."""
    return _max_p(x, axis=as_axis_param(axis), keepdims=bool(keepdims))


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """Smallest element over ``axis``; tied minima share the gradient equally (as TensorFlow)."""
    return _min_p(x, axis=as_axis_param(axis), keepdims=bool(keepdims))


# ---- variance and standard deviation ------------------------------------------------------------
def _centered(x: Any, axis: Any) -> Any:
    return x - ops.mean(x, axis=axis, keepdims=True)


def _dof(x: Any, axis: Any, ddof: Any) -> Any:
    return reduced_count(x.shape, axis) - ddof


# var, std and norm are real functions of complex values (|x|^2 in place of x^2), so not holomorphic:
# d|c|^2 = 2 Re(conj(c) dc), whose transpose takes g to 2 g conj(c). For real values conj and Re
# are the identity and are skipped.
def _conj(x: Any) -> Any:
    return ops.conj(x) if _backend.kind(x.dtype) == "c" else x


def _re(x: Any) -> Any:
    return ops.real(x) if x.dtype.kind == "c" else x


def _var_vjp(g, _ans, x, axis=None, keepdims=False, ddof=0):
    return kept(g, x.shape, axis, keepdims) * _conj(_centered(x, axis)) * (2 / _dof(x, axis, ddof))


def _var_jvp(t, _ans, x, axis=None, keepdims=False, ddof=0):
    return _re(ops.sum(t * _conj(_centered(x, axis)), axis=axis, keepdims=keepdims)) * (2 / _dof(x, axis, ddof))


_var_p = defrule(
    _numpy_reduction(np.var), vjps=(_var_vjp,), jvps=(_var_jvp,), name="var", complex=True, batch=along_axes
)


# std'(x) = (x - mean) / (dof * std); where std is 0 all x - mean are 0 and the gradient is 0 (not nan).
def _std_vjp(g, ans, x, axis=None, keepdims=False, ddof=0):
    scale = kept(g, x.shape, axis, keepdims) / (_safe(kept(ans, x.shape, axis, keepdims)) * _dof(x, axis, ddof))
    return scale * _conj(_centered(x, axis))


def _std_jvp(t, ans, x, axis=None, keepdims=False, ddof=0):
    projected = _re(ops.sum(t * _conj(_centered(x, axis)), axis=axis, keepdims=keepdims))
    return projected / (_safe(ans) * _dof(x, axis, ddof))


_std_p = defrule(
    _numpy_reduction(np.std), vjps=(_std_vjp,), jvps=(_std_jvp,), name="std", complex=True, batch=along_axes
)


def _checked_ddof(x: Any, axis: Any, ddof: Any, what: str) -> Any:
    n = reduced_count(shape_of(x), axis)
    if ddof < 0 or n - ddof <= 0:
        raise ValueError(
            f"{what}: ddof={ddof} leaves no degrees of freedom for {n} element(s) per slice; use 0 <= ddof < {n}"
        )
    return ddof


def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Any:
    """Variance over ``axis``: mean((x - mean)**2) * n / (n - ddof)."""
    axis = as_axis_param(axis)
    return _var_p(x, axis=axis, keepdims=bool(keepdims), ddof=_checked_ddof(x, axis, ddof, "var"))


def std(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Any:
    """Standard deviation over ``axis``; its gradient is 0 (not nan) where it is 0."""
    axis = as_axis_param(axis)
    return _std_p(x, axis=axis, keepdims=bool(keepdims), ddof=_checked_ddof(x, axis, ddof, "std"))


# ---- the Euclidean norm -------------------------------------------------------------------------
def _norm(x, axis=None, keepdims=False):
    squares = np.square(np.abs(x)) if np.iscomplexobj(x) else np.square(x)
    return np.sqrt(np.sum(squares, axis=axis, keepdims=keepdims))


# norm'(x) = x / norm (conj(x) / norm for complex x); the gradient at norm = 0 is 0, not nan (x is 0
# there, so x / 1 = 0).
def _norm_vjp(g, ans, x, axis=None, keepdims=False):
    return kept(g, x.shape, axis, keepdims) * _conj(x) / _safe(kept(ans, x.shape, axis, keepdims))


def _norm_jvp(t, ans, x, axis=None, keepdims=False):
    return _re(ops.sum(t * _conj(x), axis=axis, keepdims=keepdims)) / _safe(ans)


_norm_p = defrule(_norm, vjps=(_norm_vjp,), jvps=(_norm_jvp,), name="norm", complex=True, batch=along_axes)

_EUCLIDEAN = (None, "euclidean", "fro", "f")


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Any:  # noqa: A002
    """The 2-norm of a vector, the Frobenius norm of a matrix (sqrt of the sum of squares over ``axis``).

    ``ord`` may be None, 'euclidean', 'fro' or 2 (for one axis), or 1 and inf (for one axis).
    The gradient at a zero norm is 0, not nan.
    """
    axis = as_axis_param(axis)
    if isinstance(ord, str):
        ord = ord.lower()
    one_axis = isinstance(axis, (int, np.integer)) or (axis is None and len(shape_of(x)) == 1)
    if ord in _EUCLIDEAN or (ord == 2 and one_axis):
        return _norm_p(x, axis=axis, keepdims=bool(keepdims))
    if one_axis and ord == 1:
        return sum(ops.abs(x), axis, keepdims)
    if one_axis and ord == np.inf:
        return max(ops.abs(x), axis, keepdims)
    raise NotImplementedError(
        f"norm: ord={ord!r} over axis={axis!r} is not supported; tapegrad has the Euclidean/Frobenius "
        "norm (ord=None, 'euclidean', 'fro') and, over one axis, ord=1, 2 and inf"
    )


# ---- logsumexp ------------------------------------------------------------------------------------
def _logsumexp(x, axis=None, keepdims=False):
    top = np.max(x, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)  # all -inf (or an inf) in a slice: no shift
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    if not keepdims:
        out = np.squeeze(out, axis=axis)
    return out[()] if isinstance(out, np.ndarray) and out.ndim == 0 else out


# d logsumexp / dx = exp(x - ans) = softmax(x): every exponent is <= 0, so large x stay finite.
def _logsumexp_vjp(g, ans, x, axis=None, keepdims=False):
    return kept(g, x.shape, axis, keepdims) * ops.exp(x - kept(ans, x.shape, axis, keepdims))


def _logsumexp_jvp(t, ans, x, axis=None, keepdims=False):
    return ops.sum(t * ops.exp(x - kept(ans, x.shape, axis, keepdims)), axis=axis, keepdims=keepdims)


_logsumexp_p = defrule(_logsumexp, vjps=(_logsumexp_vjp,), jvps=(_logsumexp_jvp,), name="logsumexp", batch=along_axes)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """log(sum(exp(x))) over ``axis``, computed without overflow (logsumexp([1000, 1000]) = 1000.69...)."""
    return _logsumexp_p(x, axis=as_axis_param(axis), keepdims=bool(keepdims))


# ---- TensorFlow's names ---------------------------------------------------------------------------
def reduce_sum(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Any:
    """tf.reduce_sum."""
    return sum(input_tensor, axis, keepdims)


def reduce_mean(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Any:
    """tf.reduce_mean."""
    return mean(input_tensor, axis, keepdims)


def reduce_prod(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Any:
    """tf.reduce_prod."""
    return prod(input_tensor, axis, keepdims)


def reduce_max(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Any:
    """tf.reduce_max (ties share the gradient equally)."""
    return max(input_tensor, axis, keepdims)


def reduce_min(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Any:
    """tf.reduce_min (ties share the gradient equally)."""
    return min(input_tensor, axis, keepdims)


def reduce_variance(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Any:
    """tf.math.reduce_variance (the population variance, ddof=0)."""
    return var(input_tensor, axis, keepdims)


def reduce_std(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Any:
    """tf.math.reduce_std (the population standard deviation, ddof=0)."""
    return std(input_tensor, axis, keepdims)


def reduce_logsumexp(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Any:
    """tf.reduce_logsumexp."""
    return logsumexp(input_tensor, axis, keepdims)


def reduce_euclidean_norm(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Any:
    """tf.math.reduce_euclidean_norm."""
    return norm(input_tensor, None, axis, keepdims)


# ---- NumPy entry points (__array_function__), with NumPy's keyword names ----------------------------
def _plain(func: str, out: Any = None, where: Any = True, initial: Any = None, **extra: Any) -> None:
    """Reject the NumPy options tapegrad does not implement, naming them."""
    if out is not None:
        raise TypeError(f"numpy.{func} on a tapegrad Tensor does not take out=; tensors are immutable")
    if where is not True:
        raise TypeError(f"numpy.{func} on a tapegrad Tensor does not take where=; mask with tg.where first")
    if initial is not None:
        raise TypeError(f"numpy.{func} on a tapegrad Tensor does not take initial=; combine it with the result instead")
    for key, value in extra.items():
        if value is not None:
            raise TypeError(f"numpy.{func} on a tapegrad Tensor does not take {key}=")


def _with_dtype(a: Any, dtype: Any) -> Any:
    return a if dtype is None else ops.cast(a, dtype)


def inexact_dtype(func: str, dtype: Any) -> Any:
    """The dtype= of a mean, variance or standard deviation, refused when not inexact: NumPy's sums and
    divides in that integer type (np.mean(a, dtype=np.int8) wraps around and truncates)."""
    if dtype is not None and np.dtype(dtype).kind not in "fc":
        raise TypeError(
            f"numpy.{func} on a tapegrad Tensor does not take an integer dtype= ({np.dtype(dtype)}); "
            "compute in floating point and cast the result"
        )
    return dtype


def _np_mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    _plain("mean", out)
    a = _with_dtype(a, inexact_dtype("mean", dtype))
    return mean(a, axis, keepdims) if where is True else masked_mean(a, axis, keepdims, where)


def _np_total(func: Any, what: str) -> Any:  # sum, prod
    def total(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True):
        if what == "prod":  # where=: the product of where(mask, a, 1) (NumPy's loop multiplies the same numbers)
            _plain(what, out, initial=initial)
            if where is not True:
                a = ops.where(_mask(where), a, 1)
        else:
            _plain(what, out)
        a = _with_dtype(a, dtype)
        if what == "sum" and (where is not True or initial is not None):
            return _with_dtype(masked_sum(a, axis, keepdims, where, initial), dtype)
        return _with_dtype(func(a, axis, keepdims), dtype)  # int8 wraps around in int8

    return total


def _np_extremum(func: Any, what: str) -> Any:  # max, min
    def extremum(a, axis=None, out=None, keepdims=False, initial=None, where=True):
        _plain(what, out)
        if where is not True:  # the masked-out entries as the one value that never wins, then initial
            if initial is None:
                name = "maximum" if what == "max" else "minimum"
                raise ValueError(f"reduction operation '{name}' does not have an identity, so to use a where mask "
                                 "one has to specify 'initial'")
            dtype = _backend.numpy_dtype(a.dtype)
            info = np.finfo(dtype) if dtype.kind in "fc" else np.iinfo(dtype) if dtype.kind in "iu" else None
            loser = (-np.inf if what == "max" else np.inf) if dtype.kind in "fc" else (
                (info.min if what == "max" else info.max) if info is not None else what != "max")
            a = ops.where(_mask(where), a, np.asarray(loser, dtype))
        out = func(a, axis, keepdims)
        if initial is not None:
            out = (ops.maximum if what == "max" else ops.minimum)(out, np.asarray(initial).astype(
                _backend.numpy_dtype(out.dtype)))  # in the reduction's dtype, as NumPy's
        return out

    return extremum


def _np_moment(func: Any, what: str) -> Any:
    def moment(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, mean=None, correction=None):
        _plain(what, out, where, mean=mean)
        if correction is not None:
            ddof = correction
        return func(_with_dtype(a, inexact_dtype(what, dtype)), axis, keepdims, ddof)

    return moment


def _np_scan(func: Any, what: str) -> Any:
    def scan(a, axis=None, dtype=None, out=None):
        _plain(what, out)
        return _with_dtype(func(_with_dtype(a, dtype), axis), dtype)

    return scan


NUMPY_FUNCTIONS = {
    np.sum: _np_total(sum, "sum"),
    np.mean: _np_mean,
    np.prod: _np_total(prod, "prod"),
    np.max: _np_extremum(max, "max"),
    np.amax: _np_extremum(max, "max"),
    np.min: _np_extremum(min, "min"),
    np.amin: _np_extremum(min, "min"),
    np.var: _np_moment(var, "var"),
    np.std: _np_moment(std, "std"),
    np.cumsum: _np_scan(cumsum, "cumsum"),
    np.cumprod: _np_scan(cumprod, "cumprod"),
}
