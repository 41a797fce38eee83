"""The NumPy floor: hand-written forward and backward passes (no automatic differentiation)."""

from __future__ import annotations

from typing import Any

import numpy as np
import problems as P
from harness import Case


def configure() -> None:
    pass


def versions() -> dict[str, str]:
    return {"numpy": np.__version__}


def w1() -> list[Case]:
    x1, x2, x3 = P.data("W1")["x"]

    def run() -> Any:
        v, g = P.w1_numpy(x1, x2, x3)
        return (v, *g)

    return [Case("value+grad", run, "hand-written derivative (Python floats)")]


def _chain(name: str) -> list[Case]:
    x = P.data(name)["x"]
    return [Case("record+grad", lambda: P.chain_numpy(x)[1], "forward loop saving inputs, then chain rule loop")]


def w4() -> list[Case]:
    d = P.data("W4")
    params = [p.copy() for p in d["params"]]  # the step updates these in place
    initial = d["params"]
    x, onehot, lr = d["x"], d["onehot"], np.float32(d["lr"])

    def step() -> Any:
        loss, grads = P.mlp_grads_numpy(params, x, onehot)
        for p, g in zip(params, grads):
            p -= lr * g
        return loss

    return [
        Case("step", step, "hand-written backward, in-place SGD",
             check=lambda: (lambda r: (r[0], *r[1]))(P.mlp_grads_numpy(params, x, onehot))),
        Case("forward", lambda: (P.mlp_forward_numpy(initial, x, onehot)[0],), "hand-written forward",
             ref=slice(0, 1)),
    ]


def w5() -> list[Case]:
    d = P.data("W5")
    return [Case("hessian", lambda: P.w5_numpy(d["A"], d["x"]), "closed form A^T diag(h'') A")]


def w6() -> list[Case]:
    d = P.data("W6")
    run = lambda: P.w6_numpy(d["W"], d["x"])  # noqa: E731
    return [Case("reverse", run, "closed form diag(1-tanh^2) W"), Case("forward", run, "closed form diag(1-tanh^2) W")]


def w7() -> list[Case]:
    x = P.data("W7")["x"]
    return [Case("d1..d4", lambda: P.w7_numpy(x), "closed forms")]


def _segment(x: np.ndarray) -> np.ndarray:
    for _ in range(P.W8_STEPS // P.W8_SEGMENTS):
        x = np.sin(x) * P.SCALE
    return x


def w8() -> list[Case]:
    x = P.data("W8")["x"]

    def checkpointed() -> np.ndarray:
        inputs = []
        y = x
        for _ in range(P.W8_SEGMENTS):  # forward keeping only each segment's input
            inputs.append(y)
            y = _segment(y)
        g = np.ones_like(x)
        for xi in reversed(inputs):  # recompute each segment, then its chain rule
            g = g * P.chain_numpy(xi, P.W8_STEPS // P.W8_SEGMENTS, None)[1]
        return g

    return [
        Case("plain", lambda: P.chain_numpy(x, P.W8_STEPS, None)[1], "saves all inputs", memory=True),
        Case("checkpointed", checkpointed, "hand-written recomputation per segment", memory=True),
    ]


WORKLOADS = {
    "W1": w1,
    "W2": lambda: _chain("W2"),
    "W3": lambda: _chain("W3"),
    "W4": w4,
    "W5": w5,
    "W6": w6,
    "W7": w7,
    "W8": w8,
}
