"""tapegrad.numpy functions whose Python code reads values (NaN masks, sort orders, ranks) are guarded
inside tg.function: a new value takes a new branch, never the order or mask of the traced call."""

from __future__ import annotations

import warnings

import numpy as onp
import pytest

import tapegrad as tg
import tapegrad.numpy as tnp

CASES = [
    ("nanmean", lambda a: tnp.nanmean(a), [1.0, onp.nan, 3.0], [onp.nan, 5.0, 7.0]),
    ("sort", lambda a: tnp.sort(a) * 1.0, [3.0, 1.0, 2.0], [1.0, 3.0, 2.0]),
    ("argsort", lambda a: tnp.take(a, tnp.argsort(a)), [3.0, 1.0, 2.0], [2.0, 3.0, 1.0]),
    ("take_along_axis", lambda a: tnp.take_along_axis(a, tnp.argsort(a), 0), [3.0, 1.0, 2.0], [2.0, 3.0, 1.0]),
    ("matrix_rank", lambda a: a * tnp.linalg.matrix_rank(tnp.reshape(a, (2, 2))), [1.0, 2.0, 2.0, 4.0],
     [1.0, 2.0, 3.0, 4.0]),
]


@pytest.mark.parametrize("name, fn, first, second", CASES, ids=[c[0] for c in CASES])
def test_compiled_equals_eager_on_new_values(name, fn, first, second):
    compiled = tg.function(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tg.FunctionWarning)
        for values in (first, second, first):
            a = tnp.array(values)
            onp.testing.assert_array_equal(compiled(a).numpy(), fn(a).numpy())
