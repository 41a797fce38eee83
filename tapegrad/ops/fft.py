"""Discrete Fourier transforms: three linear primitives (fftn/ifftn, rfft, irfft); everything in
``tapegrad.numpy.fft`` is built on them.

Each transform is linear over the reals, so its JVP is the transform of the tangent and its VJP the
transpose for the bilinear pairing Re(sum(a * b)) (the table's convention, see tapegrad/backward.py):
  * the DFT matrix is symmetric, so fftn (ifftn) with any norm is its own transpose; for a real
    input the cotangent is the real part.
  * rfft = the first n//2 + 1 outputs of fft: its transpose is Re(fft(g padded with zeros to n)).
  * irfft reads c[0], c[1..], c[n//2] of a Hermitian half-spectrum: y_j = sum_k w_k/n Re(c_k e^{..})
    with w_k = 2 except w_0 = 1 (and w_{n/2} = 1 for even n), so its transpose is
    w * conj(rfft(g)) with the dual norm (backward <-> forward, ortho stays).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapegrad._primitive import linear
from tapegrad._tensor import ops
from tapegrad.batching import along_axes

__all__: list[str] = []

DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _is_complex(x: Any) -> bool:
    return np.dtype(x.dtype).kind == "c"


def _fftn_impl(x, axes, norm, inverse):
    return (np.fft.ifftn if inverse else np.fft.fftn)(x, axes=axes, norm=norm)


def _fftn_vjp(g, _ans, x, axes, norm, inverse):
    adjoint = fftn_p(g, axes=axes, norm=norm, inverse=inverse)
    return adjoint if _is_complex(x) else ops.cast(ops.real(adjoint), x.dtype)


fftn_p = linear(_fftn_impl, _fftn_vjp, name="fft.fftn", batch=along_axes)


def _rfft_impl(x, axis, norm):
    return np.fft.rfft(x, axis=axis, norm=norm)


def _rfft_vjp(g, _ans, x, axis, norm):
    n = x.shape[axis]
    widths = [(0, 0)] * g.ndim
    widths[axis] = (0, n - g.shape[axis])
    full = ops.pad(g, widths)
    return ops.cast(ops.real(fftn_p(full, axes=(axis,), norm=norm, inverse=False)), x.dtype)


rfft_p = linear(_rfft_impl, _rfft_vjp, name="fft.rfft", complex=False, batch=along_axes)


def _irfft_impl(c, n, axis, norm):
    return np.fft.irfft(c, n=n, axis=axis, norm=norm)


def _irfft_weights(n: int, m: int, ndim: int, axis: int, dtype: Any) -> np.ndarray:
    w = np.full(m, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[n // 2] = 1.0
    shape = [1] * ndim
    shape[axis] = m
    return w.reshape(shape).astype(dtype)


def _irfft_vjp(g, _ans, c, n, axis, norm):
    spectrum = ops.conj(rfft_p(g, axis=axis, norm=DUAL[norm]))
    out = spectrum * _irfft_weights(n, c.shape[axis], c.ndim, axis, g.dtype)
    return out if _is_complex(c) else ops.cast(ops.real(out), c.dtype)


irfft_p = linear(_irfft_impl, _irfft_vjp, name="fft.irfft", batch=along_axes)
