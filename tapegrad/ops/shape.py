"""Shape ops: reshaping, permuting, joining, splitting, repeating, padding, and indexing.

Only a few of them are primitives (rows of the rule table): reshape, transpose, broadcast_to, cast,
stack, concatenate, pad, getitem and its transpose scatter_add. Everything else here is built from
those (ravel is a reshape, flip and take are getitems, tile is reshape + broadcast_to + reshape,
diag writes with scatter_add, ...), so its derivatives follow.

Conventions where NumPy and TensorFlow differ:
  * ``split(x, num_or_size_splits, axis)`` follows ``tf.split``: a list gives the piece SIZES (one
    may be -1). ``np.split(t, ...)`` on a tensor follows NumPy: a list gives split INDICES.
  * ``take`` follows ``np.take`` (axis None: index the flattened tensor); ``gather`` follows
    ``tf.gather`` (axis 0 by default).
  * ``pad`` takes NumPy's ``pad_width`` forms and TF's ``paddings``; modes are constant, reflect,
    symmetric, edge and wrap (case-insensitive, so TF's "CONSTANT" works). ``constant_values`` is
    a constant: no gradient flows into it.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from tapegrad import _backend
from tapegrad._primitive import PerArgument, defrule, linear, real_for_real, unbroadcast
from tapegrad._tensor import Tensor, as_tensor, ops, value_read
from tapegrad.batching import broadcasting, lift, looped, stacks_of
from tapegrad.ops.reduce import normalize_axis
from tapegrad.ops.reduce import shape_of as _shape_of

# fmt: off
__all__ = [
    "reshape", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze", "ravel", "flatten", "broadcast_to",
    "broadcast_arrays", "cast", "stack", "unstack", "concatenate", "concat", "hstack", "vstack", "split",
    "array_split", "tile", "repeat", "flip", "reverse", "pad", "diag", "triu", "tril", "take", "gather",
    "boolean_mask", "scatter_add", "tensor_scatter_nd_add", "getitem",
]
# fmt: on


# ---- helpers (work on Tensors and on plain NumPy values alike) -------------------------------------
def _int(value: Any, what: str) -> int:
    if isinstance(value, Tensor):
        value = value_read(value)  # (tg.function guards a count, axis or shape read from a tensor)
    try:
        return int(value.__index__())
    except (AttributeError, TypeError, ValueError):
        raise TypeError(f"{what} must be an integer, got {value!r:.60}") from None


def _int_tuple(values: Any, what: str) -> tuple[int, ...]:
    if isinstance(values, Tensor):
        values = np.asarray(value_read(values)).tolist()
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if isinstance(values, (int, np.integer)):
        return (int(values),)
    if type(values) is tuple and all(type(v) is int for v in values):
        return values
    return tuple(_int(v, what) for v in values)


def _axis(axis: Any, ndim: int, what: str = "axis") -> int:
    a = _int(axis, what)
    if not -ndim <= a < ndim:
        raise ValueError(f"{what} {a} is out of range for a tensor with {ndim} dimensions")
    return a % ndim


def _shape_param(shape: Any) -> tuple[int, ...]:
    if type(shape) is tuple and all(type(n) is int for n in shape):
        return shape  # the common case (and the one derivative rules use): nothing to convert
    if isinstance(shape, (int, np.integer)) or (isinstance(shape, Tensor) and shape.ndim == 0):
        return (_int(shape, "shape"),)
    return _int_tuple(shape, "shape entries")


# ---- primitives: reshape, transpose, broadcast_to, cast ---------------------------------------------
def _broadcast_to(x, shape):
    return np.broadcast_to(x, shape)


def _cast(x, dtype):
    x = np.asarray(x)
    if x.dtype.kind == "c" and dtype.kind != "c":
        x = x.real  # complex to real keeps the real part (tf.cast), with no ComplexWarning
    out = x.astype(dtype)
    return out[()] if out.ndim == 0 else out


def _inverse_permutation(axes, ndim):
    if axes is None:
        return None
    return tuple(int(i) for i in np.argsort([a % ndim for a in axes]))


# Batching rules (tapegrad.batching): how each op runs on stacks with a leading batch axis.
def _reshape_batch(prim, args, stacked, params):
    return prim(args[0], shape=(args[0].shape[0], *params["shape"]))


def _transpose_batch(prim, args, stacked, params):
    ndim, axes = args[0].ndim - 1, params.get("axes")
    order = builtins.range(ndim - 1, -1, -1) if axes is None else (a % ndim for a in axes)
    return prim(args[0], axes=(0, *(1 + a for a in order)))


def _broadcast_to_batch(prim, args, stacked, params):
    shape = params["shape"]
    return prim(lift(args[0], len(shape)), shape=(args[0].shape[0], *shape))


_reshape_p = linear(
    lambda x, shape: np.reshape(x, shape),
    lambda g, _ans, _x, shape: _reshape_p(g, shape=_x.shape),
    name="reshape",
    batch=_reshape_batch,
)
_transpose_p = linear(
    lambda x, axes=None: np.transpose(x, axes),
    lambda g, _ans, _x, axes=None: _transpose_p(g, axes=_inverse_permutation(axes, _x.ndim)),
    name="transpose",
    batch=_transpose_batch,
)
_broadcast_to_p = linear(
    _broadcast_to,
    lambda g, _ans, x, shape: unbroadcast(g, x),
    name="broadcast_to",
    batch=_broadcast_to_batch,
)
# Casting is linear: the cotangent is cast back to the input's dtype (complex to real keeps the real
# part, the transpose of real to complex). A cast to an integer or bool
# dtype gives a result that no tape records, so the gradient stops there (as in TensorFlow).
_cast_p = linear(_cast, lambda g, _ans, _x, dtype: _cast_p(g, dtype=_x.dtype), name="cast", batch=broadcasting)


def reshape(x: Any, shape: Any) -> Tensor:
    """The same values in a new shape (one dimension may be -1). ``np.reshape`` / ``tf.reshape``."""
    return _reshape_p(x, shape=_shape_param(shape))


def transpose(x: Any, axes: Any = None, perm: Any = None) -> Tensor:
    """Permute the axes (reverse them by default); ``perm`` is TensorFlow's name for ``axes``."""
    axes = perm if axes is None else axes
    if axes is None:
        return _transpose_p(x, axes=None)
    ndim = len(_shape_of(x))
    axes = _int_tuple(axes, "axes")
    axes = tuple(a + ndim if a < 0 else a for a in axes)
    if sorted(axes) != list(builtins.range(ndim)):
        raise ValueError(
            f"transpose: axes {axes} are not a permutation of the {ndim} axes of a tensor of shape {_shape_of(x)}"
        )
    return _transpose_p(x, axes=axes)


