"""Third audit of ``tapegrad`` and ``tapegrad.numpy`` against NumPy's semantics: ufunc methods on
tensors (reduce, accumulate, outer), logspace/geomspace with tensor endpoints, weighted covariance,
creation dtypes, and ndarray methods that work in place. Each behaviour is checked against NumPy
(values bit for bit, dtypes, shapes, errors) and gradients against central finite differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.numpy as tnp
from tapegrad import _tensor
from tests.numpy.differences import central_differences as _fd
from tests.numpy.differences import same_as_numpy as _same

RNG = np.random.default_rng(23)


def _grad(f, x):
    return tg.grad(lambda t: tnp.sum(f(t)))(tg.constant(x)).numpy()


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


def test_ufunc_methods_refuse_out_by_name():
    t = tg.constant(X)
    with pytest.raises(TypeError, match=r"add\.reduce.*out=.*immutable"):
        np.add.reduce(t, out=np.zeros(4))
    with pytest.raises(TypeError, match=r"maximum\.accumulate.*out=.*immutable"):
        np.maximum.accumulate(t, out=np.zeros((3, 4)))
    with pytest.raises(TypeError, match=r"add\.outer.*dtype"):
        np.add.outer(t, t, dtype=np.float32)


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


def test_tapegrad_numpy_ufuncs_have_numpys_methods():
    """NumPy code run with ``import tapegrad.numpy as np``: np.add.reduce was an AttributeError."""
    _same(tnp.add.reduce(tg.constant(X), 1), np.add.reduce(X, 1))
    _same(tnp.multiply.reduce([1, 2, 3]), np.multiply.reduce([1, 2, 3]))
    _same(tnp.maximum.accumulate(X, axis=1), np.maximum.accumulate(X, axis=1))
    _same(tnp.subtract.outer([1.0, 2.0], tg.constant(X)), np.subtract.outer([1.0, 2.0], X))
    np.testing.assert_allclose(
        _grad(lambda t: tnp.minimum.reduce(t, axis=None, initial=0.5), X),
        _fd(lambda a: np.minimum.reduce(a, axis=None, initial=0.5), X),
        atol=1e-8,
    )
    with pytest.raises(TypeError, match="immutable"):
        tnp.add.at(tg.constant(X), [0], 1.0)


# ---- 2. logspace / geomspace with tensor endpoints (and base): refused, now NumPy's values, differentiable ----
def _f64(v, dtype=np.float64):
    return tg.constant(np.asarray(v, dtype))


SPACES = [
    ("logspace", lambda c: ((c(2.0), c(3.0), 4), {})),
    ("logspace", lambda c: ((c(2.0, np.float32), 3.0, 5), {})),
    ("logspace", lambda c: ((c(2, np.int64), 3, 5), {})),
    ("logspace", lambda c: ((c([2.0, 1.0]), c([[3.0], [0.5]]), 7), {"endpoint": False, "axis": 1})),
    ("logspace", lambda c: ((c(2.0), 3.0, 4), {"base": c([2.0, 3.0]), "axis": -1})),
    ("logspace", lambda c: ((c([2.0, 1.0]), 3.0, 4), {"base": c([2.0, 3.0])})),
    ("logspace", lambda c: ((c(0.5), 3.0, 6), {"dtype": np.float32})),
    ("logspace", lambda c: ((c(0.5), 3.0, 6), {"dtype": int})),
    ("geomspace", lambda c: ((c(1.0), c(1000.0), 4), {})),
    ("geomspace", lambda c: ((c(-1000.0), c(-1.0), 4), {})),
    ("geomspace", lambda c: ((c(2.0, np.float32), c(300.0, np.float32), 5), {})),
    ("geomspace", lambda c: ((c(2.0, np.float32), c(300.0, np.float32), 5), {"dtype": np.float32})),
    ("geomspace", lambda c: ((c(1, np.int64), 256, 9), {"dtype": int})),
    ("geomspace", lambda c: ((c([1.0, -2.0, 3.0]), c([10.0, -100.0, 0.5]), 6), {"endpoint": False, "axis": -1})),
    ("geomspace", lambda c: ((c(-1 + 0j, np.complex128), c(1 + 0j, np.complex128), 5), {})),
    ("geomspace", lambda c: ((c(1j, np.complex128), 1000j, 4), {})),
    ("geomspace", lambda c: ((c(3.0), c(5.0), 1), {})),
    ("geomspace", lambda c: ((c(3.0), c(5.0), 0), {})),
]


@pytest.mark.parametrize("module", [np, tnp], ids=["np", "tnp"])
@pytest.mark.parametrize("name, case", SPACES)
def test_logspace_and_geomspace_of_tensors_are_numpys_values(module, name, case):
    """Bit for bit, dtype and shape as NumPy's (its arithmetic order, its float64 for geomspace)."""
    args, kw = case(_f64)
    want_args, want_kw = case(lambda v, dtype=np.float64: np.asarray(v, dtype))
    _same(getattr(module, name)(*args, **kw), getattr(np, name)(*want_args, **want_kw))


