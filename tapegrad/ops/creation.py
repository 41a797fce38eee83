"""Constructors: constant values that no tape records (zeros, ones, linspace, eye, ...).

dtype rules follow TensorFlow: a Python float becomes float32 (``tg.set_default_float`` changes
that), a Python int int32 (int64 if it does not fit), a Python bool bool; NumPy arrays and scalars
keep their dtype (a float64 array stays float64). Constructors that take no value (zeros, ones, eye,
linspace, random_*) default to the default float dtype.

Nothing made here depends on a watched tensor, so no gradient flows into it (``zeros_like(x)``
has no gradient with respect to ``x``, as in TensorFlow), except from the values given: a tensor
``fill_value`` of ``full``/``fill``/``full_like`` (TensorFlow's ``fill`` is differentiable in it)
and tensor endpoints of ``linspace``.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from tapegrad import _backend, _context
from tapegrad._dtypes import as_dtype, default_float, python_to_array
from tapegrad._tensor import Tensor, Variable, as_tensor, ops, value_read, wrap

__all__ = [
    "constant",
    "convert_to_tensor",
    "zeros",
    "ones",
    "full",
    "fill",
    "zeros_like",
    "ones_like",
    "full_like",
    "linspace",
    "lin_space",
    "arange",
    "eye",
    "random_normal",
    "random_uniform",
]


def _value(x: Any) -> Any:
    if isinstance(x, Variable):
        return x.snapshot()._value
    return x._value if isinstance(x, Tensor) else np.asarray(x)


def _read(x: Any) -> Any:
    """The value of an argument that becomes part of a constant made from it (a range, samples, a
    shape): tg.function guards a tensor read this way."""
    return value_read(x) if isinstance(x, Tensor) else np.asarray(x)


def _dtype(dtype: Any) -> np.dtype:
    return default_float() if dtype is None else as_dtype(dtype)


def _shape(shape: Any) -> tuple:
    if isinstance(shape, Tensor):
        shape = np.asarray(value_read(shape)).tolist()
    try:
        dims = (int(shape.__index__()),) if np.ndim(shape) == 0 else tuple(int(n.__index__()) for n in shape)
    except (AttributeError, TypeError):
        raise TypeError(f"a shape must be an int or a sequence of ints, got {shape!r:.60}") from None
    if any(n < 0 for n in dims):
        raise ValueError(f"a shape must not have negative entries, got {dims}")
    return dims


def _scalarize(a: np.ndarray) -> Any:
    return a[()] if a.ndim == 0 else a


def _typed_dtype(*values: Any) -> np.dtype | None:
    """The common dtype of the Tensor / NumPy values among ``values`` (Python scalars do not count)."""
    dtypes = [_value(v).dtype for v in values if isinstance(v, (Tensor, np.ndarray, np.generic))]
    return np.result_type(*dtypes) if dtypes else None


def _has_tensor(value: Any) -> bool:
    if isinstance(value, Tensor):
        return True
    return isinstance(value, (list, tuple)) and builtins.any(_has_tensor(v) for v in value)


def _pack(value: Any) -> Any:
    """A nested list holding tensors, stacked into one (recorded) tensor, as TF's auto-packing."""
    if isinstance(value, (list, tuple)):
        return ops.stack([_pack(v) for v in value])
    return value


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str | None = None) -> Tensor:
    """A tensor from a Python value or NumPy array (Python floats become float32, ints int32, as in TF).

    With ``shape``, a single value fills it and any other value is reshaped to it.
    """
    if isinstance(value, Tensor):  # (tg.function guards what it reads)
        value = value.snapshot()._value if isinstance(value, Variable) else value_read(value)
    if _has_tensor(value):
        value = np.asarray(value_read(_pack(value)))
    if dtype is not None and not isinstance(value, (np.ndarray, np.generic)):
        raw = np.asarray(value)
        target = as_dtype(dtype)
        if raw.dtype.kind == "f" and target.kind in "iub" and not np.all(raw == np.round(raw)):
            raise TypeError(f"constant: cannot convert {value!r:.60} to {target} without losing its fraction; "
                            "round it first or choose a floating dtype")
    out = python_to_array(value, dtype)
    if shape is not None:
        shape = _shape(shape)
        size = int(np.prod(shape, dtype=np.int64))
        if np.size(out) == 1:
            out = np.broadcast_to(out, shape).copy()
        elif np.size(out) == size:
            out = np.reshape(out, shape)
        else:
            raise ValueError(
                f"constant: a value with {np.size(out)} elements cannot fill shape {shape} ({size} elements); "
                "give a single value or one with as many elements"
            )
        out = _scalarize(np.asarray(out))
    return wrap(out)


