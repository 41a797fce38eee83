"""NumPy functions that are exact compositions of tapegrad's differentiable ops (no new rules).

Rearrangements (roll, rot90, sort, delete, insert, take_along_axis, ...) run NumPy's own function
on an array of position codes ``0..size-1`` and gather the tensor's elements at the resulting
codes with ``getitem``, whose rule scatters the gradient back (repeated positions add up). So the
result is NumPy's by construction, and the gradient is exact for every keyword NumPy accepts.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from tapegrad import _backend
from tapegrad._tensor import Tensor, ops, value_read
from tapegrad.numpy._convert import array, asarray
from tapegrad.ops import shape as _shape_ops
from tapegrad.ops.reduce import inexact_dtype


def _codes(x: Tensor) -> np.ndarray:
    return np.arange(x.size).reshape(x.shape)


def _gather(x: Tensor, codes: Any) -> Tensor:
    """The elements of ``x`` at flat positions ``codes`` (an integer array of any shape)."""
    return ops.getitem(ops.reshape(x, (-1,)), np.asarray(codes, dtype=np.intp))


def _rearranged(x: Any, how: Callable[[np.ndarray], Any]) -> Tensor:
    x = asarray(x)
    return _gather(x, how(_codes(x)))


def _with_values(arr: Tensor, values: Any, how: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Tensor:
    """NumPy's placement of ``values`` into ``arr`` (insert, put_along_axis) on codes: positions of
    ``arr`` keep codes >= 0, entries of ``values`` get -1, -2, ..."""
    values = asarray(values)
    if values.dtype != arr.dtype:
        values = ops.cast(values, arr.dtype)
    placed = np.asarray(how(_codes(arr), -1 - np.arange(values.size).reshape(values.shape)))
    both = ops.concatenate([ops.reshape(arr, (-1,)), ops.reshape(values, (-1,))], axis=0)
    return _gather(both, np.where(placed >= 0, placed, arr.size - 1 - placed))


def _no_out(out: Any, name: str) -> None:
    if out is not None:
        raise TypeError(f"tapegrad.numpy.{name} does not take out=; tensors are immutable")


# ---- rearranging -------------------------------------------------------------------------------------
def roll(a: Any, shift: Any, axis: Any = None) -> Tensor:
    """``np.roll``: elements shifted cyclically along ``axis`` (of the flattened tensor when None)."""
    return _rearranged(a, lambda c: np.roll(c, shift, axis))


def rot90(m: Any, k: int = 1, axes: Any = (0, 1)) -> Tensor:
    """``np.rot90``: rotate by 90 degrees k times in the plane of ``axes``."""
    return _rearranged(m, lambda c: np.rot90(c, k, axes))


def rollaxis(a: Any, axis: int, start: int = 0) -> Tensor:
    """``np.rollaxis``: a transpose (the permutation is NumPy's, read off a zero-stride array)."""
    a = asarray(a)
    probe = np.lib.stride_tricks.as_strided(np.zeros(1), shape=tuple(range(1, a.ndim + 1)), strides=(0,) * a.ndim)
    return ops.transpose(a, tuple(n - 1 for n in np.rollaxis(probe, axis, start).shape))


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """``np.diagonal``: the diagonal of the plane (axis1, axis2), appended as the last axis."""
    return _rearranged(a, lambda c: np.diagonal(c, offset, axis1, axis2))


def delete(arr: Any, obj: Any, axis: Any = None) -> Tensor:
    """``np.delete`` (functional): a new tensor without the given entries."""
    return _rearranged(arr, lambda c: np.delete(c, obj, axis))


def insert(arr: Any, obj: Any, values: Any, axis: Any = None) -> Tensor:
    """``np.insert`` (functional); the gradient reaches both ``arr`` and ``values``."""
    arr = asarray(arr)
    return _with_values(arr, values, lambda c, v: np.insert(c, obj, v, axis))


def append(arr: Any, values: Any, axis: Any = None) -> Tensor:
    """``np.append``: concatenate (flattened when ``axis`` is None)."""
    arr, values = asarray(arr), asarray(values)
    if axis is None:
        return ops.concatenate([ops.reshape(arr, (-1,)), ops.reshape(values, (-1,))], axis=0)
    return ops.concatenate([arr, values], axis=axis)


def take_along_axis(arr: Any, indices: Any, axis: Any = -1) -> Tensor:
    """``np.take_along_axis``; the indices carry no gradient."""
    idx = np.asarray(value_read(indices) if isinstance(indices, Tensor) else indices)
    return _rearranged(arr, lambda c: np.take_along_axis(c, idx, axis))


def put_along_axis(arr: Any, indices: Any, values: Any, axis: Any) -> Tensor:
    """``np.put_along_axis`` made functional: returns the new tensor (NumPy's writes in place)."""
    arr = asarray(arr)
    idx = np.asarray(value_read(indices) if isinstance(indices, Tensor) else indices)

    def place(c: np.ndarray, v: np.ndarray) -> np.ndarray:
        c = c.copy()
        np.put_along_axis(c, idx, v, axis)
        return c

    return _with_values(arr, values, place)


def sort(a: Any, axis: Any = -1, kind: Any = None, order: Any = None, *, stable: Any = None) -> Tensor:
    """``np.sort`` (a new tensor); ties keep NumPy's order and each value's gradient goes home."""
    a = asarray(a)
    if order is not None:
        raise TypeError("tapegrad.numpy.sort: order= is for structured arrays, which tensors are not")
    if axis is None:
        a, axis = ops.reshape(a, (-1,)), -1
    values = np.asarray(value_read(a))
    return _gather(a, np.take_along_axis(_codes(a), np.argsort(values, axis=axis, kind=kind, stable=stable), axis))


def partition(a: Any, kth: Any, axis: Any = -1, kind: str = "introselect", order: Any = None) -> Tensor:
    """``np.partition`` (a new tensor)."""
    a = asarray(a)
    if axis is None:
        a, axis = ops.reshape(a, (-1,)), -1
    values = np.asarray(value_read(a))
    return _gather(a, np.take_along_axis(_codes(a), np.argpartition(values, kth, axis=axis, kind=kind), axis))


def argsort(a: Any, axis: Any = -1, kind: Any = None, order: Any = None, *, stable: Any = None) -> Tensor:
    """``np.argsort``: integer positions (not differentiable)."""
    return array(np.argsort(np.asarray(value_read(asarray(a))), axis=axis, kind=kind, stable=stable))


def argpartition(a: Any, kth: Any, axis: Any = -1, kind: str = "introselect", order: Any = None) -> Tensor:
    """``np.argpartition``: integer positions (not differentiable)."""
    return array(np.argpartition(np.asarray(value_read(asarray(a))), kth, axis=axis, kind=kind))


# ---- joining and splitting (NumPy's forms) -------------------------------------------------------------
def atleast_1d(*arys: Any) -> Any:
    """``np.atleast_1d``."""
    out = [ops.reshape(a, (1,)) if a.ndim == 0 else a for a in map(asarray, arys)]
    return out[0] if len(out) == 1 else tuple(out)


def atleast_2d(*arys: Any) -> Any:
    """``np.atleast_2d``: a 1-d array becomes one row."""
    out = [a if a.ndim >= 2 else ops.reshape(a, (1, -1) if a.ndim else (1, 1)) for a in map(asarray, arys)]
    return out[0] if len(out) == 1 else tuple(out)


def atleast_3d(*arys: Any) -> Any:
    """``np.atleast_3d``: (n,) becomes (1, n, 1) and (m, n) becomes (m, n, 1)."""
    out = []
    for a in map(asarray, arys):
        if a.ndim == 0:
            a = ops.reshape(a, (1, 1, 1))
        elif a.ndim == 1:
            a = ops.reshape(a, (1, a.shape[0], 1))
        elif a.ndim == 2:
            a = ops.reshape(a, a.shape + (1,))
        out.append(a)
    return out[0] if len(out) == 1 else tuple(out)


def column_stack(tup: Any) -> Tensor:
    """``np.column_stack``: 1-d arrays become columns."""
    cols = [ops.reshape(a, (-1, 1)) if a.ndim < 2 else a for a in map(asarray, tup)]
    return ops.concatenate(cols, axis=1)


def row_stack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> Tensor:
    """``np.row_stack`` (``np.vstack``)."""
    return _shape_ops.vstack(_shape_ops._cast_for_join([asarray(a) for a in tup], dtype, casting))


def dstack(tup: Any) -> Tensor:
    """``np.dstack``: stack along the third axis."""
    arrays = atleast_3d(*tup)
    return ops.concatenate(list(arrays) if isinstance(arrays, tuple) else [arrays], axis=2)


def hsplit(ary: Any, indices_or_sections: Any) -> list[Tensor]:
    """``np.hsplit``: split along axis 1 (axis 0 for 1-d)."""
    ary = asarray(ary)
    if ary.ndim == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return _shape_ops._numpy_split(ary, indices_or_sections, 1 if ary.ndim > 1 else 0)


def vsplit(ary: Any, indices_or_sections: Any) -> list[Tensor]:
    """``np.vsplit``: split along axis 0 (2 or more dimensions)."""
    ary = asarray(ary)
    if ary.ndim < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return _shape_ops._numpy_split(ary, indices_or_sections, 0)


def dsplit(ary: Any, indices_or_sections: Any) -> list[Tensor]:
    """``np.dsplit``: split along axis 2 (3 or more dimensions)."""
    ary = asarray(ary)
    if ary.ndim < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return _shape_ops._numpy_split(ary, indices_or_sections, 2)


def meshgrid(*xi: Any, copy: bool = True, sparse: bool = False, indexing: str = "xy") -> tuple[Tensor, ...]:
    """``np.meshgrid``: coordinate grids (broadcasts, so gradients sum over the repeated axes)."""
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    xs = [ops.reshape(asarray(x), (-1,)) for x in xi]
    nd = len(xs)
    shapes = []
    for i, x in enumerate(xs):
        s = [1] * nd
        s[i] = x.shape[0]
        shapes.append(s)
    if indexing == "xy" and nd > 1:
        for s in shapes:
            s[0], s[1] = s[1], s[0]
    out = [ops.reshape(x, tuple(s)) for x, s in zip(xs, shapes)]
    if not sparse:
        full = tuple(max(s[k] for s in shapes) for k in range(nd))
        out = [ops.broadcast_to(o, full) for o in out]
    return tuple(out)


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = float, *, like: Any = None) -> Tensor:  # noqa: N803
    """``np.tri`` (a constant)."""
    return array(np.tri(N, M, k, dtype=dtype))


