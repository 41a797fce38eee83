"""tg.function: signatures and retracing, guards, Variables, training steps, transforms, nesting."""

from __future__ import annotations

import re
import sys
import warnings

import numpy as np
import pytest

import tapegrad as tg
from tests.function.test_spec_table import bits


def c64(v):
    return tg.constant(np.asarray(v, dtype=np.float64))


# ---- tracing, the generated code, signatures --------------------------------------------------
def test_seed_example_generated_code_and_values():
    @tg.function
    def f(x1, x2, x3):
        return 3 * (x1**2 + x2 * x3)

    xs = [c64(2.0), c64(3.0), c64(4.0)]
    assert float(f(*xs)) == 48.0
    src = f.get_concrete_function(*xs).source
    assert "def forward(x0, x1, x2):" in src and "return (v3,)" in src
    assert "    v3 = c1 * (x0 ** c0 + x1 * x2)\n" in src  # values read once are written into their reader
    assert "Tensor" not in src.split("def forward")[1]  # plain NumPy values, no wrapping, no tape
    assert f.source(*xs) == src
    assert float(f(c64(1.0), c64(1.0), c64(1.0))) == 6.0  # same signature, other values
    assert f.experimental_get_tracing_count() == 1
    with tg.GradientTape() as tape:
        tape.watch(xs)
        y = f(*xs)
    assert [float(g) for g in tape.gradient(y, xs)] == [12.0, 12.0, 9.0]
    vjp = f.get_concrete_function(*xs).vjp_source()
    assert "def backward(" in vjp and "g0" in vjp and "Tensor" not in vjp


def test_dead_values_dropped_constants_folded_and_large_values_freed():
    big = np.linspace(0.0, 1.0, 1000)

    @tg.function
    def f(x):
        unused = tg.exp(x)  # noqa: F841  (dead: no line reads it)
        scale = tg.sum(tg.constant(big))  # constants only: folded into one constant
        a = tg.sin(x)
        b = tg.cos(a) * a  # (a is read twice: a local, deleted after its last reader)
        return b * scale

    x = c64(big)
    want = tg.cos(tg.sin(x)) * tg.sin(x) * tg.sum(tg.constant(big))
    assert bits(f(x)) == bits(want)
    src = f.source(x)
    assert "exp" not in src and "np.sum" not in src and "tg_sum" not in src
    assert "del v" in src  # a 1000-element value is freed after its last reader


def test_values_read_once_are_inlined_with_python_precedence_and_order():
    @tg.function
    def f(a, b, c):
        d = a - (b - c)  # (parentheses kept: subtraction is not associative)
        e = (a - b) - c
        g = -(a**2) + (-a) ** 2 + c ** (b * a)
        h = a / (b * c) + (a + b) * c - tg.exp(c - b) * tg.sin(c)
        return d * e, g, h

    xs = [c64([0.3, -1.5]), c64([2.0, 0.7]), c64([0.4, 1.1])]
    for got, want in zip(f(*xs), f.python_function(*xs)):
        assert bits(got) == bits(want)
    src = f.source(*xs)
    assert "a" not in src.split("def forward")[1].split("):")[0]  # (the parameters are x0, x1, x2)
    assert "(x0 - x1) - x2" not in src and "x0 - (x1 - x2)" in src
    assert "x0 / (x1 * x2) + (x0 + x1) * x2 - np.exp(x2 - x1) * np.sin(x2)" in src
    assert "-(x0 ** c0) + (-x0) ** c0 + x2 ** (x1 * x0)" in src


def test_retrace_on_new_shape_dtype_and_python_argument():
    calls = []

    @tg.function
    def f(x, power):
        calls.append(1)
        return x**power

    f(c64([1.0, 2.0]), 2)
    f(c64([3.0, 4.0]), 2)
    assert len(calls) == 1
    f(c64([1.0, 2.0, 3.0]), 2)  # new shape
    f(tg.constant(np.float32([1.0, 2.0])), 2)  # new dtype
    out = f(c64([1.0, 2.0]), 3)  # new Python value
    assert len(calls) == 4 and f.experimental_get_tracing_count() == 4
    assert bits(out) == bits(c64([1.0, 2.0]) ** 3)
    assert bits(f(c64([5.0, 6.0]), 3)) == bits(c64([5.0, 6.0]) ** 3)
    assert len(calls) == 4


