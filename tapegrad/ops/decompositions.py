"""Matrix decompositions with several outputs: svd, qr, eig (general, complex results).

Each primitive returns a tuple of outputs (the core's multi-output contract, as eigh): the VJP gets
one cotangent per output (None for an output that received none) and the JVP returns one tangent
per output. Rules are written in tapegrad ops (higher order).

Conventions (published ones, as noted per rule):
  * svd (Townsend 2016, "Differentiating the singular value decomposition"; JAX's svd_jvp): reduced
    factors, real or complex, distinct non-zero singular values. Where two singular values are exactly equal the
    coupling term 1 / (s_j^2 - s_i^2) is taken as 0 (as eigh does here), so gradients of functions
    of the singular values alone (norms, nuclear norm) stay finite; U and V are then not unique.
  * qr (Walter & Lehmann 2018; JAX's qr_jvp): reduced Q, R of a real or complex matrix of full
    rank (LAPACK's gauge: R has a real diagonal); a wide matrix [X | Y] through the QR of X.
  * eig (TensorFlow's _EigGrad, Giles 2008): distinct eigenvalues; eigenvectors normalized to unit
    length as NumPy returns them (the rule removes the normalization's direction). Coupling terms
    of exactly equal eigenvalues are taken as 0.
Complex cotangents follow the table's convention (tapegrad/backward.py: transposes for the bilinear
pairing, TensorFlow's gradient after the walk's final conjugation); a real input gets the real part.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapegrad._primitive import defrule
from tapegrad._tensor import ops
from tapegrad.batching import last_axes
from tapegrad.ops.linalg import _eigengaps as _gaps
from tapegrad.ops.linalg import _swap, check_gauge, plain_values, solve

__all__: list[str] = []


def _h(x: Any) -> Any:
    """Conjugate transpose of the last two axes."""
    t = _swap(x)
    return ops.conj(t) if np.dtype(x.dtype).kind == "c" else t


def _eye(n: int, dtype: Any) -> np.ndarray:
    return np.eye(n, dtype=dtype)


# ---- svd: (U, s, Vh), reduced ----------------------------------------------------------------------------
def _conj_if(x: Any, is_complex: bool) -> Any:
    return ops.conj(x) if is_complex else x


def _diag_of(x: Any) -> Any:
    return ops.sum(x * _eye(x.shape[-1], x.dtype), axis=-1)


def _embed(d: Any, dtype: Any) -> Any:
    return ops.expand_dims(ops.cast(d, dtype) if d.dtype != dtype else d, -2) * _eye(d.shape[-1], dtype)


# The JVP (Townsend 2016; JAX's svd_jvp, complex included), V = Vh^H, S = diag(s), F_ij = 1 / (s_j^2 - s_i^2):
#   dP = U^H dA V, ds = Re diag(dP), dU = U (F * (dP S + S dP^H) + i Im diag(dP) S^-1) + (I - U U^H) dA V S^-1,
#   dV = V (F * (S dP + dP^H S)) + (I - V V^H) dA^H U S^-1.
# The VJP is its transpose for the bilinear pairing Re(sum(a * b)) (the table's convention): with
#   Q = U^T gU, R = V^T gV (gV = gVh^H), G = diag(gs) + (F*Q + (F*Q)^H) S + S (F*R + (F*R)^H) + i Im diag(Q) S^-1,
#   Abar = conj(U) G V^T + (gU - conj(U) U^T gU) S^-1 V^T + conj(U) S^-1 (gV - conj(V) V^T gV)^H.
def _svd_vjp(g, ans, a):
    m, n = a.shape[-2], a.shape[-1]
    (u, s, vh), (gu, gs, gvh) = ans, g
    cplx = np.dtype(a.dtype).kind == "c"
    v = _h(vh)
    if cplx:
        check_gauge(
            "tapegrad.numpy.linalg.svd of a complex matrix",
            "differentiate phase-free quantities (singular values, |U|^2, U[:, k] Vh[k] products)",
            (u, gu),
            (v, None if gvh is None else _h(gvh)),
        )
    cu, cv = _conj_if(u, cplx), _conj_if(v, cplx)
    f = _gaps(s * s)
    row = ops.expand_dims(s, -2)  # multiplies column j by s_j: M @ diag(s)
    col = ops.expand_dims(s, -1)  # diag(s) @ M
    s_inv = 1 / ops.where(s == 0, 1, s)
    mid = ops.zeros_like(ops.cast(f, a.dtype) if cplx else f)
    if gs is not None:
        mid = mid + _embed(gs, mid.dtype)
    if gu is not None:
        q = ops.matmul(_swap(u), gu)
        fq = f * q
        mid = mid + (fq + _h(fq)) * row
        if cplx:  # the phase of each pair of singular vectors: i Im diag(Q) / s
            dq = _diag_of(q) * s_inv
            mid = mid + _embed(dq - ops.conj(dq), mid.dtype) * 0.5
    if gvh is not None:
        gv = _h(gvh)
        fr = f * ops.matmul(_swap(v), gv)
        mid = mid + col * (fr + _h(fr))
    out = ops.matmul(cu, ops.matmul(mid, _swap(v)))
    if m > n and gu is not None:
        proj = gu - ops.matmul(cu, ops.matmul(_swap(u), gu))
        out = out + ops.matmul(proj * ops.expand_dims(s_inv, -2), _swap(v))
    if n > m and gvh is not None:
        proj = gv - ops.matmul(cv, ops.matmul(_swap(v), gv))
        out = out + ops.matmul(cu * ops.expand_dims(s_inv, -2), _h(proj))
    return out


def _svd_jvp(t, ans, a):
    m, n = a.shape[-2], a.shape[-1]
    u, s, vh = ans
    cplx = np.dtype(a.dtype).kind == "c"
    v = _h(vh)
    dp = ops.matmul(_h(u), ops.matmul(t, v))  # U^H dA V (k x k)
    d = _diag_of(dp)
    ds = ops.real(d) if cplx else d
    f = _gaps(s * s)
    row, col = ops.expand_dims(s, -2), ops.expand_dims(s, -1)
    s_inv = 1 / ops.where(s == 0, 1, s)
    inner_u = f * (dp * row + col * _h(dp))
    if cplx:
        inner_u = inner_u + _embed((d - ops.conj(d)) * 0.5 * s_inv, dp.dtype)
    du = ops.matmul(u, inner_u)
    dv = ops.matmul(v, f * (col * dp + _h(dp) * row))
    scale = ops.expand_dims(s_inv, -2)
    if m > n:
        dav = ops.matmul(t, v)
        du = du + (dav - ops.matmul(u, ops.matmul(_h(u), dav))) * scale
    if n > m:
        dau = ops.matmul(_h(t), u)
        dv = dv + (dau - ops.matmul(v, ops.matmul(vh, dau))) * scale
    return du, ds, _h(dv)


svd_p = defrule(
    lambda a: tuple(np.linalg.svd(a, full_matrices=False)),
    vjps=(_svd_vjp,),
    jvps=(_svd_jvp,),
    name="linalg.svd",
    complex=True,
    batch=last_axes(2),
)


def svd_parts(a: Any) -> tuple[Any, Any, Any]:
    """U (m, k), s (k,), Vh (k, n) of the reduced SVD of a matrix (or a batch), differentiable."""
    return svd_p(a)


# ---- svd's complement: the extra columns of U (rows of Vh) that full_matrices=True adds -------------------
# They are an arbitrary orthonormal basis of the complement, not a function of the matrix: no derivative
# exists (JAX refuses every full_matrices=True derivative). Reverse mode: a nonzero cotangent reaching them
# is an error naming the fix. Forward mode: their tangent is NaN (undefined), not an error, so that
# forward-over-reverse (tg.hessian) through the unique columns still works; a reverse pass that uses the
# extra columns raises first.
_COMPLEMENT_ERROR = (
    "tapegrad.numpy.linalg.svd(a, full_matrices=True) of a non-square matrix: the extra {what} are an "
    "arbitrary basis of the complement, not differentiable functions of a, and a nonzero gradient reaches "
    "them; use full_matrices=False (the reduced factors), or tg.stop_gradient on the extra {what}"
)


def _complement(a):
    m, n = a.shape[-2], a.shape[-1]
    u, _, vh = np.linalg.svd(a, full_matrices=True)
    return u[..., :, n:] if m > n else vh[..., m:, :]


def _complement_vjp(g, ans, a):
    if np.any(plain_values(g) != 0):
        what = "columns of U" if a.shape[-2] > a.shape[-1] else "rows of Vh"
        raise ValueError(_COMPLEMENT_ERROR.format(what=what))
    return ops.zeros_like(a)


def _complement_jvp(t, ans, a):
    return ops.zeros_like(ans) * np.nan  # undefined (see above)


svd_complement_p = defrule(
    _complement,
    vjps=(_complement_vjp,),
    jvps=(_complement_jvp,),
    name="linalg.svd_complement",
    complex=True,
    batch=last_axes(2),
)


def svd_complement(a: Any) -> Any:
    """The extra columns of U (m > n) or rows of Vh (m < n) of the full SVD: values only, and an
    error when a derivative reaches them (they are not unique)."""
    return svd_complement_p(a)


# ---- qr: (Q, R), reduced, m >= n ------------------------------------------------------------------------------
def _solve_right_r(x: Any, r: Any) -> Any:
    """x R^-1 (solve R^T y^T = x^T)."""
    return _swap(solve(_swap(r), _swap(x)))


def _imag_diagonal(c: Any) -> Any:
    """i Im(diag(c)) as a diagonal matrix (0 for real values): keeps diag(R) real for complex inputs."""
    d = _diag_of(c)
    return _embed(d - ops.real(d), c.dtype)


# dA = dQ R + Q dR (JAX's qr_jvp) with X = dA R^-1, C = Q^H X, L = tril(C, -1) and
# Omega = L - L^H + i Im diag(C) (LAPACK's R has a real diagonal):
#   dQ = Q (Omega - C) + X,  dR = (C - Omega) R.
# Transposed for the bilinear pairing: with P = Q^T gQ - gR R^T,
#   Xbar = gQ + conj(Q) (tril(P - P^H, -1) + i Im diag(P) - P) and Abar = Xbar R^-T.
def _qr_vjp(g, ans, a):
    n = a.shape[-1]
    cplx = np.dtype(a.dtype).kind == "c"
    (q, r), (gq, gr) = ans, g
    gq = ops.zeros_like(q) if gq is None else gq
    gr = ops.zeros_like(r) if gr is None else gr
    p = ops.matmul(_swap(q), gq) - ops.matmul(gr, _swap(r))
    lower = np.tril(np.ones((n, n), dtype=bool), -1)
    cbar = ops.where(lower, p - _h(p), 0) - p
    if cplx:
        cbar = cbar + _imag_diagonal(p)
    xbar = gq + ops.matmul(_conj_if(q, cplx), cbar)
    return _swap(solve(r, _swap(xbar)))


def _qr_jvp(t, ans, a):
    n = a.shape[-1]
    q, r = ans
    x = _solve_right_r(t, r)
    c = ops.matmul(_h(q), x)
    lower = np.tril(np.ones((n, n), dtype=bool), -1)
    lo = ops.where(lower, c, 0)
    omega = lo - _h(lo)
    if np.dtype(a.dtype).kind == "c":
        omega = omega + _imag_diagonal(c)
    dq = ops.matmul(q, omega - c) + x
    dr = ops.matmul(c - omega, r)
    return dq, dr


qr_p = defrule(
    lambda a: tuple(np.linalg.qr(a, mode="reduced")),
    vjps=(_qr_vjp,),
    jvps=(_qr_jvp,),
    name="linalg.qr",
    complex=True,
    batch=last_axes(2),
)


def qr_parts(a: Any) -> tuple[Any, Any]:
    """Q (m, k) and R (k, n) of the reduced QR of an m x n matrix, k = min(m, n) (differentiable)."""
    m, n = a.shape[-2], a.shape[-1]
    if m < n:  # a wide matrix [X | Y]: Q R_X = X (square), and R = [R_X | Q^H Y] (as LAPACK's reflectors)
        q, rx = qr_p(a[..., :, :m])
        return q, ops.concatenate([rx, ops.matmul(_h(q), a[..., :, m:])], axis=-1)
    return qr_p(a)


# ---- eig: (w, V), complex ----------------------------------------------------------------------------------
def _eig(a):
    w, v = np.linalg.eig(a)
    dtype = np.result_type(w, v, np.complex64)
    return w.astype(dtype), v.astype(dtype)


def _eig_vjp(g, ans, a):
    # TensorFlow's _EigGrad, in the table's bilinear convention (its conjugate on conjugated cotangents):
    # F = 1 / (w_j - w_i); mid = diag(gw) + F * (V^T gV - V^T conj(V) diag(Re diag(V^T gV)))
    # Abar = V^-T mid V^T (real part for a real input)
    (w, v), (gw, gv) = ans, g
    check_gauge("tapegrad.numpy.linalg.eig", "differentiate phase-free quantities (eigenvalues, |v|^2, v v^H)", (v, gv))
    n = w.shape[-1]
    mid = ops.zeros_like(v) if gw is None else ops.expand_dims(ops.cast(gw, v.dtype), -2) * _eye(n, v.dtype)
    if gv is not None:
        vgv = ops.matmul(_swap(v), gv)
        diag_real = ops.real(ops.sum(vgv * _eye(n, vgv.dtype), axis=-1))
        diag_part = ops.expand_dims(diag_real, -2) * _eye(n, v.dtype)
        mid = mid + _gaps(w) * (vgv - ops.matmul(ops.matmul(_swap(v), ops.conj(v)), diag_part))
    out = solve(_swap(v), ops.matmul(mid, _swap(v)))
    return out if np.dtype(a.dtype).kind == "c" else ops.cast(ops.real(out), a.dtype)


def _eig_jvp(t, ans, a):
    # dA' = V^-1 dA V; dw = diag(dA'); dV = V (F * dA') made orthogonal to V's columns' phases:
    # dV -= V Re(diag(V^H dV)) (unit-norm columns stay unit-norm)
    w, v = ans
    n = w.shape[-1]
    t = ops.cast(t, v.dtype) if t.dtype != v.dtype else t
    dap = solve(v, ops.matmul(t, v))
    dw = ops.sum(dap * _eye(n, v.dtype), axis=-1)
    dv = ops.matmul(v, _gaps(w) * dap)
    correction = ops.real(ops.sum(ops.conj(v) * dv, axis=-2))
    dv = dv - v * ops.cast(ops.expand_dims(correction, -2), v.dtype)
    return dw, dv


eig_p = defrule(_eig, vjps=(_eig_vjp,), jvps=(_eig_jvp,), name="linalg.eig", complex=True, batch=last_axes(2))


def eig_parts(a: Any) -> tuple[Any, Any]:
    """Eigenvalues and unit eigenvectors (columns) of a square matrix, always complex."""
    return eig_p(a)
