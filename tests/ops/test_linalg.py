"""Linear algebra rules: products, einsum, trace and tg.linalg, against NumPy and finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.linalg  # noqa: F401  (makes tg.linalg available even before tapegrad/__init__ imports it)
from tapegrad.ops import linalg as L
from tests.ops.spec import OpSpec, also_complex, cases_of, check_spec


# ---- argument makers ------------------------------------------------------------------------------
def _well_conditioned(rng, shape):
    n = shape[-1]
    return rng.uniform(-1, 1, size=shape) + n * np.eye(n)


def _square_args(rng, shapes):
    """The first argument a well-conditioned square matrix (or batch); the others uniform."""
    return [_well_conditioned(rng, shapes[0])] + [rng.uniform(-2, 2, size=s) for s in shapes[1:]]


def _negative_det_args(rng, shapes):
    a = _well_conditioned(rng, shapes[0])
    return [a * np.array([-1.0] + [1.0] * (shapes[0][-1] - 1))]  # flip one column: det < 0


def _singular_args(drop):
    """Matrices of rank n - drop: uniform ones times a fixed projector (fixed, so that the complex
    case, real + 1j * imaginary parts drawn alike, is as singular)."""

    def make(rng, shapes):
        n = shapes[0][-1]
        q = np.linalg.qr(np.sqrt(np.arange(1.0, n * n + 1)).reshape(n, n))[0][:, :drop]
        return [rng.uniform(-1, 1, size=s) @ (np.eye(n) - q @ q.T) for s in shapes]

    return make


def _np_cofactors(a):
    """The cofactor matrix from its definition: signed determinants of the (n-1)x(n-1) minors."""
    n = a.shape[-1]
    out = np.empty_like(a)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, axis=-2), j, axis=-1)
            out[..., i, j] = (-1) ** (i + j) * (np.linalg.det(minor) if n > 1 else 1)
    return out


def _spd_args(rng, shapes):
    shape = shapes[0]
    n = shape[-1]
    b = rng.uniform(-1, 1, size=shape)
    return [b @ np.swapaxes(b, -1, -2) + n * np.eye(n)]


def _distinct_spectrum_args(rng, shapes):
    """Symmetric matrices Q diag(w) Q^T with well-separated eigenvalues."""
    shape = shapes[0]
    n = shape[-1]
    q, _ = np.linalg.qr(rng.standard_normal(shape))
    w = np.arange(1, n + 1) * 1.5 + rng.uniform(-0.2, 0.2, size=shape[:-1])
    return [q @ (w[..., :, None] * np.swapaxes(q, -1, -2))]


def _away_from_ties(rng, shapes):
    """Entries with distinct absolute values, away from 0 (for max/min-based norms)."""
    (shape,) = shapes
    size = int(np.prod(shape))
    mags = 0.3 + 0.4 * rng.permutation(size)
    signs = np.where(rng.random(size) < 0.5, -1.0, 1.0)
    return [(mags * signs).reshape(shape)]


def _sym(a):
    return 0.5 * (a + L.matrix_transpose(a))


def _np_sym(a):
    return 0.5 * (a + np.swapaxes(a, -1, -2))


def _cholesky_of_gram(a):
    """cholesky of a a^H + 3 I: Hermitian positive definite for any a, real or complex."""
    return tg.linalg.cholesky(a @ tg.conj(L.matrix_transpose(a)) + 3 * np.eye(3))


def _herm(a):
    return 0.5 * (a + tg.conj(L.matrix_transpose(a)))


def _eigh_hermitian_features(a):
    """Eigenvalues and |eigenvector entries|^2 of the Hermitian part (independent of the phases)."""
    w, v = tg.linalg.eigh(_herm(a))
    return tg.concatenate([tg.reshape(w, (-1,)), tg.reshape(tg.real(v * tg.conj(v)), (-1,))])


def _np_eigh_hermitian_features(a):
    w, v = np.linalg.eigh(0.5 * (a + np.conj(np.swapaxes(a, -1, -2))))
    return np.concatenate([w.reshape(-1), (np.abs(v) ** 2).reshape(-1)])


def _sign_and_abs_det(a):
    """sign * exp(logabsdet): the determinant again, through both outputs of slogdet (for complex
    matrices the sign moves too)."""
    sign, logabsdet = tg.linalg.slogdet(a)
    return sign * tg.exp(logabsdet)


def _eigh_features(a):
    """Eigenvalues and squared eigenvector entries (independent of the eigenvectors' signs), flat."""
    w, v = tg.linalg.eigh(_sym(a))
    return tg.concatenate([tg.reshape(w, (-1,)), tg.reshape(v * v, (-1,))])


def _np_eigh_features(a):
    w, v = np.linalg.eigh(_np_sym(a))
    return np.concatenate([w.reshape(-1), (v * v).reshape(-1)])


def _td(axes):
    return lambda a, b: L.tensordot(a, b, axes)


def _np_td(axes):
    return lambda a, b: np.tensordot(a, b, axes)


def _es(subscripts):
    return lambda *xs: L.einsum(subscripts, *xs)


def _np_es(subscripts):
    return lambda *xs: np.einsum(subscripts, *xs)


MATMUL_SHAPES = [
    ((3,), (3,)),
    ((3,), (3, 2)),
    ((2, 3), (3,)),
    ((2, 3), (3, 4)),
    ((2, 2, 3), (3, 4)),
    ((2, 3), (2, 3, 2)),
    ((2, 1, 2, 3), (3, 3, 2)),
    ((3,), (2, 3, 2)),
    ((2, 2, 3), (3,)),
]

EINSUM_CASES = [
    ("ij,jk->ik", [((2, 3), (3, 4))]),
    ("ij,jk", [((2, 3), (3, 2))]),
    ("i,i->", [((3,), (3,)), ((1,), (3,))]),
    ("i,i", [((3,), (3,))]),
    ("ij->ji", [((2, 3),)]),
    ("ij->", [((2, 3),)]),
    ("ij->i", [((2, 3),)]),
    ("ii->i", [((3, 3),)]),
    ("ii", [((3, 3),)]),
    ("iij->j", [((2, 2, 3),)]),
    ("ii,ij->j", [((3, 3), (3, 2))]),
    ("i,j->ij", [((2,), (3,))]),
    ("bij,bjk->bik", [((2, 2, 3), (2, 3, 2))]),
    ("...ij,...jk->...ik", [((2, 1, 2, 3), (3, 3, 2)), ((2, 3), (3, 2))]),
    ("...i,...i", [((2, 3), (3,))]),
    ("ij...,jk", [((2, 3, 2), (3, 2))]),
    ("ij,ij,ij->i", [((2, 3), (2, 3), (2, 3))]),
    ("ij,jk,kl->il", [((2, 3), (3, 2), (2, 2))]),
    ("ij,j->i", [((2, 1), (3,))]),
    (",ij->ij", [((), (2, 3))]),
    ("...ii,...i->...", [((2, 3, 3), (3,)), ((3, 3), (2, 3))]),
    ("i...i", [((3, 2, 3),)]),
    ("ba,a...b", [((2, 3), (3, 2, 2))]),
    ("ij,ij,jk", [((2, 3), (2, 3), (3, 2))]),
]

# All 52 subscript letters, spread over two operands of size-1 axes: no letter is left for a stack
# axis, so this einsum's batched rules take the ordinary rule once per row (the declared fallback).
_ALL_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_FULL_EINSUM = f"{_ALL_LETTERS[:26]},{_ALL_LETTERS[26:]}->zA"

SPECS = [
    # ---- products
    OpSpec("matmul", lambda a, b: a @ b, MATMUL_SHAPES, reference=np.matmul),
    OpSpec("matmul_numpy_dispatch", lambda a, b: np.matmul(a, b), [((2, 3), (3, 2))], primitives=("matmul",),
           reference=np.matmul),
    # a real operand (here the real part of a complex one) times a complex one: its cotangent is real
    OpSpec("matmul_real_part", lambda a, b: tg.real(a) @ b, MATMUL_SHAPES, primitives=("matmul", "real"),
           reference=lambda a, b: np.real(a) @ b),
    OpSpec("matmul_real_part_right", lambda a, b: a @ tg.real(b), MATMUL_SHAPES, primitives=("matmul", "real"),
           reference=lambda a, b: a @ np.real(b)),
    OpSpec("tensordot_real_part", lambda a, b: L.tensordot(tg.real(a), b, 1) + L.tensordot(a, tg.abs(b), 1),
           [((2, 3), (3, 4))], primitives=("tensordot", "real", "abs"),
           reference=lambda a, b: np.tensordot(np.real(a), b, 1) + np.tensordot(a, np.abs(b), 1)),
    OpSpec("einsum_real_part", lambda a, b: L.einsum("ij,jk->ik", tg.real(a), b), [((2, 3), (3, 2))],
           primitives=("einsum", "real"), reference=lambda a, b: np.einsum("ij,jk->ik", np.real(a), b)),
    OpSpec("dot", L.dot, [((), (3,)), ((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 2)), ((2, 3, 4), (4,)),
                           ((2, 3), (2, 3, 2)), ((2, 2, 3), (2, 3, 2))],
           primitives=("matmul", "tensordot"), reference=np.dot),
    OpSpec("vdot", L.vdot, [((3,), (3,)), ((2, 3), (3, 2))], primitives=("matmul",), reference=np.vdot),
    OpSpec("inner", L.inner, [((3,), (3,)), ((2, 3), (4, 3)), ((), (2, 3)), ((2, 2, 3), (3,))],
           primitives=("tensordot",), reference=np.inner),
    OpSpec("outer", L.outer, [((3,), (2,)), ((2, 2), (3,))], primitives=("multiply",), reference=np.outer),
    OpSpec("tensordot_2", _td(2), [((2, 3, 4), (3, 4, 2)), ((3, 4), (3, 4))], primitives=("tensordot",),
           reference=_np_td(2)),
    OpSpec("tensordot_1", _td(1), [((2, 3), (3, 4))], primitives=("tensordot",), reference=_np_td(1)),
    OpSpec("tensordot_0", _td(0), [((2,), (3,)), ((), (2,))], primitives=("tensordot",), reference=_np_td(0)),
    OpSpec("tensordot_pairs", _td(([0, 2], [2, 0])), [((4, 3, 2), (2, 3, 4))], primitives=("tensordot",),
           reference=_np_td(([0, 2], [2, 0]))),
    OpSpec("tensordot_pairs_unordered", _td(([1, 0], [0, 2])), [((3, 2, 2), (2, 4, 3))], primitives=("tensordot",),
           reference=_np_td(([1, 0], [0, 2]))),
    OpSpec("tensordot_negative_axes", _td(([-1], [-2])), [((2, 3), (2, 3, 2))], primitives=("tensordot",),
           reference=_np_td(([-1], [-2]))),
    OpSpec("tensordot_middle_axes", _td(([1], [1])), [((2, 3, 2), (4, 3, 2))], primitives=("tensordot",),
           reference=_np_td(([1], [1]))),
    OpSpec("tensordot_int_axes_3d", _td(1), [((2, 2, 3), (3, 2, 2)), ((3,), (3, 2, 2))], primitives=("tensordot",),
           reference=_np_td(1)),
    *[OpSpec(f"einsum[{s}]", _es(s), cases, primitives=("einsum",), reference=_np_es(s)) for s, cases in EINSUM_CASES],
    OpSpec("einsum_sublists", lambda a, b: L.einsum(a, [0, 1], b, [1, 2], [0, 2]), [((2, 3), (3, 2))],
           primitives=("einsum",), reference=lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2])),
    OpSpec("einsum_all_letters", _es(_FULL_EINSUM), [((1,) * 25 + (2,), (3,) + (1,) * 25)], primitives=("einsum",),
           reference=_np_es(_FULL_EINSUM)),
    OpSpec("einsum_numpy_dispatch", lambda a, b: np.einsum("ij,kj->ik", a, b), [((2, 3), (2, 3))],
           primitives=("einsum",), reference=lambda a, b: np.einsum("ij,kj->ik", a, b)),
    OpSpec("trace", L.trace, [((3, 3),), ((2, 3),), ((2, 3, 4),)], reference=np.trace),
    OpSpec("trace_offset", lambda x: L.trace(x, 1), [((3, 3),), ((2, 4),)], primitives=("trace",),
           reference=lambda x: np.trace(x, 1)),
    OpSpec("trace_axes", lambda x: L.trace(x, -1, axis1=2, axis2=0), [((3, 2, 4),)], primitives=("trace",),
           reference=lambda x: np.trace(x, -1, axis1=2, axis2=0)),
    OpSpec("trace_4d", lambda x: L.trace(x, 1, axis1=3, axis2=1), [((2, 3, 2, 4),)], primitives=("trace",),
           reference=lambda x: np.trace(x, 1, axis1=3, axis2=1)),
    OpSpec("linalg_trace", lambda x: tg.linalg.trace(x), [((2, 3, 3),)], primitives=("trace",),
           reference=lambda x: np.trace(x, axis1=-2, axis2=-1)),
    OpSpec("linalg_matmul_transposes", lambda a, b: tg.linalg.matmul(a, b, transpose_a=True, transpose_b=True),
           [((3, 2), (4, 3))], primitives=("matmul",), reference=lambda a, b: a.T @ b.T),
    # ---- matrix functions
    OpSpec("linalg.inv", tg.linalg.inv, [((3, 3),), ((2, 3, 3),)], make_args=_square_args,
           reference=np.linalg.inv),
    OpSpec("linalg.det", tg.linalg.det, [((3, 3),), ((2, 3, 3),), ((1, 1),)], make_args=_square_args,
           reference=np.linalg.det),
    OpSpec("linalg.det_negative", tg.linalg.det, [((3, 3),)], make_args=_negative_det_args,
           primitives=("linalg.det",), reference=np.linalg.det),
    OpSpec("linalg.det_singular", tg.linalg.det, [((3, 3),), ((2, 3, 3),), ((1, 1),)], make_args=_singular_args(1),
           primitives=("linalg.det", "linalg.det_cofactors", "linalg.det_hessian"), reference=np.linalg.det),
    OpSpec("linalg.det_rank_n_minus_2", tg.linalg.det, [((4, 4),), ((2, 3, 3),), ((2, 2),)],
           make_args=_singular_args(2), primitives=("linalg.det", "linalg.det_cofactors", "linalg.det_hessian"),
           reference=np.linalg.det),
    # the cofactors' derivatives are det's: exact to third order (det_third), refused at the fourth beyond 3x3
    OpSpec("linalg.det_cofactors", L._det_cofactors_p, [((3, 3),), ((2, 3, 3),), ((4, 4),)],
           make_args=_singular_args(1), reference=_np_cofactors),
    OpSpec("linalg.det_cofactors_nonsingular", L._det_cofactors_p, [((3, 3),)], make_args=_square_args,
           primitives=("linalg.det_cofactors",),
           reference=lambda a: np.linalg.det(a)[..., None, None] * np.swapaxes(np.linalg.inv(a), -1, -2)),
    OpSpec("linalg.det_cofactors_2x2", L._det_cofactors_p, [((2, 2),), ((3, 2, 2),), ((1, 1),)],
           make_args=_singular_args(1), primitives=("linalg.det_cofactors",), reference=_np_cofactors),
    OpSpec("linalg.det_hessian", L._det_hessian_p, [((2, 2), (2, 2)), ((2, 2, 2), (2, 2)), ((3, 3), (3, 3))],
           make_args=_singular_args(1)),
    OpSpec("linalg.det_hessian_4x4", L._det_hessian_p, [((4, 4), (4, 4)), ((2, 4, 4), (4, 4))],
           make_args=_singular_args(2), primitives=("linalg.det_hessian",), smooth=False),
    OpSpec("linalg.det_third", L._det_third_p, [((3, 3), (3, 3), (3, 3)), ((2, 3, 3), (3, 3), (2, 3, 3))],
           make_args=_singular_args(1)),
    OpSpec("linalg.slogdet", lambda a: tg.linalg.slogdet(a)[1], [((3, 3),), ((2, 3, 3),)], make_args=_square_args,
           reference=lambda a: np.linalg.slogdet(a)[1]),
    OpSpec("linalg.slogdet_negative", lambda a: tg.linalg.slogdet(a).logabsdet, [((3, 3),)],
           make_args=_negative_det_args, primitives=("linalg.slogdet",),
           reference=lambda a: np.linalg.slogdet(a)[1]),
    OpSpec("linalg.solve", tg.linalg.solve,
           [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)), ((2, 3, 3), (2, 3, 2)), ((2, 3, 3), (3, 2)),
            ((3, 3), (2, 3, 2)), ((2, 1, 3, 3), (3, 3, 1)), ((3, 3), (3, 1)), ((2, 3, 3), (1, 3, 2))],
           make_args=_square_args, reference=np.linalg.solve),
    OpSpec("linalg.cholesky", lambda a: tg.linalg.cholesky(_sym(a)), [((3, 3),), ((2, 3, 3),)], make_args=_spd_args,
           reference=lambda a: np.linalg.cholesky(_np_sym(a))),
    OpSpec("linalg.cholesky_gram", _cholesky_of_gram, [((3, 3),), ((2, 3, 3),)], primitives=("linalg.cholesky",),
           reference=lambda a: np.linalg.cholesky(a @ np.conj(np.swapaxes(a, -1, -2)) + 3 * np.eye(3))),
    OpSpec("linalg.eigh_hermitian", _eigh_hermitian_features, [((3, 3),), ((2, 3, 3),)],
           make_args=_distinct_spectrum_args, primitives=("linalg.eigh",), complex=True,
           reference=_np_eigh_hermitian_features),
    OpSpec("linalg.slogdet_sign_times_det", _sign_and_abs_det, [((3, 3),), ((2, 3, 3),)],
           primitives=("linalg.slogdet",), complex=True, reference=np.linalg.det),
    OpSpec("linalg.eigh", _eigh_features, [((3, 3),), ((2, 3, 3),)], make_args=_distinct_spectrum_args,
           reference=_np_eigh_features),
    OpSpec("linalg.eigh_upper", lambda a: tg.linalg.eigh(_sym(a), UPLO="U")[0], [((3, 3),)],
           make_args=_distinct_spectrum_args, primitives=("linalg.eigh",),
           reference=lambda a: np.linalg.eigh(_np_sym(a), UPLO="U")[0]),
    OpSpec("linalg.eigvalsh", lambda a: tg.linalg.eigvalsh(_sym(a)), [((3, 3),)], make_args=_distinct_spectrum_args,
           primitives=("linalg.eigh",), reference=lambda a: np.linalg.eigvalsh(_np_sym(a))),
    # ---- norms
    OpSpec("linalg.norm", tg.linalg.norm, [((3,),), ((2, 3),), ((2, 2, 3),)], primitives=("norm",),
           reference=np.linalg.norm),
    OpSpec("linalg.norm_axis", lambda x: tg.linalg.norm(x, axis=-1), [((2, 3),)], primitives=("norm",),
           reference=lambda x: np.linalg.norm(x, axis=-1)),
    OpSpec("linalg.norm_fro_keepdims", lambda x: tg.linalg.norm(x, "fro", axis=(2, 0), keepdims=True),
           [((2, 2, 3),)], primitives=("norm",),
           reference=lambda x: np.linalg.norm(x, "fro", axis=(2, 0), keepdims=True)),
    OpSpec("linalg.norm_ord1", lambda x: tg.linalg.norm(x, 1), [((3,),)], primitives=("abs", "sum"),
           make_args=_away_from_ties, reference=lambda x: np.linalg.norm(x, 1)),
    OpSpec("linalg.norm_inf", lambda x: tg.linalg.norm(x, np.inf, axis=1), [((2, 3),)], primitives=("max",),
           make_args=_away_from_ties, reference=lambda x: np.linalg.norm(x, np.inf, axis=1)),
    OpSpec("linalg.norm_minus_inf", lambda x: tg.linalg.norm(x, -np.inf), [((3,),)], primitives=("min",),
           make_args=_away_from_ties, reference=lambda x: np.linalg.norm(x, -np.inf)),
    OpSpec("linalg.norm_p3", lambda x: tg.linalg.norm(x, 3, axis=0), [((3, 2),)], primitives=("power",),
           make_args=_away_from_ties, reference=lambda x: np.linalg.norm(x, 3, axis=0)),
    OpSpec("linalg.norm_matrix_1", lambda x: tg.linalg.norm(x, 1), [((3, 3),)], primitives=("max",),
           make_args=_away_from_ties, reference=lambda x: np.linalg.norm(x, 1)),
    OpSpec("linalg.norm_matrix_inf", lambda x: tg.linalg.norm(x, np.inf, axis=(1, 2)), [((2, 3, 3),)],
           primitives=("max",), make_args=_away_from_ties,
           reference=lambda x: np.linalg.norm(x, np.inf, axis=(1, 2))),
    OpSpec("linalg.norm_matrix_minus1", lambda x: tg.linalg.norm(x, -1), [((3, 2),)], primitives=("min",),
           make_args=_away_from_ties, reference=lambda x: np.linalg.norm(x, -1)),
]
# Complex rows: all but the symmetric-input rows (their complex counterpart, for Hermitian inputs,
# is linalg.cholesky_gram)
SPECS = also_complex(SPECS, exclude=("linalg.cholesky", "linalg.eigh", "linalg.eigh_upper", "linalg.eigvalsh"))


