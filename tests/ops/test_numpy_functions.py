"""Spec rows for the functions of ``tapegrad.numpy`` that are compositions of existing rules
(rearrangements through getitem, order statistics, products, linalg compositions, elementwise
compositions), each against NumPy's value and finite differences, in both modes, to second order
where smooth, and (walked by test_batched_rules / test_saved_values) with batched rules."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad.numpy as tnp
from tests.ops.spec import OpSpec, also_complex, cases_of, check_spec

V, M, T3 = (4,), (3, 4), (2, 3, 2)


def _distinct(rng, shapes):
    """Entries with distinct values (no ties for sort/max/quantiles), away from 0."""
    out = []
    for s in shapes:
        n = int(np.prod(s))
        out.append(((0.3 + 0.37 * rng.permutation(n)) * rng.choice([-1.0, 1.0], size=n)).reshape(s))
    return out


def _away_from_jumps(rng, shapes):
    """x and y with x / y at least 0.2 away from an integer (remainder and fmod jump there)."""
    y = rng.uniform(0.5, 2.0, size=shapes[1]) * rng.choice([-1.0, 1.0], size=shapes[1])
    k = rng.integers(-2, 3, size=shapes[0]) + rng.uniform(0.2, 0.8, size=shapes[0])
    return [k * y, y]


def _well_conditioned(rng, shapes):
    return [rng.uniform(-1, 1, size=s) + 3 * np.eye(s[-2], s[-1]) for s in shapes]


def _tall_full_rank(rng, shapes):
    a = rng.uniform(-1, 1, size=shapes[0]) + 2 * np.eye(*shapes[0][-2:])
    return [a] + [rng.uniform(-1, 1, size=s) for s in shapes[1:]]


def _distinct_singular_values(rng, shapes):
    (shape,) = shapes
    m, n = shape
    k = min(m, n)
    u, _ = np.linalg.qr(rng.standard_normal((m, m)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return [(u[:, :k] * (np.arange(k, 0, -1) * 1.1 + 0.4)) @ v[:, :k].T]


def _row(name, fn, cases, reference, primitives=("getitem",), **kw):
    return OpSpec(f"tnp.{name}", fn, cases, primitives=primitives, reference=reference, **kw)


IDX = np.array([[2, 0, 1, 1], [0, 3, 3, 2], [1, 1, 0, 3]])
XP = np.array([-2.0, -0.5, 0.3, 1.0, 2.5])
X_AWAY = np.array([-2.5, -1.0, 0.1, 0.6, 1.7, 3.0])  # at least 0.1 from each of XP


def _sample_points(rng, shapes):
    """Sample points within 0.05 of XP (so X_AWAY stays in its segments) and values at them."""
    return [XP + rng.uniform(-0.05, 0.05, size=5), rng.uniform(-2, 2, size=shapes[1])]


def _data_and_levels(rng, shapes):
    """Distinct data (5 values along axis 0) and levels q whose position q * 4 is no integer."""
    return [_distinct(rng, shapes[:1])[0], rng.uniform(0.3, 0.45, size=shapes[1])]


SPECS = [
    # ---- shape and joining -----------------------------------------------------------------------
    _row("roll", lambda x: tnp.roll(x, 2), [(V,), (M,)], lambda x: np.roll(x, 2)),
    _row("roll_axes", lambda x: tnp.roll(x, (1, -1), axis=(0, 1)), [(M,)], lambda x: np.roll(x, (1, -1), (0, 1))),
    _row("rot90", lambda x: tnp.rot90(x, 3), [(M,), (T3,)], lambda x: np.rot90(x, 3)),
    _row("rollaxis", lambda x: tnp.rollaxis(x, 2), [(T3,)], lambda x: np.rollaxis(x, 2), primitives=("transpose",)),
    _row("fliplr", tnp.fliplr, [(M,)], np.fliplr),
    _row("flipud", tnp.flipud, [(M,)], np.flipud),
    _row("diagonal", lambda x: tnp.diagonal(x, 1), [(M,), (T3,)], lambda x: np.diagonal(x, 1)),
    _row("delete", lambda x: tnp.delete(x, [0, 2], axis=-1), [(M,)], lambda x: np.delete(x, [0, 2], axis=-1)),
    _row("insert", lambda x, v: tnp.insert(x, 1, v, axis=1), [(M, (3,))], lambda x, v: np.insert(x, 1, v, axis=1)),
    _row("insert_flat", lambda x, v: tnp.insert(x, [0, 2], v), [(V, (2,))], lambda x, v: np.insert(x, [0, 2], v)),
    _row("append", lambda x, v: tnp.append(x, v, axis=0), [(M, (1, 4))], lambda x, v: np.append(x, v, axis=0),
         primitives=("concatenate",)),
    _row("take_along_axis", lambda x: tnp.take_along_axis(x, IDX, axis=1), [(M,)],
         lambda x: np.take_along_axis(x, IDX, axis=1)),
    _row("put_along_axis", lambda x, v: tnp.put_along_axis(x, IDX[:, :1], v, axis=1), [(M, (3, 1))],
         lambda x, v: (lambda c: (np.put_along_axis(c, IDX[:, :1], v, axis=1), c)[1])(x.copy())),
    _row("atleast_3d", lambda x: tnp.atleast_3d(x), [(M,)], np.atleast_3d, primitives=("reshape",)),
    _row("column_stack", lambda a, b: tnp.column_stack([a, b]), [((3,), (3, 2))], lambda a, b: np.column_stack([a, b]),
         primitives=("concatenate",)),
    _row("dstack", lambda a, b: tnp.dstack([a, b]), [(M, M)], lambda a, b: np.dstack([a, b]),
         primitives=("concatenate",)),
    _row("row_stack", lambda a, b: tnp.row_stack([a, b]), [(V, V)], lambda a, b: np.vstack([a, b]),
         primitives=("concatenate",)),
    _row("hsplit", lambda x: tnp.hsplit(x, [1, 3])[1], [(M,)], lambda x: np.hsplit(x, [1, 3])[1]),
    _row("vsplit", lambda x: tnp.vsplit(x, 3)[2], [(M,)], lambda x: np.vsplit(x, 3)[2]),
    _row("dsplit", lambda x: tnp.dsplit(x, 2)[1], [(T3,)], lambda x: np.dsplit(x, 2)[1]),
    _row("split", lambda x: tnp.split(x, [1, 3])[1], [(V,)], lambda x: np.split(x, [1, 3])[1]),
    _row("array_split", lambda x: tnp.array_split(x, 3)[0], [(V,)], lambda x: np.array_split(x, 3)[0]),
    _row("meshgrid", lambda a, b: tnp.stack(tnp.meshgrid(a, b)), [((3,), (2,))],
         lambda a, b: np.stack(np.meshgrid(a, b)), primitives=("broadcast_to",)),
    _row("kron", tnp.kron, [((2, 2), (2, 3)), ((3,), (2,))], np.kron, primitives=("multiply",)),
    _row("cross", tnp.cross, [((3,), (3,)), ((2, 3), (3,))], np.cross, primitives=("multiply",)),
    _row("diff", lambda x: tnp.diff(x, 2), [(V,), (M,)], lambda x: np.diff(x, 2), primitives=("subtract",)),
    _row("diff_prepend", lambda x: tnp.diff(x, axis=0, prepend=0.5), [(M,)],
         lambda x: np.diff(x, axis=0, prepend=0.5), primitives=("subtract",)),
    _row("ediff1d", lambda x: tnp.ediff1d(x, to_begin=[1.0]), [(M,)], lambda x: np.ediff1d(x, to_begin=[1.0]),
         primitives=("subtract",)),
    _row("gradient", lambda x: tnp.gradient(x, 0.5), [(V,)], lambda x: np.gradient(x, 0.5), primitives=("subtract",)),
    _row("gradient_spacing", lambda x, h: tnp.gradient(x, h, edge_order=2), [(V, ())],
         lambda x, h: np.gradient(x, h, edge_order=2), primitives=("subtract",), domain=(0.5, 2.0)),
    _row("gradient_2d", lambda x: tnp.stack(tnp.gradient(x, edge_order=2)), [(M,)],
         lambda x: np.stack(np.gradient(x, edge_order=2)), primitives=("subtract",)),
    *[_row(f"pad[{mode}]", lambda x, mode=mode: tnp.pad(x, ((1, 2), (2, 1)), mode=mode), [(M,)],
           lambda x, mode=mode: np.pad(x, ((1, 2), (2, 1)), mode=mode), primitives=("getitem", "pad"))
      for mode in ("constant", "edge", "reflect", "symmetric", "wrap")],
    # ---- elementwise compositions ---------------------------------------------------------------
    _row("fmax", tnp.fmax, [(V, V)], np.fmax, primitives=("where",), make_args=_distinct),
    _row("fmin", tnp.fmin, [(V, V)], np.fmin, primitives=("where",), make_args=_distinct),
    _row("deg2rad", tnp.deg2rad, [(V,)], np.deg2rad, primitives=("multiply",)),
    _row("degrees", tnp.degrees, [(V,)], np.degrees, primitives=("multiply",)),
    _row("nan_to_num", tnp.nan_to_num, [(V,)], np.nan_to_num, primitives=("where",)),
    _row("heaviside", lambda x, y: tnp.heaviside(x, y), [(V, V)], np.heaviside, primitives=("where",)),
    _row("absolute", tnp.absolute, [(V,)], np.absolute, primitives=("abs",), make_args=_distinct),
    _row("true_divide", tnp.true_divide, [(V, V)], np.true_divide, primitives=("divide",), make_args=_distinct),
    _row("remainder", tnp.remainder, [(V, V)], np.remainder, primitives=("mod",), make_args=_away_from_jumps),
    _row("fmod", tnp.fmod, [(V, V), (M, M)], np.fmod, primitives=("fmod",), make_args=_away_from_jumps),
    _row("select", lambda x, y: tnp.select([np.array([True, False, False, True])], [x], y), [(V, V)],
         lambda x, y: np.select([np.array([True, False, False, True])], [x], y), primitives=("where",)),
    _row("piecewise", lambda x: tnp.piecewise(x, [np.array([True, False, True, False])], [lambda t: t * t, tnp.sin]),
         [(V,)], lambda x: np.piecewise(x, [np.array([True, False, True, False])], [lambda t: t * t, np.sin]),
         primitives=("where",)),
    _row("interp", lambda x, fp: tnp.interp(x, XP, fp), [(V, (5,))], lambda x, fp: np.interp(x, XP, fp),
         primitives=("getitem", "where"), domain=(-3.0, 3.0), smooth=False),
    _row("interp_xp", lambda xp, fp: tnp.interp(X_AWAY, xp, fp), [((5,), (5,))],
         lambda xp, fp: np.interp(X_AWAY, xp, fp), primitives=("getitem", "where"), make_args=_sample_points),
    # ---- reductions and order statistics --------------------------------------------------------
    _row("sort", lambda x: tnp.sort(x, axis=0), [(M,)], lambda x: np.sort(x, axis=0), make_args=_distinct),
    _row("sort_flat", lambda x: tnp.sort(x, axis=None), [(M,)], lambda x: np.sort(x, axis=None), make_args=_distinct),
    _row("partition", lambda x: tnp.partition(x, 2)[..., 2], [(M,)], lambda x: np.partition(x, 2)[..., 2],
         make_args=_distinct),
    _row("median", lambda x: tnp.median(x, axis=1), [(M,), ((3, 5),)], lambda x: np.median(x, axis=1),
         make_args=_distinct),
    *[_row(f"quantile[{m}]", lambda x, m=m: tnp.quantile(x, [0.1, 0.5, 0.77], axis=0, method=m), [((5, 2),)],
           lambda x, m=m: np.quantile(x, [0.1, 0.5, 0.77], axis=0, method=m), make_args=_distinct)
      for m in ("linear", "lower", "higher", "nearest", "midpoint")],
    _row("percentile", lambda x: tnp.percentile(x, 30, keepdims=True), [(M,)],
         lambda x: np.percentile(x, 30, keepdims=True), make_args=_distinct),
    _row("quantile_q", lambda x, q: tnp.quantile(x, q, axis=0), [((5, 2), (3,))],
         lambda x, q: np.quantile(x, q, axis=0), make_args=_data_and_levels),
    _row("percentile_q", lambda x, q: tnp.percentile(x, 100 * q, axis=0, keepdims=True), [((5, 2), ())],
         lambda x, q: np.percentile(x, 100 * q, axis=0, keepdims=True), make_args=_data_and_levels),
    _row("average", lambda x, w: tnp.average(x, axis=1, weights=w), [(M, (4,))],
         lambda x, w: np.average(x, axis=1, weights=w), primitives=("multiply",), domain=(0.5, 2.0)),
    _row("nansum", lambda x: tnp.nansum(tnp.where(x > 1.5, np.nan, x), axis=0), [(M,)],
         lambda x: np.nansum(np.where(x > 1.5, np.nan, x), axis=0), primitives=("sum",)),
    _row("nanmean", lambda x: tnp.nanmean(tnp.where(x > 1.5, np.nan, x)), [(M,)],
         lambda x: np.nanmean(np.where(x > 1.5, np.nan, x)), primitives=("sum",)),
    _row("nanmax", lambda x: tnp.nanmax(tnp.where(x > 1.0, np.nan, x), axis=1), [(M,)],
         lambda x: np.nanmax(np.where(x > 1.0, np.nan, x), axis=1), primitives=("max",), make_args=_distinct),
    _row("nanmin", lambda x: tnp.nanmin(tnp.where(x < -1.0, np.nan, x), axis=1), [(M,)],
         lambda x: np.nanmin(np.where(x < -1.0, np.nan, x), axis=1), primitives=("min",), make_args=_distinct),
    _row("ptp", lambda x: tnp.ptp(x, axis=0), [(M,)], lambda x: np.ptp(x, axis=0), primitives=("max", "min"),
         make_args=_distinct),
    _row("cumprod", lambda x: tnp.cumprod(x, axis=1), [(M,)], lambda x: np.cumprod(x, axis=1),
         primitives=("cumprod",)),
    # ---- products --------------------------------------------------------------------------------
    *[_row(f"convolve[{mode}]", lambda a, v, mode=mode: tnp.convolve(a, v, mode), [((5,), (3,)), ((2,), (4,))],
           lambda a, v, mode=mode: np.convolve(a, v, mode), primitives=("matmul",))
      for mode in ("full", "same", "valid")],
    *[_row(f"correlate[{mode}]", lambda a, v, mode=mode: tnp.correlate(a, v, mode), [((5,), (3,)), ((2,), (4,))],
           lambda a, v, mode=mode: np.correlate(a, v, mode), primitives=("matmul",))
      for mode in ("full", "same", "valid")],
    # a real a shorter than a complex v (the complex case): NumPy swaps them and conjugates the result
    _row("correlate_real_short", lambda a, v: tnp.correlate(tnp.real(a), v, "full"), [((2,), (4,))],
         lambda a, v: np.correlate(np.real(a), v, "full"), primitives=("matmul",)),
    _row("einsum_optimize", lambda a, b: tnp.einsum("ij,jk->ik", a, b, optimize=True), [((2, 3), (3, 2))],
         lambda a, b: np.einsum("ij,jk->ik", a, b), primitives=("einsum",)),
    _row("vdot", tnp.vdot, [(M, M)], np.vdot, primitives=("matmul",)),
    _row("linalg.multi_dot", lambda a, b, c: tnp.linalg.multi_dot([a, b, c]), [((3,), (3, 4), (4, 2))],
         lambda a, b, c: np.linalg.multi_dot([a, b, c]), primitives=("matmul",)),
    # ---- linalg compositions ---------------------------------------------------------------------
    _row("linalg.pinv", tnp.linalg.pinv, [((4, 3),), ((2, 3),)], np.linalg.pinv, primitives=("linalg.svd",),
         make_args=_distinct_singular_values, rtol=1e-5),
    _row("linalg.lstsq", lambda a, b: tnp.linalg.lstsq(a, b)[0], [((4, 2), (4,)), ((5, 3), (5, 2))],
         lambda a, b: np.linalg.lstsq(a, b)[0], primitives=("linalg.svd",), make_args=_tall_full_rank),
    _row("linalg.lstsq_residuals", lambda a, b: tnp.linalg.lstsq(a, b)[1], [((4, 2), (4,))],
         lambda a, b: np.linalg.lstsq(a, b)[1], primitives=("linalg.svd",), make_args=_tall_full_rank),
    *[_row(f"linalg.matrix_power[{n}]", lambda a, n=n: tnp.linalg.matrix_power(a, n), [((3, 3),)],
           lambda a, n=n: np.linalg.matrix_power(a, n), primitives=("matmul",), make_args=_well_conditioned)
      for n in (0, 1, 3, -2)],
    *[_row(f"linalg.norm[{o}]", lambda a, o=o: tnp.linalg.norm(a, o), [((3, 2),)],
           lambda a, o=o: np.linalg.norm(a, o), primitives=("linalg.svd",), make_args=_distinct_singular_values)
      for o in (2, -2, "nuc")],
    *[_row(f"linalg.norm[{o}]", lambda a, o=o: tnp.linalg.norm(a, o), [((3, 4),)],
           lambda a, o=o: np.linalg.norm(a, o), primitives=("abs",), make_args=_distinct)
      for o in (None, "fro", 1, -1, np.inf, -np.inf)],
    *[_row(f"linalg.vector_norm[{o}]", lambda a, o=o: tnp.linalg.norm(a, o, axis=1), [((3, 4),)],
           lambda a, o=o: np.linalg.norm(a, o, axis=1), primitives=("abs",), make_args=_distinct)
      for o in (None, 1, 2, 3, 0.5, np.inf, -np.inf)],
    _row("linalg.eigh_upper", lambda a: tnp.linalg.eigvalsh(a + a.T, UPLO="U"), [((3, 3),)],
         lambda a: np.linalg.eigvalsh(a + a.T, UPLO="U"), primitives=("linalg.eigh",)),
    _row("linalg.cholesky_upper", lambda a: tnp.linalg.cholesky(a @ a.T + 3 * np.eye(3), upper=True), [((3, 3),)],
         lambda a: np.linalg.cholesky(a @ a.T + 3 * np.eye(3), upper=True), primitives=("linalg.cholesky",)),
    # ---- tnp.array: nested lists mixing tensors and numbers --------------------------------------
    _row("array", lambda x, y: tnp.array([[x, 2.0], [1.0, y]]) * x, [((), ())],
         lambda x, y: np.array([[x, 2.0], [1.0, y]]) * x, primitives=("stack",)),
]

SPECS = also_complex(SPECS, exclude=(  # real-only by nature, or built from real parts
    'tnp.deg2rad',
    'tnp.degrees',
    'tnp.heaviside',
    'tnp.remainder',
    'tnp.fmod',
    'tnp.interp',
    'tnp.interp_xp',
    'tnp.quantile_q',
    'tnp.percentile_q',
    'tnp.quantile[linear]',
    'tnp.quantile[lower]',
    'tnp.quantile[higher]',
    'tnp.quantile[nearest]',
    'tnp.quantile[midpoint]',
    'tnp.percentile',
    'tnp.linalg.eigh_upper',
    'tnp.linalg.cholesky_upper',
))


@pytest.mark.parametrize("spec, shapes", cases_of(SPECS))
def test_rule(spec, shapes):
    check_spec(spec, shapes)
