"""Fifth audit of ``tapegrad`` and ``tapegrad.numpy`` against NumPy's semantics: NumPy functions that
write in place, eigenvalue dtypes, booleans in np.diff, quantile rounding and NaNs, ... Each behaviour
is checked against NumPy (values bit for bit, dtypes, shapes, errors) and gradients against central
finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.numpy as tnp
from tests.numpy.differences import central_differences as _fd
from tests.numpy.differences import same_as_numpy as _same

RNG = np.random.default_rng(55)


def _grad(f, x):
    return tg.grad(lambda t: tnp.sum(tnp.real(f(t))))(tg.constant(x)).numpy()


# ---- np.put_along_axis(t, ...) returned a new tensor the caller never reads: the write was lost ----------
IDX = np.array([[0], [2], [1]])


def _put_along_axis_program(a):
    b = a * 2.0
    np.put_along_axis(b, IDX, 0.0, axis=1)  # NumPy's writes into b and returns None
    return b


@pytest.mark.parametrize(
    "call",
    [
        lambda t: np.put_along_axis(t, IDX, 0.0, axis=1),
        lambda t: np.put_along_axis(np.zeros((3, 4)), IDX, t[:, :1], axis=1),  # a tensor as the values
        lambda t: np.put(t, [0, 1], 9.0),
        lambda t: np.place(t, np.ones((3, 4), bool), 9.0),
        lambda t: np.putmask(t, np.ones((3, 4), bool), 9.0),
        lambda t: np.copyto(t, 9.0),
        lambda t: np.fill_diagonal(t, 9.0),
    ],
    ids=["put_along_axis", "put_along_axis_values", "put", "place", "putmask", "copyto", "fill_diagonal"],
)
def test_numpys_in_place_writers_are_refused_on_tensors(call):
    """np.put_along_axis(t, idx, v, axis) gave back a tensor and left t unchanged: the program went on with
    the unwritten values (silently wrong). The other in-place writers now say why they are refused too."""
    with pytest.raises(TypeError, match="in place.*tapegrad.numpy"):
        call(tg.constant(RNG.normal(size=(3, 4))))
    with pytest.raises(TypeError, match="in place"):
        _put_along_axis_program(tg.constant(np.ones((3, 4))))


def test_tapegrads_functional_put_along_axis_is_numpys_write():
    """The replacement the error names: tapegrad.numpy.put_along_axis returns what NumPy's writes."""
    x = RNG.normal(size=(3, 4))
    got = tnp.put_along_axis(tg.constant(x) * 2.0, IDX, 0.0, axis=1)
    _same(got, _put_along_axis_program(x))
    np.testing.assert_allclose(
        _grad(lambda t: tnp.put_along_axis(t * 2.0, IDX, 0.0, axis=1) ** 2, x),
        _fd(lambda a: _put_along_axis_program(a) ** 2, x),
    )


# ---- np.linalg.eig / eigvals / np.roots of a real matrix with real eigenvalues: complex, NumPy's are real ----
REAL_EIGS = np.array([[2.0, 1.0, 0.0], [0.5, 3.0, 0.2], [0.0, 0.3, -1.0]])
ROTATION = np.array([[0.0, 1.0], [-1.0, 0.0]])


@pytest.mark.parametrize(
    "a",
    [
        REAL_EIGS,
        REAL_EIGS.astype(np.float32),
        np.arange(9).reshape(3, 3),
        ROTATION,
        REAL_EIGS + 1j * np.eye(3),
        np.stack([REAL_EIGS[:2, :2], REAL_EIGS[1:, 1:]]),
        np.stack([REAL_EIGS[:2, :2], ROTATION]),  # one complex pair: the whole batch is complex, as NumPy's
    ],
    ids=["real", "float32", "int", "rotation", "complex", "batch_real", "batch_mixed"],
)
def test_eig_is_real_where_numpys_is(a):
    """eigvals(t) was complex128 where NumPy gives float64 (all eigenvalues real): then np.log(w) of a negative
    eigenvalue is log|w| + i pi instead of nan, comparisons and sorting differ."""
    w, v = np.linalg.eig(a)
    got = np.linalg.eig(tg.constant(a))
    _same(got.eigenvalues, w)
    _same(got.eigenvectors, v)
    _same(np.linalg.eigvals(tg.constant(a)), np.linalg.eigvals(a))
    _same(tnp.linalg.eigvals(tg.constant(a)), np.linalg.eigvals(a))


