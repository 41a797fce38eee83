"""Array libraries other than NumPy (Dask, CuPy, any array-API library), behind one small module.

A tensor holds the array of whatever library it was made from. NumPy is the default and costs
nothing here: until the first non-NumPy array is wrapped, no code of this module runs on an op
call (``activate`` then installs the backend-aware call, see ``tapegrad._dispatch``). Everything
outside the array API standard that the rules need has one implementation per library here:
scatter-add (the transpose of fancy indexing), conversions to NumPy, and computing several lazy
results at once. ``array_api_compat`` (the ``dask``/``cupy`` extras) is imported on first use.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np

_NUMPY_TYPES = (np.ndarray, np.generic, int, float, complex, bool)
# libraries whose arrays follow NumPy's __array_function__/__array_ufunc__ protocols, so a NumPy
# forward function computes with them (lazily for Dask) instead of converting them
PROTOCOL_LIBRARIES = frozenset({"dask", "cupy"})
_activation_hooks: list[Callable[[], None]] = []
_active = [False]


def is_foreign(value: Any) -> bool:
    """True for an array of a library other than NumPy (a Dask, CuPy or array-API array)."""
    if isinstance(value, _NUMPY_TYPES) or value is None:
        return False
    cls = type(value)
    return cls.__module__.partition(".")[0] in ("dask", "cupy", "array_api_strict") or hasattr(
        cls, "__array_namespace__"
    )


def library(value: Any) -> str:
    """The top-level module name of the library an array comes from: 'numpy', 'dask', 'cupy', ..."""
    if not is_foreign(value):
        return "numpy"
    return type(value).__module__.partition(".")[0]


def namespace(*values: Any) -> Any:
    """The array-API namespace of the non-NumPy arrays among ``values`` (None when there are none).

    NumPy values next to them are constants of that library; two different libraries (Dask with
    CuPy) are a clear error.
    """
    foreign = [v for v in values if is_foreign(v)]
    if not foreign:
        return None
    libraries = sorted({library(v) for v in foreign})
    if len(libraries) > 1:
        raise TypeError(
            f"cannot mix arrays of {' and '.join(libraries)} in one operation; convert one side first "
            "(e.g. with .numpy(), or cupy.asarray / dask.array.from_array)"
        )
    compat = _compat()
    try:
        return compat.array_namespace(*foreign)
    except TypeError as err:
        raise TypeError(f"{libraries[0]} arrays have no array-API namespace: {err}") from None


def _compat() -> Any:
    try:
        import array_api_compat
    except ImportError:  # pragma: no cover - the extras install it
        raise ImportError(
            "tapegrad needs array-api-compat for non-NumPy arrays: pip install 'tapegrad[dask]' (or [cupy])"
        ) from None
    return array_api_compat


def activate() -> None:
    """Switch primitives to the backend-aware call (done once, when a non-NumPy array first arrives)."""
    if not _active[0]:
        _active[0] = True
        for hook in _activation_hooks:
            hook()


def adopt(value: Any, dtype: Any = None) -> Any:
    """A non-NumPy array as a tensor holds it: the same array (kept lazy), cast when ``dtype`` is given."""
    activate()
    if dtype is not None:
        dtype = np.dtype(dtype)
        if value.dtype != dtype:
            value = namespace(value).astype(value, dtype)
    return value


def numpy_dtype(dtype: Any) -> np.dtype:
    """The NumPy dtype of an array-API library's dtype object (Dask and CuPy use NumPy's own)."""
    try:
        return np.dtype(dtype)
    except TypeError:
        pass
    inner = getattr(dtype, "_np_dtype", None)  # array-api-strict
    if inner is not None:
        return np.dtype(inner)
    return np.dtype(str(dtype).rpartition(".")[2])  # e.g. torch.float32 -> float32


def kind(dtype: Any) -> str:
    """NumPy's one-letter kind ('f', 'c', 'i', 'u', 'b') of any library's dtype."""
    return numpy_dtype(dtype).kind


def dtype_in(xp: Any, dtype: Any) -> Any:
    """A NumPy dtype as ``xp``'s dtype object (the same object for NumPy-dtype libraries: Dask, CuPy)."""
    dtype = np.dtype(dtype) if not hasattr(dtype, "_np_dtype") else dtype
    if not isinstance(dtype, np.dtype):
        return dtype
    own = getattr(xp, "bool" if dtype == np.bool_ else dtype.name, None)
    return dtype if own is None else own


def like(value: Any, reference: Any) -> Any:
    """``value`` (a NumPy array or scalar) as a constant of ``reference``'s library, where that library
    needs one (CuPy and strict array-API libraries refuse NumPy operands; Dask takes them as they are)."""
    if not is_foreign(reference) or is_foreign(value) or library(reference) == "dask":
        return value
    if type(value) in (int, float, complex, bool):  # Python scalars stay weak, as the standard takes them
        return value
    return namespace(reference).asarray(value)


def zeros(shape: tuple, dtype: Any, like: Any) -> Any:
    """Zeros of ``shape`` and ``dtype`` in ``like``'s library (NumPy for a NumPy ``like``)."""
    return _filled(0, shape, dtype, like)


def ones(shape: tuple, dtype: Any, like: Any) -> Any:
    """Ones of ``shape`` and ``dtype`` in ``like``'s library (NumPy for a NumPy ``like``)."""
    return _filled(1, shape, dtype, like)


