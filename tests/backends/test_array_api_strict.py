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
    **{
        spec.name: "the array API standard has no einsum"
        for spec in all_specs()
        if spec.name.startswith("einsum")
    },
    "gelu_exact": "the array API standard has no erfc (tg.normal_cdf)",
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
