"""What NumPy code run on tensors must equal, for the NumPy audits: NumPy's own values (bit for bit)
and, for its gradients, central differences."""

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


def same_as_numpy(got: Any, want: Any) -> None:
    """Same values bit for bit (NaNs in the same places), same dtype, same shape."""
    want = np.asarray(want)
    got = np.asarray(got.numpy() if hasattr(got, "numpy") else got)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_array_equal(got, want)