def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes (``np.swapaxes``)."""
    ndim = len(_shape_of(x))
    a, b = _axis(axis1, ndim, "axis1"), _axis(axis2, ndim, "axis2")
    perm = list(builtins.range(ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return _transpose_p(x, axes=tuple(perm))


def moveaxis(x: Any, source: Any, destination: Any) -> Tensor:
    """Move axes to new positions, keeping the order of the others (``np.moveaxis``)."""
    ndim = len(_shape_of(x))
    src = [_axis(a, ndim, "source axis") for a in _int_tuple(source, "source axes")]
    dst = [_axis(a, ndim, "destination axis") for a in _int_tuple(destination, "destination axes")]
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source} and destination {destination} need the same number of axes")
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError("moveaxis: repeated axis in source or destination")
    order = [n for n in builtins.range(ndim) if n not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return _transpose_p(x, axes=tuple(order))


def expand_dims(x: Any, axis: Any) -> Tensor:
    """Insert length-1 axes at ``axis`` (an int or, as in NumPy, a tuple of ints)."""
    shape = list(_shape_of(x))
    axes = _int_tuple(axis, "axis")
    out_ndim = len(shape) + len(axes)
    positions = sorted(_axis(a, out_ndim) for a in axes)
    if len(set(positions)) != len(positions):
        raise ValueError(f"expand_dims: repeated axis in {axis}")
    for p in positions:
        shape.insert(p, 1)
    return _reshape_p(x, shape=tuple(shape))


def squeeze(x: Any, axis: Any = None) -> Tensor:
    """Remove length-1 axes (all of them, or those in ``axis``)."""
    shape = _shape_of(x)
    if axis is None:
        axes: tuple[int, ...] = tuple(i for i, n in enumerate(shape) if n == 1)
    else:
        axes = normalize_axis(_int_tuple(axis, "axis"), len(shape))
    for a in axes:
        if shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} has size {shape[a]}, not 1 (tensor shape {shape})")
    return _reshape_p(x, shape=tuple(n for i, n in enumerate(shape) if i not in axes))


def ravel(x: Any) -> Tensor:
    """The values as a 1-d tensor, in C order."""
    return _reshape_p(x, shape=(-1,))


def flatten(x: Any) -> Tensor:
    """The values as a 1-d tensor (same as ``ravel``)."""
    return _reshape_p(x, shape=(-1,))


def broadcast_to(x: Any, shape: Any) -> Tensor:
    """Repeat ``x`` along length-1 and new leading axes to ``shape`` (NumPy broadcasting rules)."""
    return _broadcast_to_p(x, shape=_shape_param(shape))  # a bad shape: NumPy's error, with the shapes


def broadcast_arrays(*args: Any) -> list[Tensor]:
    """Broadcast all arguments to their common shape (``np.broadcast_arrays``)."""
    shape = np.broadcast_shapes(*[_shape_of(a) for a in args])
    return [broadcast_to(a, shape) for a in args]


def cast(x: Any, dtype: Any) -> Tensor:
    """Convert to ``dtype``; casting to an integer or bool dtype cuts the gradient."""
    return _cast_p(x, dtype=_backend.numpy_dtype(dtype))


# ---- stacking and joining: any number of arguments ------------------------------------------------
def _join_dtype(xs):
    # Python scalars stay "weak" (never upcast a float32 tensor), as in the elementwise ops
    return np.result_type(*xs) if any(type(x) in (int, float) for x in xs) else None


def _filled(tangents: Any, xs: tuple) -> list:
    """The tangents, zeros for the arguments that carry none: the JVP of an op linear in all its
    arguments (stack, concatenate) is the op on them."""
    return [t if t is not None else ops.zeros_like(x) for t, x in zip(tangents, xs, strict=True)]


def _stack_vjp(i, g, ans, *xs, axis=0):
    axis = axis % ans.ndim
    r = getitem_primitive(g, index=(slice(None),) * axis + (i,))
    return r if r.dtype is xs[i].dtype else real_for_real(r, xs[i])  # a real piece among complex ones


def _stack_batch(prim, args, stacked, params):
    return prim(*stacks_of(args, stacked), axis=1 + params.get("axis", 0) % (np.ndim(args[0]) - stacked[0] + 1))


_stack = defrule(
    lambda *xs, axis=0: np.stack(xs, axis=axis, dtype=_join_dtype(xs)),
    vjps=PerArgument(_stack_vjp),
    joint_jvp=lambda tangents, ans, *xs, axis=0: _stack(*_filled(tangents, xs), axis=axis),
    name="stack",
    complex=True,
    batch=_stack_batch,
    taylor="linear",
)


def _values_list(values: Any, what: str) -> list:
    if isinstance(values, Tensor):
        return list(values)  # its rows, as np.stack does with an array
    values = list(values)
    if not values:
        raise ValueError(f"{what}() needs at least one tensor")
    return values


def stack(values: Any, axis: int = 0, name: str | None = None) -> Tensor:
    """Join tensors of one shape along a new axis (``np.stack`` / ``tf.stack``)."""
    values = _values_list(values, "stack")
    shapes = {_shape_of(v) for v in values}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors need the same shape, got {[_shape_of(v) for v in values]}")
    return _stack(*values, axis=_axis(axis, len(_shape_of(values[0])) + 1))


def unstack(value: Any, num: int | None = None, axis: int = 0, name: str | None = None) -> list[Tensor]:
    """The slices of ``value`` along ``axis``, as a list (``tf.unstack``)."""
    shape = _shape_of(value)
    axis = _axis(axis, len(shape))
    if num is not None and num != shape[axis]:
        raise ValueError(f"unstack: num={num} but axis {axis} has size {shape[axis]}")
    return [getitem_primitive(value, index=(slice(None),) * axis + (i,)) for i in builtins.range(shape[axis])]


def _concatenate_vjp(i, g, ans, *xs, axis=0):
    axis = axis % ans.ndim
    start = builtins.sum(x.shape[axis] for x in xs[:i])
    stop = start + xs[i].shape[axis]
    r = getitem_primitive(g, index=(slice(None),) * axis + (slice(start, stop),))
    return r if r.dtype is xs[i].dtype else real_for_real(r, xs[i])  # a real piece among complex ones


def _concatenate_batch(prim, args, stacked, params):
    return prim(*stacks_of(args, stacked), axis=1 + params.get("axis", 0) % (np.ndim(args[0]) - stacked[0]))


_concatenate = defrule(
    lambda *xs, axis=0: np.concatenate(xs, axis=axis, dtype=_join_dtype(xs)),
    vjps=PerArgument(_concatenate_vjp),
    joint_jvp=lambda tangents, ans, *xs, axis=0: _concatenate(*_filled(tangents, xs), axis=axis),
    name="concatenate",
    complex=True,
    batch=_concatenate_batch,
    taylor="linear",
)


def concatenate(values: Any, axis: Any = 0, name: str | None = None) -> Tensor:
    """Join tensors along an existing axis (``np.concatenate``; axis None joins them flattened)."""
    values = _values_list(values, "concatenate")
    if axis is None:
        return _concatenate(*[ravel(v) for v in values], axis=0)
    shapes = [_shape_of(v) for v in values]
    ndim = len(shapes[0])
    if ndim == 0:
        raise ValueError("concatenate: zero-dimensional tensors cannot be concatenated; use stack")
    axis = _axis(axis, ndim)
    for s in shapes:
        if len(s) != ndim or s[:axis] + s[axis + 1 :] != shapes[0][:axis] + shapes[0][axis + 1 :]:
            raise ValueError(f"concatenate: shapes {shapes} differ outside axis {axis}")
    return _concatenate(*values, axis=axis)


def concat(values: Any, axis: int, name: str | None = None) -> Tensor:
    """TensorFlow's spelling of ``concatenate`` (``tf.concat(values, axis)``)."""
    return concatenate(values, axis)


