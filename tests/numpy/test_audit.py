"""Adversarial audit of ``tapegrad.numpy``: ordinary NumPy programs whose value or gradient was
silently wrong or missing (or failed deep inside), each checked against NumPy and central finite
differences in float64."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.numpy as tnp
from tests.numpy.differences import central_differences as _fd

RNG = np.random.default_rng(7)


def _check(f, ref, x, tol=1e-6):
    """f (tapegrad.numpy) has NumPy's value ``ref`` and the finite-difference gradient of ``ref``."""
    x = np.asarray(x, dtype=np.float64)
    np.testing.assert_allclose(np.asarray(f(tg.constant(x))), ref(x), rtol=1e-12, atol=1e-12)
    g = tg.grad(lambda t: tnp.sum(f(t)))(tg.constant(x))
    assert g is not None
    np.testing.assert_allclose(np.asarray(g), _fd(ref, x), rtol=tol, atol=tol)


# ---- np.reshape / np.ravel on a tensor ignored order= (a silently wrong value) -------------------------
@pytest.mark.parametrize("order", ["C", "F", "A"])
def test_reshape_and_ravel_follow_order(order):
    w = np.arange(12.0).reshape(4, 3)
    x = RNG.normal(size=(3, 4))
    _check(lambda t: np.reshape(t, (4, 3), order=order) * w, lambda a: np.reshape(a, (4, 3), order=order) * w, x)
    _check(lambda t: tnp.ravel(t, order=order) * w.ravel(), lambda a: np.ravel(a, order=order) * w.ravel(), x)
    _check(lambda t: np.ravel(t.T, order=order) * w.ravel(), lambda a: np.ravel(a.T, order=order) * w.ravel(), x)


def test_ravel_order_k_follows_the_values_layout():
    a = np.arange(12.0).reshape(3, 4)
    assert np.array_equal(np.ravel(tg.constant(a).T, order="K").numpy(), np.ravel(a.T, order="K"))


# ---- linspace with tensor endpoints gave a zero gradient (silently missing) ----------------------------
@pytest.mark.parametrize("num", [0, 1, 2, 5])
@pytest.mark.parametrize("endpoint", [True, False])
def test_linspace_is_differentiable_in_its_endpoints(num, endpoint):
    x = RNG.normal(size=(3, 4))
    _check(lambda t: tnp.linspace(t[0, 0], t[0, 1], num, endpoint=endpoint) ** 2,
           lambda a: np.linspace(a[0, 0], a[0, 1], num, endpoint=endpoint) ** 2, x)
    _check(lambda t: np.linspace(t[0], t[1], num, endpoint=endpoint, axis=1) ** 2,
           lambda a: np.linspace(a[0], a[1], num, endpoint=endpoint, axis=1) ** 2, x)
    _check(lambda t: tnp.linspace(t[0], t[:, :1], num, endpoint=endpoint, axis=-1) ** 2,
           lambda a: np.linspace(a[0], a[:, :1], num, endpoint=endpoint, axis=-1) ** 2, x)


def test_linspace_forward_mode_and_dtype():
    start = tg.constant(np.float32(1.0))
    assert tg.linspace(start, 2.0, 3).dtype == np.float32
    x = tg.constant(0.5, dtype="float64")
    with tg.ForwardAccumulator(x, tg.constant(1.0, dtype="float64")) as acc:
        y = tnp.linspace(x, 3.0, 5)
    np.testing.assert_allclose(acc.jvp(y).numpy(), 1 - np.linspace(0, 1, 5))


# ---- a Python number as the base of a power: AttributeError deep in the rule ---------------------------
def test_power_with_a_python_base():
    x = RNG.normal(size=(3, 4))
    _check(lambda t: tnp.power(2.0, t), lambda a: np.power(2.0, a), x)
    _check(lambda t: np.power(0.0, t * t + 1), lambda a: np.power(0.0, a * a + 1), x)
    _check(lambda t: 3 ** t, lambda a: 3.0 ** a, x)
    h = tg.hessian(lambda t: tnp.sum(tnp.power(2.0, t)))(tg.constant(x[0]))
    np.testing.assert_allclose(np.asarray(h), np.diag(2 ** x[0] * np.log(2) ** 2), rtol=1e-12)


