"""NumPy's conversion rules for ``tapegrad.numpy``: a Python float is float64 (not TF's float32),
and nested lists mixing tensors and numbers become one recorded tensor."""

from __future__ import annotations

from typing import Any

import numpy as np

from tapegrad._primitive import _holds_tensor, nested_to_tensor
from tapegrad._tensor import Tensor, Variable, ops, wrap


def array(object: Any, dtype: Any = None, *, copy: bool = True, order: Any = "K", subok: bool = False,  # noqa: A002
          ndmin: int = 0, like: Any = None) -> Tensor:
    """``np.array`` as a Tensor. Tensors inside (nested) lists are stacked on the tape, so the
    gradient flows to each; numbers follow NumPy's dtype rules (a Python float is float64)."""
    if isinstance(object, Tensor):
        out = object.read_value() if isinstance(object, Variable) else object
        if dtype is not None and np.dtype(dtype) != out.dtype:
            out = ops.cast(out, np.dtype(dtype))
    elif isinstance(object, (list, tuple)) and _holds_tensor(object):
        out = nested_to_tensor(object, None if dtype is None else np.dtype(dtype))
    else:
        value = np.array(object, dtype=dtype)
        if value.dtype.kind in "OUSV":
            raise TypeError(f"tapegrad.numpy.array: cannot make a tensor of {type(object).__name__} values")
        value.flags.writeable = False
        out = wrap(value if value.ndim else value[()])
    if out.ndim < ndmin:
        out = ops.reshape(out, (1,) * (ndmin - out.ndim) + out.shape)
    return out


def asarray(a: Any, dtype: Any = None, order: Any = None, *, device: Any = None, copy: Any = None,
            like: Any = None) -> Tensor:
    """``np.asarray`` as a Tensor: a Tensor of the right dtype is returned as it is."""
    if isinstance(a, Tensor) and not isinstance(a, Variable) and (dtype is None or np.dtype(dtype) == a.dtype):
        return a
    return array(a, dtype)


def numpy_args(args: tuple) -> tuple:
    """Positional arguments under NumPy's rules: lists holding tensors become recorded tensors, and
    with no tensor at all Python numbers and lists become NumPy arrays (a float is float64)."""
    if any(isinstance(a, Tensor) for a in args):
        return tuple(array(a) if isinstance(a, (list, tuple)) and _holds_tensor(a) else a for a in args)
    out = []
    for a in args:
        if isinstance(a, (list, tuple)) and _holds_tensor(a):
            out.append(array(a))
        elif isinstance(a, (bool, int, float, complex, list, tuple)):
            out.append(np.asarray(a))
        else:
            out.append(a)
    return tuple(out)