@pytest.mark.parametrize(
    "f",
    [
        lambda a, b: np.logspace(a, b, 5),
        lambda a, b: tnp.logspace(a, b, 4, endpoint=False, base=a + 2.0, axis=-1),
        lambda a, b: np.geomspace(a + 3.0, b + 3.0, 5),
        lambda a, b: tnp.geomspace(-a - 3.0, -b - 3.0, 4, endpoint=False, axis=-1),
    ],
)
def test_logspace_and_geomspace_are_differentiable_in_their_endpoints(f):
    a, b = np.array([0.3, -0.4]), np.array([1.1, 0.7])
    got = tg.grad(lambda s, t: tnp.sum(f(s, t)), argnums=(0, 1))(tg.constant(a), tg.constant(b))
    np.testing.assert_allclose(got[0].numpy(), _fd(lambda x: f(x, b), a), rtol=1e-6)
    np.testing.assert_allclose(got[1].numpy(), _fd(lambda x: f(a, x), b), rtol=1e-6)


def test_geomspace_of_a_zero_tensor_is_numpys_error():
    with pytest.raises(ValueError, match="cannot include zero"):
        np.geomspace(tg.constant(0.0), 1.0, 3)


# ---- 3. np.cov with fweights / aweights (arrays or tensors) -----------------------------------------
COV_X = RNG.normal(size=(3, 7))
FW = np.array([1, 3, 0, 2, 1, 1, 4])
AW = RNG.uniform(0.2, 2.0, 7)


@pytest.mark.parametrize(
    "kw",
    [
        {"fweights": FW},
        {"aweights": AW},
        {"fweights": FW, "aweights": AW},
        {"fweights": FW, "aweights": AW, "ddof": 0},
        {"aweights": AW, "bias": True},
        {"fweights": FW, "ddof": 3},
        {"aweights": AW, "dtype": np.float32},
    ],
)
@pytest.mark.parametrize("as_tensor", [False, True])
def test_cov_with_weights_is_numpys(kw, as_tensor):
    """tnp.cov refused fweights/aweights (NotImplementedError); np.cov(t, aweights=...) too."""
    given = {k: tg.constant(v) if as_tensor and k.endswith("weights") else v for k, v in kw.items()}
    _same(np.cov(tg.constant(COV_X), **given), np.cov(COV_X, **kw))
    _same(tnp.cov(COV_X.T, COV_X[0] * 2, rowvar=False, **given), np.cov(COV_X.T, COV_X[0] * 2, rowvar=False, **kw))
    z = COV_X + 1j * RNG.normal(size=COV_X.shape)
    if "dtype" not in kw:
        _same(tnp.cov(tg.constant(z), **given), np.cov(z, **kw))


def test_cov_is_differentiable_in_tensor_weights():
    got = tg.grad(lambda w: tnp.sum(tnp.cov(COV_X, fweights=FW, aweights=w)))(tg.constant(AW)).numpy()
    np.testing.assert_allclose(got, _fd(lambda w: np.cov(COV_X, fweights=FW, aweights=w), AW), rtol=1e-6, atol=1e-9)
    # frequency weights must be integers in NumPy; with ddof=0 they enter as analytic weights do
    f = (FW + 1).astype(float)
    got = tg.grad(lambda w: tnp.sum(tnp.cov(COV_X, fweights=w, bias=True)))(tg.constant(f)).numpy()
    np.testing.assert_allclose(got, _fd(lambda w: np.cov(COV_X, aweights=w, bias=True), f), rtol=1e-6, atol=1e-9)


