"""Rows of the spec table for the rule families that ``tapegrad.numpy`` added: complex parts, fft,
decompositions (svd, qr, eig) and the extra elementwise ops. Complex values are built from two
real arguments (``tg.complex``) and read back through real and imaginary parts, so every check
runs along the real and the imaginary direction of each complex input."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.numpy as tnp
from tests.ops.spec import BINARY_SHAPES, UNARY_SHAPES, OpSpec, also_complex, cases_of, check_spec

PAIR = [((3,), (3,)), ((2, 3), (2, 3))]


def _parts(z):
    """A complex tensor as one real tensor: real parts, then imaginary parts."""
    return tg.concatenate([tg.reshape(tg.real(z), (-1,)), tg.reshape(tg.imag(z), (-1,))], axis=0)


def _np_parts(z):
    return np.concatenate([np.real(z).reshape(-1), np.imag(z).reshape(-1)])


def _z(a, b):
    return tg.complex(a, b)


def _away_from_zero(rng, shapes):
    return [rng.uniform(0.5, 2.0, size=s) * rng.choice([-1.0, 1.0], size=s) for s in shapes]


def _distinct_singular_values(rng, shapes):
    (shape,) = shapes
    m, n = shape[-2:]
    k = min(m, n)
    u, _ = np.linalg.qr(rng.standard_normal(shape[:-2] + (m, m)))
    v, _ = np.linalg.qr(rng.standard_normal(shape[:-2] + (n, n)))
    s = np.arange(k, 0, -1) * 1.3 + 0.5
    return [(u[..., :, :k] * s) @ np.swapaxes(v[..., :, :k], -1, -2)]


def _full_rank_tall(rng, shapes):
    (shape,) = shapes
    m, n = shape[-2:]
    return [rng.uniform(-1, 1, size=shape) + np.eye(m, n) * 2]


def _complex_spectrum(rng, shapes):
    """Real matrices with a complex-conjugate pair and a real eigenvalue, well separated."""
    (shape,) = shapes
    q = rng.standard_normal(shape) + 3 * np.eye(shape[-1])
    block = np.array([[1.0, 2.0, 0.0], [-2.0, 1.0, 0.0], [0.0, 0.0, -2.5]])
    return [q @ block @ np.linalg.inv(q)]


def _svd_features(a):
    u, s, vh = tnp.linalg.svd(a, full_matrices=False)
    # singular values and sign-free products of the singular vectors
    return tg.concatenate([tg.reshape(s, (-1,)), tg.reshape(u[..., :, :1] * u[..., :1, :1], (-1,)),
                           tg.reshape(vh[..., :1, :] * vh[..., :1, :1], (-1,))], axis=0)


def _np_svd_features(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.concatenate([s.reshape(-1), (u[..., :, :1] * u[..., :1, :1]).reshape(-1),
                           (vh[..., :1, :] * vh[..., :1, :1]).reshape(-1)])


def _svd_full_unique_columns(a, module=tnp):
    """full_matrices=True: the unique columns of U (rows of Vh) carry gradients; the complement's cotangent is 0."""
    u, s, vh = module.linalg.svd(a)
    k = min(a.shape[-2:])
    u, vh = u[..., :, :k], vh[..., :k, :]
    parts = (s, module.real(u * module.conj(u)), module.real(vh * module.conj(vh)))  # free of the phases
    if module is np:
        return np.concatenate([p.reshape(-1) for p in parts])
    return tg.concatenate([tg.reshape(p, (-1,)) for p in parts], axis=0)


def _svd_phase_free(a):
    """Singular values, |U|^2, |Vh|^2 and the rank-one terms u_k vh_k: free of the vectors' phases."""
    u, s, vh = tnp.linalg.svd(a, full_matrices=False)
    terms = tnp.einsum("...ik,...kj->...kij", u, vh)
    return tg.concatenate([tg.reshape(s, (-1,)), tg.reshape(tg.real(u * tg.conj(u)), (-1,)),
                           tg.reshape(tg.real(vh * tg.conj(vh)), (-1,)), _parts(terms)], axis=0)


