"""complex(re, im): a complex tensor from two real ones (TensorFlow's ``tf.complex``).

(real, imag, conj and angle are in ops/elementwise.py.) Convention: the gradient users see is
TensorFlow's (for a real loss L of z = x + iy it is dL/dx + i dL/dy). Internally, as every rule of
the table, the rules are transposes of their JVPs for the bilinear pairing Re(sum(a * b)) (JAX's);
the walk conjugates only the seed and the result (tapegrad/backward.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapegrad._primitive import defrule, lift, unbroadcast
from tapegrad._tensor import Tensor, ops

__all__ = ["complex"]


def _complex_impl(re, im):
    dtype = np.result_type(re, im, np.complex64)
    out = np.asarray(re, dtype) + 1j * np.asarray(im, dtype)
    return out.astype(dtype)


# z = a + i b: Re(g dz) = Re(g) da - Im(g) db, so the transposes are Re g and -Im g. Batched rules:
# a leading stack axis, kept by unbroadcast and lifted past the broadcast axes in the tangents.
complex_p = defrule(
    _complex_impl,
    vjps=(lambda g, ans, a, b: unbroadcast(ops.real(g), a), lambda g, ans, a, b: unbroadcast(-ops.imag(g), b)),
    jvps=(
        lambda t, ans, a, b: ops.cast(t, ans.dtype),
        lambda t, ans, a, b: complex_p(ops.zeros_like(t), t),
    ),
    name="complex",
    batched_vjps=(
        lambda g, ans, a, b: unbroadcast(ops.real(g), a, 1),
        lambda g, ans, a, b: unbroadcast(-ops.imag(g), b, 1),
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