def test_power_with_a_complex_python_base():
    z0 = 0.3 + 0.2j
    f = lambda z: abs((1 + 1j) ** z) ** 2  # noqa: E731
    z = tg.constant(np.array([z0]))
    with tg.GradientTape() as tape:
        tape.watch(z)
        y = tnp.sum(tnp.abs((1 + 1j) ** z) ** 2)
    e = 1e-6
    fd = (f(z0 + e) - f(z0 - e)) / (2 * e) + 1j * (f(z0 + 1j * e) - f(z0 - 1j * e)) / (2 * e)
    np.testing.assert_allclose(tape.gradient(y, z).numpy(), [fd], rtol=1e-6)


# ---- svd(full_matrices=True) of a non-square matrix: the complement is not differentiable --------------
@pytest.mark.parametrize("shape", [(4, 2), (2, 4), (3, 4, 2)])
def test_full_svd_gradient_through_the_unique_columns(shape):
    a = RNG.normal(size=shape)
    k = min(shape[-2:])

    def full(x):
        u, s, vh = tnp.linalg.svd(x)
        return tnp.sum(u[..., :, :k] ** 3) + tnp.sum(vh[..., :k, :] ** 3) + tnp.sum(s ** 2)

    def reduced(x):
        u, s, vh = tnp.linalg.svd(x, full_matrices=False)
        return tnp.sum(u ** 3) + tnp.sum(vh ** 3) + tnp.sum(s ** 2)

    g = tg.grad(full)(tg.constant(a))
    np.testing.assert_allclose(np.asarray(g), np.asarray(tg.grad(reduced)(tg.constant(a))), rtol=1e-12, atol=1e-12)
    u, s, vh = tnp.linalg.svd(tg.constant(a))
    nu, ns, nvh = np.linalg.svd(a)
    np.testing.assert_allclose(u.numpy(), nu)
    np.testing.assert_allclose(vh.numpy(), nvh)


@pytest.mark.parametrize("shape, part", [((4, 2), 0), ((2, 4), 2)])
def test_full_svd_gradient_reaching_the_complement_is_an_error(shape, part):
    a = tg.constant(RNG.normal(size=shape))
    with pytest.raises(ValueError, match="full_matrices=False"):
        tg.grad(lambda x: tnp.sum(tnp.linalg.svd(x)[part] ** 3))(a)
    # forward mode: the extra columns' tangent is NaN (undefined), never a silent number
    with tg.ForwardAccumulator(a, tg.ones_like(a)) as acc:
        factor = tnp.linalg.svd(a)[part]
    k = min(shape)
    extra = acc.jvp(factor).numpy()[:, k:] if part == 0 else acc.jvp(factor).numpy()[k:, :]
    assert np.isnan(extra).all()
    # a zero cotangent (the extra columns unused) is fine, to second order (forward over reverse)
    g = tg.grad(lambda x: tnp.sum(tnp.linalg.svd(x)[1] ** 3))(a)
    h = tg.hessian(lambda x: tnp.sum(tnp.linalg.svd(x)[1] ** 3))(a)
    g2 = tg.grad(lambda x: tnp.sum(tnp.linalg.svd(x, full_matrices=False)[1] ** 3))(a)
    h2 = tg.hessian(lambda x: tnp.sum(tnp.linalg.svd(x, full_matrices=False)[1] ** 3))(a)
    np.testing.assert_allclose(np.asarray(g), np.asarray(g2))
    np.testing.assert_allclose(np.asarray(h), np.asarray(h2))


# ---- eigh / eigvalsh / cholesky read one triangle (NumPy's), and the gradient follows ------------------
# The rules' symmetric gradient was returned for every input: for a non-symmetric input (even
# cholesky(tril(x))) half of it landed on the triangle NumPy never reads.
def _complex_fd(f, z, eps=1e-6):
    g = np.zeros_like(z)
    for i in np.ndindex(z.shape):
        e = np.zeros_like(z)
        e[i] = eps
        g[i] = (f(z + e) - f(z - e)) / (2 * eps) + 1j * (f(z + 1j * e) - f(z - 1j * e)) / (2 * eps)
    return g


