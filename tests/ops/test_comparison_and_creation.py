"""Comparisons and logic (bool results, never recorded) and constructors (constants: dtypes, values)."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.ops import comparison as C
from tapegrad.ops import creation as K
from tests.ops.spec import UNARY_SHAPES, OpSpec, cases_of, check_spec

# Masks built from comparisons: the gradient flows through the other operand only.
SPECS = [
    OpSpec("cast_mask_times_sin", lambda x: tg.cast(x >= 0.5, tg.float64) * tg.sin(x), UNARY_SHAPES,
           primitives=("cast", "multiply"), reference=lambda x: np.where(x >= 0.5, np.sin(x), 0.0)),
    OpSpec("where_by_comparison", lambda x: tg.where(tg.logical_and(x > -1, x < 1), x * x, 2.0 * x), UNARY_SHAPES,
           primitives=("where",), reference=lambda x: np.where((x > -1) & (x < 1), x * x, 2 * x)),
    OpSpec("mask_times_constructor", lambda x: x * tg.ones_like(x) + tg.zeros_like(x) * x, UNARY_SHAPES,
           primitives=("multiply",), reference=lambda x: x),
    # a tensor fill value is broadcast on the tape (TensorFlow's fill is differentiable in it)
    OpSpec("fill_with_a_tensor", lambda c: tg.fill((2, 3), c) * tg.full_like(np.ones(3), c * c), [((),), ((3,),)],
           primitives=("broadcast_to",), reference=lambda c: np.full((2, 3), c) * np.full_like(np.ones(3), c * c)),
]


@pytest.mark.parametrize("spec, shapes", cases_of(SPECS))
def test_gradients(spec, shapes):
    check_spec(spec, shapes)


# ---- comparisons and logic ----------------------------------------------------------------------------
A = np.array([[1.0, -2.0, np.nan], [0.0, 3.0, np.inf]])
B = np.array([[1.0, 2.0, 0.0], [-1.0, 3.0, np.inf]])

BINARY = [
    (tg.equal, np.equal), (tg.not_equal, np.not_equal), (tg.less, np.less), (tg.less_equal, np.less_equal),
    (tg.greater, np.greater), (tg.greater_equal, np.greater_equal),
]


@pytest.mark.parametrize("op, ref", BINARY, ids=[r.__name__ for _, r in BINARY])
def test_comparisons_give_bool_tensors_with_numpy_values(op, ref):
    out = op(tg.constant(A), tg.constant(B))
    assert isinstance(out, tg.Tensor) and out.dtype == np.bool_
    np.testing.assert_array_equal(out.numpy(), ref(A, B))
    np.testing.assert_array_equal(op(tg.constant(A), 0.0).numpy(), ref(A, 0.0))  # Python operand broadcasts


def test_operators_and_numpy_ufuncs_on_tensors():
    x, y = tg.constant(A), tg.constant(B)
    for got, want in [(x == y, A == B), (x != y, A != B), (x < y, A < B), (x <= y, A <= B), (x > y, A > B),
                      (x >= y, A >= B), (np.greater(x, y), A > B), (np.equal(x, B), A == B)]:
        assert got.dtype == np.bool_
        np.testing.assert_array_equal(got.numpy(), want)
    p, q = x > 0, y > 0
    np.testing.assert_array_equal((p & q).numpy(), (A > 0) & (B > 0))
    np.testing.assert_array_equal((p | q).numpy(), (A > 0) | (B > 0))
    np.testing.assert_array_equal((~p).numpy(), ~(A > 0))
    np.testing.assert_array_equal(tg.logical_xor(p, q).numpy(), (A > 0) ^ (B > 0))


def test_finite_tests():
    x = tg.constant(A)
    np.testing.assert_array_equal(tg.isnan(x).numpy(), np.isnan(A))
    np.testing.assert_array_equal(tg.is_inf(x).numpy(), np.isinf(A))
    np.testing.assert_array_equal(tg.is_finite(x).numpy(), np.isfinite(A))
    np.testing.assert_array_equal(C.isclose(x, B + 1e-9, equal_nan=True).numpy(),
                                  np.isclose(A, B + 1e-9, equal_nan=True))


def test_comparisons_are_never_recorded_but_masks_pass_gradients():
    x = tg.constant([-1.0, 2.0, 3.0])
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        mask = x > 0
        y = tg.sum(tg.cast(mask, tg.float32) * x * x)
    assert not any(rec.op == "greater" for rec in tape.records)
    assert tape.gradient(mask, x) is None
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [0.0, 4.0, 6.0])


def test_argmax_argmin_with_axis():
    m = np.array([[1.0, 5.0, 5.0], [7.0, 2.0, -1.0]])
    x = tg.constant(m)
    assert tg.argmax(x).numpy() == 3 and tg.argmin(x).numpy() == 5  # flattened, as NumPy
    for axis in (0, 1, -1):
        np.testing.assert_array_equal(tg.argmax(x, axis=axis).numpy(), np.argmax(m, axis=axis))
        np.testing.assert_array_equal(tg.argmin(x, axis).numpy(), np.argmin(m, axis=axis))
    assert tg.argmax(x, 1).dtype == np.int64
    assert tg.argmax(x, 1, output_type=tg.int32).dtype == np.int32
    assert tg.argmax(x, axis=1, keepdims=True).shape == (2, 1)
    np.testing.assert_array_equal(tg.argmax(x, axis=1).numpy(), [1, 0])  # first of the tie 5, 5
    np.testing.assert_array_equal(np.argmax(x, axis=0).numpy(), [1, 0, 0])
    assert isinstance(np.argmin(x), tg.Tensor)
    with pytest.raises(TypeError, match="axis"):
        tg.argmax(x, axis=(0, 1))


def test_argsort_count_nonzero_nonzero_argwhere():
    v = np.array([3.0, 1.0, 3.0, 2.0])
    np.testing.assert_array_equal(tg.argsort(tg.constant(v)).numpy(), [1, 3, 0, 2])
    np.testing.assert_array_equal(tg.argsort(tg.constant(v), direction="DESCENDING").numpy(), [0, 2, 3, 1])
    np.testing.assert_array_equal(np.argsort(tg.constant(v)).numpy(), np.argsort(v, kind="stable"))
    m = tg.constant([[0.0, 1.0], [2.0, 0.0]])
    assert C.count_nonzero(m).numpy() == 2
    np.testing.assert_array_equal(C.count_nonzero(m, axis=0).numpy(), [1, 1])
    rows, cols = C.nonzero(m)
    np.testing.assert_array_equal(rows.numpy(), [0, 1])
    np.testing.assert_array_equal(cols.numpy(), [1, 0])
    np.testing.assert_array_equal(C.argwhere(m).numpy(), [[0, 1], [1, 0]])
    rows, cols = np.where(m > 0)  # one-argument np.where is nonzero
    np.testing.assert_array_equal(rows.numpy(), [0, 1])
    assert bool(tg.reduce_any(m)) and not bool(tg.reduce_all(m))
    np.testing.assert_array_equal(tg.reduce_all(m > -1, axis=1).numpy(), [True, True])
    np.testing.assert_array_equal(np.any(m, axis=0, keepdims=True).numpy(), [[True, True]])
    assert isinstance(np.all(m > -1), tg.Tensor) and bool(np.all(m > -1))
    assert np.allclose(m, [[0.0, 1.0], [2.0, 0.0]]) is True
    assert np.array_equal(m, m) is True


# ---- constructors -----------------------------------------------------------------------------------
def test_constant_dtype_rules():
    assert tg.constant(3.0).dtype == np.float32
    assert tg.constant(3).dtype == np.int32
    assert tg.constant(2**40).dtype == np.int64
    assert tg.constant(True).dtype == np.bool_
    assert tg.constant([1, 2.5]).dtype == np.float32
    assert tg.constant(np.float64(1.0)).dtype == np.float64
    assert tg.constant(np.ones(2)).dtype == np.float64
    assert tg.constant(np.ones(2, np.float32)).dtype == np.float32
    assert tg.constant(np.arange(3)).dtype == np.int64
    x = tg.constant(3.0, dtype=tg.float64)
    assert x.dtype == np.float64 and x.numpy() == 3.0
    assert tg.constant(3, dtype=tg.float32).numpy() == np.float32(3)
    np.testing.assert_array_equal(tg.constant(1.5, shape=(2, 2)).numpy(), np.full((2, 2), 1.5, np.float32))
    np.testing.assert_array_equal(tg.constant([1, 2, 3, 4], shape=[2, 2]).numpy(), [[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="cannot fill shape"):
        tg.constant([1, 2, 3], shape=(2, 2))
    with pytest.raises(TypeError, match="fraction"):
        tg.constant(1.5, dtype=tg.int32)
    with pytest.raises(TypeError, match="cannot convert"):
        tg.constant("abc")


def test_set_default_float_changes_python_floats():
    try:
        tg.set_default_float(tg.float64)
        assert tg.constant(1.0).dtype == np.float64 and tg.zeros(2).dtype == np.float64
    finally:
        tg.set_default_float(tg.float32)
    assert tg.constant(1.0).dtype == np.float32


def test_convert_to_tensor():
    t = tg.constant([1.0, 2.0])
    assert tg.convert_to_tensor(t) is t
    assert tg.convert_to_tensor([1, 2]).dtype == np.int32
    assert tg.convert_to_tensor(1.0, dtype=tg.float64).dtype == np.float64
    assert tg.convert_to_tensor(1, dtype_hint=tg.float32).dtype == np.float32
    v = tg.Variable([1.0, 2.0])
    assert isinstance(tg.convert_to_tensor(v), tg.Tensor) and not isinstance(tg.convert_to_tensor(v), tg.Variable)
    with pytest.raises(TypeError, match="cast"):
        tg.convert_to_tensor(t, dtype=tg.float64)
    x = tg.constant(2.0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        packed = tg.convert_to_tensor([[x, 1.0], [3.0, x * x]])  # auto-packing is differentiable
        y = tg.sum(packed)
    np.testing.assert_array_equal(packed.numpy(), [[2.0, 1.0], [3.0, 4.0]])
    assert tape.gradient(y, x).numpy() == 5.0


def test_zeros_ones_fill_full():
    z = tg.zeros((2, 3))
    assert z.dtype == np.float32 and z.shape == (2, 3) and not z.numpy().any()
    assert tg.zeros(3, tg.int32).dtype == np.int32
    assert tg.ones([]).shape == () and tg.ones([]).numpy() == 1.0
    np.testing.assert_array_equal(tg.ones(tg.constant([2, 1])).numpy(), [[1.0], [1.0]])
    f = tg.fill([2, 2], 7)
    assert f.dtype == np.int32 and (f.numpy() == 7).all()
    assert tg.fill([2], 0.5).dtype == np.float32
    assert K.full(3, 2.0, tg.float64).dtype == np.float64
    with pytest.raises(ValueError, match="negative"):
        tg.zeros((-1, 2))
    with pytest.raises(TypeError, match="shape"):
        tg.zeros((1.5, 2))


def test_like_constructors_take_shape_and_dtype_and_carry_no_gradient():
    x = tg.constant(np.ones((2, 3), np.float64))
    assert tg.zeros_like(x).dtype == np.float64 and tg.zeros_like(x).shape == (2, 3)
    assert tg.ones_like(x, dtype=tg.int32).dtype == np.int32
    np.testing.assert_array_equal(K.full_like(x, 4.0).numpy(), np.full((2, 3), 4.0))
    for f in (np.zeros_like, np.ones_like, np.empty_like):
        out = f(x)
        assert isinstance(out, tg.Tensor) and out.shape == (2, 3) and out.dtype == np.float64
    assert np.ones_like(x).numpy().sum() == 6.0
    assert np.full_like(x, 2.0, dtype=np.float32).dtype == np.float32
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.sum(tg.ones_like(x))
    assert tape.gradient(y, x) is None
    # on plain NumPy values (as inside derivative rules) they give NumPy values
    assert isinstance(tg.zeros_like(np.ones(2)), np.ndarray)
    assert isinstance(tg.ones_like(np.float32(2.0)), np.float32)


def test_linspace_and_lin_space():
    x = tg.linspace(0, 1, 5)
    assert x.dtype == np.float32
    np.testing.assert_allclose(x.numpy(), [0, 0.25, 0.5, 0.75, 1.0])
    assert tg.lin_space(0.0, 1.0, 3).shape == (3,)
    assert tg.linspace(tg.constant(0.0, dtype=tg.float64), 2.0, 3).dtype == np.float64
    assert tg.linspace(tg.constant(0.0), 2.0, 3).dtype == np.float32
    np.testing.assert_allclose(tg.linspace(0.0, 1.0, 4, endpoint=False).numpy(), [0, 0.25, 0.5, 0.75])
    np.testing.assert_allclose(tg.linspace(tg.constant([0.0, 1.0]), tg.constant([1.0, 3.0]), 3, axis=1).numpy(),
                               [[0, 0.5, 1], [1, 2, 3]])
    with pytest.raises(ValueError, match="num"):
        tg.linspace(0.0, 1.0, -2)


def test_arange_and_range_alias():
    assert tg.arange(5).dtype == np.int32
    np.testing.assert_array_equal(tg.arange(5).numpy(), np.arange(5))
    np.testing.assert_array_equal(tg.arange(2, 10, 3).numpy(), [2, 5, 8])
    np.testing.assert_array_equal(tg.arange(5, 0, -2).numpy(), [5, 3, 1])
    r = tg.arange(0.0, 1.0, 0.25)
    assert r.dtype == np.float32
    np.testing.assert_allclose(r.numpy(), [0, 0.25, 0.5, 0.75])
    assert tg.arange(np.float64(3)).dtype == np.float64
    assert tg.arange(tg.constant(4, dtype=tg.int64)).dtype == np.int64
    assert tg.arange(3, dtype=tg.float64).dtype == np.float64
    assert K.range is K.arange
    import builtins

    assert K.range(3).shape == (3,) and builtins.range is range  # builtin untouched
    with pytest.raises(ValueError, match="zero"):
        tg.arange(0, 5, 0)


def test_eye():
    e = tg.eye(3)
    assert e.dtype == np.float32
    np.testing.assert_array_equal(e.numpy(), np.eye(3))
    np.testing.assert_array_equal(tg.eye(2, 3, dtype=tg.int32).numpy(), np.eye(2, 3, dtype=np.int32))
    np.testing.assert_array_equal(tg.eye(3, k=1).numpy(), np.eye(3, k=1))
    b = tg.eye(2, batch_shape=[4])
    assert b.shape == (4, 2, 2)
    np.testing.assert_array_equal(b.numpy()[3], np.eye(2))


def test_random_constructors_are_seeded():
    a = tg.random_normal((3, 4), seed=1)
    assert a.dtype == np.float32 and a.shape == (3, 4)
    np.testing.assert_array_equal(a.numpy(), tg.random_normal((3, 4), seed=1).numpy())
    assert not np.array_equal(a.numpy(), tg.random_normal((3, 4), seed=2).numpy())
    n = tg.random_normal([20000], mean=2.0, stddev=0.5, dtype=tg.float64, seed=0).numpy()
    assert n.dtype == np.float64 and abs(n.mean() - 2.0) < 0.02 and abs(n.std() - 0.5) < 0.02
    u = tg.random_uniform([1000], minval=-1.0, maxval=3.0, seed=3).numpy()
    assert u.dtype == np.float32 and u.min() >= -1.0 and u.max() < 3.0
    np.testing.assert_array_equal(u, tg.random_uniform([1000], -1.0, 3.0, seed=3).numpy())
    i = tg.random_uniform([50], 0, 4, dtype=tg.int32, seed=0).numpy()
    assert i.dtype == np.int32 and set(i.tolist()) <= {0, 1, 2, 3}
    with pytest.raises(ValueError, match="maxval"):
        tg.random_uniform([2], dtype=tg.int32)
    assert tg.random_normal([]).shape == ()


def test_constructors_are_constants_on_a_tape():
    with tg.GradientTape() as tape:
        z = tg.zeros(3)
        tape.watch(z)
        y = tg.sum(z * tg.linspace(0.0, 1.0, 3))
    np.testing.assert_allclose(tape.gradient(y, z).numpy(), [0.0, 0.5, 1.0])