@pytest.mark.parametrize("spec, shapes", cases_of(SPECS))
def test_rule(spec, shapes):
    check_spec(spec, shapes)


# ---- helpers for value tests ----------------------------------------------------------------------
def _grad(f, *xs):
    xs = [tg.constant(np.asarray(x)) for x in xs]
    with tg.GradientTape() as tape:
        tape.watch(xs)
        y = f(*xs)
    return [None if g is None else g.numpy() for g in tape.gradient(y, xs)]


RNG = np.random.default_rng(42)


# ---- products -------------------------------------------------------------------------------------
def test_matmul_gradient_closed_form():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 4))
    ga, gb = _grad(lambda x, y: tg.sum(x @ y), a, b)
    np.testing.assert_allclose(ga, np.ones((2, 4)) @ b.T)
    np.testing.assert_allclose(gb, a.T @ np.ones((2, 4)))


def test_matmul_broadcast_gradient_sums_over_the_batch():
    a, b = RNG.standard_normal((5, 2, 3)), RNG.standard_normal((3, 4))
    _, gb = _grad(lambda x, y: tg.sum(x @ y), a, b)
    np.testing.assert_allclose(gb, sum(a[i].T @ np.ones((2, 4)) for i in range(5)))


def test_ndarray_matmul_tensor_dispatches_to_tapegrad():
    a, b = RNG.standard_normal((2, 3)), tg.constant(RNG.standard_normal((3, 2)))
    for out in (a @ b, np.matmul(a, b)):
        assert isinstance(out, tg.Tensor)
        np.testing.assert_allclose(out.numpy(), a @ b.numpy())
    ga = _grad(lambda y: tg.sum(np.matmul(a, y)), b.numpy())[0]
    np.testing.assert_allclose(ga, a.T @ np.ones((2, 2)))