def test_cov_dtypes_and_layouts_are_numpys():
    """float32 data: NumPy computes in float64; rowvar=False with one row: that row's entries are variables."""
    x32 = COV_X.astype(np.float32)
    _same(tnp.cov(tg.constant(x32)), np.cov(x32))
    _same(tnp.cov(tg.constant(x32), dtype=np.float32), np.cov(x32, dtype=np.float32))
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        _same(tnp.cov(tg.constant(COV_X[:1]), rowvar=False), np.cov(COV_X[:1], rowvar=False))


def test_cov_weight_errors_are_numpys():
    t = tg.constant(COV_X)
    with pytest.raises(TypeError, match="fweights must be integer"):
        np.cov(t, fweights=FW + 0.5)
    with pytest.raises(ValueError, match="aweights cannot be negative"):
        np.cov(t, aweights=-AW)
    with pytest.raises(RuntimeError, match="incompatible numbers of samples and fweights"):
        np.cov(t, fweights=FW[:3])
    with pytest.raises(ValueError, match="ddof must be integer"):
        np.cov(t, ddof=1.5)


# ---- 4. creation dtypes: NumPy's, not TensorFlow's float32 -----------------------------------------
@pytest.mark.parametrize("module", [np, tnp], ids=["np", "tnp"])
@pytest.mark.parametrize(
    "start, stop",
    [(np.int64(1), np.int64(10)), (np.int32(1), 10), (np.float32(1), 10.0), (np.float32(1), np.int64(10)), (1, 10)],
)
def test_linspace_of_tensors_has_numpys_dtype(module, start, stop):
    """tnp.linspace / np.linspace with integer tensor endpoints gave float32 (NumPy: float64)."""
    for s, e in ((tg.constant(np.asarray(start)), stop), (start, tg.constant(np.asarray(stop)))):
        plain = [v.numpy() if isinstance(v, tg.Tensor) else v for v in (s, e)]  # NumPy's dtype rules on the values
        _same(module.linspace(s, e, 5), np.linspace(*plain, 5))


def test_linspace_of_tensors_with_an_integer_dtype_floors_as_numpy():
    """dtype=int cast the endpoints to int first (1.5 -> 1) and returned float64."""
    _same(np.linspace(_f64(1.5), _f64(10.0), 3, dtype=int), np.linspace(1.5, 10.0, 3, dtype=int))
    _same(tg.linspace(_f64(-1.5), _f64(10.0), 4, dtype=np.int32), np.linspace(-1.5, 10.0, 4, dtype=np.int32))


def test_linspace_of_tensors_follows_numpys_arithmetic_at_the_edges():
    """A step that underflows to 0 (NumPy: i / div * delta) and a single sample of an infinite range."""
    a = np.array([0.0, 1e-320])
    _same(np.linspace(tg.constant(a), tg.constant(a * 3), 5, axis=1), np.linspace(a, a * 3, 5, axis=1))
    with np.errstate(invalid="ignore"):
        _same(np.linspace(_f64(0.0), np.inf, 1), np.linspace(0.0, np.inf, 1))


# ---- 5. t.sort(): NumPy's sorts in place and returns None; a tensor cannot, so it is refused ----------
def test_tensor_sort_method_is_refused_at_the_call_and_names_the_fix():
    """``t.sort(); use(t)`` silently went on with the unsorted tensor (it returned a sorted copy)."""
    t = tg.constant([3.0, 1.0, 2.0])
    with pytest.raises(TypeError, match=r"in place.*immutable.*t = np\.sort\(t, axis\)"):
        t.sort()
    with pytest.raises(TypeError, match="immutable"):
        tg.Variable([3.0, 1.0]).sort(axis=0)
    _same(np.sort(t), np.sort(np.array([3.0, 1.0, 2.0], np.float32)))  # the fix it names
    _same(tnp.sort(t, axis=None), np.sort(np.array([3.0, 1.0, 2.0], np.float32), axis=None))


