"""``tapegrad.numpy.linalg``: NumPy's linear algebra with NumPy's names, keywords and result types.

det, slogdet, inv, solve, cholesky, eigh, eigvalsh are the rules of ``tapegrad/ops/linalg.py``;
svd, qr, eig are ``tapegrad/ops/decompositions.py`` (conventions at repeated eigen/singular values
are stated there); pinv, lstsq, matrix_power, multi_dot and the 2-/nuclear norms are compositions.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from tapegrad import _backend
from tapegrad._tensor import Tensor, ops, value_read
from tapegrad.numpy._convert import array, asarray
from tapegrad.ops import decompositions as _dec
from tapegrad.ops import linalg as _la

__all__ = [
    "svd", "svdvals", "pinv", "qr", "eig", "eigvals", "eigh", "eigvalsh", "lstsq", "matrix_power", "matrix_rank",
    "norm", "det", "slogdet", "inv", "solve", "cholesky", "trace", "multi_dot", "matmul", "outer", "tensordot",
    "matrix_transpose", "LinAlgError", "vecdot", "cross", "diagonal", "vector_norm", "matrix_norm", "cond",
    "tensorsolve", "tensorinv",
]

LinAlgError = np.linalg.LinAlgError


class SVDResult(NamedTuple):
    U: Tensor
    S: Tensor
    Vh: Tensor


class QRResult(NamedTuple):
    Q: Tensor
    R: Tensor


class EigResult(NamedTuple):
    eigenvalues: Tensor
    eigenvectors: Tensor


class LstsqResult(NamedTuple):
    x: Tensor
    residuals: Tensor
    rank: np.int32
    s: Tensor


def _square(a: Tensor, name: str) -> None:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise LinAlgError(f"Last 2 dimensions of the array must be square ({name})")


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False) -> Any:
    """``np.linalg.svd``. Gradients flow through the reduced factors. With ``full_matrices=True``
    and a non-square matrix the extra columns of U (rows of Vh) are an arbitrary basis of the
    complement, not a function of ``a``: a nonzero gradient reaching them raises an error naming
    the fix, ``full_matrices=False``, and their forward-mode tangent is NaN (undefined); derivatives
    through the other columns work as for the reduced factors."""
    a = asarray(a)
    if hermitian:
        return _hermitian_svd(a, compute_uv)
    u, s, vh = _dec.svd_parts(a)
    if not compute_uv:
        return s
    m, n = a.shape[-2], a.shape[-1]
    if full_matrices and m != n:
        extra = _dec.svd_complement(a)
        if m > n:
            u = ops.concatenate([u, extra], axis=-1)
        else:
            vh = ops.concatenate([vh, extra], axis=-2)
    return SVDResult(u, s, vh)


def _hermitian_svd(a: Tensor, compute_uv: bool) -> Any:
    """NumPy's ``svd(a, hermitian=True)``: from ``eigh`` (the lower triangle), |eigenvalues| descending, their
    signs moved into Vh; so U and Vh are NumPy's, not another valid pair of singular vectors."""
    from tapegrad.numpy._functions import sort, take_along_axis

    _square(a, "svd")
    if not compute_uv:
        return sort(ops.abs(eigvalsh(a)))[..., ::-1]
    w, u = eigh(a)
    values = np.asarray(value_read(w))
    order = np.argsort(np.abs(values))[..., ::-1]
    sign = np.take_along_axis(np.sign(values), order, axis=-1)
    s = take_along_axis(ops.abs(w), order, -1)
    u = take_along_axis(u, order[..., None, :], -1)
    vh = _la.matrix_transpose(u * sign[..., None, :].astype(values.dtype))
    return SVDResult(u, s, ops.conj(vh) if _backend.kind(a.dtype) == "c" else vh)


def svdvals(x: Any) -> Tensor:
    """``np.linalg.svdvals``: the singular values, descending."""
    return svd(x, compute_uv=False)


