"""GradientTape: TensorFlow's documented behaviour, higher order by nesting, errors, memory."""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest

import tapegrad as tg


def test_trainable_variables_are_watched_automatically():
    w1, w2 = tg.Variable(5.0), tg.Variable(3.0)
    with tg.GradientTape() as tape:
        z = 3 * w1**2 + 2 * w1 * w2
    assert tape.watched_variables()[0] is w1 and tape.watched_variables()[1] is w2
    dz = tape.gradient(z, [w1, w2])
    assert [float(g) for g in dz] == [36.0, 10.0]


def test_constants_need_watch():
    c1, c2 = tg.constant(5.0), tg.constant(3.0)
    with tg.GradientTape() as tape:
        z = 3 * c1**2 + 2 * c1 * c2
    assert tape.gradient(z, [c1, c2]) == [None, None]
    with tg.GradientTape() as tape:
        tape.watch([c1, c2])
        z = 3 * c1**2 + 2 * c1 * c2
    assert [float(g) for g in tape.gradient(z, [c1, c2])] == [36.0, 10.0]


def test_watch_accessed_variables_false_and_non_trainable():
    v = tg.Variable(2.0)
    frozen = tg.Variable(2.0, trainable=False)
    with tg.GradientTape(watch_accessed_variables=False) as tape:
        y = v * v
    assert tape.gradient(y, v) is None
    with tg.GradientTape() as tape:
        y = frozen * frozen
    assert tape.gradient(y, frozen) is None
    with tg.GradientTape() as tape:
        tape.watch(frozen)
        y = frozen * frozen
    assert float(tape.gradient(y, frozen)) == 4.0


def test_sources_in_nested_structures_come_back_in_the_same_structure():
    a, b, c = tg.constant(1.0), tg.constant(2.0), tg.constant(3.0)
    with tg.GradientTape() as tape:
        tape.watch({"a": a, "bc": (b, [c])})
        y = a * b * c
    g = tape.gradient(y, {"a": a, "bc": (b, [c])})
    assert float(g["a"]) == 6.0 and float(g["bc"][0]) == 3.0 and float(g["bc"][1][0]) == 2.0
    assert isinstance(g["bc"], tuple) and isinstance(g["bc"][1], list)


