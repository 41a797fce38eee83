"""Central differences for the NumPy audits: what a gradient of NumPy code must equal."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np


def central_differences(f: Callable[[np.ndarray], Any], x: Any, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the real loss sum(Re f(x)) in float64, in TensorFlow's convention for
    a complex x (dL/dRe x + i dL/dIm x)."""
    x = np.array(x, dtype=np.result_type(x, np.float64))
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        for step in (1.0, 1j) if np.iscomplexobj(x) else (1.0,):
            xp, xm = x.copy(), x.copy()
            xp[i] += eps * step
            xm[i] -= eps * step
            g[i] += step * (np.sum(np.real(np.asarray(f(xp)))) - np.sum(np.real(np.asarray(f(xm))))) / (2 * eps)
    return g
