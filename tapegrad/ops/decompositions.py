"""Matrix decompositions with several outputs: svd, qr, eig (general, complex results).

Each primitive returns a tuple of outputs (the core's multi-output contract, as eigh): the VJP gets
one cotangent per output (None for an output that received none) and the JVP returns one tangent
per output. Rules are written in tapegrad ops (higher order).

Conventions (published ones, as noted per rule):
  * svd (Townsend 2016, "Differentiating the singular value decomposition"; JAX's svd_jvp): reduced
    factors, distinct non-zero singular values. Where two singular values are exactly equal the
    coupling term 1 / (s_j^2 - s_i^2) is taken as 0 (as eigh does here), so gradients of functions
    of the singular values alone (norms, nuclear norm) stay finite; U and V are then not unique.
  * qr (Walter & Lehmann 2018; JAX's qr_jvp): reduced Q, R of a matrix with m >= n and full rank.
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
from tapegrad.batching import batch_by_broadcasting
from tapegrad.ops.linalg import solve

__all__: list[str] = []


def _swap(x: Any) -> Any:
    nd = x.ndim
    return ops.transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _h(x: Any) -> Any:
    """Conjugate transpose of the last two axes."""
    t = _swap(x)
    return ops.conj(t) if np.dtype(x.dtype).kind == "c" else t


def _eye(n: int, dtype: Any) -> np.ndarray:
    return np.eye(n, dtype=dtype)


def _gaps(d: Any) -> Any:
    """F[i, j] = 1 / (d_j - d_i) off the diagonal, 0 on it and wherever d_j == d_i."""
    diff = ops.expand_dims(d, -2) - ops.expand_dims(d, -1)
    zero = diff == 0
    return ops.where(zero, 0, 1 / ops.where(zero, 1, diff))


# ---- svd: (U, s, Vh), reduced ----------------------------------------------------------------------------
def _svd(a):
    return tuple(np.linalg.svd(a, full_matrices=False))


# Abar = U [diag(gs) + (J + J^T) S + S (K + K^T)] V^T + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T)
# with F_ij = 1 / (s_j^2 - s_i^2), J = F * (U^T gU), K = F * (V^T gV), V = Vh^T (Townsend 2016).
def _svd_vjp(g, ans, a):
    m, n = a.shape[-2], a.shape[-1]
    (u, s, vh), (gu, gs, gvh) = ans, g
    v = _swap(vh)
    k = s.shape[-1]
    f = _gaps(s * s)
    row = ops.expand_dims(s, -2)  # multiplies column j by s_j: M @ diag(s)
    col = ops.expand_dims(s, -1)  # diag(s) @ M
    mid = ops.zeros_like(f)
    if gs is not None:
        mid = mid + ops.expand_dims(gs, -2) * _eye(k, gs.dtype)
    if gu is not None:
        j = f * ops.matmul(_swap(u), gu)
        mid = mid + (j + _swap(j)) * row
    if gvh is not None:
        gv = _swap(gvh)
        kk = f * ops.matmul(_swap(v), gv)
        mid = mid + col * (kk + _swap(kk))
    out = ops.matmul(u, ops.matmul(mid, vh))
    s_inv = 1 / ops.where(s == 0, 1, s)
    if m > n and gu is not None:  # (I - U U^T) gU S^-1 V^T
        proj = gu - ops.matmul(u, ops.matmul(_swap(u), gu))
        out = out + ops.matmul(proj * ops.expand_dims(s_inv, -2), vh)
    if n > m and gvh is not None:  # U S^-1 gV^T (I - V V^T)
        proj = gv - ops.matmul(v, ops.matmul(vh, gv))
        out = out + ops.matmul(u * ops.expand_dims(s_inv, -2), _swap(proj))
    return out


def _svd_jvp(t, ans, a):
    m, n = a.shape[-2], a.shape[-1]
    u, s, vh = ans
    v = _swap(vh)
    ds_full = ops.matmul(_swap(u), ops.matmul(t, v))  # U^T dA V (k x k)
    k = s.shape[-1]
    ds = ops.sum(ds_full * _eye(k, t.dtype), axis=-1)
    f = _gaps(s * s)
    row, col = ops.expand_dims(s, -2), ops.expand_dims(s, -1)
    du = ops.matmul(u, f * (ds_full * row + col * _swap(ds_full)))
    dv = ops.matmul(v, f * (col * ds_full + _swap(ds_full) * row))
    s_inv = ops.expand_dims(1 / ops.where(s == 0, 1, s), -2)
    if m > n:
        dav = ops.matmul(t, v)
        du = du + (dav - ops.matmul(u, ops.matmul(_swap(u), dav))) * s_inv
    if n > m:
        dau = ops.matmul(_swap(t), u)
        dv = dv + (dau - ops.matmul(v, ops.matmul(vh, dau))) * s_inv
    return du, ds, _swap(dv)


svd_p = defrule(_svd, vjps=(_svd_vjp,), jvps=(_svd_jvp,), name="linalg.svd")


def svd_parts(a: Any) -> tuple[Any, Any, Any]:
    """U (m, k), s (k,), Vh (k, n) of the reduced SVD of a real matrix (or a batch), differentiable."""
    if np.dtype(a.dtype).kind == "c":
        raise NotImplementedError("tapegrad.numpy.linalg.svd: gradients of complex SVD are not implemented")
    return svd_p(a)


# ---- qr: (Q, R), reduced, m >= n ------------------------------------------------------------------------------
def _qr(a):
    return tuple(np.linalg.qr(a, mode="reduced"))


def _solve_right_r(x: Any, r: Any) -> Any:
    """x R^-T ... here x R^{-1}: solve R^T y^T = x^T."""
    return _swap(solve(_swap(r), _swap(x)))


# dA = dQ R + Q dR with X = dA R^-1, C = Q^T X, Omega = tril(C, -1) - tril(C, -1)^T:
#   dQ = Q (Omega - C) + X,  dR = (C - Omega) R.
# Transposed: with P = Q^T gQ - gR R^T, Xbar = gQ + Q (tril(P - P^T, -1) - P) and Abar = Xbar R^-T.
def _qr_vjp(g, ans, a):
    n = a.shape[-1]
    (q, r), (gq, gr) = ans, g
    gq = ops.zeros_like(q) if gq is None else gq
    gr = ops.zeros_like(r) if gr is None else gr
    p = ops.matmul(_swap(q), gq) - ops.matmul(gr, _swap(r))
    lower = np.tril(np.ones((n, n), dtype=bool), -1)
    xbar = gq + ops.matmul(q, ops.where(lower, p - _swap(p), 0) - p)
    return _swap(solve(r, _swap(xbar)))


def _qr_jvp(t, ans, a):
    n = a.shape[-1]
    q, r = ans
    x = _solve_right_r(t, r)
    c = ops.matmul(_swap(q), x)
    lower = np.tril(np.ones((n, n), dtype=bool), -1)
    lo = ops.where(lower, c, 0)
    omega = lo - _swap(lo)
    dq = ops.matmul(q, omega - c) + x
    dr = ops.matmul(c - omega, r)
    return dq, dr


qr_p = defrule(_qr, vjps=(_qr_vjp,), jvps=(_qr_jvp,), name="linalg.qr")


def qr_parts(a: Any) -> tuple[Any, Any]:
    """Q (m, n) and R (n, n) of the reduced QR of a real m x n matrix, m >= n (differentiable)."""
    m, n = a.shape[-2], a.shape[-1]
    if m < n:
        raise NotImplementedError(f"tapegrad.numpy.linalg.qr: differentiable QR needs m >= n, got {m} x {n}; "
                                  "use tg.stop_gradient(a) for the values alone")
    if np.dtype(a.dtype).kind == "c":
        raise NotImplementedError("tapegrad.numpy.linalg.qr: gradients of complex QR are not implemented")
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


eig_p = defrule(_eig, vjps=(_eig_vjp,), jvps=(_eig_jvp,), name="linalg.eig")


batch_by_broadcasting(svd_p, qr_p, eig_p)  # rules on the last two axes broadcast over a stack


def eig_parts(a: Any) -> tuple[Any, Any]:
    """Eigenvalues and unit eigenvectors (columns) of a square matrix, always complex."""
    return eig_p(a)