def test_matmul_shape_mismatch_names_the_op():
    with pytest.raises(ValueError, match="tg.matmul"):
        tg.constant(np.ones((2, 3))) @ tg.constant(np.ones((2, 3)))


def test_matmul_float32_stays_float32_with_float32_gradients():
    a = tg.constant(np.ones((2, 3), np.float32))
    b = tg.constant(np.ones((3,), np.float32))
    with tg.GradientTape() as tape:
        tape.watch([a, b])
        y = tg.sum(a @ b)
    assert (a @ b).dtype == np.float32
    assert all(g.dtype == np.float32 for g in tape.gradient(y, [a, b]))


@pytest.mark.parametrize("np_fn, tg_fn, shapes", [
    (np.dot, L.dot, [(2, 3, 4), (5, 4, 2)]),
    (np.vdot, L.vdot, [(2, 3), (6,)]),
    (np.inner, L.inner, [(2, 3), (4, 3)]),
    (np.outer, L.outer, [(2, 2), (3,)]),
    (np.tensordot, L.tensordot, [(2, 3, 4), (3, 4, 5)]),
])
def test_numpy_functions_dispatch_and_match(np_fn, tg_fn, shapes):
    args = [RNG.standard_normal(s) for s in shapes]
    got = np_fn(*[tg.constant(a) for a in args])
    assert isinstance(got, tg.Tensor)
    np.testing.assert_allclose(got.numpy(), np_fn(*args), rtol=1e-12)
    np.testing.assert_allclose(tg_fn(*[tg.constant(a) for a in args]).numpy(), np_fn(*args), rtol=1e-12)