W3 = np.arange(9.0).reshape(3, 3)
TRIANGLE_CASES = {
    "eigvalsh_L": (lambda t: tnp.linalg.eigvalsh(t) ** 3, lambda a: np.linalg.eigvalsh(a) ** 3),
    "eigvalsh_U": (lambda t: tnp.linalg.eigvalsh(t, UPLO="U") ** 3, lambda a: np.linalg.eigvalsh(a, UPLO="U") ** 3),
    "eigh_vectors_U": (lambda t: tnp.abs(tnp.linalg.eigh(t, UPLO="U")[1]) ** 2 * W3,
                       lambda a: np.abs(np.linalg.eigh(a, UPLO="U")[1]) ** 2 * W3),
    "cholesky": (lambda t: tnp.abs(tnp.linalg.cholesky(t)) ** 2 * W3,
                 lambda a: np.abs(np.linalg.cholesky(a)) ** 2 * W3),
    "cholesky_tril": (lambda t: tnp.abs(np.linalg.cholesky(tnp.tril(t))) ** 2 * W3,
                      lambda a: np.abs(np.linalg.cholesky(np.tril(a))) ** 2 * W3),
    "cholesky_upper": (lambda t: tnp.abs(tnp.linalg.cholesky(t, upper=True)) ** 2 * W3,
                       lambda a: np.abs(np.linalg.cholesky(a, upper=True)) ** 2 * W3),
}


@pytest.mark.parametrize("case", sorted(TRIANGLE_CASES))
def test_one_triangle_is_read_and_differentiated(case):
    f, ref = TRIANGLE_CASES[case]
    a = RNG.normal(size=(3, 3)) + 4 * np.eye(3) + 0.3
    _check(f, ref, a)
    z = a + 0.3j * RNG.normal(size=(3, 3))
    np.testing.assert_allclose(f(tg.constant(z)).numpy(), ref(z), rtol=1e-12)
    g = tg.grad(lambda t: tnp.sum(f(t)))(tg.constant(z)).numpy()
    np.testing.assert_allclose(g, _complex_fd(lambda v: np.sum(ref(v)), z), atol=1e-6)


def test_symmetric_inputs_keep_the_symmetric_gradient_through_their_construction():
    x = RNG.normal(size=(3, 3))
    _check(lambda t: tnp.linalg.eigvalsh(t @ t.T + np.eye(3)) ** 2,
           lambda a: np.linalg.eigvalsh(a @ a.T + np.eye(3)) ** 2, x)
    _check(lambda t: tnp.linalg.cholesky(t @ t.T + np.eye(3)) ** 2,
           lambda a: np.linalg.cholesky(a @ a.T + np.eye(3)) ** 2, x)


def test_linspace_of_complex_endpoints_stays_complex():
    z = tg.constant(np.array([1 + 2j, 3 - 1j]))
    np.testing.assert_array_equal(tnp.linspace(z[0], z[1], 3).numpy(), np.linspace(1 + 2j, 3 - 1j, 3))
    ref = lambda v: np.sum(np.abs(np.linspace(v[0], v[1], 4)) ** 2 * np.arange(4.0))  # noqa: E731
    g = tg.grad(lambda t: tnp.sum(tnp.abs(tnp.linspace(t[0], t[1], 4)) ** 2 * np.arange(4.0)))(z).numpy()
    np.testing.assert_allclose(g, _complex_fd(ref, z.numpy()), atol=1e-6)


# ---- eigenvector / singular vector phases: a loss that depends on them has no gradient -----------------
# (eig, complex eigh and complex svd gave a number that finite differences of NumPy disagree with)
def _complex_square():
    return RNG.normal(size=(3, 3)) + 4 * np.eye(3) + 1j * RNG.normal(size=(3, 3))


def _rotation_like():
    a = RNG.normal(size=(3, 3))
    a[0, 1] += 3.0
    a[1, 0] -= 3.0  # a pair of complex eigenvalues: complex eigenvectors of a real matrix
    return a


