"""Ops with boolean or integer results: comparisons, logic, tests, arg-reductions. Never recorded.

Their results are bool or integer tensors, which carry no gradient; use them to build masks
(``tg.cast(x > 0, tg.float32) * x`` or ``tg.where(x > 0, x, 0)``) and the gradient flows through
the other operands. ``argmax``/``argmin`` follow NumPy (axis None: over the flattened tensor) and
return int64, TensorFlow's default ``output_type``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapegrad._primitive import nondifferentiable
from tapegrad._tensor import Tensor, value_read, wrap
from tapegrad.batching import broadcasting

__all__ = [
    "equal",
    "not_equal",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
    "logical_not",
    "isfinite",
    "isnan",
    "isinf",
    "is_finite",
    "is_nan",
    "is_inf",
    "isclose",
    "argmax",
    "argmin",
    "argsort",
    "count_nonzero",
    "reduce_all",
    "reduce_any",
    "nonzero",
    "argwhere",
]

equal = nondifferentiable(np.equal, "equal", broadcasting)
not_equal = nondifferentiable(np.not_equal, "not_equal", broadcasting)
less = nondifferentiable(np.less, "less", broadcasting)
less_equal = nondifferentiable(np.less_equal, "less_equal", broadcasting)
greater = nondifferentiable(np.greater, "greater", broadcasting)
greater_equal = nondifferentiable(np.greater_equal, "greater_equal", broadcasting)
logical_and = nondifferentiable(np.logical_and, "logical_and", broadcasting)
logical_or = nondifferentiable(np.logical_or, "logical_or", broadcasting)
logical_xor = nondifferentiable(np.logical_xor, "logical_xor", broadcasting)
logical_not = nondifferentiable(np.logical_not, "logical_not", broadcasting)
isfinite = nondifferentiable(np.isfinite, "isfinite", broadcasting)
isnan = nondifferentiable(np.isnan, "isnan", broadcasting)
isinf = nondifferentiable(np.isinf, "isinf", broadcasting)
is_finite, is_nan, is_inf = isfinite, isnan, isinf  # TensorFlow's spellings


def _scalarize(a: Any) -> Any:
    a = np.asarray(a)
    return a[()] if a.ndim == 0 else a


def _arg_reduce(fn):
    """argmax, argmin and count_nonzero: ``fn``'s result as ``dtype`` (NumPy scalars for 0-d)."""

    def impl(x, axis=None, keepdims=False, dtype=np.int64):
        return _scalarize(np.asarray(fn(x, axis=axis, keepdims=keepdims)).astype(dtype))

    return impl


def _argsort(x, axis=-1, descending=False, stable=True):
    if descending:
        # stable descending: a stable ascending sort of the reversed axis, read backwards, keeps
        # equal entries in their original order (negating x would break for unsigned and bool)
        n = np.shape(x)[axis]
        flipped = np.flip(x, axis=axis)
        idx = np.argsort(flipped, axis=axis, kind="stable")
        return _scalarize((n - 1 - np.flip(idx, axis=axis)).astype(np.int64))
    return _scalarize(np.argsort(x, axis=axis, kind="stable" if stable else None).astype(np.int64))


_all_p = nondifferentiable(lambda x, axis=None, keepdims=False: np.all(x, axis=axis, keepdims=keepdims), "reduce_all")
_any_p = nondifferentiable(lambda x, axis=None, keepdims=False: np.any(x, axis=axis, keepdims=keepdims), "reduce_any")
_isclose_p = nondifferentiable(
    lambda a, b, rtol=1e-05, atol=1e-08, equal_nan=False: np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan),
    "isclose",
)
_argmax_p = nondifferentiable(_arg_reduce(np.argmax), "argmax")
_argmin_p = nondifferentiable(_arg_reduce(np.argmin), "argmin")
_argsort_p = nondifferentiable(_argsort, "argsort")
_count_nonzero_p = nondifferentiable(_arg_reduce(np.count_nonzero), "count_nonzero")


def _axis_param(axis: Any) -> Any:
    if isinstance(axis, Tensor):
        axis = np.asarray(axis._value).tolist()
    if isinstance(axis, list):
        return tuple(int(a) for a in axis)
    return None if axis is None else axis if isinstance(axis, tuple) else int(axis)


def _value(x: Any) -> Any:
    return x._value if isinstance(x, Tensor) else x


def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """Elementwise ``|a - b| <= atol + rtol * |b|`` (``np.isclose``), as a bool tensor."""
    return _isclose_p(a, b, rtol=float(rtol), atol=float(atol), equal_nan=bool(equal_nan))


