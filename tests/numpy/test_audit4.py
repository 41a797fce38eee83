"""Fourth audit: np.linalg.det's derivatives at singular matrices (the cofactor matrix, exact to
third order at every rank) and np.maximum/np.minimum.accumulate as one primitive each. Values are
checked against their definitions (minors, the old op-by-op recurrence, bit for bit where the
computation is NumPy's) and gradients against central finite differences."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.numpy as tnp
from tapegrad.ops import linalg as L
from tests.numpy.differences import central_differences as _fd
from tests.ops.test_linalg import _np_cofactors as _cofactors

RNG = np.random.default_rng(41)


# ---- 1. det at singular matrices -------------------------------------------------------------------
def _singular(shape, drop, complex_=False):
    """Matrices of rank n - drop (a random matrix times a fixed projector)."""
    n = shape[-1]
    q = np.linalg.qr(RNG.standard_normal((n, n)))[0][:, :drop]
    b = RNG.standard_normal(shape) + (1j * RNG.standard_normal(shape) if complex_ else 0)
    return b @ (np.eye(n) - q @ q.T)


def _grad_det(a):
    return tg.grad(lambda t: tnp.sum(tnp.real(tnp.linalg.det(t))))(tg.constant(a)).numpy()


def _hvp(a, e):
    """d/dA <grad det(A), E> (reverse over reverse), for real A."""
    x = tg.constant(a)
    with tg.GradientTape() as outer:
        outer.watch(x)
        with tg.GradientTape() as inner:
            inner.watch(x)
            y = tnp.sum(tnp.linalg.det(x))
        g = inner.gradient(y, x)
        total = tnp.sum(g * e)
    return outer.gradient(total, x).numpy()


_SINGULAR_CASES = [((3, 3), 1), ((4, 4), 1), ((4, 4), 2), ((2, 3, 3), 1), ((3, 3), 3), ((1, 1), 1)]


@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("shape, drop", _SINGULAR_CASES)
def test_det_gradient_at_singular_matrices_is_the_cofactor_matrix(shape, drop, complex_):
    """Was a LinAlgError (the rule used the inverse); now the cofactor matrix (PyTorch's answer)."""
    a = _singular(shape, drop, complex_)
    got = _grad_det(a)
    want = _cofactors(a)
    want = np.conj(want) if complex_ else want  # TensorFlow's convention for complex inputs
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    fd = _fd(lambda m: np.linalg.det(m), a)
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-7)
    if drop == 1 and shape[-1] > 1:
        assert np.abs(got).max() > 0.1  # rank n-1: the gradient is not zero


@pytest.mark.parametrize("shape, drop", [((3, 3), 1), ((4, 4), 2), ((2, 3, 3), 1), ((3, 3), 3), ((4, 4), 3)])
def test_det_second_order_at_singular_matrices_matches_finite_differences(shape, drop):
    a = _singular(shape, drop)
    e = RNG.standard_normal(shape)
    got = _hvp(a, e)
    fd = _fd(lambda m: np.sum(_cofactors(m) * e), a)
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-7)
    # forward over reverse: the JVP of the gradient in the direction e (the Hessian is symmetric)
    _, jvp = tg.jvp(lambda t: tg.grad(lambda s: tnp.sum(tnp.linalg.det(s)))(t), (tg.constant(a),), (tg.constant(e),))
    np.testing.assert_allclose(jvp.numpy(), fd, rtol=1e-6, atol=1e-7)


def _nested(a, directions):
    """The gradient of <...<<grad det(A), W1>, W2>..., W_k> in A: det's (k+1)-th derivative contracted."""
    x = tg.constant(a)
    tapes = [tg.GradientTape() for _ in range(len(directions) + 1)]
    for tape in tapes:
        tape.__enter__()
        tape.watch(x)
    y = tnp.linalg.det(x)
    for tape, w in zip(tapes[::-1], directions[::-1]):
        tape.__exit__(None, None, None)
        y = tnp.sum(tape.gradient(y, x) * w)
    tapes[0].__exit__(None, None, None)
    return tapes[0].gradient(y, x)


def _third_reference(a, w, z):
    """D^3 det(A)[W, Z, .] by central differences of the cofactors' derivative (exact for the cubic's)."""

    def second_contracted(m):
        return np.sum(_fd(lambda k: np.sum(_cofactors(k) * w), m) * z)

    return _fd(second_contracted, a, eps=1e-3)


