"""HIPS autograd implementations of the workloads (NumPy-based, like tapegrad)."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import numpy as np
import problems as P
from harness import Case

ag: Any = None
anp: Any = None


def configure() -> None:
    global ag, anp
    import autograd
    import autograd.numpy

    ag, anp = autograd, autograd.numpy


def versions() -> dict[str, str]:
    return {"autograd": version("autograd"), "numpy": np.__version__}


def w1() -> list[Case]:
    xs = tuple(np.float64(v) for v in P.data("W1")["x"])
    vg = ag.value_and_grad(lambda t: 3 * (t[0] ** 2 + t[1] * t[2]))
    return [Case("value+grad", lambda: vg(xs), "autograd.value_and_grad of a tuple argument",
                 convert=lambda r: (r[0], *r[1]))]


def _chain(name: str) -> list[Case]:
    x = P.data(name)["x"]
    reduce = name == "W3"

    def f(y: Any) -> Any:
        for _ in range(P.N_STEPS):
            y = anp.sin(y) * P.SCALE + P.SHIFT
        return anp.sum(y) if reduce else y

    g = ag.grad(f)
    return [Case("record+grad", lambda: g(x), "autograd.grad", convert=lambda v: (v,))]


def _log_softmax(z: Any) -> Any:
    z = z - np.max(z._value if hasattr(z, "_value") else z, axis=1, keepdims=True)
    return z - anp.log(anp.sum(anp.exp(z), axis=1, keepdims=True))


def w4() -> list[Case]:
    d = P.data("W4")
    x, onehot, lr, batch = d["x"], d["onehot"], np.float32(d["lr"]), d["x"].shape[0]

    def loss_fn(params: list) -> Any:
        w1, b1, w2, b2, w3, b3 = params
        h1 = anp.tanh(anp.dot(x, w1) + b1)
        h2 = anp.tanh(anp.dot(h1, w2) + b2)
        logp = _log_softmax(anp.dot(h2, w3) + b3)
        return -anp.sum(onehot * logp) / batch

    vg = ag.value_and_grad(loss_fn)
    state = {"params": [p.copy() for p in d["params"]]}

    def step() -> Any:
        loss, grads = vg(state["params"])
        state["params"] = [p - lr * g for p, g in zip(state["params"], grads)]
        return loss

    initial = [p.copy() for p in d["params"]]
    return [
        Case("step", step, "autograd.value_and_grad + NumPy SGD update (max shift as constant)",
             check=lambda: vg(initial), convert=lambda r: (r[0], *r[1])),
        Case("forward", lambda: loss_fn(initial), "plain call", convert=lambda v: (v,), ref=slice(0, 1)),
    ]


def w5() -> list[Case]:
    d = P.data("W5")
    A, x = d["A"], d["x"]
    hess = ag.hessian(lambda v: anp.sum(anp.tanh(anp.dot(A, v)) ** 2))
    return [Case("hessian", lambda: hess(x), "autograd.hessian (jacobian of jacobian, reverse)",
                 convert=lambda h: (h,))]


def w6() -> list[Case]:
    d = P.data("W6")
    W, x = d["W"], d["x"]
    f = lambda v: anp.tanh(anp.dot(W, v))  # noqa: E731
    jac = ag.jacobian(f)
    jvp_at = ag.make_jvp(f)
    basis = np.eye(x.shape[0])

    def forward() -> Any:
        push = jvp_at(x)
        return np.stack([push(e)[1] for e in basis], axis=1)

    return [
        Case("reverse", lambda: jac(x), "autograd.jacobian (one VJP per row)", convert=lambda j: (j,)),
        Case("forward", forward, "autograd.make_jvp (forward mode), one JVP per basis vector",
             convert=lambda j: (j,)),
    ]


def w7() -> list[Case]:
    x = P.data("W7")["x"]
    # autograd's grad_and_aux hands nested aux values back still boxed, so the four derivatives
    # come from four calls of nested elementwise_grad (autograd's documented way; repeats work).
    egrad = ag.elementwise_grad
    d1 = egrad(lambda v: anp.sin(v) ** 2)
    d2 = egrad(d1)
    d3 = egrad(d2)
    d4 = egrad(d3)
    return [Case("d1..d4", lambda: (d1(x), d2(x), d3(x), d4(x)), "nested autograd.elementwise_grad, 4 calls",
                 convert=tuple)]


def w8() -> list[Case]:
    x = P.data("W8")["x"]
    per_segment = P.W8_STEPS // P.W8_SEGMENTS

    def segment(y: Any) -> Any:
        for _ in range(per_segment):
            y = anp.sin(y) * P.SCALE
        return y

    def loss(v: Any, seg: Any) -> Any:
        for _ in range(P.W8_SEGMENTS):
            v = seg(v)
        return anp.sum(v)

    plain = ag.grad(lambda v: loss(v, segment))
    ckpt = ag.grad(lambda v: loss(v, ag.checkpoint(segment)))
    return [
        Case("plain", lambda: plain(x), "autograd.grad", convert=lambda g: (g,), memory=True),
        Case("checkpointed", lambda: ckpt(x), "autograd.grad with autograd.checkpoint per segment",
             convert=lambda g: (g,), memory=True),
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