def argmax(
    x: Any, axis: Any = None, output_type: Any = np.int64, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """Index of the largest entry along ``axis`` (over the flattened tensor when None); the first on ties."""
    if axis is not None and not isinstance(_axis_param(axis), int):
        raise TypeError(f"argmax: axis must be an int or None, got {axis!r}")
    return _argmax_p(x, axis=_axis_param(axis), keepdims=bool(keepdims), dtype=np.dtype(output_type))


def argmin(
    x: Any, axis: Any = None, output_type: Any = np.int64, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """Index of the smallest entry along ``axis`` (over the flattened tensor when None); the first on ties."""
    if axis is not None and not isinstance(_axis_param(axis), int):
        raise TypeError(f"argmin: axis must be an int or None, got {axis!r}")
    return _argmin_p(x, axis=_axis_param(axis), keepdims=bool(keepdims), dtype=np.dtype(output_type))


def argsort(
    x: Any, axis: int = -1, direction: str = "ASCENDING", stable: bool = True, name: str | None = None
) -> Tensor:
    """Indices that sort ``x`` along ``axis`` (stable; ``direction="DESCENDING"`` as in ``tf.argsort``)."""
    direction = str(direction).upper()
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"argsort: direction must be 'ASCENDING' or 'DESCENDING', got {direction!r}")
    return _argsort_p(x, axis=int(axis), descending=direction == "DESCENDING", stable=bool(stable))


def count_nonzero(
    x: Any, axis: Any = None, keepdims: bool = False, dtype: Any = np.int64, name: str | None = None
) -> Tensor:
    """Number of non-zero (True) entries over ``axis`` (all axes when None), as int64."""
    return _count_nonzero_p(x, axis=_axis_param(axis), keepdims=bool(keepdims), dtype=np.dtype(dtype))


def reduce_all(x: Any, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Tensor:
    """True where every entry over ``axis`` (all axes when None) is non-zero (``tf.reduce_all`` / ``np.all``)."""
    return _all_p(x, axis=_axis_param(axis), keepdims=bool(keepdims))


def reduce_any(x: Any, axis: Any = None, keepdims: bool = False, name: str | None = None) -> Tensor:
    """True where some entry over ``axis`` (all axes when None) is non-zero (``tf.reduce_any`` / ``np.any``)."""
    return _any_p(x, axis=_axis_param(axis), keepdims=bool(keepdims))


def nonzero(x: Any) -> tuple[Tensor, ...]:
    """``np.nonzero``: one int64 tensor of indices per axis, where ``x`` is non-zero."""
    value = np.asarray(value_read(x) if isinstance(x, Tensor) else x)  # (tg.function guards what it reads)
    if value.ndim == 0:
        raise ValueError("nonzero of a 0-d tensor is undefined; reshape it to 1-d first")
    return tuple(wrap(i.astype(np.int64)) for i in np.nonzero(value))


def argwhere(x: Any) -> Tensor:
    """``np.argwhere`` (and one-argument ``tf.where``): the (n, ndim) int64 indices of non-zero entries."""
    return wrap(np.argwhere(np.asarray(value_read(x) if isinstance(x, Tensor) else x)).astype(np.int64))


def _np_argsort(a: Any, axis: int = -1, kind: Any = None, order: Any = None, *, stable: Any = None) -> Tensor:
    if order is not None:
        raise TypeError("numpy.argsort on a tapegrad Tensor does not take order=")
    return argsort(a, axis=axis)


NUMPY_FUNCTIONS = {
    np.argmax: lambda a, axis=None, out=None, *, keepdims=False: argmax(a, axis, keepdims=keepdims),
    np.argmin: lambda a, axis=None, out=None, *, keepdims=False: argmin(a, axis, keepdims=keepdims),
    np.argsort: _np_argsort,
    np.isclose: lambda a, b, rtol=1e-05, atol=1e-08, equal_nan=False: isclose(a, b, rtol, atol, equal_nan),
    np.allclose: lambda a, b, rtol=1e-05, atol=1e-08, equal_nan=False: bool(
        np.all(np.isclose(np.asarray(_value(a)), np.asarray(_value(b)), rtol, atol, equal_nan))
    ),
    np.array_equal: lambda a1, a2, equal_nan=False: bool(
        np.array_equal(np.asarray(_value(a1)), np.asarray(_value(a2)), equal_nan=equal_nan)
    ),
    np.all: lambda a, axis=None, out=None, keepdims=False, *, where=None: reduce_all(a, axis, keepdims),
    np.any: lambda a, axis=None, out=None, keepdims=False, *, where=None: reduce_any(a, axis, keepdims),
    np.count_nonzero: lambda a, axis=None, *, keepdims=False: count_nonzero(a, axis, keepdims),
    np.nonzero: nonzero,
    np.argwhere: argwhere,
}
