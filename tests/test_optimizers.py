"""tg.optimizers: every update rule against an independent NumPy re-implementation of Keras's formulas."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import optimizers

SHAPES = [(), (3,), (2, 3)]


# ---- independent NumPy references (float64), written from Keras's documented formulas --------------
def ref_sgd(w, grads, lr, momentum=0.0, nesterov=False):
    w = np.array(w, dtype=np.float64)
    velocity = np.zeros_like(w)
    out = []
    for g in grads:
        if momentum == 0:
            w = w - lr * g
        else:
            velocity = momentum * velocity - lr * g
            w = w + momentum * velocity - lr * g if nesterov else w + velocity
        out.append(w)
    return out


def ref_adam(w, grads, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    w = np.array(w, dtype=np.float64)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    v_hat = np.zeros_like(w)
    out = []
    for t, g in enumerate(grads, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g * g
        alpha = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        if amsgrad:
            v_hat = np.maximum(v_hat, v)
            w = w - alpha * m / (np.sqrt(v_hat) + epsilon)
        else:
            w = w - alpha * m / (np.sqrt(v) + epsilon)
        out.append(w)
    return out


def ref_rmsprop(w, grads, lr, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    w = np.array(w, dtype=np.float64)
    ms = np.zeros_like(w)
    mg = np.zeros_like(w)
    mom = np.zeros_like(w)
    out = []
    for g in grads:
        ms = rho * ms + (1 - rho) * g * g
        if centered:
            mg = rho * mg + (1 - rho) * g
            step = lr * g / np.sqrt(ms - mg * mg + epsilon)
        else:
            step = lr * g / np.sqrt(ms + epsilon)
        if momentum > 0:
            mom = momentum * mom + step
            w = w - mom
        else:
            w = w - step
        out.append(w)
    return out


def ref_adagrad(w, grads, lr, initial_accumulator_value=0.1, epsilon=1e-7):
    w = np.array(w, dtype=np.float64)
    acc = np.full_like(w, initial_accumulator_value)
    out = []
    for g in grads:
        acc = acc + g * g
        w = w - lr * g / np.sqrt(acc + epsilon)
        out.append(w)
    return out


CASES = [
    ("sgd", lambda: optimizers.SGD(0.1), lambda w, gs: ref_sgd(w, gs, 0.1)),
    ("sgd-momentum", lambda: optimizers.SGD(0.1, momentum=0.9), lambda w, gs: ref_sgd(w, gs, 0.1, 0.9)),
    (
        "sgd-nesterov",
        lambda: optimizers.SGD(0.05, momentum=0.8, nesterov=True),
        lambda w, gs: ref_sgd(w, gs, 0.05, 0.8, nesterov=True),
    ),
    ("adam", lambda: optimizers.Adam(0.01), lambda w, gs: ref_adam(w, gs, 0.01)),
    (
        "adam-custom",
        lambda: optimizers.Adam(0.2, beta_1=0.5, beta_2=0.9, epsilon=1e-3),
        lambda w, gs: ref_adam(w, gs, 0.2, 0.5, 0.9, 1e-3),
    ),
    ("adam-amsgrad", lambda: optimizers.Adam(0.05, amsgrad=True), lambda w, gs: ref_adam(w, gs, 0.05, amsgrad=True)),
    ("rmsprop", lambda: optimizers.RMSprop(0.01), lambda w, gs: ref_rmsprop(w, gs, 0.01)),
    (
        "rmsprop-momentum",
        lambda: optimizers.RMSprop(0.01, rho=0.8, momentum=0.5),
        lambda w, gs: ref_rmsprop(w, gs, 0.01, 0.8, 0.5),
    ),
    (
        "rmsprop-centered",
        lambda: optimizers.RMSprop(0.02, centered=True, momentum=0.3),
        lambda w, gs: ref_rmsprop(w, gs, 0.02, momentum=0.3, centered=True),
    ),
    ("adagrad", lambda: optimizers.Adagrad(0.1), lambda w, gs: ref_adagrad(w, gs, 0.1)),
    (
        "adagrad-custom",
        lambda: optimizers.Adagrad(0.5, initial_accumulator_value=1.0, epsilon=1e-4),
        lambda w, gs: ref_adagrad(w, gs, 0.5, 1.0, 1e-4),
    ),
]


def _gradient_sequence(shape, steps=5, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(steps)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name,make,reference", CASES, ids=[c[0] for c in CASES])
def test_update_matches_numpy_reference_float64(name, make, reference, shape):
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal(shape)
    grads = _gradient_sequence(shape)
    var = tg.Variable(w0, dtype=tg.float64)
    opt = make()
    for g, expected in zip(grads, reference(w0, grads), strict=True):
        opt.apply_gradients([(tg.constant(g, dtype=tg.float64), var)])
        np.testing.assert_allclose(var.numpy(), expected, rtol=1e-12, atol=1e-14)
    assert opt.iterations == len(grads)


@pytest.mark.parametrize("name,make,reference", CASES, ids=[c[0] for c in CASES])
def test_float32_variables_keep_float32_and_state(name, make, reference):
    w0 = np.array([[0.5, -1.25, 2.0], [3.0, 0.0, -0.75]])
    grads = _gradient_sequence(w0.shape, steps=4, seed=3)
    var = tg.Variable(w0.astype(np.float32))
    opt = make()
    for g, expected in zip(grads, reference(w0.astype(np.float32).astype(np.float64), grads), strict=True):
        opt.apply_gradients(zip([tg.constant(g.astype(np.float32))], [var], strict=True))
        assert var.dtype == np.float32
        np.testing.assert_allclose(var.numpy(), expected, rtol=2e-5, atol=2e-6)
    for slot_name in opt._slot_names:
        assert opt.get_slot(var, slot_name).dtype == np.float32


# ---- closed forms from Keras's documentation examples -----------------------------------------------
def test_sgd_documented_examples():
    var = tg.Variable(1.0)
    opt = optimizers.SGD(learning_rate=0.1)
    opt.minimize(lambda: (var**2) / 2.0, [var])
    assert var.numpy() == pytest.approx(0.9, abs=1e-7)

    var = tg.Variable(1.0)
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    opt.minimize(lambda: (var**2) / 2.0, [var])
    val0 = var.numpy()
    opt.minimize(lambda: (var**2) / 2.0, [var])
    assert val0 - var.numpy() == pytest.approx(0.18, abs=1e-6)  # velocity 0.9 * -0.1 - 0.1 * 0.9


def test_adam_first_step_is_about_learning_rate_times_sign():
    var = tg.Variable(10.0)
    opt = optimizers.Adam(learning_rate=0.1)
    opt.minimize(lambda: (var**2) / 2.0, [var])  # gradient 10
    # m = 1, v = 0.1, alpha = 0.1 * sqrt(0.001) / 0.1: step = sqrt(0.001) * 10 * 0.1 / (sqrt(0.1) + 1e-7)
    expected = 10.0 - 0.1 * math.sqrt(0.001) / 0.1 * 1.0 / (math.sqrt(0.1) + 1e-7)
    assert var.numpy() == pytest.approx(expected, abs=1e-6)
    assert var.numpy() == pytest.approx(9.9, abs=1e-5)


def test_rmsprop_documented_example():
    var = tg.Variable(10.0)
    opt = optimizers.RMSprop(learning_rate=0.1)
    opt.minimize(lambda: (var**2) / 2.0, [var])
    assert var.numpy() == pytest.approx(9.683772, abs=1e-6)  # 10 - 0.1 * 10 / sqrt(10 + 1e-7)


def test_adagrad_first_step_closed_form():
    var = tg.Variable(np.array([1.0, -2.0]))
    opt = optimizers.Adagrad(learning_rate=0.5)
    opt.apply_gradients([(np.array([3.0, 0.0], dtype=np.float32), var)])
    np.testing.assert_allclose(var.numpy(), [1.0 - 0.5 * 3 / math.sqrt(0.1 + 9 + 1e-7), -2.0], rtol=1e-6)


# ---- gradient clipping --------------------------------------------------------------------------------
def test_clipnorm_is_per_variable():
    a = tg.Variable(np.zeros(2), dtype=tg.float64)
    b = tg.Variable(np.zeros(3), dtype=tg.float64)
    ga = np.array([3.0, 4.0])  # norm 5: scaled to norm 1
    gb = np.array([0.1, 0.2, 0.2])  # norm 0.3: untouched
    optimizers.SGD(1.0, clipnorm=1.0).apply_gradients([(ga, a), (gb, b)])
    np.testing.assert_allclose(a.numpy(), -ga / 5.0, rtol=1e-12)
    np.testing.assert_allclose(b.numpy(), -gb, rtol=1e-12)


def test_global_clipnorm_scales_all_gradients_together():
    a = tg.Variable(np.zeros(2), dtype=tg.float64)
    b = tg.Variable(np.zeros(()), dtype=tg.float64)
    ga = np.array([3.0, 4.0])
    gb = np.array(12.0)  # global norm sqrt(9 + 16 + 144) = 13
    optimizers.SGD(1.0, global_clipnorm=2.6).apply_gradients([(ga, a), (gb, b)])
    np.testing.assert_allclose(a.numpy(), -ga * 2.6 / 13.0, rtol=1e-12)
    np.testing.assert_allclose(b.numpy(), -gb * 2.6 / 13.0, rtol=1e-12)
    # under the threshold nothing changes
    c = tg.Variable(np.zeros(2), dtype=tg.float64)
    optimizers.SGD(1.0, global_clipnorm=100.0).apply_gradients([(ga, c)])
    np.testing.assert_allclose(c.numpy(), -ga, rtol=1e-12)


def test_clipvalue_and_zero_gradient_with_clipnorm():
    a = tg.Variable(np.zeros(3), dtype=tg.float64)
    optimizers.SGD(1.0, clipvalue=0.5).apply_gradients([(np.array([-2.0, 0.25, 9.0]), a)])
    np.testing.assert_allclose(a.numpy(), [0.5, -0.25, -0.5])
    z = tg.Variable(np.ones(2), dtype=tg.float64)
    optimizers.SGD(1.0, clipnorm=1.0).apply_gradients([(np.zeros(2), z)])
    np.testing.assert_array_equal(z.numpy(), [1.0, 1.0])  # no 0/0


def test_only_one_kind_of_clipping():
    with pytest.raises(ValueError, match="only one of"):
        optimizers.Adam(clipnorm=1.0, global_clipnorm=1.0)


# ---- the Keras conventions of apply_gradients ------------------------------------------------------------
def test_none_gradients_are_skipped_with_a_warning():
    a = tg.Variable(np.ones(2), dtype=tg.float64)
    b = tg.Variable(np.ones(2), dtype=tg.float64)
    opt = optimizers.SGD(0.5)
    with pytest.warns(UserWarning, match="do not exist"):
        opt.apply_gradients(zip([np.array([1.0, 2.0]), None], [a, b], strict=True))
    np.testing.assert_allclose(a.numpy(), [0.5, 0.0])
    np.testing.assert_array_equal(b.numpy(), [1.0, 1.0])
    with pytest.raises(ValueError, match="no gradients provided"):
        opt.apply_gradients([(None, a)])


def test_gradients_from_a_tape_with_an_unconnected_variable():
    w = tg.Variable(2.0)
    unused = tg.Variable(5.0)
    with tg.GradientTape() as tape:
        loss = w * w
    grads = tape.gradient(loss, [w, unused])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optimizers.SGD(0.25).apply_gradients(zip(grads, [w, unused], strict=True))
    assert w.numpy() == pytest.approx(1.0)
    assert unused.numpy() == 5.0


def test_state_is_per_variable_and_kept_across_calls():
    a = tg.Variable(np.zeros(2), dtype=tg.float64)
    b = tg.Variable(np.zeros(2), dtype=tg.float64)
    opt = optimizers.SGD(1.0, momentum=0.5)
    opt.apply_gradients([(np.array([1.0, 1.0]), a)])
    opt.apply_gradients([(np.array([1.0, 1.0]), a), (np.array([2.0, 0.0]), b)])
    np.testing.assert_allclose(opt.get_slot(a, "momentum"), [-1.5, -1.5])  # 0.5 * -1 - 1
    np.testing.assert_allclose(opt.get_slot(b, "momentum"), [-2.0, 0.0])
    np.testing.assert_allclose(a.numpy(), [-2.5, -2.5])
    assert opt.variables_with_state == [a, b]
    with pytest.raises(KeyError, match="no state"):
        opt.get_slot(tg.Variable(1.0), "momentum")


def test_updates_replace_the_array_and_leave_recorded_values_alone():
    var = tg.Variable(np.array([1.0, 2.0]), dtype=tg.float64)
    before = var.read_value()
    held = var.numpy()
    with tg.GradientTape(persistent=True) as tape:
        y = tg.reduce_sum(var * var)
    optimizers.Adam(0.5).apply_gradients([(np.array([1.0, -1.0]), var)])
    assert not np.allclose(var.numpy(), held)
    np.testing.assert_array_equal(before.numpy(), held)  # the snapshot a tape may hold is unchanged
    np.testing.assert_allclose(tape.gradient(y, var).numpy(), 2 * held)  # gradient at the recorded value


# The updates compute into arrays they allocate themselves: the result must be the same float32 numbers
# as the plain out-of-place formulas, and nothing a caller holds may be written.
def _plain_float32_steps(kind, w, grads, lr):
    f = np.float32
    lr, out = f(lr), []
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        if kind == "sgd":
            w = w - g * lr
        elif kind == "sgd-decay":
            w = w - w * f(0.25) * lr
            w = w - g * lr
        elif kind == "nesterov":
            m = m * f(0.8) - g * lr
            w = w + (m * f(0.8) - g * lr)
        elif kind == "adam":
            alpha = lr * np.sqrt(f(1) - np.power(f(0.999), f(t))) / (f(1) - np.power(f(0.9), f(t)))
            m = m + (g - m) * (f(1) - f(0.9))
            v = v + (np.square(g) - v) * (f(1) - f(0.999))
            w = w - m * alpha / (np.sqrt(v) + f(1e-7))
        elif kind == "adagrad":
            v = (v + f(0.1)) if t == 1 else v
            v = v + np.square(g)
            w = w - lr * g / np.sqrt(v + f(1e-7))
        out.append(w)
    return out


PLAIN = {
    "sgd": lambda: optimizers.SGD(0.1),
    "sgd-decay": lambda: optimizers.SGD(0.1, weight_decay=0.25),
    "nesterov": lambda: optimizers.SGD(0.1, momentum=0.8, nesterov=True),
    "adam": lambda: optimizers.Adam(0.1),
    "adagrad": lambda: optimizers.Adagrad(0.1),
}


@pytest.mark.parametrize("kind", sorted(PLAIN))
@pytest.mark.parametrize("shape", [(), (4,), (3, 5)], ids=str)
def test_float32_updates_equal_the_plain_formulas_exactly(kind, shape):
    rng = np.random.default_rng(7)
    w0 = rng.standard_normal(shape).astype(np.float32)
    grads = [rng.standard_normal(shape).astype(np.float32) for _ in range(4)]
    var = tg.Variable(w0.copy())
    opt = PLAIN[kind]()
    for g, expected in zip(grads, _plain_float32_steps(kind, w0, grads, 0.1), strict=True):
        opt.apply_gradients([(tg.constant(g), var)])
        assert var.dtype == np.float32
        np.testing.assert_array_equal(var.numpy(), expected)


@pytest.mark.parametrize("kind", sorted(PLAIN))
def test_updates_write_into_nothing_a_caller_holds(kind):
    var = tg.Variable(np.array([[1.0, 2.0], [3.0, -4.0]], dtype=np.float32))
    grad = tg.constant(np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32))
    grad_before, value_before = grad.numpy(), var.numpy()
    snap = var.read_value()
    with tg.GradientTape() as tape:
        y = tg.reduce_sum(var * var)
    opt = PLAIN[kind]()
    opt.apply_gradients([(grad, var)])
    after_first = var.read_value()
    first = after_first.numpy()
    opt.apply_gradients([(grad, var)])
    np.testing.assert_array_equal(grad.numpy(), grad_before)
    np.testing.assert_array_equal(snap.numpy(), value_before)
    np.testing.assert_array_equal(after_first.numpy(), first)  # a later step does not rewrite an earlier value
    assert not np.array_equal(var.numpy(), first)
    for slot in opt._slot_names:
        assert not np.shares_memory(opt._state[id(var)][1][slot], var.read_value()._value)
    np.testing.assert_array_equal(tape.gradient(y, var).numpy(), 2 * value_before)


def test_learning_rate_schedule_gets_the_step():
    seen = []

    def schedule(step):
        seen.append(step)
        return 0.1 / (1 + step)

    var = tg.Variable(0.0, dtype=tg.float64)
    opt = optimizers.SGD(schedule)
    for _ in range(3):
        opt.apply_gradients([(np.float64(1.0), var)])
    assert seen == [0, 1, 2]
    assert var.numpy() == pytest.approx(-(0.1 + 0.05 + 0.1 / 3))
    assert opt.current_learning_rate() == pytest.approx(0.025)
    assert optimizers.SGD(lambda: 0.3).current_learning_rate() == pytest.approx(0.3)


def test_weight_decay_is_decoupled():
    var = tg.Variable(np.array([2.0]), dtype=tg.float64)
    optimizers.SGD(0.1, weight_decay=0.5).apply_gradients([(np.array([1.0]), var)])
    # w - w * wd * lr, then the SGD step
    np.testing.assert_allclose(var.numpy(), [2.0 - 2.0 * 0.5 * 0.1 - 0.1])


def test_minimize_converges_on_a_quadratic():
    target = np.array([1.0, -2.0, 3.0], dtype=np.float32)
    var = tg.Variable(np.zeros(3, dtype=np.float32))
    opt = optimizers.Adam(0.1)
    for _ in range(300):
        loss = opt.minimize(lambda: tg.reduce_sum((var - target) ** 2), [var])
    np.testing.assert_allclose(var.numpy(), target, atol=1e-2)
    assert float(loss) < 1e-3


def test_bad_input_errors():
    var = tg.Variable(np.zeros(2))
    with pytest.raises(ValueError, match="does not match variable"):
        optimizers.SGD().apply_gradients([(np.zeros(3), var)])
    with pytest.raises(TypeError, match="tg.Variable"):
        optimizers.SGD().apply_gradients([(np.zeros(2), tg.constant([0.0, 0.0]))])
    with pytest.raises(TypeError, match="pairs"):
        optimizers.SGD().apply_gradients([np.zeros(2)])
    with pytest.raises(TypeError, match="not floating"):
        optimizers.SGD().apply_gradients([(np.zeros(2), tg.Variable(np.zeros(2, dtype=np.int32)))])
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="beta_1"):
        optimizers.Adam(beta_1=1.0)
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.Adam(learning_rate=-1.0)


def test_public_names():
    assert tg.optimizers.Adam is optimizers.Adam
    assert "Adam(" in repr(optimizers.Adam(0.5))
    assert optimizers.RMSprop(centered=True).get_config()["centered"] is True


# ---- complex variables: two real parameters each (PyTorch's view_as_real) ---------------------------
COMPLEX_CONFIGS = [
    lambda: optimizers.SGD(0.1),
    lambda: optimizers.SGD(0.05, momentum=0.8, nesterov=True),
    lambda: optimizers.SGD(0.1, momentum=0.9, clipvalue=0.3),
    lambda: optimizers.Adam(0.01, clipnorm=0.5),
    lambda: optimizers.Adam(0.2, amsgrad=True, weight_decay=0.1),
    lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True, global_clipnorm=1.0),
    lambda: optimizers.Adagrad(0.1),
]


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("config", range(len(COMPLEX_CONFIGS)))
def test_a_complex_variable_is_updated_as_its_real_and_imaginary_parts(config, dtype):
    """The same steps, bit for bit, as a real variable holding (real, imaginary) along a last axis of 2."""
    rng = np.random.default_rng(config)
    shape = (3, 2)
    start = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    z = tg.Variable(start)
    r = tg.Variable(np.stack([start.real, start.imag], axis=-1))
    other_z, other_r = tg.Variable(np.ones(2)), tg.Variable(np.ones(2))  # joins the global norm
    opt_z, opt_r = COMPLEX_CONFIGS[config](), COMPLEX_CONFIGS[config]()
    for _ in range(5):
        g = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
        h = rng.standard_normal(2)
        opt_z.apply_gradients([(tg.constant(g), z), (h, other_z)])
        opt_r.apply_gradients([(np.stack([g.real, g.imag], axis=-1), r), (h, other_r)])
    assert z.dtype == dtype
    assert np.array_equal(z.numpy().real, r.numpy()[..., 0]) and np.array_equal(z.numpy().imag, r.numpy()[..., 1])
    assert np.array_equal(other_z.numpy(), other_r.numpy())
    for name in opt_z._slot_names:
        slot = opt_z.get_slot(z, name)
        assert slot.dtype == dtype and slot.shape == shape
        assert np.array_equal(slot.real, opt_r.get_slot(r, name)[..., 0])
        assert np.array_equal(slot.imag, opt_r.get_slot(r, name)[..., 1])
    assert opt_z.variables_with_state == [z, other_z]


def test_adam_finds_a_complex_square_root():
    z = tg.Variable(np.array([1 + 2j, 0.5 - 1j]))
    opt = optimizers.Adam(0.05)
    for _ in range(600):
        with tg.GradientTape() as tape:
            loss = tg.reduce_sum(tg.abs(z * z - (3 + 4j)) ** 2)
        opt.apply_gradients([(tape.gradient(loss, z), z)])
    np.testing.assert_allclose(z.numpy(), [2 + 1j, -2 - 1j], atol=1e-9)


def test_a_compiled_complex_training_step_matches_eager():
    def make():
        return tg.Variable(np.array([0.3 - 0.2j, -1.0 + 0.5j])), optimizers.Adam(0.05)

    def step(z, opt, target):
        with tg.GradientTape() as tape:
            loss = tg.reduce_sum(tg.abs(z * z - target) ** 2)
        opt.apply_gradients([(tape.gradient(loss, z), z)])
        return loss

    target = tg.constant(np.array([3 + 4j, -5 + 12j]))
    z_eager, opt_eager = make()
    z_comp, opt_comp = make()
    compiled = tg.function(lambda t: step(z_comp, opt_comp, t))
    for _ in range(100):
        assert float(step(z_eager, opt_eager, target)) == float(compiled(target))
    assert np.array_equal(z_eager.numpy(), z_comp.numpy())


def test_a_complex_gradient_for_a_real_variable_is_refused():
    with pytest.raises(TypeError, match="is complex .* but the variable is real"):
        optimizers.SGD().apply_gradients([(np.array([1j, 2.0]), tg.Variable(np.zeros(2)))])
