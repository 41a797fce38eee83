"""``tapegrad.numpy.fft``: NumPy's FFT functions (names, ``n``/``s``/``axes``/``norm`` keywords), each
linear and differentiable, on the three primitives of ``tapegrad/ops/fft.py``."""

from __future__ import annotations

from typing import Any

import numpy as np

from tapegrad._tensor import Tensor, ops
from tapegrad.numpy._convert import asarray
from tapegrad.ops import shape as _shape_ops
from tapegrad.ops.fft import fftn_p, irfft_p, rfft_p


def _no_out(out: Any, name: str) -> None:
    """NumPy's out= writes the transform into an array; a tensor result cannot be written there."""
    if out is not None:
        raise TypeError(f"numpy.{name} on a tapegrad Tensor does not take out=; use the returned tensor")


__all__ = [
    "fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn",
    "fftshift", "ifftshift", "fftfreq", "rfftfreq", "hfft", "ihfft",
]

fftfreq = np.fft.fftfreq  # plain arrays: not differentiable
rfftfreq = np.fft.rfftfreq


def _norm(norm: Any) -> str:
    if norm is None:
        return "backward"
    if norm not in ("backward", "ortho", "forward"):
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or "forward".')
    return norm


def _resize(a: Any, axis: int, n: int) -> Any:
    """Crop or zero-pad axis ``axis`` to length ``n`` (NumPy's ``n=``/``s=``)."""
    size = a.shape[axis]
    if n < 1:
        raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    if n == size:
        return a
    if n < size:
        return a[(slice(None),) * axis + (slice(0, n),)]
    widths = [(0, 0)] * a.ndim
    widths[axis] = (0, n - size)
    return _shape_ops.pad(a, widths)


def _axes_and_sizes(a: Any, s: Any, axes: Any) -> tuple[tuple[int, ...], list[int]]:
    nd = a.ndim
    if axes is None:
        axes = tuple(range(nd)) if s is None else tuple(range(nd - len(s), nd))
    axes = tuple(int(ax) % nd for ax in np.atleast_1d(axes))
    sizes = [a.shape[ax] for ax in axes] if s is None else [int(n) for n in s]
    if len(sizes) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    return axes, sizes


def _fftn(a: Any, s: Any, axes: Any, norm: Any, inverse: bool) -> Tensor:
    a = asarray(a)
    axes, sizes = _axes_and_sizes(a, s, axes)
    for ax, n in zip(axes, sizes):
        a = _resize(a, ax, n)
    if not axes:
        return a
    return fftn_p(a, axes=axes, norm=_norm(norm), inverse=inverse)


def fft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None, out: Any = None) -> Tensor:
    """One-dimensional DFT along ``axis`` (``np.fft.fft``)."""
    _no_out(out, "fft.fft")
    a = asarray(a)
    return _fftn(a, None if n is None else (n,), (axis,), norm, False)


def ifft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None, out: Any = None) -> Tensor:
    """One-dimensional inverse DFT (``np.fft.ifft``)."""
    _no_out(out, "fft.ifft")
    return _fftn(a, None if n is None else (n,), (axis,), norm, True)


def fftn(a: Any, s: Any = None, axes: Any = None, norm: str | None = None, out: Any = None) -> Tensor:
    """N-dimensional DFT (``np.fft.fftn``)."""
    _no_out(out, "fft.fftn")
    return _fftn(a, s, axes, norm, False)


def ifftn(a: Any, s: Any = None, axes: Any = None, norm: str | None = None, out: Any = None) -> Tensor:
    """N-dimensional inverse DFT (``np.fft.ifftn``)."""
    _no_out(out, "fft.ifftn")
    return _fftn(a, s, axes, norm, True)


def fft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: str | None = None, out: Any = None) -> Tensor:
    """Two-dimensional DFT (``np.fft.fft2``)."""
    _no_out(out, "fft.fft2")
    return _fftn(a, s, axes, norm, False)


def ifft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: str | None = None, out: Any = None) -> Tensor:
    """Two-dimensional inverse DFT (``np.fft.ifft2``)."""
    _no_out(out, "fft.ifft2")
    return _fftn(a, s, axes, norm, True)


def rfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None, out: Any = None) -> Tensor:
    """DFT of a real input, the n//2 + 1 non-negative frequencies (``np.fft.rfft``)."""
    _no_out(out, "fft.rfft")
    a = asarray(a)
    if np.dtype(a.dtype).kind == "c":
        raise TypeError("rfft takes a real input; use fft for complex values")
    axis = int(axis) % a.ndim
    a = _resize(a, axis, a.shape[axis] if n is None else int(n))
    return rfft_p(a, axis=axis, norm=_norm(norm))


def irfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None, out: Any = None) -> Tensor:
    """Inverse of rfft: a real signal of length ``n`` (default 2 (m - 1)) (``np.fft.irfft``)."""
    _no_out(out, "fft.irfft")
    a = asarray(a)
    axis = int(axis) % a.ndim
    n = 2 * (a.shape[axis] - 1) if n is None else int(n)
    if n < 1:
        raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    a = _resize(a, axis, n // 2 + 1)
    return irfft_p(a, n=n, axis=axis, norm=_norm(norm))


def rfftn(a: Any, s: Any = None, axes: Any = None, norm: str | None = None, out: Any = None) -> Tensor:
    """N-dimensional DFT of a real input: rfft on the last axis, fft on the others (``np.fft.rfftn``)."""
    _no_out(out, "fft.rfftn")
    a = asarray(a)
    axes, sizes = _axes_and_sizes(a, s, axes)
    for ax, n in zip(axes, sizes):
        a = _resize(a, ax, n)
    out = rfft(a, axis=axes[-1], norm=norm)
    return _fftn(out, None, axes[:-1], norm, False) if len(axes) > 1 else out


def irfftn(a: Any, s: Any = None, axes: Any = None, norm: str | None = None, out: Any = None) -> Tensor:
    """Inverse of rfftn: ifft on all axes but the last, then irfft on it (``np.fft.irfftn``)."""
    _no_out(out, "fft.irfftn")
    a = asarray(a)
    nd = a.ndim
    if axes is None:
        axes = tuple(range(nd)) if s is None else tuple(range(nd - len(s), nd))
    axes = tuple(int(ax) % nd for ax in axes)
    if s is None:
        s = [a.shape[ax] for ax in axes[:-1]] + [2 * (a.shape[axes[-1]] - 1)]
    s = [int(n) for n in s]
    if len(axes) > 1:
        a = _fftn(a, s[:-1], axes[:-1], norm, True)
    return irfft(a, s[-1], axes[-1], norm)


def rfft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: str | None = None, out: Any = None) -> Tensor:
    """Two-dimensional rfftn (``np.fft.rfft2``)."""
    _no_out(out, "fft.rfft2")
    return rfftn(a, s, axes, norm)


def irfft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: str | None = None, out: Any = None) -> Tensor:
    """Two-dimensional irfftn (``np.fft.irfft2``)."""
    _no_out(out, "fft.irfft2")
    return irfftn(a, s, axes, norm)


def hfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None, out: Any = None) -> Tensor:
    """DFT of a Hermitian-symmetric signal given by its first half (``np.fft.hfft``): irfft of the
    conjugate with the dual normalisation."""
    _no_out(out, "fft.hfft")
    a = asarray(a)
    axis = int(axis) % a.ndim
    n = 2 * (a.shape[axis] - 1) if n is None else int(n)
    return irfft(ops.conj(a), n, axis, _DUAL_NORM[_norm(norm)])


def ihfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None, out: Any = None) -> Tensor:
    """Inverse of hfft (``np.fft.ihfft``): the conjugate of rfft with the dual normalisation."""
    _no_out(out, "fft.ihfft")
    return ops.conj(rfft(a, n, axis, _DUAL_NORM[_norm(norm)]))


_DUAL_NORM = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _shifted(x: Any, axes: Any, sign: int) -> Tensor:
    from tapegrad.numpy import roll

    x = asarray(x)
    if axes is None:
        axes = tuple(range(x.ndim))
    axes = tuple(np.atleast_1d(axes).tolist())
    return roll(x, [sign * (x.shape[ax] // 2) for ax in axes], axes)


def fftshift(x: Any, axes: Any = None) -> Tensor:
    """Move the zero frequency to the centre (``np.fft.fftshift``): a roll."""
    return _shifted(x, axes, 1)


def ifftshift(x: Any, axes: Any = None) -> Tensor:
    """Undo fftshift (``np.fft.ifftshift``)."""
    return _shifted(x, axes, -1)


NUMPY_FUNCTIONS = {getattr(np.fft, name): globals()[name] for name in __all__ if name not in ("fftfreq", "rfftfreq")}
