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
from tapegrad.ops import activations, fft, linalg


def _cast(xp: Any, x: Any, dtype: Any) -> Any:
    if _backend.kind(x.dtype) == "c" and _backend.kind(dtype) != "c":
        x = xp.real(x)  # complex to real keeps the real part (tf.cast), with no ComplexWarning
    return xp.astype(x, _backend.dtype_in(xp, dtype))


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
    lib = _backend.library(x)
    if lib in _backend.PROTOCOL_LIBRARIES and _backend.is_basic_index(index):
        return x[index]
    if _backend.is_basic_index(index) and lib != "dask":  # the standard: a tuple covering every axis
        parts = index if isinstance(index, tuple) else (index,)
        parts = tuple(int(p) if isinstance(p, np.integer) else p for p in parts)
        return x[parts if Ellipsis in parts else parts + (Ellipsis,)]
    if lib == "cupy":
        return x[index]
    # Dask (one integer array at a time) and the standard (integer arrays only in take): the flat
    # positions NumPy would pick, taken from the flattened array
    positions = _positions(x.shape, index)
    flat = np.reshape(positions, -1)
    taken = xp.take(xp.reshape(x, (-1,)), flat if lib == "dask" else xp.asarray(flat), axis=0)
    return xp.reshape(taken, positions.shape)


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
    if _backend.library(a) == "cupy" or _backend.library(b) == "cupy":
        return linalg._solve(a, b, vector=vector)
    if _backend.library(a) != "dask" and _backend.library(b) != "dask":
        b = b[..., None] if vector else b
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        x = xp.linalg.solve(xp.broadcast_to(a, batch + a.shape[-2:]), xp.broadcast_to(b, batch + b.shape[-2:]))
        return x[..., 0] if vector else x
    import dask
    import dask.array as da

    batch = np.broadcast_shapes(a.shape[:-2], (b.shape[:-1] if vector else b.shape[:-2]))
    shape = batch + (b.shape[-1:] if vector else (a.shape[-1], b.shape[-1]))
    task = dask.delayed(linalg._solve, pure=True)(a, b, vector=vector)  # one task: matrices are small
    return da.from_delayed(task, shape=shape, dtype=np.result_type(a.dtype, b.dtype))


# ---- array-API spellings of the NumPy forwards (Dask and CuPy could use NumPy's, strict libraries cannot)
def _scalar(xp: Any, value: float, like: Any) -> Any:
    return xp.asarray(value, dtype=like.dtype)


def _sigmoid(xp: Any, x: Any) -> Any:
    e = xp.exp(-xp.abs(x))  # in (0, 1]: never overflows
    r = 1 / (1 + e)
    return xp.where(x >= 0, r, e * r)


def _elu(xp: Any, x: Any, alpha: float = 1.0) -> Any:
    return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, _scalar(xp, 0.0, x))))


def _selu(xp: Any, x: Any) -> Any:
    alpha, scale = activations._SELU_ALPHA, activations._SELU_SCALE
    return scale * xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, _scalar(xp, 0.0, x))))


def _gelu_tanh(xp: Any, x: Any) -> Any:
    xc = xp.clip(x, -100.0, 100.0)
    return 0.5 * x * (1 + xp.tanh(activations._GELU_C * (xc + activations._GELU_A * (xc * xc * xc))))


def _softmax(xp: Any, x: Any, axis: int = -1) -> Any:
    e = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