def test_tensordot_errors_are_clear():
    a, b = tg.constant(np.ones((2, 3))), tg.constant(np.ones((4, 5)))
    with pytest.raises(ValueError, match="differ"):
        L.tensordot(a, b, 1)
    with pytest.raises(ValueError, match="out of range"):
        L.tensordot(a, b, ([5], [0]))
    with pytest.raises(ValueError, match="axes for a"):
        L.tensordot(a, b, ([0, 1], [0]))


# ---- einsum ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("subscripts, shapes", [
    ("ij,jk", [(2, 3), (3, 4)]),
    ("Ba,ab", [(2, 3), (3, 2)]),
    ("ba,Ab", [(2, 3), (4, 2)]),
    ("ij...,jk", [(2, 3, 5), (3, 4)]),
    ("...i,...i->...", [(2, 1, 3), (4, 3)]),
    ("...ii->...i", [(2, 3, 3)]),
    ("i...->...", [(2, 3, 4)]),
    ("ii", [(4, 4)]),
    ("ijk,kji", [(2, 3, 4), (4, 3, 2)]),
    ("a,b,c->abc", [(2,), (3,), (4,)]),
    ("ij,jk,kl,lm->im", [(2, 3), (3, 4), (4, 5), (5, 2)]),
])
def test_einsum_matches_numpy(subscripts, shapes):
    args = [RNG.standard_normal(s) for s in shapes]
    got = L.einsum(subscripts, *[tg.constant(a) for a in args]).numpy()
    np.testing.assert_allclose(got, np.einsum(subscripts, *args), rtol=1e-10, atol=1e-12)