def convert_to_tensor(value: Any, dtype: Any = None, dtype_hint: Any = None, name: str | None = None) -> Tensor:
    """The value as a Tensor; a Tensor is returned as it is (a Variable as its current value).

    A (nested) list of tensors is stacked into one tensor, and that stacking is differentiable.
    A Tensor of another dtype than ``dtype`` is an error, as in TensorFlow (use ``tg.cast``).
    """
    if isinstance(value, Tensor):
        t = value.read_value() if isinstance(value, Variable) else value
        if dtype is not None and as_dtype(dtype) != t.dtype:
            raise TypeError(f"convert_to_tensor: the tensor has dtype {t.dtype}, not the requested {as_dtype(dtype)}; "
                            "use tg.cast to change it")
        return t
    if _has_tensor(value):
        t = _pack(value)
        return t if dtype is None or as_dtype(dtype) == t.dtype else ops.cast(t, dtype)
    if dtype is None and dtype_hint is not None and not isinstance(value, (np.ndarray, np.generic)):
        try:
            return as_tensor(value, dtype_hint)
        except (TypeError, ValueError):
            pass
    return as_tensor(value, dtype)


def zeros(shape: Any, dtype: Any = None, name: str | None = None) -> Tensor:
    """A tensor of zeros (float32 by default)."""
    return wrap(_scalarize(np.zeros(_shape(shape), dtype=_dtype(dtype))))


def ones(shape: Any, dtype: Any = None, name: str | None = None) -> Tensor:
    """A tensor of ones (float32 by default)."""
    return wrap(_scalarize(np.ones(_shape(shape), dtype=_dtype(dtype))))


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """``np.full``: ``shape`` filled with ``fill_value`` (dtype from the value, as ``constant``)."""
    if isinstance(fill_value, Tensor):
        return _filled(fill_value, None if dtype is None else as_dtype(dtype), _shape(shape))
    v = python_to_array(value_read(fill_value) if isinstance(fill_value, Tensor) else fill_value, dtype)
    return wrap(_scalarize(np.full(_shape(shape), v, dtype=v.dtype)))


def fill(dims: Any, value: Any, name: str | None = None, dtype: Any = None) -> Tensor:
    """``tf.fill``: ``dims`` filled with ``value`` (dtype from the value, as ``constant``)."""
    return full(dims, value, dtype)


def _filled(fill_value: Tensor, dtype: Any, shape: tuple) -> Tensor:
    """A tensor ``fill_value`` broadcast to ``shape``: the filled array, differentiable in the value."""
    if dtype is not None and _backend.numpy_dtype(fill_value.dtype) != dtype:
        fill_value = ops.cast(fill_value, dtype)
    return ops.broadcast_to(fill_value, shape)


def _like(x: Any, fill_value: Any, dtype: Any, shape: Any) -> Any:
    raw = x._value if isinstance(x, Tensor) else x
    if isinstance(fill_value, Tensor):
        if not _backend.is_foreign(raw):
            like = _backend.numpy_dtype(x.dtype) if isinstance(x, Tensor) else np.asarray(x).dtype
            return _filled(fill_value, like if dtype is None else as_dtype(dtype), np.shape(raw) if shape is None
                           else _shape(shape))
        fill_value = _read(fill_value)
    if raw.__class__ is not np.ndarray and _backend.is_foreign(raw):  # stays in its library (lazy on Dask)
        out = _backend.full_like(raw, fill_value, dtype, shape)
        return wrap(out) if isinstance(x, Tensor) else out
    if not isinstance(x, Tensor):
        out = np.full_like(x, fill_value, dtype=dtype, shape=shape)
        return out if out.ndim else out[()]
    return wrap(_scalarize(np.full_like(_value(x), fill_value, dtype=dtype, shape=shape)))


