"""Reductions: sum, mean (and the helpers that expand a reduced cotangent back to its input)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tapegrad._primitive import linear
from tapegrad._tensor import ops


__all__ = [
    "sum",
    "mean",
]


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
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(set(out)))


def as_axis_param(axis: Any) -> Any:
    """Axis arguments as NumPy takes them (lists become tuples)."""
    if isinstance(axis, list):
        return tuple(axis)
    if hasattr(axis, "_value"):  # a tensor holding the axis
        return as_axis_param(np.asarray(axis._value).tolist())
    return axis


def expand_reduced(g: Any, shape: tuple, axis: Any, keepdims: bool) -> Any:
    """Broadcast a cotangent of a reduction back to the input's shape."""
    if not keepdims:
        axes = normalize_axis(axis, len(shape))
        g = ops.reshape(g, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return ops.broadcast_to(g, shape)


def reduced_count(shape: tuple, axis: Any) -> int:
    axes = normalize_axis(axis, len(shape))
    return int(np.prod([shape[a] for a in axes], dtype=np.int64)) if shape else 1


def _sum(x, axis=None, keepdims=False):
    return np.sum(x, axis=axis, keepdims=keepdims)


def _mean(x, axis=None, keepdims=False):
    return np.mean(x, axis=axis, keepdims=keepdims)


_sum_p = linear(
    _sum, lambda g, ans, x, axis=None, keepdims=False: expand_reduced(g, x.shape, axis, keepdims), name="sum"
)
_mean_p = linear(
    _mean,
    lambda g, ans, x, axis=None, keepdims=False: expand_reduced(g, x.shape, axis, keepdims)
    / reduced_count(x.shape, axis),
    name="mean",
)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """Sum over ``axis`` (an int, a tuple of ints, or None for all)."""
    return _sum_p(x, axis=as_axis_param(axis), keepdims=bool(keepdims))


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Arithmetic mean over ``axis``."""
    return _mean_p(x, axis=as_axis_param(axis), keepdims=bool(keepdims))


NUMPY_FUNCTIONS = {
    np.sum: lambda a, axis=None, dtype=None, out=None, keepdims=False, **kw: sum(a, axis, keepdims),
    np.mean: lambda a, axis=None, dtype=None, out=None, keepdims=False, **kw: mean(a, axis, keepdims),
}
