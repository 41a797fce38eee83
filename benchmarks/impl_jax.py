"""JAX implementations of the workloads: eager (op by op) or, with ``jit=True``, compiled by XLA."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import problems as P
from harness import Case

jax: Any = None
jnp: Any = None
JIT = False


def configure(jit: bool = False) -> None:
    global jax, jnp, JIT
    import jax as _jax

    _jax.config.update("jax_enable_x64", True)
    _jax.config.update("jax_platforms", "cpu")
    import jax.numpy as _jnp

    jax, jnp, JIT = _jax, _jnp, jit


def versions() -> dict[str, str]:
    import jaxlib

    return {"jax": jax.__version__, "jaxlib": jaxlib.__version__, "numpy": np.__version__,
            "mode": "jax.jit" if JIT else "eager (no jit)", "devices": str(jax.devices())}


def _ready(fn: Callable, *args: Any) -> Callable[[], Any]:
    """``fn(*args)``, compiled with jax.jit in jit mode, waiting for the result (JAX dispatches
    asynchronously). The data go in as arguments: closed-over arrays would be constant-folded by XLA."""
    fn = jax.jit(fn) if JIT else fn
    return lambda: jax.block_until_ready(fn(*args))


def _mode(text: str) -> str:
    return f"jax.jit({text})" if JIT else text


def _np(t: Any) -> Any:
    return np.asarray(t)


def w1() -> list[Case]:
    x1, x2, x3 = (jnp.asarray(np.float64(v)) for v in P.data("W1")["x"])
    vg = jax.value_and_grad(lambda a, b, c: 3 * (a**2 + b * c), argnums=(0, 1, 2))
    return [Case("value+grad", _ready(vg, x1, x2, x3), _mode("jax.value_and_grad(argnums=(0,1,2))"),
                 convert=lambda r: (_np(r[0]), *map(_np, r[1])))]


def _chain(name: str) -> list[Case]:
    x = jnp.asarray(P.data(name)["x"])
    reduce = name == "W3"

    def f(y: Any) -> Any:
        for _ in range(P.N_STEPS):
            y = jnp.sin(y) * P.SCALE + P.SHIFT
        return jnp.sum(y) if reduce else y

    g = jax.grad(f)
    return [Case("record+grad", _ready(g, x), _mode("jax.grad"), convert=lambda v: (_np(v),))]


def w4() -> list[Case]:
    d = P.data("W4")
    x, onehot, lr, batch = jnp.asarray(d["x"]), jnp.asarray(d["onehot"]), d["lr"], d["x"].shape[0]

    def loss_fn(params: list, x: Any, onehot: Any) -> Any:
        w1, b1, w2, b2, w3, b3 = params
        h1 = jnp.tanh(x @ w1 + b1)
        h2 = jnp.tanh(h1 @ w2 + b2)
        logp = jax.nn.log_softmax(h2 @ w3 + b3, axis=1)
        return -jnp.sum(onehot * logp) / batch

    vg = jax.value_and_grad(loss_fn)

    def update(params: list, x: Any, onehot: Any) -> Any:
        loss, grads = vg(params, x, onehot)
        return loss, [p - lr * g for p, g in zip(params, grads)]

    update_fn = jax.jit(update) if JIT else update
    forward_fn = jax.jit(loss_fn) if JIT else loss_fn
    state = {"params": [jnp.asarray(p) for p in d["params"]]}
    initial = [jnp.asarray(p) for p in d["params"]]

    def step() -> Any:
        loss, state["params"] = update_fn(state["params"], x, onehot)
        return jax.block_until_ready(loss)

    grads_fn = jax.jit(vg) if JIT else vg
    return [
        Case("step", step, _mode("jax.value_and_grad + functional SGD update"),
             check=lambda: grads_fn(initial, x, onehot), convert=lambda r: (_np(r[0]), *map(_np, r[1]))),
        Case("forward", lambda: jax.block_until_ready(forward_fn(initial, x, onehot)), _mode("loss function"),
             convert=lambda v: (_np(v),), ref=slice(0, 1)),
    ]


def w5() -> list[Case]:
    d = P.data("W5")
    A, x = jnp.asarray(d["A"]), jnp.asarray(d["x"])
    hess = jax.hessian(lambda v, a: jnp.sum(jnp.tanh(a @ v) ** 2))
    return [Case("hessian", _ready(hess, x, A), _mode("jax.hessian (jacfwd of jacrev)"),
                 convert=lambda h: (_np(h),))]


def w6() -> list[Case]:
    d = P.data("W6")
    W, x = jnp.asarray(d["W"]), jnp.asarray(d["x"])
    f = lambda v, w: jnp.tanh(w @ v)  # noqa: E731
    rev, fwd = jax.jacrev(f), jax.jacfwd(f)
    return [
        Case("reverse", _ready(rev, x, W), _mode("jax.jacrev (vmapped VJPs)"), convert=lambda j: (_np(j),)),
        Case("forward", _ready(fwd, x, W), _mode("jax.jacfwd (vmapped JVPs)"), convert=lambda j: (_np(j),)),
    ]


def w7() -> list[Case]:
    x = jnp.asarray(P.data("W7")["x"])
    s0 = lambda v: jnp.sum(jnp.sin(v) ** 2)  # noqa: E731

    def s1(v: Any) -> Any:
        d = jax.grad(s0)(v)
        return jnp.sum(d), (d,)

    def s2(v: Any) -> Any:
        d, aux = jax.grad(s1, has_aux=True)(v)
        return jnp.sum(d), (*aux, d)

    def s3(v: Any) -> Any:
        d, aux = jax.grad(s2, has_aux=True)(v)
        return jnp.sum(d), (*aux, d)

    def run(v: Any) -> Any:
        d4, aux = jax.grad(s3, has_aux=True)(v)
        return (*aux, d4)

    return [Case("d1..d4", _ready(run, x), _mode("nested jax.grad(has_aux=True), one nest"),
                 convert=lambda ds: tuple(map(_np, ds)))]


def w8() -> list[Case]:
    x = jnp.asarray(P.data("W8")["x"])
    per_segment = P.W8_STEPS // P.W8_SEGMENTS

    def segment(y: Any) -> Any:
        for _ in range(per_segment):
            y = jnp.sin(y) * P.SCALE
        return y

    def loss(v: Any, seg: Callable) -> Any:
        for _ in range(P.W8_SEGMENTS):
            v = seg(v)
        return jnp.sum(v)

    plain = jax.grad(lambda v: loss(v, segment))
    ckpt = jax.grad(lambda v: loss(v, jax.checkpoint(segment)))
    convert = lambda g: (_np(g),)  # noqa: E731
    return [
        Case("plain", _ready(plain, x), _mode("jax.grad"), convert=convert, memory=True),
        Case("checkpointed", _ready(ckpt, x), _mode("jax.grad with jax.checkpoint per segment"),
             convert=convert, memory=True),
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
