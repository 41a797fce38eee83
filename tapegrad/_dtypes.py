"""dtypes and the conversion of Python values, following TensorFlow's conventions.

A Python float becomes float32 and a Python int int32 (the seeds print float32 digits); NumPy arrays
and scalars keep their dtype. ``set_default_float(tg.float64)`` makes Python floats float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapegrad import _backend

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

_default_float = [float32]
_INT32_MIN, _INT32_MAX = np.iinfo(np.int32).min, np.iinfo(np.int32).max


def set_default_float(dtype: Any) -> None:
    """Choose the dtype that Python floats (and lists of them) become: float32 (TF) or float64 (NumPy)."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"set_default_float needs a floating dtype such as tg.float64, got {dtype}")
    _default_float[0] = dtype


def default_float() -> np.dtype:
    return _default_float[0]


def as_dtype(dtype: Any) -> np.dtype:
    try:
        return np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"{dtype!r} is not a dtype; use e.g. tg.float32, tg.float64 or tg.int32") from err


def is_differentiable_dtype(dtype: np.dtype) -> bool:
    return dtype.kind in "fc"


def python_to_array(value: Any, dtype: Any = None) -> Any:
    """Convert a Python or NumPy value to a NumPy array or scalar with TensorFlow's dtype rules.

    A NumPy array is always copied, so the result never shares memory with the caller's array.

    Arrays of other libraries (Dask, CuPy, ...) are kept as they are (cast if ``dtype`` is given).
    """
    if dtype is not None:
        dtype = as_dtype(dtype)
    if isinstance(value, np.ndarray):
        # a copy: a tensor never shares writable memory with the caller's array (a reused batch
        # buffer would otherwise change values that tapes recorded)
        out = value.astype(value.dtype if dtype is None else dtype)
    elif isinstance(value, np.generic):
        out = value if dtype is None else value.astype(dtype, copy=False)
    elif _backend.is_foreign(value):  # a Dask, CuPy, ... array: kept as it is (lazy), see _backend
        return _backend.adopt(value, dtype)
    else:
        try:
            out = np.asarray(value)
        except (ValueError, TypeError) as err:
            raise TypeError(f"cannot convert {type(value).__name__} {value!r:.60} to a tensor: {err}") from err
        if out.dtype == object or out.dtype.kind in "USV":
            raise TypeError(
                f"cannot convert {type(value).__name__} {value!r:.60} to a tensor; "
                "give numbers, nested lists of numbers or NumPy arrays"
            )
        if dtype is not None:
            out = out.astype(dtype, copy=False)
        elif out.dtype == float64:
            out = out.astype(_default_float[0])
        elif out.dtype == int64 and (out.size == 0 or (_INT32_MIN <= out.min() and out.max() <= _INT32_MAX)):
            out = out.astype(int32)
    if type(out) is np.ndarray and out.ndim == 0:
        out = out[()]  # NumPy scalars are 3x faster than 0-d arrays in ufuncs
    return out
