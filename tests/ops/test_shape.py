"""Shape ops: gradient-checked rows of the spec table, plus values, dtypes and error messages."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.checking import numerical_gradient
from tapegrad.ops import shape as S
from tests.ops.spec import MATRIX, SCALAR, UNARY_SHAPES, VECTOR, OpSpec, also_complex, cases_of, check_spec

CUBE = (2, 3, 2)
SAME_PAIRS = [(SCALAR, SCALAR), (VECTOR, VECTOR), (MATRIX, MATRIX)]


def _pieces(parts):
    """Join split pieces into one tensor, each scaled differently so a mixed-up piece is caught."""
    return tg.concatenate([S.ravel(p) * (i + 1.0) for i, p in enumerate(parts)])


def _np_pieces(parts):
    return np.concatenate([np.ravel(p) * (i + 1.0) for i, p in enumerate(parts)])


SPECS = [
    # reshape and friends (all the reshape primitive)
    OpSpec("reshape", lambda x: tg.reshape(x, (-1,)), UNARY_SHAPES, reference=lambda x: np.reshape(x, -1)),
    OpSpec("reshape_to_3x2", lambda x: tg.reshape(x, [3, 2]), [(MATRIX,), ((6,),)], primitives=("reshape",),
           reference=lambda x: np.reshape(x, (3, 2))),
    OpSpec("reshape_minus1", lambda x: tg.reshape(x, (2, -1)), [(MATRIX,), ((6,),), (CUBE,)],
           primitives=("reshape",), reference=lambda x: np.reshape(x, (2, -1))),
    OpSpec("ravel", S.ravel, UNARY_SHAPES + [(CUBE,)], primitives=("reshape",), reference=np.ravel),
    OpSpec("flatten", S.flatten, [(MATRIX,)], primitives=("reshape",), reference=np.ravel),
    OpSpec("expand_dims", lambda x: tg.expand_dims(x, -1), UNARY_SHAPES, primitives=("reshape",),
           reference=lambda x: np.expand_dims(x, -1)),
    OpSpec("expand_dims_tuple", lambda x: tg.expand_dims(x, (0, 2)), [(VECTOR,), (MATRIX,)], primitives=("reshape",),
           reference=lambda x: np.expand_dims(x, (0, 2))),
    OpSpec("squeeze", tg.squeeze, [((1, 3),), ((2, 1, 1),), ((1,),)], primitives=("reshape",), reference=np.squeeze),
    OpSpec("squeeze_axis", lambda x: tg.squeeze(x, axis=1), [((2, 1, 1),), ((3, 1),)], primitives=("reshape",),
           reference=lambda x: np.squeeze(x, axis=1)),
    # permutations (the transpose primitive)
    OpSpec("transpose", tg.transpose, UNARY_SHAPES + [(CUBE,)], reference=np.transpose),
    OpSpec("transpose_perm", lambda x: tg.transpose(x, perm=[1, 2, 0]), [(CUBE,)], primitives=("transpose",),
           reference=lambda x: np.transpose(x, (1, 2, 0))),
    OpSpec("transpose_negative_axes", lambda x: tg.transpose(x, (-1, 0, 1)), [(CUBE,)], primitives=("transpose",),
           reference=lambda x: np.transpose(x, (2, 0, 1))),
    OpSpec("swapaxes", lambda x: S.swapaxes(x, 0, -1), [(MATRIX,), (CUBE,)], primitives=("transpose",),
           reference=lambda x: np.swapaxes(x, 0, -1)),
    OpSpec("moveaxis", lambda x: S.moveaxis(x, 0, -1), [(MATRIX,), (CUBE,)], primitives=("transpose",),
           reference=lambda x: np.moveaxis(x, 0, -1)),
    OpSpec("moveaxis_many", lambda x: S.moveaxis(x, [0, 1], [2, 0]), [(CUBE,)], primitives=("transpose",),
           reference=lambda x: np.moveaxis(x, [0, 1], [2, 0])),
    # broadcasting and casting
    OpSpec("broadcast_to", lambda x: tg.broadcast_to(x, (2, 3)), [(SCALAR,), (VECTOR,), ((1, 3),), ((2, 1),)],
           reference=lambda x: np.broadcast_to(x, (2, 3))),
    OpSpec("broadcast_arrays", lambda x, y: tg.stack(S.broadcast_arrays(x, y)), [((2, 1), (1, 3)), (SCALAR, VECTOR)],
           primitives=("broadcast_to", "stack"), reference=lambda x, y: np.stack(np.broadcast_arrays(x, y))),
    OpSpec("cast", lambda x: tg.cast(x, tg.float64), UNARY_SHAPES, reference=lambda x: x),
    OpSpec("cast_mask", lambda x: tg.cast(x > 0, tg.float64) * x, UNARY_SHAPES, primitives=("cast",),
           reference=lambda x: np.where(x > 0, x, 0.0)),
    # joining
    OpSpec("stack", lambda x, y: tg.stack([x, y]), SAME_PAIRS, reference=lambda x, y: np.stack([x, y])),
    OpSpec("stack_last_axis", lambda x, y: tg.stack([x, y, x], axis=-1), SAME_PAIRS, primitives=("stack",),
           reference=lambda x, y: np.stack([x, y, x], axis=-1)),
    OpSpec("stack_with_constant", lambda x: tg.stack([x, tg.ones(x.shape, tg.float64)], axis=0), UNARY_SHAPES,
           primitives=("stack",), reference=lambda x: np.stack([x, np.ones_like(x)])),
    OpSpec("unstack", lambda x: _pieces(S.unstack(x, axis=1)), [(MATRIX,), (CUBE,)], primitives=("getitem",),
           reference=lambda x: _np_pieces([x[:, i] for i in range(x.shape[1])])),
    OpSpec("concatenate", lambda x, y: tg.concatenate([x, y]), [(VECTOR, (2,)), (MATRIX, (1, 3))],
           reference=lambda x, y: np.concatenate([x, y])),
    # a real piece (here the real part of a complex one) among complex ones: its cotangent is real
    OpSpec("concatenate_real_part", lambda x, y: tg.concatenate([tg.real(x), y]), [(VECTOR, (2,)), (MATRIX, (1, 3))],
           primitives=("concatenate", "real"), reference=lambda x, y: np.concatenate([np.real(x), y])),
    OpSpec("stack_real_part", lambda x, y: tg.stack([tg.real(x), y]), SAME_PAIRS, primitives=("stack", "real"),
           reference=lambda x, y: np.stack([np.real(x), y])),
    OpSpec("concat_axis1", lambda x, y: S.concat([x, y, x], 1), [(MATRIX, (2, 1)), (CUBE, (2, 1, 2))],
           primitives=("concatenate",), reference=lambda x, y: np.concatenate([x, y, x], 1)),
    OpSpec("concatenate_with_constant", lambda x: tg.concatenate([tg.zeros((2,), tg.float64), x]), [(VECTOR,)],
           primitives=("concatenate",), reference=lambda x: np.concatenate([np.zeros(2), x])),
    OpSpec("concatenate_axis_none", lambda x, y: tg.concatenate([x, y], axis=None), [(MATRIX, VECTOR)],
           primitives=("concatenate",), reference=lambda x, y: np.concatenate([x, y], axis=None)),
    OpSpec("hstack", lambda x, y: S.hstack([x, y]), [(VECTOR, (2,)), (MATRIX, (2, 1))], primitives=("concatenate",),
           reference=lambda x, y: np.hstack([x, y])),
    OpSpec("vstack", lambda x, y: S.vstack([x, y]), [(VECTOR, VECTOR), (MATRIX, VECTOR)],
           primitives=("concatenate",), reference=lambda x, y: np.vstack([x, y])),
    # splitting (getitem pieces)
    OpSpec("split_tf_sizes", lambda x: _pieces(tg.split(x, [1, -1], axis=-1)), [((4,),), ((2, 4),)],
           primitives=("getitem",), reference=lambda x: _np_pieces(np.split(x, [1], axis=-1))),
    OpSpec("split_tf_equal", lambda x: _pieces(tg.split(x, 2, axis=0)), [((4,),), ((4, 2),)],
           primitives=("getitem",), reference=lambda x: _np_pieces(np.split(x, 2))),
    OpSpec("np_split_indices", lambda x: _pieces(np.split(x, [1, 3], axis=-1)), [((4,),), ((2, 4),)],
           primitives=("getitem",), reference=lambda x: _np_pieces(np.split(x, [1, 3], axis=-1))),
    OpSpec("np_array_split", lambda x: _pieces(np.array_split(x, 3)), [((5,),), ((4, 2),)],
           primitives=("getitem",), reference=lambda x: _np_pieces(np.array_split(x, 3))),
    # repeating
    OpSpec("tile", lambda x: tg.tile(x, (2, 1)), [(SCALAR,), (VECTOR,), (MATRIX,)],
           primitives=("reshape", "broadcast_to"),
           reference=lambda x: np.tile(x, (2, 1))),
    OpSpec("tile_short_reps", lambda x: tg.tile(x, 2), [(VECTOR,), (MATRIX,)], primitives=("broadcast_to",),
           reference=lambda x: np.tile(x, 2)),
    OpSpec("repeat", lambda x: tg.repeat(x, 2), UNARY_SHAPES, primitives=("broadcast_to",),
           reference=lambda x: np.repeat(x, 2)),
    OpSpec("repeat_axis", lambda x: tg.repeat(x, 3, axis=-1), [(VECTOR,), (MATRIX,)], primitives=("broadcast_to",),
           reference=lambda x: np.repeat(x, 3, axis=-1)),
    OpSpec("repeat_counts", lambda x: tg.repeat(x, [2, 0, 1], axis=0), [(VECTOR,), ((3, 2),)],
           primitives=("getitem",), reference=lambda x: np.repeat(x, [2, 0, 1], axis=0)),
    OpSpec("flip", tg.flip, UNARY_SHAPES, primitives=("getitem",), reference=np.flip),
    OpSpec("flip_axis", lambda x: tg.flip(x, 1), [(MATRIX,), (CUBE,)], primitives=("getitem",),
           reference=lambda x: np.flip(x, 1)),
    OpSpec("reverse_axes", lambda x: S.reverse(x, [0, -1]), [(MATRIX,), (CUBE,)], primitives=("getitem",),
           reference=lambda x: np.flip(x, (0, -1))),
    # padding
    OpSpec("pad", lambda x: tg.pad(x, 1), [(VECTOR,), (MATRIX,)], reference=lambda x: np.pad(x, 1)),
    OpSpec("pad_pairs_constant", lambda x: tg.pad(x, [[1, 0], [0, 2]], constant_values=0.5), [(MATRIX,)],
           primitives=("pad",), reference=lambda x: np.pad(x, ((1, 0), (0, 2)), constant_values=0.5)),
    OpSpec("pad_one_pair", lambda x: tg.pad(x, (2, 1), mode="CONSTANT"), [(VECTOR,), (MATRIX,)], primitives=("pad",),
           reference=lambda x: np.pad(x, (2, 1))),
    OpSpec("pad_widths_per_axis",
           lambda x: tg.pad(x, [[0, 0], [2, 1], [1, 3]], constant_values=[[0, 0], [1, 2], [3, 4]]),
           [(CUBE,)], primitives=("pad",),
           reference=lambda x: np.pad(x, ((0, 0), (2, 1), (1, 3)), constant_values=((0, 0), (1, 2), (3, 4)))),
    OpSpec("pad_zero_widths", lambda x: tg.pad(x, 0), [(VECTOR,), (CUBE,)], primitives=("pad",),
           reference=lambda x: np.pad(x, 0)),
    OpSpec("pad_tensor_constant", lambda x, c: tg.pad(x, [[1, 0], [0, 2]], constant_values=c), [(MATRIX, SCALAR)],
           primitives=("pad",), reference=lambda x, c: np.pad(x, ((1, 0), (0, 2)), constant_values=c)),
    *[
        OpSpec(f"pad_{mode}", lambda x, mode=mode: tg.pad(x, (2, 1), mode=mode), [(VECTOR,), (MATRIX,)],
               primitives=("getitem",), reference=lambda x, mode=mode: np.pad(x, (2, 1), mode=mode))
        for mode in ("reflect", "symmetric", "edge", "wrap")
    ],
    # diagonals and triangles
    OpSpec("diag_vector", S.diag, [(VECTOR,), ((1,),)], primitives=("scatter_add",), reference=np.diag),
    OpSpec("diag_vector_offset", lambda x: S.diag(x, 1), [(VECTOR,)], primitives=("scatter_add",),
           reference=lambda x: np.diag(x, 1)),
    OpSpec("diag_vector_negative_offset", lambda x: S.diag(x, -2), [(VECTOR,)], primitives=("scatter_add",),
           reference=lambda x: np.diag(x, -2)),
    OpSpec("diag_matrix", S.diag, [(MATRIX,), ((3, 3),), ((3, 2),)], primitives=("getitem",), reference=np.diag),
    OpSpec("diag_matrix_offset", lambda x: S.diag(x, 1), [(MATRIX,), ((3, 3),)], primitives=("getitem",),
           reference=lambda x: np.diag(x, 1)),
    OpSpec("diag_matrix_negative_offset", lambda x: S.diag(x, -1), [((3, 3),), ((3, 2),)], primitives=("getitem",),
           reference=lambda x: np.diag(x, -1)),
    OpSpec("triu", S.triu, [(MATRIX,), ((3, 3),), (CUBE,)], primitives=("where",), reference=np.triu),
    OpSpec("triu_k", lambda x: S.triu(x, 1), [((3, 3),), ((3, 2),)], primitives=("where",),
           reference=lambda x: np.triu(x, 1)),
    OpSpec("tril", S.tril, [(MATRIX,), ((3, 3),), (CUBE,)], primitives=("where",), reference=np.tril),
    OpSpec("tril_negative_k", lambda x: S.tril(x, -1), [((3, 3),), ((2, 3),)], primitives=("where",),
           reference=lambda x: np.tril(x, -1)),
    # take and gather (integer-array getitem; repeats accumulate)
    OpSpec("take", lambda x: tg.take(x, [2, 0, 2]), [(VECTOR,), (MATRIX,)], primitives=("getitem",),
           reference=lambda x: np.take(x, [2, 0, 2])),
    OpSpec("take_axis", lambda x: tg.take(x, [[0, 1], [1, 1]], axis=-1), [(VECTOR,), (MATRIX,)],
           primitives=("getitem",), reference=lambda x: np.take(x, [[0, 1], [1, 1]], axis=-1)),
    OpSpec("take_wrap", lambda x: tg.take(x, [-1, 4], axis=0, mode="wrap"), [(VECTOR,), ((3, 2),)],
           primitives=("getitem",), reference=lambda x: np.take(x, [-1, 4], axis=0, mode="wrap")),
    OpSpec("gather", lambda x: S.gather(x, [1, 1, 0]), [(VECTOR,), (MATRIX,)], primitives=("getitem",),
           reference=lambda x: np.take(x, [1, 1, 0], axis=0)),
]
SPECS = also_complex(SPECS, exclude=("cast",))  # linear ops: complex rows for all (cast: a test of its own)


@pytest.mark.parametrize("spec, shapes", cases_of(SPECS))
def test_gradients(spec, shapes):
    check_spec(spec, shapes)


# ---- values, dtypes and behaviour not covered by the table ------------------------------------------
def _grad(f, x):
    x = tg.constant(x)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    return tape.gradient(y, x)


def test_float32_stays_float32_through_shape_ops():
    x = tg.constant(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    outs = [tg.reshape(x, (-1,)), tg.transpose(x), tg.tile(x, (2, 1)), tg.repeat(x, 2, axis=1), tg.flip(x),
            tg.pad(x, 1), S.diag(x), S.triu(x), tg.take(x, [0, 0]), tg.concatenate([x, x]), tg.stack([x, x])]
    assert all(o.dtype == np.float32 for o in outs)
    g = _grad(lambda x: tg.sum(tg.pad(tg.tile(x, 2), 1) * 2.0), x)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g.numpy(), np.full((2, 3), 4.0, np.float32))


def test_reshape_accepts_tensor_shape_and_reports_bad_size():
    x = tg.constant(np.arange(6.0))
    assert tg.reshape(x, tg.constant([3, 2])).shape == (3, 2)
    with pytest.raises(ValueError, match="reshape"):
        tg.reshape(x, (4, 2))


def test_transpose_rejects_a_non_permutation():
    with pytest.raises(ValueError, match="permutation"):
        tg.transpose(tg.ones((2, 3)), (0, 0))


def test_squeeze_of_a_long_axis_is_an_error():
    with pytest.raises(ValueError, match="size 3"):
        tg.squeeze(tg.ones((1, 3)), axis=1)


def test_broadcast_to_incompatible_shape_is_an_error():
    with pytest.raises(ValueError, match=r"broadcast.*\(3,\).*\(2, ?4\)"):
        tg.broadcast_to(tg.ones(3), (2, 4))


def test_cast_to_int_cuts_the_gradient_and_float_widening_keeps_it():
    x = tg.constant([1.5, -2.5])
    assert _grad(lambda x: tg.cast(tg.cast(x, tg.int32), tg.float32) * 1.0, x) is None
    g = _grad(lambda x: tg.sum(tg.cast(x, tg.float64) ** 2), x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g.numpy(), [3.0, -5.0])


def test_stack_and_concatenate_errors():
    with pytest.raises(ValueError, match="same shape"):
        tg.stack([tg.ones(2), tg.ones(3)])
    with pytest.raises(ValueError, match="differ"):
        tg.concatenate([tg.ones((2, 2)), tg.ones((3, 3))])
    with pytest.raises(ValueError, match="at least one"):
        tg.stack([])


def test_tf_split_sizes_and_numpy_split_indices():
    x = tg.constant(np.arange(10.0))
    assert [p.numpy().tolist() for p in tg.split(x, [3, 2, -1])] == [[0, 1, 2], [3, 4], [5, 6, 7, 8, 9]]
    assert [p.shape for p in tg.split(x, 5)] == [(2,)] * 5
    assert [p.numpy().tolist() for p in np.split(x, [3, 5])] == [[0, 1, 2], [3, 4], [5, 6, 7, 8, 9]]
    assert isinstance(np.split(x, 2), list)
    with pytest.raises(ValueError, match="equal"):
        tg.split(x, 3)
    with pytest.raises(ValueError, match="equal division"):
        np.split(x, 3)
    with pytest.raises(ValueError, match="add up"):
        tg.split(x, [3, 3])


def test_split_gradient_of_one_piece():
    g = _grad(lambda x: tg.sum(tg.split(x, [1, 2], axis=0)[1] * 3.0), np.ones((3, 2)))
    np.testing.assert_array_equal(g.numpy(), [[0, 0], [3, 3], [3, 3]])


def test_repeat_and_take_accumulate_gradients():
    g = _grad(lambda x: tg.sum(tg.take(x, [0, 0, 2, 0])), np.zeros(3))
    np.testing.assert_array_equal(g.numpy(), [3.0, 0.0, 1.0])
    g = _grad(lambda x: tg.sum(tg.repeat(x, [3, 1], axis=0)), np.zeros((2, 2)))
    np.testing.assert_array_equal(g.numpy(), [[3.0, 3.0], [1.0, 1.0]])


def test_take_out_of_bounds_is_an_index_error():
    with pytest.raises(IndexError, match="out of bounds"):
        tg.take(tg.ones(3), [3])


def test_pad_errors():
    with pytest.raises(ValueError, match="mode"):
        tg.pad(tg.ones(3), 1, mode="linear_ramp")
    with pytest.raises(ValueError, match="negative"):
        tg.pad(tg.ones(3), -1)
    with pytest.raises(ValueError, match="pad_width"):
        tg.pad(tg.ones((2, 2)), [[1, 2, 3]])


def test_pad_constant_values_get_no_gradient_and_edge_mode_accumulates():
    g = _grad(lambda x: tg.sum(tg.pad(x, 2, mode="edge")), np.zeros(3))
    np.testing.assert_array_equal(g.numpy(), [3.0, 1.0, 3.0])
    g = _grad(lambda x: tg.sum(tg.pad(x, 1, constant_values=7.0)), np.zeros(2))
    np.testing.assert_array_equal(g.numpy(), [1.0, 1.0])


def test_diag_triu_tril_values_and_errors():
    m = np.arange(12.0).reshape(3, 4)
    for k in (-3, -1, 0, 2, 5):
        np.testing.assert_array_equal(S.diag(tg.constant(m), k).numpy(), np.diag(m, k))
        np.testing.assert_array_equal(S.triu(tg.constant(m), k).numpy(), np.triu(m, k))
        np.testing.assert_array_equal(S.tril(tg.constant(m), k).numpy(), np.tril(m, k))
    with pytest.raises(ValueError, match="1-d or 2-d"):
        S.diag(tg.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="2 dimensions"):
        S.triu(tg.ones(3))
    inf = tg.constant([[1.0, np.inf], [np.inf, 1.0]])
    np.testing.assert_array_equal(S.tril(inf).numpy(), [[1.0, 0.0], [np.inf, 1.0]])  # no inf * 0 = nan


def test_boolean_mask_and_gather_match_tensorflow_semantics():
    x = tg.constant(np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(S.boolean_mask(x, [True, False, True]).numpy(), [[0, 1], [4, 5]])
    np.testing.assert_array_equal(S.gather(x, [2, 0]).numpy(), [[4, 5], [0, 1]])
    np.testing.assert_array_equal(S.gather(x, [1], axis=1).numpy(), [[1], [3], [5]])


# ---- NumPy spellings on tensors ---------------------------------------------------------------------
NUMPY_CASES = [
    (lambda a: np.reshape(a, (3, 2)), (2, 3)),
    (lambda a: np.reshape(a, shape=(6,)), (2, 3)),
    (lambda a: np.transpose(a, axes=(1, 0)), (2, 3)),
    (lambda a: np.swapaxes(a, 0, 1), (2, 3)),
    (lambda a: np.moveaxis(a, source=0, destination=-1), (2, 3, 2)),
    (lambda a: np.expand_dims(a, axis=1), (2, 3)),
    (lambda a: np.squeeze(a, axis=0), (1, 3)),
    (lambda a: np.ravel(a), (2, 3)),
    (lambda a: np.broadcast_to(a, (2, 2, 3)), (2, 3)),
    (lambda a: np.concatenate([a, a], axis=1), (2, 3)),
    (lambda a: np.concatenate((a, np.ones((1, 3)))), (2, 3)),
    (lambda a: np.stack([a, a], axis=-1), (2, 3)),
    (lambda a: np.hstack([a, a]), (2, 3)),
    (lambda a: np.vstack([a, a]), (3,)),
    (lambda a: np.tile(a, reps=(2, 2)), (2, 3)),
    (lambda a: np.repeat(a, repeats=2, axis=0), (2, 3)),
    (lambda a: np.flip(a, axis=1), (2, 3)),
    (lambda a: np.flipud(a), (2, 3)),
    (lambda a: np.fliplr(a), (2, 3)),
    (lambda a: np.pad(a, pad_width=((1, 1), (0, 2)), mode="constant", constant_values=2.0), (2, 3)),
    (lambda a: np.pad(a, 2, mode="reflect"), (3,)),
    (lambda a: np.diag(a, k=1), (3,)),
    (lambda a: np.diag(a), (3, 3)),
    (lambda a: np.triu(a, k=-1), (3, 3)),
    (lambda a: np.tril(a), (3, 3)),
    (lambda a: np.take(a, indices=[0, 2, 2], axis=1), (2, 3)),
    (lambda a: np.take(a, [5, 0]), (2, 3)),
    (lambda a: np.where(a > 0, a, 0.5 * a), (2, 3)),
    (lambda a: np.clip(a, -0.5, 0.5), (2, 3)),
    (lambda a: np.clip(a, None, 0.5), (2, 3)),
    (lambda a: np.clip(a, a_min=-0.5, a_max=None), (2, 3)),
]


@pytest.mark.parametrize("fn, shape", NUMPY_CASES, ids=[str(i) for i in range(len(NUMPY_CASES))])
def test_numpy_functions_return_recorded_tensors_with_numpy_values(fn, shape):
    a = np.random.default_rng(1).uniform(-1, 1, shape)
    expected = fn(a)
    x = tg.constant(a)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
        assert isinstance(y, tg.Tensor)
        loss = tg.sum(y * y)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12)
    g = tape.gradient(loss, x)
    assert g is not None and g.shape == x.shape
    np.testing.assert_allclose(g.numpy(), numerical_gradient(lambda t: tg.sum(fn(t) ** 2), a)[0],
                               rtol=1e-5, atol=1e-6)


def test_numpy_split_returns_list_of_recorded_tensors():
    x = tg.constant(np.arange(6.0))
    with tg.GradientTape() as tape:
        tape.watch(x)
        parts = np.array_split(x, 4)
        loss = tg.sum(parts[0]) * 2.0 + tg.sum(parts[3])
    assert [p.shape for p in parts] == [(2,), (2,), (1,), (1,)]
    np.testing.assert_array_equal(tape.gradient(loss, x).numpy(), [2, 2, 0, 0, 0, 1])


def test_numpy_shape_queries_on_tensors():
    x = tg.ones((2, 3))
    assert np.shape(x) == (2, 3) and np.ndim(x) == 2 and np.size(x) == 6 and np.size(x, 1) == 3


def test_unmapped_numpy_function_names_itself():
    with pytest.raises(TypeError, match="i0"):  # median is mapped now (tapegrad.numpy)
        np.i0(tg.ones(3))
    with pytest.raises(TypeError, match="out="):
        np.concatenate([tg.ones(2), tg.ones(2)], out=np.zeros(4))