PHASE_CASES = {
    "eig_real_matrix": (lambda t: tnp.real(tnp.sum(tnp.linalg.eig(t)[1])), _rotation_like, "linalg.eig"),
    "eig_complex": (lambda t: tnp.real(tnp.sum(tnp.linalg.eig(t)[1])), _complex_square, "linalg.eig"),
    "eigh_complex": (lambda t: tnp.imag(tnp.sum(tnp.linalg.eigh(t)[1])), _complex_square, "linalg.eigh"),
    "svd_complex": (lambda t: tnp.real(tnp.sum(tnp.linalg.svd(t)[0])), _complex_square, "linalg.svd"),
}


@pytest.mark.parametrize("case", sorted(PHASE_CASES))
def test_a_phase_dependent_loss_is_an_error(case):
    f, make, name = PHASE_CASES[case]
    with pytest.raises(ValueError, match=f"{name}.*phases.*phase-free"):
        tg.grad(f)(tg.constant(make()))


def test_phase_free_losses_still_match_finite_differences():
    z = _complex_square()
    cases = [
        (lambda t: tnp.abs(tnp.linalg.eig(t)[1]) ** 2 * W3, lambda a: np.abs(np.linalg.eig(a)[1]) ** 2 * W3),
        (lambda t: tnp.abs(tnp.linalg.eigh(t)[1]) ** 2 * W3, lambda a: np.abs(np.linalg.eigh(a)[1]) ** 2 * W3),
        (lambda t: tnp.abs(tnp.einsum("ik,kj->ij", *tnp.linalg.svd(t)[::2])) * W3,
         lambda a: np.abs(np.einsum("ik,kj->ij", *np.linalg.svd(a)[::2])) * W3),
    ]
    for f, ref in cases:
        g = tg.grad(lambda t: tnp.sum(f(t)))(tg.constant(z)).numpy()  # noqa: B023
        np.testing.assert_allclose(g, _complex_fd(lambda v: np.sum(ref(v)), z), atol=1e-6)  # noqa: B023
    # a real matrix with real eigenvalues has real eigenvectors: their entries are differentiable
    a = RNG.normal(size=(3, 3))
    a = a + a.T + np.diag([0.0, 3.0, 6.0]) + 0.1 * np.triu(np.ones((3, 3)))
    _check(lambda t: tnp.real(tnp.linalg.eig(t)[1][:, 0]) * np.sign(np.linalg.eig(a)[1][0, 0]),
           lambda x: np.real(np.linalg.eig(x)[1][:, 0]) * np.sign(np.linalg.eig(a)[1][0, 0]), a, tol=1e-5)


def test_item_assignment_is_a_clear_error_naming_the_fix():
    x = tg.constant(np.zeros(3))
    with pytest.raises(TypeError, match="immutable.*tnp.where"):
        x[0] = 1.0
    np.testing.assert_array_equal(x.numpy(), np.zeros(3))


@pytest.mark.parametrize("axis", [0, 1])
def test_nanstd_of_a_slice_with_one_valid_value_has_a_zero_gradient(axis):
    x = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, 2.0], [4.0, 5.0, 6.0]])
    w = np.arange(1.0, 4.0)
    g = tg.grad(lambda t: tnp.sum(tnp.nanstd(t, axis=axis) * w))(tg.constant(x)).numpy()
    fd = _fd(lambda v: np.nanstd(v, axis=axis) * w, x)
    valid = ~np.isnan(x)
    np.testing.assert_allclose(g[valid], fd[valid], atol=1e-6)
    assert np.all(g[~valid] == 0)
    np.testing.assert_allclose(tnp.nanstd(tg.constant(x), axis=axis).numpy(), np.nanstd(x, axis=axis))


@pytest.mark.parametrize("ord_", [1.5, 3, 4.0])
def test_p_norm_of_a_zero_vector_has_the_2_norms_zero_gradient(ord_):
    g = tg.grad(lambda t: tnp.linalg.norm(t, ord_))(tg.constant(np.zeros(3)))
    np.testing.assert_array_equal(g.numpy(), np.zeros(3))
    x = RNG.normal(size=(3, 4))
    _check(lambda t: tnp.linalg.norm(t, ord_, axis=0), lambda a: np.linalg.norm(a, ord_, axis=0), x)
    x[:, 1] = 0.0
    g = tg.grad(lambda t: tnp.sum(tnp.linalg.norm(t, ord_, axis=0)))(tg.constant(x)).numpy()
    assert np.all(g[:, 1] == 0) and np.all(np.isfinite(g))