# ---- products built from multiply/reshape --------------------------------------------------------------
def kron(a: Any, b: Any) -> Tensor:
    """``np.kron``: the Kronecker product, as a broadcast product reshaped."""
    a, b = asarray(a), asarray(b)
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + a.shape
    sb = (1,) * (nd - b.ndim) + b.shape
    a2 = ops.reshape(a, tuple(n for s in sa for n in (s, 1)))
    b2 = ops.reshape(b, tuple(n for s in sb for n in (1, s)))
    return ops.reshape(a2 * b2, tuple(x * y for x, y in zip(sa, sb)))


def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Any = None) -> Tensor:
    """``np.cross`` of 3-vectors (2-vectors are taken with a zero z component; two 2-vectors give
    the z component alone, as NumPy)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a = ops.moveaxis(asarray(a), axisa, -1)
    b = ops.moveaxis(asarray(b), axisb, -1)
    na, nb = a.shape[-1], b.shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n(dimension must be 2 or 3)")
    a0, a1 = a[..., 0], a[..., 1]
    b0, b1 = b[..., 0], b[..., 1]
    if na == 2 and nb == 2:
        return a0 * b1 - a1 * b0
    a2 = a[..., 2] if na == 3 else None
    b2 = b[..., 2] if nb == 3 else None
    c0 = (a1 * b2 if b2 is not None else 0) - (a2 * b1 if a2 is not None else 0)
    c1 = (a2 * b0 if a2 is not None else 0) - (a0 * b2 if b2 is not None else 0)
    c2 = a0 * b1 - a1 * b0
    c0, c1, c2 = ops.broadcast_arrays(asarray(c0) * 1, asarray(c1) * 1, c2)
    return ops.moveaxis(ops.stack([c0, c1, c2], axis=-1), -1, axisc)


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = np._NoValue, append: Any = np._NoValue) -> Tensor:
    """``np.diff``: n-th discrete difference along ``axis`` (with optional prepend/append)."""
    a = asarray(a)
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n}")
    axis = int(axis) % a.ndim
    parts = []
    for extra in (prepend, append):
        if extra is np._NoValue:
            parts.append(None)
            continue
        e = asarray(extra)
        if e.ndim == 0:
            shape = list(a.shape)
            shape[axis] = 1
            e = ops.broadcast_to(e, tuple(shape))
        parts.append(e)
    if parts[0] is not None or parts[1] is not None:
        a = ops.concatenate([p for p in (parts[0], a, parts[1]) if p is not None], axis=axis)
    lead = (slice(None),) * axis
    step = ops.not_equal if _backend.kind(a.dtype) == "b" else ops.subtract  # NumPy's: booleans differ or not
    for _ in range(n):
        a = step(a[lead + (slice(1, None),)], a[lead + (slice(None, -1),)])
    return a


def ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None) -> Tensor:
    """``np.ediff1d``: differences of the flattened array, with optional ends."""
    flat = ops.reshape(asarray(ary), (-1,))
    out = flat[1:] - flat[:-1]
    pieces = [ops.reshape(asarray(to_begin), (-1,))] if to_begin is not None else []
    pieces.append(out)
    if to_end is not None:
        pieces.append(ops.reshape(asarray(to_end), (-1,)))
    if len(pieces) == 1:
        return out
    return ops.concatenate([ops.cast(p, out.dtype) for p in pieces], axis=0)


def _spacing(h: Any) -> Any:
    """A scalar spacing: a tensor stays one (the differences are differentiable in it), a Python number a
    float (weak next to float32 data, as in NumPy), a NumPy scalar or 0-d array a float64 array."""
    if isinstance(h, Tensor):
        return h
    if type(h) in (int, float):  # (not np.float64, a subclass of float: NumPy's are strongly typed)
        return float(h)
    h = np.asarray(h)
    return h if h.dtype.kind in "fc" else h.astype(np.float64)


def _axis_spacing(distances: Any, n: int) -> Any:
    """NumPy's spacing along one axis: a scalar as given; 1-d coordinates become their differences (one
    scalar when they are all equal, as NumPy reduces it), a tensor's differentiable."""
    if np.ndim(distances) == 0:
        return _spacing(distances)
    if np.ndim(distances) != 1:
        raise ValueError("distances must be either scalars or 1d")
    if np.shape(distances)[0] != n:
        raise ValueError("when 1d, distances must match the length of the corresponding dimension")
    values = _plain(distances)
    if values.dtype.kind in "iub":
        values = values.astype(np.float64)
    diffs = np.diff(values)
    if not isinstance(distances, Tensor):
        return diffs[0] if (diffs == diffs[0]).all() else diffs
    x = distances if _backend.kind(distances.dtype) in "fc" else ops.cast(distances, np.float64)
    uneven = x[1:] - x[:-1]
    if not (diffs == diffs[0]).all():
        return uneven
    return _Uniform(uneven[0], uneven)