def test_the_real_eigenvalues_differentiate_as_numpy_code():
    def growth(m):  # the dominant eigenvalue (real: the matrix has real eigenvalues)
        w = np.linalg.eigvals(m)
        return np.max(w) + np.sum(np.sort(w) * np.arange(1.0, 4.0))

    assert growth(tg.constant(REAL_EIGS)).dtype == tg.float64
    np.testing.assert_allclose(_grad(growth, REAL_EIGS), _fd(growth, REAL_EIGS), rtol=1e-6, atol=1e-8)
    f = tg.function(lambda m: np.linalg.eigvals(m) * 2.0)
    for m in (REAL_EIGS[:2, :2], ROTATION, REAL_EIGS[:2, :2], ROTATION):  # the dtype follows the values
        _same(f(tg.constant(m)), np.linalg.eigvals(m) * 2.0)


def test_eigvals_under_tg_function_guards_only_on_realness():
    """The dtype follows the values, but tg.function guards on "all eigenvalues real" only: new matrices run the
    compiled program (no retrace per value, no fallback to eager)."""
    import warnings

    rng = np.random.default_rng(4)
    f = tg.function(lambda m: np.linalg.eigvals(m) * 2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a FunctionWarning (falling back to eager) fails the test
        for i in range(20):
            m = rng.normal(size=(3, 3))
            m = m @ m.T if i % 3 == 0 else m
            _same(f(tg.constant(m)), np.linalg.eigvals(m) * 2.0)


@pytest.mark.parametrize(
    "p", [[1.0, -3.0, 2.0], [1.0, 0.0, 1.0], [1.0, 0.0, 0.0], [2.0], [0.0, 1.0, -3.0, 2.0, 0.0], [1.0 + 1j, 2.0]]
)
def test_roots_are_real_where_numpys_are(p):
    p = np.array(p)
    _same(np.roots(tg.constant(p)), np.roots(p))


# ---- np.roots of a polynomial ending in a zero coefficient: no gradient for that coefficient -------------
@pytest.mark.parametrize(
    "p", [[1.0, -3.0, 2.0, 0.0], [2.0, 0.0, 1.0, 0.0], [1.0, -1.0, 0.0, 0.0], [1.0, 0.0], [1.0, 2.0, -1.0, 0.0, 0.0]]
)
def test_roots_at_zero_move_with_the_zero_coefficients(p):
    """NumPy strips trailing zero coefficients and appends exact zero roots: x^3 - 3x^2 + 2x + c has the
    root -c/2 near c = 0 (and the others move too), but d/dc was 0 (silently missing)."""
    p = np.array(p)
    f = lambda c: np.roots(c) ** 3 + np.roots(c)  # noqa: E731  (symmetric in the roots: their order does not matter)
    _same(np.roots(tg.constant(p)), np.roots(p))
    np.testing.assert_allclose(_grad(f, p), _fd(f, p), rtol=1e-6, atol=1e-6)
    g = tg.function(lambda c: np.roots(c) * 2.0)
    for q in (p, p + 0.5, p):  # trailing zeros or none: the traced program follows the values
        _same(g(tg.constant(q)), np.roots(q) * 2.0)


# ---- np.diff of booleans: NumPy's tells where neighbours differ (not_equal); tapegrad raised --------------
@pytest.mark.parametrize(
    "kw", [{}, {"n": 2}, {"axis": 0}, {"prepend": True}, {"n": 0}, {"append": np.array([[True], [False]])}]
)
def test_diff_of_booleans(kw):
    m = np.array([[True, False, True, True], [False, False, True, False]])
    _same(np.diff(tg.constant(m), **kw), np.diff(m, **kw))
    _same(tnp.diff(m, **kw), np.diff(m, **kw))


# ---- quantile / percentile: interpolated from the wrong end (last bits differ), float32 data with an array q ----
Q_DATA = RNG.normal(size=(40, 7))


@pytest.mark.parametrize("name", ["quantile", "percentile", "nanquantile", "nanpercentile"])
@pytest.mark.parametrize("q", [0.3, 0.7, 0.55, [0.1, 0.9], np.float64(0.3), np.float32(0.3)], ids=repr)
@pytest.mark.parametrize("method", ["linear", "midpoint", "lower", "nearest"])
@pytest.mark.parametrize("data", [Q_DATA, Q_DATA.astype(np.float32), (Q_DATA * 10).astype(int)], ids=["f8", "f4", "i8"])
def test_quantiles_are_numpys_bits_and_dtype(name, q, method, data):
    """np.quantile(t, 0.3) differed from NumPy's in the last bit (NumPy interpolates from the nearer end);
    np.quantile(float32 t, [0.1, 0.9]) was float32 where NumPy's is float64 (an array q is not weak)."""
    if "percentile" in name:
        q = [v * 100 for v in q] if isinstance(q, list) else q * 100
    for axis in (None, 0):
        want = getattr(np, name)(data, q, axis=axis, method=method)
        _same(getattr(np, name)(tg.constant(data), q, axis=axis, method=method), want)


def test_quantile_gradients():
    x = Q_DATA[:6, :3]
    for f in (
        lambda a: np.quantile(a, [0.3, 0.8], axis=0),
        lambda a: np.percentile(a, 55, axis=1, method="midpoint"),
        lambda a: np.nanquantile(a, 0.7, axis=0),
    ):
        np.testing.assert_allclose(_grad(f, x), _fd(f, x), rtol=1e-6, atol=1e-8)
    g = tg.grad(lambda q: np.quantile(tg.constant(x), q, axis=0)[1])(tg.constant(0.7, tg.float64))
    np.testing.assert_allclose(float(g), _fd(lambda q: np.quantile(x, q, axis=0)[1], 0.7), rtol=1e-6)


# ---- np.median / np.quantile of data holding a NaN: a number, NumPy's is NaN (the sort put the NaN last) ------
NAN_DATA = np.array([[1.0, np.nan, 3.0, 0.5], [2.0, 1.0, 5.0, 4.0], [0.0, -1.0, np.nan, 7.0]])


@pytest.mark.parametrize(
    "f",
    [
        lambda a: np.median(a, axis=1),
        lambda a: np.median(a),
        lambda a: np.median(a, axis=0, keepdims=True),
        lambda a: np.median(a.astype(np.float32), axis=1),
        lambda a: np.quantile(a, 0.3, axis=1),
        lambda a: np.quantile(a, [[0.1, 0.2], [0.3, 1.0]], axis=1, keepdims=True),
        lambda a: np.percentile(a, [20, 70], axis=1, method="lower"),
        lambda a: np.percentile(a, 50, axis=(0, 1)),
        lambda a: np.median(a + 1j, axis=1),
    ],
)
def test_median_and_quantile_of_nan_data_are_nan(f):
    """np.median([1, nan, 3, 0.5]) gave 2.0 where NumPy gives nan (silently wrong)."""
    with np.errstate(invalid="ignore"):
        _same(f(tg.constant(NAN_DATA)), f(NAN_DATA))


def test_median_of_nan_data_differentiates_the_other_slices():
    f = lambda a: np.median(a, axis=1) * np.arange(1.0, 4.0)  # noqa: E731
    g = _grad(lambda t: tnp.where(tnp.isnan(f(t)), 0.0, f(t)), NAN_DATA)
    np.testing.assert_allclose(g[1], _fd(lambda a: f(a)[1], NAN_DATA)[1])
    assert not g[[0, 2]].any()  # the NaN slices: a constant NaN, no gradient
    fn = tg.function(lambda a: np.median(a, axis=0))
    for m in (NAN_DATA[1:2], NAN_DATA, NAN_DATA[1:2], NAN_DATA):
        _same(fn(tg.constant(m)), np.median(m, axis=0))


# ---- np.round: complex numbers divided as complex, float32 / 10^-d as a multiplication, integers made float ----
ROUND_DATA = RNG.normal(size=2000) * 1000


@pytest.mark.parametrize("decimals", [-3, -1, 0, 1, 2, 5, 12, 25])
@pytest.mark.parametrize(
    "dtype", [np.float64, np.float32, np.float16, np.complex128, np.complex64, np.int64, np.int16, np.uint8]
)
def test_round_is_numpys_bits_and_dtype(decimals, dtype):
    """np.round(z, 2) of complex z differed from NumPy's in most values (it divided by a complex 100); float32
    with decimals=-3 in 6 of 10 values (times float32(0.001), NumPy divides by 1000); np.round(int, -1) was
    float64 (NumPy's stays int64)."""
    x = (ROUND_DATA + 1j * ROUND_DATA[::-1]) if np.dtype(dtype).kind == "c" else ROUND_DATA
    x = (np.abs(x) if np.dtype(dtype).kind == "u" else x).astype(dtype)
    with np.errstate(all="ignore"):
        want = np.round(x, decimals)
        _same(np.round(tg.constant(x), decimals), want)
        _same(tg.constant(x).round(decimals), want)
        _same(np.around(tg.constant(x), decimals), want)


def test_round_has_gradient_zero():
    x = ROUND_DATA[:5] / 1000
    assert not _grad(lambda t: np.round(t, 1) + 0.0, x).any()
    assert not _grad(lambda t: np.round(t * 1j, 1), x).any()


# ---- np.heaviside(nan, h) was 0 (NumPy's: nan), and an integer x1 gave an integer result ---------------------
@pytest.mark.parametrize(
    "x1",
    [np.array([-1.0, 0.0, np.nan, 2.0]), np.array([-1, 0, 3, 0]), np.array([-1.0, 0.0, np.nan, 0.0], np.float32)],
    ids=["float64", "int", "float32"],
)
@pytest.mark.parametrize("x2", [0.5, np.array(0.25), np.float32(0.3), np.array([1.0, 2.0, 3.0, 4.0]), 1], ids=repr)
def test_heaviside_is_numpys(x1, x2):
    _same(np.heaviside(tg.constant(x1), x2), np.heaviside(x1, x2))


def test_heaviside_differentiates_in_its_value_at_zero():
    x1 = np.array([0.0, 1.0, np.nan, 0.0, -2.0])
    h = np.array([0.3, 0.4, 0.5, 0.6, 0.7])
    g = tg.grad(lambda t: np.sum(np.heaviside(x1, t) * np.arange(1.0, 6.0)))(tg.constant(h))
    np.testing.assert_array_equal(g.numpy(), [1.0, 0.0, 0.0, 4.0, 0.0])


# ---- np.corrcoef of rows with a NaN: every entry NaN (NaN * 0 spread the NaN), NumPy's only the NaN rows' --------
def test_corrcoef_keeps_the_nan_to_its_rows():
    x = np.array([[1.0, np.nan, 3.0, 0.5], [2.0, 1.0, 5.0, 4.0], [0.0, -1.0, 2.5, 7.0], [1.0, 2.0, 0.0, 1.0]])
    with np.errstate(invalid="ignore"):
        _same(np.corrcoef(tg.constant(x)), np.corrcoef(x))
        f = lambda a: np.corrcoef(a) ** 2  # noqa: E731
        np.testing.assert_allclose(_grad(f, x[1:]), _fd(f, x[1:]), atol=1e-8)
        _same(np.corrcoef(tg.constant(x + 1j * x[::-1])), np.corrcoef(x + 1j * x[::-1]))


# ---- np.gradient(f, x) with coordinate arrays: refused (NotImplementedError); float32 data and uniform edges ----
GRID_F = RNG.normal(size=(5, 6))
GRID_X = np.cumsum(RNG.uniform(0.2, 1.0, 6))
GRID_Y = np.cumsum(RNG.uniform(0.2, 1.0, 5))


@pytest.mark.parametrize(
    "f",
    [
        GRID_F,
        GRID_F.astype(np.float32),
        GRID_F.astype(np.float16),
        (GRID_F * 10).astype(int),
        GRID_F + 1j * GRID_F[::-1],
    ],
    ids=["f8", "f4", "f2", "int", "c16"],
)
@pytest.mark.parametrize(
    "args, kw",
    [
        ((), {}),
        ((0.3,), {}),
        ((np.float64(0.3),), {}),
        ((np.float32(0.3),), {}),
        ((0.3, 0.7), {}),
        ((GRID_Y, GRID_X), {}),
        ((GRID_X,), {"axis": 1}),
        ((GRID_Y,), {"axis": -2}),
        ((np.arange(6),), {"axis": 1}),
        ((np.linspace(0.0, 1.0, 6),), {"axis": 1}),
        ((GRID_Y, 2.0), {}),
    ],
    ids=["none", "float", "np.float64", "np.float32", "two", "coords", "x", "y", "int_coords", "linspace", "mixed"],
)
@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_is_numpys(f, args, kw, edge_order):
    """np.gradient(f, x) with coordinates was refused; with float32 data and a float64 spacing, and at the
    second-order edges, the last bits differed from NumPy's."""
    want = np.gradient(f, *args, edge_order=edge_order, **kw)
    got = np.gradient(tg.constant(f), *args, edge_order=edge_order, **kw)
    for w, g in zip(want if isinstance(want, tuple) else (want,), got if isinstance(got, tuple) else (got,)):
        _same(g, w)


@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize("x", [GRID_X, np.arange(6.0), np.linspace(0.0, 1.0, 6)], ids=["uneven", "arange", "linspace"])
def test_gradient_differentiates_in_f_and_in_the_coordinates(edge_order, x):
    """Evenly spaced coordinates: NumPy computes with the one spacing, but moving any one coordinate makes the
    grid uneven, so the derivatives are the uneven formulas' (as finite differences of NumPy's see)."""
    in_f = lambda a: np.gradient(a, x, axis=1, edge_order=edge_order) ** 2  # noqa: E731
    in_x = lambda c: np.gradient(GRID_F, c, axis=1, edge_order=edge_order) ** 2  # noqa: E731
    np.testing.assert_allclose(_grad(in_f, GRID_F), _fd(in_f, GRID_F), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(_grad(in_x, x), _fd(in_x, x), rtol=1e-6, atol=1e-5)
    _same(in_x(tg.constant(x)), in_x(x))
    u = RNG.normal(size=x.shape)
    _, tangent = tg.jvp(in_x, [tg.constant(x)], [tg.constant(u)])
    np.testing.assert_allclose(tangent.numpy(), (in_x(x + 1e-6 * u) - in_x(x - 1e-6 * u)) / 2e-6, rtol=1e-5, atol=1e-4)
    fn = tg.function(in_x)
    for c in (x, GRID_X, np.arange(6.0), x):  # even or uneven: the traced program follows the values
        _same(fn(tg.constant(c)), in_x(c))


def test_gradient_refuses_what_numpy_refuses():
    for args in ((GRID_X[:5],), (GRID_F,), (1.0, 2.0, 3.0)):
        with pytest.raises((ValueError, TypeError)) as numpy_error:
            np.gradient(GRID_F, *args, axis=1)
        with pytest.raises(numpy_error.type):
            np.gradient(tg.constant(GRID_F), *args, axis=1)


# ---- integer-valued and printing functions refused a tensor: np.searchsorted(grid, t), np.iscomplexobj(t), ... ----
def test_functions_without_a_derivative_work_on_the_values():
    """np.searchsorted(grid, t) raised "no derivative rule" (its result is an index), though tapegrad.numpy exports
    searchsorted and iscomplexobj; np.array2string(t) could not print a tensor."""
    x = np.array([0.1, 0.7, 2.5, -1.0])
    t = tg.constant(x)
    grid = np.arange(4.0)
    _same(np.searchsorted(grid, t), np.searchsorted(grid, x))
    _same(np.searchsorted(t[np.argsort(x)], [0.5, 3.0], side="right"), np.searchsorted(np.sort(x), [0.5, 3.0], "right"))
    assert tnp.searchsorted(grid, 1.5) == np.searchsorted(grid, 1.5)
    assert np.iscomplexobj(t) is False and np.isrealobj(t) is True and tnp.iscomplexobj(t * 1j) is True
    assert np.array2string(t, precision=2) == np.array2string(x, precision=2)
    assert np.array_repr(t) == np.array_repr(x) and np.array_str(t) == np.array_str(x)
    bits = np.array([1, 0, 1, 1], dtype=np.uint8)
    _same(np.packbits(tg.constant(bits)), np.packbits(bits))
    _same(np.unpackbits(tg.constant(np.packbits(bits))), np.unpackbits(np.packbits(bits)))
    # an index computed from the values selects; the gradient reaches the selected entries
    g = tg.grad(lambda v: tnp.sum(v[np.searchsorted(np.array([0.0, 1.0]), v) == 1] ** 2))(t)
    np.testing.assert_array_equal(g.numpy(), [0.2, 1.4, 0.0, 0.0])


# ---- t.copy(): AttributeError (NumPy code copies before changing an array) ------------------------------
def test_copy_method():
    x = RNG.normal(size=(2, 3))

    def scaled(a):
        b = a.copy()
        return b * 2.0

    _same(scaled(tg.constant(x)), scaled(x))
    np.testing.assert_array_equal(_grad(scaled, x), np.full((2, 3), 2.0))
    _same(tg.constant(x).copy(order="F"), x.copy(order="F"))
    b = tg.constant(x).copy()
    with pytest.raises(TypeError, match="immutable"):  # a copy is a tensor too: writing into it is refused
        b[0] = 1.0


# ---- np.concatenate / stack / hstack / vstack ignored dtype= and casting= (a silently different dtype) -------
@pytest.mark.parametrize("name", ["concatenate", "stack", "hstack", "vstack", "row_stack"])
@pytest.mark.parametrize(
    "kw",
    [
        {"dtype": np.float32},
        {"dtype": np.complex64},
        {"dtype": np.int32, "casting": "unsafe"},
        {"dtype": np.int32},
        {"casting": "no"},
        {"casting": "equiv"},
        {},
    ],
    ids=repr,
)
def test_joining_takes_numpys_dtype_and_casting(name, kw):
    """np.concatenate([t, a], dtype=np.float32) was float64; casting='no' with mixed dtypes was not refused."""
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3)).astype(np.float32)
    numpy_function = np.vstack if name == "row_stack" else getattr(np, name)
    try:
        want = numpy_function([a, b], **kw)
    except TypeError as error:
        with pytest.raises(TypeError, match="according to the rule"):
            (tnp.row_stack if name == "row_stack" else getattr(np, name))([tg.constant(a), b], **kw)
        assert "according to the rule" in str(error)
        return
    for fn in (getattr(tnp, name),) + ((getattr(np, name),) if name != "row_stack" else ()):
        _same(fn([tg.constant(a), b], **kw), want)
    if np.dtype(want.dtype).kind in "fc":
        f = lambda x: numpy_function([x, b], **kw) * 3.0  # noqa: E731
        np.testing.assert_allclose(_grad(f, a), np.full(a.shape, 3.0))


