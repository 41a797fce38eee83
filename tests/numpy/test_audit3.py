"""Third audit of ``tapegrad`` and ``tapegrad.numpy`` against NumPy's semantics: ufunc methods on
tensors (reduce, accumulate, outer), logspace/geomspace with tensor endpoints, weighted covariance,
creation dtypes, and ndarray methods that work in place. Each behaviour is checked against NumPy
(values bit for bit, dtypes, shapes, errors) and gradients against central finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.numpy as tnp
from tapegrad import _tensor

RNG = np.random.default_rng(23)


def _fd(f, x, eps=1e-6):
    """Central differences of the real loss sum(f(x)) in float64."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (np.sum(np.asarray(f(xp))) - np.sum(np.asarray(f(xm)))) / (2 * eps)
    return g


def _grad(f, x):
    return tg.grad(lambda t: tnp.sum(f(t)))(tg.constant(x)).numpy()


def _same(got, want):
    """Same values bit for bit, same dtype, same shape."""
    want = np.asarray(want)
    got = np.asarray(got.numpy() if isinstance(got, tg.Tensor) else got)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_array_equal(got, want)


# ---- 1. ufunc methods: np.add.reduce(t), np.multiply.accumulate(t), np.maximum.outer(a, t), ... -------
X = RNG.uniform(-2, 2, (3, 4))


@pytest.mark.parametrize("ufunc", [np.add, np.multiply, np.maximum, np.minimum])
@pytest.mark.parametrize(
    "kw",
    [{}, {"axis": 1}, {"axis": None}, {"axis": (0, 1), "keepdims": True}, {"axis": -1, "keepdims": True}, {"axis": ()}],
)
def test_ufunc_reduce_matches_numpy(ufunc, kw):
    """ufunc.reduce on a tensor was refused; NumPy's default axis is 0 (not None, as for np.sum)."""
    _same(ufunc.reduce(tg.constant(X), **kw), ufunc.reduce(X, **kw))
    np.testing.assert_allclose(
        _grad(lambda t: ufunc.reduce(t, **kw), X), _fd(lambda a: ufunc.reduce(a, **kw), X), rtol=1e-6, atol=1e-8
    )


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.bool_, np.int32, np.float32])
@pytest.mark.parametrize("ufunc", [np.add, np.multiply, np.maximum, np.minimum])
def test_ufunc_reduce_and_accumulate_dtypes(ufunc, dtype):
    """add/multiply reduce and accumulate small integers and booleans in the platform integer."""
    a = np.array([[100, 3, 0], [100, 7, 1]]).astype(dtype)
    _same(ufunc.reduce(tg.constant(a)), ufunc.reduce(a))
    _same(ufunc.reduce(tg.constant(a), axis=1, dtype=np.int8), ufunc.reduce(a, axis=1, dtype=np.int8))
    _same(ufunc.accumulate(tg.constant(a)), ufunc.accumulate(a))
    _same(ufunc.accumulate(tg.constant(a), 1, np.int8), ufunc.accumulate(a, 1, np.int8))


@pytest.mark.parametrize("name", ["sum", "prod", "cumsum", "cumprod"])
def test_an_integer_dtype_argument_wraps_around_as_numpy_does(name):
    """np.sum(t, dtype=np.int8) computed in int64 and returned int64 (203 where NumPy has -53)."""
    a = np.array([100, 100, 3], dtype=np.int8)
    _same(getattr(np, name)(tg.constant(a), dtype=np.int8), getattr(np, name)(a, dtype=np.int8))
    _same(getattr(tg.constant(a), name)(dtype=np.int8), getattr(a, name)(dtype=np.int8))


@pytest.mark.parametrize(
    "kw", [{"initial": 0.25}, {"axis": 1, "initial": 0.25, "where": X > -0.5}, {"axis": None, "initial": -9.0}]
)
@pytest.mark.parametrize("ufunc", [np.maximum, np.minimum])
def test_maximum_and_minimum_reduce_take_initial_and_where(ufunc, kw):
    _same(ufunc.reduce(tg.constant(X), **kw), ufunc.reduce(X, **kw))
    np.testing.assert_allclose(
        _grad(lambda t: ufunc.reduce(t, **kw), X), _fd(lambda a: ufunc.reduce(a, **kw), X), atol=1e-8
    )
    empty = np.zeros((0, 3), np.float32)
    _same(ufunc.reduce(tg.constant(empty), initial=2.0), ufunc.reduce(empty, initial=2.0))


def test_maximum_reduce_with_a_tensor_initial_value():
    # a tensor initial value gets its gradient where it wins
    g = tg.grad(lambda s: tnp.sum(np.maximum.reduce(tg.constant(X), 1, initial=s)))(tg.constant(1.5, tg.float64))
    assert float(g) == np.sum(X.max(axis=1) < 1.5)
    with pytest.raises(ValueError, match="initial"):
        np.maximum.reduce(tg.constant(X), where=X > 0)


