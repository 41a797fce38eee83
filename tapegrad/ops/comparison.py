"""Ops with boolean or integer results: comparisons, logic, tests, arg-reductions. Never recorded."""

from __future__ import annotations

import numpy as np

from tapegrad._primitive import nondifferentiable

__all__ = [
    "equal",
    "not_equal",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
    "logical_not",
    "isfinite",
    "isnan",
    "isinf",
    "argmax",
    "argmin",
    "argsort",
]

equal = nondifferentiable(np.equal, "equal")
not_equal = nondifferentiable(np.not_equal, "not_equal")
less = nondifferentiable(np.less, "less")
less_equal = nondifferentiable(np.less_equal, "less_equal")
greater = nondifferentiable(np.greater, "greater")
greater_equal = nondifferentiable(np.greater_equal, "greater_equal")
logical_and = nondifferentiable(np.logical_and, "logical_and")
logical_or = nondifferentiable(np.logical_or, "logical_or")
logical_xor = nondifferentiable(np.logical_xor, "logical_xor")
logical_not = nondifferentiable(np.logical_not, "logical_not")
isfinite = nondifferentiable(np.isfinite, "isfinite")
isnan = nondifferentiable(np.isnan, "isnan")
isinf = nondifferentiable(np.isinf, "isinf")
argmax = nondifferentiable(np.argmax, "argmax")
argmin = nondifferentiable(np.argmin, "argmin")
argsort = nondifferentiable(np.argsort, "argsort")