def test_einsum_diagonal_gradients_live_on_the_diagonal():
    x = RNG.standard_normal((3, 3))
    (g,) = _grad(lambda a: L.einsum("ii", a), x)
    np.testing.assert_allclose(g, np.eye(3))
    w = np.array([1.0, 2.0, 3.0])
    (g,) = _grad(lambda a: tg.sum(L.einsum("ii->i", a) * w), x)
    np.testing.assert_allclose(g, np.diag(w))


def test_einsum_summed_out_letter_gives_a_broadcast_gradient():
    x = RNG.standard_normal((2, 3))
    (g,) = _grad(lambda a: L.einsum("ij->", a), x)
    np.testing.assert_allclose(g, np.ones((2, 3)))


def test_einsum_errors_are_clear():
    a = tg.constant(np.ones((2, 3)))
    with pytest.raises(ValueError, match="operands"):
        L.einsum("ij,jk->ik", a)
    with pytest.raises(ValueError, match="dimensions"):
        L.einsum("ijk->i", a)
    with pytest.raises(ValueError, match="size"):
        L.einsum("ij,ij->i", a, tg.constant(np.ones((2, 4))))
    with pytest.raises(ValueError, match="invalid subscripts"):
        L.einsum("i1->i", a)
    with pytest.raises(ValueError, match="do not appear"):
        L.einsum("ij->k", a)
    with pytest.raises(ValueError, match="repeat"):
        L.einsum("ij->ii", a)
    with pytest.raises(ValueError, match="no '...'"):
        L.einsum("i...->i", a)


