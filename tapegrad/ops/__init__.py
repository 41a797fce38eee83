"""THE rule table, one family of ops per module.

Importing this package registers every family's public ops in the namespace that Tensor's
operators use, and maps NumPy ufuncs and functions to them for ``__array_ufunc__`` and
``__array_function__``. A NumPy entry point not mapped here raises a clear TypeError.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from tapegrad import _tensor
from tapegrad._primitive import Primitive
from tapegrad.ops import (
    activations,
    comparison,
    creation,
    decompositions,
    elementwise,
    extra_elementwise,
    fft,
    linalg,
    reduce,
    running_extremes,
    shape,
    ufunc_methods,
)
from tapegrad.ops import complex as complex_parts  # noqa: I001  (after the families its rules use)

FAMILIES: tuple[ModuleType, ...] = (
    elementwise,
    activations,
    reduce,
    shape,
    linalg,
    comparison,
    creation,
    complex_parts,
    extra_elementwise,
    fft,
    decompositions,  # tapegrad.numpy's families
    running_extremes,
)


def primitives() -> list[Primitive]:
    """Every primitive of the rule table (what the rule-table test walks)."""
    seen: dict[int, Primitive] = {}
    for family in FAMILIES:
        for value in vars(family).values():
            if isinstance(value, Primitive):
                seen[id(value)] = value
    return list(seen.values())


def _register(family: ModuleType) -> None:
    for name in family.__all__:
        op = getattr(family, name)
        setattr(_tensor.ops, name, op)
        if isinstance(op, Primitive) and isinstance(op.impl, np.ufunc):
            _tensor.UFUNCS[op.impl] = op
    _tensor.UFUNCS.update(getattr(family, "NUMPY_UFUNCS", {}))  # ops whose impl is not the ufunc itself
    _tensor.FUNCTIONS.update(getattr(family, "NUMPY_FUNCTIONS", {}))


for _family in FAMILIES:
    _register(_family)
_tensor.ops.getitem = shape.getitem
_tensor.ops.ufunc_method = ufunc_methods.call