# ---- np.linalg.svd(a, hermitian=True) ignored hermitian=: other singular vectors than NumPy's; pinv's last bits ----
SYM = RNG.normal(size=(4, 4))
SYM = SYM + SYM.T
HERM = SYM + 1j * np.triu(SYM, 1) - 1j * np.tril(SYM, -1)


@pytest.mark.parametrize(
    "a", [SYM, HERM, np.stack([SYM, -2.0 * SYM]), SYM.astype(np.float32)], ids=["f8", "c16", "batch", "f4"]
)
def test_hermitian_svd_and_pinv_are_numpys(a):
    """svd(a, hermitian=True) gave LAPACK's general SVD: the columns of U and rows of Vh had other signs than
    NumPy's (which come from eigh, the eigenvalues' signs moved into Vh); pinv differed in the last bits."""
    for got, want in zip(np.linalg.svd(tg.constant(a), hermitian=True), np.linalg.svd(a, hermitian=True)):
        _same(got, want)
    for hermitian in (False, True):
        _same(np.linalg.pinv(tg.constant(a), hermitian=hermitian), np.linalg.pinv(a, hermitian=hermitian))
        _same(tnp.linalg.pinv(tg.constant(a), rcond=0.3, hermitian=hermitian), np.linalg.pinv(a, 0.3, hermitian))