def hstack(tup: Any) -> Tensor:
    """``np.hstack``: join along axis 1 (axis 0 for 1-d tensors)."""
    values = [expand_dims(v, 0) if len(_shape_of(v)) == 0 else v for v in _values_list(tup, "hstack")]
    return concatenate(values, axis=0 if len(_shape_of(values[0])) == 1 else 1)


def vstack(tup: Any) -> Tensor:
    """``np.vstack``: join along axis 0, treating 1-d tensors as rows."""
    values = []
    for v in _values_list(tup, "vstack"):
        nd = len(_shape_of(v))
        values.append(reshape(v, (1, -1)) if nd < 2 else v)
    return concatenate(values, axis=0)


# ---- splitting -------------------------------------------------------------------------------------
def _split_at(x: Any, bounds: list[int], axis: int) -> list[Tensor]:
    """Pieces between consecutive ``bounds`` (which start at 0 and end at the axis length)."""
    lead = (slice(None),) * axis
    return [getitem_primitive(x, index=lead + (slice(a, b),)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def split(
    value: Any, num_or_size_splits: Any, axis: int = 0, num: int | None = None, name: str | None = None
) -> list[Tensor]:
    """Split into a list of tensors along ``axis``, as ``tf.split``.

    An int n gives n equal pieces (the axis length must divide by n); a list gives the SIZE of each
    piece (one entry may be -1: the rest). For NumPy's split-at-indices use ``np.split(t, ...)``.
    """
    shape = _shape_of(value)
    axis = _axis(axis, len(shape))
    n = shape[axis]
    if np.ndim(num_or_size_splits._value if isinstance(num_or_size_splits, Tensor) else num_or_size_splits) == 0:
        k = _int(num_or_size_splits, "num_or_size_splits")
        if k <= 0 or n % k:
            raise ValueError(
                f"split: axis {axis} has length {n}, which does not divide into {k} equal pieces; "
                "give a list of sizes instead"
            )
        return _split_at(value, [i * (n // k) for i in builtins.range(k + 1)], axis)
    sizes = list(_int_tuple(num_or_size_splits, "sizes"))
    if sizes.count(-1) > 1 or any(s < -1 for s in sizes):
        raise ValueError(f"split: sizes {sizes} may hold at most one -1 and no other negative entry")
    if -1 in sizes:
        sizes[sizes.index(-1)] = n - (builtins.sum(sizes) + 1)
    if builtins.sum(sizes) != n or any(s < 0 for s in sizes):
        raise ValueError(f"split: sizes {list(num_or_size_splits)} do not add up to the length {n} of axis {axis}")
    return _split_at(value, [0, *np.cumsum(sizes).tolist()], axis)


def _numpy_split(ary: Any, indices_or_sections: Any, axis: int = 0, equal: bool = True) -> list[Tensor]:
    shape = _shape_of(ary)
    axis = _axis(axis, len(shape))
    n = shape[axis]
    sections = indices_or_sections._value if isinstance(indices_or_sections, Tensor) else indices_or_sections
    if np.ndim(sections) == 0:
        k = _int(sections, "sections")
        if k <= 0:
            raise ValueError("split: the number of sections must be larger than 0")
        if equal and n % k:
            raise ValueError(
                f"array split does not result in an equal division: axis {axis} has length {n}, "
                f"not a multiple of {k} (np.array_split allows that)"
            )
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        return _split_at(ary, [0, *np.cumsum(sizes).tolist()], axis)
    points = [min(max(p if p >= 0 else p + n, 0), n) for p in _int_tuple(sections, "split indices")]
    bounds = [0, *points, n]
    pieces = []
    lead = (slice(None),) * axis
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        pieces.append(getitem_primitive(ary, index=lead + (slice(a, max(a, b)),)))
    return pieces


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """``np.array_split``: like NumPy's split, but n sections need not divide the axis evenly."""
    return _numpy_split(ary, indices_or_sections, axis, equal=False)


# ---- repeating, flipping, padding ---------------------------------------------------------------------
def tile(x: Any, multiples: Any) -> Tensor:
    """Repeat the whole tensor ``multiples[i]`` times along axis i (``np.tile`` / ``tf.tile``).

    As in NumPy, a shorter ``multiples`` applies to the trailing axes and a longer one adds axes.
    """
    reps = _int_tuple(multiples, "multiples")
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: multiples {reps} must not be negative")
    shape = _shape_of(x)
    d = max(len(shape), len(reps))
    shape = (1,) * (d - len(shape)) + tuple(shape)
    reps = (1,) * (d - len(reps)) + tuple(reps)
    interleaved = tuple(n for pair in zip((1,) * d, shape, strict=True) for n in pair)
    wide = tuple(n for pair in zip(reps, shape, strict=True) for n in pair)
    out = _broadcast_to_p(_reshape_p(x, shape=interleaved), shape=wide)
    return _reshape_p(out, shape=tuple(r * n for r, n in zip(reps, shape, strict=True)))


def repeat(x: Any, repeats: Any, axis: Any = None) -> Tensor:
    """Repeat each element ``repeats`` times along ``axis`` (flattened first when axis is None).

    ``repeats`` is an int or one count per element along the axis (``np.repeat`` / ``tf.repeat``).
    """
    if axis is None:
        x, axis = ravel(x), 0
    shape = _shape_of(x)
    axis = _axis(axis, len(shape))
    counts = value_read(repeats) if isinstance(repeats, Tensor) else repeats
    if np.ndim(counts) == 0 or np.size(counts) == 1:
        r = _int(np.reshape(counts, -1)[0] if np.ndim(counts) else counts, "repeats")
        if r < 0:
            raise ValueError(f"repeat: repeats must not be negative, got {r}")
        expanded = shape[: axis + 1] + (1,) + shape[axis + 1 :]
        wide = shape[: axis + 1] + (r,) + shape[axis + 1 :]
        out = _broadcast_to_p(_reshape_p(x, shape=expanded), shape=wide)
        return _reshape_p(out, shape=shape[:axis] + (shape[axis] * r,) + shape[axis + 1 :])
    counts = np.asarray(counts)
    if counts.shape != (shape[axis],) or counts.dtype.kind not in "iu" or (counts < 0).any():
        raise ValueError(
            f"repeat: repeats must be one non-negative int per element of axis {axis} "
            f"(length {shape[axis]}), got {counts.tolist()}"
        )
    return take(x, np.repeat(np.arange(shape[axis]), counts), axis=axis)


def _axes_param(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(builtins.range(ndim))
    return tuple(_axis(a, ndim) for a in _int_tuple(axis, "axis"))


def flip(x: Any, axis: Any = None) -> Tensor:
    """Reverse the order of elements along ``axis`` (an int, a tuple, or None for all axes)."""
    ndim = len(_shape_of(x))
    axes = _axes_param(axis, ndim)
    index = tuple(slice(None, None, -1) if i in axes else slice(None) for i in builtins.range(ndim))
    return getitem_primitive(x, index=index)


def reverse(tensor: Any, axis: Any) -> Tensor:
    """TensorFlow's ``tf.reverse(tensor, axis)``: ``flip`` with the axes given."""
    return flip(tensor, axis)


# Padding with a constant c is affine in x: the tangent is the padded tangent with zeros around it.
_pad_p = defrule(
    lambda x, pad_width, constant_values=0: np.pad(x, pad_width, mode="constant", constant_values=constant_values),
    vjps=(
        lambda g, _ans, _x, pad_width, constant_values=0: getitem_primitive(
            g, index=tuple(slice(b, b + n) for (b, _), n in zip(pad_width, _x.shape, strict=True))
        ),
    ),
    jvps=(lambda t, _ans, _x, pad_width, constant_values=0: _pad_p(t, pad_width=pad_width, constant_values=0),),
    name="pad",
    complex=True,
    taylor="linear",
    batch=lambda prim, args, stacked, params: prim(args[0], **{**params, "pad_width": ((0, 0), *params["pad_width"])}),
)

_PAD_MODES = ("constant", "reflect", "symmetric", "edge", "wrap")


def _pad_pairs(pad_width: Any, ndim: int) -> tuple[tuple[int, int], ...]:
    raw = pad_width._value if isinstance(pad_width, Tensor) else pad_width
    try:
        arr = np.asarray(raw)
        if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "f" and np.all(arr == np.round(arr))):
            raise TypeError
        pairs = np.broadcast_to(arr.astype(np.int64), (ndim, 2))
    except (TypeError, ValueError):
        raise ValueError(
            f"pad: pad_width {pad_width!r} must be an int, a (before, after) pair, or one pair per axis ({ndim} axes)"
        ) from None
    if (pairs < 0).any():
        raise ValueError(f"pad: pad_width {pad_width!r} must not be negative")
    return tuple((int(b), int(a)) for b, a in pairs)


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0, name: str | None = None) -> Tensor:
    """Pad the edges of each axis (``np.pad`` / ``tf.pad``).

    ``pad_width`` is an int, a (before, after) pair, or one pair per axis (TF's ``paddings``). Modes:
    constant (with ``constant_values``; a scalar tensor there is differentiated), reflect, symmetric,
    edge, wrap.
    """
    shape = _shape_of(x)
    mode = str(mode).lower()
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode {mode!r} is not supported; use one of {', '.join(_PAD_MODES)}")
    pairs = _pad_pairs(pad_width, len(shape))
    if not shape:
        return _reshape_p(x, shape=())
    if mode == "constant":
        if isinstance(constant_values, Tensor) and constant_values.ndim == 0:
            # x padded with 0, plus the value times the padding's 0/1 mask: differentiable in the value
            dtype = _backend.numpy_dtype(x.dtype) if hasattr(x, "dtype") else np.asarray(x).dtype
            mask = np.pad(np.zeros(shape, dtype), pairs, constant_values=1)
            value = constant_values
            if _backend.numpy_dtype(value.dtype) != dtype:
                value = ops.cast(value, dtype)
            return _pad_p(x, pad_width=pairs, constant_values=0) + value * mask
        constant_values = np.asarray(constant_values).tolist()  # refuses a tracked tensor (its gradient)
        if isinstance(constant_values, list):
            constant_values = tuple(tuple(c) if isinstance(c, list) else c for c in constant_values)
        return _pad_p(x, pad_width=pairs, constant_values=constant_values)
    out = x
    for axis, ((b, a), n) in enumerate(zip(pairs, shape, strict=True)):
        if b or a:
            if n == 0:
                raise ValueError(f"pad: cannot pad the empty axis {axis} in mode {mode!r}")
            out = take(out, np.pad(np.arange(n), (b, a), mode=mode), axis=axis)
    return out if out is not x else _reshape_p(x, shape=shape)


# ---- diagonals and triangles ------------------------------------------------------------------------
def _diagonal_index(rows: int, cols: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    if k >= 0:
        n = max(0, min(rows, cols - k))
        i = np.arange(n)
        return i, i + k
    n = max(0, min(rows + k, cols))
    i = np.arange(n)
    return i - k, i


def diag(v: Any, k: int = 0) -> Tensor:
    """``np.diag``: a 1-d tensor becomes a square matrix with it on diagonal k; from a 2-d tensor,
    its k-th diagonal as a 1-d tensor."""
    shape = _shape_of(v)
    k = _int(k, "k")
    if len(shape) == 1:
        m = shape[0] + abs(k)
        return scatter_add(v, index=_diagonal_index(m, m, k), shape=(m, m))
    if len(shape) == 2:
        return getitem_primitive(v, index=_diagonal_index(shape[0], shape[1], k))
    raise ValueError(f"diag: needs a 1-d or 2-d tensor, got shape {shape}")


def _triangle(x: Any, k: int, lower: bool) -> Tensor:
    shape = _shape_of(x)
    if len(shape) < 2:
        raise ValueError(f"{'tril' if lower else 'triu'}: needs a tensor with at least 2 dimensions, got shape {shape}")
    k = _int(k, "k")
    rows, cols = shape[-2:]
    keep = np.tri(rows, cols, k, dtype=bool) if lower else ~np.tri(rows, cols, k - 1, dtype=bool)
    keep = _backend.like(keep, x._value if isinstance(x, Tensor) else x)  # a mask of x's library
    return ops.where(keep, x, 0)


def triu(m: Any, k: int = 0) -> Tensor:
    """Zero the entries below diagonal k of the last two axes (``np.triu``)."""
    return _triangle(m, k, lower=False)


def tril(m: Any, k: int = 0) -> Tensor:
    """Zero the entries above diagonal k of the last two axes (``np.tril``)."""
    return _triangle(m, k, lower=True)


# ---- indexing ---------------------------------------------------------------------------------------
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
    if not isinstance(shape, (tuple, list)) or not builtins.all(isinstance(n, (int, np.integer)) for n in shape):
        raise TypeError(
            "scatter_add(u, index, shape) builds zeros of `shape` (a tuple of ints) with u added at [index]; "
            "to add updates into a tensor use tg.tensor_scatter_nd_add(tensor, indices, updates) "
            "or tensor + tg.scatter_add(updates, index=..., shape=tensor.shape)"
        )
    out = np.zeros(shape, dtype=np.result_type(g))
    if _is_basic(index):
        out[index] = g
    else:
        np.add.at(out, index, g)  # repeated integer indices accumulate
    return out[()] if out.ndim == 0 else out


# getitem is linear; its transpose writes the cotangent back into zeros (scatter_add), adding up
# the contributions of positions that an integer-array index picks more than once.
def _stack_index(index: Any) -> Any:
    """``index`` for a stack of values (one more, leading axis), or None where NumPy would move the
    advanced-index axes in front of the stack axis (integer or array indices split by a slice)."""
    parts = index if isinstance(index, tuple) else (index,)
    arrays = [k for k, p in enumerate(parts) if isinstance(p, list) or isinstance(p, np.ndarray) and p.ndim > 0]
    if arrays:
        integers = [k for k, p in enumerate(parts) if isinstance(p, (int, np.integer, np.ndarray)) and np.ndim(p) == 0]
        at = sorted(arrays + integers)
        if at != list(builtins.range(at[0], at[-1] + 1)):
            return None
    return (slice(None), *parts)


def _getitem_batch(prim, args, stacked, params):
    index = _stack_index(params["index"])
    return looped(prim, args, stacked, params) if index is None else prim(args[0], index=index)


def _scatter_add_batch(prim, args, stacked, params):
    index = _stack_index(params["index"])
    if index is None:
        return looped(prim, args, stacked, params)
    return prim(args[0], index=index, shape=(args[0].shape[0], *params["shape"]))


getitem_primitive = linear(
    lambda x, index: x[index],
    lambda g, _ans, _x, index: scatter_add(g, index=index, shape=_x.shape),
    name="getitem",
    batch=_getitem_batch,
)
scatter_add = linear(
    _scatter_add_impl,
    lambda g, _ans, _u, index, shape: getitem_primitive(g, index=index),
    name="scatter_add",
    batch=_scatter_add_batch,
    doc="scatter_add(u, index=..., shape=...): zeros of ``shape`` with ``u`` added at ``[index]`` "
    "(repeated integer indices accumulate); the transpose of getitem.",
)


def tensor_scatter_nd_add(tensor: Any, indices: Any, updates: Any) -> Any:
    """``tensor`` with ``updates`` added at ``indices`` (tf.tensor_scatter_nd_add); repeats accumulate.

    ``indices`` has shape (..., depth): each row picks one element (depth = tensor.ndim) or one
    slice; ``updates`` has shape ``indices.shape[:-1] + tensor.shape[depth:]``. Differentiable in
    ``tensor`` and ``updates``.
    """
    idx = np.asarray(indices._value if isinstance(indices, Tensor) else indices)
    if idx.dtype.kind not in "iu" or idx.ndim == 0:
        raise TypeError(
            f"tensor_scatter_nd_add: indices must be integers of shape (..., depth), got dtype {idx.dtype} "
            f"and shape {idx.shape}"
        )
    shape = tuple(np.shape(tensor._value if isinstance(tensor, Tensor) else tensor))
    index = tuple(np.moveaxis(idx, -1, 0))
    return ops.add(tensor, scatter_add(updates, index=index, shape=shape))


def _plain_index(index: Any) -> Any:
    """An index with Tensors and lists turned into NumPy values, as NumPy indexing takes them."""
    if isinstance(index, Tensor):
        if _backend.is_foreign(index._value):
            raise IndexError(
                f"indexing with a tensor holding a {_backend.library(index._value)} array needs its values (the "
                "result's shape depends on them); compute the index first, e.g. index.numpy()"
            )
        value = np.asarray(value_read(index))  # (tg.function guards what an index reads)
        if value.ndim == 0 and value.dtype.kind in "iu":
            return int(value)
        if value.dtype.kind not in "iub":
            raise IndexError(f"tensors used as indices must be integer or bool, got dtype {value.dtype}")
        return value
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    if isinstance(index, list):
        if any(isinstance(i, (slice, type(None), type(Ellipsis))) for i in index):
            raise IndexError("a list index may hold only integers or bools; use a tuple to index several axes")
        value = np.asarray([_plain_index(i) for i in index])
        if value.dtype.kind not in "iub" and value.size:
            raise IndexError(f"list indices must hold integers or bools, got {index!r:.60}")
        return value.astype(np.intp) if value.size == 0 else value
    if isinstance(index, np.ndarray) and index.ndim == 0 and index.dtype.kind in "iu":
        return int(index)
    return index


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]``: slices (negative steps too), None, Ellipsis, integer arrays, boolean masks.

    Indices may be Tensors. In the gradient, positions picked several times accumulate.
    """
    return getitem_primitive(x, index=_plain_index(index))


_TAKE_MODES = ("raise", "wrap", "clip")


def take(a: Any, indices: Any, axis: Any = None, mode: str = "raise") -> Tensor:
    """``np.take``: the entries at ``indices`` along ``axis`` (of the flattened tensor when None).

    Repeated indices are allowed; their gradients accumulate. ``mode`` is raise, wrap or clip.
    """
    if mode not in _TAKE_MODES:
        raise ValueError(f"take: mode must be one of {_TAKE_MODES}, got {mode!r}")
    if axis is None:
        a, axis = ravel(a), 0
    shape = _shape_of(a)
    axis = _axis(axis, len(shape))
    idx = np.asarray(_plain_index(indices))
    if idx.dtype.kind not in "iu":
        if idx.size:
            raise IndexError(f"take: indices must be integers, got dtype {idx.dtype}")
        idx = idx.astype(np.intp)
    n = shape[axis]
    if mode == "wrap":
        idx = np.mod(idx, n)
    elif mode == "clip":
        idx = np.clip(idx, 0, n - 1)
    elif idx.size and (idx.max() >= n or idx.min() < -n):
        raise IndexError(
            f"take: index {int(idx.max() if idx.max() >= n else idx.min())} is out of bounds for "
            f"axis {axis} with size {n}"
        )
    return getitem_primitive(a, index=(slice(None),) * axis + (idx,))


def gather(params: Any, indices: Any, axis: int = 0, batch_dims: int = 0, name: str | None = None) -> Tensor:
    """``tf.gather``: ``take`` along ``axis`` (0 by default). Only ``batch_dims=0`` is supported."""
    if batch_dims:
        raise NotImplementedError("gather: batch_dims other than 0 is not supported; index with getitem instead")
    return take(params, indices, axis=0 if axis is None else axis)


def boolean_mask(tensor: Any, mask: Any, axis: int = 0, name: str | None = None) -> Tensor:
    """``tf.boolean_mask``: the entries where ``mask`` (covering axes axis..axis+mask.ndim-1) is True."""
    m = np.asarray(mask._value if isinstance(mask, Tensor) else mask)
    if m.dtype != bool:
        raise TypeError(f"boolean_mask: mask must be boolean, got dtype {m.dtype}")
    axis = _axis(axis, len(_shape_of(tensor)))
    return getitem_primitive(tensor, index=(slice(None),) * axis + (m,))


# ---- NumPy spellings (np.fn(tensor, ...) on a Tensor) ------------------------------------------------
def _np_clip(
    a: Any,
    a_min: Any = None,
    a_max: Any = None,
    out: Any = None,
    *,
    min: Any = None,  # noqa: A002
    max: Any = None,
    **kwargs: Any,
) -> Tensor:  # noqa: A002
    if out is not None:
        raise TypeError("numpy.clip on a tapegrad Tensor does not take out=; tensors are immutable")
    lo = min if a_min is None else a_min
    hi = max if a_max is None else a_max
    return ops.clip(a, -np.inf if lo is None else lo, np.inf if hi is None else hi)


def _np_where(condition: Any, *xy: Any) -> Any:
    if not xy:
        return ops.nonzero(condition)
    if len(xy) != 2:
        raise TypeError("numpy.where takes a condition alone, or a condition, x and y")
    return ops.where(condition, *xy)


def _np_pad(array: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0, **kwargs: Any) -> Tensor:
    if kwargs:
        raise TypeError(f"numpy.pad on a tapegrad Tensor does not take {sorted(kwargs)}")
    return pad(array, pad_width, mode, constant_values)


def _no_out(out: Any, what: str) -> None:
    if out is not None:
        raise TypeError(f"numpy.{what} on a tapegrad Tensor does not take out=; tensors are immutable")


def _cast_for_join(arrays: Any, dtype: Any, casting: str) -> list:
    """NumPy's dtype= and casting= of stack/concatenate/hstack/vstack: every array cast to ``dtype`` (by
    default their common type), refused where ``casting`` does not allow it, as NumPy refuses."""
    arrays = list(arrays)
    if dtype is None and casting == "same_kind":  # the common case, tensors of one dtype: nothing to do
        try:
            if len({a._value.dtype for a in arrays}) == 1:
                return arrays
        except AttributeError:  # not all tensors
            pass
    dtypes = [_backend.numpy_dtype(a.dtype) if isinstance(a, Tensor) else np.asarray(a).dtype for a in arrays]
    target = np.dtype(dtype) if dtype is not None else np.result_type(*dtypes) if dtypes else None
    for d in dtypes:
        if not np.can_cast(d, target, casting=casting):
            raise TypeError(f"Cannot cast array data from {d!r} to {target!r} according to the rule {casting!r}")
    if dtype is None:  # NumPy's promotion: a float32 tensor joined with a float64 array gives float64
        return [ops.cast(a, target) if isinstance(a, Tensor) and d != target else a for a, d in zip(arrays, dtypes)]
    return [ops.cast(as_tensor(a) if not isinstance(a, Tensor) else a, target) if d != target else a
            for a, d in zip(arrays, dtypes)]


NUMPY_FUNCTIONS = {
    np.shape: lambda a: _shape_of(a),
    np.ndim: lambda a: len(_shape_of(a)),
    np.size: lambda a, axis=None: int(np.prod(_shape_of(a))) if axis is None else _shape_of(a)[axis],
    np.reshape: lambda a, shape=None, order="C", newshape=None, copy=None: as_tensor(a).reshape(
        shape if shape is not None else newshape, order=order
    ),
    np.transpose: lambda a, axes=None: transpose(a, axes),
    np.swapaxes: lambda a, axis1, axis2: swapaxes(a, axis1, axis2),
    np.moveaxis: lambda a, source, destination: moveaxis(a, source, destination),
    np.expand_dims: lambda a, axis: expand_dims(a, axis),
    np.squeeze: lambda a, axis=None: squeeze(a, axis),
    np.ravel: lambda a, order="C": as_tensor(a).reshape(-1, order=order),
    np.broadcast_to: lambda array, shape, subok=False: broadcast_to(array, shape),
    np.broadcast_arrays: lambda *args, subok=False: broadcast_arrays(*args),
    np.stack: lambda arrays, axis=0, out=None, dtype=None, casting="same_kind": (
        _no_out(out, "stack") or stack(_cast_for_join(arrays, dtype, casting), axis)
    ),
    np.concatenate: lambda arrays, axis=0, out=None, dtype=None, casting="same_kind": (
        _no_out(out, "concatenate") or concatenate(_cast_for_join(arrays, dtype, casting), axis)
    ),
    np.hstack: lambda tup, dtype=None, casting="same_kind": hstack(_cast_for_join(tup, dtype, casting)),
    np.vstack: lambda tup, dtype=None, casting="same_kind": vstack(_cast_for_join(tup, dtype, casting)),
    np.split: lambda ary, indices_or_sections, axis=0: _numpy_split(ary, indices_or_sections, axis),
    np.array_split: lambda ary, indices_or_sections, axis=0: array_split(ary, indices_or_sections, axis),
    np.tile: lambda A, reps: tile(A, reps),
    np.repeat: lambda a, repeats, axis=None: repeat(a, repeats, axis),
    np.flip: lambda m, axis=None: flip(m, axis),
    np.flipud: lambda m: flip(m, 0),
    np.fliplr: lambda m: flip(m, 1),
    np.pad: _np_pad,
    np.diag: lambda v, k=0: diag(v, k),
    np.triu: lambda m, k=0: triu(m, k),
    np.tril: lambda m, k=0: tril(m, k),
    np.take: lambda a, indices, axis=None, out=None, mode="raise": _no_out(out, "take") or take(a, indices, axis, mode),
    np.where: _np_where,
    np.clip: _np_clip,
}
