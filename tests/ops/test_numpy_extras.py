"""Spec rows for tapegrad.numpy's further compositions (statistics, polynomials, products, block
assembly, linalg and fft extras), against NumPy's values and finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.numpy as tnp
from tapegrad.ops import running_extremes as RE
from tests.ops.spec import OpSpec, also_complex, cases_of, check_spec

V, M = (4,), (3, 4)


def _row(name, fn, cases, reference, primitives=("multiply",), **kw):
    return OpSpec(f"tnp.{name}", fn, cases, primitives=primitives, reference=reference, **kw)


def _parts(z):
    return tg.concatenate([tg.reshape(tg.real(z), (-1,)), tg.reshape(tg.imag(z), (-1,))], axis=0)


def _np_parts(z):
    return np.concatenate([np.real(z).reshape(-1), np.imag(z).reshape(-1)])


def _well_conditioned(rng, shapes):
    return [rng.uniform(-1, 1, size=s) + 3 * np.eye(s[-2], s[-1]) for s in shapes]


def _distinct_roots(rng, shapes):
    return [np.poly([1.0, -2.0, 0.5]) + rng.uniform(-0.05, 0.05, size=shapes[0])]


def _distinct(rng, shapes):
    out = []
    for sh in shapes:
        n = int(np.prod(sh))
        out.append(((0.3 + 0.37 * rng.permutation(n)) * rng.choice([-1.0, 1.0], size=n)).reshape(sh))
    return out


def _running_minima(x):
    """Along the last axis, times along the flattened array (tensors and arrays alike)."""
    return np.minimum.accumulate(x, 2) * np.minimum.accumulate(x.reshape(-1)).reshape(x.shape)


def _sources_like(t):
    """Where the running maxima of a fixed array with ties and a NaN come from, shaped like ``t``."""
    pattern = np.resize(np.array([1.0, 0.0, 3.0, 3.0, 2.0, 5.0, np.nan, 4.0, 0.0, 9.0]), t.shape)
    return RE._sources(pattern, np.maximum.accumulate(pattern, axis=-1), -1, True)


NANS = np.array([[False, True, False, False], [False, False, False, True], [True, False, False, False]])

SPECS = [
    _row("cov", tnp.cov, [(M,)], np.cov, primitives=("matmul",)),
    _row("cov_rowvar", lambda x, y: tnp.cov(x, y, rowvar=False, bias=True), [((4, 2), (4,))],
         lambda x, y: np.cov(x, y, rowvar=False, bias=True), primitives=("matmul",)),
    _row("corrcoef", tnp.corrcoef, [(M,)], np.corrcoef, primitives=("matmul", "sqrt")),
    _row("nanvar", lambda x: tnp.nanvar(tnp.where(NANS, np.nan, x), axis=1, ddof=1), [(M,)],
         lambda x: np.nanvar(np.where(NANS, np.nan, x), axis=1, ddof=1), primitives=("where",)),
    _row("nanstd", lambda x: tnp.nanstd(tnp.where(NANS, np.nan, x)), [(M,)],
         lambda x: np.nanstd(np.where(NANS, np.nan, x)), primitives=("sqrt",)),
    *[_row(f"nanquantile[{m}]", lambda x, m=m: tnp.nanquantile(tnp.where(NANS, np.nan, x), [0.2, 0.5], axis=1,
                                                                  method=m), [(M,)],
           lambda x, m=m: np.nanquantile(np.where(NANS, np.nan, x), [0.2, 0.5], axis=1, method=m),
           primitives=("getitem",), make_args=_distinct)
      for m in ("linear", "lower", "higher", "nearest", "midpoint")],
    _row("nanmedian", lambda x: tnp.nanmedian(tnp.where(NANS, np.nan, x), axis=0, keepdims=True), [(M,)],
         lambda x: np.nanmedian(np.where(NANS, np.nan, x), axis=0, keepdims=True), primitives=("getitem",),
         make_args=_distinct),
    _row("nanpercentile", lambda x: tnp.nanpercentile(tnp.where(NANS, np.nan, x), 40), [(M,)],
         lambda x: np.nanpercentile(np.where(NANS, np.nan, x), 40), primitives=("getitem",), make_args=_distinct),
    _row("nanquantile_q", lambda x, q: tnp.nanquantile(tnp.where(NANS, np.nan, x), q, axis=1), [(M, ())],
         lambda x, q: np.nanquantile(np.where(NANS, np.nan, x), q, axis=1), primitives=("getitem",),
         make_args=lambda rng, shapes: [*_distinct(rng, shapes[:1]), rng.uniform(0.1, 0.4)]),
    _row("nancumsum", lambda x: tnp.nancumsum(tnp.where(NANS, np.nan, x), axis=1), [(M,)],
         lambda x: np.nancumsum(np.where(NANS, np.nan, x), axis=1), primitives=("cumsum",)),
    _row("nancumprod", lambda x: tnp.nancumprod(tnp.where(NANS, np.nan, x)), [(M,)],
         lambda x: np.nancumprod(np.where(NANS, np.nan, x)), primitives=("cumprod",)),
    _row("cumulative_sum", lambda x: tnp.cumulative_sum(x, axis=0, include_initial=True), [(M,)],
         lambda x: np.cumulative_sum(x, axis=0, include_initial=True), primitives=("cumsum",)),
    _row("cumulative_prod", lambda x: tnp.cumulative_prod(x, include_initial=True), [(V,)],
         lambda x: np.cumulative_prod(x, include_initial=True), primitives=("cumprod",)),
    _row("trapezoid", lambda y: tnp.trapezoid(y, dx=0.5), [(V,), (M,)], lambda y: np.trapezoid(y, dx=0.5)),
    _row("trapezoid_x", lambda y, x: tnp.trapezoid(y, x), [(V, V)], lambda y, x: np.trapezoid(y, x)),
    _row("vander", lambda x: tnp.vander(x, 4), [(V,)], lambda x: np.vander(x, 4)),
    _row("polyval", tnp.polyval, [((3,), V)], np.polyval),
    _row("polyder", lambda p: tnp.polyder(p, 2), [((5,),)], lambda p: np.polyder(p, 2)),
    _row("polyint", lambda p: tnp.polyint(p, 1, k=0.5), [(V,)], lambda p: np.polyint(p, 1, k=0.5),
         primitives=("divide",)),
    _row("polyint_k", lambda p, k: tnp.polyint(p, 2, k=k), [(V, (2,))], lambda p, k: np.polyint(p, 2, k=k),
         primitives=("divide",)),
    _row("polyadd", tnp.polyadd, [((3,), (5,))], np.polyadd, primitives=("add",)),
    _row("polysub", tnp.polysub, [((5,), (3,))], np.polysub, primitives=("subtract",)),
    _row("polymul", tnp.polymul, [((3,), (2,))], np.polymul, primitives=("matmul",)),
    _row("polyfit", lambda x, y: tnp.polyfit(x, y, 2), [((6,), (6,))], lambda x, y: np.polyfit(x, y, 2),
         primitives=("linalg.svd",), rtol=1e-5),
    _row("roots", lambda p: _parts(tnp.sort(tnp.roots(p).real)), [((4,),)],
         lambda p: _np_parts(np.sort(np.roots(p).real)), primitives=("linalg.eig",), make_args=_distinct_roots,
         smooth=False),
    _row("poly", tnp.poly, [((3,),)], np.poly, primitives=("matmul",)),
    _row("polydiv", lambda u, v: tnp.concatenate(tnp.polydiv(u, v)), [((5,), (3,))],
         lambda u, v: np.concatenate(np.polydiv(u, v)), primitives=("divide",), domain=(0.5, 2.0)),
    _row("unwrap", lambda x: tnp.unwrap(x * 3.0), [((6,),)], lambda x: np.unwrap(x * 3.0), primitives=("add",),
         make_args=lambda rng, shapes: [np.array([0.1, 0.9, 1.8, -0.6, 0.4, 1.3]) + rng.uniform(-0.05, 0.05, 6)]),
    _row("unique", lambda x: tnp.unique(x), [(M,)], np.unique, primitives=("getitem",), make_args=_distinct),
    _row("unique_axis", lambda x: tnp.unique(tnp.concatenate([x, x[:1]]), axis=0), [(M,)],
         lambda x: np.unique(np.concatenate([x, x[:1]]), axis=0), primitives=("getitem",), make_args=_distinct),
    _row("vecdot", tnp.vecdot, [(M, M)], np.vecdot),
    _row("matvec", tnp.matvec, [(M, V)], np.matvec, primitives=("matmul",)),
    _row("vecmat", tnp.vecmat, [((3,), M)], np.vecmat, primitives=("matmul",)),
    _row("diagflat", lambda v: tnp.diagflat(v, 1), [((2, 2),)], lambda v: np.diagflat(v, 1),
         primitives=("scatter_add",)),
    _row("block", lambda a, b: tnp.block([[a, b], [b, a]]), [((2, 2), (2, 2))],
         lambda a, b: np.block([[a, b], [b, a]]), primitives=("concatenate",)),
    _row("unstack", lambda x: tnp.unstack(x, axis=1)[2], [(M,)], lambda x: np.unstack(x, axis=1)[2],
         primitives=("getitem",)),
    _row("resize", lambda x: tnp.resize(x, (3, 5)), [(M,)], lambda x: np.resize(x, (3, 5)), primitives=("getitem",)),
    _row("compress", lambda x: tnp.compress([True, False, True], x, axis=0), [(M,)],
         lambda x: np.compress([True, False, True], x, axis=0), primitives=("getitem",)),
    _row("extract", lambda x: tnp.extract(NANS, x), [(M,)], lambda x: np.extract(NANS, x), primitives=("getitem",)),
    _row("apply_along_axis", lambda x: tnp.apply_along_axis(lambda r: tnp.sum(r * r), 1, x), [(M,)],
         lambda x: np.apply_along_axis(lambda r: np.sum(r * r), 1, x), primitives=("stack",)),
    _row("float_power", tnp.float_power, [(V, V)], np.float_power, primitives=("power",), domain=(0.5, 2.0)),
    _row("ldexp", lambda x: tnp.ldexp(x, np.array([1, -2, 3, 0])), [(V,)],
         lambda x: np.ldexp(x, np.array([1, -2, 3, 0]))),
    _row("bincount", lambda w: tnp.bincount(np.array([0, 2, 2, 1]), weights=w), [(V,)],
         lambda w: np.bincount(np.array([0, 2, 2, 1]), weights=w), primitives=("scatter_add",)),
    _row("modf", lambda x: tnp.stack(tnp.modf(x)), [(M,)], lambda x: np.stack(np.modf(x)), primitives=("subtract",),
         make_args=lambda rng, shapes: [rng.integers(-3, 3, shapes[0]) + rng.uniform(0.2, 0.8, shapes[0])]),
    _row("frexp", lambda x: tnp.frexp(x)[0], [(M,)], lambda x: np.frexp(x)[0],  # away from powers of two
         make_args=lambda rng, shapes: [rng.uniform(0.55, 0.95, shapes[0]) * 2.0 ** rng.integers(-2, 3, shapes[0])]),
    _row("divmod", lambda x: tnp.stack(tnp.divmod(x, 0.7)), [(M,)], lambda x: np.stack(np.divmod(x, 0.7)),
         primitives=("mod",), make_args=lambda rng, shapes: [0.7 * (rng.integers(-3, 3, shapes[0])
                                                                     + rng.uniform(0.2, 0.8, shapes[0]))]),
    _row("sort_complex", lambda x: _parts(tnp.sort_complex(x)), [(V,)], lambda x: _np_parts(np.sort_complex(x)),
         primitives=("getitem", "complex"), make_args=_distinct),
    _row("real_if_close", lambda a, b: tnp.real_if_close(tg.complex(a, b * 0.0)), [(V, V)],
         lambda a, b: np.real_if_close(a + 0j), primitives=("real",)),
    _row("choose", lambda x, y: tnp.choose(np.array([0, 1, 1, 0]), [x, y]), [(V, V)],
         lambda x, y: np.choose(np.array([0, 1, 1, 0]), [x, y]), primitives=("getitem",)),
    _row("apply_over_axes", lambda x: tnp.apply_over_axes(tnp.sum, x, [0, 1]), [(M,)],
         lambda x: np.apply_over_axes(np.sum, x, [0, 1]), primitives=("sum",)),
    _row("linalg.cond", tnp.linalg.cond, [((3, 3),)], np.linalg.cond, primitives=("linalg.svd",),
         make_args=_well_conditioned),
    _row("linalg.cond_1", lambda a: tnp.linalg.cond(a, 1), [((3, 3),)], lambda a: np.linalg.cond(a, 1),
         primitives=("linalg.inv",), make_args=_well_conditioned, smooth=False),
    _row("linalg.vector_norm", lambda x: tnp.linalg.vector_norm(x, ord=3, axis=(0, 1)), [(M,)],
         lambda x: np.linalg.vector_norm(x, ord=3, axis=(0, 1)), primitives=("abs",), domain=(0.5, 2.0)),
    _row("linalg.matrix_norm", lambda x: tnp.linalg.matrix_norm(x), [(M,)], np.linalg.matrix_norm,
         primitives=("norm",)),
    _row("linalg.tensorsolve", tnp.linalg.tensorsolve, [((2, 3, 6), (2, 3))], np.linalg.tensorsolve,
         primitives=("linalg.solve",), make_args=lambda rng, shapes: [
             (rng.uniform(-1, 1, (6, 6)) + 4 * np.eye(6)).reshape(2, 3, 6), rng.uniform(-1, 1, (2, 3))]),
    _row("linalg.tensorinv", lambda a: tnp.linalg.tensorinv(a, 1), [((4, 2, 2),)],
         lambda a: np.linalg.tensorinv(a, 1), primitives=("linalg.inv",),
         make_args=lambda rng, shapes: [(rng.uniform(-1, 1, (4, 4)) + 4 * np.eye(4)).reshape(4, 2, 2)]),
    _row("linalg.cross", tnp.linalg.cross, [((3,), (3,))], np.linalg.cross),
    _row("fft.hfft", lambda a, b: tnp.fft.hfft(tg.complex(a, b), n=6), [((4,), (4,))],
         lambda a, b: np.fft.hfft(a + 1j * b, n=6), primitives=("fft.irfft", "conj")),
    _row("fft.ihfft", lambda x: _parts(tnp.fft.ihfft(x, norm="ortho")), [((5,),)],
         lambda x: _np_parts(np.fft.ihfft(x, norm="ortho")), primitives=("fft.rfft", "conj")),
    _row("logspace", lambda a, b: tnp.logspace(a, b, 5), [((), ()), ((3,), (3,))], lambda a, b: np.logspace(a, b, 5),
         primitives=("power",), domain=(-1.0, 1.0)),
    _row("logspace_base", lambda a, b, c: tnp.logspace(a, b, 4, endpoint=False, base=c, axis=-1), [((), (2,), (2,))],
         lambda a, b, c: np.logspace(a, b, 4, endpoint=False, base=c, axis=-1), primitives=("power",),
         domain=(0.5, 2.0)),
    _row("geomspace", lambda a, b: tnp.geomspace(a, b, 5, axis=-1), [((), ()), ((3,), (3,))],
         lambda a, b: np.geomspace(a, b, 5, axis=-1), primitives=("log10", "power"), domain=(0.5, 2.0)),
    _row("geomspace_negative", lambda a, b: tnp.geomspace(-a, -b, 4, endpoint=False), [((2,), (2,))],
         lambda a, b: np.geomspace(-a, -b, 4, endpoint=False), primitives=("log10", "power"), domain=(0.5, 2.0)),
    _row("cov_weights", lambda x, a: tnp.cov(x, fweights=np.array([1, 3, 2, 1]), aweights=a), [(M, V)],
         lambda x, a: np.cov(x, fweights=np.array([1, 3, 2, 1]), aweights=a), primitives=("matmul",),
         make_args=lambda rng, shapes: [rng.uniform(-2, 2, M), rng.uniform(0.5, 2, 4)]),
    # NumPy's ufunc methods on tensors (np.<ufunc>.reduce/accumulate/outer through __array_ufunc__)
    OpSpec("np.add.reduce", lambda x: np.add.reduce(x, 1), [(M,)], ("sum",), reference=lambda x: np.add.reduce(x, 1)),
    OpSpec("np.multiply.reduce", np.multiply.reduce, [(M,)], ("prod",), reference=np.multiply.reduce),
    OpSpec("np.maximum.reduce", lambda x: np.maximum.reduce(x, 1, initial=0.3, where=NANS), [(M,)], ("max",),
           reference=lambda x: np.maximum.reduce(x, 1, initial=0.3, where=NANS), make_args=_distinct, smooth=False),
    OpSpec("np.minimum.reduce", lambda x: np.minimum.reduce(x, None, keepdims=True), [(M,)], ("min",),
           reference=lambda x: np.minimum.reduce(x, None, keepdims=True), make_args=_distinct, smooth=False),
    OpSpec("np.add.accumulate", lambda x: np.add.accumulate(x, 1), [(M,)], ("cumsum",),
           reference=lambda x: np.add.accumulate(x, 1)),
    OpSpec("np.multiply.accumulate", np.multiply.accumulate, [(M,)], ("cumprod",), reference=np.multiply.accumulate),
    OpSpec("np.maximum.accumulate", lambda x: np.maximum.accumulate(x, 1), [(M,)], ("cummax",),
           reference=lambda x: np.maximum.accumulate(x, 1), make_args=_distinct),
    OpSpec("np.minimum.accumulate", np.minimum.accumulate, [(M,)], ("cummin",), reference=np.minimum.accumulate,
           make_args=_distinct),
    OpSpec("np.maximum.accumulate_axes", lambda x: np.maximum.accumulate(x, -2) + np.maximum.accumulate(x[0], 0),
           [((2, 3, 4),), ((5, 1, 3),)], ("cummax",),
           reference=lambda x: np.maximum.accumulate(x, -2) + np.maximum.accumulate(x[0], 0), make_args=_distinct),
    OpSpec("np.minimum.accumulate_axes", _running_minima, [((2, 2, 3),)], ("cummin",), make_args=_distinct,
           reference=_running_minima),
    # the linear maps of cummax/cummin's derivatives, at fixed sources (ties and a NaN's dropped tail)
    OpSpec("running_extremes.take", lambda t: RE._take_p(t, _sources_like(t), axis=-1), [(M,), ((2, 3, 4),)],
           reference=lambda t: RE._take(t, _sources_like(t), axis=-1)),
    OpSpec("running_extremes.put", lambda g: RE._put_p(g, _sources_like(g), axis=-1), [(M,), ((2, 3, 4),)],
           reference=lambda g: RE._put(g, _sources_like(g), axis=-1)),
    OpSpec("np.multiply.outer", np.multiply.outer, [(V, M)], ("multiply",), reference=np.multiply.outer),
    OpSpec("np.subtract.outer", np.subtract.outer, [((2,), ())], ("subtract",), reference=np.subtract.outer),
    OpSpec("np.arctan2.outer", np.arctan2.outer, [(M, (2,))], ("arctan2",), reference=np.arctan2.outer),
    OpSpec("np.power.outer", np.power.outer, [(V, (2,))], ("power",), reference=np.power.outer, domain=(0.5, 2.0)),
]

SPECS = also_complex(SPECS, exclude=(  # real-only by nature, or built from real parts
    'tnp.nanquantile[linear]',
    'tnp.nanquantile[lower]',
    'tnp.nanquantile[higher]',
    'tnp.nanquantile[nearest]',
    'tnp.nanquantile[midpoint]',
    'tnp.nanpercentile',
    'tnp.nanquantile_q',
    'tnp.nanmedian',  # NumPy's takes complex values; this one raises a clear TypeError
    'tnp.polyfit',
    'tnp.unwrap',
    'tnp.ldexp',
    'tnp.bincount',
    'tnp.modf',
    'tnp.frexp',
    'tnp.divmod',
    'tnp.real_if_close',
    'tnp.fft.hfft',
    'tnp.fft.ihfft',
    'tnp.cov_weights',  # weights are real
    'np.maximum.reduce',  # orders real numbers
    'np.minimum.reduce',
    'np.maximum.accumulate',
    'np.minimum.accumulate',
    'np.maximum.accumulate_axes',
    'np.minimum.accumulate_axes',
    'np.arctan2.outer',
))


@pytest.mark.parametrize("spec, shapes", cases_of(SPECS))
def test_rule(spec, shapes):
    check_spec(spec, shapes)