def _log_softmax(xp: Any, x: Any, axis: int = -1) -> Any:
    shifted = x - xp.max(x, axis=axis, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


def _reduction(name: str) -> Any:
    def forward(xp: Any, x: Any, axis: Any = None, keepdims: bool = False, **kw: Any) -> Any:
        return getattr(xp, name)(x, axis=axis, keepdims=keepdims, **({"correction": kw["ddof"]} if kw else {}))

    return forward


def _masked_sum(xp: Any, x: Any, where: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Any:
    """NumPy's sum(x, where=mask, initial=...): a sum of where(mask, x, 0) (the library's own summation order)."""
    out = xp.sum(xp.where(where, x, xp.zeros_like(x)), axis=axis, keepdims=keepdims)
    return out if initial is None else out + initial


def _masked_mean(xp: Any, x: Any, where: Any, axis: Any = None, keepdims: bool = False) -> Any:
    count = xp.sum(xp.astype(xp.broadcast_to(where, x.shape), x.dtype), axis=axis, keepdims=keepdims)
    return _masked_sum(xp, x, where, axis, keepdims) / count


def _norm(xp: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return xp.sqrt(xp.sum(x * x, axis=axis, keepdims=keepdims))


def _logsumexp(xp: Any, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    top = xp.max(x, axis=axis, keepdims=True)
    top = xp.where(xp.isfinite(top), top, _scalar(xp, 0.0, top))
    out = xp.log(xp.sum(xp.exp(x - top), axis=axis, keepdims=True)) + top
    return out if keepdims else xp.squeeze(out, axis=axis if axis is not None else tuple(range(x.ndim)))


def _scan(name: str) -> Any:
    def forward(xp: Any, x: Any, axis: int = 0, reverse: bool = False) -> Any:
        scan = getattr(xp, name)
        if x.ndim == 0:
            return x
        return xp.flip(scan(xp.flip(x, axis=axis), axis=axis), axis=axis) if reverse else scan(x, axis=axis)

    return forward


def _pad(xp: Any, x: Any, pad_width: Any, constant_values: Any = 0) -> Any:
    fills = np.broadcast_to(np.asarray(constant_values, dtype=float), (x.ndim, 2))  # NumPy's forms
    for axis, (before, after) in enumerate(pad_width):
        parts = []
        for n, fill in zip((before, after), fills[axis], strict=True):
            shape = tuple(x.shape[:axis]) + (n,) + tuple(x.shape[axis + 1 :])
            parts.append(xp.full(shape, float(fill), dtype=x.dtype))
        x = xp.concat([parts[0], x, parts[1]], axis=axis)
    return x


def _whole(name: str, numpy_fn: Any, drop: int = 0) -> Any:
    """A linear-algebra forward: whole matrices per block on Dask, NumPy's on CuPy, ``xp.linalg`` else."""
    dask_forward = _whole_matrices(numpy_fn, drop)

    def forward(xp: Any, a: Any) -> Any:
        if _backend.library(a) in _backend.PROTOCOL_LIBRARIES:
            return dask_forward(xp, a)
        if not hasattr(xp, "linalg"):
            raise NotImplementedError(f"its namespace has no linalg extension ({name})")
        return getattr(xp.linalg, name)(a)

    return forward


def _slogdet(xp: Any, a: Any) -> tuple:
    if _backend.library(a) in _backend.PROTOCOL_LIBRARIES:
        return tuple(_whole_matrices(lambda m, i=i: np.linalg.slogdet(m)[i], drop=2)(xp, a) for i in (0, 1))
    return tuple(xp.linalg.slogdet(a))


def _trace(xp: Any, x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    if _backend.library(x) in _backend.PROTOCOL_LIBRARIES:
        return linalg._trace(x, offset, axis1, axis2)
    axis1, axis2 = axis1 % x.ndim, axis2 % x.ndim
    rest = tuple(i for i in range(x.ndim) if i not in (axis1, axis2))
    return xp.linalg.trace(xp.permute_dims(x, rest + (axis1, axis2)), offset=offset)


def _eigh(xp: Any, a: Any, UPLO: str = "L") -> tuple:  # noqa: N803
    if _backend.library(a) in _backend.PROTOCOL_LIBRARIES:
        return linalg._eigh(a, UPLO=UPLO)
    # the standard's eigh reads the whole matrix: build the symmetric one from the chosen triangle
    k = -1 if UPLO == "L" else 1
    half = xp.tril(a, k=k) if UPLO == "L" else xp.triu(a, k=k)
    a = (xp.tril(a) if UPLO == "L" else xp.triu(a)) + xp.matrix_transpose(half)
    return tuple(xp.linalg.eigh(a))


def _x_times(log_name: str) -> Any:
    def forward(xp: Any, x: Any, y: Any) -> Any:
        dtypes = [_backend.numpy_dtype(v.dtype) for v in (x, y) if hasattr(v, "dtype")]
        dtype = np.result_type(*dtypes) if dtypes else np.dtype(float)
        if dtype.kind not in "fc":
            dtype = np.result_type(dtype, np.float64)
        x, y = (xp.astype(v, _backend.dtype_in(xp, dtype)) if hasattr(v, "dtype") else v for v in (x, y))
        return xp.where(x == 0, xp.zeros((), dtype=_backend.dtype_in(xp, dtype)), x * getattr(xp, log_name)(y))

    return forward


def _complex(xp: Any, re: Any, im: Any) -> Any:
    dtypes = [_backend.numpy_dtype(v.dtype) for v in (re, im) if hasattr(v, "dtype")]
    dtype = _backend.dtype_in(xp, np.result_type(*dtypes, np.complex64))
    re, im = (xp.astype(v, dtype) if hasattr(v, "dtype") else xp.asarray(v, dtype=dtype) for v in (re, im))
    return re + 1j * im


def _whole_axes(x: Any, axes: Any) -> Any:
    """A Dask array with the given axes (all when None) in one chunk each: its FFTs need them whole."""
    if _backend.library(x) != "dask":
        return x
    axes = range(x.ndim) if axes is None else axes
    return x.rechunk({a % x.ndim: -1 for a in axes})


def _fftn(xp: Any, x: Any, axes: Any, norm: Any, inverse: bool) -> Any:
    if _backend.library(x) in _backend.PROTOCOL_LIBRARIES:
        return fft._fftn_impl(_whole_axes(x, axes), axes, norm, inverse)
    if _backend.kind(x.dtype) != "c":  # the standard's fftn takes complex values only
        x = xp.astype(x, xp.complex128 if _backend.numpy_dtype(x.dtype).itemsize == 8 else xp.complex64)
    return (xp.fft.ifftn if inverse else xp.fft.fftn)(x, axes=axes, norm=norm)


def _rfft(xp: Any, x: Any, axis: int, norm: Any) -> Any:
    if _backend.library(x) in _backend.PROTOCOL_LIBRARIES:
        return fft._rfft_impl(_whole_axes(x, (axis,)), axis, norm)
    return xp.fft.rfft(x, axis=axis, norm=norm)


def _irfft(xp: Any, c: Any, n: Any, axis: int, norm: Any) -> Any:
    if _backend.library(c) in _backend.PROTOCOL_LIBRARIES:
        return fft._irfft_impl(_whole_axes(c, (axis,)), n, axis, norm)
    return xp.fft.irfft(c, n=n, axis=axis, norm=norm)


def _factorization(name: str, signature: str, numpy_fn: Any, **kwargs: Any) -> Any:
    """A matrix factorization with several outputs: on Dask a generalized ufunc over whole matrices
    (each block holds whole matrices, the batch axes stay chunked), elsewhere ``xp.linalg``'s."""

    def forward(xp: Any, a: Any) -> tuple:
        if _backend.library(a) == "dask":
            import dask.array as da

            k = min(a.shape[-2:])
            dtypes = (a.dtype,) * signature.count("(", signature.index(">"))  # one per output
            return tuple(
                da.apply_gufunc(numpy_fn, signature, a, output_sizes={"k": k}, output_dtypes=dtypes, allow_rechunk=True)
            )
        if _backend.library(a) == "cupy":
            return tuple(getattr(np.linalg, name)(a, **kwargs))
        return tuple(getattr(xp.linalg, name)(a, **kwargs))

    return forward


_svd = _factorization(
    "svd", "(m,n)->(m,k),(k),(k,n)", lambda a: np.linalg.svd(a, full_matrices=False), full_matrices=False
)
_qr = _factorization("qr", "(m,n)->(m,k),(k,n)", lambda a: np.linalg.qr(a, mode="reduced"), mode="reduced")


FORWARDS.update(
    {
        "xlogy": _x_times("log"),
        "xlog1py": _x_times("log1p"),
        "complex": _complex,
        "angle": lambda xp, x: (
            xp.atan2(xp.imag(x), xp.real(x))
            if _backend.kind(x.dtype) == "c"
            else xp.where(x < 0, xp.asarray(np.pi, dtype=x.dtype), xp.zeros_like(x))
        ),
        "real": lambda xp, x: xp.real(x) if _backend.kind(x.dtype) == "c" else x,
        "imag": lambda xp, x: xp.imag(x) if _backend.kind(x.dtype) == "c" else xp.zeros_like(x),
        "fft.fftn": _fftn,
        "fft.rfft": _rfft,
        "fft.irfft": _irfft,
        "linalg.svd": _svd,
        "linalg.qr": _qr,
        "where": lambda xp, c, x, y: xp.where(c if c.dtype == xp.bool else xp.astype(c, xp.bool), x, y),
        "linalg.eigh": _eigh,
        "transpose": lambda xp, x, axes=None: xp.permute_dims(
            x, tuple(range(x.ndim - 1, -1, -1)) if axes is None else tuple(axes)
        ),
        "tensordot": lambda xp, a, b, axes: xp.tensordot(a, b, axes=axes),
        "trace": _trace,
        "cbrt": lambda xp, x: xp.sign(x) * xp.abs(x) ** (1 / 3),
        "exp2": lambda xp, x: 2.0**x,
        "reciprocal": lambda xp, x: 1 / x,
        "round": lambda xp, x: xp.round(x),
        "clip": lambda xp, x, lo, hi: xp.minimum(xp.maximum(x, lo), hi),
        "broadcast_to": lambda xp, x, shape: xp.broadcast_to(x, shape),
        "sigmoid": _sigmoid,
        "relu": lambda xp, x: xp.maximum(x, _scalar(xp, 0.0, x)),
        "relu6": lambda xp, x: xp.clip(x, 0.0, 6.0),
        "leaky_relu": lambda xp, x, alpha=0.2: xp.where(x > 0, x, alpha * x),
        "elu": _elu,
        "selu": _selu,
        "softplus": lambda xp, x: xp.logaddexp(xp.zeros_like(x), x),
        "softsign": lambda xp, x: x / (1 + xp.abs(x)),
        "silu": lambda xp, x, beta=1.0: x * _sigmoid(xp, beta * x),
        "gelu_tanh": _gelu_tanh,
        "softmax": _softmax,
        "log_softmax": _log_softmax,
        "sum": _reduction("sum"),
        "mean": _reduction("mean"),
        "masked_sum": _masked_sum,
        "masked_mean": _masked_mean,
        "max": _reduction("max"),
        "min": _reduction("min"),
        "prod": _reduction("prod"),
        "var": _reduction("var"),
        "std": _reduction("std"),
        "norm": _norm,
        "logsumexp": _logsumexp,
        "cumsum": _scan("cumulative_sum"),
        "cumprod": _scan("cumulative_prod"),
        "pad": _pad,
        "linalg.inv": _whole("inv", np.linalg.inv),
        "linalg.cholesky": _whole("cholesky", np.linalg.cholesky),
        "linalg.det": _whole("det", np.linalg.det, drop=2),
        "linalg.slogdet": _slogdet,
        "linalg.solve": _solve,
        "cast": _cast,
        "scatter_add": lambda xp, g, index, shape: _backend.scatter_add(g, index, shape),
        "normal_cdf": _normal_cdf,
        "stack": lambda xp, *xs, axis=0: xp.stack(_join(xp, xs), axis=axis),
        "concatenate": lambda xp, *xs, axis=0: xp.concat(_join(xp, xs), axis=axis),
        "einsum": _einsum,
        "reshape": _reshape,
        "getitem": _getitem,
    }
)

UNSUPPORTED.update(
    {
        "linalg.eigh": {"dask": "dask.array has no symmetric eigendecomposition (eigh)"},
        "linalg.eig": {
            "dask": "dask.array has no eigendecomposition (eig)",
            "array_api_strict": "the array API standard's linalg has no eig",
        },
    }
)

__all__: list[str] = []