# ---- trace ----------------------------------------------------------------------------------------
def test_trace_gradient_is_the_offset_identity():
    (g,) = _grad(lambda a: L.trace(a, 1), RNG.standard_normal((3, 4)))
    np.testing.assert_allclose(g, np.eye(3, 4, k=1))
    x = tg.constant(RNG.standard_normal((3, 3)))
    assert isinstance(np.trace(x), tg.Tensor)
    np.testing.assert_allclose(np.trace(x).numpy(), np.trace(x.numpy()))


def test_trace_needs_two_distinct_axes():
    with pytest.raises(ValueError, match="at least 2"):
        L.trace(tg.constant(np.ones(3)))
    with pytest.raises(ValueError, match="differ"):
        L.trace(tg.constant(np.ones((3, 3))), axis1=1, axis2=-1)


# ---- inv, det, slogdet, solve ---------------------------------------------------------------------
A3 = RNG.uniform(-1, 1, (3, 3)) + 3 * np.eye(3)


def test_inv_values_and_gradient():
    np.testing.assert_allclose(tg.linalg.inv(tg.constant(A3)).numpy(), np.linalg.inv(A3))
    (g,) = _grad(lambda a: tg.sum(tg.linalg.inv(a)), A3)
    ainv = np.linalg.inv(A3)
    np.testing.assert_allclose(g, -ainv.T @ np.ones((3, 3)) @ ainv.T)


