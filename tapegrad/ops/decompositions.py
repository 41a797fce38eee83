"""Matrix decompositions with several outputs: svd, qr, eig (general, complex results).

As eigh in ops/linalg.py, each primitive returns its outputs packed in one array and the public
functions slice them apart with getitem, whose rule scatters each part's cotangent back into the
packed cotangent (zeros for unused parts). Rules are written in tapegrad ops (higher order).

Conventions (published ones, as noted per rule):
  * svd (Townsend 2016, "Differentiating the singular value decomposition"; JAX's svd_jvp): reduced
    factors, distinct non-zero singular values. Where two singular values are exactly equal the
    coupling term 1 / (s_j^2 - s_i^2) is taken as 0 (as eigh does here), so gradients of functions
    of the singular values alone (norms, nuclear norm) stay finite; U and V are then not unique.
  * qr (Walter & Lehmann 2018; JAX's qr_jvp): reduced Q, R of a matrix with m >= n and full rank.
  * eig (TensorFlow's _EigGrad, Giles 2008): distinct eigenvalues; eigenvectors normalized to unit
    length as NumPy returns them (the rule removes the normalization's direction). Coupling terms
    of exactly equal eigenvalues are taken as 0.
Complex cotangents follow TensorFlow's convention (ops/complex.py); a real input gets the real part.
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


# ---- svd: packed as [U; s; V] of shape (..., m + 1 + n, k), V = Vt^T ------------------------------------
def _svd_packed(a):
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    return np.concatenate([u, s[..., None, :].astype(u.dtype), np.swapaxes(vt, -1, -2)], axis=-2)


def _svd_parts(p: Any, m: int) -> tuple[Any, Any, Any]:
    return p[..., :m, :], p[..., m, :], p[..., m + 1:, :]


def _svd_vjp(g, ans, a):
    m, n = a.shape[-2], a.shape[-1]
    u, s, v = _svd_parts(ans, m)
    gu, gs, gv = _svd_parts(g, m)
    f = _gaps(s * s)
    j = f * ops.matmul(_swap(u), gu)
    kk = f * ops.matmul(_swap(v), gv)
    row = ops.expand_dims(s, -2)  # multiplies column j by s_j: M @ diag(s)
    col = ops.expand_dims(s, -1)  # diag(s) @ M
    mid = (j + _swap(j)) * row + col * (kk + _swap(kk)) + ops.expand_dims(gs, -2) * _eye(s.shape[-1], g.dtype)
    out = ops.matmul(u, ops.matmul(mid, _swap(v)))
    s_inv = 1 / ops.where(s == 0, 1, s)
    if m > n:  # (I - U U^T) gU S^-1 V^T
        proj = gu - ops.matmul(u, ops.matmul(_swap(u), gu))
        out = out + ops.matmul(proj * ops.expand_dims(s_inv, -2), _swap(v))
    if n > m:  # U S^-1 gV^T (I - V V^T)
        proj = gv - ops.matmul(v, ops.matmul(_swap(v), gv))
        out = out + ops.matmul(u * ops.expand_dims(s_inv, -2), _swap(proj))
    return out


def _svd_jvp(t, ans, a):
    m, n = a.shape[-2], a.shape[-1]
    u, s, v = _svd_parts(ans, m)
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
        dv = dv + (dau - ops.matmul(v, ops.matmul(_swap(v), dau))) * s_inv
    return ops.concatenate([du, ops.expand_dims(ds, -2), dv], axis=-2)


svd_p = defrule(_svd_packed, vjps=(_svd_vjp,), jvps=(_svd_jvp,), name="linalg.svd")


def svd_parts(a: Any) -> tuple[Any, Any, Any]:
    """U (m, k), s (k,), Vt (k, n) of the reduced SVD of a real matrix (or a batch), differentiable."""
    if np.dtype(a.dtype).kind == "c":
        raise NotImplementedError("tapegrad.numpy.linalg.svd: gradients of complex SVD are not implemented")
    u, s, v = _svd_parts(svd_p(a), a.shape[-2])
    return u, s, _swap(v)


# ---- qr (reduced, m >= n): packed as [Q; R] of shape (..., m + n, n) ----------------------------------------
def _qr_packed(a):
    q, r = np.linalg.qr(a, mode="reduced")
    return np.concatenate([q, r], axis=-2)


def _solve_right_r(x: Any, r: Any) -> Any:
    """x R^-T ... here x R^{-1}: solve R^T y^T = x^T."""
    return _swap(solve(_swap(r), _swap(x)))


# dA = dQ R + Q dR with X = dA R^-1, C = Q^T X, Omega = tril(C, -1) - tril(C, -1)^T:
#   dQ = Q (Omega - C) + X,  dR = (C - Omega) R.
# Transposed: with P = Q^T gQ - gR R^T, Xbar = gQ + Q (tril(P - P^T, -1) - P) and Abar = Xbar R^-T.
def _qr_vjp(g, ans, a):
    m, n = a.shape[-2], a.shape[-1]
    q, r = ans[..., :m, :], ans[..., m:, :]
    gq, gr = g[..., :m, :], g[..., m:, :]
    p = ops.matmul(_swap(q), gq) - ops.matmul(gr, _swap(r))
    lower = np.tril(np.ones((n, n), dtype=bool), -1)
    xbar = gq + ops.matmul(q, ops.where(lower, p - _swap(p), 0) - p)
    return _swap(solve(r, _swap(xbar)))


def _qr_jvp(t, ans, a):
    m, n = a.shape[-2], a.shape[-1]
    q, r = ans[..., :m, :], ans[..., m:, :]
    x = _solve_right_r(t, r)
    c = ops.matmul(_swap(q), x)
    lower = np.tril(np.ones((n, n), dtype=bool), -1)
    lo = ops.where(lower, c, 0)
    omega = lo - _swap(lo)
    dq = ops.matmul(q, omega - c) + x
    dr = ops.matmul(c - omega, r)
    return ops.concatenate([dq, dr], axis=-2)


qr_p = defrule(_qr_packed, vjps=(_qr_vjp,), jvps=(_qr_jvp,), name="linalg.qr")


def qr_parts(a: Any) -> tuple[Any, Any]:
    """Q (m, n) and R (n, n) of the reduced QR of a real m x n matrix, m >= n (differentiable)."""
    m, n = a.shape[-2], a.shape[-1]
    if m < n:
        raise NotImplementedError(f"tapegrad.numpy.linalg.qr: differentiable QR needs m >= n, got {m} x {n}; "
                                  "use tg.stop_gradient(a) for the values alone")
    if np.dtype(a.dtype).kind == "c":
        raise NotImplementedError("tapegrad.numpy.linalg.qr: gradients of complex QR are not implemented")
    p = qr_p(a)
    return p[..., :m, :], p[..., m:, :]


# ---- eig: packed as [w; V] of shape (..., n + 1, n), complex --------------------------------------------------
def _eig_packed(a):
    w, v = np.linalg.eig(a)
    dtype = np.result_type(w, v, np.complex64)
    return np.concatenate([w[..., None, :].astype(dtype), v.astype(dtype)], axis=-2)


def _eig_vjp(g, ans, a):
    # TensorFlow's _EigGrad: f = conj(1 / (w_j - w_i)); mid = diag(gw) + f * (V^H gV - V^H V diag(Re diag(V^H gV)))
    # Abar = V^-H mid V^H (real part for a real input)
    w, v = ans[..., 0, :], ans[..., 1:, :]
    gw, gv = g[..., 0, :], g[..., 1:, :]
    n = w.shape[-1]
    f = ops.conj(_gaps(w))
    vgv = ops.matmul(_h(v), gv)
    diag_real = ops.real(ops.sum(vgv * _eye(n, vgv.dtype), axis=-1))
    mid = ops.expand_dims(gw, -2) * _eye(n, g.dtype)
    mid = mid + f * (vgv - ops.matmul(ops.matmul(_h(v), v), ops.expand_dims(diag_real, -2) * _eye(n, g.dtype)))
    out = solve(_h(v), ops.matmul(mid, _h(v)))
    return out if np.dtype(a.dtype).kind == "c" else ops.cast(ops.real(out), a.dtype)


def _eig_jvp(t, ans, a):
    # dA' = V^-1 dA V; dw = diag(dA'); dV = V (F * dA') made orthogonal to V's columns' phases:
    # dV -= V Re(diag(V^H dV)) (unit-norm columns stay unit-norm)
    w, v = ans[..., 0, :], ans[..., 1:, :]
    n = w.shape[-1]
    t = ops.cast(t, ans.dtype) if t.dtype != ans.dtype else t
    dap = solve(v, ops.matmul(t, v))
    dw = ops.sum(dap * _eye(n, ans.dtype), axis=-1)
    dv = ops.matmul(v, _gaps(w) * dap)
    correction = ops.real(ops.sum(ops.conj(v) * dv, axis=-2))
    dv = dv - v * ops.cast(ops.expand_dims(correction, -2), ans.dtype)
    return ops.concatenate([ops.expand_dims(dw, -2), dv], axis=-2)


eig_p = defrule(_eig_packed, vjps=(_eig_vjp,), jvps=(_eig_jvp,), name="linalg.eig")


batch_by_broadcasting(svd_p, qr_p, eig_p)  # rules on the last two axes broadcast over a stack


def eig_parts(a: Any) -> tuple[Any, Any]:
    """Eigenvalues and unit eigenvectors (columns) of a square matrix, always complex."""
    p = eig_p(a)
    return p[..., 0, :], p[..., 1:, :]
