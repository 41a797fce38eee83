"""A scientist's NumPy program, differentiated as written: `import tapegrad.numpy as np`.

Three small analyses, each with exact derivatives from `tg.grad`:
  1. a least-squares fit (normal equations with linalg.solve, and the SVD), and how the fitted
     coefficients move with the data and with the design matrix;
  2. an FFT-based smoothing loss (data fidelity plus a high-frequency penalty in Fourier space),
     minimised by gradient descent and compared with its closed-form minimiser;
  3. a complex signal: the analytic signal of a chirp (FFT, one-sided spectrum, inverse FFT), its
     envelope and phase, and the gradient of a loss on them.

Run: python examples/numpy_science.py
"""

import numpy as onp  # plain NumPy, only to make the data

import tapegrad as tg
import tapegrad.numpy as np

rng = onp.random.default_rng(7)

# ---- 1. least squares ---------------------------------------------------------------------------
t = np.linspace(0.0, 1.0, 20)
X = np.stack([np.ones(20), t, t**2], axis=1)  # design matrix: 1, t, t^2
y = np.array(1.0 + 2.0 * t.numpy() - 3.0 * t.numpy() ** 2 + 0.05 * rng.standard_normal(20))


def fit_solve(y):
    return np.linalg.solve(X.T @ X, X.T @ y)  # normal equations


def fit_svd(X, y):
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    return Vt.T @ ((U.T @ y) / s)


beta = fit_solve(y)
print("least squares coefficients:", onp.array2string(beta.numpy(), precision=6))
print("svd coefficients:", onp.array2string(fit_svd(X, y).numpy(), precision=6))
# how the sum of the coefficients moves with each data point (a row sum of pinv(X))
dsum_dy = tg.grad(lambda y: np.sum(fit_solve(y)))(y)
print("d(sum of coefficients)/dy[:4]:", onp.array2string(dsum_dy.numpy()[:4], precision=8))
# how the size of the SVD solution moves with the design matrix (through the SVD's rule)
dnorm_dX = tg.grad(lambda X: np.sum(fit_svd(X, y) ** 2))(X)
print(f"d|beta|^2/dX[3, 2]: {float(dnorm_dX[3, 2]):.8f}")

# ---- 2. FFT-based smoothing ------------------------------------------------------------------------
n, lam = 64, 1e-3
grid = onp.arange(n) / n
data = np.array(onp.sin(2 * onp.pi * 3 * grid) + 0.3 * rng.standard_normal(n))
k2 = np.fft.fftfreq(n, 1.0 / n) ** 2  # squared wave numbers


def smoothing_loss(f):
    F = np.fft.fft(f)
    roughness = np.sum((F.real**2 + F.imag**2) * k2) / n
    return np.sum((f - data) ** 2) + lam * roughness


loss_and_grad = tg.value_and_grad(smoothing_loss)
f = data
value, g = loss_and_grad(f)
print(f"smoothing loss at the data: {float(value):.8f}, gradient norm: {float(np.linalg.norm(g)):.8f}")
step = 1.0 / (2.0 * (1.0 + lam * float(np.max(k2))))  # 1 / Lipschitz constant of the gradient
for _ in range(200):
    f = f - step * tg.grad(smoothing_loss)(f)
closed_form = np.fft.ifft(np.fft.fft(data) / (1.0 + lam * k2)).real
print(f"gradient descent vs closed-form minimiser: max difference {float(np.max(np.abs(f - closed_form))):.2e}")
print(f"smoothed value at t=0.25: {float(f[16]):.8f}")

# ---- 3. a complex signal ------------------------------------------------------------------------
m = 128
time = onp.arange(m) / m
chirp = np.array(onp.cos(2 * onp.pi * (5 * time + 10 * time**2)) * onp.exp(-((time - 0.5) ** 2) / 0.08))
h = onp.zeros(m)
h[0], h[1 : m // 2], h[m // 2] = 1.0, 2.0, 1.0  # one-sided spectrum: the analytic signal


def analytic(x):
    return np.fft.ifft(np.fft.fft(x) * h)


def envelope_loss(x):
    z = analytic(x)
    envelope = np.sqrt(z.real**2 + z.imag**2)
    phase = np.angle(z)
    return np.mean(envelope) + 0.1 * np.mean(np.cos(phase))


z = analytic(chirp)
print(f"analytic signal: peak envelope {float(np.max(np.abs(z))):.8f}")
g = tg.grad(envelope_loss)(chirp)
print(f"envelope loss: {float(envelope_loss(chirp)):.8f}, d/dx[40]: {float(g[40]):.8f}, d/dx[64]: {float(g[64]):.8f}")