def _np_svd_phase_free(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    terms = np.einsum("...ik,...kj->...kij", u, vh)
    return np.concatenate([s.reshape(-1), (u * u.conj()).real.reshape(-1), (vh * vh.conj()).real.reshape(-1),
                           _np_parts(terms)])


def _qr_features(a):
    q, r = tnp.linalg.qr(a)
    return tg.concatenate([_parts(q), _parts(r)], axis=0)


def _np_qr_features(a):
    q, r = np.linalg.qr(a)
    return np.concatenate([_np_parts(q), _np_parts(r)])


def _eig_features(a):
    w, v = tnp.linalg.eig(a)
    vv = tg.real(v) ** 2 + tg.imag(v) ** 2  # |v|^2: free of the eigenvectors' phases
    w_sum = tg.sum(tg.real(w)) + tg.sum(tg.imag(w) ** 2)  # order-free functions of the eigenvalues
    return tg.concatenate([tg.reshape(w_sum, (1,)), tg.reshape(tnp.sort(vv, axis=-1), (-1,))], axis=0)


def _eigvals_features(a):
    w = tnp.linalg.eigvals(a)
    return tg.concatenate([tg.reshape(tnp.sort(tg.real(w)), (-1,)), tg.reshape(tnp.sort(tg.imag(w) ** 2), (-1,))], 0)


def _np_eigvals_features(a):
    w = np.linalg.eigvals(a)
    return np.concatenate([np.sort(w.real).reshape(-1), np.sort(w.imag ** 2).reshape(-1)])


SPECS = [
    # ---- complex parts (TensorFlow's convention, checked along real and imaginary directions) ----
    OpSpec("complex", lambda a, b: _parts(_z(a, b)), BINARY_SHAPES, reference=lambda a, b: _np_parts(a + 1j * b)),
    OpSpec("real", lambda a, b: tg.real(_z(a, b) * 1.0), PAIR, reference=lambda a, b: a),
    OpSpec("real_of_real", tg.real, UNARY_SHAPES, primitives=("real",), reference=np.real),
    OpSpec("imag", lambda a, b: tg.imag(_z(a, b)), PAIR, reference=lambda a, b: b),
    OpSpec("imag_of_real", lambda x: tg.imag(x) + x, [((3,),)], primitives=("imag",), reference=lambda x: x),
    OpSpec("conj", lambda a, b: _parts(tg.conj(_z(a, b))), PAIR, reference=lambda a, b: _np_parts(a - 1j * b)),
    OpSpec("angle", lambda a, b: tg.angle(_z(a, b)), PAIR, make_args=_away_from_zero,
           reference=lambda a, b: np.angle(a + 1j * b)),
    OpSpec("angle_of_real", lambda x: tg.angle(x) * x, [((3,),)], primitives=("angle",), make_args=_away_from_zero,
           reference=lambda x: np.angle(x) * x),
    # ---- elementwise ops NumPy adds --------------------------------------------------------------
    OpSpec("fmod", lambda x, y: tnp.fmod(x, y), [((3,), (3,)), ((2, 3), (3,))], make_args=_away_from_zero,
           reference=np.fmod),
    OpSpec("logaddexp2", tnp.logaddexp2, BINARY_SHAPES, reference=np.logaddexp2),
    OpSpec("sinc", tnp.sinc, UNARY_SHAPES, reference=np.sinc),
    OpSpec("copysign", tnp.copysign, [((3,), (3,)), ((2, 3), (3,))], make_args=_away_from_zero,
           reference=np.copysign),
    # ---- fft: every norm, real and complex inputs -------------------------------------------------
    *[OpSpec(f"fft.fft[{norm}]", lambda x, norm=norm: _parts(tnp.fft.fft(x, norm=norm)), [((4,),), ((2, 5),)],
             primitives=("fft.fftn",), reference=lambda x, norm=norm: _np_parts(np.fft.fft(x, norm=norm)))
      for norm in ("backward", "ortho", "forward")],
    OpSpec("fft.fftn", lambda a, b: _parts(tnp.fft.fftn(_z(a, b))), [((2, 3), (2, 3))],
           reference=lambda a, b: _np_parts(np.fft.fftn(a + 1j * b))),
    OpSpec("fft.ifft2", lambda a, b: _parts(tnp.fft.ifft2(_z(a, b), s=(3, 2))), [((2, 3), (2, 3))],
           primitives=("fft.fftn",), reference=lambda a, b: _np_parts(np.fft.ifft2(a + 1j * b, s=(3, 2)))),
    OpSpec("fft.fft_n", lambda x: _parts(tnp.fft.fft(x, n=6)), [((4,),)], primitives=("fft.fftn",),
           reference=lambda x: _np_parts(np.fft.fft(x, n=6))),
    *[OpSpec(f"fft.rfft[{norm}]", lambda x, norm=norm: _parts(tnp.fft.rfft(x, norm=norm)), [((4,),), ((2, 5),)],
             primitives=("fft.rfft",), reference=lambda x, norm=norm: _np_parts(np.fft.rfft(x, norm=norm)))
      for norm in ("backward", "ortho", "forward")],
    OpSpec("fft.rfftn", lambda x: _parts(tnp.fft.rfftn(x)), [((3, 4),)], primitives=("fft.rfft", "fft.fftn"),
           reference=lambda x: _np_parts(np.fft.rfftn(x))),
    *[OpSpec(f"fft.irfft[{norm},{n}]", lambda a, b, norm=norm, n=n: tnp.fft.irfft(_z(a, b), n=n, norm=norm),
             [((3,), (3,)), ((2, 4), (2, 4))], primitives=("fft.irfft",),
             reference=lambda a, b, norm=norm, n=n: np.fft.irfft(a + 1j * b, n=n, norm=norm))
      for norm in ("backward", "ortho", "forward") for n in (None, 5)],
    OpSpec("fft.irfft_of_real", lambda x: tnp.fft.irfft(x), [((4,),)], primitives=("fft.irfft",),
           reference=np.fft.irfft),
    OpSpec("fft.irfftn", lambda a, b: tnp.fft.irfftn(_z(a, b)), [((3, 3), (3, 3))],
           primitives=("fft.irfft", "fft.fftn"), reference=lambda a, b: np.fft.irfftn(a + 1j * b)),
    OpSpec("fft.fftshift", lambda x: tnp.fft.fftshift(x), [((5,),), ((2, 3),)], primitives=("getitem",),
           reference=np.fft.fftshift),
    OpSpec("fft.ifftshift", lambda x: tnp.fft.ifftshift(x), [((5,),), ((2, 3),)], primitives=("getitem",),
           reference=np.fft.ifftshift),
    # ---- decompositions -------------------------------------------------------------------------
    OpSpec("linalg.svd", _svd_features, [((3, 3),), ((4, 2),), ((2, 4),), ((2, 3, 2),)],
           make_args=_distinct_singular_values, reference=_np_svd_features),
    OpSpec("linalg.svd_phase_free", _svd_phase_free, [((3, 3),), ((4, 2),), ((2, 4),), ((2, 3, 2),)],
           primitives=("linalg.svd",), make_args=_distinct_singular_values, reference=_np_svd_phase_free,
           complex=True),
    OpSpec("linalg.svd_full_unique_columns", _svd_full_unique_columns, [((4, 2),), ((2, 4),), ((2, 3, 2),)],
           primitives=("linalg.svd", "linalg.svd_complement"), make_args=_distinct_singular_values,
           reference=lambda a: _svd_full_unique_columns(a, np)),
    OpSpec("linalg.svd_values", lambda a: tnp.linalg.svd(a, compute_uv=False), [((3, 2),)],
           primitives=("linalg.svd",), make_args=_distinct_singular_values,
           reference=lambda a: np.linalg.svd(a, compute_uv=False)),
    OpSpec("linalg.qr", _qr_features, [((3, 3),), ((4, 2),), ((2, 3, 2),), ((2, 4),)], make_args=_full_rank_tall,
           reference=_np_qr_features),
    OpSpec("linalg.qr_r", lambda a: tnp.linalg.qr(a, mode="r"), [((4, 3),)], primitives=("linalg.qr",),
           make_args=_full_rank_tall, reference=lambda a: np.linalg.qr(a, mode="r")),
    OpSpec("linalg.svd_u_only", lambda a: tnp.linalg.svd(a, full_matrices=False)[0][:, :1] ** 2, [((4, 3),)],
           primitives=("linalg.svd",), make_args=_distinct_singular_values,
           reference=lambda a: np.linalg.svd(a, full_matrices=False)[0][:, :1] ** 2),
    OpSpec("linalg.eig", _eig_features, [((3, 3),)], make_args=_complex_spectrum),
    OpSpec("linalg.eigvals", _eigvals_features, [((3, 3),), ((2, 3, 3),)], primitives=("linalg.eig",),
           make_args=_complex_spectrum, reference=_np_eigvals_features),
    # the new rules next to the table's other complex rules (one convention across them)
    OpSpec("fft_times_complex", lambda a, b: _parts(tnp.fft.fft(_z(a, b) * (1 + 2j) * (0.5 - 1j))), PAIR,
           primitives=("fft.fftn",),
           reference=lambda a, b: _np_parts(np.fft.fft((a + 1j * b) * (1 + 2j) * (0.5 - 1j)))),
    OpSpec("angle_of_product", lambda a, b: tg.angle(_z(a, b) * (0.5 - 1j)), PAIR, primitives=("angle",),
           make_args=_away_from_zero, reference=lambda a, b: np.angle((a + 1j * b) * (0.5 - 1j))),
    OpSpec("imag_of_product", lambda a, b: tg.imag(_z(a, b) * _z(b, a)), PAIR, primitives=("imag", "complex"),
           reference=lambda a, b: np.imag((a + 1j * b) * (b + 1j * a))),
    OpSpec("irfft_of_product", lambda a, b: tnp.fft.irfft(_z(a, b) * (2 - 1j)), PAIR, primitives=("fft.irfft",),
           reference=lambda a, b: np.fft.irfft((a + 1j * b) * (2 - 1j))),
]

SPECS = also_complex(SPECS, exclude=(  # real-only by nature, or built from real parts
    'complex',
    'real',
    'imag',
    'imag_of_real',
    'conj',
    'angle',
    'fmod',
    'logaddexp2',
    'copysign',
    'fft.fftn',
    'fft.ifft2',
    'fft.rfft[backward]',
    'fft.rfft[ortho]',
    'fft.rfft[forward]',
    'fft.rfftn',
    'fft.irfft[backward,None]',
    'fft.irfft[backward,5]',
    'fft.irfft[ortho,None]',
    'fft.irfft[ortho,5]',
    'fft.irfft[forward,None]',
    'fft.irfft[forward,5]',
    'fft.irfftn',
    'linalg.svd',
    'linalg.svd_u_only',
    'fft_times_complex',
    'angle_of_product',
    'imag_of_product',
    'irfft_of_product',
))


@pytest.mark.parametrize("spec, shapes", cases_of(SPECS))
def test_rule(spec, shapes):
    check_spec(spec, shapes)


def test_no_two_primitives_share_a_name():
    """Families added in parallel must not define the same op twice (one row per name)."""
    from collections import Counter

    from tapegrad import ops

    twice = sorted(name for name, n in Counter(p.name for p in ops.primitives()).items() if n > 1)
    assert not twice, f"primitives defined in two families: {twice} (keep one; ops/complex.py keeps only complex)"