def test_inv_errors():
    with pytest.raises(ValueError, match="square"):
        tg.linalg.inv(tg.constant(np.ones((2, 3))))
    with pytest.raises(np.linalg.LinAlgError, match="tg.linalg.inv"):
        tg.linalg.inv(tg.constant(np.ones((2, 2))))


def test_det_gradient_is_the_cofactor_matrix():
    m = np.array([[1.0, 2.0], [3.0, 5.0]])
    (g,) = _grad(tg.linalg.det, m)
    np.testing.assert_allclose(g, [[5.0, -3.0], [-2.0, 1.0]])
    (g,) = _grad(tg.linalg.det, A3)
    np.testing.assert_allclose(g, np.linalg.det(A3) * np.linalg.inv(A3).T)


def test_slogdet_sign_and_logabsdet():
    a = np.stack([A3, -A3])
    sign, logabsdet = tg.linalg.slogdet(tg.constant(a))
    ref = np.linalg.slogdet(a)
    np.testing.assert_allclose(sign.numpy(), ref[0])
    np.testing.assert_allclose(logabsdet.numpy(), ref[1])
    x = tg.constant(a)
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        s, ld = tg.linalg.slogdet(x)
        total = tg.sum(ld)
    assert tape.gradient(s, x) is None  # the sign is not differentiable
    np.testing.assert_allclose(tape.gradient(total, x).numpy(), np.linalg.inv(a).swapaxes(-1, -2))


def test_numpy_linalg_functions_dispatch():
    x = tg.constant(A3)
    spd = A3 @ A3.T
    for np_fn in (np.linalg.inv, np.linalg.det):
        out = np_fn(x)
        assert isinstance(out, tg.Tensor)
        np.testing.assert_allclose(out.numpy(), np_fn(A3))
    np.testing.assert_allclose(np.linalg.slogdet(x)[1].numpy(), np.linalg.slogdet(A3)[1])
    np.testing.assert_allclose(np.linalg.solve(x, np.ones(3)).numpy(), np.linalg.solve(A3, np.ones(3)))
    np.testing.assert_allclose(np.linalg.cholesky(tg.constant(spd)).numpy(), np.linalg.cholesky(spd))
    np.testing.assert_allclose(np.linalg.eigh(tg.constant(spd))[0].numpy(), np.linalg.eigh(spd)[0])
    np.testing.assert_allclose(np.linalg.eigvalsh(tg.constant(spd)).numpy(), np.linalg.eigvalsh(spd))
    np.testing.assert_allclose(np.linalg.norm(x, 1).numpy(), np.linalg.norm(A3, 1))


def test_solve_gradient_closed_form():
    b = RNG.standard_normal(3)
    ga, gb = _grad(lambda a, y: tg.sum(tg.linalg.solve(a, y)), A3, b)
    x = np.linalg.solve(A3, b)
    lam = np.linalg.solve(A3.T, np.ones(3))
    np.testing.assert_allclose(gb, lam)
    np.testing.assert_allclose(ga, -np.outer(lam, x))


def test_solve_errors():
    with pytest.raises(ValueError, match="does not match"):
        tg.linalg.solve(tg.constant(A3), tg.constant(np.ones(4)))
    with pytest.raises(ValueError, match="do not broadcast"):
        tg.linalg.solve(tg.constant(np.stack([A3, A3])), tg.constant(np.ones((3, 3, 1))))


# ---- cholesky, eigh -------------------------------------------------------------------------------
SPD = A3 @ A3.T + 3 * np.eye(3)


def test_cholesky_gradient_is_symmetric_and_matches_the_symmetrized_input():
    w = RNG.standard_normal((3, 3))
    (g,) = _grad(lambda a: tg.sum(tg.linalg.cholesky(a) * w), SPD)
    np.testing.assert_allclose(g, g.T, atol=1e-12)
    (g_sym,) = _grad(lambda a: tg.sum(tg.linalg.cholesky(_sym(a)) * w), SPD)
    np.testing.assert_allclose(g, g_sym, atol=1e-12)


