"""The rule contract for ops with several outputs: eigh, slogdet, users' primitives, custom rules."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import _context

RNG = np.random.default_rng(7)
A = RNG.standard_normal((4, 4))
SPD = A @ A.T + 4 * np.eye(4)
W = RNG.standard_normal(4)
C = RNG.standard_normal((4, 4))


def _sym(a):
    return 0.5 * (a + tg.transpose(a))


def _np_eigh(a):
    w, v = np.linalg.eigh(0.5 * (a + a.T))
    return w, v


def eigenvalues_only(a):
    w, _ = tg.linalg.eigh(_sym(a))
    return tg.sum(w * W)


def eigenvectors_only(a):
    _, v = tg.linalg.eigh(_sym(a))
    return tg.sum(v * v * C)  # squares: independent of the eigenvectors' signs


def both(a):
    w, v = tg.linalg.eigh(_sym(a))
    return tg.sum(w * W) + tg.sum(v * v * C)


@pytest.mark.parametrize("f", [eigenvalues_only, eigenvectors_only, both])
def test_eigh_with_cotangents_on_one_output_or_both_to_second_order(f):
    tg.check_grads(f, SPD, order=2)


def test_eigh_eigenvalue_gradient_is_the_closed_form():
    """d(sum_i c_i w_i)/dA = V diag(c) V^T (symmetric input)."""
    a = tg.constant(SPD)
    with tg.GradientTape() as tape:
        tape.watch(a)
        w, v = tg.linalg.eigh(a)
        y = tg.sum(w * W)
    _, vv = np.linalg.eigh(SPD)
    np.testing.assert_allclose(tape.gradient(y, a).numpy(), vv @ np.diag(W) @ vv.T, atol=1e-12)


def test_eigh_is_one_record_with_two_outputs():
    a = tg.constant(SPD)
    with tg.GradientTape() as tape:
        tape.watch(a)
        w, v = tg.linalg.eigh(a)
    (record,) = tape.records
    assert record.op == "linalg.eigh" and record.multiple
    assert record.output_keys == (w._key, v._key) and record.output_shapes == ((4,), (4, 4))
    np.testing.assert_array_equal(record.outputs[0], np.linalg.eigh(SPD)[0])


def test_eigh_forward_mode_gives_both_tangents():
    t = RNG.standard_normal((4, 4))
    t = t + t.T
    w0 = np.linalg.eigh(SPD)[0]
    h = 1e-6
    dw = (np.linalg.eigh(SPD + h * t)[0] - np.linalg.eigh(SPD - h * t)[0]) / (2 * h)
    a = tg.constant(SPD)
    with tg.ForwardAccumulator(a, tg.constant(t)) as acc:
        w, v = tg.linalg.eigh(a)
    np.testing.assert_allclose(w.numpy(), w0)
    np.testing.assert_allclose(acc.jvp(w).numpy(), dw, rtol=1e-6, atol=1e-8)
    assert acc.jvp(v).shape == (4, 4)


def test_slogdet_is_computed_once_and_only_logabsdet_is_differentiable():
    a = tg.constant(SPD)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(a)
        sign, logdet = tg.linalg.slogdet(a)
    assert [r.op for r in tape.records] == ["linalg.slogdet"]
    assert tape.gradient(sign, a) is None
    np.testing.assert_allclose(tape.gradient(logdet, a).numpy(), np.linalg.inv(SPD).T, rtol=1e-12)


# ---- a user's primitive with two outputs ---------------------------------------------------------------
@tg.primitive
def polar(x, y):
    return np.hypot(x, y), np.arctan2(y, x)


def _polar_vjp(g, ans, needs, x, y):
    (gr, gt), (r, _) = g, ans
    gx = gy = 0
    if gr is not None:
        gx, gy = gr * x / r, gr * y / r
    if gt is not None:
        gx, gy = gx - gt * y / (r * r), gy + gt * x / (r * r)
    return [gx, gy]


def _polar_jvp(tangents, ans, x, y):
    tx = 0 if tangents[0] is None else tangents[0]
    ty = 0 if tangents[1] is None else tangents[1]
    r, _ = ans
    return (x * tx + y * ty) / r, (x * ty - y * tx) / (r * r)


tg.defvjp(polar, joint=_polar_vjp)
tg.defjvp(polar, joint=_polar_jvp)


@pytest.mark.parametrize("pick", [0, 1, None])
def test_a_users_joint_rules_with_two_outputs(pick):
    def f(x, y):
        r, t = polar(x, y)
        return r * r * t if pick is None else (r, t)[pick] * 1.5

    tg.check_grads(f, np.array([0.3, -1.2, 2.0]), np.array([1.1, 0.4, -0.5]), order=2)


def test_a_tracing_recorder_sees_every_call_including_constants_and_multi_output_ops():
    class Tracer:
        is_tape = False

        def __init__(self):
            self.calls = []

        def record(self, prim, args, vals, params, result):
            self.calls.append((prim.name, len(result) if isinstance(result, tuple) else 1))

        def on_variable_read(self, var, snap):
            pass

    tracer = Tracer()
    _context.push(tracer)
    try:
        w, v = tg.linalg.eigh(tg.constant(SPD))  # a constant: no tape would record it
        tg.sin(w)
    finally:
        _context.remove(tracer)
    assert tracer.calls == [("linalg.eigh", 2), ("sin", 1)]


def test_custom_gradient_with_two_outputs_calls_grad_fn_once():
    calls = []

    @tg.custom_gradient
    def f(x):
        def grad_fn(g1, g2):
            calls.append(1)
            return g1 * 2 + g2 * 3

        return (x * 2, x * 3), grad_fn

    x = tg.constant(np.array([1.0, 2.0]))
    with tg.GradientTape() as tape:
        tape.watch(x)
        a, b = f(x)
        y = tg.sum(a) + tg.sum(b)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [5.0, 5.0])
    assert len(calls) == 1


def test_recompute_grad_with_two_outputs_recomputes_once():
    runs = []

    def block(x):
        runs.append(1)
        return tg.sin(x), tg.cos(x)

    ckpt = tg.recompute_grad(block)
    x = tg.constant(np.array([0.1, 0.7]))
    with tg.GradientTape() as tape:
        tape.watch(x)
        s, c = ckpt(x)
        y = tg.sum(s * c)
    runs.clear()
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), np.cos(2 * x.numpy()), rtol=1e-14)
    assert len(runs) == 1
