"""``tapegrad.numpy``: NumPy's names, signatures, keywords and semantics on tapegrad's rule table.

    import tapegrad as tg
    import tapegrad.numpy as np

    def loss(w):
        return np.sum(np.sin(w) ** 2) + np.linalg.norm(w, 2)

    tg.grad(loss)(np.array([0.1, 0.2]))

Where TensorFlow and NumPy differ, ``tg.*`` keeps TensorFlow's and ``tapegrad.numpy`` NumPy's:
``split(x, [1, 3])`` splits at indices, ``clip(a, a_min, a_max)``, ``tile(A, reps)``, and a Python
float is float64. ``array``/``asarray`` take nested lists mixing tensors and numbers and record the
stacking, so the gradient reaches each tensor inside. ``np.<name>(tensor)`` on a tensor (through
``__array_function__``/``__array_ufunc__``) reaches the very same functions as ``tapegrad.numpy``.
This is a thin layer: every derivative comes from the one rule table in ``tapegrad/ops``.
"""

from __future__ import annotations

import builtins
from typing import Any, Callable

import numpy as _np

import tapegrad as _tg  # noqa: F401  (registers the rule table)
from tapegrad import _tensor
from tapegrad._tensor import Tensor
from tapegrad.numpy import _extras, _functions, fft, linalg
from tapegrad.numpy._convert import array, asarray, numpy_args

# ---- constants and types (NumPy's own) -------------------------------------------------------------
pi, e, inf, nan, newaxis, euler_gamma = _np.pi, _np.e, _np.inf, _np.nan, _np.newaxis, _np.euler_gamma
float16, float32, float64, complex64, complex128 = _np.float16, _np.float32, _np.float64, _np.complex64, _np.complex128
int8, int16, int32, int64, uint8, bool_ = _np.int8, _np.int16, _np.int32, _np.int64, _np.uint8, _np.bool_
dtype, finfo, iinfo, ndarray = _np.dtype, _np.finfo, _np.iinfo, Tensor
result_type, promote_types, can_cast, issubdtype = _np.result_type, _np.promote_types, _np.can_cast, _np.issubdtype

# Functions that take a sequence of arrays (or subscripts) first: their first argument is not converted.
_SEQUENCE_FIRST = {"stack", "concatenate", "concat", "hstack", "vstack", "dstack", "column_stack", "row_stack",
                   "broadcast_arrays", "einsum", "block", "select", "meshgrid", "atleast_1d", "atleast_2d",
                   "atleast_3d", "apply_along_axis", "broadcast_shapes", "mask_indices", "ravel_multi_index", "ix_",
                   "bartlett", "blackman", "hamming", "hanning", "kaiser", "unravel_index", "einsum_path",
                   "isdtype", "typename", "mintypecode", "common_type", "choose", "apply_over_axes"}


def _numpy_function(name: str, impl: Callable) -> Callable:
    """``impl`` with NumPy's conversion of a non-tensor first argument (a Python float is float64)."""
    if name in _SEQUENCE_FIRST:
        return impl

    def function(*args: Any, **kwargs: Any) -> Any:
        if args and not isinstance(args[0], Tensor):
            args = (array(args[0]), *args[1:]) if not isinstance(args[0], _np.ndarray) else args
        return impl(*args, **kwargs)

    function.__name__ = name
    function.__qualname__ = name
    function.__doc__ = getattr(impl, "__doc__", None) or f"``numpy.{name}`` on tensors (differentiable)."
    return function


def _numpy_ufunc(name: str, op: Callable) -> Callable:
    """A tapegrad op under NumPy's ufunc signature (``out=``/``where=``/``dtype=`` are refused)."""

    def function(*args: Any, out: Any = None, where: Any = True, dtype: Any = None, **kwargs: Any) -> Any:
        if out is not None or where is not True or kwargs:
            raise TypeError(f"tapegrad.numpy.{name}: out=, where= and other ufunc keywords are not supported "
                            "(tensors are immutable)")
        result = op(*numpy_args(args))
        return result if dtype is None else _tensor.ops.cast(result, _np.dtype(dtype))

    function.__name__ = name
    function.__qualname__ = name
    function.__doc__ = f"``numpy.{name}`` on tensors (differentiable where smooth)."
    ufunc = getattr(_np, name, None)
    if isinstance(ufunc, _np.ufunc):  # tnp.add.reduce(x), tnp.maximum.accumulate(x), tnp.multiply.outer(a, b), ...
        for method in ("reduce", "accumulate", "outer", "at", "reduceat"):
            setattr(function, method, _ufunc_method(ufunc, method))
    return function


