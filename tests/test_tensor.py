"""Tensor and Variable values: construction, dtypes, operators, indexing, printing, NumPy interop."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tapegrad as tg


def test_python_float_becomes_float32_and_int_int32():
    assert tg.constant(3.0).dtype == np.float32
    assert tg.constant([1, 2]).dtype == np.int32
    assert tg.constant(True).dtype == np.bool_


def test_numpy_values_keep_their_dtype():
    assert tg.constant(np.array([1.0, 2.0])).dtype == np.float64
    assert tg.constant(np.float64(2.0)).dtype == np.float64
    assert tg.constant(np.arange(3, dtype=np.int64)).dtype == np.int64


def test_explicit_dtype_wins():
    t = tg.constant(3, dtype=tg.float64)
    assert t.dtype == np.float64 and float(t) == 3.0


def test_default_float_can_be_float64():
    try:
        tg.set_default_float(tg.float64)
        assert tg.constant(1.5).dtype == np.float64
        assert tg.sin(0.5).dtype == np.float64
    finally:
        tg.set_default_float(tg.float32)
    assert tg.constant(1.5).dtype == np.float32


def test_set_default_float_rejects_integer_dtypes():
    with pytest.raises(ValueError, match="floating"):
        tg.set_default_float(tg.int32)


def test_attributes():
    t = tg.constant(np.arange(6.0).reshape(2, 3))
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert t.T.shape == (3, 2)
    np.testing.assert_array_equal(t.T.numpy(), np.arange(6.0).reshape(2, 3).T)


def test_numpy_of_a_scalar_is_a_numpy_scalar_and_of_an_array_a_copy():
    s = tg.constant(2.5).numpy()
    assert isinstance(s, np.float32) and s == 2.5
    t = tg.constant(np.array([1.0, 2.0]))
    a = t.numpy()
    a[0] = 99.0
    assert t.numpy()[0] == 1.0  # tensors are immutable


def test_scalar_conversions():
    t = tg.constant(2.75)
    assert float(t) == 2.75 and int(t) == 2 and bool(t) is True
    assert bool(tg.constant(0.0)) is False
    with pytest.raises(ValueError, match="one element"):
        float(tg.constant([1.0, 2.0]))


def test_formatting_matches_numpy_scalars():
    assert f"{tg.constant(108.0)}" == "108.0"
    assert f"{tg.constant(0.1)}" == f"{np.float32(0.1)}"
    assert f"{tg.constant(3.14159):.2f}" == "3.14"
    assert "shape=(2, 2), dtype=float32" in repr(tg.ones((2, 2)))


def test_operators_compute_like_numpy():
    a = np.array([[1.0, -2.0], [3.0, 4.5]])
    b = np.array([[0.5, 2.0], [-1.0, 3.0]])
    x, y = tg.constant(a), tg.constant(b)
    cases = [
        (x + y, a + b), (x - y, a - b), (x * y, a * b), (x / y, a / b), (x // y, a // b),
        (x % y, a % b), (abs(x) ** y, np.abs(a) ** b), (x @ y, a @ b), (-x, -a), (abs(x), np.abs(a)),
        (2 + x, 2 + a), (2 - x, 2 - a), (2 * x, 2 * a), (2 / x, 2 / a), (2 ** x, 2 ** a), (a @ y, a @ b),
    ]
    for got, want in cases:
        np.testing.assert_allclose(got.numpy(), want)


def test_comparisons_give_bool_tensors():
    x = tg.constant([1.0, 2.0, 3.0])
    assert (x > 1.5).dtype == np.bool_
    assert (x == 2.0).numpy().tolist() == [False, True, False]
    assert (x <= 2.0).numpy().tolist() == [True, True, False]


def test_tensors_are_not_hashable():
    with pytest.raises(TypeError):
        {tg.constant(1.0)}


@pytest.mark.parametrize(
    "index",
    [1, -1, slice(None, None, -1), (slice(None), 0), (Ellipsis, 1), [0, 2, 2], (None, 1)],
)
def test_indexing_matches_numpy(index):
    a = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(tg.constant(a)[index].numpy(), a[index])


def test_boolean_mask_indexing():
    a = np.arange(6.0)
    t = tg.constant(a)
    np.testing.assert_array_equal(t[t > 2.0].numpy(), a[a > 2.0])


def test_iteration_yields_rows():
    rows = list(tg.constant(np.arange(6.0).reshape(3, 2)))
    assert [r.numpy().tolist() for r in rows] == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]


def test_len_of_scalar_is_an_error():
    with pytest.raises(TypeError, match="0-d"):
        len(tg.constant(1.0))


def test_numpy_ufuncs_and_functions_return_tensors_and_are_recorded():
    x = tg.constant(np.array([0.1, 0.2]))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = np.sum(np.sin(x) * np.array([1.0, 2.0]))
    assert isinstance(y, tg.Tensor)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), np.cos([0.1, 0.2]) * [1.0, 2.0])


def test_numpy_function_without_a_rule_is_a_clear_type_error():
    with pytest.raises(TypeError, match="numpy.i0"):  # (np.median has one now: tapegrad.numpy)
        np.i0(tg.constant([1.0, 2.0]))
    with pytest.raises(TypeError, match="numpy.add.reduceat"):  # (np.add.reduce has one now: tg.sum)
        np.add.reduceat(tg.constant([1.0, 2.0]), [0])


def test_ufunc_out_argument_is_rejected():
    with pytest.raises(TypeError, match="out"):
        np.sin(tg.constant([1.0]), out=np.zeros(1, dtype=np.float32))


def test_np_asarray_gives_the_value():
    np.testing.assert_array_equal(np.asarray(tg.constant([1.0, 2.0])), np.array([1.0, 2.0], dtype=np.float32))


def test_unconvertible_values_are_clear_errors():
    with pytest.raises(TypeError, match="cannot convert"):
        tg.constant("hello")
    with pytest.raises(TypeError, match="cannot convert"):
        tg.constant({"a": 1})


def test_shape_mismatch_names_the_op():
    with pytest.raises(ValueError, match="tg.add"):
        tg.constant(np.ones(3)) + tg.constant(np.ones(4))


# ---- Variables --------------------------------------------------------------------------------
def test_variable_basics():
    v = tg.Variable([1.0, 2.0], name="w")
    assert v.name == "w" and v.trainable and v.dtype == np.float32 and v.shape == (2,)
    v.assign([3.0, 4.0])
    v.assign_add([1.0, 1.0])
    v.assign_sub(np.array([0.5, 0.5]))
    np.testing.assert_array_equal(v.numpy(), [3.5, 4.5])
    assert isinstance(v + 1.0, tg.Tensor)
    assert "Variable 'w'" in repr(v)


def test_variable_assign_checks_shape_and_dtype():
    v = tg.Variable([1.0, 2.0])
    with pytest.raises(ValueError, match="shape"):
        v.assign([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="None"):
        v.assign_sub(None)
    iv = tg.Variable([1, 2])
    with pytest.raises(TypeError, match="cannot store"):
        iv.assign([1.5, 2.5])


def test_variable_of_python_int_with_float_dtype():
    v = tg.Variable(5, dtype=tg.float32)
    assert v.dtype == np.float32 and float(v) == 5.0


def test_assign_after_recording_keeps_recorded_values():
    v = tg.Variable(3.0)
    with tg.GradientTape() as tape:
        y = v * v
    v.assign(10.0)
    assert float(tape.gradient(y, v)) == 6.0


def test_math_constants():
    assert math.isclose(float(tg.sin(math.pi / 2) ** 2), 1.0)


def test_copies_are_new_constants_and_new_variables():
    import copy

    x = tg.constant(np.array([1.0, 2.0]))
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        for c in (copy.copy(x), copy.deepcopy(x)):
            np.testing.assert_array_equal(c.numpy(), x.numpy())
            assert tape.gradient(c * 3.0, x) is None  # a copy is a constant, as in TensorFlow
    v = tg.Variable(np.array([1.0, 2.0]), name="w")
    for c in (copy.copy(v), copy.deepcopy(v)):
        assert isinstance(c, tg.Variable) and c.name == "w"
        c.assign_add(np.array([1.0, 1.0]))
        np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
        np.testing.assert_array_equal(c.numpy(), [2.0, 3.0])


def test_unpickled_tensors_are_new_constants():
    import pickle

    x = tg.constant(np.array([1.0, 2.0]))
    v = tg.Variable(np.array([3.0]), trainable=False, name="w")
    with tg.GradientTape() as tape:
        tape.watch(x)
        copy = pickle.loads(pickle.dumps(x))
        y = copy * 3.0
    assert tape.gradient(y, x) is None  # the copy never came from x
    w = pickle.loads(pickle.dumps(v))
    assert isinstance(w, tg.Variable) and (w.name, w.trainable) == ("w", False)
    np.testing.assert_array_equal(w.numpy(), [3.0])


def test_watched_tensor_subclasses_are_followed():
    class Named(tg.Tensor):
        __slots__ = ("label",)

    x = Named(np.array([1.0, 2.0]))
    x.label = "x"
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * x + tg.sin(x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), 2 * x.numpy() + np.cos(x.numpy()))
