"""Generated code's shortcut for a matmul with a scaled identity (reverse-mode Jacobians): the same bits."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
from tapegrad._function._codegen import diagonal_matmul
from tests.function.test_spec_table import bits

SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1e300, -1e-300]


def literal(m, d0, factors, steps, left):
    d = d0
    for f, step in zip(factors, steps):
        d = d * f if step == 0 else f * d if step == 1 else d / f
    return np.matmul(d, m) if left else np.matmul(m, d)


def sprinkle(rng, a, count):
    a = a.copy()
    flat = a.reshape(-1)
    for _ in range(count):
        flat[rng.integers(flat.size)] = SPECIAL[rng.integers(len(SPECIAL))]
    return a


@pytest.mark.parametrize("seed", range(60))
def test_diagonal_matmul_equals_the_literal_product(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 9))
    specials = seed % 4  # none, in the factors, in M, in both
    d0 = np.eye(n) if seed % 3 else np.diag(rng.standard_normal(n) * 10.0 ** rng.integers(-200, 200, size=n))
    if seed % 3 == 0 and specials:
        d0 = np.diag(sprinkle(rng, d0.diagonal(), 1))
    factors, steps = [], []
    for k in range(int(rng.integers(1, 4))):
        shape = [(n,), (1, n), (n, 1), (), (1,)][rng.integers(5)]
        f = rng.standard_normal(shape) * 10.0 ** rng.integers(-200, 200, size=shape)
        if specials in (1, 3) and f.size:
            f = sprinkle(rng, np.atleast_1d(f), 1).reshape(shape)
        factors.append(float(f) if shape == () and k % 2 else f)
        steps.append(int(rng.integers(2)) if k == 0 else int(rng.integers(3)))
    m_shape = [(n,), (n, 3), (n, n)][rng.integers(3)]
    m = rng.standard_normal(m_shape) * 10.0 ** rng.integers(-200, 200, size=m_shape)
    if specials >= 2:
        m = sprinkle(rng, m, 2)
    for left in (True, False):
        mm = m if left or m.ndim == 1 else np.ascontiguousarray(m.T)
        with np.errstate(all="ignore"):
            want = literal(mm, d0, factors, steps, left)
            for m_min in (None, np.abs(mm).min(), 0.0):
                if m_min is not None and not np.isfinite(mm).all():
                    continue
                got = diagonal_matmul(mm, d0, *factors, steps=tuple(steps), left=left, m_min=m_min)
                assert bits(got) == bits(want)
                assert got.flags.c_contiguous


def jacobian_pair(f, x):
    eager = tg.jacobian(f, mode="reverse")(x)
    compiled = tg.function(tg.jacobian(f, mode="reverse"))
    return compiled, compiled(x), eager


@pytest.mark.parametrize("scale", [1.0, 40.0])  # 40: tanh saturates, whole rows of the Jacobian are zeros
def test_reverse_jacobian_through_a_scaled_identity_is_exact(scale):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((30, 30))
    w[3, 4] = 0.0
    w[5, 6] = -0.0
    W = tg.constant(w)
    x = tg.constant(rng.standard_normal(30) * scale)
    compiled, got, want = jacobian_pair(lambda v: tg.tanh(W @ v), x)
    assert bits(got) == bits(want)
    assert "diagonal_matmul" in compiled.source(x)
    for bad in (np.nan, np.inf):  # non-finite scale factors: the literal product, same code
        y = x.numpy().copy()
        y[2] = bad
        assert bits(compiled(tg.constant(y))) == bits(
            tg.jacobian(lambda v: tg.tanh(W @ v), mode="reverse")(tg.constant(y))
        )
    assert compiled.experimental_get_tracing_count() == 1


def test_chains_of_scalings_and_matrices_on_either_side():
    rng = np.random.default_rng(1)
    W = tg.constant(rng.standard_normal((12, 12)))
    x = tg.constant(rng.standard_normal(12))
    for f in (
        lambda v: tg.exp(tg.sin(W @ v)) / 3.0,
        lambda v: tg.log(tg.cosh(v @ W)) * 2.0,
        lambda v: W @ tg.tanh(W @ v),
    ):
        _, got, want = jacobian_pair(f, x)
        assert bits(got) == bits(want)


def test_variable_matrix_is_checked_at_call_time():
    rng = np.random.default_rng(2)
    W = tg.Variable(rng.standard_normal((10, 10)))
    x = tg.constant(rng.standard_normal(10))
    f = lambda v: tg.sin(W @ v)  # noqa: E731
    compiled = tg.function(tg.jacobian(f, mode="reverse"))
    assert bits(compiled(x)) == bits(tg.jacobian(f, mode="reverse")(x))
    w = W.numpy().copy()
    w[1, 2] = np.inf
    W.assign(w)
    with np.errstate(all="ignore"):
        assert bits(compiled(x)) == bits(tg.jacobian(f, mode="reverse")(x))