def test_excessive_retracing_warns_once_naming_the_argument():
    @tg.function
    def f(x, n):
        return x * n

    x = c64(1.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for n in range(10):
            f(x, n)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1
    assert "'n'" in messages[0] and "traced 6 times" in messages[0]


def test_numpy_arguments_are_traced_like_tensors():
    f = tg.function(lambda x: tg.sin(x) * 2.0)
    a, b = np.array([0.1, 0.2]), np.array([0.7, 0.9])
    assert bits(f(a)) == bits(tg.sin(tg.constant(a)) * 2.0)
    assert bits(f(b)) == bits(tg.sin(tg.constant(b)) * 2.0)
    assert f.experimental_get_tracing_count() == 1


def test_same_tensor_twice_is_its_own_signature():
    f = tg.function(lambda a, b: a * 2.0 + b)
    x, y = c64(1.0), c64(5.0)
    assert float(f(x, x)) == 3.0
    assert float(f(x, y)) == 7.0  # not the aliased program
    assert float(f(y, y)) == 15.0


def test_structures_keyword_arguments_and_passthrough():
    @tg.function
    def f(pair, scale=1.0, *, bias):
        a, b = pair
        return {"sum": (a + b) * scale + bias, "first": a, "label": "ok"}

    a, b, bias = c64(1.0), c64(2.0), c64(0.5)
    for _ in range(2):
        out = f((a, b), scale=2.0, bias=bias)
        assert float(out["sum"]) == 6.5 and out["first"] is a and out["label"] == "ok"


# ---- guards -------------------------------------------------------------------------------------
def test_branch_that_flips_between_calls_is_exact():
    @tg.function
    def f(x):
        if tg.sum(x) > 0:
            return tg.sin(x) * 2.0
        return tg.cos(x) - 1.0

    def eager(x):
        return tg.sin(x) * 2.0 if float(tg.sum(x)) > 0 else tg.cos(x) - 1.0

    values = [[1.0, 2.0], [-3.0, 1.0], [0.5, 0.25], [-1.0, -1.0], [2.0, 2.0]]
    for v in values:
        assert bits(f(c64(v))) == bits(eager(c64(v)))
    assert f.experimental_get_tracing_count() == 2  # one trace per path, then both reused
    assert "_RETRACE" in f.source(c64([1.0, 2.0]))


def test_float_read_becomes_a_guard():
    @tg.function
    def f(x, y):
        return y * float(x)  # the Python float is baked in: guarded by x's exact value

    assert float(f(c64(2.0), c64(3.0))) == 6.0
    assert float(f(c64(2.0), c64(4.0))) == 8.0
    assert float(f(c64(5.0), c64(4.0))) == 20.0  # the guard fails: traced again, never stale


def test_function_that_keeps_failing_its_guards_falls_back_to_eager():
    @tg.function
    def f(x):
        return x * int(x)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = [float(f(c64(float(k)))) for k in range(10)]
    assert results == [float(k * k) for k in range(10)]
    assert sum("keeps failing its guards" in str(w.message) for w in caught) == 1


# ---- Variables ------------------------------------------------------------------------------------
def test_variables_are_read_at_call_time():
    w = tg.Variable(np.array([1.0, 2.0]))

    @tg.function
    def f(x):
        return tg.sum(w * x)  # a closure over a Variable

    x = c64([1.0, 1.0])
    assert float(f(x)) == 3.0
    w.assign([10.0, 20.0])
    assert float(f(x)) == 30.0
    w.assign_add([1.0, 1.0])
    assert float(f(x)) == 32.0
    assert f.experimental_get_tracing_count() == 1


def test_variable_argument_and_assignments_inside():
    @tg.function
    def step(v, x):
        v.assign_add(x)
        v.assign_sub(x * 0.5)
        y = tg.sum(v * v)
        v.assign(v * 2.0)
        return y

    def eager(v, x):
        v.assign_add(x)
        v.assign_sub(x * 0.5)
        y = tg.sum(v * v)
        v.assign(v * 2.0)
        return y

    a, b = tg.Variable(np.array([1.0, -2.0])), tg.Variable(np.array([1.0, -2.0]))
    for k in range(4):
        x = c64([0.3 * k, 0.1])
        assert bits(step(a, x)) == bits(eager(b, x))
        assert bits(a.numpy()) == bits(b.numpy())
    assert step.experimental_get_tracing_count() == 1


def _mlp_problem():
    rng = np.random.default_rng(0)
    x = tg.constant(rng.standard_normal((16, 4)))
    y = tg.constant(rng.standard_normal((16, 1)))
    init = [rng.standard_normal((4, 8)) * 0.5, np.zeros(8), rng.standard_normal((8, 1)) * 0.5, np.zeros(1)]
    return x, y, init


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_compiled_training_step_matches_eager_over_100_steps(optimizer):
    x, y, init = _mlp_problem()

    def make():
        params = [tg.Variable(p.copy()) for p in init]
        opt = tg.optimizers.SGD(0.05, momentum=0.9) if optimizer == "SGD" else tg.optimizers.Adam(0.01)

        def step():
            with tg.GradientTape() as tape:
                h = tg.tanh(x @ params[0] + params[1])
                loss = tg.reduce_mean((h @ params[2] + params[3] - y) ** 2)
            grads = tape.gradient(loss, params)
            opt.apply_gradients(zip(grads, params))
            return loss

        return params, step

    params_e, step_e = make()
    params_c, step_c = make()
    compiled = tg.function(step_c)
    for _ in range(100):
        assert bits(compiled()) == bits(step_e())
    for a, b in zip(params_c, params_e):
        assert bits(a.numpy()) == bits(b.numpy())
    assert compiled.experimental_get_tracing_count() == 1


def test_training_step_with_assign_sub():
    x, y, init = _mlp_problem()
    w = [tg.Variable(init[0].copy()), tg.Variable(init[0].copy())]

    def step(w):
        with tg.GradientTape() as tape:
            loss = tg.reduce_sum(tg.tanh(x @ w) ** 2)
        w.assign_sub(0.01 * tape.gradient(loss, w))
        return loss

    compiled = tg.function(step)
    for _ in range(20):
        assert bits(compiled(w[0])) == bits(step(w[1]))
    assert bits(w[0].numpy()) == bits(w[1].numpy())


# ---- differentiation -----------------------------------------------------------------------------
def f3(x):
    return tg.sum(tg.tanh(x) ** 3 * tg.sin(x))


def test_grad_of_function_and_function_of_grad():
    x = c64([0.3, -1.2, 2.0])
    want = tg.grad(f3)(x)
    compiled = tg.function(f3)
    for _ in range(3):
        assert bits(tg.grad(compiled)(x)) == bits(want)
    of_grad = tg.function(tg.grad(f3))
    for _ in range(3):
        assert bits(of_grad(x)) == bits(want)
    assert of_grad.experimental_get_tracing_count() == 1


def test_jacobian_hessian_and_higher_orders():
    x = c64([0.3, -1.2, 2.0])
    compiled = tg.function(f3)
    compiled(x)
    assert bits(tg.hessian(compiled)(x)) == bits(tg.hessian(f3)(x))
    vec = tg.function(lambda v: tg.tanh(v) * v)
    vec(x)
    assert bits(tg.jacobian(vec)(x)) == bits(tg.jacobian(lambda v: tg.tanh(v) * v)(x))
    d = [compiled, f3]
    for _ in range(3):  # fourth derivatives: the compiled call at the bottom of every level vs eager
        d = [lambda v, g=g: tg.sum(tg.grad(g)(v) * v) for g in d]
    assert bits(tg.grad(d[0])(x)) == bits(tg.grad(d[1])(x))
    assert bits(tg.function(tg.hessian(f3))(x)) == bits(tg.hessian(f3)(x))


def test_gradient_with_respect_to_a_closed_over_variable():
    w = tg.Variable(np.array([0.5, -1.5, 2.0]))
    f = tg.function(lambda x: tg.sum(tg.sin(w * x)))
    x = c64([1.0, 2.0, 3.0])
    for k in range(3):
        w.assign([0.5 + k, -1.5, 2.0])
        with tg.GradientTape() as tape:
            y = f(x)
        got = tape.gradient(y, w)
        with tg.GradientTape() as tape:
            y = tg.sum(tg.sin(w * x))
        assert bits(got) == bits(tape.gradient(y, w))
    assert f.experimental_get_tracing_count() == 1


def test_model_reading_variables_first_gives_every_gradient_under_a_tape():
    """The code of a call under a tape named its values v0, v1, ... as the program's Variable loads
    are named: ``v0 = np.matmul(x0, v0)`` overwrote the weights, and the inputs' and first layer's
    gradients (which read them later) were silently wrong from the second call on."""
    rng = np.random.default_rng(5)
    w1, w2 = tg.Variable(rng.standard_normal((4, 5))), tg.Variable(rng.standard_normal((5, 2)))
    b = tg.Variable(rng.standard_normal(5))

    def model(x):
        return tg.reduce_sum(tg.tanh(x @ w1 + b) @ w2)

    f = tg.function(model)
    for _ in range(4):
        x = c64(rng.standard_normal((3, 4)))
        got, want = [], []
        for fn, out in ((f, got), (model, want)):
            with tg.GradientTape() as tape:
                tape.watch(x)
                y = fn(x)
            out.append(y)
            out.extend(tape.gradient(y, [x, w1, b, w2]))
        assert bits(got) == bits(want)
        w1.assign_add(np.full((4, 5), 0.1))
    assert f.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("returned", ["read", "matrix_power(v, 1)", "read and used"])
def test_a_variable_value_returned_as_read_has_its_gradient(returned):
    """A compiled call under a tape that returned a Variable's value itself (no op made it) gave
    None for its gradient (eagerly: ones): the record had no argument for it."""
    v = tg.Variable(np.random.default_rng(6).standard_normal((3, 3)))
    body = {
        "read": lambda: v.read_value(),
        "matrix_power(v, 1)": lambda: tg.numpy.linalg.matrix_power(v, 1),
        "read and used": lambda: (v.read_value(), tg.sin(v) * v),
    }[returned]
    f = tg.function(body)
    f()
    for k in range(3):
        got, want = [], []
        for fn, out in ((f, got), (body, want)):
            with tg.GradientTape() as tape:
                ys = fn()
            out.append(tape.gradient(ys, v))
            t = tg.constant(np.full((3, 3), 0.5 + k))
            with tg.ForwardAccumulator(v, t) as acc:
                ys = fn()
            out.append([acc.jvp(y) for y in ys] if isinstance(ys, tuple) else acc.jvp(ys))
        assert got[0] is not None and bits(got) == bits(want)
        v.assign_add(np.ones((3, 3)))


def test_forward_mode_through_a_compiled_call():
    x, t = c64([0.3, -1.2]), c64([1.0, 0.5])
    g = tg.function(lambda v: (tg.exp(v) * v, tg.sum(v)))
    g(x)
    with tg.ForwardAccumulator(x, t) as acc:
        a, b = g(x)
    with tg.ForwardAccumulator(x, t) as acc2:
        a2, b2 = tg.exp(x) * x, tg.sum(x)
    assert bits([acc.jvp(a), acc.jvp(b)]) == bits([acc2.jvp(a2), acc2.jvp(b2)])


def test_nesting_inlines_the_inner_function():
    inner = tg.function(lambda v: tg.sin(v) * 2.0)

    @tg.function
    def outer(v):
        return inner(v) + inner(v * 3.0)

    x = c64([0.1, 0.2])
    want = tg.sin(x) * 2.0 + tg.sin(x * 3.0) * 2.0
    for _ in range(2):
        assert bits(outer(x)) == bits(want)
    assert inner.experimental_get_tracing_count() == 0  # inlined into outer's trace
    assert outer.source(x).count("np.sin") == 2


def test_generated_source_holds_no_user_text():
    """Strings given by a user (einsum subscripts, names) live in the namespace, never the source."""
    f = tg.function(lambda a, b: tg.einsum("ij,jk->ik", a, b))
    a = c64(np.ones((2, 3)))
    b = c64(np.ones((3, 2)))
    assert bits(f(a, b)) == bits(tg.einsum("ij,jk->ik", a, b))
    assert "ij,jk" not in f.source(a, b)


def test_input_used_inside_and_outside_is_exact():
    """Each use of an input is one argument of the compiled call's record, so the reverse walk adds
    the cotangents in eager's order (summing them inside would round differently)."""

    def inner(v, w):
        return tg.sin(v) * v + tg.exp(v) * w - v / w

    compiled = tg.function(inner)
    x, w = c64([0.3, -1.1, 2.5]), c64([1.7, 0.4, -0.9])
    compiled(x, w)

    def loss(fn):
        with tg.GradientTape() as tape:
            tape.watch([x, w])
            y = tg.sum(fn(x, w) * x + x * w)
        return tape.gradient(y, [x, w])

    for _ in range(2):
        assert bits(loss(compiled)) == bits(loss(inner))
    assert compiled.experimental_get_tracing_count() == 1


def test_persistent_tape_recording_its_own_gradient():
    f = tg.function(lambda v: tg.sum(tg.tanh(v) ** 2))
    x = c64([0.2, -0.7])
    f(x)

    def second(fn):
        with tg.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = fn(x)
            g = tape.gradient(y, x)
            s = tg.sum(g * g)
        return g, tape.gradient(s, x)

    assert bits(second(f)) == bits(second(lambda v: tg.sum(tg.tanh(v) ** 2)))


def test_values_read_by_indexing_and_nonzero_are_guarded():
    @tg.function
    def f(x):
        return tg.sum(x[x > 0] ** 2) + tg.cast(tg.sum(tg.argwhere(x)), tg.float64)

    def eager(x):
        return tg.sum(x[x > 0] ** 2) + tg.cast(tg.sum(tg.argwhere(x)), tg.float64)

    for v in ([1.0, -2.0, 3.0], [1.0, 2.0, 3.0], [-1.0, 0.0, 3.0], [1.0, -2.0, 3.0]):
        assert bits(f(c64(v))) == bits(eager(c64(v)))


def test_unseeded_random_numbers_run_eagerly_seeded_ones_are_compiled():
    f = tg.function(lambda x: x + tg.random_normal((3,), dtype=tg.float64))
    x = c64([0.0, 0.0, 0.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a, b = f(x), f(x)
    assert bits(a) != bits(b)  # fresh numbers at each call, as eagerly
    assert any("random numbers without a seed" in str(w.message) for w in caught)
    g = tg.function(lambda x: x + tg.random_normal((3,), dtype=tg.float64, seed=3))
    assert bits(g(x)) == bits(g(x)) == bits(x + tg.random_normal((3,), dtype=tg.float64, seed=3))


def test_constant_of_a_traced_tensor_is_guarded():
    f = tg.function(lambda x: x * tg.constant(x))
    assert float(f(c64(3.0))) == 9.0
    assert float(f(c64(4.0))) == 16.0


def test_method_of_a_module():
    class Dense:
        def __init__(self):
            self.w = tg.Variable(np.array([[1.0, 2.0], [3.0, 4.0]]))

        @tg.function
        def __call__(self, x):
            return tg.tanh(x @ self.w)

    a, b = Dense(), Dense()
    b.w.assign(np.eye(2))
    x = c64([[0.5, -0.5]])
    for _ in range(2):
        assert bits(a(x)) == bits(tg.tanh(x @ a.w))
        assert bits(b(x)) == bits(tg.tanh(x @ b.w))


def test_several_outputs_are_one_record_with_a_joint_backward():
    """Outputs sharing intermediates: one record of the whole call, whose generated backward adds
    the outputs' cotangents into the shared values exactly where eager's walk does."""

    def f(v):
        h = tg.tanh(v) * 2.0
        return h * v, tg.sum(h), v

    compiled = tg.function(f)
    x = c64([0.3, -1.1, 2.5])
    compiled(x)

    def grads(fn, use):
        with tg.GradientTape() as tape:
            tape.watch(x)
            a, b, c = fn(x)
            loss = [tg.sum(a * 3.0) + b * c[0], tg.sum(a), b][use]
        return tape.gradient(loss, x)

    for use in (0, 1, 2, 0):
        assert bits(grads(compiled, use)) == bits(grads(f, use))
    (concrete,) = next(iter(compiled._cache.values()))
    assert set(concrete._taped._backward) == {(True, True), (True, False), (False, True)}
    assert compiled(x)[2] is x  # an input returned as it is


def test_tg_print_runs_at_every_call_with_that_calls_values(capsys):
    w = tg.Variable(np.array([1.0, 2.0]))

    @tg.function
    def step(x):
        y = tg.sin(x)
        print("python print: trace only")
        tg.print("y =", y, "w =", w)
        w.assign_add(tg.stack([y, y]))
        return y

    values = [0.1, 0.2, 0.3]
    for v in values:
        step(c64(v))
    assert step.experimental_get_tracing_count() == 1
    err = capsys.readouterr()
    assert err.out.count("python print: trace only") == 1
    expected, total = [], np.array([1.0, 2.0])
    for v in values:
        expected.append(f"y = {np.sin(v)} w = {total}")
        total = total + np.sin(v)
    assert err.err.splitlines() == expected
    with tg.GradientTape() as tape:  # under a tape the call runs eagerly (it changes w): still printed
        x = c64(0.4)
        tape.watch(x)
        step(x)
    assert capsys.readouterr().err == f"y = {np.sin(0.4)} w = {total}\n"
    tg.print(c64(1.5), [1, 2], output_stream=sys.stdout, sep=", ", end=";")  # eagerly: at once
    assert capsys.readouterr().out == "1.5, [1, 2];"


def test_a_branch_on_a_value_read_after_a_side_effect_stays_compiled():
    """The check of ``loss`` moves before the optimizer step and tg.print (which Python ran
    before reading it), so a failing check returns before the step: compiled, and exact."""

    def make():
        return tg.Variable(np.array([2.0, -1.0])), tg.optimizers.SGD(0.1)

    def step(w, opt, x, out):
        with tg.GradientTape() as tape:
            loss = tg.reduce_sum((w * x - 1.0) ** 2)
        opt.apply_gradients([(tape.gradient(loss, w), w)])
        tg.print("loss", loss, output_stream=out)
        if loss > 1.5:  # a guard, read after the step
            return loss * 2.0
        return loss

    import io

    eager_out, compiled_out = io.StringIO(), io.StringIO()
    w_e, opt_e = make()
    w_c, opt_c = make()
    compiled = tg.function(lambda x: step(w_c, opt_c, x, compiled_out))
    x = c64(np.array([1.0, 0.5]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "runs eagerly" warning
        results = [(float(step(w_e, opt_e, x, eager_out)), float(compiled(x))) for _ in range(12)]
    assert all(a == b for a, b in results) and results[0][0] > 3.0 > 1.5 > results[-1][0]  # the branch flipped
    assert np.array_equal(w_e.numpy(), w_c.numpy())
    assert compiled_out.getvalue() == eager_out.getvalue() and compiled_out.getvalue().count("loss") == 12
    assert compiled.experimental_get_tracing_count() == 2
    lines = compiled.get_concrete_function(x).source.splitlines()
    check = next(i for i, t in enumerate(lines) if "return _RETRACE" in t)
    effects = [i for i, t in enumerate(lines) if re.match(r"\s+c\d+\(", t)]  # the step and the print
    assert len(effects) == 2 and check < min(effects)  # the check comes before the effects


def test_a_value_changed_by_an_optimizer_step_and_then_read_runs_eagerly():
    w = tg.Variable(np.array([1.0]))
    opt = tg.optimizers.SGD(0.5)

    def step(x):
        with tg.GradientTape() as tape:
            loss = tg.reduce_sum(w * x)
        opt.apply_gradients([(tape.gradient(loss, w), w)])
        return w * 2.0 if float(w[0]) > 0 else w * 3.0  # reads w after the step

    compiled = tg.function(step)
    with pytest.warns(tg.FunctionWarning, match="runs eagerly"):
        first = compiled(c64(np.array([1.0])))
    assert float(first[0]) == 1.0  # w = 1 - 0.5 = 0.5 > 0: times 2
    values = [float(compiled(c64(np.array([1.0])))[0]) for _ in range(3)]
    assert values == [0.0, -1.5, -3.0] and float(w[0]) == -1.0


@pytest.mark.parametrize("how", ["watched", "forward mode", "a custom gradient's forward"])
def test_a_closed_over_tensor_the_recorder_tracks_has_its_derivative(how):
    """A tensor the function closes over is a constant of its code; a call under a tape watching
    it (or an accumulator seeding it) gave None from the second call on (the trace itself was
    right). Such calls now run eagerly; a custom gradient's forward (which nothing tracks) does not."""
    a = c64([1.0, 2.0, -0.5])
    x = c64([3.0, 4.0, 0.25])

    def body(x):
        return tg.reduce_sum(tg.sin(x * a))

    f = tg.function(body)

    def derivative(fn):
        if how == "forward mode":
            with tg.ForwardAccumulator(a, c64([1.0, -1.0, 2.0])) as acc:
                y = fn(x)
            return [y, acc.jvp(y)]
        with tg.GradientTape() as tape:
            tape.watch(a)
            y = fn(x)
        if how == "a custom gradient's forward":
            inner = tg.custom_gradient(lambda u: (fn(u), lambda g: g * 2.0))
            with tg.GradientTape() as tape2:
                tape2.watch(x)
                y = inner(x)
            return [y, tape2.gradient(y, x)]
        return [y, tape.gradient(y, a)]

    f(x)
    for _ in range(3):
        got, want = derivative(f), derivative(body)
        assert got[1] is not None and bits(got) == bits(want)
