"""ForwardAccumulator: forward mode alone, nested with itself, and with tapes."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg


def test_jvp_of_sin_x_squared_at_3():
    x = tg.constant(np.float64(3.0))
    with tg.ForwardAccumulator(x, 1.0) as acc:
        y = tg.sin(x**2)
    np.testing.assert_allclose(float(acc.jvp(y)), 6 * np.cos(9.0), rtol=1e-14)
    assert round(float(acc.jvp(y)), 2) == -5.47 or abs(float(acc.jvp(y)) + 5.46) < 0.01


def test_jvp_is_j_times_the_tangent():
    a = np.array([0.3, -1.2, 2.0])
    u = np.array([1.0, 0.5, -2.0])
    x = tg.constant(a)
    with tg.ForwardAccumulator(x, u) as acc:
        y = tg.exp(x) * tg.sum(x * x)
    jac = np.diag(np.exp(a)) * np.sum(a * a) + np.outer(np.exp(a), 2 * a)
    np.testing.assert_allclose(acc.jvp(y).numpy(), jac @ u, rtol=1e-13)


def test_unconnected_and_zero():
    x, z = tg.constant(1.0), tg.constant([1.0, 2.0])
    with tg.ForwardAccumulator(x, 1.0) as acc:
        y = z * 2
    assert acc.jvp(y) is None
    np.testing.assert_array_equal(acc.jvp(y, unconnected_gradients=tg.UnconnectedGradients.ZERO).numpy(), [0, 0])


def test_nested_accumulators_give_second_derivatives():
    x = tg.constant(np.float64(0.4))
    with tg.ForwardAccumulator(x, 1.0) as outer:
        with tg.ForwardAccumulator(x, 1.0) as inner:
            y = tg.sin(x) ** 2
        d1 = inner.jvp(y)
    d2 = outer.jvp(d1)
    np.testing.assert_allclose([float(d1), float(d2)], [np.sin(0.8), 2 * np.cos(0.8)], rtol=1e-13)


def test_forward_over_reverse_is_a_hessian_vector_product():
    a = np.array([0.5, -0.3, 0.8])
    v = np.array([1.0, 2.0, -1.0])
    x = tg.constant(a)
    with tg.ForwardAccumulator(x, v) as acc:
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = tg.sum(x**3) * tg.sum(x)
        g = tape.gradient(y, x)
    s3, s1 = np.sum(a**3), np.sum(a)
    hessian = np.diag(6 * a * s1) + np.outer(3 * a**2, np.ones(3)) + np.outer(np.ones(3), 3 * a**2)
    np.testing.assert_allclose(acc.jvp(g).numpy(), hessian @ v, rtol=1e-12)
    np.testing.assert_allclose(g.numpy(), 3 * a**2 * s1 + s3, rtol=1e-12)


def test_reverse_over_forward():
    a = np.array([0.5, -0.3])
    x = tg.constant(a)
    with tg.GradientTape() as tape:
        tape.watch(x)
        with tg.ForwardAccumulator(x, np.array([1.0, 0.0])) as acc:
            y = tg.sum(tg.sin(x) * x)
        d = acc.jvp(y)  # d/dx0 of y
    np.testing.assert_allclose(tape.gradient(d, x).numpy(), [2 * np.cos(0.5) - 0.5 * np.sin(0.5), 0.0], rtol=1e-13)


def test_variables_as_primals():
    v = tg.Variable(np.array([1.0, 2.0]))
    with tg.ForwardAccumulator(v, np.array([1.0, 1.0])) as acc:
        y = tg.sum(v * v)
    assert float(acc.jvp(y)) == 6.0


def test_bad_tangents_are_clear_errors():
    x = tg.constant([1.0, 2.0])
    with pytest.raises(ValueError, match="shape"):
        tg.ForwardAccumulator(x, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="tangents"):
        tg.ForwardAccumulator([x, x], [np.ones(2)])
    with pytest.raises(TypeError, match="primal 0"):
        tg.ForwardAccumulator(3.0, 1.0)


def test_float32_tangent_stays_float32():
    x = tg.constant([1.0, 2.0])
    with tg.ForwardAccumulator(x, np.array([1.0, 1.0])) as acc:
        y = tg.exp(x) * 0.5
    assert acc.jvp(y).dtype == np.float32
