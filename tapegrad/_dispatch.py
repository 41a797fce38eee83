"""A primitive call on arrays of another library than NumPy (Dask, CuPy, array-API arrays).

Installed by ``_backend.activate`` when the first non-NumPy array is wrapped, so NumPy programs
never run this code. It wraps ``Primitive.__call__``: calls with NumPy values only go to it
unchanged; a call with a non-NumPy value computes the forward with that array's namespace and
tells the recorders exactly as the NumPy call does (the rules are tapegrad ops, so the backward
pass computes with the same library and stays lazy on Dask).

Forwards per primitive: ``FORWARDS[name](xp, *values, **params)`` where tapegrad.ops declares one;
otherwise ufuncs map to the standard's function of that name, Python operators work as they are,
and for libraries that follow NumPy's dispatch protocols (Dask, CuPy) the NumPy forward runs on
them, under a guard that turns an attempt to compute a Dask array into a clear error.
"""

from __future__ import annotations

import operator
import warnings
from typing import Any, Callable

import numpy as np

from tapegrad import _backend
from tapegrad._context import RAW, state
from tapegrad._primitive import Primitive, _convert_arguments
from tapegrad._tensor import Tensor, wrap
from tapegrad.batching import Stacked, batch_call

FORWARDS: dict[str, Callable[..., Any]] = {}  # primitive name -> forward(xp, *values, **params); tapegrad.ops fills
UNSUPPORTED: dict[str, dict[str, str]] = {}  # primitive name -> {library: why}; tapegrad.ops fills
STANDARD_NAMES = {  # NumPy ufunc name -> the array API standard's name
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arctan2": "atan2", "arcsinh": "asinh",
    "arccosh": "acosh", "arctanh": "atanh", "power": "pow", "absolute": "abs", "true_divide": "divide",
    "conjugate": "conj",
}
_OPERATORS = frozenset(f for f in vars(operator).values() if callable(f) and not isinstance(f, type))
_numpy_call = Primitive.__call__
_NUMPY_ARGUMENT = (np.ndarray, np.generic, int, float, complex, bool, type(None))


def _any_library_call(self: Primitive, *args: Any, **params: Any) -> Any:
    for a in args:
        v = a._value if isinstance(a, Tensor) else a
        if not isinstance(v, _NUMPY_ARGUMENT) and _backend.is_foreign(v):
            break
    else:
        return _numpy_call(self, *args, **params)
    if any(a.__class__ is Stacked for a in args):  # a batched walk's stack: the op's batching rule
        return batch_call(self, args, params)
    stack = state.recorders
    if stack is RAW:
        return forward(self, args, params)
    if all(a.__class__ is Tensor or a.__class__ in (int, float) for a in args):
        vals = [a._value if a.__class__ is Tensor else a for a in args]  # nothing to read or convert
    else:
        args, vals = _convert_arguments(args)
    out = forward(self, vals, params)
    result = tuple([wrap(o) for o in out]) if out.__class__ is tuple else wrap(out)  # several outputs
    if stack:
        for recorder in stack:
            recorder.record(self, args, vals, params, result)
    return result


def forward(prim: Primitive, vals: Any, params: dict) -> Any:
    """``prim``'s forward value on ``vals``, computed with their (non-NumPy) library."""
    xp = _backend.namespace(*vals)
    ref = next(v for v in vals if _backend.is_foreign(v))
    lib = _backend.library(ref)
    why = UNSUPPORTED.get(prim.name, {}).get(lib)
    if why is not None:
        raise NotImplementedError(f"tg.{prim.name} is not supported on {lib} arrays: {why}")
    vals = [_backend.like(v, ref) for v in vals]
    own = FORWARDS.get(prim.name)
    impl = prim.impl
    try:
        if own is not None:
            out = own(xp, *vals, **params)
        elif impl in _OPERATORS:
            out = impl(*vals, **params)
        elif isinstance(impl, np.ufunc) and lib not in _backend.PROTOCOL_LIBRARIES:
            name = STANDARD_NAMES.get(impl.__name__, impl.__name__)
            if not hasattr(xp, name):
                raise NotImplementedError(
                    f"tg.{prim.name} is not supported on {lib} arrays (no {name} in their namespace)"
                )
            out = getattr(xp, name)(*vals, **params)
        elif lib in _backend.PROTOCOL_LIBRARIES:
            with _backend.no_compute(lib, f"tg.{prim.name}"), warnings.catch_warnings():
                warnings.simplefilter("error", FutureWarning)  # Dask: "not implemented by Dask array"
                out = impl(*vals, **params)
        else:
            raise NotImplementedError(f"tg.{prim.name} is not supported on {lib} arrays (no array-API forward)")
    except NotImplementedError:
        raise
    except FutureWarning as err:
        raise NotImplementedError(f"tg.{prim.name} is not supported on {lib} arrays: {err}") from None
    except (ValueError, TypeError, IndexError) as err:
        raise type(err)(f"tg.{prim.name}: {err} (argument shapes {[getattr(v, 'shape', ()) for v in vals]})") from None
    for o in out if out.__class__ is tuple else (out,):
        if not _backend.is_foreign(o) and (isinstance(o, np.ndarray) or np.ndim(o)):
            raise NotImplementedError(f"tg.{prim.name} is not supported on {lib} arrays (its forward left {lib})")
    return out


def _install() -> None:
    Primitive.__call__ = _any_library_call


_backend._activation_hooks.append(_install)


def compute(*values: Any) -> tuple:
    """NumPy values of several tensors at once: Dask-backed ones are computed in one ``dask.compute``,
    so work they share (reading and chunking the data, a common forward pass) is done once.

    Takes tensors, arrays, or lists/tuples/dicts of them and returns the same structure holding NumPy
    arrays (NumPy scalars for 0-d values), one entry per argument, like ``dask.compute``.
    """
    leaves: list = []

    def collect(v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return type(v)(collect(x) for x in v)
        if isinstance(v, dict):
            return {k: collect(x) for k, x in v.items()}
        if isinstance(v, Tensor):
            v = v.snapshot()._value if hasattr(v, "snapshot") else v._value
        leaves.append(v)
        return len(leaves) - 1

    def fill(s: Any, done: list) -> Any:
        if isinstance(s, (list, tuple)):
            return type(s)(fill(x, done) for x in s)
        if isinstance(s, dict):
            return {k: fill(x, done) for k, x in s.items()}
        return done[s]

    shape = [collect(v) for v in values]
    done = _backend.compute(*leaves)
    return tuple(fill(s, done) for s in shape)
