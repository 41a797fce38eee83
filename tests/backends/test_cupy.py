"""The spec table on CuPy arrays (a GPU): values and gradients equal NumPy's, results stay on the GPU.

Skipped where CuPy or a GPU is absent (CI never needs one).
"""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
from tests.backends.rows import row_params, run

cupy = pytest.importorskip("cupy")
try:
    _GPUS = cupy.cuda.runtime.getDeviceCount()
except Exception:  # CUDA driver or runtime missing
    _GPUS = 0
pytestmark = pytest.mark.skipif(_GPUS == 0, reason="no GPU for CuPy")

CUPY_SKIPS = {
    **dict.fromkeys(
        ["running_extremes.take", "running_extremes.put"],
        "cummax/cummin's derivative maps run on NumPy only (on CuPy, np.maximum.accumulate takes NumPy's "
        "recurrence op by op)",
    ),
    **dict.fromkeys(
        ["linalg.det_singular", "linalg.det_rank_n_minus_2"],
        "det at singular matrices: its exact route (cofactors from the SVD) is NumPy's; on CuPy "
        "det keeps the inverse rule, which needs a non-singular matrix",
    ),
    **dict.fromkeys(
        [
            "linalg.det_cofactors", "linalg.det_cofactors_nonsingular", "linalg.det_cofactors_2x2",
            "linalg.det_hessian", "linalg.det_hessian_4x4", "linalg.det_third",
        ],
        "the cofactor primitives of det's singular route run on NumPy only "
        "(on CuPy det keeps the inverse rule)",
    ),
    "getitem_tensor_mask": "a boolean mask held in a CuPy tensor gives a shape that depends on its values; "
    "tapegrad asks to compute it first",
}


@pytest.mark.parametrize("spec, shapes", row_params(CUPY_SKIPS))
def test_row_on_cupy_equals_numpy(spec, shapes):
    ref_outs, ref_grads = run(spec, shapes, lambda a: a)
    outs, grads = run(spec, shapes, cupy.asarray)
    for t in outs + grads:
        if t.dtype.kind == "f":
            assert isinstance(t.array, cupy.ndarray), f"{spec.name}: a float result left the GPU"
    for want, got in zip(ref_outs + ref_grads, outs + grads, strict=True):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12, err_msg=spec.name)


def test_mlp_step_float32_on_the_gpu_equals_numpy():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((256, 32)).astype(np.float32), rng.standard_normal((256, 1)).astype(np.float32)
    w1, w2 = (rng.standard_normal(s).astype(np.float32) * 0.1 for s in ((32, 64), (64, 1)))

    def step(to):
        a, b = tg.Variable(to(w1)), tg.Variable(to(w2))
        with tg.GradientTape() as tape:
            loss = tg.reduce_mean((tg.tanh(tg.constant(to(x)) @ a) @ b - tg.constant(to(y))) ** 2)
        return [g.numpy() for g in tape.gradient(loss, [a, b])]

    for got, want in zip(step(cupy.asarray), step(lambda v: v), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def test_mixing_cupy_with_dask_is_a_clear_error():
    da = pytest.importorskip("dask.array")
    a = tg.constant(cupy.ones(3))
    b = tg.constant(da.ones(3, chunks=2))
    with pytest.raises(TypeError, match="cannot mix arrays of cupy and dask"):
        a + b