def test_cholesky_of_logdet_gives_the_inverse():
    (g,) = _grad(lambda a: 2 * tg.sum(tg.log(L.einsum("ii->i", tg.linalg.cholesky(a)))), SPD)
    np.testing.assert_allclose(g, np.linalg.inv(SPD), atol=1e-12)


def test_cholesky_rejects_a_matrix_that_is_not_positive_definite():
    with pytest.raises(np.linalg.LinAlgError, match="tg.linalg.cholesky"):
        tg.linalg.cholesky(tg.constant(-np.eye(3)))


def test_eigh_values_and_eigenvalue_gradients():
    w, v = tg.linalg.eigh(tg.constant(SPD))
    rw, rv = np.linalg.eigh(SPD)
    np.testing.assert_allclose(w.numpy(), rw)
    np.testing.assert_allclose(np.abs(v.numpy()), np.abs(rv), atol=1e-12)
    for k in range(3):
        (g,) = _grad(lambda a, k=k: tg.linalg.eigh(a)[0][k], SPD)
        np.testing.assert_allclose(g, np.outer(rv[:, k], rv[:, k]), atol=1e-12)


def test_eigenvalue_gradients_are_finite_for_repeated_eigenvalues():
    (g,) = _grad(lambda a: tg.sum(tg.linalg.eigvalsh(a) ** 2), 2 * np.eye(3))
    np.testing.assert_allclose(g, 4 * np.eye(3), atol=1e-12)


def test_eigh_returns_a_named_tuple():
    res = tg.linalg.eigh(tg.constant(SPD))
    assert res.eigenvalues.shape == (3,) and res.eigenvectors.shape == (3, 3)


def test_matrix_functions_keep_float32():
    a32 = tg.constant(SPD.astype(np.float32))
    for fn in (tg.linalg.inv, tg.linalg.det, lambda a: tg.linalg.slogdet(a)[1], tg.linalg.cholesky,
               lambda a: tg.linalg.eigh(a)[1], lambda a: tg.linalg.solve(a, np.ones(3)), tg.linalg.norm):
        with tg.GradientTape() as tape:
            tape.watch(a32)
            y = fn(a32)
            s = tg.sum(y)
        assert y.dtype == np.float32
        assert tape.gradient(s, a32).dtype == np.float32


# ---- norm -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("ord, axis, shape", [
    (None, None, (2, 3)), (2, None, (3,)), (1, None, (3,)), (np.inf, None, (3,)), (-np.inf, None, (3,)),
    (0, None, (3,)), (3, 1, (2, 3)), ("fro", None, (2, 3)), (1, None, (2, 3)), (-1, None, (2, 3)),
    (np.inf, None, (2, 3)), (-np.inf, None, (2, 3)), (None, (0, 2), (2, 3, 4)), (2, -1, (2, 3)),
    (0.5, 0, (3, 2)),
])
def test_norm_matches_numpy(ord, axis, shape):  # noqa: A002
    x = RNG.standard_normal(shape)
    x.flat[0] = 0.0
    for keepdims in (False, True):
        np.testing.assert_allclose(tg.linalg.norm(tg.constant(x), ord, axis, keepdims).numpy(),
                                   np.linalg.norm(x, ord, axis, keepdims), rtol=1e-12)


def test_norm_euclidean_is_tensorflows_default():
    x = RNG.standard_normal((2, 3))
    np.testing.assert_allclose(tg.linalg.norm(tg.constant(x), "euclidean").numpy(), np.linalg.norm(x))


def test_norm_gradient_at_zero_is_zero():
    (g,) = _grad(tg.linalg.norm, np.zeros(3))
    np.testing.assert_array_equal(g, np.zeros(3))
    (g,) = _grad(lambda x: tg.sum(tg.linalg.norm(x, axis=1)), np.zeros((2, 3)))
    np.testing.assert_array_equal(g, np.zeros((2, 3)))


def test_norm_rejects_unsupported_orders():
    with pytest.raises(ValueError, match="not supported"):
        tg.linalg.norm(tg.constant(np.ones((2, 2))), "nuc")
    with pytest.raises(ValueError, match="1-D or 2-D"):
        tg.linalg.norm(tg.constant(np.ones((2, 2, 2))), 1)


def test_linalg_namespace():
    for name in ("inv", "det", "slogdet", "solve", "cholesky", "eigh", "eigvalsh", "norm", "matrix_transpose",
                 "matmul", "trace", "einsum", "tensordot", "outer"):
        assert callable(getattr(tg.linalg, name)), name
    x = tg.constant(RNG.standard_normal((2, 3, 4)))
    assert tg.linalg.matrix_transpose(x).shape == (2, 4, 3)