def _ufunc_method(ufunc: _np.ufunc, method: str) -> Callable:
    """``numpy.<ufunc>.<method>`` on tensors, as ``np.add.reduce(tensor)`` reaches it (tapegrad.ops.ufunc_methods)."""

    def function(*args: Any, **kwargs: Any) -> Any:
        if method == "outer":
            args = numpy_args(args)
        elif args:
            args = (asarray(args[0]), *args[1:])
        return _tensor.ops.ufunc_method(ufunc, method, args, kwargs)

    function.__name__ = function.__qualname__ = f"{ufunc.__name__}.{method}"
    function.__doc__ = f"``numpy.{ufunc.__name__}.{method}`` on tensors."
    return function


# ---- the explicit functions of this package, registered for np.<name>(tensor) too ---------------------
_IMPLEMENTATIONS: dict[str, Callable] = {
    n: getattr(module, n) for module in (_functions, _extras) for n in dir(module)
    if not n.startswith("_") and callable(getattr(module, n))
    and getattr(getattr(module, n), "__module__", "") == module.__name__
}
_EXPLICIT = sorted(_IMPLEMENTATIONS)
_PUBLIC: dict[str, Callable] = {}
for _name in _EXPLICIT:
    _PUBLIC[_name] = _numpy_function(_name, _IMPLEMENTATIONS[_name])

_ALIASES = {
    "absolute": _np.absolute, "fabs": _np.absolute, "abs": _np.absolute, "true_divide": _np.divide,
    "remainder": _np.remainder, "mod": _np.remainder, "conjugate": _np.conjugate, "conj": _np.conjugate,
}

# ---- everything else NumPy has and tapegrad's rule table implements ---------------------------------
for _name in sorted(dir(_np)):
    if _name.startswith("_") or _name in _PUBLIC:
        continue
    _obj = getattr(_np, _name, None)
    try:
        _op = _tensor.UFUNCS.get(_obj) if isinstance(_obj, _np.ufunc) else _tensor.FUNCTIONS.get(_obj)
    except TypeError:  # unhashable
        _op = None
    if _op is None:
        continue
    _PUBLIC[_name] = _numpy_ufunc(_name, _op) if isinstance(_obj, _np.ufunc) else _numpy_function(_name, _op)
for _name, _ufunc in _ALIASES.items():
    if _name not in _PUBLIC and _ufunc in _tensor.UFUNCS:
        _PUBLIC[_name] = _numpy_ufunc(_name, _tensor.UFUNCS[_ufunc])

_PUBLIC["fabs"] = _PUBLIC["absolute"]
_PUBLIC["degrees"], _PUBLIC["radians"] = _PUBLIC["rad2deg"], _PUBLIC["deg2rad"]
_PUBLIC["amax"], _PUBLIC["amin"] = _PUBLIC.get("max"), _PUBLIC.get("min")


# ---- creation (constants: NumPy's value as a tensor) ---------------------------------------------------
def _has_tensor(args: tuple, kwargs: dict) -> bool:
    """Whether a tensor is among the arguments (a fill value: the result is differentiable in it)."""
    return builtins.any(isinstance(v, Tensor) for v in (*args, *kwargs.values()))


def _creation(name: str) -> Callable:
    make = getattr(_np, name)

    def function(*args: Any, **kwargs: Any) -> Any:
        out = make(*args, **kwargs)
        return tuple(array(o) for o in out) if isinstance(out, tuple) else array(out)  # linspace(retstep=True)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``numpy.{name}`` as a (constant) tensor."
    return function