class _Uniform:
    """Evenly spaced tensor coordinates: NumPy computes with the one spacing (those values), but moving any
    one coordinate makes them uneven, so the derivatives are the uneven formulas' (``diffs``)."""

    def __init__(self, h: Tensor, diffs: Tensor) -> None:
        self.h, self.diffs = h, diffs


def _differences(f: Tensor, ax: int, h: Any, edge_order: int) -> Tensor:
    """np.gradient along one axis, in NumPy's steps and rounding: ``h`` a scalar (float, 0-d array or
    tensor) or the differences of the coordinates (array or tensor). Differences of f are taken in f's
    dtype and promoted where NumPy's would be, by a spacing that is not a Python number."""
    n = f.shape[ax]
    fdt = _backend.numpy_dtype(f.dtype)
    dtype = None if type(h) is float else np.result_type(fdt, _backend.numpy_dtype(h.dtype))

    def at(i: Any) -> Tensor:
        return f[(slice(None),) * ax + (i,)]

    def up(t: Tensor) -> Tensor:  # promoted as NumPy's binary operation with the spacing would
        return t if dtype is None or dtype == fdt else ops.cast(t, dtype)

    def along(c: Any) -> Any:  # coefficients of the uneven formulas, broadcast along the axis
        shape = (-1,) + (1,) * (f.ndim - ax - 1)
        return ops.reshape(c, shape) if isinstance(c, Tensor) else np.reshape(c, shape)

    if np.ndim(h) == 0:
        inner = up(at(slice(2, None)) - at(slice(None, -2))) / (2.0 * h)
        if edge_order == 1:
            first = up(at(slice(1, 2)) - at(slice(0, 1))) / h
            last = up(at(slice(n - 1, n)) - at(slice(n - 2, n - 1))) / h
        else:
            first = (-1.5 / h) * up(at(slice(0, 1))) + (2.0 / h) * up(at(slice(1, 2))) + (-0.5 / h) * up(
                at(slice(2, 3)))
            last = (0.5 / h) * up(at(slice(n - 3, n - 2))) + (-2.0 / h) * up(at(slice(n - 2, n - 1))) + (
                1.5 / h) * up(at(slice(n - 1, n)))
        return ops.concatenate([first, inner, last], axis=ax)
    dx1, dx2 = h[:-1], h[1:]
    a = along(-dx2 / (dx1 * (dx1 + dx2)))
    b = along((dx2 - dx1) / (dx1 * dx2))
    c = along(dx1 / (dx2 * (dx1 + dx2)))
    inner = a * up(at(slice(None, -2))) + b * up(at(slice(1, -1))) + c * up(at(slice(2, None)))
    if edge_order == 1:
        first = up(at(slice(1, 2)) - at(slice(0, 1))) / h[0]
        last = up(at(slice(n - 1, n)) - at(slice(n - 2, n - 1))) / h[-1]
    else:
        dx1, dx2 = h[0], h[1]
        first = (-(2.0 * dx1 + dx2) / (dx1 * (dx1 + dx2))) * up(at(slice(0, 1))) + (
            (dx1 + dx2) / (dx1 * dx2)) * up(at(slice(1, 2))) + (-dx1 / (dx2 * (dx1 + dx2))) * up(at(slice(2, 3)))
        dx1, dx2 = h[-2], h[-1]
        last = (dx2 / (dx1 * (dx1 + dx2))) * up(at(slice(n - 3, n - 2))) + (-(dx2 + dx1) / (dx1 * dx2)) * up(
            at(slice(n - 2, n - 1))) + ((2.0 * dx2 + dx1) / (dx2 * (dx1 + dx2))) * up(at(slice(n - 1, n)))
    return ops.concatenate([first, inner, last], axis=ax)


def gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """``np.gradient``: central differences inside, one-sided (order 1 or 2) at the edges, with NumPy's
    spacings (scalars, or coordinate arrays: uneven grids by NumPy's formulas), values bit for bit.
    Differentiable in f and in spacings or coordinates given as tensors."""
    f = asarray(f)
    axes = tuple(range(f.ndim)) if axis is None else tuple(int(x) % f.ndim for x in np.atleast_1d(axis))
    if not varargs:
        spacings = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        spacings = [_spacing(varargs[0])] * len(axes)
    elif len(varargs) == len(axes):
        spacings = [_axis_spacing(v, f.shape[ax]) for v, ax in zip(varargs, axes)]
    else:
        raise TypeError("invalid number of arguments")
    if edge_order not in (1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    kind = _backend.kind(f.dtype)
    if kind not in "fc":  # integers and booleans: float64, as NumPy's
        f = ops.cast(f, np.float64)
    out = []
    for ax, h in zip(axes, spacings):
        if f.shape[ax] < edge_order + 1:
            raise ValueError("Shape of array too small to calculate a numerical gradient, "
                             "at least (edge_order + 1) elements are required.")
        if isinstance(h, _Uniform):  # NumPy's values, the uneven formulas' derivatives
            from tapegrad.transforms import stop_gradient

            value = stop_gradient(_differences(f, ax, h.h, edge_order))
            moving = _differences(f, ax, h.diffs, edge_order)
            finite = np.isfinite(_plain(moving))
            value = value + ops.where(finite, moving - stop_gradient(moving), 0)
        else:
            value = _differences(f, ax, h, edge_order)
        out.append(value if value.dtype == f.dtype else ops.cast(value, f.dtype))  # stored in f's dtype
    return out[0] if len(out) == 1 else tuple(out)


# ---- selection, elementwise compositions ----------------------------------------------------------------
def _plain(x: Any) -> Any:
    return np.asarray(value_read(x)) if isinstance(x, Tensor) else np.asarray(x)


def select(condlist: Any, choicelist: Any, default: Any = 0) -> Tensor:
    """``np.select``: the first choice whose condition holds (conditions are not differentiated)."""
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise ValueError("select with an empty condition list is not possible")

    def weak(c: Any) -> Any:  # NumPy's NEP 50 result type: Python numbers stay weak
        if type(c) in (int, float, complex):
            return c
        return np.zeros((), _backend.numpy_dtype(c.dtype) if isinstance(c, Tensor) else np.asarray(c).dtype)

    dtype = np.result_type(*[weak(c) for c in (*choicelist, default)])

    def typed(c: Any) -> Any:
        c = asarray(c) if isinstance(c, Tensor) else np.asarray(c, dtype)
        return c if not isinstance(c, Tensor) or _backend.numpy_dtype(c.dtype) == dtype else ops.cast(c, dtype)

    out = typed(default)
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        out = ops.where(_plain(cond).astype(bool), typed(choice), out)
    return out if isinstance(out, Tensor) else array(out)


def piecewise(x: Any, condlist: Any, funclist: Any, *args: Any, **kw: Any) -> Tensor:
    """``np.piecewise``: each function is evaluated on all of x and selected where its condition
    holds (later conditions win, as NumPy). Keep the functions finite everywhere (or use the
    double-where pattern): a NaN in an unselected branch still reaches the gradient as 0 * NaN."""
    x = asarray(x)
    if isinstance(condlist, (bool, np.ndarray, Tensor)) and np.ndim(_plain(condlist)) == x.ndim:
        condlist = [condlist]
    conds = [_plain(c).astype(bool) for c in condlist]
    if len(funclist) == len(conds) + 1:
        otherwise = ~np.any(conds, axis=0) if conds else np.ones(x.shape, bool)
        conds.append(otherwise)
    elif len(funclist) != len(conds):
        raise ValueError(f"with {len(conds)} condition(s), give {len(conds)} or {len(conds) + 1} functions")
    out = ops.zeros_like(x)
    for cond, fn in zip(conds, funclist):
        value = fn(x, *args, **kw) if callable(fn) else fn
        out = ops.where(cond, value, out)
    return ops.cast(out, x.dtype) if out.dtype != x.dtype else out


def interp(x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None, period: Any = None) -> Tensor:
    """``np.interp``: piecewise-linear interpolation, differentiable w.r.t. ``x``, ``xp`` and ``fp``
    (which segment each x falls in is piecewise constant)."""
    if period is not None:
        raise NotImplementedError("tapegrad.numpy.interp: period= is not supported")
    points = xp
    xp = _plain(xp).astype(np.float64)
    fp = asarray(fp)
    x = asarray(x)
    if xp.ndim != 1 or fp.ndim != 1 or xp.shape != fp.shape:
        raise ValueError("fp and xp are not of the same length.")
    xv = _plain(x)
    n = xp.shape[0]
    if n == 1:
        out = ops.broadcast_to(fp[0], x.shape) * ops.ones_like(x)
    else:
        i = np.clip(np.searchsorted(xp, xv, side="right") - 1, 0, n - 2)
        x0, x1 = xp[i], xp[i + 1]
        if isinstance(points, Tensor):  # sample points given as a tensor: moving them moves the line
            points = _float64(points)
            x0, x1 = ops.take(points, i), ops.take(points, i + 1)
        f0, f1 = ops.take(fp, i), ops.take(fp, i + 1)
        out = f0 + (f1 - f0) * ((x - x0) / (x1 - x0))
        out = ops.where(xv == xp[-1], ops.take(fp, np.full(np.shape(xv), n - 1)), out)
    lo = fp[0] if left is None else left
    hi = fp[-1] if right is None else right
    out = ops.where(xv < xp[0], lo * ops.ones_like(out), out)
    return ops.where(xv > xp[-1], hi * ops.ones_like(out), out)


def fmax(x1: Any, x2: Any) -> Tensor:
    """``np.fmax``: the larger, ignoring a NaN (ties go to the first argument)."""
    x1, x2 = asarray(x1), asarray(x2)
    return ops.where((x1 >= x2) | ops.isnan(x2), x1, x2)


def fmin(x1: Any, x2: Any) -> Tensor:
    """``np.fmin``: the smaller, ignoring a NaN (ties go to the first argument)."""
    x1, x2 = asarray(x1), asarray(x2)
    return ops.where((x1 <= x2) | ops.isnan(x2), x1, x2)


def real(val: Any) -> Tensor:
    """``np.real``: the real part (a real tensor as it is)."""
    return ops.real(asarray(val))


def imag(val: Any) -> Tensor:
    """``np.imag``: the imaginary part (zeros for a real tensor)."""
    return ops.imag(asarray(val))


def angle(z: Any, deg: bool = False) -> Tensor:
    """``np.angle``: the argument in radians (degrees with ``deg=True``)."""
    out = ops.angle(asarray(z))
    return out * (180.0 / math.pi) if deg else out


def deg2rad(x: Any) -> Tensor:
    """``np.deg2rad``."""
    return asarray(x) * (math.pi / 180.0)


def rad2deg(x: Any) -> Tensor:
    """``np.rad2deg``."""
    return asarray(x) * (180.0 / math.pi)


def round(a: Any, decimals: int = 0, out: Any = None) -> Tensor:  # noqa: A001
    """``np.round``: to ``decimals`` places in NumPy's steps, so the same values (gradient 0): times 10^d or
    divided by 10^-d, rint, back; complex numbers part by part; integers stay integers (computed in float64)."""
    _no_out(out, "round")
    a = asarray(a)
    kind = _backend.kind(a.dtype)
    if kind == "c":
        return ops.complex(round(ops.real(a), decimals), round(ops.imag(a), decimals))
    if kind in "iu":
        if decimals >= 0:
            return a
        return ops.cast(round(ops.cast(a, np.float64), decimals), a.dtype)
    if decimals == 0:
        return ops.round(a)
    scale = _power_of_ten(abs(int(decimals)))  # a Python float: weak next to float32, as NumPy's
    return ops.round(a * scale) / scale if decimals > 0 else ops.round(a / scale) * scale


def _power_of_ten(n: int) -> float:
    """10^n as NumPy's round computes it (exact to 1e22; beyond, by repeated multiplication)."""
    out = 1e9 if n >= 9 else 10.0**n
    for _ in range(n - 9):
        out *= 10.0
    return out


around = round


def nan_to_num(x: Any, copy: bool = True, nan: float = 0.0, posinf: Any = None, neginf: Any = None) -> Tensor:
    """``np.nan_to_num``: NaN and infinities replaced (their gradient is 0, elsewhere 1)."""
    x = asarray(x)
    v = _plain(x)
    if v.dtype.kind == "c":  # NumPy treats the real and imaginary parts separately
        parts = [nan_to_num(part(x), copy, nan, posinf, neginf) for part in (ops.real, ops.imag)]
        return ops.complex(*parts)
    if v.dtype.kind != "f":
        return x
    info = np.finfo(v.dtype)
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf
    out = ops.where(np.isnan(v), nan, x)
    out = ops.where(np.isposinf(v), hi, out)
    return ops.where(np.isneginf(v), lo, out)


def heaviside(x1: Any, x2: Any) -> Tensor:
    """``np.heaviside``: 0 below zero, x2 at zero, 1 above, NaN at NaN (differentiable in x2 only), in the
    floating dtype NumPy's loops give."""
    x1 = asarray(x1)
    v = _plain(x1)
    like = x2 if isinstance(x2, (int, float)) else np.zeros((), _backend.numpy_dtype(asarray(x2).dtype))
    dtype = np.heaviside(np.zeros((), v.dtype), like).dtype
    step = np.where(np.isnan(v), np.nan, np.where(v > 0, 1.0, 0.0)).astype(dtype)
    x2 = asarray(x2) if not isinstance(x2, (int, float)) else np.asarray(x2, dtype)
    return ops.where(v == 0, x2 if _backend.numpy_dtype(x2.dtype) == dtype else ops.cast(x2, dtype), step)


# ---- reductions and order statistics ------------------------------------------------------------------
def _reduce_axis(a: Tensor, axis: Any) -> tuple[Tensor, Any]:
    """The tensor with the reduced axis last (flattened when None, several axes flattened into one),
    and that axis (or the tuple of them)."""
    if axis is None:
        return ops.reshape(a, (-1,)), 0
    if isinstance(axis, (tuple, list)):  # several axes: moved last and flattened into one
        if not all(-a.ndim <= int(x) < a.ndim for x in axis):
            raise ValueError(f"axis {tuple(axis)} is out of bounds for array of dimension {a.ndim}")
        axes = tuple(int(x) % a.ndim for x in axis)
        if len(set(axes)) != len(axes):
            raise ValueError("repeated axis")
        k = a.ndim - len(axes)
        moved = ops.moveaxis(a, axes, tuple(range(k, a.ndim)))
        return ops.reshape(moved, tuple(moved.shape[:k]) + (-1,)), axes
    return ops.moveaxis(a, int(axis), -1), int(axis) % a.ndim


_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def quantile(a: Any, q: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
             method: str = "linear", keepdims: bool = False, *, weights: Any = None,
             interpolation: Any = None) -> Tensor:
    """``np.quantile`` (methods linear, lower, higher, nearest, midpoint; any axes): sorted
    values blended with constant weights, so the gradient goes to the order statistics used."""
    return _quantile(a, q, axis, out, method, keepdims, weights, interpolation, type(q) in (int, float))


def _lerp(below: Tensor, above: Tensor, frac: np.ndarray, f: Any, weak: bool) -> Tensor:
    """NumPy's ``_lerp`` of two order statistics at fractions ``frac`` (``f``: the same, a tensor when q
    is one): from the nearer end, and in the data's dtype only for a Python-number q (NEP 50)."""
    dtype = _backend.numpy_dtype(below.dtype)
    if dtype.kind != "f" or not weak:
        dtype = np.result_type(dtype, frac.dtype if frac.dtype.kind == "f" else np.float64)
    gap = above - below
    below, above, gap = (_as_dtype(x, dtype) for x in (below, above, gap))
    if isinstance(f, Tensor):
        f = _as_dtype(f, dtype)
        rest = 1 - f
    else:
        f, rest = frac.astype(dtype), (1 - frac).astype(dtype)  # 1 - t in float64 first, as NumPy's
    return ops.where(frac >= 0.5, above - gap * rest, below + gap * f)


def _as_dtype(x: Tensor, dtype: np.dtype) -> Tensor:
    return x if _backend.numpy_dtype(x.dtype) == dtype else ops.cast(x, dtype)


def _quantile(a: Any, q: Any, axis: Any, out: Any, method: str, keepdims: bool, weights: Any,
              interpolation: Any, weak: bool) -> Tensor:
    _no_out(out, "quantile")
    if interpolation is not None:
        method = interpolation
    if method not in _METHODS or weights is not None:
        raise NotImplementedError(f"tapegrad.numpy.quantile supports method in {_METHODS} without weights")
    a = asarray(a)
    if np.dtype(a.dtype).kind == "c":
        raise TypeError("a must be an array of real numbers")
    qv = _quantiles(q)
    if np.any((qv < 0) | (qv > 1)):
        raise ValueError("Quantiles must be in the range [0, 1]")
    moved, ax = _reduce_axis(a, axis)
    s = sort(moved, axis=-1)
    n = s.shape[-1]
    pos = qv * (n - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    frac = (pos - lo).astype(pos.dtype)  # NumPy's gamma, in the quantiles' dtype
    if method == "lower":
        res = ops.take(s, lo, axis=-1)
    elif method == "higher":
        res = ops.take(s, np.ceil(pos).astype(np.intp), axis=-1)
    elif method == "nearest":
        res = ops.take(s, np.round(pos).astype(np.intp), axis=-1)  # half to even, as NumPy
    else:
        frac = frac if method == "linear" else np.full_like(frac, 0.5) * (frac > 0)
        f = _float64(q) * (n - 1) - lo if method == "linear" and isinstance(q, Tensor) else None  # differentiable in q
        res = _lerp(ops.take(s, lo, axis=-1), ops.take(s, hi, axis=-1), frac, f, weak)
    return _quantile_layout(_nan_where_nan(res, moved, qv.ndim), qv, a, axis, ax, keepdims)


def _nan_where_nan(res: Tensor, moved: Tensor, extra: int = 0) -> Tensor:
    """NaN where the slice (the last axis of ``moved``) holds a NaN, as NumPy's median and quantile
    (the sort puts NaNs last, so the order statistics alone would skip them)."""
    if _backend.kind(moved.dtype) not in "fc":
        return res
    bad = np.isnan(_plain(moved)).any(axis=-1)
    if not bad.any():
        return res
    bad = np.broadcast_to(bad.reshape(bad.shape + (1,) * extra), res.shape)
    return ops.where(bad, np.array(np.nan, dtype=_backend.numpy_dtype(res.dtype)), res)


def _quantile_layout(res: Tensor, qv: np.ndarray, a: Tensor, axis: Any, ax: Any, keepdims: bool) -> Tensor:
    """A quantile's result (the reduced shape, then q's) in NumPy's layout: q's axes first, and with
    ``keepdims`` the reduced axis kept as 1."""
    rest = res.ndim - qv.ndim
    res = ops.transpose(res, tuple(range(rest, res.ndim)) + tuple(range(rest))) if qv.ndim else res
    if keepdims:
        shape = list(a.shape) if axis is not None else [1] * a.ndim
        for i in () if axis is None else ax if isinstance(ax, tuple) else (ax,):
            shape[i] = 1
        res = ops.reshape(res, qv.shape + tuple(shape))
    return res


def percentile(a: Any, q: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
               method: str = "linear", keepdims: bool = False, *, weights: Any = None,
               interpolation: Any = None) -> Tensor:
    """``np.percentile``: quantile at q / 100."""
    return _quantile(a, _percent(q), axis, out, method, keepdims, weights, interpolation, type(q) in (int, float))


def _float64(q: Tensor) -> Tensor:
    return q if _backend.numpy_dtype(q.dtype) == np.float64 else ops.cast(q, np.float64)


def _percent(q: Any) -> Any:
    """q / 100 (float64 unless q is a float32/16 array, as NumPy's), still a tensor (differentiable) when q is one."""
    return _float64(q) / 100 if isinstance(q, Tensor) else _quantiles(q) / 100


def _quantiles(q: Any) -> np.ndarray:
    """The values of q as NumPy's quantile computes with them: float64 unless q is a float32/16 array."""
    qv = np.asarray(_plain(q))
    return qv if qv.dtype.kind == "f" and not isinstance(q, Tensor) else qv.astype(np.float64)


def median(a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False, keepdims: bool = False) -> Tensor:
    """``np.median``: the middle value, the mean of the two middle ones for an even count."""
    _no_out(out, "median")
    a = asarray(a)
    moved, ax = _reduce_axis(a, axis)
    s = sort(moved, axis=-1)
    n = s.shape[-1]
    res = s[..., n // 2] if n % 2 else (s[..., n // 2 - 1] + s[..., n // 2]) / 2
    res = _nan_where_nan(res, moved)
    if keepdims:
        shape = [1] * a.ndim if axis is None else list(a.shape)
        for i in () if axis is None else ax if isinstance(ax, tuple) else (ax,):
            shape[i] = 1
        res = ops.reshape(res, tuple(shape))
    return res


def average(a: Any, axis: Any = None, weights: Any = None, returned: bool = False, *, keepdims: bool = False) -> Any:
    """``np.average``: the (weighted) mean; differentiable w.r.t. the values and the weights."""
    a = asarray(a)
    if weights is None:
        avg = ops.mean(a, axis=axis, keepdims=keepdims)
        count = np.prod(a.shape) / np.prod(avg.shape) if axis is not None else a.size
        scl = ops.ones_like(avg) * count
    else:
        w = asarray(weights)
        if w.shape != a.shape:
            if axis is None or w.ndim != 1:
                raise TypeError("Axis must be specified when shapes of a and weights differ.")
            shape = [1] * a.ndim
            shape[int(axis) % a.ndim] = w.shape[0]
            w = ops.reshape(w, tuple(shape))
        scl = ops.sum(w * ops.ones_like(a), axis=axis, keepdims=keepdims)
        avg = ops.sum(a * w, axis=axis, keepdims=keepdims) / scl
    return (avg, scl) if returned else avg


def _nan_free(a: Any, fill: float) -> tuple[Tensor, np.ndarray]:
    """``a`` with its NaNs replaced by ``fill`` (NumPy's _replace_nan: integers and booleans have none, and
    keep their dtype), and where they were."""
    a = asarray(a)
    if np.dtype(a.dtype).kind not in "fc":
        return a, np.zeros(a.shape, dtype=bool)
    nan = np.isnan(_plain(a))
    return ops.where(nan, fill, a), nan


def _options(name: str, kw: dict) -> None:
    """Refuse the keywords of NumPy's nan-reductions that tapegrad does not implement (never ignore them)."""
    for key, value in kw.items():
        if not (key == "where" and value is True or key == "initial" and value in (None, np._NoValue)):
            raise TypeError(f"tapegrad.numpy.{name} does not take {key}=")


def _in(dtype: Any, x: Any) -> Any:
    return x if dtype is None else ops.cast(x, np.dtype(dtype))


def nansum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, **kw: Any) -> Tensor:
    """``np.nansum``: NaNs count as zero (and get no gradient)."""
    _no_out(out, "nansum")
    _options("nansum", kw)
    clean, _ = _nan_free(a, 0.0)
    return _in(dtype, ops.sum(_in(dtype, clean), axis=axis, keepdims=keepdims))  # dtype=int8 wraps as NumPy's


def nanmean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, **kw: Any) -> Tensor:
    """``np.nanmean``: the mean of the non-NaN entries."""
    _no_out(out, "nanmean")
    _options("nanmean", kw)
    clean, nan = _nan_free(_in(inexact_dtype("nanmean", dtype), asarray(a)), 0.0)
    if np.dtype(clean.dtype).kind not in "fc":
        return ops.mean(clean, axis=axis, keepdims=keepdims)
    count = np.sum(~nan, axis=axis, keepdims=keepdims)
    return ops.sum(clean, axis=axis, keepdims=keepdims) / count.astype(_plain(clean).dtype)


def _nan_extremum(name: str, a: Any, axis: Any, keepdims: bool, kw: dict) -> Tensor:
    """np.nanmax/np.nanmin: NumPy's fmax/fmin reduction, so a slice of NaNs only gives NaN."""
    _options(name, kw)
    clean, nan = _nan_free(a, -np.inf if name == "nanmax" else np.inf)
    out = (ops.max if name == "nanmax" else ops.min)(clean, axis=axis, keepdims=keepdims)
    empty = np.all(nan, axis=axis, keepdims=keepdims)
    return ops.where(empty, np.nan, out) if np.any(empty) else out


def nanmax(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False, **kw: Any) -> Tensor:
    """``np.nanmax``: the maximum ignoring NaNs (NaN where a slice has nothing else)."""
    _no_out(out, "nanmax")
    return _nan_extremum("nanmax", a, axis, keepdims, kw)


def nanmin(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False, **kw: Any) -> Tensor:
    """``np.nanmin``: the minimum ignoring NaNs (NaN where a slice has nothing else)."""
    _no_out(out, "nanmin")
    return _nan_extremum("nanmin", a, axis, keepdims, kw)


def nanprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False, **kw: Any) -> Tensor:
    """``np.nanprod``: NaNs count as one."""
    _no_out(out, "nanprod")
    _options("nanprod", kw)
    clean, _ = _nan_free(a, 1.0)
    return _in(dtype, ops.prod(_in(dtype, clean), axis=axis, keepdims=keepdims))


