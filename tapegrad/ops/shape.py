"""Shape ops: reshape, transpose, broadcast_to, stack, concatenate, cast, and indexing (getitem)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tapegrad._primitive import PerArgument, defrule, linear, unbroadcast
from tapegrad._tensor import Tensor, ops
from tapegrad.ops.reduce import normalize_axis


__all__ = [
    "reshape",
    "transpose",
    "broadcast_to",
    "cast",
    "stack",
    "concatenate",
    "scatter_add",
    "getitem",
    "expand_dims",
    "squeeze",
]


def _reshape(x, shape):
    return np.reshape(x, shape)


def _transpose(x, axes=None):
    return np.transpose(x, axes)


def _broadcast_to(x, shape):
    return np.broadcast_to(x, shape)


def _cast(x, dtype):
    return np.asarray(x).astype(dtype)[()] if x.ndim == 0 else x.astype(dtype)


def _inverse_permutation(axes, ndim):
    if axes is None:
        return None
    return tuple(np.argsort([a % ndim for a in axes]))


_reshape_p = linear(_reshape, lambda g, ans, x, shape: _reshape_p(g, shape=x.shape), name="reshape")
_transpose_p = linear(
    _transpose,
    lambda g, ans, x, axes=None: _transpose_p(g, axes=_inverse_permutation(axes, x.ndim)),
    name="transpose",
)
_broadcast_to_p = linear(_broadcast_to, lambda g, ans, x, shape: unbroadcast(g, x), name="broadcast_to")
_cast_p = linear(_cast, lambda g, ans, x, dtype: _cast_p(g, dtype=x.dtype), name="cast")


def reshape(x: Any, shape: Any) -> Tensor:
    """The same values in a new shape (one dimension may be -1)."""
    if isinstance(shape, Tensor):
        shape = np.asarray(shape._value).tolist()
    return _reshape_p(x, shape=tuple(shape) if isinstance(shape, list) else shape)


def transpose(x: Any, axes: Any = None, perm: Any = None) -> Tensor:
    """Permute the axes (reverse them by default); ``perm`` is TensorFlow's name for ``axes``."""
    axes = perm if axes is None else axes
    return _transpose_p(x, axes=None if axes is None else tuple(int(a) for a in axes))


def broadcast_to(x: Any, shape: Any) -> Tensor:
    return _broadcast_to_p(x, shape=tuple(shape) if isinstance(shape, list) else shape)


def cast(x: Any, dtype: Any) -> Tensor:
    """Convert to ``dtype``; casting to an integer dtype cuts the gradient (the result is not differentiable)."""
    return _cast_p(x, dtype=np.dtype(dtype))


# ---- stacking and joining: any number of arguments ------------------------------------------------
def _stack_impl(*xs, axis=0):
    return np.stack(xs, axis=axis)


def _stack_vjp(i, g, ans, *xs, axis=0):
    axis = axis % ans.ndim
    return getitem_primitive(g, index=(slice(None),) * axis + (i,))


def _stack_jvp(tangents, ans, *xs, axis=0):
    filled = [t if t is not None else ops.zeros_like(x) for t, x in zip(tangents, xs)]
    return _stack(*filled, axis=axis)


_stack = defrule(_stack_impl, vjps=PerArgument(_stack_vjp), joint_jvp=_stack_jvp, name="stack")


def stack(values: Any, axis: int = 0, name: str | None = None) -> Tensor:
    """Join tensors along a new axis (np.stack / tf.stack)."""
    values = list(values)
    if not values:
        raise ValueError("stack() needs at least one tensor")
    return _stack(*values, axis=axis)


def _concatenate_impl(*xs, axis=0):
    return np.concatenate(xs, axis=axis)


def _concatenate_vjp(i, g, ans, *xs, axis=0):
    axis = axis % ans.ndim
    start = sum(x.shape[axis] for x in xs[:i])
    stop = start + xs[i].shape[axis]
    return getitem_primitive(g, index=(slice(None),) * axis + (slice(start, stop),))


