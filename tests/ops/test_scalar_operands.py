"""Python numbers next to float arrays in + - * / travel as cached 0-d arrays (``scalar_operand``).

NumPy computes both forms to the same bits; these tests hold tapegrad to that, values and
gradients, in float64 and float32, including the numbers the cache must leave alone.
"""

from __future__ import annotations

import operator
import warnings

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import _primitive
from tapegrad._primitive import scalar_operand

NUMBERS = [1.01, -2.5, 0.1, 3, -7, 1e-300, 1e300, 2**24, 2**24 + 1, 2**60, float("inf"), 0.0, -0.0, 0]
OPERATORS = [operator.add, operator.sub, operator.mul, operator.truediv]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("number", NUMBERS, ids=repr)
@pytest.mark.parametrize("op", OPERATORS, ids=lambda op: op.__name__)
def test_arithmetic_with_a_python_number_matches_numpy_bit_for_bit(op, number, dtype):
    x0 = np.array([-1.5, -0.0, 0.0, 0.3, 2.0, 1e30], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow and division by zero, in both
        for left in (True, False):
            expected = op(x0, number) if left else op(number, x0)
            got = op(tg.constant(x0), number) if left else op(number, tg.constant(x0))
            assert got.dtype == expected.dtype == dtype
            np.testing.assert_array_equal(got.numpy(), expected)
            assert np.array_equal(np.signbit(got.numpy()), np.signbit(expected))  # -0.0 stays -0.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradients_through_python_numbers_keep_values_and_dtype(dtype):
    x0 = np.linspace(0.5, 2.0, 5).astype(dtype)
    x = tg.constant(x0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.sum((x * 1.5 - 0.25) / 2 + 3 / x)
    g = tape.gradient(y, x)
    assert g.dtype == dtype
    expected = 0.75 - 3 / x0.astype(np.float64) ** 2
    np.testing.assert_allclose(g.numpy(), expected, rtol=1e-6 if dtype == np.float32 else 1e-14)


def test_second_order_through_a_python_number():
    x = tg.constant(np.array([0.5, 1.0, 2.0]))
    with tg.GradientTape() as outer:
        outer.watch(x)
        with tg.GradientTape() as inner:
            inner.watch(x)
            y = tg.sum(1.5 * x * x * x - 2.0 / x)
        g = inner.gradient(y, x)
    h = outer.gradient(g, x)
    x0 = x.numpy()
    np.testing.assert_allclose(h.numpy(), 9.0 * x0 - 4.0 / x0**3, rtol=1e-14)


def test_the_operand_is_a_shared_read_only_array_of_the_array_dtype():
    for dtype in (np.float64, np.float32):
        like = np.ones(3, dtype)
        first, second = scalar_operand(1.25, like), scalar_operand(1.25, like)
        assert first is second and first.shape == () and first.dtype == dtype
        assert not first.flags.writeable


@pytest.mark.parametrize(
    "number, like",
    [
        (0.0, np.ones(3)),  # 0.0 and -0.0 compare equal, so the cache cannot hold them apart
        (-0.0, np.ones(3)),
        (2**40, np.ones(3)),  # large ints stay Python ints
        (1.5, np.ones(3, np.float16)),  # dtypes other than float64 and float32
        (1.5, np.ones(3, np.int64)),
        (1.5, np.float64(2.0)),  # NumPy scalars: their own scalar arithmetic is faster
    ],
)
def test_numbers_the_cache_leaves_as_they_are(number, like):
    assert scalar_operand(number, like) is number


def test_the_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(_primitive, "_F64_OPERANDS", {})
    like = np.ones(2)
    for k in range(3000):
        assert float(scalar_operand(k + 0.5, like)) == k + 0.5
    assert 0 < len(_primitive._F64_OPERANDS) <= 1024
    nan = scalar_operand(float("nan"), like)
    assert np.isnan(nan)


@pytest.mark.parametrize("tensor_dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("array_dtype", [np.float64, np.float32, np.int64])
def test_numpy_array_operands_follow_the_tensor_dtype(tensor_dtype, array_dtype):
    """A NumPy array next to a tensor: kept as it is when the dtypes match (the fast path), else a
    float array takes a float tensor's dtype (a float64 constant never upcasts a float32 tensor)."""
    t0 = np.array([1.0, 2.0, 4.0]).astype(tensor_dtype)
    a = np.array([0.5, 3.0, 8.0]).astype(array_dtype)
    t = tg.constant(t0)
    for got, left in ((t * a, True), (a * t, False)):
        if np.dtype(tensor_dtype).kind == "f" and np.dtype(array_dtype).kind == "f":
            expected = t0 * a.astype(tensor_dtype)
        else:
            expected = t0 * a if left else a * t0
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got.numpy(), expected)


def test_gradients_through_numpy_array_operands():
    w = np.array([0.5, -1.5, 2.0])
    x = tg.constant(np.array([1.0, 2.0, 3.0]))
    with tg.GradientTape() as outer:
        outer.watch(x)
        with tg.GradientTape() as inner:
            inner.watch(x)
            y = tg.sum(w * x * x + x / w)
        g = inner.gradient(y, x)
    np.testing.assert_allclose(g.numpy(), 2 * w * x.numpy() + 1 / w, rtol=1e-15)
    np.testing.assert_allclose(outer.gradient(g, x).numpy(), 2 * w, rtol=1e-15)