@pytest.mark.parametrize("shape, drop", [((3, 3), 1), ((4, 4), 1), ((4, 4), 2), ((3, 3), 3)])
def test_det_third_order_at_singular_matrices_matches_finite_differences(shape, drop):
    a = _singular(shape, drop)
    w, z = RNG.standard_normal(shape), RNG.standard_normal(shape)
    want = _third_reference(a, w, z)
    np.testing.assert_allclose(_nested(a, [w, z]).numpy(), want, rtol=1e-5, atol=1e-5)
    if shape[-1] - drop >= 1:
        assert np.abs(want).max() > 0.01


def test_det_fourth_order_at_a_singular_matrix_is_a_clear_error_and_zero_for_3x3():
    w = [RNG.standard_normal((4, 4)) for _ in range(3)]
    with pytest.raises(np.linalg.LinAlgError, match="fourth derivative of det at a singular"):
        _nested(_singular((4, 4), 1), w)
    fourth = _nested(_singular((3, 3), 1), [m[:3, :3] for m in w])
    np.testing.assert_array_equal(fourth.numpy(), np.zeros((3, 3)))  # det of 3x3 is cubic


def test_det_third_order_at_well_conditioned_matrices_takes_the_inverse_rule():
    a = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    w, z = RNG.standard_normal((3, 3)), RNG.standard_normal((3, 3))
    got = _nested(a, [w, z]).numpy()
    np.testing.assert_allclose(got, _third_reference(a, w, z), rtol=1e-5, atol=1e-5)


def test_det_third_order_at_an_ill_conditioned_matrix_is_accurate():
    """The inverse rule's third derivative loses about cond(A)^2 eps (4e-4 relatively at cond 1e6),
    so such matrices take the SVD route, exact to third order (against the brute-force expansion of
    det(S + xX + yY + zZ) in the frame of the known factors)."""
    n = 4
    u = np.linalg.qr(RNG.standard_normal((n, n)))[0]
    v = np.linalg.qr(RNG.standard_normal((n, n)))[0]
    s = np.array([1.0, 0.8, 0.5, 1e-6])
    a = u @ np.diag(s) @ v.T
    w, z = RNG.standard_normal((n, n)), RNG.standard_normal((n, n))
    x, y = u.T @ w @ v, u.T @ z @ v
    frame = np.zeros((n, n))  # the gradient in Z~ of the coefficient of xyz, from its definition
    for perm in itertools.permutations(range(n)):
        sign = np.linalg.det(np.eye(n)[list(perm)])
        for a_, b_, c_ in itertools.permutations(range(n), 3):
            rest = [k for k in range(n) if k not in (a_, b_, c_)]
            if all(perm[k] == k for k in rest):
                term = sign * x[a_, perm[a_]] * y[b_, perm[b_]] * np.prod(s[rest])
                frame[c_, perm[c_]] += term
    want = np.linalg.det(u) * np.linalg.det(v) * (u @ frame @ v.T)
    np.testing.assert_allclose(_nested(a, [w, z]).numpy(), want, rtol=1e-9, atol=1e-12)


def test_det_gradient_at_well_conditioned_matrices_is_the_inverse_rule_bit_for_bit():
    """The non-singular path is unchanged: det(A) A^-T, as NumPy computes it."""
    a = RNG.standard_normal((2, 4, 4)) + 4 * np.eye(4)
    want = np.linalg.det(a)[..., None, None] * np.swapaxes(np.linalg.inv(a), -1, -2)
    np.testing.assert_array_equal(_grad_det(a), want)


def test_det_gradient_where_det_underflows_is_the_cofactor_matrix_not_zero():
    """det(1e-200 I) underflows to 0, so det(A) A^-T was 0; the cofactor matrix is 1e-200 I."""
    a = 1e-200 * np.eye(2)
    assert np.linalg.det(a) == 0
    np.testing.assert_allclose(_grad_det(a), 1e-200 * np.eye(2), rtol=1e-14, atol=0)


def test_det_second_order_at_an_ill_conditioned_matrix_is_accurate():
    """The inverse rule's second derivative loses about cond(A) * eps; at cond 1e12 it had ~4 digits
    left, so such matrices take the SVD route (compared with the closed form on the known factors)."""
    n = 3
    u = np.linalg.qr(RNG.standard_normal((n, n)))[0]
    v = np.linalg.qr(RNG.standard_normal((n, n)))[0]
    s = np.array([1.0, 0.5, 1e-12])
    a = u @ np.diag(s) @ v.T
    e = RNG.standard_normal((n, n))
    # d cofactors [E] in the frame of the known factors (tapegrad/ops/linalg.py derives it)
    et = u.T @ e @ v
    p = np.array([[0 if i == j else np.prod(np.delete(s, [i, j])) for j in range(n)] for i in range(n)])
    m = np.diag(p @ np.diag(et)) - p * et.T
    want = np.linalg.det(u) * np.linalg.det(v) * (u @ m @ v.T)
    got = _hvp(a, e)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("shape", [(0, 0), (2, 0, 0), (0, 3, 3)])