def _concatenate_jvp(tangents, ans, *xs, axis=0):
    filled = [t if t is not None else ops.zeros_like(x) for t, x in zip(tangents, xs)]
    return _concatenate(*filled, axis=axis)


_concatenate = defrule(
    _concatenate_impl, vjps=PerArgument(_concatenate_vjp), joint_jvp=_concatenate_jvp, name="concatenate"
)


def concatenate(values: Any, axis: int = 0, name: str | None = None) -> Tensor:
    """Join tensors along an existing axis (np.concatenate / tf.concat)."""
    values = list(values)
    if not values:
        raise ValueError("concatenate() needs at least one tensor")
    return _concatenate(*values, axis=axis)


# ---- indexing ---------------------------------------------------------------------------------
def _getitem_impl(x, index):
    return x[index]


def _is_basic(index: Any) -> bool:
    """True when the index has no integer arrays (so no position can repeat)."""
    parts = index if isinstance(index, tuple) else (index,)
    for p in parts:
        if isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis:
            continue
        if isinstance(p, np.ndarray) and p.dtype == bool:
            continue
        return False
    return True


def _scatter_add_impl(g, index, shape):
    out = np.zeros(shape, dtype=np.result_type(g))
    if _is_basic(index):
        out[index] = g
    else:
        np.add.at(out, index, g)  # repeated integer indices accumulate
    return out


getitem_primitive = linear(
    _getitem_impl, lambda g, ans, x, index: scatter_add(g, index=index, shape=x.shape), name="getitem"
)
scatter_add = linear(
    _scatter_add_impl, lambda g, ans, u, index, shape: getitem_primitive(g, index=index), name="scatter_add"
)


def _plain_index(index: Any) -> Any:
    if isinstance(index, Tensor):
        return np.asarray(index._value)
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    if isinstance(index, list):
        return np.asarray([_plain_index(i) for i in index]) if any(isinstance(i, Tensor) for i in index) \
            else np.asarray(index)
    return index


def getitem(x: Any, index: Any) -> Tensor:
    """x[index]: basic slicing, negative steps, integer arrays and boolean masks."""
    return getitem_primitive(x, index=_plain_index(index))


def expand_dims(x: Any, axis: int) -> Tensor:
    shape = list(np.shape(x._value if isinstance(x, Tensor) else x))
    axis = axis if axis >= 0 else axis + len(shape) + 1
    shape.insert(axis, 1)
    return reshape(x, tuple(shape))


def squeeze(x: Any, axis: Any = None) -> Tensor:
    shape = np.shape(x._value if isinstance(x, Tensor) else x)
    axes = normalize_axis(axis, len(shape)) if axis is not None else tuple(i for i, n in enumerate(shape) if n == 1)
    for a in axes:
        if shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} has size {shape[a]}, not 1")
    return reshape(x, tuple(n for i, n in enumerate(shape) if i not in axes))


NUMPY_FUNCTIONS = {
    np.shape: lambda a: a.shape,
    np.ndim: lambda a: a.ndim,
    np.size: lambda a, axis=None: a.size if axis is None else a.shape[axis],
    np.reshape: lambda a, shape=None, order="C", newshape=None: reshape(a, shape if shape is not None else newshape),
    np.transpose: lambda a, axes=None: transpose(a, axes),
    np.broadcast_to: lambda array, shape, subok=False: broadcast_to(array, shape),
    np.stack: lambda arrays, axis=0, out=None, dtype=None, casting="same_kind": stack(arrays, axis),
    np.concatenate: lambda arrays, axis=0, out=None, dtype=None, casting="same_kind": concatenate(arrays, axis),
    np.expand_dims: lambda a, axis: expand_dims(a, axis),
    np.squeeze: lambda a, axis=None: squeeze(a, axis),
}
