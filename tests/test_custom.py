"""User-defined derivatives: custom_gradient, user primitives, recompute_grad (checkpointing)."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.checking import check_grads
from tapegrad.custom import (
    custom_gradient,
    defjvp,
    defrule,
    defvjp,
    elementwise,
    primitive,
    recompute_grad,
    unbroadcast,
)
from tapegrad.transforms import grad, hessian, jacobian, jvp, vjp

ROOT = Path(__file__).resolve().parents[1]


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


@custom_gradient
def log1pexp(x):
    e = tg.exp(x)

    def grad_fn(upstream):
        return upstream * (1 - 1 / (1 + e))

    return tg.log(1 + e), grad_fn


# ---- custom_gradient ----------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # exp(100) overflows float32, inf/inf
def test_log1pexp_has_a_stable_gradient_at_100():
    x = tg.constant(100.0)  # float32: exp(100) overflows to inf
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = log1pexp(x)
    g = tape.gradient(y, x)
    assert g.dtype == np.float32 and g.numpy() == 1.0
    with tg.GradientTape() as tape:  # the naive version: inf / inf
        tape.watch(x)
        y = tg.log(1 + tg.exp(x))
    assert np.isnan(tape.gradient(y, x).numpy())


def test_custom_gradient_value_and_higher_order():
    a = np.array([-2.0, -0.5, 0.0, 0.7, 3.0])
    np.testing.assert_allclose(log1pexp(tg.constant(a)).numpy(), np.log1p(np.exp(a)), rtol=1e-14)
    d1 = grad(lambda x: tg.sum(log1pexp(x)))
    np.testing.assert_allclose(d1(a).numpy(), sigmoid(a), rtol=1e-14)
    d2 = grad(lambda x: tg.sum(d1(x)))  # through the tensors grad_fn closes over
    np.testing.assert_allclose(d2(a).numpy(), sigmoid(a) * (1 - sigmoid(a)), rtol=1e-13)
    np.testing.assert_allclose(np.diag(hessian(lambda x: tg.sum(log1pexp(x)))(a).numpy()),
                               sigmoid(a) * (1 - sigmoid(a)), rtol=1e-13)
    check_grads(log1pexp, a, order=2)


def test_custom_gradient_forward_mode_transposes_grad_fn():
    a = np.array([-1.0, 0.5])
    _, t = jvp(log1pexp, (a,), (np.array([1.0, 2.0]),))
    np.testing.assert_allclose(t.numpy(), sigmoid(a) * [1.0, 2.0], rtol=1e-14)
    x = tg.constant(a)
    with tg.ForwardAccumulator(x, np.array([1.0, 1.0])) as acc:
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = tg.sum(log1pexp(x))
        g = tape.gradient(y, x)
    np.testing.assert_allclose(acc.jvp(g).numpy(), sigmoid(a) * (1 - sigmoid(a)), rtol=1e-13)


def test_custom_gradient_is_really_used():
    @custom_gradient
    def clip_gradient(x):
        def grad_fn(upstream):
            return tg.clip(upstream, -0.1, 0.1)

        return x * 1.0, grad_fn

    g = grad(lambda x: tg.sum(clip_gradient(x) * np.array([5.0, 0.05])))(np.array([1.0, 1.0]))
    np.testing.assert_allclose(g.numpy(), [0.1, 0.05])


def test_custom_gradient_several_arguments_and_none():
    @custom_gradient
    def scaled_product(x, y, scale):
        def grad_fn(upstream):
            return upstream * y * scale, upstream * x * scale, None

        return x * y * scale, grad_fn

    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    gx, gy, gs = grad(lambda a, b, s: tg.sum(scaled_product(a, b, s)), argnums=(0, 1, 2))(x, y, np.float64(2.0))
    np.testing.assert_array_equal(gx.numpy(), y * 2)
    np.testing.assert_array_equal(gy.numpy(), x * 2)
    assert float(gs) == 0.0  # grad_fn said None: not differentiated (zeros from tg.grad)
    check_grads(lambda a, b: scaled_product(a, b, 2.0), x, y, order=2)


def test_custom_gradient_nested_argument_and_several_outputs():
    @custom_gradient
    def polar(xy):
        x, y = xy
        r = tg.sqrt(x * x + y * y)
        theta = tg.arctan2(y, x)

        def grad_fn(dr, dtheta):
            r2 = r * r
            return [dr * x / r - dtheta * y / r2, dr * y / r + dtheta * x / r2]

        return (r, theta), grad_fn

    x0, y0 = np.float64(3.0), np.float64(4.0)
    (r, theta), vjp_fn = vjp(lambda a, b: polar([a, b]), x0, y0)
    assert float(r) == 5.0
    gx, gy = vjp_fn((np.float64(1.0), np.float64(0.0)))
    np.testing.assert_allclose([float(gx), float(gy)], [0.6, 0.8])
    gx, gy = vjp_fn((np.float64(0.0), np.float64(1.0)))
    np.testing.assert_allclose([float(gx), float(gy)], [-4 / 25, 3 / 25])
    check_grads(lambda a, b: tg.stack(list(polar([a, b]))), x0, y0, order=2)


def test_custom_gradient_with_variables():
    w = tg.Variable(np.array([2.0, -1.0]), name="w")

    @custom_gradient
    def linear(x):
        def grad_fn(upstream, variables=None):
            (v,) = variables
            assert v is w
            return upstream * w, [upstream * x]

        return x * w, grad_fn

    x = tg.constant(np.array([0.5, 3.0]))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.sum(linear(x) ** 2)
    gx, gw = tape.gradient(y, [x, w])
    p = np.array([0.5, 3.0]) * np.array([2.0, -1.0])
    np.testing.assert_allclose(gx.numpy(), 2 * p * [2.0, -1.0])
    np.testing.assert_allclose(gw.numpy(), 2 * p * [0.5, 3.0])

    @custom_gradient
    def forgot(x):
        return x * w, lambda upstream: upstream * w

    with tg.GradientTape() as tape:
        tape.watch(x)
        with pytest.raises(TypeError, match="variables"):
            forgot(x)


def test_custom_gradient_errors():
    @custom_gradient
    def not_a_pair(x):
        return x

    with pytest.raises(TypeError, match="pair"):
        grad(not_a_pair)(1.0)

    @custom_gradient
    def wrong_count(x, y):
        return x * y, lambda g: g

    with pytest.raises(ValueError, match="1 gradient"):
        grad(lambda a, b: wrong_count(a, b))(1.0, 2.0)

    @custom_gradient
    def wrong_shape(x):
        return tg.sum(x), lambda g: tg.ones((5,))

    with pytest.raises(ValueError, match="shape"):
        grad(wrong_shape)(np.array([1.0, 2.0]))


def test_custom_gradient_without_a_tape_just_computes():
    np.testing.assert_allclose(log1pexp(tg.constant(np.float64(0.0))).numpy(), np.log(2.0))


# ---- user-defined primitives ---------------------------------------------------------------------
@primitive
def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


defvjp(logsumexp, lambda g, ans, x: g * tg.exp(x - ans))
defjvp(logsumexp, lambda t, ans, x: tg.sum(t * tg.exp(x - ans)))

softplus = elementwise(lambda x: np.logaddexp(0, x), lambda ans, x: 1 - tg.exp(-ans), name="softplus")
# x * exp(y) with broadcasting between x and y
scale_exp = elementwise(
    lambda x, y: x * np.exp(y), lambda ans, x, y: tg.exp(y), lambda ans, x, y: ans, name="scale_exp"
)


def _row_sum_vjp(g, ans, x, axis):
    return tg.broadcast_to(tg.reshape(g, ans.shape[:axis] + (1,) + ans.shape[axis:]), x.shape)


row_sum = defrule(
    lambda x, axis: np.sum(x, axis=axis),
    vjps=(_row_sum_vjp,),
    jvps=(lambda t, ans, x, axis: row_sum(t, axis=axis),),
    name="row_sum",
)


def test_user_primitive_logsumexp():
    a = np.array([0.5, -1.0, 2.0])
    assert logsumexp.name == "logsumexp"
    np.testing.assert_allclose(logsumexp(tg.constant(a)).numpy(), np.log(np.sum(np.exp(a))), rtol=1e-14)
    np.testing.assert_allclose(grad(logsumexp)(a).numpy(), np.exp(a) / np.exp(a).sum(), rtol=1e-14)
    check_grads(logsumexp, a, order=3)


def test_user_elementwise_primitives():
    rng = np.random.default_rng(1)
    check_grads(softplus, rng.normal(size=(2, 3)), order=2)
    check_grads(scale_exp, rng.normal(size=(2, 3)), rng.normal(size=(3,)), order=2)
    check_grads(scale_exp, rng.normal(size=()), rng.normal(size=(2, 1)), order=2)
    x = np.array([1.0, 2.0], dtype=np.float32)
    assert grad(lambda v: tg.sum(softplus(v)))(x).dtype == np.float32


def test_user_primitive_with_a_keyword_parameter():
    a = np.arange(6.0).reshape(2, 3) / 7
    for axis in (0, 1):
        np.testing.assert_allclose(row_sum(tg.constant(a), axis=axis).numpy(), a.sum(axis=axis))
        check_grads(lambda x, axis=axis: tg.sin(row_sum(x, axis=axis)), a, order=2)


def test_user_primitive_unbroadcast_helper():
    badd = primitive(lambda x, y: x + y, name="badd")
    defvjp(badd, lambda g, ans, x, y: unbroadcast(g, x), lambda g, ans, x, y: unbroadcast(g, y))
    defjvp(badd, lambda t, ans, x, y: t, lambda t, ans, x, y: t)
    check_grads(badd, np.ones((2, 3)), np.ones((3,)), order=2)
    gx, gy = grad(lambda x, y: tg.sum(badd(x, y)), argnums=(0, 1))(np.ones((2, 3)), np.ones((3,)))
    np.testing.assert_array_equal(gy.numpy(), [2.0, 2.0, 2.0])


def test_user_primitive_joint_jvp():
    both = primitive(lambda x, y: x * y, name="both")
    defvjp(both, lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x)
    defjvp(both, joint=lambda ts, ans, x, y: (0 if ts[0] is None else ts[0] * y) + (0 if ts[1] is None else x * ts[1]))
    check_grads(both, np.array([1.0, 2.0]), np.array([0.5, -3.0]), order=2)


def test_declarator_errors():
    with pytest.raises(TypeError, match="tg.primitive"):
        defvjp(lambda x: x, lambda g, ans, x: g)
    with pytest.raises(TypeError, match="rule 0"):
        defvjp(primitive(np.sin), "not a rule")
    with pytest.raises(ValueError, match="one rule"):
        defjvp(primitive(np.sin))


# ---- recompute_grad -------------------------------------------------------------------------------
def chain(x, n=10):
    for i in range(n):
        x = tg.sin(x) if i % 2 else tg.tanh(x) * 1.5
    return x


def test_recompute_grad_gives_the_same_gradients_with_one_record_per_segment():
    segment = recompute_grad(chain)
    a = np.linspace(-1.0, 1.0, 7)
    x = tg.constant(a)
    with tg.GradientTape(persistent=True) as plain:
        plain.watch(x)
        y_plain = tg.sum(chain(chain(x)))
    with tg.GradientTape(persistent=True) as ckpt:
        ckpt.watch(x)
        y_ckpt = tg.sum(segment(segment(x)))
    assert float(y_plain) == float(y_ckpt)
    assert len(ckpt.records) == 3 and len(plain.records) == 31  # 2 segments + sum vs 2 * 15 ops + sum
    np.testing.assert_array_equal(ckpt.gradient(y_ckpt, x).numpy(), plain.gradient(y_plain, x).numpy())


def test_recompute_grad_higher_order_and_forward_mode():
    segment = recompute_grad(chain)
    a = np.array([0.3, -0.6])
    check_grads(segment, a, order=2)
    h_plain = hessian(lambda x: tg.sum(chain(x)))(a)
    h_ckpt = hessian(lambda x: tg.sum(segment(x)))(a)
    np.testing.assert_allclose(h_ckpt.numpy(), h_plain.numpy(), rtol=1e-13)
    _, t = jvp(segment, (a,), (np.array([1.0, -1.0]),))
    _, t_plain = jvp(chain, (a,), (np.array([1.0, -1.0]),))
    np.testing.assert_allclose(t.numpy(), t_plain.numpy(), rtol=1e-14)
    j = jacobian(segment, mode="forward")(a)
    np.testing.assert_allclose(j.numpy(), jacobian(chain)(a).numpy(), rtol=1e-14)


def test_recompute_grad_with_variables_and_several_arguments_and_outputs():
    w = tg.Variable(np.array([0.5, -1.5]))

    def layer(x, b):
        h = tg.tanh(x * w + b)
        return h, tg.sum(h * h)

    segment = recompute_grad(layer)
    x, b = tg.constant(np.array([1.0, 2.0])), tg.constant(np.array([0.1, 0.2]))
    grads = []
    for fn in (layer, segment):
        with tg.GradientTape() as tape:
            tape.watch([x, b])
            h, s = fn(x, b)
            y = tg.sum(h * 3.0) + s
        grads.append(tape.gradient(y, [x, b, w]))
    for g_plain, g_ckpt in zip(*grads):
        np.testing.assert_allclose(g_ckpt.numpy(), g_plain.numpy(), rtol=1e-14)


def test_recompute_grad_without_a_tape_is_just_the_function():
    a = np.array([0.1, 0.2])
    np.testing.assert_array_equal(recompute_grad(chain)(tg.constant(a)).numpy(), chain(tg.constant(a)).numpy())


def _peak(fn) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def test_recompute_grad_uses_less_memory():
    a = np.random.default_rng(0).uniform(-1, 1, 20_000)  # 160 kB per array
    segment = recompute_grad(lambda x: chain(x, 10))

    def plain():
        grad(lambda x: tg.sum(chain(x, 60)))(a)

    def ckpt():
        grad(lambda x: tg.sum(segment(segment(segment(segment(segment(segment(x))))))))(a)

    plain_peak, ckpt_peak = _peak(plain), _peak(ckpt)
    # plain keeps ~60 arrays; checkpointed ~6 boundaries + 10 recomputed + a few temporaries
    assert ckpt_peak < plain_peak / 2.5, (plain_peak, ckpt_peak)


def test_recompute_memory_benchmark_runs():
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "recompute_memory.py"), "--size", "20000", "--ops", "40"],
        capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "recompute_grad every 10 ops" in out.stdout and "memory ratio" in out.stdout
    assert "max |gradient difference| = 0.0e+00" in out.stdout


def test_recompute_grad_records_do_not_keep_large_outputs(monkeypatch):
    from tapegrad import _primitive

    monkeypatch.setattr(_primitive, "SMALL_ARRAY_BYTES", 0)  # every array counts as large
    block = recompute_grad(lambda v: tg.sin(v) * tg.cos(v))
    plain = lambda v: tg.sin(v) * tg.cos(v)  # noqa: E731
    x = tg.constant(np.array([0.3, -0.7, 1.1]))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = block(x)
    assert tape.records[-1].kept[1] == (False,)  # the rule recomputes the output instead
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), np.cos(2 * x.numpy()), rtol=1e-14)
    f = lambda v: tg.sum(block(v) ** 2)  # noqa: E731
    g = lambda v: tg.sum(plain(v) ** 2)  # noqa: E731
    np.testing.assert_allclose(hessian(f)(x).numpy(), hessian(g)(x).numpy(), rtol=1e-12)
    with tg.GradientTape() as outer:  # forward over the records while an outer tape records it
        outer.watch(x)
        j = jacobian(block, mode="forward")(x)
        s = tg.sum(j)
    np.testing.assert_allclose(outer.gradient(s, x).numpy(), -2 * np.sin(2 * x.numpy()), rtol=1e-12)


def test_redeclared_rules_replace_everything_derived_from_the_old_ones(monkeypatch):
    from tapegrad import _primitive

    monkeypatch.setattr(_primitive, "SMALL_ARRAY_BYTES", 0)  # stand-ins for every array a rule does not read
    twice = primitive(lambda x: 2 * x, name="twice")
    defvjp(twice, lambda g, ans, x: 2 * g)
    defjvp(twice, lambda t, ans, x: 2 * t)
    x = tg.constant(np.array([1.0, 2.0]))
    for _ in range(2):  # derive reads, record keeps and batched rules from the first rules
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = twice(x)
        tape.gradient(y, x)
    defvjp(twice, lambda g, ans, x: g * x)  # now reads x (a deliberately different rule)
    defjvp(twice, lambda t, ans, x: t * x)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = twice(x)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(tape.jacobian(y, x).numpy(), np.diag([1.0, 2.0]))
    np.testing.assert_array_equal(jacobian(twice, mode="forward")(x).numpy(), np.diag([1.0, 2.0]))


def test_rules_may_be_bound_methods(monkeypatch):
    from tapegrad import _primitive

    monkeypatch.setattr(_primitive, "SMALL_ARRAY_BYTES", 0)

    class Cube:
        def vjp(self, g, ans, x):
            return 3 * g * x * x

        def jvp(self, t, ans, x):
            return 3 * t * x * x

    rules = Cube()
    cube = primitive(lambda x: x**3, name="cube")
    defvjp(cube, rules.vjp)
    defjvp(cube, rules.jvp)
    x = tg.constant(np.array([1.0, 2.0]))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = cube(x)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [3.0, 12.0])


def test_user_elementwise_ops_keep_keyword_parameters_and_integer_results():
    scale = elementwise(lambda x, k: x * k, lambda ans, x, k: k * tg.ones_like(x), None, name="scale")
    x = tg.constant(np.array([1.0, 2.0]))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = scale(x, k=3.0)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [3.0, 3.0])
    to_int = elementwise(lambda x: np.round(x).astype(np.int64), lambda ans, x: tg.ones_like(x), name="to_int")
    with tg.GradientTape() as tape:
        tape.watch(x)
        z = to_int(x)
    assert z.dtype == np.int64 and tape.gradient(z, x) is None  # integer results have no gradient


def test_custom_gradient_runs_once_per_jacobian_row():
    calls = []

    @custom_gradient
    def f(a, b, c):
        def grad_fn(g):
            calls.append(1)
            return g * b * c, g * a * c, g * a * b

        return a * b * c, grad_fn

    a, b, c = (tg.constant(np.array([1.0, 2.0, 3.0, 4.0]) * k) for k in (1.0, 2.0, 3.0))
    with tg.GradientTape() as tape:
        tape.watch([a, b, c])
        y = f(a, b, c)
    ja, jb, jc = tape.jacobian(y, [a, b, c])
    assert len(calls) == 4  # one per row of the 4 x 4 Jacobians, not one per row and argument
    np.testing.assert_allclose(ja.numpy(), np.diag((b * c).numpy()))
    np.testing.assert_allclose(jc.numpy(), np.diag((a * b).numpy()))
