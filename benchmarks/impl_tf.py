"""TensorFlow implementations of the workloads: eager, or with ``function=True`` inside tf.function."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import problems as P
from harness import Case

tf: Any = None
FUNCTION = False


def configure(function: bool = False) -> None:
    global tf, FUNCTION
    import tensorflow as _tf

    _tf.config.threading.set_intra_op_parallelism_threads(1)
    _tf.config.threading.set_inter_op_parallelism_threads(1)
    _tf.config.set_visible_devices([], "GPU")
    tf, FUNCTION = _tf, function


def versions() -> dict[str, str]:
    return {"tensorflow": tf.__version__, "numpy": np.__version__,
            "mode": "tf.function" if FUNCTION else "eager",
            "threads": f"intra {tf.config.threading.get_intra_op_parallelism_threads()}, "
            f"inter {tf.config.threading.get_inter_op_parallelism_threads()}"}


def _fn(fn: Callable) -> Callable:
    """In function mode, the traced graph (traced once on the first call, with the data as arguments)."""
    return tf.function(fn) if FUNCTION else fn


def _mode(text: str) -> str:
    return f"tf.function({text})" if FUNCTION else text


def _np(t: Any) -> Any:
    return t.numpy() if hasattr(t, "numpy") else np.asarray(t)


def _c(a: Any) -> Any:
    return tf.constant(np.asarray(a))


def w1() -> list[Case]:
    xs = [tf.constant(np.float64(v)) for v in P.data("W1")["x"]]

    def run(x1: Any, x2: Any, x3: Any) -> Any:
        with tf.GradientTape() as tape:
            tape.watch([x1, x2, x3])
            y = 3 * (x1**2 + x2 * x3)
        return y, tape.gradient(y, [x1, x2, x3])

    fn = _fn(run)
    return [Case("value+grad", lambda: fn(*xs), _mode("tf.GradientTape"),
                 convert=lambda r: (_np(r[0]), *map(_np, r[1])))]


def _chain(name: str) -> list[Case]:
    x = _c(P.data(name)["x"])
    reduce = name == "W3"

    def run(x: Any) -> Any:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x
            for _ in range(P.N_STEPS):
                y = tf.sin(y) * P.SCALE + P.SHIFT
            if reduce:
                y = tf.reduce_sum(y)
        return tape.gradient(y, x)

    fn = _fn(run)
    return [Case("record+grad", lambda: fn(x), _mode("tf.GradientTape"), convert=lambda g: (_np(g),))]


def w4() -> list[Case]:
    d = P.data("W4")
    x, onehot, lr, batch = _c(d["x"]), _c(d["onehot"]), d["lr"], d["x"].shape[0]

    def loss_fn(params: list, x: Any, onehot: Any) -> Any:
        w1, b1, w2, b2, w3, b3 = params
        h1 = tf.tanh(x @ w1 + b1)
        h2 = tf.tanh(h1 @ w2 + b2)
        logp = tf.nn.log_softmax(h2 @ w3 + b3, axis=1)
        return -tf.reduce_sum(onehot * logp) / batch

    def fresh() -> list:
        return [tf.Variable(p.copy()) for p in d["params"]]

    def grads_of(params: list, x: Any, onehot: Any) -> Any:
        with tf.GradientTape() as tape:
            loss = loss_fn(params, x, onehot)
        return loss, tape.gradient(loss, params)

    params = fresh()

    def update(x: Any, onehot: Any) -> Any:
        loss, grads = grads_of(params, x, onehot)
        for v, g in zip(params, grads):
            v.assign_sub(lr * g)
        return loss

    update_fn, check_params, initial = _fn(update), fresh(), fresh()
    grads_fn, forward_fn = _fn(lambda x, o: grads_of(check_params, x, o)), _fn(lambda x, o: loss_fn(initial, x, o))
    return [
        Case("step", lambda: update_fn(x, onehot), _mode("tf.GradientTape + Variable.assign_sub"),
             check=lambda: grads_fn(x, onehot), convert=lambda r: (_np(r[0]), *map(_np, r[1]))),
        Case("forward", lambda: forward_fn(x, onehot), _mode("no tape"), convert=lambda v: (_np(v),),
             ref=slice(0, 1)),
    ]


def w5() -> list[Case]:
    d = P.data("W5")
    A, x = _c(d["A"]), _c(d["x"])

    def run(x: Any, A: Any) -> Any:
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = tf.reduce_sum(tf.tanh(tf.linalg.matvec(A, x)) ** 2)
            g = inner.gradient(y, x)
        return outer.jacobian(g, x)

    fn = _fn(run)
    return [Case("hessian", lambda: fn(x, A), _mode("nested tapes, outer.jacobian (pfor)"),
                 convert=lambda h: (_np(h),))]


def w6() -> list[Case]:
    d = P.data("W6")
    W, x = _c(d["W"]), _c(d["x"])
    n = d["x"].shape[0]
    basis = tf.constant(np.eye(n))

    def reverse(x: Any, W: Any) -> Any:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.tanh(tf.linalg.matvec(W, x))
        return tape.jacobian(y, x)

    def forward(x: Any, W: Any, basis: Any) -> Any:
        columns = []
        for i in range(n):
            with tf.autodiff.ForwardAccumulator(x, basis[i]) as acc:
                y = tf.tanh(tf.linalg.matvec(W, x))
            columns.append(acc.jvp(y))
        return tf.stack(columns, axis=1)

    rev, fwd = _fn(reverse), _fn(forward)
    return [
        Case("reverse", lambda: rev(x, W), _mode("tape.jacobian (pfor)"), convert=lambda j: (_np(j),)),
        Case("forward", lambda: fwd(x, W, basis), _mode("ForwardAccumulator per basis vector + tf.stack"),
             convert=lambda j: (_np(j),)),
    ]


def w7() -> list[Case]:
    x = _c(P.data("W7")["x"])

    def run(x: Any) -> Any:
        with tf.GradientTape() as t1:
            t1.watch(x)
            with tf.GradientTape() as t2:
                t2.watch(x)
                with tf.GradientTape() as t3:
                    t3.watch(x)
                    with tf.GradientTape() as t4:
                        t4.watch(x)
                        y = tf.sin(x) ** 2
                    d1 = t4.gradient(y, x)
                d2 = t3.gradient(d1, x)
            d3 = t2.gradient(d2, x)
        d4 = t1.gradient(d3, x)
        return d1, d2, d3, d4

    fn = _fn(run)
    return [Case("d1..d4", lambda: fn(x), _mode("4 nested tapes"), convert=lambda ds: tuple(map(_np, ds)))]


def w8() -> list[Case]:
    x = _c(P.data("W8")["x"])
    per_segment = P.W8_STEPS // P.W8_SEGMENTS

    def segment(y: Any) -> Any:
        for _ in range(per_segment):
            y = tf.sin(y) * P.SCALE
        return y

    recomputed = tf.recompute_grad(segment)

    def run(x: Any, seg: Callable) -> Any:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = x
            for _ in range(P.W8_SEGMENTS):
                y = seg(y)
            loss = tf.reduce_sum(y)
        return tape.gradient(loss, x)

    plain, ckpt = _fn(lambda v: run(v, segment)), _fn(lambda v: run(v, recomputed))
    convert = lambda g: (_np(g),)  # noqa: E731
    return [
        Case("plain", lambda: plain(x), _mode("tf.GradientTape"), convert=convert, memory=True),
        Case("checkpointed", lambda: ckpt(x), _mode("tf.recompute_grad per segment"), convert=convert, memory=True),
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
