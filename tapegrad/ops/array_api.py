"""The rule table's forwards on arrays of other libraries (Dask, CuPy, array-API arrays).

Part of the rule table: each entry belongs to the row of the same name, for the rows whose NumPy
forward does not carry over on its own (ufuncs map to the array API standard's function of the
same name, Python operators work as they are, and Dask and CuPy run the other NumPy forwards
through NumPy's dispatch protocols; see tapegrad._dispatch). ``UNSUPPORTED`` names, per row, the
libraries it cannot run on and why: a call there is a clear error naming the op and the library.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tapegrad import _backend
from tapegrad._dispatch import FORWARDS, UNSUPPORTED
from tapegrad.ops import activations, linalg


def _cast(xp: Any, x: Any, dtype: Any) -> Any:
    return xp.astype(x, dtype)


def _scatter_add(xp: Any, g: Any, index: Any, shape: tuple) -> Any:
    return _backend.scatter_add(g, index, shape)


def _normal_cdf(xp: Any, x: Any) -> Any:
    if _backend.library(x) == "dask":  # elementwise: the NumPy forward block by block (SciPy's erfc)
        return x.map_blocks(activations._normal_cdf, dtype=x.dtype)
    if _backend.library(x) == "cupy":
        from cupyx.scipy.special import erfc

        return 0.5 * erfc(-x * (1 / math.sqrt(2)))
    raise NotImplementedError("tg.normal_cdf needs erfc, which the array API standard does not have")


def _join(xp: Any, xs: tuple) -> list:
    dtype = xp.result_type(*xs)  # Python scalars stay weak, as shape._join_dtype keeps them
    return [xp.astype(x, dtype) if _backend.is_foreign(x) else xp.asarray(x, dtype=dtype) for x in xs]


def _stack(xp: Any, *xs: Any, axis: int = 0) -> Any:
    return xp.stack(_join(xp, xs), axis=axis)


def _concatenate(xp: Any, *xs: Any, axis: int = 0) -> Any:
    return xp.concat(_join(xp, xs), axis=axis)


def _einsum(xp: Any, *operands: Any, subscripts: str) -> Any:
    if _backend.library(operands[0]) == "dask" or any(_backend.library(x) == "dask" for x in operands):
        import dask.array as da

        return da.einsum(subscripts, *operands)
    if hasattr(xp, "einsum"):  # CuPy
        return xp.einsum(subscripts, *operands)
    raise NotImplementedError("tg.einsum needs einsum, which the array API standard does not have")


def _reshape(xp: Any, x: Any, shape: tuple) -> Any:
    try:
        return xp.reshape(x, shape)
    except NotImplementedError:  # Dask reshapes only by merging or splitting chunks evenly
        return xp.reshape(x.rechunk(-1), shape)


def _positions(shape: tuple, index: Any) -> np.ndarray:
    """The flat positions that ``x[index]`` picks from an ``x`` of ``shape`` (NumPy's indexing rules)."""
    return np.arange(math.prod(shape), dtype=np.int64).reshape(shape)[index]


def _getitem(xp: Any, x: Any, index: Any) -> Any:
    if _backend.library(x) == "dask" and not _backend.is_basic_index(index):
        # Dask indexes with one integer array at a time: take the flat positions NumPy would pick
        positions = _positions(x.shape, index)
        return xp.reshape(xp.reshape(x, (-1,))[np.reshape(positions, -1)], positions.shape)
    return x[index]


def _whole_matrices(fn: Any, drop: int = 0) -> Any:
    """A NumPy linear-algebra function on stacks of matrices, run on Dask block by block with each
    block holding whole matrices (the last two axes in one chunk); ``drop``: axes it removes."""

    def forward(xp: Any, a: Any) -> Any:
        if _backend.library(a) != "dask":
            return fn(a)  # CuPy follows NumPy's protocols
        nd = a.ndim
        a = a.rechunk({nd - 2: -1, nd - 1: -1})
        kwargs = {"drop_axis": (nd - 2, nd - 1)} if drop else {}
        return a.map_blocks(fn, dtype=a.dtype, **kwargs)

    return forward


def _solve(xp: Any, a: Any, b: Any, vector: bool = False) -> Any:
    if _backend.library(a) != "dask" and _backend.library(b) != "dask":
        return linalg._solve(a, b, vector=vector)
    import dask
    import dask.array as da

    batch = np.broadcast_shapes(a.shape[:-2], (b.shape[:-1] if vector else b.shape[:-2]))
    shape = batch + (b.shape[-1:] if vector else (a.shape[-1], b.shape[-1]))
    task = dask.delayed(linalg._solve, pure=True)(a, b, vector=vector)  # one task: matrices are small
    return da.from_delayed(task, shape=shape, dtype=np.result_type(a.dtype, b.dtype))


FORWARDS.update(
    {
        "linalg.solve": _solve,
        "cast": _cast,
        "scatter_add": _scatter_add,
        "normal_cdf": _normal_cdf,
        "stack": _stack,
        "concatenate": _concatenate,
        "einsum": _einsum,
        "reshape": _reshape,
        "getitem": _getitem,
        "linalg.inv": _whole_matrices(np.linalg.inv),
        "linalg.cholesky": _whole_matrices(np.linalg.cholesky),
        "linalg.det": _whole_matrices(np.linalg.det, drop=2),
        "linalg.slogdet": _whole_matrices(lambda a: np.linalg.slogdet(a)[1], drop=2),
        "linalg.slogdet_sign": _whole_matrices(lambda a: np.linalg.slogdet(a)[0], drop=2),
    }
)

UNSUPPORTED.update(
    {
        "linalg.eigh": {"dask": "dask.array has no symmetric eigendecomposition (eigh)"},
    }
)

__all__: list[str] = []