def test_a_list_of_targets_means_their_sum():
    x = tg.constant(2.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y1, y2 = x * x, 3 * x
    assert float(tape.gradient([y1, y2], x)) == 7.0


def test_gradient_with_respect_to_intermediates():
    x = tg.ones((2, 2))
    with tg.GradientTape(persistent=True) as t:
        t.watch(x)
        y = tg.reduce_sum(x)
        z = tg.multiply(y, y)
    assert t.gradient(z, y).numpy() == 8.0
    np.testing.assert_array_equal(t.gradient(z, x).numpy(), np.full((2, 2), 8.0))


def test_unconnected_sources_give_none_or_zeros():
    x, y = tg.constant(1.0), tg.constant([1.0, 2.0])
    with tg.GradientTape(persistent=True) as tape:
        tape.watch([x, y])
        z = x * 2
    assert tape.gradient(z, y) is None
    zero = tape.gradient(z, y, unconnected_gradients=tg.UnconnectedGradients.ZERO)
    np.testing.assert_array_equal(zero.numpy(), [0.0, 0.0])
    assert zero.dtype == np.float32
    with pytest.raises(ValueError, match="unconnected_gradients"):
        tape.gradient(z, y, unconnected_gradients="sometimes")


def test_output_gradients_seed_the_backward_pass():
    x = tg.constant([1.0, 2.0])
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
    np.testing.assert_array_equal(tape.gradient(y, x, output_gradients=[10.0, 100.0]).numpy(), [20.0, 400.0])
    with pytest.raises(ValueError, match="output_gradients has shape"):
        tape.gradient(y, x, output_gradients=[1.0, 2.0, 3.0])


def test_non_persistent_tape_can_be_asked_once():
    x = tg.constant(3.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="persistent=True"):
        tape.gradient(y, x)


def test_persistent_tape_can_be_asked_many_times():
    x = tg.constant(3.0)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x**2
        z = y**2
    assert float(tape.gradient(z, x)) == 108.0
    assert float(tape.gradient(y, x)) == 6.0
    assert float(tape.gradient(z, x)) == 108.0


def test_stop_recording():
    x = tg.constant(2.0)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        with tape.stop_recording():
            z = x * x * x
        w = y + z
    assert float(tape.gradient(w, x)) == 4.0
    assert tape.gradient(z, x) is None
    with pytest.raises(RuntimeError, match="stop_recording"):
        with tape.stop_recording():
            pass


def test_reset_forgets_the_recording():
    x = tg.constant(2.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        x * x
        tape.reset()
        tape.watch(x)
        z = x * x * x
    assert float(tape.gradient(z, x)) == 12.0


def test_python_control_flow():
    def f(x, n):
        out = tg.constant(1.0)
        for _ in range(n):
            out = tg.multiply(out, x) if n > 0 else out
        return out

    x = tg.constant(3.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = f(x, 2)
    assert float(y) == 9.0 and float(tape.gradient(y, x)) == 6.0


def test_recursion_and_branches():
    def power(x, n):
        if n == 0:
            return tg.constant(1.0)
        return x * power(x, n - 1) if n % 2 else power(x, n // 2) ** 2

    x = tg.constant(1.5)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = power(x, 5)
    np.testing.assert_allclose(float(tape.gradient(y, x)), 5 * 1.5**4, rtol=1e-6)


def test_long_chain_has_no_recursion_error():
    x = tg.constant(np.float64(1.0))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x
        for _ in range(100_000):
            y = y * 1.0
    assert float(tape.gradient(y, x)) == 1.0


# ---- higher order by nesting ------------------------------------------------------------------
def test_nested_tapes_give_second_derivative_for_a_variable():
    x = tg.Variable(5.0)
    with tg.GradientTape() as t2:
        with tg.GradientTape() as t1:
            y = x**3
        dy = t1.gradient(y, x)
    assert float(dy) == 75.0 and float(t2.gradient(dy, x)) == 30.0


def test_inner_watch_makes_outer_tape_watch_too():
    x = tg.constant(1.0)
    with tg.GradientTape() as t:
        with tg.GradientTape() as t2:
            t2.watch(x)
            y = x * x * x
        dy_dx = t2.gradient(y, x)
    assert dy_dx.numpy() == 3.0
    assert t.gradient(dy_dx, x).numpy() == 6.0


def test_third_and_fourth_order_by_nesting():
    x = tg.constant(np.float64(0.7))
    with tg.GradientTape() as t4:
        t4.watch(x)
        with tg.GradientTape() as t3:
            t3.watch(x)
            with tg.GradientTape() as t2:
                t2.watch(x)
                with tg.GradientTape() as t1:
                    t1.watch(x)
                    y = tg.sin(x) ** 2
                d1 = t1.gradient(y, x)
            d2 = t2.gradient(d1, x)
        d3 = t3.gradient(d2, x)
    d4 = t4.gradient(d3, x)
    v = 0.7
    np.testing.assert_allclose(
        [float(d1), float(d2), float(d3), float(d4)],
        [np.sin(2 * v), 2 * np.cos(2 * v), -4 * np.sin(2 * v), -8 * np.cos(2 * v)],
        rtol=1e-12,
    )


def test_hessian_from_one_persistent_tape():
    x, y = tg.Variable(3.0), tg.Variable(4.0)
    with tg.GradientTape(persistent=True) as tape:
        f = x * x * y + y + 2
        jacobians = tape.gradient(f, [x, y])
    hessians = [tape.gradient(j, [x, y]) for j in jacobians]
    assert [float(j) for j in jacobians] == [24.0, 10.0]
    assert float(hessians[0][0]) == 8.0 and float(hessians[0][1]) == 6.0
    assert float(hessians[1][0]) == 6.0 and hessians[1][1] is None


# ---- Jacobians ------------------------------------------------------------------------------------
def test_jacobian_matches_the_closed_form():
    w = np.random.default_rng(0).standard_normal((3, 4))
    x = tg.constant(np.linspace(-1, 1, 4))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.tanh(tg.constant(w) @ x) if hasattr(tg, "matmul") else tg.tanh(tg.sum(tg.constant(w) * x, axis=1))
    j = tape.jacobian(y, x)
    expected = (1 - np.tanh(w @ np.linspace(-1, 1, 4)) ** 2)[:, None] * w
    np.testing.assert_allclose(j.numpy(), expected, rtol=1e-12)


def test_jacobian_of_unconnected_source():
    x, z = tg.constant([1.0, 2.0]), tg.constant(3.0)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch([x, z])
        y = x * 2
    assert tape.jacobian(y, z) is None
    np.testing.assert_array_equal(
        tape.jacobian(y, z, unconnected_gradients=tg.UnconnectedGradients.ZERO).numpy(), [0.0, 0.0]
    )


def test_batch_jacobian():
    x = tg.constant(np.arange(1.0, 7.0).reshape(2, 3))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.stack([x[:, 0] * x[:, 1], x[:, 2] ** 2], axis=1)
    j = tape.batch_jacobian(y, x).numpy()
    assert j.shape == (2, 2, 3)
    a = np.arange(1.0, 7.0).reshape(2, 3)
    for b in range(2):
        np.testing.assert_array_equal(j[b], [[a[b, 1], a[b, 0], 0], [0, 0, 2 * a[b, 2]]])


# ---- dtypes --------------------------------------------------------------------------------------
def test_integer_tensors_are_not_differentiable():
    i = tg.constant([1, 2])
    with tg.GradientTape() as tape:
        tape.watch(i)
        y = i * 2
    assert tape.gradient(y, i) is None


def test_gradient_has_the_dtype_of_its_source():
    x = tg.constant(np.array([1.0, 2.0], dtype=np.float32))
    w = tg.constant(np.array([0.5, 0.25]))  # float64 tensor: NumPy promotion for two tensors
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.sum(x * w)
    assert tape.gradient(y, x).dtype == np.float32


# ---- errors -----------------------------------------------------------------------------------
def test_target_must_be_a_tensor():
    x = tg.constant(1.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
    with pytest.raises(TypeError, match="target must be a tg.Tensor"):
        tape.gradient(3.0, x)


def test_sources_must_be_tensors():
    x = tg.constant(1.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * 2
    with pytest.raises(TypeError, match="source 0 is a str"):
        tape.gradient(y, "x")


def test_watch_rejects_non_tensors():
    with tg.GradientTape() as tape:
        with pytest.raises(TypeError, match="tg.constant"):
            tape.watch(3.0)


def test_gradient_on_a_tape_that_never_ran():
    tape = tg.GradientTape()
    with pytest.raises(RuntimeError, match="never ran"):
        tape.gradient(tg.constant(1.0), tg.constant(1.0))


# ---- resources and threads ----------------------------------------------------------------------
def test_non_persistent_tape_releases_everything_after_gradient():
    x = tg.constant(np.ones(1000))
    with tg.GradientTape() as tape:
        tape.watch(x)
        h = tg.sin(x)
        y = tg.sum(h * h)
    ref = weakref.ref(h)
    del h
    tape.gradient(y, x)
    del y
    gc.collect()
    assert ref() is None
    assert tape.records == () and not tape.tracks(x._key)


def test_tapes_are_thread_local():
    results = {}

    def work(name, value):
        x = tg.constant(np.float64(value))
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = x
            for _ in range(2000):
                y = y * 1.0001
            recorded = len(tape.records)
            results[name] = (float(tape.gradient(y, x)), recorded)

    threads = [threading.Thread(target=work, args=(n, v)) for n, v in (("a", 1.0), ("b", 2.0))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name in ("a", "b"):
        np.testing.assert_allclose(results[name][0], 1.0001**2000)
        assert results[name][1] == 2000


def test_a_watched_where_condition_carries_no_gradient():
    x = tg.constant(np.array([0.0, 1.0, 2.0]))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.where(x, 1.0, 2.0) * x  # the condition is x itself (nonzero = True): no derivative through it
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [2.0, 1.0, 1.0])
    with tg.GradientTape() as tape:
        tape.watch(x)
        z = tg.where(x, tg.constant(np.array([1, 2, 3])), 0)  # integer branches: an integer result
    assert z.dtype == np.int64 and tape.gradient(z, x) is None


def test_gradient_of_a_tensor_with_respect_to_itself_is_ones_whatever_other_tapes_did():
    x = tg.constant(np.array([1.0, 2.0]))
    with tg.GradientTape() as tape:
        pass
    np.testing.assert_array_equal(tape.gradient(x, x).numpy(), [1.0, 1.0])
    with tg.GradientTape() as other:
        other.watch(x)
    with tg.GradientTape() as tape:
        pass
    np.testing.assert_array_equal(tape.gradient(x, x).numpy(), [1.0, 1.0])


@pytest.mark.parametrize("how", ["parallel_iterations", "stack_budget"])
def test_jacobians_in_chunks_equal_one_walk(how, monkeypatch):
    from tapegrad import batching

    rng = np.random.default_rng(0)
    w = tg.constant(rng.normal(size=(7, 5)))
    x = tg.constant(rng.normal(size=5))
    f = lambda v: tg.tanh(w @ v) * tg.sum(v)  # noqa: E731
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = f(x)
    whole = tape.jacobian(y, x).numpy()
    forward_whole = tg.jacobian(f, mode="forward")(x).numpy()
    if how == "parallel_iterations":
        chunked = tape.jacobian(y, x, parallel_iterations=3).numpy()
        forward_chunked = forward_whole
    else:
        monkeypatch.setattr(batching, "STACK_BYTES", 3 * 7 * 8)  # three rows of the widest value per walk
        chunked = tape.jacobian(y, x).numpy()
        forward_chunked = tg.jacobian(f, mode="forward")(x).numpy()
        assert batching.rows_per_walk(tape.records, 7) == 3
    np.testing.assert_allclose(chunked, whole, rtol=1e-14)
    np.testing.assert_allclose(forward_chunked, whole, rtol=1e-14)
    xs = tg.constant(rng.normal(size=(4, 5)))
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(xs)
        ys = tg.tanh(xs @ tg.transpose(w))  # (4, 7): example b depends on xs[b] only
    np.testing.assert_allclose(tape.batch_jacobian(ys, xs, parallel_iterations=2).numpy(),
                               tape.batch_jacobian(ys, xs, parallel_iterations=None).numpy(), rtol=1e-14)


def test_records_keep_values_not_tensors():
    """A record holds arrays and keys, so an intermediate Tensor dies with its last user reference."""
    x = tg.constant(np.array([0.3, 1.2, -0.4]))
    with tg.GradientTape() as tape:
        tape.watch(x)
        h = tg.sin(x)
        alive = weakref.ref(h)
        y = tg.sum(h * h)
        del h
    gc.collect()
    assert alive() is None
    assert not any(isinstance(v, tg.Tensor) for record in tape.records for v in (*record.vals, record.ans))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), np.sin(2 * x.numpy()), rtol=1e-14)


def test_an_outer_tape_differentiates_through_constants_of_the_inner_records():
    """The inner walk rebuilds its records' tensors from values and keys: the outer tape must still
    see the constant c (watched only by it) in d/dx (c * x**2 + 3 * x) = 2 c x + 3."""
    x = tg.constant(1.5)
    c = tg.constant(2.0)
    with tg.GradientTape() as outer:
        outer.watch(c)
        with tg.GradientTape() as inner:
            inner.watch(x)
            y = c * x**2 + 3 * x
        dy_dx = inner.gradient(y, x)
    assert float(dy_dx) == 2 * 2.0 * 1.5 + 3
    assert float(outer.gradient(dy_dx, c)) == 2 * 1.5


@pytest.mark.parametrize("method", ["jacobian", "batch_jacobian"])
def test_jacobian_of_several_targets_is_a_clear_error(method):
    """tape.jacobian([y, y], x) failed with Python's "too many values to unpack"; TensorFlow's
    fails too (a list has no shape). A Jacobian is not summed over targets as gradient() is."""
    x = tg.constant(np.array([[1.0, 2.0]]))
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
    with pytest.raises(TypeError, match=f"{method}: the target must be one tensor, got 2"):
        getattr(tape, method)([y, y], x)
    np.testing.assert_array_equal(getattr(tape, method)([y], x).numpy(), getattr(tape, method)(y, x).numpy())