# ---- dtype= and the other keywords of the NaN-aware reductions and scans: NumPy's, never ignored ------
A8 = np.array([[100, 100, 3], [1, 2, 3]], dtype=np.int8)
NAN32 = np.array([[1.5, np.nan, 2.25], [np.nan, np.nan, np.nan]], dtype=np.float32)
NAN64 = np.where(RNG.random((4, 5)) < 0.3, np.nan, RNG.normal(size=(4, 5)))
NAN64[0] = np.nan
NANC = NAN64 + 1j * RNG.normal(size=(4, 5))


@pytest.mark.parametrize("a", [A8, NAN32, NAN64, NANC], ids=["int8", "float32", "float64", "complex128"])
@pytest.mark.parametrize(
    "name",
    [
        "nansum",
        "nanprod",
        "nanmax",
        "nanmin",
        "nanmean",
        "nancumsum",
        "nancumprod",
        "nanvar",
        "nanstd",
        "cumulative_sum",
        "cumulative_prod",
    ],
)
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"axis": 1},
        {"axis": 0, "keepdims": True},
        {"dtype": np.int8},
        {"dtype": np.float64},
        {"dtype": np.float32},
        {"ddof": 1},
        {"correction": 2, "axis": 1},
        {"include_initial": True, "axis": 1},
    ],
)
def test_nan_reductions_and_scans_follow_numpys_dtypes(name, a, kw):
    """nansum(int8) was float64, nansum(t, dtype=np.int8) computed in float64, nanmax of an all-NaN slice was
    -inf, nanvar ignored correction= and gave inf for no degrees of freedom, cumulative_sum ignored dtype=."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            want = getattr(np, name)(a, **kw)
        except (TypeError, ValueError):
            return
        if name in ("nanmean", "nanvar", "nanstd") and np.dtype(kw.get("dtype", float)).kind == "i":
            with pytest.raises(TypeError, match="dtype"):  # NumPy's sums and divides in int8 there
                getattr(np, name)(tg.constant(a), **kw)
            return
        _same(getattr(np, name)(tg.constant(a), **kw), want)


@pytest.mark.parametrize("name", ["mean", "var", "std"])
def test_an_integer_dtype_for_a_mean_or_variance_is_refused(name):
    """np.mean(t, dtype=np.int8) gave float64 34.8 where NumPy gives int8 -7 (it sums and divides in int8)."""
    with pytest.raises(TypeError, match="integer dtype"):
        getattr(np, name)(tg.constant(A8), dtype=np.int8)
    _same(getattr(np, name)(tg.constant(A8), dtype=np.float32), getattr(np, name)(A8, dtype=np.float32))


@pytest.mark.parametrize("kw", [{"initial": 5.0}, {"where": NAN32 > 0}])
def test_nan_reductions_refuse_the_keywords_they_do_not_implement(kw):
    """np.nansum(t, initial=5.0) silently ignored initial= (and where=)."""
    with pytest.raises(TypeError, match=next(iter(kw))):
        np.nansum(tg.constant(NAN32), **kw)


@pytest.mark.parametrize(
    "args, kw",
    [
        ((0, 1, 5), {}),
        ((0, 1, 5), {"endpoint": False}),
        ((0.0, 1.0, 1), {}),
        ((np.float32(0), 1, 4), {"dtype": np.float32}),
        ((1, 10, 4), {"dtype": int}),
        (([0.0, 1.0], [2.0, 5.0], 3), {"axis": 1}),
    ],
)
def test_linspace_retstep_gives_numpys_step(args, kw):
    """tnp.linspace(..., retstep=True) failed deep inside (and refused tensors); the step is differentiable."""
    want = np.linspace(*args, retstep=True, **kw)
    for got in (
        tnp.linspace(*args, retstep=True, **kw),
        np.linspace(tg.constant(np.asarray(args[0])), *args[1:], retstep=True, **kw),
    ):
        _same(got[0], want[0])
        if isinstance(got[1], tg.Tensor):
            _same(got[1], want[1])
        else:  # no step (a single sample): nan, as NumPy's
            np.testing.assert_equal(got[1], want[1])
    g = tg.grad(lambda s: tnp.linspace(s, 2.0, 5, retstep=True)[1])(tg.constant(0.5, tg.float64))
    assert float(g) == -0.25