def zeros_like(x: Any, dtype: Any = None, shape: Any = None, name: str | None = None) -> Any:
    """Zeros shaped like ``x``. On plain NumPy values (inside raw derivative rules) gives NumPy."""
    return _like(x, 0, dtype, shape)


def ones_like(x: Any, dtype: Any = None, shape: Any = None, name: str | None = None) -> Any:
    """Ones shaped like ``x``. On plain NumPy values (inside raw derivative rules) gives NumPy."""
    return _like(x, 1, dtype, shape)


def full_like(x: Any, fill_value: Any, dtype: Any = None, shape: Any = None) -> Any:
    """``np.full_like``: ``fill_value`` everywhere, shaped (and typed) like ``x``."""
    return _like(x, fill_value, dtype, shape)


def linspace(start: Any, stop: Any, num: int, dtype: Any = None, axis: int = 0, endpoint: bool = True,
             name: str | None = None) -> Tensor:
    """``num`` evenly spaced values from start to stop (inclusive unless ``endpoint=False``).

    The dtype is that of tensor / NumPy floating arguments, else the default float (float32).
    """
    num = int(num.__index__()) if hasattr(num, "__index__") else num
    if not isinstance(num, int) or num < 0:
        raise ValueError(f"linspace: num must be a non-negative int, got {num!r}")
    if dtype is None:
        dtype = _typed_dtype(start, stop)
        if dtype is None or np.dtype(dtype).kind not in "fc":  # complex endpoints stay complex
            dtype = default_float()
    values = np.linspace(_value(start), _value(stop), num, endpoint=bool(endpoint), dtype=as_dtype(dtype), axis=axis)
    if not (isinstance(start, Tensor) or isinstance(stop, Tensor)) or values.dtype.kind not in "fc":
        for end in (start, stop):  # an integer dtype: NumPy's floor of the float values (no gradient)
            if isinstance(end, Tensor):
                value_read(end)  # (a constant made from it: tg.function guards it)
        return wrap(values)
    return _linspace_of_tensors(start, stop, num, values, axis, bool(endpoint))


def _linspace_of_tensors(start: Any, stop: Any, num: int, values: np.ndarray, axis: int, endpoint: bool) -> Tensor:
    """linspace differentiable in tensor endpoints, in NumPy's arithmetic: start + i * ((stop - start) / div),
    or start + (i / div) * (stop - start) where that step underflows to 0, the last value exactly ``stop``
    when ``endpoint``."""
    dtype = values.dtype
    start, stop = (ops.cast(as_tensor(v), dtype) for v in (start, stop))
    shape = np.broadcast_shapes(start.shape, stop.shape)
    start, stop = ops.broadcast_to(start, shape), ops.broadcast_to(stop, shape)
    axis = axis % values.ndim
    lead = [1] * axis + [num] + [1] * (values.ndim - axis - 1)
    i = np.arange(num, dtype=dtype).reshape(lead)
    start_b, stop_b = ops.expand_dims(start, axis), ops.expand_dims(stop, axis)
    div = (num - 1) if endpoint else num
    delta = stop_b - start_b
    if div > 0:
        step = delta / div
        out = start_b + ((i / div) * delta if np.any(step._value == 0) else i * step)
    else:
        out = start_b + i * delta  # NumPy's (nan where stop - start is not finite)
    if endpoint and num > 1:
        out = ops.where((i == num - 1), stop_b + 0 * i, out)
    return out


lin_space = linspace


def _scalar_dtype(v: Any) -> np.dtype:
    if isinstance(v, (Tensor, np.ndarray, np.generic)):
        return _value(v).dtype
    return python_to_array(v).dtype


