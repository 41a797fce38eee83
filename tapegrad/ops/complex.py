"""complex(re, im): a complex tensor from two real ones (TensorFlow's ``tf.complex``).

(real, imag, conj and angle are in ops/elementwise.py.) Convention: the gradient users see is
TensorFlow's (for a real loss L of z = x + iy it is dL/dx + i dL/dy). Internally, as every rule of
the table, the rules are transposes of their JVPs for the bilinear pairing Re(sum(a * b)) (JAX's);
the walk conjugates only the seed and the result (tapegrad/backward.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tapegrad._primitive import defrule, unbroadcast
from tapegrad._tensor import Tensor, ops
from tapegrad.batching import broadcasting

__all__ = ["complex"]


def _complex_impl(re, im):
    dtype = np.result_type(re, im, np.complex64)
    out = np.asarray(re, dtype) + 1j * np.asarray(im, dtype)
    return out.astype(dtype)


# z = a + i b: Re(g dz) = Re(g) da - Im(g) db, so the transposes are Re g and -Im g.
complex_p = defrule(
    _complex_impl,
    vjps=(lambda g, _ans, a, _b: unbroadcast(ops.real(g), a), lambda g, _ans, _a, b: unbroadcast(-ops.imag(g), b)),
    jvps=(
        lambda t, _ans, _a, _b: ops.cast(t, _ans.dtype),
        lambda t, _ans, _a, _b: complex_p(ops.zeros_like(t), t),
    ),
    name="complex", complex=True,
    batch=broadcasting,
)


def complex(real: Any, imag: Any) -> Tensor:  # noqa: A001
    """``real + 1j * imag`` from two real tensors (``tf.complex``): complex128 from float64."""
    for part, what in ((real, "real"), (imag, "imag")):
        if np.iscomplexobj(part._value if isinstance(part, Tensor) else part):
            raise TypeError(f"tg.complex: the {what} part must be real, got a complex value")
    return complex_p(real, imag)
