"""examples/numpy_science.py: its printed numbers against independent computations in plain NumPy
(closed forms and central finite differences), never against copies of its own output."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def _run() -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-W", "error", str(ROOT / "examples" / "numpy_science.py")],
                          capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert not proc.stderr
    return proc.stdout


def _numbers(out: str, label: str) -> np.ndarray:
    line = next(ln for ln in out.splitlines() if ln.startswith(label))
    return np.array([float(v) for v in re.findall(r"-?\d+\.\d+(?:e[-+]\d+)?", line[len(label):])])


def _central(f, x, index, h=1e-6):
    xp, xm = x.copy(), x.copy()
    xp[index] += h
    xm[index] -= h
    return (f(xp) - f(xm)) / (2 * h)


def test_numpy_science_prints_independently_checked_numbers():
    out = _run()
    rng = np.random.default_rng(7)
    # 1. least squares: NumPy's lstsq, pinv's row sums, finite differences through NumPy's SVD
    t = np.linspace(0.0, 1.0, 20)
    X = np.stack([np.ones(20), t, t**2], axis=1)  # noqa: N806
    y = 1.0 + 2.0 * t - 3.0 * t**2 + 0.05 * rng.standard_normal(20)
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(_numbers(out, "least squares coefficients:"), beta, atol=1e-6)
    np.testing.assert_allclose(_numbers(out, "svd coefficients:"), beta, atol=1e-6)
    np.testing.assert_allclose(_numbers(out, "d(sum of coefficients)/dy[:4]:"),
                               np.linalg.pinv(X).sum(axis=0)[:4], atol=1e-8)

    def size(Xm):  # noqa: N803
        u, s, vt = np.linalg.svd(Xm, full_matrices=False)
        return np.sum((vt.T @ ((u.T @ y) / s)) ** 2)

    np.testing.assert_allclose(_numbers(out, "d|beta|^2/dX[3, 2]:"), _central(size, X, (3, 2)), rtol=1e-6)
    # 2. smoothing: the gradient in closed form (Parseval), the minimiser in Fourier space
    n, lam = 64, 1e-3
    grid = np.arange(n) / n
    data = np.sin(2 * np.pi * 3 * grid) + 0.3 * rng.standard_normal(n)
    k2 = np.fft.fftfreq(n, 1.0 / n) ** 2
    spectrum = np.fft.fft(data)
    loss = lam * np.sum(np.abs(spectrum) ** 2 * k2) / n
    grad = 2 * lam * np.real(np.fft.ifft(k2 * spectrum))
    np.testing.assert_allclose(_numbers(out, "smoothing loss at the data:"), [loss, np.linalg.norm(grad)],
                               rtol=1e-7)
    assert _numbers(out, "gradient descent vs closed-form minimiser: max difference")[0] < 1e-10
    smoothed = np.real(np.fft.ifft(spectrum / (1 + lam * k2)))
    np.testing.assert_allclose(_numbers(out, "smoothed value at t=0.25:"), [smoothed[16]], atol=1e-8)
    # 3. complex signal: the analytic signal and the loss's derivatives by finite differences
    m = 128
    time = np.arange(m) / m
    chirp = np.cos(2 * np.pi * (5 * time + 10 * time**2)) * np.exp(-((time - 0.5) ** 2) / 0.08)
    h = np.zeros(m)
    h[0], h[1 : m // 2], h[m // 2] = 1.0, 2.0, 1.0

    def envelope_loss(x):
        z = np.fft.ifft(np.fft.fft(x) * h)
        return np.mean(np.abs(z)) + 0.1 * np.mean(np.cos(np.angle(z)))

    assert np.allclose(np.real(np.fft.ifft(np.fft.fft(chirp) * h)), chirp)  # the analytic signal's real part
    np.testing.assert_allclose(_numbers(out, "analytic signal: peak envelope"),
                               [np.max(np.abs(np.fft.ifft(np.fft.fft(chirp) * h)))], atol=1e-8)
    printed = _numbers(out, "envelope loss:")
    np.testing.assert_allclose(printed[0], envelope_loss(chirp), atol=1e-8)
    np.testing.assert_allclose(printed[1], _central(envelope_loss, chirp, 40), atol=1e-7)
    np.testing.assert_allclose(printed[2], _central(envelope_loss, chirp, 64), atol=1e-7)
