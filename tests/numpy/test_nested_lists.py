"""Issue 11, section 3: nested lists mixing numbers and tensors are recorded like ``tnp.array``,
and nested-list constants work in the gradient as NumPy arrays do."""

from __future__ import annotations

import numpy as np

import tapegrad as tg


def _grad(f, x):
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    return tape.gradient(y, x)


def test_list_operand_mixing_numbers_and_tensors_is_recorded():
    x = tg.constant([3.0, 4.0], dtype=tg.float64)
    g = _grad(lambda x: tg.sum(x * [1.0, x[0]]), x)  # x0 + x1 * x0
    np.testing.assert_allclose(g.numpy(), [1.0 + 4.0, 3.0])
    g = _grad(lambda x: tg.sum([2.0, x[1]] * x), x)  # 2 x0 + x1 * x1
    np.testing.assert_allclose(g.numpy(), [2.0, 8.0])


def test_nested_list_with_tensors_keeps_numpy_shape_and_dtype():
    x = tg.constant([3.0, 4.0], dtype=tg.float64)
    g = _grad(lambda x: tg.sum(x * [[1.0, x[0]], [x[1], 2.0]]), x)  # x0 + x1 x0 + x0 x1 + 2 x1
    np.testing.assert_allclose(g.numpy(), [1.0 + 2 * 4.0, 2 * 3.0 + 2.0])


def test_where_with_a_list_branch_holding_a_tensor():
    x = tg.constant([3.0, 4.0], dtype=tg.float64)
    c = np.array([True, False])
    g = _grad(lambda x: tg.sum(tg.where(c, 0.0, [1.0, x[0]]) * x), x)  # x0 * x1 at position 1
    assert g is not None
    np.testing.assert_allclose(g.numpy(), [4.0, 3.0])


def test_nested_list_constants_in_products_differentiate():
    z = tg.constant([[1.0, 2.0], [3.0, 5.0]], dtype=tg.float64)
    w = [[1.0], [2.0]]
    expected = np.tile(np.array(w).T, (2, 1))
    np.testing.assert_allclose(_grad(lambda z: tg.sum(z @ w), z).numpy(), expected)
    np.testing.assert_allclose(_grad(lambda z: tg.sum(tg.einsum("ij,jk->ik", z, w)), z).numpy(), expected)
    np.testing.assert_allclose(_grad(lambda z: tg.sum(tg.tensordot(z, w, axes=1)), z).numpy(), expected)
    a = [[2.0, 1.0], [1.0, 3.0]]
    # d/dz sum(solve(A, z)) = A^-T 1
    g = _grad(lambda z: tg.sum(tg.linalg.solve(a, z)), z)
    np.testing.assert_allclose(g.numpy(), np.tile(np.linalg.solve(np.array(a).T, np.ones(2))[:, None], (1, 2)))
    # and the matrix is differentiable when it is the tensor: d/dA sum(A^-1 b) = -A^-T 1 x^T
    b = [[1.0], [2.0]]
    zz = tg.constant(a, dtype=tg.float64)
    g = _grad(lambda m: tg.sum(tg.linalg.solve(m, b)), zz)
    xs = np.linalg.solve(np.array(a), np.array(b))
    np.testing.assert_allclose(g.numpy(), -np.linalg.solve(np.array(a).T, np.ones((2, 1))) @ xs.T)


def test_power_with_nested_list_exponent_keeps_the_tensor_dtype():
    z = tg.constant([[1.0, 2.0]])  # float32
    out = z ** [[1.0], [2.0]]
    assert out.dtype == np.float32 and out.shape == (2, 2)
    np.testing.assert_allclose(out.numpy(), [[1.0, 2.0], [1.0, 4.0]])
    g = _grad(lambda z: tg.sum(z ** [[1.0], [2.0]]), z)
    np.testing.assert_allclose(g.numpy(), [[1.0 + 2.0, 1.0 + 4.0]])
