"""Complex parts: real, imag, conj, angle and complex(re, im) (TensorFlow's ``tf.complex``).

Convention (TensorFlow's and PyTorch's): for a real loss L of z = x + iy the gradient is
dL/dx + i dL/dy, so a cotangent ``g`` of a complex value carries both partials. A holomorphic f
then has the VJP g * conj(f'(z)). For a real input the cotangent is the real part of that of the
complex formula (the imaginary direction does not exist), which the rules below return.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapegrad._primitive import defrule, lift, linear, unbroadcast
from tapegrad._tensor import Tensor, ops
from tapegrad.batching import batch_by_broadcasting

__all__ = ["real", "imag", "conj", "angle", "complex"]


def _is_complex(x: Any) -> bool:
    return np.dtype(x.dtype).kind == "c"


def _real_impl(x):
    return np.real(x)


def _imag_impl(x):
    return np.imag(x)


def _real_vjp(g, ans, x):
    # L(Re z): dL/dx = g, dL/dy = 0, so the cotangent of z is g + 0i
    return ops.cast(g, x.dtype) if _is_complex(x) else g


def _imag_vjp(g, ans, x):
    # L(Im z): dL/dx = 0, dL/dy = g, so the cotangent of z is 0 + g i; a real x has no imaginary part
    return ops.complex(ops.zeros_like(g), g) if _is_complex(x) else ops.zeros_like(g)


def _conj_vjp(g, ans, x):
    return conj_p(g) if _is_complex(x) else g


_real_p = linear(_real_impl, _real_vjp, name="real", batched_vjp=_real_vjp)
_imag_p = linear(_imag_impl, _imag_vjp, name="imag", batched_vjp=_imag_vjp)
conj_p = linear(np.conj, _conj_vjp, name="conj", batched_vjp=_conj_vjp)
for _p in (_real_p, _imag_p, conj_p):
    _p.batched_jvps = (_p.jvps[0],)  # shape-blind: a stack of tangents goes through as it is


def real(x: Any) -> Tensor:
    """The real part (``np.real`` / ``tf.math.real``); a real tensor is returned as it is."""
    return _real_p(x)


def imag(x: Any) -> Tensor:
    """The imaginary part (``np.imag`` / ``tf.math.imag``); zeros for a real tensor."""
    return _imag_p(x)


def conj(x: Any) -> Tensor:
    """The complex conjugate (``np.conj``); a real tensor is returned as it is."""
    return conj_p(x)


# angle(z) = atan2(y, x): dL/dx = -y/|z|^2 g, dL/dy = x/|z|^2 g, so the cotangent is g i z / |z|^2.
# At z = 0 (no direction) the gradient is taken as 0, as for abs. A real x lies on the axis where
# the angle is locally constant (0 or pi): its gradient is 0. Written with real arithmetic only.
def _polar_parts(x: Any) -> tuple[Any, Any, Any]:
    re, im = _real_p(x), _imag_p(x)
    r2 = re * re + im * im
    zero = r2 == 0
    return re, im, ops.where(zero, 0, 1 / ops.where(zero, 1, r2))


def _angle_vjp(g, ans, x):
    if not _is_complex(x):
        return ops.zeros_like(x)
    re, im, inv_r2 = _polar_parts(x)
    return complex_p(-im * inv_r2 * g, re * inv_r2 * g)


def _angle_jvp(t, ans, x):
    if not _is_complex(x):
        return ops.zeros_like(ans)
    re, im, inv_r2 = _polar_parts(x)
    return (re * _imag_p(t) - im * _real_p(t)) * inv_r2


angle_p = defrule(np.angle, vjps=(_angle_vjp,), jvps=(_angle_jvp,), name="angle")
batch_by_broadcasting(angle_p)


def angle(z: Any, deg: bool = False) -> Tensor:
    """The argument of a complex number in radians (degrees with ``deg=True``), as ``np.angle``."""
    out = angle_p(z)
    return out * (180.0 / np.pi) if deg else out


def _complex_impl(re, im):
    dtype = np.result_type(re, im, np.complex64)
    out = np.asarray(re, dtype) + 1j * np.asarray(im, dtype)
    return out.astype(dtype)


# z = a + i b: dL/da = Re g, dL/db = Im g (a cotangent g carries both partials). Batched rules: a
# leading stack axis, kept by unbroadcast and lifted past the broadcast axes in the tangents.
complex_p = defrule(
    _complex_impl,
    vjps=(lambda g, ans, a, b: unbroadcast(_real_p(g), a), lambda g, ans, a, b: unbroadcast(_imag_p(g), b)),
    jvps=(
        lambda t, ans, a, b: ops.cast(t, ans.dtype),
        lambda t, ans, a, b: complex_p(ops.zeros_like(t), t),
    ),
    name="complex",
    batched_vjps=(
        lambda g, ans, a, b: unbroadcast(_real_p(g), a, 1),
        lambda g, ans, a, b: unbroadcast(_imag_p(g), b, 1),
    ),
    batched_jvps=(
        lambda t, ans, a, b: ops.cast(lift(t, ans.ndim), ans.dtype),
        lambda t, ans, a, b: complex_p(ops.zeros_like(lift(t, ans.ndim)), lift(t, ans.ndim)),
    ),
)


def complex(real: Any, imag: Any) -> Tensor:  # noqa: A001
    """``real + 1j * imag`` from two real tensors (``tf.complex``): complex128 from float64."""
    for part, what in ((real, "real"), (imag, "imag")):
        if np.iscomplexobj(part._value if isinstance(part, Tensor) else part):
            raise TypeError(f"tg.complex: the {what} part must be real, got a complex value")
    return complex_p(real, imag)


NUMPY_UFUNCS = {np.conjugate: conj_p}
NUMPY_FUNCTIONS = {np.real: real, np.imag: imag, np.angle: angle}
