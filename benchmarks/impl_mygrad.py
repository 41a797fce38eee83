"""MyGrad implementations of the workloads (NumPy-based; reverse mode, first order only)."""

from __future__ import annotations

from typing import Any

import numpy as np
import problems as P
from harness import Case, skipped

mg: Any = None
NO_HIGHER = "MyGrad has no higher-order derivatives (backward() is not differentiable)"


def configure() -> None:
    global mg
    import mygrad

    mg = mygrad


def versions() -> dict[str, str]:
    return {"mygrad": mg.__version__, "numpy": np.__version__}


def w1() -> list[Case]:
    xs = [mg.tensor(np.float64(v)) for v in P.data("W1")["x"]]
    x1, x2, x3 = xs

    def run() -> Any:
        y = 3 * (x1**2 + x2 * x3)
        y.backward()
        return y.item(), x1.grad, x2.grad, x3.grad

    return [Case("value+grad", run, "Tensor.backward()")]


def _chain(name: str) -> list[Case]:
    x = mg.tensor(P.data(name)["x"])
    reduce = name == "W3"

    def run() -> Any:
        y = x
        for _ in range(P.N_STEPS):
            y = mg.sin(y) * P.SCALE + P.SHIFT
        if reduce:
            y = mg.sum(y)
        y.backward()
        return x.grad

    return [Case("record+grad", run, "Tensor.backward()", convert=lambda g: (g,))]


def w4() -> list[Case]:
    from mygrad.nnet.activations import logsoftmax

    d = P.data("W4")
    x, onehot, lr, batch = mg.tensor(d["x"]), d["onehot"], np.float32(d["lr"]), d["x"].shape[0]

    def loss_fn(params: list) -> Any:
        w1, b1, w2, b2, w3, b3 = params
        h1 = mg.tanh(mg.matmul(x, w1) + b1)
        h2 = mg.tanh(mg.matmul(h1, w2) + b2)
        logp = logsoftmax(mg.matmul(h2, w3) + b3, axis=1)
        return -mg.sum(onehot * logp) / batch

    def fresh() -> list:
        return [mg.tensor(p.copy()) for p in d["params"]]

    def grads() -> Any:
        params = fresh()
        loss = loss_fn(params)
        loss.backward()
        return (loss.item(), *[p.grad for p in params])

    state = {"params": fresh()}

    def step() -> Any:
        params = state["params"]
        loss = loss_fn(params)
        loss.backward()
        state["params"] = [mg.tensor(p.data - lr * p.grad) for p in params]
        return loss

    initial = fresh()

    def forward() -> Any:
        with mg.no_autodiff:
            return loss_fn(initial).item()

    return [
        Case("step", step, "Tensor.backward() + NumPy SGD update, mygrad.nnet.logsoftmax", check=grads),
        Case("forward", forward, "under mygrad.no_autodiff", convert=lambda v: (v,), ref=slice(0, 1)),
    ]


def w6() -> list[Case]:
    d = P.data("W6")
    W, x = mg.tensor(d["W"]), mg.tensor(d["x"])
    basis = np.eye(d["x"].shape[0])

    def reverse() -> Any:
        rows = []
        for e in basis:  # backward() frees the graph, so each row records the forward pass again
            y = mg.tanh(mg.matmul(W, x))
            y.backward(e)
            rows.append(x.grad)
        return np.stack(rows)

    return [
        Case("reverse", reverse, "forward + backward(e_i) per row (graph is freed by backward)",
             convert=lambda j: (j,)),
        skipped("forward", "MyGrad has no forward mode"),
    ]


def w8() -> list[Case]:
    x = mg.tensor(P.data("W8")["x"])

    def plain() -> Any:
        y = x
        for _ in range(P.W8_STEPS):
            y = mg.sin(y) * P.SCALE
        mg.sum(y).backward()
        return x.grad

    return [
        Case("plain", plain, "Tensor.backward()", convert=lambda g: (g,), memory=True),
        skipped("checkpointed", "MyGrad has no checkpointing"),
    ]


def _no_higher_order(*cases: str) -> Any:
    return lambda: [skipped(c, NO_HIGHER) for c in cases]


WORKLOADS = {
    "W1": w1,
    "W2": lambda: _chain("W2"),
    "W3": lambda: _chain("W3"),
    "W4": w4,
    "W5": _no_higher_order("hessian"),
    "W6": w6,
    "W7": _no_higher_order("d1..d4"),
    "W8": w8,
}