def test_hermitian_svd_differentiates():
    for f in (
        lambda a: np.linalg.svd(a, hermitian=True)[1] ** 2,
        lambda a: np.abs(np.linalg.svd(a, hermitian=True)[0]) ** 3,  # |u|: free of the eigenvectors' signs
        lambda a: np.linalg.svd(a, hermitian=True)[0] @ np.diag(np.linalg.svd(a, hermitian=True)[1]),
        lambda a: np.linalg.pinv(a, hermitian=True) ** 2,
    ):
        np.testing.assert_allclose(_grad(f, SYM), _fd(f, SYM), rtol=1e-6, atol=1e-6)


# ---- out= of np.fft.* and np.fix was silently ignored (the array passed stayed as it was) -------------------
@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft", "fft2", "ifftn", "rfftn", "irfft2", "hfft", "ihfft"])
def test_fft_out_is_refused(name):
    x = RNG.normal(size=(4, 4))
    with pytest.raises(TypeError, match="out="):
        getattr(np.fft, name)(tg.constant(x), out=np.zeros((4, 4), complex))
    with pytest.raises(TypeError, match="out="):
        np.fix(tg.constant(x), out=np.zeros((4, 4)))


# ---- dtype= of np.corrcoef and np.linalg.trace was ignored ------------------------------------------------
@pytest.mark.parametrize("dtype", [None, np.float32, np.float64])
def test_corrcoef_dtype(dtype):
    x = RNG.normal(size=(3, 5))
    for a in (x, x.astype(np.float32)):
        _same(np.corrcoef(tg.constant(a), dtype=dtype), np.corrcoef(a, dtype=dtype))


