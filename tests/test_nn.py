"""tg.nn: Dense, Activation, Sequential and the activations, against NumPy references."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import losses, nn, optimizers
from tapegrad.checking import check_grads


def np_forward(x, kernel, bias, act):
    return act(x @ kernel + bias)


def test_dense_builds_lazily_with_glorot_uniform_and_zero_bias():
    layer = nn.Dense(7, seed=0)
    assert not layer.built and layer.trainable_variables == []
    x = np.ones((5, 11), dtype=np.float32)
    y = layer(x)
    assert layer.built and y.shape == (5, 7) and y.dtype == np.float32
    kernel, bias = layer.trainable_variables
    assert kernel is layer.kernel and bias is layer.bias
    assert kernel.shape == (11, 7) and bias.shape == (7,)
    assert kernel.dtype == np.float32 and bias.dtype == np.float32
    limit = math.sqrt(6 / (11 + 7))
    k = kernel.numpy()
    assert np.all(np.abs(k) <= limit) and k.std() > limit / 3  # spread over the range, not all tiny
    np.testing.assert_array_equal(bias.numpy(), np.zeros(7))
    expected = np.random.default_rng(0).uniform(-limit, limit, (11, 7)).astype(np.float32)
    np.testing.assert_array_equal(k, expected)


def test_dense_seed_is_reproducible():
    a, b, c = nn.Dense(4, seed=3), nn.Dense(4, seed=3), nn.Dense(4, seed=4)
    for layer in (a, b, c):
        layer(np.zeros((1, 6)))
    np.testing.assert_array_equal(a.kernel.numpy(), b.kernel.numpy())
    assert not np.array_equal(a.kernel.numpy(), c.kernel.numpy())


@pytest.mark.parametrize(
    "name,reference",
    [
        (None, lambda z: z),
        ("linear", lambda z: z),
        ("relu", lambda z: np.maximum(z, 0)),
        ("tanh", np.tanh),
        ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
        ("softmax", lambda z: np.exp(z) / np.exp(z).sum(-1, keepdims=True)),
        ("softplus", lambda z: np.log1p(np.exp(z))),
    ],
)
def test_dense_forward_matches_numpy(name, reference):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 4))
    layer = nn.Dense(3, activation=name, seed=2, dtype=tg.float64)
    layer.build(4)
    layer.bias.assign(np.array([0.1, -0.2, 0.3]))
    y = layer(x)
    expected = np_forward(x, layer.kernel.numpy(), layer.bias.numpy(), reference)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-14)


def test_dense_gradients_closed_form_and_finite_differences():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 4))
    layer = nn.Dense(3, activation="tanh", seed=0, dtype=tg.float64)
    with tg.GradientTape() as tape:
        y = layer(x)
        loss = tg.reduce_sum(y)
    gk, gb = tape.gradient(loss, layer.trainable_variables)
    d = 1 - np.tanh(x @ layer.kernel.numpy()) ** 2  # bias starts at zero
    np.testing.assert_allclose(gk.numpy(), x.T @ d, rtol=1e-12)
    np.testing.assert_allclose(gb.numpy(), d.sum(0), rtol=1e-12)

    kernel = layer.kernel.numpy()
    w2 = rng.standard_normal((3, 2))

    def f(x, k, b):
        h = nn.tanh(x @ k + b)
        return nn.softmax(h @ w2)

    check_grads(f, x, kernel, np.array([0.1, 0.0, -0.3]), order=2, rtol=1e-5, atol=1e-8)


def test_activations_are_stable_and_follow_tensorflow_at_zero():
    big = tg.constant(np.array([-1000.0, 0.0, 1000.0], dtype=np.float32))
    s = nn.sigmoid(big).numpy()
    np.testing.assert_array_equal(s, np.array([0.0, 0.5, 1.0], dtype=np.float32))
    sm = nn.softmax(tg.constant(np.array([[1000.0, 1000.0, -1000.0]], dtype=np.float32))).numpy()
    np.testing.assert_allclose(sm, [[0.5, 0.5, 0.0]], atol=1e-7)
    assert np.all(np.isfinite(nn.softplus(big).numpy()))
    x = tg.constant(np.array([-1.0, 0.0, 2.0]))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.reduce_sum(nn.relu(x))
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [0.0, 0.0, 1.0])  # relu'(0) = 0


def test_get_activation():
    assert nn.get_activation("ReLU") is nn.relu
    fn = lambda z: z * 2  # noqa: E731
    assert nn.get_activation(fn) is fn
    assert nn.get_activation(None)(3) == 3
    with pytest.raises(ValueError, match="unknown activation 'gelu2'"):
        nn.get_activation("gelu2")


def test_dense_input_shapes_and_errors():
    layer = nn.Dense(2, seed=0)
    assert layer(np.ones(3)).shape == (2,)  # one sample without a batch axis
    assert layer(np.ones((4, 5, 3))).shape == (4, 5, 2)
    with pytest.raises(ValueError, match="built for inputs with 3 features"):
        layer(np.ones((4, 5)))
    with pytest.raises(ValueError, match="positive integer"):
        nn.Dense(0)
    with pytest.raises(ValueError, match="floating"):
        nn.Dense(2, dtype=tg.int32)
    layer64 = nn.Dense(2, activation="sigmoid", seed=0, dtype=tg.float64, input_dim=3)
    check_grads(layer64, np.random.default_rng(0).standard_normal((2, 4, 3)), order=1)
    check_grads(layer64, np.array([0.5, -1.0, 2.0]), order=2)
    no_bias = nn.Dense(2, use_bias=False, input_dim=3, seed=0)
    assert no_bias.built and len(no_bias.trainable_variables) == 1


def test_dense_casts_inputs_to_its_dtype():
    layer = nn.Dense(2, seed=0)  # float32 weights (the default float)
    y = layer(tg.constant(np.ones((1, 3)), dtype=tg.float64))
    assert y.dtype == np.float32
    assert layer(np.ones((1, 3), dtype=np.int64)).dtype == np.float32


def test_sequential_collects_variables_in_order():
    model = nn.Sequential([nn.Dense(5, activation="relu", seed=0), "tanh", nn.Dense(2, seed=1)])
    assert model.trainable_variables == [] and not model.built
    y = model(np.ones((3, 4)))
    assert y.shape == (3, 2) and model.built
    names = [v.shape for v in model.trainable_variables]
    assert names == [(4, 5), (5,), (5, 2), (2,)]
    first, act, last = model.layers
    expected = np.tanh(np.maximum(np.ones((3, 4)) @ first.kernel.numpy(), 0)) @ last.kernel.numpy()
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)
    assert isinstance(act, nn.Activation)
    model.add(nn.softmax)
    np.testing.assert_allclose(model(np.ones((3, 4))).numpy().sum(-1), 1.0, rtol=1e-6)
    with pytest.raises(TypeError, match="layers or callables"):
        model.add(3)


def test_shared_layer_counts_once():
    shared = nn.Dense(3, seed=0)
    model = nn.Sequential([shared, shared])
    model(np.ones((1, 3)))
    assert len(model.trainable_variables) == 2


def test_mlp_learns_xor_in_a_few_lines():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    labels = np.array([0, 1, 1, 0])
    model = nn.Sequential([nn.Dense(8, activation="tanh", seed=0), nn.Dense(2, seed=1)])
    opt = optimizers.Adam(0.05)
    for _ in range(300):
        with tg.GradientTape() as tape:
            loss = losses.sparse_softmax_cross_entropy(labels, model(x))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    assert float(loss) < 0.05
    np.testing.assert_array_equal(np.argmax(model(x).numpy(), axis=-1), labels)
