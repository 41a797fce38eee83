"""The spec table under array-api-strict, which rejects NumPy-only assumptions (NumPy's dispatch
protocols, NumPy operands, implicit conversions): every row computes its values and its gradients
with the array API standard's functions only, and they equal NumPy's."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
from tests.backends.rows import all_specs, row_params, run

xp = pytest.importorskip("array_api_strict")

# Rows that cannot run on a strict array-API library, by name, with the reason
STRICT_SKIPS = {
    **dict.fromkeys(
        ["running_extremes.take", "running_extremes.put"],
        "cummax/cummin's derivative maps run on NumPy only (on array-api-strict, np.maximum.accumulate takes NumPy's "
        "recurrence op by op)",
    ),
    **dict.fromkeys(
        ["linalg.det_singular", "linalg.det_rank_n_minus_2"],
        "det at singular matrices: its exact route (cofactors from the SVD) is NumPy's; on array-api-strict "
        "det keeps the inverse rule, which needs a non-singular matrix",
    ),
    **dict.fromkeys(
        [
            "linalg.det_cofactors", "linalg.det_cofactors_nonsingular", "linalg.det_cofactors_2x2",
            "linalg.det_hessian", "linalg.det_hessian_4x4", "linalg.det_third",
        ],
        "the cofactor primitives of det's singular route run on NumPy only "
        "(on array-api-strict det keeps the inverse rule)",
    ),
    "linalg.svd_full_unique_columns": "the complement columns of a full SVD have no array-API forward "
    "(the standard's svd has no full_matrices=True)",
    **{
        spec.name: "the array API standard has no einsum"
        for spec in all_specs()
        if spec.name.startswith("einsum")
    },
    "tnp.einsum_optimize": "the array API standard has no einsum",
    "linalg.svd_phase_free": "its row uses einsum, which the array API standard does not have",
    "tnp.array": "its code compares the value's dtype with a NumPy dtype (array-api-strict warns: not standard)",
    "gelu_exact": "the array API standard has no erfc (tg.normal_cdf)",
    "fmod": "the array API standard has no fmod",
    "tnp.fmod": "the array API standard has no fmod",
    "logaddexp2": "the array API standard has no logaddexp2",
    "sinc": "the array API standard has no sinc",
    "linalg.eig": "the array API standard's linalg has no eig",
    "linalg.eigvals": "the array API standard's linalg has no eig",
    "fft.irfft_of_real": "the standard's FFTs take complex values only, and tg.fft.irfft passes real ones on",
    **dict.fromkeys(
        [
            "real", "imag", "angle", "abs_of_complex_product", "linalg.eigh_hermitian", "complex", "real_of_real",
            "imag_of_real", "conj", "angle_of_real", "fft_times_complex", "angle_of_product", "imag_of_product",
            "fft.fft[backward]", "fft.fft[ortho]", "fft.fft[forward]",
            "fft.fftn", "fft.ifft2", "fft.fft_n", "matmul_real_part", "matmul_real_part_right", "tensordot_real_part",
            "einsum_real_part", "concatenate_real_part", "stack_real_part",
        ],
        "its code reads NumPy dtype attributes (dtype.kind) of the value; array-API dtypes have none "
        "(use _backend.kind(dtype))",
    ),
    **dict.fromkeys(
        [
            "linalg.cholesky_gram", "tnp.cov", "tnp.cov_rowvar", "tnp.corrcoef", "tnp.nanvar", "tnp.nanstd",
            "tnp.nanquantile[linear]", "tnp.nanquantile[midpoint]", "tnp.nanmedian", "tnp.nanpercentile",
            "tnp.cumulative_sum", "tnp.cumulative_prod", "tnp.polyder", "tnp.polyint", "tnp.polyfit", "tnp.roots",
            "tnp.poly", "tnp.unwrap", "tnp.vecdot", "tnp.vecmat", "tnp.float_power", "tnp.ldexp", "tnp.frexp",
            "tnp.sort_complex", "tnp.real_if_close", "tnp.linalg.cond", "tnp.fft.hfft", "tnp.fft.ihfft",
            "fft.rfft[backward]", "fft.rfft[ortho]", "fft.rfft[forward]", "fft.rfftn", "fft.irfft[backward,None]",
            "fft.irfft[backward,5]", "fft.irfft[ortho,None]", "fft.irfft[ortho,5]", "fft.irfft[forward,None]",
            "fft.irfft[forward,5]", "fft.irfftn", "linalg.svd", "linalg.svd_values", "linalg.qr", "linalg.qr_r",
            "linalg.svd_u_only", "tnp.nan_to_num", "tnp.interp", "tnp.quantile[linear]", "tnp.quantile[midpoint]",
            "tnp.percentile", "tnp.nanmean", "tnp.correlate[full]", "tnp.correlate[same]", "tnp.correlate[valid]",
            "tnp.linalg.pinv", "tnp.linalg.lstsq", "tnp.linalg.lstsq_residuals", "tnp.linalg.matrix_power[0]",
            "tnp.linalg.norm[2]", "tnp.linalg.norm[-2]", "tnp.linalg.norm[nuc]", "tnp.linalg.cholesky_upper",
            "irfft_of_product", "tnp.quantile[lower]", "tnp.quantile[higher]", "tnp.quantile[nearest]",
            "tnp.quantile_q", "tnp.percentile_q", "tnp.nanquantile_q", "tnp.polyint_k", "tnp.correlate_real_short",
            "tnp.logspace", "tnp.logspace_base", "tnp.geomspace", "tnp.geomspace_negative", "tnp.cov_weights",
        ],
        "its code converts the value's dtype with NumPy (np.dtype / np.result_type / np.finfo), which an "
        "array-API dtype is not (use _backend.numpy_dtype)",
    ),
    **dict.fromkeys(
        [
            "tnp.nanquantile[lower]", "tnp.nanquantile[higher]", "tnp.nanquantile[nearest]", "tnp.nancumsum",
            "tnp.nancumprod", "tnp.modf", "tnp.heaviside", "tnp.select", "tnp.piecewise", "tnp.nansum",
            "tnp.nanmax", "tnp.nanmin", "tnp.linalg.eigh_upper", "pad_tensor_constant", "masked_mean",
            "masked_mean_axis_keep",
        ],
        "its code computes NumPy arrays from the values (masks, constants) and mixes them in, which strict "
        "libraries refuse",
    ),
    "getitem_tensor_mask": "a boolean mask held in a non-NumPy tensor gives a shape that depends on its values; "
    "tapegrad asks to compute it first",
}


@pytest.mark.parametrize("spec, shapes", row_params(STRICT_SKIPS))
def test_row_under_array_api_strict_equals_numpy(spec, shapes):
    want_outs, want_grads = run(spec, shapes, lambda a: a)
    outs, grads = run(spec, shapes, lambda a: xp.asarray(np.asarray(a)))
    for t in outs + grads:
        assert type(t.array).__module__.startswith("array_api_strict"), f"{spec.name}: a result left the library"
    for want, got in zip(want_outs + want_grads, outs + grads, strict=True):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12, err_msg=spec.name)


def test_skipped_rows_are_rows_of_the_table():
    assert set(STRICT_SKIPS) <= {spec.name for spec in all_specs()}


def test_an_op_without_an_array_api_forward_is_a_clear_error():
    with pytest.raises(NotImplementedError, match=r"tg\.normal_cdf .*array_api_strict|tg\.normal_cdf needs erfc"):
        tg.gelu(tg.constant(xp.asarray([0.5])), approximate=False)
