"""PyTorch (CPU, eager) implementations of the workloads."""

from __future__ import annotations

from typing import Any

import numpy as np
import problems as P
from harness import Case

torch: Any = None


def configure() -> None:
    global torch
    import torch as _torch

    torch = _torch
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set (only allowed once per process)
        pass


def versions() -> dict[str, str]:
    return {"torch": torch.__version__, "numpy": np.__version__, "threads": str(torch.get_num_threads())}


def _np(t: Any) -> Any:
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


def _t(a: Any, grad: bool = False) -> Any:
    return torch.tensor(np.asarray(a), requires_grad=grad)


def w1() -> list[Case]:
    xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in P.data("W1")["x"]]
    x1, x2, x3 = xs

    def run() -> Any:
        y = 3 * (x1**2 + x2 * x3)
        return y, torch.autograd.grad(y, xs)

    return [Case("value+grad", run, "torch.autograd.grad", convert=lambda r: (_np(r[0]), *map(_np, r[1])))]


def _chain(name: str) -> list[Case]:
    x = _t(P.data(name)["x"], grad=True)
    reduce = name == "W3"

    def run() -> Any:
        y = x
        for _ in range(P.N_STEPS):
            y = torch.sin(y) * P.SCALE + P.SHIFT
        if reduce:
            y = torch.sum(y)
        return torch.autograd.grad(y, x)[0]

    return [Case("record+grad", run, "torch.autograd.grad", convert=lambda g: (_np(g),))]


def w4() -> list[Case]:
    d = P.data("W4")
    x, onehot, lr, batch = _t(d["x"]), _t(d["onehot"]), d["lr"], d["x"].shape[0]

    def loss_fn(params: list) -> Any:
        w1, b1, w2, b2, w3, b3 = params
        h1 = torch.tanh(x @ w1 + b1)
        h2 = torch.tanh(h1 @ w2 + b2)
        logp = torch.log_softmax(h2 @ w3 + b3, dim=1)
        return -torch.sum(onehot * logp) / batch

    def fresh() -> list:
        return [_t(p.copy(), grad=True) for p in d["params"]]

    def grads() -> Any:
        params = fresh()
        loss = loss_fn(params)
        return loss, torch.autograd.grad(loss, params)

    params = fresh()
    opt = torch.optim.SGD(params, lr=lr)

    def step() -> Any:
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(params)
        loss.backward()
        opt.step()
        return loss

    initial = fresh()

    def forward() -> Any:
        with torch.no_grad():
            return loss_fn(initial)

    return [
        Case("step", step, "loss.backward() + torch.optim.SGD", check=grads,
             convert=lambda r: (_np(r[0]), *map(_np, r[1]))),
        Case("forward", forward, "under torch.no_grad()", convert=lambda v: (_np(v),), ref=slice(0, 1)),
    ]


def w5() -> list[Case]:
    d = P.data("W5")
    A, x = _t(d["A"]), _t(d["x"])
    f = lambda v: torch.sum(torch.tanh(A @ v) ** 2)  # noqa: E731
    hess = torch.func.hessian(f)
    return [Case("hessian", lambda: hess(x), "torch.func.hessian (jacfwd of jacrev, vmapped)",
                 convert=lambda h: (_np(h),))]


def w6() -> list[Case]:
    d = P.data("W6")
    W, x = _t(d["W"]), _t(d["x"])
    f = lambda v: torch.tanh(W @ v)  # noqa: E731
    rev, fwd = torch.func.jacrev(f), torch.func.jacfwd(f)
    return [
        Case("reverse", lambda: rev(x), "torch.func.jacrev (vmapped VJPs)", convert=lambda j: (_np(j),)),
        Case("forward", lambda: fwd(x), "torch.func.jacfwd (vmapped JVPs)", convert=lambda j: (_np(j),)),
    ]


def w7() -> list[Case]:
    x = _t(P.data("W7")["x"], grad=True)
    grad = torch.autograd.grad

    def run() -> Any:
        y = torch.sin(x) ** 2
        (d1,) = grad(y.sum(), x, create_graph=True)
        (d2,) = grad(d1.sum(), x, create_graph=True)
        (d3,) = grad(d2.sum(), x, create_graph=True)
        (d4,) = grad(d3.sum(), x)
        return d1, d2, d3, d4

    return [Case("d1..d4", run, "nested torch.autograd.grad(create_graph=True)",
                 convert=lambda ds: tuple(map(_np, ds)))]


def w8() -> list[Case]:
    from torch.utils.checkpoint import checkpoint

    x = _t(P.data("W8")["x"], grad=True)
    per_segment = P.W8_STEPS // P.W8_SEGMENTS

    def segment(y: Any) -> Any:
        for _ in range(per_segment):
            y = torch.sin(y) * P.SCALE
        return y

    def run(ckpt: bool) -> Any:
        y = x
        for _ in range(P.W8_SEGMENTS):
            y = checkpoint(segment, y, use_reentrant=False) if ckpt else segment(y)
        return torch.autograd.grad(torch.sum(y), x)[0]

    convert = lambda g: (_np(g),)  # noqa: E731
    return [
        Case("plain", lambda: run(False), "torch.autograd.grad", convert=convert, memory=True),
        Case("checkpointed", lambda: run(True), "torch.utils.checkpoint(use_reentrant=False)", convert=convert,
             memory=True),
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
