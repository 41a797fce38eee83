"""The tape over Dask arrays: every spec-table row Dask supports gives NumPy's values and gradients,
recording and differentiating compute nothing, and what Dask cannot do is a clear error."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
from tests.backends.rows import row_params, run

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

# Rows of the spec table that cannot run on Dask, by name, with the reason (every other row must pass)
DASK_SKIPS = {
    **dict.fromkeys(
        ["running_extremes.take", "running_extremes.put"],
        "cummax/cummin's derivative maps run on NumPy only (on Dask, np.maximum.accumulate takes NumPy's "
        "recurrence op by op)",
    ),
    **dict.fromkeys(
        ["linalg.det_singular", "linalg.det_rank_n_minus_2"],
        "det at singular matrices: its exact route (cofactors from the SVD) is NumPy's; on Dask "
        "det keeps the inverse rule, which needs a non-singular matrix",
    ),
    **dict.fromkeys(
        [
            "linalg.det_cofactors", "linalg.det_cofactors_nonsingular", "linalg.det_cofactors_2x2",
            "linalg.det_hessian", "linalg.det_hessian_4x4", "linalg.det_third",
        ],
        "the cofactor primitives of det's singular route run on NumPy only "
        "(on Dask det keeps the inverse rule)",
    ),
    "getitem_tensor_mask": "a boolean mask held in a Dask tensor gives a result whose shape depends on its "
    "values; tapegrad raises a clear IndexError asking to compute the mask first",
    "linalg.eigh": "dask.array has no symmetric eigendecomposition; tg.linalg.eigh raises a clear error",
    "linalg.eigh_upper": "dask.array has no symmetric eigendecomposition (tg.linalg.eigh)",
    "linalg.eigvalsh": "dask.array has no symmetric eigendecomposition (tg.linalg.eigh)",
    "linalg.eigh_hermitian": "dask.array has no symmetric eigendecomposition (tg.linalg.eigh)",
    "tnp.linalg.eigh_upper": "dask.array has no symmetric eigendecomposition (tg.linalg.eigh)",
    "linalg.eig": "dask.array has no eigendecomposition (tg.linalg.eig raises a clear error)",
    "linalg.eigvals": "dask.array has no eigendecomposition (tg.linalg.eig)",
    "linalg.svd_full_unique_columns": "dask.array's svd has no full_matrices=True (tg.linalg.svd raises a clear error)",
    **dict.fromkeys(
        [
            "tnp.nanvar", "tnp.nanstd", "tnp.nanquantile[linear]", "tnp.nanquantile[lower]", "tnp.nanquantile[higher]",
            "tnp.nanquantile[nearest]", "tnp.nanquantile[midpoint]", "tnp.nanmedian", "tnp.nanpercentile",
            "tnp.nancumsum", "tnp.nancumprod", "tnp.nansum", "tnp.nanmean", "tnp.nanmax", "tnp.nanmin",
            "tnp.nan_to_num", "tnp.polyfit", "tnp.roots", "tnp.polydiv", "tnp.unwrap", "tnp.modf", "tnp.frexp",
            "tnp.sort_complex", "tnp.real_if_close", "tnp.heaviside", "tnp.interp", "tnp.sort", "tnp.sort_flat",
            "tnp.partition", "tnp.median", "tnp.quantile[linear]", "tnp.quantile[lower]", "tnp.quantile[higher]",
            "tnp.quantile[nearest]", "tnp.quantile[midpoint]", "tnp.percentile", "tnp.linalg.pinv",
            "tnp.linalg.lstsq", "tnp.linalg.lstsq_residuals", "tnp.array", "tnp.unique", "tnp.unique_axis",
            "tnp.interp_xp", "tnp.quantile_q", "tnp.percentile_q", "tnp.nanquantile_q", "tnp.logspace",
            "tnp.logspace_base", "tnp.geomspace", "tnp.geomspace_negative", "tnp.cov_weights",
        ],
        "this tapegrad.numpy function reads its argument's values with NumPy while recording (NaN masks, sort "
        "orders, conversions), which would compute the Dask array",
    ),
}


def chunked(a: np.ndarray) -> da.Array:
    """A Dask array of ``a`` split into several chunks along every axis longer than 1."""
    a = np.asarray(a)
    return da.from_array(a, chunks=tuple(max(1, n // 2) for n in a.shape))


class Computes:
    """A Dask scheduler that counts the computes it is asked for (and runs them synchronously)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, dsk, keys, **kwargs):
        self.count += 1
        return dask.get(dsk, keys, **kwargs)


@pytest.mark.parametrize("spec, shapes", row_params(DASK_SKIPS))
def test_row_on_dask_equals_numpy(spec, shapes):
    ref_outs, ref_grads = run(spec, shapes, lambda a: a)
    computes = Computes()
    with dask.config.set(scheduler=computes):
        outs, grads = run(spec, shapes, chunked)
        assert computes.count == 0, f"{spec.name}: recording or tape.gradient computed a Dask array"
        lazy = [t for t in outs + grads if t.dtype.kind == "f"]
        assert all(isinstance(t.array, da.Array) for t in lazy), f"{spec.name}: a float result left Dask"
        got_outs, got_grads = tg.compute(outs, grads)
    assert computes.count == 1  # everything in one compute
    for want, got in zip(ref_outs + ref_grads, list(got_outs) + list(got_grads), strict=True):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-10, atol=1e-12, err_msg=spec.name)


def test_skipped_rows_are_rows_of_the_table():
    from tests.backends.rows import all_specs

    names = {spec.name for spec in all_specs()}
    assert set(DASK_SKIPS) <= names