@pytest.mark.parametrize("dtype", [None, np.float32, np.int64, np.int8, np.complex64])
def test_linalg_trace_dtype(dtype):
    for a in (RNG.normal(size=(2, 3, 3)) * 50, np.arange(18, dtype=np.int8).reshape(2, 3, 3) * 40):
        with np.errstate(all="ignore"):
            _same(np.linalg.trace(tg.constant(a), dtype=dtype, offset=1), np.linalg.trace(a, dtype=dtype, offset=1))


# ---- np.linalg.lstsq's rank was a Python int (NumPy's: np.int32) -----------------------------------------
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4)])
def test_lstsq_rank_is_numpys_type(shape):
    a = RNG.normal(size=shape)
    got, want = np.linalg.lstsq(tg.constant(a), np.ones(shape[0])), np.linalg.lstsq(a, np.ones(shape[0]))
    assert type(got[2]) is type(want[2]) and got[2] == want[2]
    assert got[1].shape == want[1].shape and got[1].dtype == want[1].dtype


# ---- where= and initial= of np.sum / mean / prod / max / min were refused: NumPy's values now, differentiable ----
W_DATA = RNG.normal(size=(6, 301))
W_MASK = RNG.random(W_DATA.shape) < 0.7
W_MASK[2] = False  # an empty row: sum 0 (or initial), mean NaN


