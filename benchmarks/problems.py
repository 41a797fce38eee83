"""The benchmark workloads' data and their closed-form answers, in plain NumPy.

Every framework implementation builds its inputs from ``data(name)`` and is checked against
``reference(name)`` before it is timed. Nothing here imports a framework.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

# W2/W3: a chain of N_STEPS x [sin, *1.01, +0.1]
N_STEPS = 333
SCALE, SHIFT = 1.01, 0.1
# W8: a chain of W8_STEPS x [sin, *1.01] on a W8_SIZE-element array, checkpointed in W8_SEGMENTS
W8_STEPS, W8_SIZE, W8_SEGMENTS = 100, 1_000_000, 10
# W4: the MLP
MLP_SIZES = (784, 512, 512, 10)
MLP_BATCH = 256
MLP_LR = 0.1

WORKLOADS = {
    "W1": "value and gradient of 3*(x1**2 + x2*x3) at (2, 3, 4), float64",
    "W2": f"{N_STEPS} x [sin, *1.01, +0.1] on a float64 scalar ({3 * N_STEPS} recorded ops), then the gradient",
    "W3": f"{N_STEPS} x [sin, *1.01, +0.1] on a shape-(16,) float64 array plus a final sum "
    f"({3 * N_STEPS + 1} ops), then the gradient",
    "W4": f"MLP training step, float32, {'-'.join(map(str, MLP_SIZES))} tanh, batch {MLP_BATCH}, "
    "softmax cross-entropy, SGD",
    "W5": "full 100x100 Hessian of sum(tanh(A @ x)**2), float64",
    "W6": "full 200x200 Jacobian of tanh(W @ x), float64, reverse and forward mode",
    "W7": "1st to 4th derivative of sin(x)**2 at 1000 points by nested differentiation, float64",
    "W8": f"gradient of sum(y) through {W8_STEPS} x [sin, *1.01] on a {W8_SIZE:,}-element float64 array, "
    f"without and with checkpointing in {W8_SEGMENTS} segments: time and peak memory",
}

# the per-call unit each workload reports, and how many "ops" a call holds (for per-op units)
UNITS = {
    "W1": ("us/call", 1),
    "W2": ("us/op", 3 * N_STEPS),
    "W3": ("us/op", 3 * N_STEPS + 1),
    "W4": ("ms/call", 1),
    "W5": ("ms/call", 1),
    "W6": ("ms/call", 1),
    "W7": ("ms/call", 1),
    "W8": ("ms/call", 1),
}

# tolerances for the correctness check (relative, absolute)
TOLERANCES = {
    "W1": (1e-12, 1e-12),
    "W2": (1e-9, 1e-300),
    "W3": (1e-9, 1e-300),
    "W4": (2e-3, 2e-5),  # float32: frameworks sum in different orders
    "W5": (1e-8, 1e-10),
    "W6": (1e-10, 1e-12),
    "W7": (1e-9, 1e-9),
    "W8": (1e-9, 1e-300),
}


@cache
def data(name: str) -> dict[str, Any]:
    """The inputs of one workload (NumPy arrays; identical for every framework)."""
    rng = np.random.default_rng(int(name[1:]))
    if name == "W1":
        return {"x": (2.0, 3.0, 4.0)}
    if name == "W2":
        return {"x": np.float64(0.5)}
    if name == "W3":
        return {"x": np.linspace(-1.0, 1.0, 16)}
    if name == "W4":
        sizes = MLP_SIZES
        params = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            params.append((rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(np.float32))
            params.append(np.zeros(n_out, dtype=np.float32) + 0.01 * rng.standard_normal(n_out).astype(np.float32))
        x = rng.standard_normal((MLP_BATCH, sizes[0])).astype(np.float32)
        labels = rng.integers(0, sizes[-1], MLP_BATCH)
        onehot = np.eye(sizes[-1], dtype=np.float32)[labels]
        return {"params": params, "x": x, "onehot": onehot, "lr": MLP_LR}
    if name == "W5":
        n = 100
        return {"A": rng.standard_normal((n, n)) / np.sqrt(n), "x": rng.standard_normal(n)}
    if name == "W6":
        n = 200
        return {"W": rng.standard_normal((n, n)) / np.sqrt(n), "x": rng.standard_normal(n)}
    if name == "W7":
        return {"x": np.linspace(-2 * np.pi, 2 * np.pi, 1000)}
    if name == "W8":
        return {"x": rng.uniform(-1.0, 1.0, W8_SIZE)}
    raise KeyError(name)


# ---- hand-written NumPy: the closed forms, also timed as the "NumPy floor" --------------------
def w1_numpy(x1: float, x2: float, x3: float) -> tuple[float, tuple[float, float, float]]:
    return 3 * (x1**2 + x2 * x3), (6 * x1, 3 * x3, 3 * x2)


def chain_numpy(x: Any, steps: int = N_STEPS, shift: float | None = SHIFT) -> tuple[Any, Any]:
    """Forward through steps x [sin, *SCALE, (+shift)], then the chain rule backwards: (y, dy/dx)."""
    saved = []
    for _ in range(steps):
        saved.append(x)
        x = np.sin(x) * SCALE
        if shift is not None:
            x = x + shift
    g = np.ones_like(x)
    for xi in reversed(saved):
        g = g * SCALE * np.cos(xi)
    return x, g


def mlp_forward_numpy(params: list, x: np.ndarray, onehot: np.ndarray) -> tuple[np.float32, list]:
    """Loss and the activations the backward pass needs."""
    w1, b1, w2, b2, w3, b3 = params
    h1 = np.tanh(x @ w1 + b1)
    h2 = np.tanh(h1 @ w2 + b2)
    z = h2 @ w3 + b3
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = -(onehot * logp).sum() / x.shape[0]
    return loss, [h1, h2, logp]


def mlp_grads_numpy(params: list, x: np.ndarray, onehot: np.ndarray) -> tuple[np.float32, list]:
    """Loss and the hand-written gradient of every parameter (float32 throughout)."""
    w1, b1, w2, b2, w3, b3 = params
    loss, (h1, h2, logp) = mlp_forward_numpy(params, x, onehot)
    dz = (np.exp(logp) - onehot) / np.float32(x.shape[0])
    dw3, db3 = h2.T @ dz, dz.sum(axis=0)
    da2 = (dz @ w3.T) * (1 - h2 * h2)
    dw2, db2 = h1.T @ da2, da2.sum(axis=0)
    da1 = (da2 @ w2.T) * (1 - h1 * h1)
    dw1, db1 = x.T @ da1, da1.sum(axis=0)
    return loss, [dw1, db1, dw2, db2, dw3, db3]


def w5_numpy(A: np.ndarray, x: np.ndarray) -> np.ndarray:
    t = np.tanh(A @ x)
    return A.T @ (((2 - 6 * t * t) * (1 - t * t))[:, None] * A)


def w6_numpy(W: np.ndarray, x: np.ndarray) -> np.ndarray:
    t = np.tanh(W @ x)
    return (1 - t * t)[:, None] * W


def w7_numpy(x: np.ndarray) -> tuple[np.ndarray, ...]:
    s, c = np.sin(2 * x), np.cos(2 * x)
    return s, 2 * c, -4 * s, -8 * c


@cache
def _reference(name: str) -> tuple:
    d = data(name)
    if name == "W1":
        v, g = w1_numpy(*d["x"])
        return (np.float64(v), *map(np.float64, g))
    if name == "W2":
        y, g = chain_numpy(d["x"])
        return (np.float64(g),)
    if name == "W3":
        y, g = chain_numpy(d["x"])
        return (g,)
    if name == "W4":
        loss, grads = mlp_grads_numpy(d["params"], d["x"], d["onehot"])
        return (loss, *grads)
    if name == "W5":
        return (w5_numpy(d["A"], d["x"]),)
    if name == "W6":
        return (w6_numpy(d["W"], d["x"]),)
    if name == "W7":
        return w7_numpy(d["x"])
    if name == "W8":
        y, g = chain_numpy(d["x"], W8_STEPS, None)
        return (g,)
    raise KeyError(name)


def reference(name: str) -> tuple:
    """The closed-form answer a framework's check result must match, as a tuple of arrays."""
    return _reference(name)


def check(name: str, got: Any, want: tuple | None = None) -> str | None:
    """None if ``got`` (a tuple of array-likes) matches ``want`` (default: the whole reference)."""
    want = reference(name) if want is None else want
    got = tuple(got) if isinstance(got, (tuple, list)) else (got,)
    if len(got) != len(want):
        return f"expected {len(want)} results, got {len(got)}"
    rtol, atol = TOLERANCES[name]
    for i, (g, w) in enumerate(zip(got, want)):
        g = np.asarray(g)
        if g.shape != np.shape(w):
            return f"result {i}: shape {g.shape}, expected {np.shape(w)}"
        if not np.all(np.isfinite(g)):
            return f"result {i}: not finite"
        if not np.allclose(g, w, rtol=rtol, atol=atol):
            err = np.max(np.abs(g - w) / (atol + rtol * np.abs(w)))
            return f"result {i}: off by {err:.3g} x tolerance (rtol={rtol}, atol={atol})"
    return None