def test_unsupported_op_is_a_clear_error_naming_op_and_backend():
    a = tg.constant(chunked(np.eye(4) * 2.0))
    with pytest.raises(NotImplementedError, match=r"tg\.linalg\.eigh is not supported on dask arrays"):
        tg.linalg.eigh(a)


def test_mask_from_a_dask_tensor_is_a_clear_error():
    x = tg.constant(chunked(np.arange(6.0)))
    with pytest.raises(IndexError, match="compute the index first"):
        x[x > 2.0]


def test_gradient_of_a_numpy_variable_over_dask_data_is_lazy_with_data_chunks():
    rng = np.random.default_rng(0)
    xn, yn = rng.standard_normal((1000, 3)), rng.standard_normal(1000)
    x, y = tg.constant(da.from_array(xn, chunks=(250, 3))), tg.constant(da.from_array(yn, chunks=250))
    w = tg.Variable(np.array([0.5, -1.0, 2.0]))
    computes = Computes()
    with dask.config.set(scheduler=computes):
        with tg.GradientTape() as tape:
            residual = x @ w - y
            loss = tg.reduce_mean(residual * residual)
        (g,) = tape.gradient(loss, [w])
        assert computes.count == 0
        assert isinstance(g.array, da.Array) and g.shape == (3,)
        assert residual.array.chunks == ((250,) * 4,)  # the data's chunks are kept
        got = g.numpy()
    want = 2 / 1000 * xn.T @ (xn @ w.numpy() - yn)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_tg_compute_does_shared_work_once():
    calls = []

    def load(block):
        if block.size:  # (Dask also calls it once on an empty block, to learn the result's type)
            calls.append(1)
        return block

    base = da.from_array(np.arange(8.0), chunks=4).map_blocks(load, dtype=float)
    x = tg.constant(base)
    a, b = tg.reduce_sum(x * x), tg.reduce_max(x)
    with dask.config.set(scheduler="sync"):
        got_a, got_b = tg.compute(a, b)
    assert (got_a, got_b) == (140.0, 7.0)
    assert len(calls) == 2  # each of the two chunks loaded once, for both results


def test_mixing_dask_with_numpy_values_and_python_scalars():
    xn = np.linspace(-1, 1, 6)
    x = tg.constant(chunked(xn))
    c = tg.constant(np.full(6, 3.0))  # a NumPy tensor: a constant of the Dask computation
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.reduce_sum(tg.sin(x) * c + 2.0 * x)
    assert isinstance(y.array, da.Array)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), 3 * np.cos(xn) + 2, rtol=1e-12)


def test_mixing_dask_with_another_array_library_is_a_clear_error():
    xp = pytest.importorskip("array_api_strict")
    a = tg.constant(chunked(np.ones(3)))
    b = tg.constant(xp.asarray([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="cannot mix arrays of array_api_strict and dask"):
        a + b


def test_printing_and_the_array_property_do_not_compute():
    x = tg.constant(chunked(np.ones((4, 2))))
    computes = Computes()
    with dask.config.set(scheduler=computes):
        text = repr(x * 2.0) + str(x)
        assert x.array is x.array and isinstance(x.array, da.Array)
    assert computes.count == 0
    assert "dask array, shape=(4, 2), dtype=float64" in text


def test_forward_mode_over_dask_is_lazy_and_right():
    xn = np.linspace(0.1, 2, 8)
    x = tg.constant(chunked(xn))
    computes = Computes()
    with dask.config.set(scheduler=computes):
        with tg.ForwardAccumulator(x, tg.constant(chunked(np.ones(8)))) as acc:
            y = tg.exp(x) * x
        t = acc.jvp(y)
        assert computes.count == 0 and isinstance(t.array, da.Array)
    np.testing.assert_allclose(t.numpy(), np.exp(xn) * (xn + 1), rtol=1e-12)


def test_numpy_variable_stays_numpy_when_assigned_a_dask_value():
    w = tg.Variable(np.zeros(3))
    w.assign(tg.constant(chunked(np.arange(3.0))))
    assert isinstance(w.array, np.ndarray)
    np.testing.assert_array_equal(w.numpy(), [0.0, 1.0, 2.0])


def test_gradient_graph_holds_no_data_sized_numpy_array():
    import pickle

    n = 200_000
    x = tg.constant(da.random.default_rng(0).standard_normal((n, 2), chunks=(50_000, 2)))
    w = tg.Variable(np.array([1.0, -1.0]))
    with tg.GradientTape() as tape:
        r = x @ w
        loss = tg.reduce_mean(r * r)
    g = tape.gradient(loss, w)
    # a cotangent made with NumPy (an n-vector of ones) would ship n * 8 = 1.6 MB inside the graph
    assert len(pickle.dumps(dict(g.array.__dask_graph__()))) < 200_000


def test_backend_tables_name_rows_of_the_rule_table():
    from tapegrad._dispatch import FORWARDS, UNSUPPORTED
    from tapegrad.ops import primitives

    names = {p.name for p in primitives()}
    assert set(FORWARDS) <= names and set(UNSUPPORTED) <= names


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_over_dask_data_equals_numpy(mode):
    """A Jacobian's batched walk (stacks of tangents or cotangents) runs on Dask values too."""
    data = np.arange(12.0).reshape(6, 2)
    w = tg.constant(np.array([0.5, -1.0]))

    def model(x):
        return lambda w: tg.exp(tg.matmul(x, w) * 0.1) + tg.sin(w[0]) * x[:, 1]

    got = tg.jacobian(model(tg.constant(da.from_array(data, chunks=(3, 2)))), mode=mode)(w)
    want = tg.jacobian(model(tg.constant(data)), mode=mode)(w)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