@pytest.mark.parametrize(
    "data",
    [
        W_DATA,
        W_DATA.astype(np.float32),
        W_DATA.astype(np.float16),
        W_DATA + 1j * W_DATA[::-1],
        (W_DATA * 10).astype(int),
    ],
    ids=["f8", "f4", "f2", "c16", "int"],
)
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "amax", "amin", "prod"])
@pytest.mark.parametrize(
    "kw",
    [
        {"where": W_MASK},
        {"where": W_MASK, "initial": 0.5},
        {"initial": 0.5},
        {"where": W_MASK[0]},
        {"where": W_MASK, "axis": 0, "initial": -1.0},
        {"where": W_MASK, "axis": 1, "keepdims": True, "initial": 2.0},
        {"where": W_MASK, "axis": (0, 1)},
        {"where": W_MASK, "axis": 1},
        {"where": W_MASK, "dtype": np.float32},
    ],
    ids=lambda kw: "-".join(kw),
)
def test_where_and_initial_are_numpys(data, name, kw):
    """np.sum(t, where=mask) and np.max(t, where=mask, initial=0) raised TypeError; NumPy's masked loops sum in
    their own order, so the values are NumPy's own (bit for bit)."""
    if name == "mean":
        kw = {k: v for k, v in kw.items() if k != "initial"}
    if name in ("max", "min", "amax", "amin") and "dtype" in kw:
        return
    if name == "prod":  # a short product: no overflow to compare
        data, kw = data[:, :30], {k: (v[..., :30] if k == "where" else v) for k, v in kw.items()}
        if "initial" in kw:
            with pytest.raises(TypeError, match="initial="):
                np.prod(tg.constant(data), **kw)
            return
    with np.errstate(all="ignore"), __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore")
        try:
            want = getattr(np, name)(data, **kw)
        except ValueError as error:  # max/min with where= and no initial
            with pytest.raises(ValueError, match="initial"):
                getattr(np, name)(tg.constant(data), **kw)
            assert "initial" in str(error)
            return
        _same(getattr(np, name)(tg.constant(data), **kw), want)
        if name in ("sum", "mean", "max", "min"):
            _same(getattr(tg.constant(data), name)(**kw), want)


