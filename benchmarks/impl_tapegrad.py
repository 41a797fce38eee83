"""tapegrad's implementations of the workloads.

Where a JAX-style transform exists in this tree (``tg.grad``, ``tg.value_and_grad``,
``tg.jacobian``, ``tg.hessian``, ``tg.recompute_grad``, ``tg.log_softmax``, ``tg.optimizers``) it
is used, in a row of its own; the tape-based equivalent (nested ``GradientTape``s,
``tape.jacobian``, ``ForwardAccumulator``) always runs too, so both can be compared. Each case's
``impl`` says which code ran.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np
import problems as P
from harness import Case, Skip

tg: Any = None
F64: Any = None


def configure() -> None:
    global tg, F64
    import tapegrad

    tg = tapegrad
    F64 = tg.float64


def versions() -> dict[str, str]:
    names = ["grad", "value_and_grad", "jacobian", "hessian", "recompute_grad", "matmul", "log_softmax",
             "optimizers", "nn", "losses"]
    present = [n for n in names if hasattr(tg, n)]
    return {"tapegrad": tg.__version__, "numpy": np.__version__, "tapegrad names present": ", ".join(present)}


def _np(t: Any) -> Any:
    return None if t is None else np.asarray(t)


def _accepts(fn: Callable, name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _need_matmul() -> None:
    if not hasattr(tg, "matmul"):
        raise Skip("tg.matmul is not in this tree yet")


# ---- W1 -------------------------------------------------------------------------------------------
def w1() -> list[Case]:
    x1, x2, x3 = (tg.constant(v, dtype=F64) for v in P.data("W1")["x"])
    xs = [x1, x2, x3]

    def run() -> Any:
        with tg.GradientTape() as tape:
            tape.watch(xs)
            y = 3 * (x1**2 + x2 * x3)
        return y, tape.gradient(y, xs)

    v1, v2, v3 = (tg.Variable(v, dtype=F64) for v in P.data("W1")["x"])
    vs = [v1, v2, v3]

    def run_variables() -> Any:  # the seeds' style: Variables read inside the tape, watched on read
        with tg.GradientTape() as tape:
            y = 3 * (v1**2 + v2 * v3)
        return y, tape.gradient(y, vs)

    convert = lambda r: (_np(r[0]), *map(_np, r[1]))  # noqa: E731
    cases = [Case("value+grad", run, "GradientTape", convert=convert, row="tape"),
             Case("value+grad", run_variables, "GradientTape, 3 tg.Variables", convert=convert, row="variables")]
    if hasattr(tg, "value_and_grad"):
        vg = tg.value_and_grad(lambda a, b, c: 3 * (a**2 + b * c), argnums=(0, 1, 2))
        cases.append(Case("value+grad", lambda: vg(x1, x2, x3), "tg.value_and_grad(argnums=(0,1,2))",
                          convert=convert, row="transforms"))
    if hasattr(tg, "function"):
        def body(a: Any, b: Any, c: Any) -> Any:
            with tg.GradientTape() as tape:
                tape.watch([a, b, c])
                y = 3 * (a**2 + b * c)
            return y, tape.gradient(y, [a, b, c])

        compiled = tg.function(body)
        cases.append(Case("value+grad", lambda: compiled(x1, x2, x3), "tg.function(GradientTape)",
                          convert=convert, row="function", uncompiled=lambda: body(x1, x2, x3)))
    return cases


# ---- W2, W3 ----------------------------------------------------------------------------------------
def _chain(name: str) -> list[Case]:
    x = tg.constant(P.data(name)["x"], dtype=F64)
    reduce = name == "W3"
    sin, total = tg.sin, tg.sum

    def f(y: Any) -> Any:
        for _ in range(P.N_STEPS):
            y = sin(y) * P.SCALE + P.SHIFT
        return total(y) if reduce else y

    def run() -> Any:
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return tape.gradient(y, x)

    cases = [Case("record+grad", run, "GradientTape", convert=lambda g: (_np(g),), row="tape")]
    if hasattr(tg, "grad"):
        cases.append(Case("record+grad", lambda: tg.grad(f)(x), "tg.grad", convert=lambda g: (_np(g),),
                          row="transforms"))
    if hasattr(tg, "function"):
        def body(v: Any) -> Any:
            with tg.GradientTape() as tape:
                tape.watch(v)
                y = f(v)
            return tape.gradient(y, v)

        compiled = tg.function(body)
        cases.append(Case("record+grad", lambda: compiled(x), "tg.function(GradientTape)",
                          convert=lambda g: (_np(g),), row="function", uncompiled=lambda: body(x)))
    return cases


# ---- W4 ----------------------------------------------------------------------------------------------
def w4() -> list[Case]:
    _need_matmul()
    d = P.data("W4")
    x, onehot, lr, batch = tg.constant(d["x"]), tg.constant(d["onehot"]), d["lr"], d["x"].shape[0]
    log_softmax = getattr(tg, "log_softmax", None) or getattr(getattr(tg, "nn", None), "log_softmax", None)
    sgd_class = getattr(getattr(tg, "optimizers", None), "SGD", None)
    impl = ["Variables, tg.matmul, tg.tanh",
            "tg.log_softmax" if log_softmax else "log-softmax from tg.exp/tg.log/tg.sum (max shift as constant)",
            "tg.optimizers.SGD.apply_gradients" if sgd_class else "Variable.assign_sub"]

    def logsoftmax(z: Any) -> Any:
        if log_softmax is not None:
            return log_softmax(z)
        z = z - tg.constant(np.max(z.numpy(), axis=1, keepdims=True))
        return z - tg.log(tg.sum(tg.exp(z), axis=1, keepdims=True))

    def loss_fn(params: list) -> Any:
        w1, b1, w2, b2, w3, b3 = params
        h1 = tg.tanh(x @ w1 + b1)
        h2 = tg.tanh(h1 @ w2 + b2)
        logp = logsoftmax(h2 @ w3 + b3)
        return -tg.sum(onehot * logp) / batch

    def fresh() -> list:
        return [tg.Variable(p.copy()) for p in d["params"]]

    def grads(params: list) -> Any:
        with tg.GradientTape() as tape:
            loss = loss_fn(params)
        return loss, tape.gradient(loss, params)

    params = fresh()
    opt = sgd_class(learning_rate=lr) if sgd_class else None

    def step() -> Any:
        loss, gs = grads(params)
        if opt is not None:
            opt.apply_gradients(zip(gs, params))
        else:
            for v, g in zip(params, gs):
                v.assign_sub(lr * g)
        return loss

    initial = fresh()
    cases = [
        Case("step", step, "; ".join(impl), check=lambda: grads(fresh()),
             convert=lambda r: (_np(r[0]), *map(_np, r[1]))),
        Case("forward", lambda: loss_fn(initial), "no tape", convert=lambda v: (_np(v),), ref=slice(0, 1)),
    ]
    if hasattr(tg, "function") and opt is not None:
        params_c = fresh()
        opt_c = sgd_class(learning_rate=lr)

        def body() -> Any:
            with tg.GradientTape() as tape:
                loss = loss_fn(params_c)
            opt_c.apply_gradients(zip(tape.gradient(loss, params_c), params_c))
            return loss

        step_c = tg.function(body)
        forward_c = tg.function(lambda: loss_fn(initial))
        cases += [
            Case("step", step_c, "tg.function(tape + SGD.apply_gradients)", check=lambda: grads(fresh()),
                 convert=lambda r: (_np(r[0]), *map(_np, r[1])), row="function", uncompiled=body),
            Case("forward", forward_c, "tg.function", convert=lambda v: (_np(v),), ref=slice(0, 1), row="function",
                 uncompiled=forward_c.python_function),
        ]
    return cases


# ---- W5 ---------------------------------------------------------------------------------------------
def w5() -> list[Case]:
    _need_matmul()
    d = P.data("W5")
    A, x = tg.constant(d["A"], dtype=F64), tg.constant(d["x"], dtype=F64)

    def f(v: Any) -> Any:
        return tg.sum(tg.tanh(A @ v) ** 2)

    def nested() -> Any:
        with tg.GradientTape() as outer:
            outer.watch(x)
            with tg.GradientTape() as inner:
                inner.watch(x)
                y = f(x)
            g = inner.gradient(y, x)
        return outer.jacobian(g, x)

    cases = [Case("hessian", nested, "nested tapes: outer.jacobian(inner.gradient)", convert=lambda h: (_np(h),),
                  row="tape")]
    if hasattr(tg, "hessian"):
        cases.append(Case("hessian", lambda: tg.hessian(f)(x), "tg.hessian", convert=lambda h: (_np(h),),
                          row="transforms"))
        if hasattr(tg, "function"):
            compiled = tg.function(tg.hessian(f))
            cases.append(Case("hessian", lambda: compiled(x), "tg.function(tg.hessian)", convert=lambda h: (_np(h),),
                              row="function", uncompiled=lambda: compiled.python_function(x)))
    return cases


# ---- W6 ---------------------------------------------------------------------------------------------
def w6() -> list[Case]:
    _need_matmul()
    d = P.data("W6")
    W, x = tg.constant(d["W"], dtype=F64), tg.constant(d["x"], dtype=F64)
    basis = [tg.constant(e) for e in np.eye(x.shape[0])]

    def f(v: Any) -> Any:
        return tg.tanh(W @ v)

    def reverse() -> Any:
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return tape.jacobian(y, x)

    def forward() -> Any:
        columns = []
        for e in basis:
            with tg.ForwardAccumulator(x, e) as acc:
                y = f(x)
            columns.append(acc.jvp(y))
        return tg.stack(columns, axis=1)

    convert = lambda j: (_np(j),)  # noqa: E731
    cases = [
        Case("reverse", reverse, "tape.jacobian (one reverse walk per row)", convert=convert, row="tape"),
        Case("forward", forward, "ForwardAccumulator per basis vector + tg.stack", convert=convert, row="tape"),
    ]
    jac = getattr(tg, "jacobian", None)
    if jac is not None:
        if _accepts(jac, "mode"):
            cases.append(Case("reverse", lambda: jac(f, mode="reverse")(x), "tg.jacobian(mode='reverse')",
                              convert=convert, row="transforms"))
            cases.append(Case("forward", lambda: jac(f, mode="forward")(x), "tg.jacobian(mode='forward')",
                              convert=convert, row="transforms"))
        else:
            cases.append(Case("reverse", lambda: jac(f)(x), "tg.jacobian", convert=convert, row="transforms"))
        if hasattr(tg, "function") and _accepts(jac, "mode"):
            rev, fwd = tg.function(jac(f, mode="reverse")), tg.function(jac(f, mode="forward"))
            cases.append(Case("reverse", lambda: rev(x), "tg.function(tg.jacobian(mode='reverse'))", convert=convert,
                              row="function", uncompiled=lambda: rev.python_function(x)))
            cases.append(Case("forward", lambda: fwd(x), "tg.function(tg.jacobian(mode='forward'))", convert=convert,
                              row="function", uncompiled=lambda: fwd.python_function(x)))
    return cases


# ---- W7 ---------------------------------------------------------------------------------------------
def w7() -> list[Case]:
    x = tg.constant(P.data("W7")["x"], dtype=F64)

    def f(v: Any) -> Any:
        return tg.sin(v) ** 2

    def nested() -> Any:
        with tg.GradientTape() as t1:
            t1.watch(x)
            with tg.GradientTape() as t2:
                t2.watch(x)
                with tg.GradientTape() as t3:
                    t3.watch(x)
                    with tg.GradientTape() as t4:
                        t4.watch(x)
                        y = f(x)
                    d1 = t4.gradient(y, x)
                d2 = t3.gradient(d1, x)
            d3 = t2.gradient(d2, x)
        d4 = t1.gradient(d3, x)
        return d1, d2, d3, d4

    convert = lambda ds: tuple(map(_np, ds))  # noqa: E731
    cases = [Case("d1..d4", nested, "4 nested tapes (all four from one nest)", convert=convert, row="tape")]
    grad = getattr(tg, "grad", None)
    if grad is not None:
        s0 = lambda v: tg.sum(f(v))  # noqa: E731
        if _accepts(grad, "has_aux"):

            def s1(v: Any) -> Any:
                d = grad(s0)(v)
                return tg.sum(d), (d,)

            def s2(v: Any) -> Any:
                d, aux = grad(s1, has_aux=True)(v)
                return tg.sum(d), (*aux, d)

            def s3(v: Any) -> Any:
                d, aux = grad(s2, has_aux=True)(v)
                return tg.sum(d), (*aux, d)

            def with_aux() -> Any:
                d4, aux = grad(s3, has_aux=True)(x)
                return (*aux, d4)

            cases.append(Case("d1..d4", with_aux, "nested tg.grad(has_aux=True) (one nest)", convert=convert,
                              row="transforms"))
            if hasattr(tg, "function"):
                compiled = tg.function(lambda v: (lambda d4, aux: (*aux, d4))(*grad(s3, has_aux=True)(v)))
                cases.append(Case("d1..d4", lambda: compiled(x), "tg.function(nested tg.grad(has_aux=True))",
                                  convert=convert, row="function", uncompiled=lambda: compiled.python_function(x)))
        else:
            g1 = grad(s0)
            g2 = grad(lambda v: tg.sum(g1(v)))
            g3 = grad(lambda v: tg.sum(g2(v)))
            g4 = grad(lambda v: tg.sum(g3(v)))
            cases.append(Case("d1..d4", lambda: (g1(x), g2(x), g3(x), g4(x)), "tg.grad nested, 4 separate calls",
                              convert=convert, row="transforms"))
    derivatives = getattr(tg, "derivatives", None)
    if derivatives is not None:
        cases.append(Case("d1..d4", lambda: tuple(derivatives(f, x, order=4)),
                          "tg.derivatives(f, x, order=4): one Taylor-mode pass", convert=convert, row="taylor"))
    return cases


# ---- W8 ----------------------------------------------------------------------------------------------
def w8() -> list[Case]:
    x = tg.constant(P.data("W8")["x"], dtype=F64)
    per_segment = P.W8_STEPS // P.W8_SEGMENTS

    def segment(y: Any) -> Any:
        for _ in range(per_segment):
            y = tg.sin(y) * P.SCALE
        return y

    def plain() -> Any:
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = x
            for _ in range(P.W8_SEGMENTS):
                y = segment(y)
            loss = tg.sum(y)
        return tape.gradient(loss, x)

    def manual_checkpoint() -> Any:
        inputs, y = [], x
        for _ in range(P.W8_SEGMENTS):  # no tape: nothing is recorded, only segment inputs kept
            inputs.append(y)
            y = segment(y)
        g = tg.ones_like(x)
        for xi in reversed(inputs):  # re-run each segment under a fresh tape, pull the cotangent through
            with tg.GradientTape() as tape:
                tape.watch(xi)
                yi = segment(xi)
            g = tape.gradient(yi, xi, output_gradients=g)
        return g

    convert = lambda g: (_np(g),)  # noqa: E731
    cases = [
        Case("plain", plain, "GradientTape", convert=convert, memory=True, row="tape"),
        Case("checkpointed", manual_checkpoint,
             "manual: untaped forward keeping segment inputs, then one tape per segment in reverse",
             convert=convert, memory=True, row="tape"),
    ]
    if hasattr(tg, "recompute_grad"):
        seg = tg.recompute_grad(segment)

        def recomputed() -> Any:
            with tg.GradientTape() as tape:
                tape.watch(x)
                y = x
                for _ in range(P.W8_SEGMENTS):
                    y = seg(y)
                loss = tg.sum(y)
            return tape.gradient(loss, x)

        cases.append(Case("checkpointed", recomputed, "tg.recompute_grad per segment", convert=convert,
                          memory=True, row="transforms"))
    return cases


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