for _name in ("zeros", "ones", "full", "empty", "eye", "identity", "arange", "linspace", "logspace", "geomspace"):
    _PUBLIC[_name] = _creation(_name)
_full_array = _PUBLIC["full"]


def full(shape: Any, fill_value: Any, dtype: Any = None, order: Any = "C", **kwargs: Any) -> Tensor:
    """``numpy.full``; a tensor ``fill_value`` is broadcast on the tape (differentiable in it)."""
    if isinstance(fill_value, Tensor):
        return _tensor.ops.full(shape, fill_value, dtype)
    return _full_array(shape, fill_value, dtype, order, **kwargs)


_PUBLIC["full"] = full
for _name in ("zeros_like", "ones_like", "full_like", "empty_like"):
    _like = _tensor.FUNCTIONS[getattr(_np, _name)]
    _PUBLIC[_name] = (lambda like, make: lambda a, *args, **kw: like(a, *args, **kw)
                      if isinstance(a, Tensor) or _has_tensor(args, kw)
                      else array(make(a, *args, **kw)))(_like, getattr(_np, _name))
for _name in ("shape", "ndim", "size", "diag_indices", "tril_indices", "triu_indices", "indices", "searchsorted",
              "isscalar", "iscomplexobj", "isrealobj"):
    _PUBLIC.setdefault(_name, getattr(_np, _name))

# np.<name>(tensor) reaches the same function as tapegrad.numpy.<name>
for _name in _EXPLICIT:
    _np_obj = getattr(_np, _name, None)
    if _np_obj is not None:
        (_tensor.UFUNCS if isinstance(_np_obj, _np.ufunc) else _tensor.FUNCTIONS)[_np_obj] = _IMPLEMENTATIONS[_name]
_tensor.UFUNCS[_np.degrees], _tensor.UFUNCS[_np.radians] = _functions.rad2deg, _functions.deg2rad
_tensor.UFUNCS.setdefault(_np.fabs, _tensor.UFUNCS[_np.absolute])
for _module, _np_module in ((fft, _np.fft), (linalg, _np.linalg)):
    _tensor.FUNCTIONS.update(_module.NUMPY_FUNCTIONS)


# ---- NumPy's functions that write into an argument in place and return None ---------------------------
_IN_PLACE = {
    "put_along_axis": "arr = tapegrad.numpy.put_along_axis(arr, indices, values, axis) (returns the new tensor)",
    "put": "a = tapegrad.numpy.where(mask, values, a), or tapegrad.numpy.put_along_axis on the flattened tensor",
    "place": "arr = tapegrad.numpy.where(mask, values, arr)",
    "putmask": "a = tapegrad.numpy.where(mask, values, a)",
    "copyto": "dst = tapegrad.numpy.where(where, src, dst) (or dst = src)",
    "fill_diagonal": "a = tapegrad.numpy.where(tapegrad.numpy.eye(n, m, dtype=bool), val, a)",
}


def _in_place(name: str, instead: str) -> Callable:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"numpy.{name} writes into its first argument in place and returns None, and a tapegrad tensor "
            f"cannot change, so the write would be lost; take a new tensor instead: {instead}"
        )

    refuse.__name__ = refuse.__qualname__ = name
    return refuse


for _name, _instead in _IN_PLACE.items():  # np.put_along_axis(t, ...) returned a tensor the caller never reads
    _tensor.FUNCTIONS[getattr(_np, _name)] = _in_place(_name, _instead)

globals().update(_PUBLIC)
__all__ = sorted({*_PUBLIC, "array", "asarray", "fft", "linalg", "pi", "e", "inf", "nan", "newaxis"})


def __getattr__(name: str) -> Any:
    if hasattr(_np, name):
        raise AttributeError(
            f"tapegrad.numpy has no {name!r} yet (NumPy has it): it has no derivative rule in tapegrad; "
            "compute it on plain values (t.numpy()) if you do not need its gradient"
        )
    raise AttributeError(f"module 'tapegrad.numpy' has no attribute {name!r}")
