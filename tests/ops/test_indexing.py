"""Indexing: getitem and its transpose scatter_add (rows of the spec table), iteration, len, errors."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.ops.shape import getitem, scatter_add
from tests.ops.spec import MATRIX, SCALAR, VECTOR, OpSpec, also_complex, cases_of, check_spec

CUBE = (2, 3, 2)
MASK_2x3 = np.array([[True, False, True], [False, True, True]])


def _masked_fill(u):
    out = np.zeros((2, 3))
    out[MASK_2x3] = u
    return out


def _rows(rows):
    return tg.stack(list(rows))


SPECS = [
    OpSpec("getitem", lambda x: x[1:], [(VECTOR,), (MATRIX,)], reference=lambda x: x[1:]),
    OpSpec("getitem_int", lambda x: x[0], [(VECTOR,), (MATRIX,), (CUBE,)], primitives=("getitem",),
           reference=lambda x: x[0]),
    OpSpec("getitem_negative_int", lambda x: x[..., -1], [(VECTOR,), (MATRIX,)], primitives=("getitem",),
           reference=lambda x: x[..., -1]),
    OpSpec("getitem_empty_tuple", lambda x: x[()], [(SCALAR,), (VECTOR,)], primitives=("getitem",),
           reference=lambda x: x[()]),
    OpSpec("getitem_newaxis", lambda x: x[None, ..., None], [(SCALAR,), (VECTOR,), (MATRIX,)],
           primitives=("getitem",), reference=lambda x: x[None, ..., None]),
    OpSpec("getitem_step", lambda x: x[::2], [((5,),), ((3, 2),)], primitives=("getitem",),
           reference=lambda x: x[::2]),
    OpSpec("getitem_negative_step", lambda x: x[::-1], [(VECTOR,), (MATRIX,)], primitives=("getitem",),
           reference=lambda x: x[::-1]),
    OpSpec("getitem_negative_steps_2d", lambda x: x[::-1, -1::-2], [(MATRIX,), ((3, 4),)], primitives=("getitem",),
           reference=lambda x: x[::-1, -1::-2]),
    OpSpec("getitem_ellipsis", lambda x: x[..., 1:], [(MATRIX,), (CUBE,)], primitives=("getitem",),
           reference=lambda x: x[..., 1:]),
    OpSpec("getitem_repeated_ints", lambda x: x[[0, 0, 1]], [(VECTOR,), (MATRIX,)], primitives=("getitem",),
           reference=lambda x: x[[0, 0, 1]]),
    OpSpec("getitem_int_arrays", lambda x: x[[0, 1, 1], [2, 0, 0]], [(MATRIX,), (CUBE,)], primitives=("getitem",),
           reference=lambda x: x[[0, 1, 1], [2, 0, 0]]),
    OpSpec("getitem_2d_int_array", lambda x: x[np.array([[0, 2], [2, 2]])], [(VECTOR,), ((3, 2),)],
           primitives=("getitem",), reference=lambda x: x[np.array([[0, 2], [2, 2]])]),
    OpSpec("getitem_slice_and_array", lambda x: x[:, [2, 2, 0]], [(MATRIX,), (CUBE,)], primitives=("getitem",),
           reference=lambda x: x[:, [2, 2, 0]]),
    OpSpec("getitem_array_newaxis", lambda x: x[None, [1, 1]], [(VECTOR,), (MATRIX,)], primitives=("getitem",),
           reference=lambda x: x[None, [1, 1]]),
    # advanced indices split by a slice: NumPy puts their axes first (batched rules fall back per row)
    OpSpec("getitem_split_arrays", lambda x: x[[0, 1, 1], :, [1, 0, 1]], [(CUBE,)], primitives=("getitem",),
           reference=lambda x: x[[0, 1, 1], :, [1, 0, 1]]),
    OpSpec("getitem_int_then_array", lambda x: x[1, :, [1, 0]], [(CUBE,)], primitives=("getitem",),
           reference=lambda x: x[1, :, [1, 0]]),
    OpSpec("getitem_bool_mask", lambda x: x[MASK_2x3], [(MATRIX,)], primitives=("getitem",),
           reference=lambda x: x[MASK_2x3]),
    OpSpec("getitem_bool_rows", lambda x: x[np.array([True, False, True])], [(VECTOR,), ((3, 2),)],
           primitives=("getitem",), reference=lambda x: x[np.array([True, False, True])]),
    OpSpec("getitem_tensor_mask", lambda x: x[x > 0], [(VECTOR,), (MATRIX,)], primitives=("getitem",),
           reference=lambda x: x[x > 0]),
    OpSpec("getitem_tensor_indices", lambda x: x[tg.constant([2, 0, 2])], [(VECTOR,), ((3, 2),)],
           primitives=("getitem",), reference=lambda x: x[[2, 0, 2]]),
    OpSpec("getitem_tensor_in_tuple", lambda x: x[1:, tg.constant(1)], [(MATRIX,), (CUBE,)], primitives=("getitem",),
           reference=lambda x: x[1:, 1]),
    OpSpec("getitem_chained", lambda x: x[1:][::-1][0], [((4,),), ((4, 2),)], primitives=("getitem",),
           reference=lambda x: x[1:][::-1][0]),
    OpSpec("iterate_rows", lambda x: _rows(r * (i + 1.0) for i, r in enumerate(x)), [(VECTOR,), (MATRIX,)],
           primitives=("getitem", "stack"), reference=lambda x: np.stack([r * (i + 1.0) for i, r in enumerate(x)])),
    # scatter_add: the transpose of getitem (zeros of `shape` with u added at [index])
    OpSpec("scatter_add", lambda u: scatter_add(u, index=np.array([0, 0, 2]), shape=(4,)), [(VECTOR,)],
           reference=lambda u: np.bincount([0, 0, 2], weights=u, minlength=4)),
    OpSpec("scatter_add_basic", lambda u: scatter_add(u, index=(slice(None), slice(1, 4)), shape=(2, 5)),
           [(MATRIX,)], primitives=("scatter_add",),
           reference=lambda u: np.pad(u, ((0, 0), (1, 1)))),
    OpSpec("scatter_add_2d", lambda u: scatter_add(u, index=(np.array([1, 1, 0]), slice(None)), shape=(2, 2)),
           [((3, 2),)], primitives=("scatter_add",),
           reference=lambda u: np.stack([u[2], u[0] + u[1]])),
    OpSpec("scatter_add_mask", lambda u: scatter_add(u, index=MASK_2x3, shape=(2, 3)), [((4,),)],
           primitives=("scatter_add",), reference=lambda u: _masked_fill(u)),
]
SPECS = also_complex(SPECS, exclude=("scatter_add", "scatter_add_mask"))  # their references are real-only


@pytest.mark.parametrize("spec, shapes", cases_of(SPECS))
def test_gradients(spec, shapes):
    check_spec(spec, shapes)


def _grad(f, x, **kw):
    x = tg.constant(x, **kw)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    return tape.gradient(y, x)


def test_repeated_integer_indices_accumulate_in_the_gradient():
    g = _grad(lambda x: tg.sum(x[[0, 0, 1]]), [1.0, 2.0, 3.0])
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g.numpy(), [2.0, 1.0, 0.0])
    g = _grad(lambda x: tg.sum(x[[0, 0], [1, 1]] * tg.constant([1.0, 10.0])), np.zeros((2, 2)))
    np.testing.assert_array_equal(g.numpy(), [[0.0, 11.0], [0.0, 0.0]])


def test_repeated_indices_accumulate_in_forward_mode_of_the_gradient():
    x = tg.constant([1.0, 2.0, 3.0])
    with tg.ForwardAccumulator(x, tg.constant([1.0, 0.0, 0.0])) as acc:
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = tg.sum(x[[0, 0, 2]] ** 2)
        g = tape.gradient(y, x)
    np.testing.assert_allclose(g.numpy(), [4.0, 0.0, 6.0])
    np.testing.assert_allclose(acc.jvp(g).numpy(), [4.0, 0.0, 0.0])


def test_basic_index_gradient_puts_cotangent_in_place():
    g = _grad(lambda x: tg.sum(x[1:, ::-2] * tg.constant([[1.0, 2.0]])), np.zeros((2, 3)))
    np.testing.assert_array_equal(g.numpy(), [[0, 0, 0], [2, 0, 1]])


def test_bool_mask_as_tensor_and_as_list():
    x = tg.constant([[1.0, -2.0], [-3.0, 4.0]])
    np.testing.assert_array_equal(x[x > 0].numpy(), [1.0, 4.0])
    np.testing.assert_array_equal(x[[True, False]].numpy(), [[1.0, -2.0]])
    g = _grad(lambda x: tg.sum(x[x < 0] ** 2), x.numpy())
    np.testing.assert_array_equal(g.numpy(), [[0.0, -4.0], [-6.0, 0.0]])


def test_tensor_and_numpy_integer_indices():
    x = tg.constant(np.arange(6.0).reshape(2, 3))
    assert x[tg.constant(1)].shape == (3,)
    assert x[np.int64(1), np.array(2)].numpy() == 5.0
    np.testing.assert_array_equal(x[:, tg.constant([2, 0])].numpy(), [[2, 0], [5, 3]])
    np.testing.assert_array_equal(x[[tg.constant(1), tg.constant(0)]].numpy(), [[3, 4, 5], [0, 1, 2]])


def test_iteration_and_len():
    x = tg.constant(np.arange(6.0).reshape(3, 2))
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3 and all(isinstance(r, tg.Tensor) and r.shape == (2,) for r in rows)
    np.testing.assert_array_equal(rows[2].numpy(), [4.0, 5.0])
    with pytest.raises(TypeError, match="0-d"):
        len(tg.constant(1.0))
    with pytest.raises(TypeError):
        iter(tg.constant(1.0)).__next__()
    g = _grad(lambda x: sum(r[0] * (i + 1) for i, r in enumerate(x)), x.numpy())
    np.testing.assert_array_equal(g.numpy(), [[1, 0], [2, 0], [3, 0]])


def test_indexing_is_recorded_only_when_watched_and_keeps_dtype():
    x = tg.constant(np.arange(4, dtype=np.float64))
    assert x[::-1].dtype == np.float64
    ints = tg.constant([1, 2, 3])
    assert ints[[0, 0]].dtype == np.int32


def test_index_errors_are_clear():
    x = tg.ones((2, 3))
    with pytest.raises(IndexError, match="getitem"):
        x[5]
    with pytest.raises(IndexError, match="integer or bool"):
        x[tg.constant([0.5])]
    with pytest.raises(IndexError, match="tuple"):
        x[[slice(None), 0]]


def test_scatter_add_is_the_transpose_of_getitem():
    rng = np.random.default_rng(0)
    x, u = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    index = (np.array([3, 0, 3, 1, 3]), slice(None))
    lhs = np.vdot(getitem(tg.constant(x), index).numpy(), u)
    rhs = np.vdot(x, scatter_add(tg.constant(u), index=index, shape=(4, 3)).numpy())
    np.testing.assert_allclose(lhs, rhs)