@pytest.mark.parametrize(
    "f",
    [
        lambda v: np.sum(v**2, where=W_MASK[:3, :5], axis=1, initial=1.0),
        lambda v: np.mean(v**2, where=W_MASK[:3, :5], axis=0),
        lambda v: np.mean(v**2, where=tg.constant(W_MASK[:3, :5]) if isinstance(v, tg.Tensor) else W_MASK[:3, :5]),
        lambda v: np.prod(v, where=W_MASK[:3, :5], axis=1),
        lambda v: np.max(v, where=W_MASK[:3, :5], initial=-5.0, axis=1),
        lambda v: np.min(v, where=W_MASK[:3, :5], axis=0, initial=9.0),
        lambda v: v.sum(where=W_MASK[:3, :5], axis=1) * 1j,
    ],
)
def test_where_and_initial_differentiate(f):
    x = W_DATA[:3, :5]
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(_grad(f, x), _fd(f, x), rtol=1e-6, atol=1e-8)
        u = RNG.normal(size=x.shape)
        _, tangent = tg.jvp(f, [tg.constant(x)], [tg.constant(u)])
        np.testing.assert_allclose(tangent.numpy(), (f(x + 1e-6 * u) - f(x - 1e-6 * u)) / 2e-6, rtol=1e-5, atol=1e-6)
        fn = tg.function(f)
        for _ in range(3):
            _same(fn(tg.constant(x)), f(x))