def ptp(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Tensor:
    """``np.ptp``: maximum minus minimum."""
    _no_out(out, "ptp")
    a = asarray(a)
    return ops.max(a, axis=axis, keepdims=keepdims) - ops.min(a, axis=axis, keepdims=keepdims)


# ---- products -----------------------------------------------------------------------------------------
def convolve(a: Any, v: Any, mode: str = "full") -> Tensor:
    """``np.convolve`` of two 1-d arrays (full, same, valid), bilinear: a sum of shifted products."""
    a, v = ops.reshape(asarray(a), (-1,)), ops.reshape(asarray(v), (-1,))
    n, m = a.shape[0], v.shape[0]
    if n == 0 or m == 0:
        raise ValueError("v cannot be empty" if m == 0 else "a cannot be empty")
    if m > n:
        a, v, n, m = v, a, m, n
    # full[k] = sum_j a[k - j] v[j]: gather a Toeplitz matrix of a (zero outside), then a product
    k = np.arange(n + m - 1)[:, None] - np.arange(m)[None, :]
    inside = (k >= 0) & (k < n)
    padded = ops.concatenate([a, ops.zeros_like(a[:1])], axis=0)
    toeplitz = ops.getitem(padded, np.where(inside, k, n))
    full = ops.matmul(toeplitz, v)
    if mode == "full":
        return full
    if mode == "same":
        start = (m - 1) // 2
        return full[start:start + n]
    if mode == "valid":
        return full[m - 1:n]
    raise ValueError(f"mode must be one of 'full', 'same', 'valid', got {mode!r}")


def correlate(a: Any, v: Any, mode: str = "valid") -> Tensor:
    """``np.correlate``: convolve with the reversed conjugate of ``v``."""
    a, v = asarray(a), asarray(v)
    nv, na = v.shape[0], a.shape[0]
    vr = ops.reshape(v, (-1,))[::-1]
    if np.dtype(v.dtype).kind == "c":
        vr = ops.conj(vr)
    if nv > na:  # NumPy swaps: correlate(a, v) = conj(correlate(v, a)) reversed (conj whenever complex)
        swapped = correlate(v, a, mode)[::-1]
        return ops.conj(swapped) if _backend.kind(swapped.dtype) == "c" else swapped
    return convolve(a, vr, mode)

