"""tg.losses: values against NumPy references, gradients against finite differences (float64)."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import losses
from tapegrad.checking import check_grads

RNG = np.random.default_rng(0)
Y_TRUE = RNG.standard_normal((4, 3))
Y_PRED = Y_TRUE + RNG.uniform(0.2, 2.5, (4, 3)) * RNG.choice([-1.0, 1.0], (4, 3))  # no kinks at 0 or delta


def np_log_softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def np_huber(t, p, delta):
    e = np.abs(p - t)
    return np.where(e <= delta, 0.5 * e**2, delta * e - 0.5 * delta**2)


# ---- values --------------------------------------------------------------------------------------
def test_regression_losses_values():
    t, p = Y_TRUE, tg.constant(Y_PRED)
    assert float(losses.mean_squared_error(t, p)) == pytest.approx(np.mean((Y_PRED - Y_TRUE) ** 2), rel=1e-12)
    assert float(losses.mean_absolute_error(t, p)) == pytest.approx(np.mean(np.abs(Y_PRED - Y_TRUE)), rel=1e-12)
    for delta in (0.5, 1.0, 3.0):
        expected = np.mean(np_huber(Y_TRUE, Y_PRED, delta))
        assert float(losses.huber(t, p, delta=delta)) == pytest.approx(expected, rel=1e-12)
    assert losses.mse is losses.mean_squared_error and losses.mae is losses.mean_absolute_error


def test_reductions():
    t, p = Y_TRUE, tg.constant(Y_PRED)
    per_sample = np.mean((Y_PRED - Y_TRUE) ** 2, axis=-1)
    none = losses.mean_squared_error(t, p, reduction="none")
    assert none.shape == (4,)
    np.testing.assert_allclose(none.numpy(), per_sample, rtol=1e-12)
    assert float(losses.mean_squared_error(t, p, reduction="sum")) == pytest.approx(per_sample.sum(), rel=1e-12)
    with pytest.raises(ValueError, match="reduction"):
        losses.huber(t, p, reduction="avg")


def test_binary_crossentropy_probabilities_clip_like_keras():
    y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    p = np.array([[0.1, 0.8, 1.0], [0.6, 0.0, 0.3]])  # exact 0 and 1 are clipped to [1e-7, 1 - 1e-7]
    q = np.clip(p, 1e-7, 1 - 1e-7)
    expected = -(y * np.log(q) + (1 - y) * np.log(1 - q))
    got = losses.binary_crossentropy(y, tg.constant(p))
    assert float(got) == pytest.approx(expected.mean(), rel=1e-9)
    np.testing.assert_allclose(
        losses.binary_crossentropy(y, tg.constant(p), reduction="none").numpy(), expected.mean(-1), rtol=1e-9
    )


def test_binary_crossentropy_from_logits_is_stable():
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    x = np.array([-3.0, 0.0, 2.5, 0.7, -800.0, 900.0])
    expected = np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))
    got = losses.binary_crossentropy(y, tg.constant(x), from_logits=True, reduction="none")
    assert np.isfinite(float(losses.binary_crossentropy(y, tg.constant(x), from_logits=True)))
    # reduction "none" averages the last axis: a 1-D input is one sample
    assert float(got) == pytest.approx(expected.mean(), rel=1e-12)
    with tg.GradientTape() as tape:
        xt = tg.constant(x)
        tape.watch(xt)
        loss = losses.binary_crossentropy(y, xt, from_logits=True)
    g = tape.gradient(loss, xt).numpy()
    np.testing.assert_allclose(g, (0.5 * (1 + np.tanh(x / 2)) - y) / x.size, rtol=1e-12, atol=1e-300)
    assert g[1] == pytest.approx((0.5 - 1.0) / x.size)  # sigmoid(0) - y, not a kink artefact


def test_sparse_softmax_cross_entropy_value_and_gradient():
    z = RNG.standard_normal((5, 4))
    labels = np.array([0, 3, 2, 2, 1])
    expected = -np_log_softmax(z)[np.arange(5), labels]
    zt = tg.constant(z)
    with tg.GradientTape() as tape:
        tape.watch(zt)
        loss = losses.sparse_softmax_cross_entropy(labels, zt)
    assert float(loss) == pytest.approx(expected.mean(), rel=1e-12)
    softmax = np.exp(np_log_softmax(z))
    np.testing.assert_allclose(tape.gradient(loss, zt).numpy(), (softmax - np.eye(4)[labels]) / 5, rtol=1e-10)
    per = losses.sparse_softmax_cross_entropy(labels, zt, reduction="none")
    np.testing.assert_allclose(per.numpy(), expected, rtol=1e-12)
    # labels shaped (n, 1), as Keras also takes them
    assert float(losses.sparse_softmax_cross_entropy(labels[:, None], zt)) == pytest.approx(expected.mean())


def test_sparse_softmax_cross_entropy_huge_logits_float32():
    z = np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0], [-5e4, -5e4 + 2, -5e4]], dtype=np.float32)
    labels = np.array([1, 2, 1])
    zt = tg.constant(z)
    with tg.GradientTape() as tape:
        tape.watch(zt)
        loss = losses.sparse_softmax_cross_entropy(labels, zt)
    assert loss.dtype == np.float32
    expected = (1000.0 + np.log(3.0) + (np.log(1 + 2 * np.exp(-2.0)))) / 3
    assert float(loss) == pytest.approx(expected, rel=1e-6)
    g = tape.gradient(loss, zt).numpy()
    assert g.dtype == np.float32 and np.all(np.isfinite(g))
    np.testing.assert_allclose(g.sum(axis=-1), 0.0, atol=1e-7)


def test_categorical_crossentropy():
    z = RNG.standard_normal((3, 4))
    onehot = np.eye(4)[[1, 0, 3]]
    expected = -(onehot * np_log_softmax(z)).sum(-1).mean()
    assert float(losses.categorical_crossentropy(onehot, tg.constant(z), from_logits=True)) == pytest.approx(
        expected, rel=1e-12
    )
    probs = np.exp(np_log_softmax(z))
    assert float(losses.categorical_crossentropy(onehot, tg.constant(probs))) == pytest.approx(expected, rel=1e-9)
    labels = np.array([1, 0, 3])
    assert float(losses.sparse_softmax_cross_entropy(labels, tg.constant(z))) == pytest.approx(expected, rel=1e-12)


def test_float32_stays_float32_and_targets_convert():
    p = tg.constant(np.array([[0.2, 0.7]], dtype=np.float32))
    for loss in (
        losses.mean_squared_error(np.array([[0, 1]]), p),  # integer targets
        losses.mean_absolute_error([[0.0, 1.0]], p),  # Python lists
        losses.huber(tg.constant([[0.0, 1.0]], dtype=tg.float64), p),  # float64 tensor targets
        losses.binary_crossentropy(np.array([[0.0, 1.0]]), p),
        losses.binary_crossentropy(np.array([[0.0, 1.0]]), p, from_logits=True),
    ):
        assert loss.dtype == np.float32


def test_shape_mismatch_is_an_error_not_a_broadcast():
    with pytest.raises(ValueError, match="must match"):
        losses.mean_squared_error(np.zeros(4), tg.constant(np.zeros((4, 4))))
    # (n,) against (n, 1) is accepted, as in Keras
    t = np.array([1.0, 2.0, 3.0])
    p = tg.constant(np.array([[1.5], [2.0], [2.0]]))
    assert float(losses.mean_squared_error(t, p)) == pytest.approx((0.25 + 0 + 1) / 3)


def test_sparse_label_errors():
    z = tg.constant(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"lie in \[0, 3\)"):
        losses.sparse_softmax_cross_entropy(np.array([0, 3]), z)
    with pytest.raises(ValueError, match="do not fit"):
        losses.sparse_softmax_cross_entropy(np.array([0, 1, 2]), z)
    with pytest.raises(ValueError, match="integer class"):
        losses.sparse_softmax_cross_entropy(np.array([0.5, 1.0]), z)
    assert float(losses.sparse_softmax_cross_entropy(np.array([0.0, 2.0]), z)) == pytest.approx(np.log(3))


def test_losses_of_variables_inside_a_tape():
    w = tg.Variable(np.array([0.5, -0.5]), dtype=tg.float64)
    with tg.GradientTape() as tape:
        loss = losses.mean_squared_error(np.array([1.0, 1.0]), w * 2.0)
    np.testing.assert_allclose(tape.gradient(loss, w).numpy(), [2 * (1.0 - 1.0) * 2 / 2, 2 * (-2.0) * 2 / 2])


# ---- gradients: reverse and forward mode, first and second order, float64 --------------------------------
GRADIENT_CASES = [
    ("mse", lambda p: losses.mean_squared_error(Y_TRUE, p), Y_PRED),
    ("mae", lambda p: losses.mean_absolute_error(Y_TRUE, p), Y_PRED),
    ("huber", lambda p: losses.huber(Y_TRUE, p, delta=1.0), Y_PRED),
    ("huber-none", lambda p: losses.huber(Y_TRUE, p, delta=0.7, reduction="none"), Y_PRED),
    (
        "bce-probs",
        lambda p: losses.binary_crossentropy(np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.3]]), p),
        np.array([[0.1, 0.8, 0.4], [0.6, 0.2, 0.5]]),
    ),
    (
        "bce-logits",
        lambda x: losses.binary_crossentropy(np.array([0.0, 1.0, 1.0, 0.0, 0.25]), x, from_logits=True),
        np.array([-3.0, 0.4, 2.5, 0.7, -30.0]),
    ),
    (
        "sparse-ce",
        lambda z: losses.sparse_softmax_cross_entropy(np.array([0, 3, 1]), z),
        RNG.standard_normal((3, 4)) * 3,
    ),
    (
        "categorical-ce",
        lambda z: losses.categorical_crossentropy(np.array([[0.2, 0.8, 0.0], [1.0, 0.0, 0.0]]), z, from_logits=True),
        RNG.standard_normal((2, 3)),
    ),
    ("log_softmax", lambda z: losses.log_softmax(z, axis=0), RNG.standard_normal((3, 2))),
    ("softplus", losses.softplus, np.array([-40.0, -1.0, 0.3, 2.0, 35.0])),
]


@pytest.mark.parametrize("name,fn,x", GRADIENT_CASES, ids=[c[0] for c in GRADIENT_CASES])
def test_gradients_against_finite_differences(name, fn, x):
    check_grads(fn, x, order=2, rtol=1e-5, atol=1e-7)


def test_gradient_with_respect_to_targets():
    check_grads(lambda t, p: losses.mean_squared_error(t, p), Y_TRUE, Y_PRED, order=1)