def pinv(a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = np._NoValue) -> Tensor:
    """``np.linalg.pinv`` through the SVD: singular values below ``rcond * max(s)`` are dropped
    (their reciprocal's gradient is 0, as the cutoff is a constant)."""
    a = asarray(a)
    complex_ = _backend.kind(a.dtype) == "c"
    u, s, vh = svd(ops.conj(a) if complex_ else a, full_matrices=False, hermitian=hermitian)  # NumPy's steps
    if rcond is None:  # NumPy's defaults: 1e-15, or max(M, N) eps for an explicit rtol=None
        rcond = 1e-15 if rtol is np._NoValue else max(a.shape[-2:]) * np.finfo(np.dtype(a.dtype)).eps \
            if rtol is None else rtol
    elif rtol is not np._NoValue:
        raise ValueError("`rtol` and `rcond` can't be both set.")
    sv = np.asarray(value_read(s))
    cutoff = np.asarray(rcond)[..., None] * np.max(sv, axis=-1, keepdims=True)
    keep = sv > cutoff
    s_inv = ops.where(keep, 1 / ops.where(keep, s, 1), 0)
    return ops.matmul(_la.matrix_transpose(vh), ops.expand_dims(s_inv, -1) * _la.matrix_transpose(u))  # V S^+ U^H


def qr(a: Any, mode: str = "reduced") -> Any:
    """``np.linalg.qr`` (modes reduced, r; complete for m <= n), differentiable for full-rank inputs."""
    a = asarray(a)
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"tapegrad.numpy.linalg.qr: mode {mode!r} is not supported (reduced, complete, r)")
    m, n = a.shape[-2], a.shape[-1]
    if mode == "complete" and m > n:
        raise NotImplementedError("tapegrad.numpy.linalg.qr: mode='complete' of a tall matrix has a non-unique Q; "
                                  "use mode='reduced'")
    q, r = _dec.qr_parts(a)
    return r if mode == "r" else QRResult(q, r)


def eig(a: Any) -> EigResult:
    """``np.linalg.eig``: eigenvalues and unit eigenvectors (columns). Eigenvectors are defined up to
    a phase: differentiate phase-free quantities (|v|^2, eigenvalues). As NumPy's, the results of a
    real matrix are real when every eigenvalue is (their imaginary parts all exactly 0), else complex."""
    a = asarray(a)
    _square(a, "eig")
    w, v = _dec.eig_parts(a)
    # bool() of a recorded test: tg.function guards on that truth only (not on w's values)
    if _backend.kind(a.dtype) != "c" and not bool(ops.reduce_any(ops.imag(w) != 0)):
        w, v = ops.real(w), ops.real(v)
    return EigResult(w, v)


def eigvals(a: Any) -> Tensor:
    """``np.linalg.eigvals``: real for a real matrix whose eigenvalues all are (as NumPy's), else complex."""
    return eig(a)[0]


def _hermitian_from(a: Tensor, UPLO: str) -> Tensor:  # noqa: N803
    """The Hermitian matrix LAPACK reads from one triangle of ``a`` (and the real part of its diagonal),
    built differentiably: the gradient reaches only the entries NumPy reads, as finite differences see."""
    if UPLO not in ("L", "U"):
        raise ValueError(f"tapegrad.numpy.linalg: UPLO must be 'L' or 'U', got {UPLO!r}")
    n = a.shape[-1]
    strict = np.tril(np.ones((n, n), dtype=bool), -1) if UPLO == "L" else np.triu(np.ones((n, n), dtype=bool), 1)
    off = ops.where(strict, a, 0)
    diag = ops.where(np.eye(n, dtype=bool), ops.real(a) if np.dtype(a.dtype).kind == "c" else a, 0)
    return off + _la.matrix_transpose(ops.conj(off) if np.dtype(a.dtype).kind == "c" else off) + diag


def eigh(a: Any, UPLO: str = "L") -> Any:  # noqa: N803
    """``np.linalg.eigh``: reads the ``UPLO`` triangle only, and so does the gradient (for a
    symmetric input that is the symmetric gradient folded onto that triangle)."""
    a = asarray(a)
    _square(a, "eigh")
    return _la.eigh(_hermitian_from(a, UPLO), UPLO)


def eigvalsh(a: Any, UPLO: str = "L") -> Tensor:  # noqa: N803
    """``np.linalg.eigvalsh`` (the ``UPLO`` triangle, as ``eigh``)."""
    return eigh(a, UPLO)[0]


def lstsq(a: Any, b: Any, rcond: Any = None) -> LstsqResult:
    """``np.linalg.lstsq``: x = pinv(a) b, with NumPy's residuals, rank and singular values."""
    a, b = asarray(a), asarray(b)
    if rcond is None:
        rcond = np.finfo(np.dtype(a.dtype)).eps * max(a.shape[-2:])
    x = ops.matmul(pinv(a, rcond), b)
    m, n = a.shape[-2], a.shape[-1]
    s = svd(a, compute_uv=False)
    tol = rcond * float(np.max(np.asarray(value_read(s))))
    rank = np.int32(np.linalg.matrix_rank(np.asarray(value_read(a)), tol=tol))  # NumPy's type
    if rank == n and m > n:
        r = b - ops.matmul(a, x)
        r2 = ops.real(r * ops.conj(r)) if np.dtype(r.dtype).kind == "c" else r * r  # |r|^2
        residuals = ops.sum(r2, axis=0) if b.ndim > 1 else ops.reshape(ops.sum(r2), (1,))
    else:
        residuals = array(np.empty((0,), dtype=np.finfo(np.dtype(a.dtype)).dtype))
    return LstsqResult(x, residuals, rank, s)


