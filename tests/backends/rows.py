"""The spec table's rows run on another array library, against the same rows on NumPy.

Each row's function runs on tensors holding the backend's arrays, under a tape; its forward value
and its VJP (for a fixed random cotangent) must equal the NumPy run's on the same numbers.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Callable

import numpy as np
import pytest

import tapegrad as tg
from tests.ops.spec import arguments


def all_specs() -> list:
    """Every row of the spec table: the SPECS of each module under tests/ops (as test_rule_table)."""
    import tests.ops as op_tests

    specs = []
    for info in pkgutil.iter_modules(op_tests.__path__):
        if info.name.startswith("test_") and info.name != "test_rule_table":
            specs.extend(getattr(importlib.import_module(f"tests.ops.{info.name}"), "SPECS", []))
    return specs


def row_params(skips: dict[str, str]) -> list:
    """One pytest param per (row, case); rows named in ``skips`` are skipped with their reason."""
    params = []
    for spec in all_specs():
        marks = [pytest.mark.skip(reason=f"{spec.name}: {skips[spec.name]}")] if spec.name in skips else []
        for shapes in spec.cases:
            params.append(
                pytest.param(spec, shapes, id=f"{spec.name}-{'x'.join(str(s) for s in shapes)}", marks=marks)
            )
    return params


def _leaves(out: Any) -> list:
    if isinstance(out, (list, tuple)):
        return [x for o in out for x in _leaves(o)]
    return [out]


def run(spec: Any, shapes: tuple, convert: Callable[[np.ndarray], Any]) -> tuple[list, list]:
    """(outputs, gradients) of a row's function on ``convert``-ed arguments: tensors, as tapegrad gives them.

    The cotangent of each output is a fixed random array (converted too); the gradient is taken
    with respect to every argument.
    """
    args = [tg.constant(convert(a)) for a in arguments(spec, shapes)]
    with tg.GradientTape(persistent=True) as tape:
        for a in args:
            tape.watch(a)
        outs = [o for o in _leaves(spec.fn(*args)) if isinstance(o, tg.Tensor)]
    rng = np.random.default_rng(1)
    floats = [o for o in outs if np.dtype(getattr(o.dtype, '_np_dtype', o.dtype)).kind == "f"]
    seeds = [tg.constant(convert(rng.standard_normal(o.shape))) for o in floats]
    if floats:
        grads = tape.gradient(floats, args, output_gradients=seeds, unconnected_gradients="zero")
    else:
        grads = []
    return outs, list(grads)
