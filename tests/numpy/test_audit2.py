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


# ---- sample points, levels and constants given as tensors: their gradient was silently None/zero -----
def test_interp_is_differentiable_in_its_sample_points():
    """np.interp(x, xp, fp) with a tensor xp read xp's values and dropped its gradient (a silent zero)."""
    xp = np.array([-2.0, -0.5, 0.3, 1.0, 2.5])
    fp = RNG.normal(size=5)
    x = np.array([-2.5, -1.0, 0.1, 0.6, 1.7, 3.0])
    np.testing.assert_allclose(
        _grad(lambda t: tnp.interp(x, t, fp), xp), _fd(lambda a: np.interp(x, a, fp), xp), rtol=1e-6, atol=1e-8
    )
    np.testing.assert_allclose(tnp.interp(x, tg.constant(xp), fp).numpy(), np.interp(x, xp, fp), rtol=1e-15)


@pytest.mark.parametrize("name", ["quantile", "percentile", "nanquantile", "nanpercentile"])
def test_quantile_is_differentiable_in_q(name):
    """The level q of (nan)quantile/(nan)percentile, given as a tensor, had a None gradient."""
    a = RNG.permutation(12).reshape(3, 4) * 0.37 + 0.1
    a[1, 2] = np.nan if name.startswith("nan") else a[1, 2]
    scale = 100.0 if "percentile" in name else 1.0
    q = np.array([0.3, 0.45]) * scale

    def f(mod, t):
        return getattr(mod, name)(a, t, axis=1)

    np.testing.assert_allclose(f(tnp, tg.constant(q)).numpy(), f(np, q), rtol=1e-14)
    np.testing.assert_allclose(_grad(lambda t: f(tnp, t), q), _fd(lambda v: f(np, v), q), rtol=1e-6)


def test_polyint_is_differentiable_in_its_integration_constants():
    """np.polyint(p, m, k=k) with a tensor k (or a list holding one) dropped k's gradient."""
    p, k = RNG.normal(size=4), RNG.normal(size=2)
    np.testing.assert_allclose(
        _grad(lambda t: tnp.polyint(p, 2, k=t) * np.arange(1.0, 7.0), k),
        _fd(lambda v: np.polyint(p, 2, k=v) * np.arange(1.0, 7.0), k),
        rtol=1e-6,
    )
    g = tg.grad(lambda t: tnp.sum(tnp.polyint(p, 2, k=[1.0, t])))(tg.constant(0.5))
    assert g.numpy() == 1.0