def matrix_power(a: Any, n: int) -> Tensor:
    """``np.linalg.matrix_power``: repeated squaring (the inverse first for negative n)."""
    a = asarray(a)
    _square(a, "matrix_power")
    n = int(n)
    if n == 0:
        return ops.broadcast_to(np.eye(a.shape[-1], dtype=np.dtype(a.dtype)), a.shape) * ops.ones_like(a)
    if n < 0:
        a, n = _la.inv(a), -n
    result = None
    base = a
    while n:
        if n & 1:
            result = base if result is None else ops.matmul(result, base)
        n >>= 1
        if n:
            base = ops.matmul(base, base)
    return result


def matrix_rank(A: Any, tol: Any = None, hermitian: bool = False, *, rtol: Any = None) -> Any:  # noqa: N803
    """``np.linalg.matrix_rank`` (an integer: not differentiable)."""
    value = np.asarray(value_read(A)) if isinstance(A, Tensor) else np.asarray(A)
    return np.linalg.matrix_rank(value, tol=tol, hermitian=hermitian, rtol=rtol)


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A002
    """``np.linalg.norm`` for every ``ord`` NumPy accepts; the matrix 2-norms and the nuclear norm
    go through the singular values."""
    x = asarray(x)
    if _backend.kind(x.dtype) not in "fc":  # NumPy's norms of integers and bools are float64
        x = ops.cast(x, np.float64)
    if ord in (2, -2, "nuc"):
        matrix = (axis is None and x.ndim == 2) or (isinstance(axis, (tuple, list)) and len(axis) == 2)
        if matrix:
            axes = (0, 1) if axis is None else tuple(int(a) % x.ndim for a in axis)
            moved = ops.moveaxis(x, axes, (-2, -1))
            s = svd(moved, compute_uv=False)
            out = ops.sum(s, axis=-1) if ord == "nuc" else (ops.max if ord == 2 else ops.min)(s, axis=-1)
            if keepdims:
                shape = list(x.shape)
                for a in axes:
                    shape[a] = 1
                out = ops.reshape(out, tuple(shape))
            return out
    return _la.norm(x, ord, axis, keepdims)


def multi_dot(arrays: Any, *, out: Any = None) -> Tensor:
    """``np.linalg.multi_dot``: the chained product (1-d ends as row/column vectors)."""
    if out is not None:
        raise TypeError("tapegrad.numpy.linalg.multi_dot does not take out=")
    arrays = [asarray(a) for a in arrays]
    if len(arrays) < 2:
        raise ValueError("Expecting at least two arrays.")
    result = arrays[0]
    for a in arrays[1:]:
        result = ops.matmul(result, a)
    return result


def det(a: Any) -> Tensor:
    """``np.linalg.det``."""
    return _la.det(asarray(a))


def slogdet(a: Any) -> Any:
    """``np.linalg.slogdet``: (sign, logabsdet)."""
    return _la.slogdet(asarray(a))


def inv(a: Any) -> Tensor:
    """``np.linalg.inv``."""
    return _la.inv(asarray(a))


def solve(a: Any, b: Any) -> Tensor:
    """``np.linalg.solve``."""
    return _la.solve(asarray(a), asarray(b))


def cholesky(a: Any, /, *, upper: bool = False) -> Tensor:
    """``np.linalg.cholesky`` (lower, or upper with ``upper=True``): as NumPy, only that triangle of
    ``a`` is read, and only it gets a gradient."""
    a = asarray(a)
    _square(a, "cholesky")
    low = _la.cholesky(_hermitian_from(a, "U" if upper else "L"))
    if not upper:
        return low
    return ops.conj(_la.matrix_transpose(low)) if np.dtype(a.dtype).kind == "c" else _la.matrix_transpose(low)


def trace(x: Any, /, *, offset: int = 0, dtype: Any = None) -> Tensor:
    """``np.linalg.trace``: of the last two axes (summed in ``dtype``, as NumPy's)."""
    x = asarray(x)
    if dtype is None:
        return _la.linalg_trace(x, offset)
    return ops.cast(_la.linalg_trace(ops.cast(x, dtype), offset), dtype)  # an int8 sum wraps around in int8