@pytest.mark.parametrize("name", ["concatenate", "stack", "hstack", "vstack"])
@pytest.mark.parametrize("other", [np.float64, np.float32, np.int64, np.float16], ids=lambda d: np.dtype(d).name)
def test_joining_a_float32_tensor_with_an_array_promotes_as_numpy(name, other):
    """np.concatenate([float32 tensor, float64 array]) was float32 (NumPy's: float64)."""
    a, b = RNG.normal(size=(2, 3)).astype(np.float32), RNG.normal(size=(2, 3)).astype(other)
    _same(getattr(np, name)([tg.constant(a), b]), getattr(np, name)([a, b]))
    _same(getattr(np, name)([b, tg.constant(a)]), getattr(np, name)([b, a]))
    g = tg.grad(lambda t: tnp.sum(getattr(np, name)([t, b])))(tg.constant(a))
    assert g.dtype == tg.float32 and np.all(g.numpy() == 1.0)


# ---- np.unique_all / unique_counts / unique_inverse gave plain tuples: .counts, .values raised AttributeError -----
@pytest.mark.parametrize(
    "x",
    [np.array([3.0, 1.0, 3.0, 2.0, 1.0]), np.array([[3.0, np.nan], [np.nan, 1.0]]), np.array([[1, 2], [2, 1]])],
    ids=["1d", "nan", "int2d"],
)
@pytest.mark.parametrize("name", ["unique_all", "unique_counts", "unique_inverse"])
def test_unique_results_are_numpys_named_tuples(name, x):
    want, got = getattr(np, name)(x), getattr(np, name)(tg.constant(x))
    assert type(got) is type(want)
    for field in want._fields:
        _same(getattr(got, field), getattr(want, field))
    if x.dtype.kind == "f":
        f = lambda a: getattr(np, name)(a).values ** 2  # noqa: E731
        np.testing.assert_array_equal(_grad(f, x), _first_occurrence(x) * 2 * x)  # (each NaN is its own value)


def _first_occurrence(x):
    flat = x.ravel()
    first = np.zeros(flat.shape)
    first[np.unique(flat, return_index=True, equal_nan=False)[1]] = 1.0
    return first.reshape(x.shape)


# ---- np.select with a float32 choice and a Python-float default was float64 (NumPy's: float32, NEP 50) ----------
@pytest.mark.parametrize("default", [-1.0, 0, np.float64(2.0), np.array([1.0, 2.0, 3.0, 4.0]), 1j], ids=repr)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_select_follows_numpys_result_type(default, dtype):
    x = (RNG.normal(size=(3, 4)) * 10).astype(dtype)
    for choices in (lambda v: [v, v * 2], lambda v: [v, 2.5], lambda v: [3, v]):
        want = np.select([x > 0, x < -1], choices(x), default)
        t = tg.constant(x)
        _same(np.select([t > 0, t < -1], choices(t), default), want)
    with pytest.raises(ValueError, match="empty condition list"):
        np.select([], [], default)


def test_a_mask_computed_from_tensors_is_recorded_not_read():
    """np.sum(t, where=t > 0) under tg.function: one compiled program for every value (no guard on the mask)."""
    import warnings

    rng = np.random.default_rng(8)
    f = tg.function(lambda a: np.sum(a**2, where=a > 0, axis=1) + np.mean(a, where=a < 1.5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a FunctionWarning (falling back to eager) fails the test
        for _ in range(12):
            m = rng.normal(size=(3, 4))
            _same(f(tg.constant(m)), np.sum(m**2, where=m > 0, axis=1) + np.mean(m, where=m < 1.5))
    m = rng.normal(size=(3, 4))
    g = lambda a: np.sum(a**2, where=a > 0, axis=1) + np.mean(a, where=a < 1.5)  # noqa: E731
    np.testing.assert_allclose(_grad(g, m), _fd(g, m), rtol=1e-6, atol=1e-8)