@pytest.mark.parametrize("kw", [{"initial": 1.0}, {"where": X > 0}])
@pytest.mark.parametrize("ufunc", [np.add, np.multiply])
def test_add_and_multiply_reduce_refuse_initial_and_where_by_name(ufunc, kw):
    with pytest.raises(TypeError, match=f"numpy.{ufunc.__name__}.reduce.*{next(iter(kw))}="):
        ufunc.reduce(tg.constant(X), **kw)


@pytest.mark.parametrize("ufunc", [np.add, np.multiply, np.maximum, np.minimum])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_ufunc_accumulate_matches_numpy(ufunc, axis):
    """add/multiply -> cumsum/cumprod; maximum/minimum: NumPy's recurrence, step by step."""
    _same(ufunc.accumulate(tg.constant(X), axis), ufunc.accumulate(X, axis))
    np.testing.assert_allclose(
        _grad(lambda t: ufunc.accumulate(t, axis=axis), X),
        _fd(lambda a: ufunc.accumulate(a, axis=axis), X),
        rtol=1e-6,
        atol=1e-8,
    )
    _same(ufunc.accumulate(tg.constant(X[:, 0])), ufunc.accumulate(X[:, 0]))
    _same(ufunc.accumulate(tg.constant(X[:, 0]), axis=None), ufunc.accumulate(X[:, 0], axis=None))
    _same(ufunc.accumulate(tg.constant(X[:0])), ufunc.accumulate(X[:0]))


def test_ufunc_accumulate_errors_are_numpys():
    with pytest.raises(ValueError, match="multiple axes"):
        np.add.accumulate(tg.constant(X), axis=None)
    with pytest.raises(TypeError, match="scalar"):
        np.add.accumulate(tg.constant(1.0))
    with pytest.raises(TypeError, match="np.maximum.accumulate"):  # names what is implemented
        np.subtract.accumulate(tg.constant(X))
    with pytest.raises(TypeError, match="np.add.reduce"):
        np.subtract.reduce(tg.constant(X))
    with pytest.raises(ValueError, match="binary"):
        np.sin.reduce(tg.constant(X))


def _binary_ufuncs():
    return sorted((u for u in _tensor.UFUNCS if u.nin == 2 and u.signature is None), key=lambda u: u.__name__)


@pytest.mark.parametrize("ufunc", _binary_ufuncs(), ids=lambda u: u.__name__)
def test_ufunc_outer_of_every_binary_ufunc_with_a_rule(ufunc):
    """ufunc.outer(a, b) with the tensor on either side (or both) equals NumPy's, shape a.shape + b.shape."""
    a, b = RNG.uniform(0.5, 2, (2, 3)), RNG.uniform(0.5, 2, (4,))
    try:
        want = ufunc.outer(a, b)
    except TypeError:  # integer-only ufuncs (gcd, bitwise_and, left_shift, ...)
        a, b = RNG.integers(1, 5, (2, 3)), RNG.integers(1, 5, (4,))
        want = ufunc.outer(a, b)
    for left, right in ((tg.constant(a), b), (a, tg.constant(b)), (tg.constant(a), tg.constant(b))):
        got = ufunc.outer(left, right)
        for g, w in zip(got, want) if isinstance(want, tuple) else ((got, want),):
            _same(g, w)


def test_ufunc_outer_is_differentiable_in_both_arguments():
    a, b = RNG.uniform(0.5, 2, (2, 3)), RNG.uniform(0.5, 2, (4,))
    np.testing.assert_allclose(
        _grad(lambda t: np.power.outer(t, b), a), _fd(lambda x: np.power.outer(x, b), a), rtol=1e-6
    )
    np.testing.assert_allclose(
        _grad(lambda t: np.arctan2.outer(a, t), b), _fd(lambda x: np.arctan2.outer(a, x), b), rtol=1e-6
    )
    with pytest.raises(TypeError, match="non-trivial signature"):
        np.matmul.outer(tg.constant(a), b)
    with pytest.raises(ValueError, match="binary"):
        np.sin.outer(tg.constant(a), b)


def test_ufunc_at_and_reduceat_stay_clear_errors_that_name_the_fix():
    t = tg.constant(np.zeros(3))
    with pytest.raises(TypeError, match=r"in place.*immutable.*tg\.scatter_add"):
        np.add.at(t, [0, 0], 1.0)
    with pytest.raises(TypeError, match=r"in place.*tnp\.where"):
        np.maximum.at(t, [0], 1.0)
    with pytest.raises(TypeError, match=r"reduceat.*np\.add\.reduce\(a\[i:j\], axis\).*tnp\.stack"):
        np.add.reduceat(t, [0, 2])
    # the fix named for add.at gives np.add.at's values (repeated indices add up)
    want = np.zeros(3)
    np.add.at(want, [0, 0, 2], [1.0, 2.0, 3.0])
    got = t + tg.scatter_add(tg.constant([1.0, 2.0, 3.0], tg.float64), index=[0, 0, 2], shape=t.shape)
    _same(got, want)