def matmul(x1: Any, x2: Any, /) -> Tensor:
    """``np.linalg.matmul``."""
    return _la.matmul(asarray(x1), asarray(x2))


def outer(x1: Any, x2: Any, /) -> Tensor:
    """``np.linalg.outer``."""
    return _la.outer(asarray(x1), asarray(x2))


def tensordot(x1: Any, x2: Any, /, *, axes: Any = 2) -> Tensor:
    """``np.linalg.tensordot``."""
    return _la.tensordot(asarray(x1), asarray(x2), axes)


def matrix_transpose(x: Any, /) -> Tensor:
    """``np.linalg.matrix_transpose``."""
    return _la.matrix_transpose(asarray(x))


def vecdot(x1: Any, x2: Any, /, *, axis: int = -1) -> Tensor:
    """``np.linalg.vecdot``: sum(conj(x1) * x2) along ``axis``."""
    from tapegrad.numpy._extras import vecdot as _vecdot

    return _vecdot(x1, x2, axis=axis)


def cross(x1: Any, x2: Any, /, *, axis: int = -1) -> Tensor:
    """``np.linalg.cross`` of 3-vectors."""
    from tapegrad.numpy._functions import cross as _cross

    return _cross(x1, x2, axis=axis)


def diagonal(x: Any, /, *, offset: int = 0) -> Tensor:
    """``np.linalg.diagonal``: of the last two axes."""
    from tapegrad.numpy._functions import diagonal as _diagonal

    return _diagonal(x, offset, -2, -1)


def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Tensor:  # noqa: A002
    """``np.linalg.vector_norm`` (all elements as one vector when ``axis`` is None)."""
    x = asarray(x)
    if axis is None:
        out = _la.norm(ops.reshape(x, (-1,)), ord, 0)
        return ops.reshape(out, (1,) * x.ndim) if keepdims else out
    if isinstance(axis, (tuple, list)) and len(axis) > 1:
        axes = tuple(int(a) % x.ndim for a in axis)
        rest = [i for i in range(x.ndim) if i not in axes]
        moved = ops.transpose(x, tuple(rest) + axes)
        flat = ops.reshape(moved, tuple(x.shape[i] for i in rest) + (-1,))
        out = _la.norm(flat, ord, -1)
        if keepdims:
            out = ops.reshape(out, tuple(1 if i in axes else n for i, n in enumerate(x.shape)))
        return out
    return _la.norm(x, ord, axis, keepdims)


def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Tensor:  # noqa: A002
    """``np.linalg.matrix_norm``: of the last two axes."""
    return norm(x, ord, (-2, -1), keepdims)


def cond(x: Any, p: Any = None) -> Tensor:
    """``np.linalg.cond``: s_max / s_min for p None, 2, -2; else norm(x, p) * norm(inv(x), p)."""
    x = asarray(x)
    if p in (None, 2, -2):
        s = svd(x, compute_uv=False)
        big, small = ops.max(s, axis=-1), ops.min(s, axis=-1)
        return small / big if p == -2 else big / small
    return norm(x, p, (-2, -1)) * norm(inv(x), p, (-2, -1))


def tensorsolve(a: Any, b: Any, axes: Any = None) -> Tensor:
    """``np.linalg.tensorsolve``: a reshaped to a square matrix, then solve."""
    a, b = asarray(a), asarray(b)
    if axes is not None:
        rest = [k for k in range(a.ndim) if k not in [int(ax) % a.ndim for ax in axes]]
        a = ops.transpose(a, tuple(rest) + tuple(int(ax) % a.ndim for ax in axes))
    shape = a.shape[-(a.ndim - b.ndim):]
    n = int(np.prod(shape))
    x = _la.solve(ops.reshape(a, (-1, n)), ops.reshape(b, (-1,)))
    return ops.reshape(x, shape)


def tensorinv(a: Any, ind: int = 2) -> Tensor:
    """``np.linalg.tensorinv``: the inverse of a reshaped to a square matrix."""
    a = asarray(a)
    front, back = a.shape[:ind], a.shape[ind:]
    inverse = _la.inv(ops.reshape(a, (int(np.prod(front)), -1)))
    return ops.reshape(inverse, back + front)


NUMPY_FUNCTIONS = {
    getattr(np.linalg, name): globals()[name]
    for name in __all__
    if name != "LinAlgError" and hasattr(np.linalg, name)
}
