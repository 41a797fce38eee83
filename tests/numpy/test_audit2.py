"""Second adversarial audit of ``tapegrad`` and ``tapegrad.numpy``: ordinary NumPy programs (complex
branches, sample points and probabilities given as tensors, dtypes, reductions over several axes, ...)
whose value or gradient was silently wrong or missing, or which failed deep inside, each checked
against NumPy and central finite differences in float64 (along the real and the imaginary direction
of complex inputs)."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.numpy as tnp

RNG = np.random.default_rng(11)


def _fd(f, x, eps=1e-6):
    """Central differences of the real loss sum(Re f(x)) in float64, in TensorFlow's convention for
    a complex x (dL/dRe x + i dL/dIm x)."""
    x = np.array(x, dtype=np.result_type(x, np.float64))
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        for step in (1.0, 1j) if np.iscomplexobj(x) else (1.0,):
            xp, xm = x.copy(), x.copy()
            xp[i] += eps * step
            xm[i] -= eps * step
            g[i] += step * (np.sum(np.real(f(xp))) - np.sum(np.real(f(xm)))) / (2 * eps)
    return g


def _grad(f, x):
    return tg.grad(lambda t: tnp.sum(tnp.real(f(t))))(tg.constant(x)).numpy()


# ---- arccosh of a complex number left of the imaginary axis: the gradient had the wrong sign ----------
def test_complex_arccosh_gradient_in_the_left_half_plane():
    """d arccosh(z) = 1 / sqrt(z**2 - 1) flips sign where Re z < 0 (arccosh's branch has
    1 / (sqrt(z - 1) sqrt(z + 1))): reverse and forward mode were silently negated there."""
    z = np.array([-2 + 0.5j, -2 - 0.5j, -0.3 + 2j, -0.3 - 2j, 2 + 0.5j, 0.5 + 0.1j])
    np.testing.assert_allclose(_grad(tnp.arccosh, z), _fd(np.arccosh, z), rtol=1e-6, atol=1e-8)
    _, tangent = tg.jvp(tnp.arccosh, (tg.constant(z),), (tg.constant(np.ones_like(z)),))
    np.testing.assert_allclose(tangent.numpy(), 1 / (np.sqrt(z - 1) * np.sqrt(z + 1)), rtol=1e-12)