def test_det_gradient_of_empty_matrices_and_batches(shape):
    got = _grad_det(np.ones(shape))  # no numbers, but the shape and dtype (the checks once failed on them)
    assert got.shape == shape and got.dtype == np.float64


def test_det_gradient_of_a_batch_holding_one_singular_matrix():
    a = np.stack([_singular((3, 3), 1), RNG.standard_normal((3, 3)) + 3 * np.eye(3)])
    np.testing.assert_allclose(_grad_det(a), _cofactors(a), rtol=1e-10, atol=1e-12)


def test_det_cofactor_primitive_complex_against_det_times_inverse():
    """The complex derivation: cofactors = det(U) det(V^H) conj(U diag(pi) V^H) = det(A) A^-T."""
    a = RNG.standard_normal((2, 4, 4)) + 1j * RNG.standard_normal((2, 4, 4))
    want = np.linalg.det(a)[..., None, None] * np.swapaxes(np.linalg.inv(a), -1, -2)
    np.testing.assert_allclose(L._det_cofactors(a), want, rtol=1e-12, atol=1e-13)


def test_slogdet_at_a_singular_matrix_stays_an_error():
    with pytest.raises(np.linalg.LinAlgError, match="log\\|det\\| is -inf"):
        tg.grad(lambda t: tnp.linalg.slogdet(t)[1])(tg.constant(np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])))


def test_function_of_det_gradient_switches_between_singular_and_non_singular_inputs():
    """The route is chosen from the values; tg.function guards the choice, so every call is exact and
    equals eager to the last bit."""
    eager = tg.grad(lambda t: tnp.sum(tnp.linalg.det(t)))
    compiled = tg.function(eager)
    regular = [RNG.standard_normal((3, 3)) + 3 * np.eye(3) for _ in range(10)]
    singular = [_singular((3, 3), 1 + k % 2) for k in range(10)]
    # compiled on the regular ones, then a new route, then switching at every call
    inputs = regular + singular + [m for pair in zip(regular[:5], singular[:5]) for m in pair]
    for a in inputs:
        got = compiled(tg.constant(a)).numpy()
        want = eager(tg.constant(a)).numpy()
        np.testing.assert_array_equal(got, want)
        np.testing.assert_allclose(got, _cofactors(a), rtol=1e-10, atol=1e-12)


# ---- 2. np.maximum.accumulate / np.minimum.accumulate: one primitive each ------------------------------
def _recurrence(ufunc, t, axis):
    """The old route: NumPy's recurrence out[i] = ufunc(out[i - 1], a[i]) recorded op by op."""
    from tapegrad._tensor import ops
    from tapegrad.ops import ufunc_methods

    return ufunc_methods._recurrence(getattr(ops, ufunc.__name__), t, axis % t.ndim)


def _bits(x):
    x = np.asarray(x.numpy() if isinstance(x, tg.Tensor) else x)
    return x.dtype.str, x.shape, x.tobytes()


def _vjp(f, x, g):
    t = tg.constant(x)
    with tg.GradientTape() as tape:
        tape.watch(t)
        y = f(t)
    return tape.gradient(y, t, output_gradients=tg.constant(g))


def _jvp(f, x, u):
    t = tg.constant(x)
    with tg.ForwardAccumulator(t, tg.constant(u)) as acc:
        y = f(t)
    return acc.jvp(y)


def _tied(shape, dtype=np.float64):
    """Small integers (many ties), with NaN, -inf and -0.0 here and there."""
    x = RNG.integers(-2, 3, size=shape).astype(dtype)
    x[RNG.random(shape) < 0.1] = np.nan
    x[RNG.random(shape) < 0.1] = -np.inf
    x[RNG.random(shape) < 0.1] = -0.0
    return x


def _cotangent(shape, dtype=np.float64):
    """Values, signed zeros, tiny numbers, NaN and inf: sums whose order shows in the bits."""
    scale = RNG.choice([1.0, 0.1, 1e-17, -0.0, np.nan, np.inf], size=shape, p=[0.25, 0.25, 0.2, 0.1, 0.1, 0.1])
    return (RNG.integers(-2, 3, size=shape) * scale).astype(dtype)


