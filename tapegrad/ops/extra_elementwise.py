"""Elementwise ops NumPy has beyond tapegrad's core set: fmod, logaddexp2, sinc, copysign.

(fmax, fmin, heaviside, nan_to_num, deg2rad and friends are exact compositions of existing ops in
``tapegrad.numpy``.) Partials are written in tapegrad ops, so they differentiate again.
"""

from __future__ import annotations

import math

import numpy as np

from tapegrad._primitive import elementwise
from tapegrad._tensor import ops

__all__: list[str] = []

# fmod(x, y) = x - y trunc(x / y): d/dx = 1, d/dy = -trunc(x / y), recovered exactly from the answer
fmod = elementwise(
    np.fmod,
    lambda ans, x, y: ops.ones_like(ans),
    lambda ans, x, y: -ops.round((x - ans) / y),
    name="fmod", complex=False,
)
logaddexp2 = elementwise(
    np.logaddexp2,
    lambda ans, x, y: ops.exp2(x - ans),
    lambda ans, x, y: ops.exp2(y - ans),
    name="logaddexp2", complex=False,
)


# sinc(x) = sin(pi x) / (pi x): sinc'(x) = (cos(pi x) - sinc(x)) / x, which tends to 0 at x = 0 (the
# double where keeps the masked branch finite, so higher orders are finite too)
def _sinc_d(ans, x):
    zero = x == 0
    safe = ops.where(zero, 1, x)
    return ops.where(zero, 0, (ops.cos(math.pi * safe) - sinc_p(safe)) / safe)


sinc_p = elementwise(np.sinc, _sinc_d, name="sinc")
# copysign(x, y) = |x| sign(y): d/dx = +1 where the signs agree, -1 where they differ; d/dy = 0
copysign = elementwise(
    np.copysign,
    lambda ans, x, y: ops.where(ans == x, ops.ones_like(ans), -ops.ones_like(ans)),
    lambda ans, x, y: ops.zeros_like(ans),
    name="copysign", complex=False,
)

NUMPY_UFUNCS = {np.fmod: fmod, np.logaddexp2: logaddexp2, np.copysign: copysign}
NUMPY_FUNCTIONS = {np.sinc: sinc_p}