def full_like(like: Any, fill_value: Any, dtype: Any = None, shape: Any = None) -> Any:
    """``np.full_like`` for a non-NumPy array, in its library."""
    shape = like.shape if shape is None else shape
    return _filled(fill_value, shape, like.dtype if dtype is None else dtype, like)


def _filled(value: Any, shape: tuple, dtype: Any, like: Any) -> Any:
    if not is_foreign(like):
        return np.full(shape, value, dtype=dtype)
    if library(like) == "dask":
        import dask.array as da

        return da.full(shape, value, dtype=numpy_dtype(dtype))
    xp = namespace(like)
    return xp.full(shape, value, dtype=dtype_in(xp, dtype))


def conform(value: Any, dtype: Any, shape: tuple) -> Any:
    """A non-NumPy ``value`` cast to ``dtype`` and broadcast to ``shape``, in its own library."""
    xp = namespace(value)
    if kind(value.dtype) == "c" and kind(dtype) != "c":  # a real source's part of a complex cotangent
        value = xp.real(value)
    if numpy_dtype(value.dtype) != numpy_dtype(dtype):
        value = xp.astype(value, dtype_in(xp, dtype))
    if tuple(value.shape) != tuple(shape):
        value = xp.broadcast_to(value, shape)
    return value


# ---- conversions -------------------------------------------------------------------------------------
def to_numpy(value: Any) -> Any:
    """A NumPy array (or NumPy scalar for a 0-d value) with the value's numbers; computes Dask arrays."""
    if is_foreign(value):
        lib = library(value)
        if lib == "dask":
            value = value.compute()
        elif lib == "cupy":
            value = value.get()
        elif hasattr(value, "__dlpack__"):
            value = np.from_dlpack(value)
        value = np.asarray(value)
    elif not isinstance(value, np.ndarray):
        return np.asarray(value)[()]
    return value[()] if value.ndim == 0 else value


def compute(*values: Any) -> list:
    """NumPy versions of several arrays, the Dask ones computed together (shared work done once)."""
    lazy = [i for i, v in enumerate(values) if is_foreign(v) and library(v) == "dask"]
    out = list(values)
    if lazy:
        import dask

        for i, v in zip(lazy, dask.compute(*[values[i] for i in lazy])):
            out[i] = v
    return [to_numpy(v) for v in out]


@contextmanager
def no_compute(lib: str, what: str) -> Iterator[None]:
    """Within the block, computing a Dask array is an error naming ``what`` (a NumPy forward function
    that would compute instead of staying lazy is caught, never silently run)."""
    if lib != "dask":
        yield
        return
    import dask

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{what} is not supported on Dask arrays (it would compute them)")

    with dask.config.set(scheduler=refuse):
        yield


# ---- outside the array API standard ---------------------------------------------------------------------
def is_basic_index(index: Any) -> bool:
    """True for an index of ints, slices, None and Ellipsis only (no position picked twice)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


def scatter_add(g: Any, index: Any, shape: tuple, dtype: Any = None) -> Any:
    """Zeros of ``shape`` with ``g`` added at ``[index]``, repeated positions accumulating: the
    transpose of ``x[index]``, for a non-NumPy ``g`` (``index`` holds NumPy integers or booleans)."""
    lib = library(g)
    dtype = g.dtype if dtype is None else dtype
    if lib == "cupy":
        import cupy
        import cupyx

        out = cupy.zeros(shape, dtype=dtype)
        cupyx.scatter_add(out, index, g)
        return out
    if lib == "dask":
        import dask.array as da

        if is_basic_index(index):  # distinct positions: a lazy assignment into zeros
            parts = index if isinstance(index, tuple) else (index,)
            if any(p is None for p in parts):  # new axes: g has them, the assignment target does not
                index = tuple(p for p in parts if p is not None)
                g = da.reshape(g, np.broadcast_to(np.zeros((), bool), shape)[index].shape)
            out = da.zeros(shape, dtype=dtype)
            out[index] = g
            return out
        # integer-array or boolean index: the flat position of every selected element, then bincount
        size = math.prod(shape)
        positions = np.arange(size, dtype=np.int64).reshape(shape)[index]
        flat = da.reshape(g, (-1,))
        where = da.from_array(np.reshape(positions, -1), chunks=flat.chunks)
        if np.dtype(dtype).kind == "c":
            re = da.bincount(where, weights=flat.real, minlength=size)
            im = da.bincount(where, weights=flat.imag, minlength=size)
            return da.reshape(re + 1j * im, shape).astype(dtype)
        return da.reshape(da.bincount(where, weights=flat, minlength=size), shape).astype(dtype)
    # any other array-API library: a one-hot sum (the standard has no scatter); fine for small arrays
    xp = namespace(g)
    size = math.prod(shape)
    positions = np.arange(size, dtype=np.int64).reshape(shape)[index].reshape(-1)
    hits = xp.asarray(positions[:, None] == np.arange(size)[None, :])
    flat = xp.reshape(g, (-1, 1))
    return xp.reshape(xp.sum(xp.where(hits, flat, xp.zeros((), dtype=dtype)), axis=0), shape)


def describe(value: Any) -> str:
    """A short text for a non-NumPy array that never computes it (for repr)."""
    return f"{library(value)} array, shape={tuple(value.shape)}, dtype={value.dtype}"