@pytest.mark.parametrize("ufunc", [np.maximum, np.minimum])
@pytest.mark.parametrize("shape, axis", [((9,), 0), ((4, 6), 0), ((4, 6), 1), ((3, 4, 5), 1), ((3, 4, 5), -1)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_running_extremes_equal_the_recurrence_bit_for_bit(ufunc, shape, axis, dtype):
    """Values (NumPy's), gradients and tangents equal the op-by-op recurrence's to the last bit: ties
    keep the earlier element, nothing flows past a NaN, cotangents add in the recurrence's order."""
    with np.errstate(invalid="ignore"):
        for _ in range(20):
            x, g, u = _tied(shape, dtype), _cotangent(shape, dtype), _cotangent(shape, dtype)
            new = lambda t: ufunc.accumulate(t, axis=axis)  # noqa: E731
            old = lambda t: _recurrence(ufunc, t, axis)  # noqa: E731
            assert _bits(new(tg.constant(x))) == _bits(ufunc.accumulate(x, axis=axis))
            assert _bits(new(tg.constant(x))) == _bits(old(tg.constant(x)))
            assert _bits(_vjp(new, x, g)) == _bits(_vjp(old, x, g))
            assert _bits(_jvp(new, x, u)) == _bits(_jvp(old, x, u))


@pytest.mark.parametrize("ufunc", [np.maximum, np.minimum])
def test_running_extremes_are_one_recorded_op(ufunc):
    x = tg.constant(RNG.standard_normal((5, 100)))
    with tg.GradientTape() as tape:
        tape.watch(x)
        ufunc.accumulate(x, axis=1)
    assert [r.prim.name for r in tape.records] == ["cummax" if ufunc is np.maximum else "cummin"]


@pytest.mark.parametrize("ufunc", [np.maximum, np.minimum])
def test_running_extremes_gradient_matches_finite_differences(ufunc):
    x = RNG.permutation(24).reshape(4, 6) * 0.37 - 4.0  # distinct: differentiable
    w = RNG.standard_normal((4, 6))
    got = tg.grad(lambda t: tnp.sum(ufunc.accumulate(t, axis=1) * w))(tg.constant(x)).numpy()
    np.testing.assert_allclose(got, _fd(lambda m: ufunc.accumulate(m, axis=1) * w, x), rtol=1e-8, atol=1e-8)
    _, tangent = tg.jvp(lambda t: ufunc.accumulate(t, axis=0), (tg.constant(x),), (tg.constant(w),))
    fd = (ufunc.accumulate(x + 1e-6 * w, axis=0) - ufunc.accumulate(x - 1e-6 * w, axis=0)) / 2e-6
    np.testing.assert_allclose(tangent.numpy(), fd, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, np.complex128])
def test_running_extremes_of_other_dtypes_are_numpys(dtype):
    x = RNG.integers(-3, 3, size=(3, 5)) + (1j * RNG.integers(-3, 3, size=(3, 5)) if dtype is np.complex128 else 0)
    x = x.astype(dtype)
    for ufunc in (np.maximum, np.minimum):
        for axis in (0, 1, -1):
            assert _bits(ufunc.accumulate(tg.constant(x), axis=axis)) == _bits(ufunc.accumulate(x, axis=axis))


@pytest.mark.parametrize("shape, axis", [((0, 5), 1), ((3, 1), 1), ((3, 1), 0), ((1,), 0)])
def test_running_extremes_of_short_and_empty_axes(shape, axis):
    x = RNG.standard_normal(shape)
    g = RNG.standard_normal(shape)
    new = lambda t: np.maximum.accumulate(t, axis=axis)  # noqa: E731
    assert _bits(_vjp(new, x, g)) == _bits(_vjp(lambda t: _recurrence(np.maximum, t, axis), x, g))


def test_function_of_running_maximum_gradient_follows_the_values():
    """The sources are an op of the trace: a compiled gradient recomputes them at every call."""
    eager = tg.grad(lambda t: tnp.sum(np.maximum.accumulate(t, axis=1) * np.arange(6.0)))
    compiled = tg.function(eager)
    with np.errstate(invalid="ignore"):  # -inf * 0
        for _ in range(12):  # past the calls after which the trace is compiled
            x = _tied((4, 6))
            np.testing.assert_array_equal(compiled(tg.constant(x)).numpy(), eager(tg.constant(x)).numpy())
