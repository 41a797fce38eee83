"""Constructors: constant values that no tape records (zeros, ones, linspace, eye, ...)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tapegrad._dtypes import as_dtype, default_float, python_to_array
from tapegrad._tensor import Tensor, Variable, as_tensor, wrap


__all__ = [
    "constant",
    "convert_to_tensor",
    "zeros",
    "ones",
    "fill",
    "zeros_like",
    "ones_like",
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


def _dtype(dtype: Any) -> np.dtype:
    return default_float() if dtype is None else as_dtype(dtype)


def _shape(shape: Any) -> tuple:
    if isinstance(shape, Tensor):
        shape = np.asarray(shape._value).tolist()
    return (int(shape),) if np.ndim(shape) == 0 else tuple(int(n) for n in shape)


def _scalarize(a: np.ndarray) -> Any:
    return a[()] if a.ndim == 0 else a


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str | None = None) -> Tensor:
    """A tensor from a Python value or NumPy array (Python floats become float32, as in TF)."""
    if isinstance(value, Tensor):
        value = _value(value)
    out = python_to_array(value, dtype)
    if shape is not None:
        shape = _shape(shape)
        out = np.broadcast_to(out, shape).copy() if np.size(out) == 1 else np.reshape(out, shape)
        out = _scalarize(np.asarray(out))
    return wrap(out)


def convert_to_tensor(value: Any, dtype: Any = None, name: str | None = None) -> Tensor:
    """The value as a Tensor; a Tensor is returned as it is (a Variable as its current value)."""
    return as_tensor(value, dtype)


def zeros(shape: Any, dtype: Any = None) -> Tensor:
    return wrap(_scalarize(np.zeros(_shape(shape), dtype=_dtype(dtype))))


def ones(shape: Any, dtype: Any = None) -> Tensor:
    return wrap(_scalarize(np.ones(_shape(shape), dtype=_dtype(dtype))))


def fill(shape: Any, value: Any, dtype: Any = None) -> Tensor:
    v = python_to_array(value, dtype)
    return wrap(_scalarize(np.full(_shape(shape), v, dtype=v.dtype)))


def zeros_like(x: Any, dtype: Any = None) -> Any:
    """Zeros shaped like ``x``. On plain NumPy values (inside raw derivative rules) gives NumPy."""
    if not isinstance(x, Tensor):
        out = np.zeros_like(x, dtype=dtype)
        return out if out.ndim else out[()]
    return wrap(_scalarize(np.zeros_like(_value(x), dtype=dtype)))


def ones_like(x: Any, dtype: Any = None) -> Any:
    if not isinstance(x, Tensor):
        out = np.ones_like(x, dtype=dtype)
        return out if out.ndim else out[()]
    return wrap(_scalarize(np.ones_like(_value(x), dtype=dtype)))


def linspace(start: Any, stop: Any, num: int, dtype: Any = None, axis: int = 0) -> Tensor:
    """``num`` evenly spaced values from start to stop inclusive (tf.linspace / tf.lin_space)."""
    a, b = _value(start), _value(stop)
    if dtype is None:
        dtype = np.result_type(a, b) if isinstance(start, (Tensor, np.ndarray, np.generic)) else default_float()
        if np.dtype(dtype).kind != "f":
            dtype = default_float()
    return wrap(np.linspace(a, b, int(num), dtype=as_dtype(dtype), axis=axis))


lin_space = linspace


def arange(start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None) -> Tensor:
    """Like tf.range / np.arange: Python ints give int32, Python floats the default float dtype."""
    values = [v for v in (start, limit, delta) if v is not None]
    if dtype is None:
        dtype = python_to_array(values[0]).dtype if all(isinstance(v, int) for v in values) else None
        if dtype is None:
            dtype = np.result_type(*[python_to_array(v) for v in values])
    if limit is None:
        start, limit = 0, start
    return wrap(np.arange(_value(start), _value(limit), _value(delta), dtype=as_dtype(dtype)))


def eye(num_rows: int, num_columns: int | None = None, dtype: Any = None) -> Tensor:
    return wrap(np.eye(int(num_rows), None if num_columns is None else int(num_columns), dtype=_dtype(dtype)))


def random_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: int | None = None) -> Tensor:
    rng = np.random.default_rng(seed)
    return wrap(_scalarize(np.asarray(rng.normal(mean, stddev, _shape(shape)), dtype=_dtype(dtype))))


def random_uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: int | None = None) -> Tensor:
    rng = np.random.default_rng(seed)
    return wrap(_scalarize(np.asarray(rng.uniform(minval, maxval, _shape(shape)), dtype=_dtype(dtype))))