def arange(start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None, name: str | None = None) -> Tensor:
    """``tf.range`` / ``np.arange``: Python ints give int32, Python floats the default float dtype,
    tensors and NumPy values their own dtype."""
    if delta is None:
        delta = 1
    values = [v for v in (start, limit, delta) if v is not None]
    if dtype is None:
        dtype = np.result_type(*[_scalar_dtype(v) for v in values])
    if limit is None:
        start, limit = 0, start
    if _read(delta) == 0:
        raise ValueError("arange: delta (the step) must not be zero")
    return wrap(np.arange(_read(start), _read(limit), _read(delta), dtype=as_dtype(dtype)))


def eye(num_rows: int, num_columns: int | None = None, batch_shape: Any = None, dtype: Any = None, k: int = 0,
        name: str | None = None) -> Tensor:
    """An identity matrix (ones on diagonal ``k``), optionally repeated over ``batch_shape`` (``tf.eye``)."""
    out = np.eye(int(num_rows), None if num_columns is None else int(num_columns), k=int(k), dtype=_dtype(dtype))
    if batch_shape is not None:
        out = np.broadcast_to(out, _shape(batch_shape) + out.shape).copy()
    return wrap(out)


def _rng(seed: Any) -> np.random.Generator:
    if seed is None:  # new numbers at each call: tg.function cannot bake them into its code
        _context.tell("on_nondeterministic", "random numbers without a seed")
    return np.random.default_rng(None if seed is None else int(seed))


def random_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: int | None = None,
                  name: str | None = None) -> Tensor:
    """Normal samples (``tf.random.normal``); the same ``seed`` gives the same values."""
    dtype = _dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"random_normal needs a floating dtype, got {dtype}")
    return wrap(_scalarize(np.asarray(_rng(seed).normal(_read(mean), _read(stddev), _shape(shape)), dtype=dtype)))


def random_uniform(shape: Any, minval: Any = 0.0, maxval: Any = None, dtype: Any = None, seed: int | None = None,
                   name: str | None = None) -> Tensor:
    """Uniform samples in [minval, maxval) (``tf.random.uniform``; maxval defaults to 1 for floats and
    is required for integer dtypes); the same ``seed`` gives the same values."""
    dtype = _dtype(dtype)
    shape = _shape(shape)
    if dtype.kind in "iu":
        if maxval is None:
            raise ValueError("random_uniform: an integer dtype needs maxval")
        values = _rng(seed).integers(int(_read(minval)), int(_read(maxval)), shape)
    else:
        values = _rng(seed).uniform(_read(minval), 1.0 if maxval is None else _read(maxval), shape)
    return wrap(_scalarize(np.asarray(values, dtype=dtype)))


def _np_like(fill_value: Any) -> Any:
    def like(a: Any, dtype: Any = None, order: str = "K", subok: bool = True, shape: Any = None, **kw: Any) -> Any:
        return _like(a if isinstance(a, Tensor) else np.asarray(a), fill_value, dtype, shape)

    return like


def _np_linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False,
                 dtype: Any = None, axis: int = 0, **kw: Any) -> Tensor:
    # NumPy's dtype: the endpoints' (Python numbers weak), made inexact (int64 endpoints give float64)
    inferred = np.linspace(*(v._value if isinstance(v, Tensor) else v for v in (start, stop)), 0).dtype
    samples = linspace(start, stop, num, inferred if dtype is None else dtype, axis, endpoint)
    if not retstep:
        return samples
    div = (num - 1) if endpoint else num
    if div <= 0:
        return samples, np.nan  # NumPy's: no step
    start, stop = (ops.cast(v, inferred) if isinstance(v, Tensor) else np.asarray(v).astype(inferred)
                   for v in (start, stop))
    return samples, (stop - start) / div  # the step in the endpoints' dtype, as NumPy's (not dtype=)


NUMPY_FUNCTIONS = {
    np.zeros_like: _np_like(0),
    np.ones_like: _np_like(1),
    np.empty_like: _np_like(0),
    np.full_like: lambda a, fill_value, dtype=None, order="K", subok=True, shape=None, **kw: full_like(
        a, fill_value, dtype, shape
    ),
    np.linspace: _np_linspace,
}

range = arange  # noqa: A001  (tf.range; deliberately not in __all__, so ``import *`` keeps the builtin)
