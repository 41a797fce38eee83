"""The op-test spec table format: one row per op, crossed with shapes (like JAX's lax_autodiff_test).

Each family's test module defines ``SPECS = [OpSpec(...), ...]`` and runs ``check_spec`` on every
(spec, case). ``test_rule_table.py`` walks the rule table and fails if a primitive has no row.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

import numpy as np
import pytest

from tapegrad.checking import check_grads

SCALAR, VECTOR, MATRIX = (), (3,), (2, 3)
UNARY_SHAPES = [(SCALAR,), (VECTOR,), (MATRIX,)]
BINARY_SHAPES = [
    (SCALAR, SCALAR), (VECTOR, VECTOR), (MATRIX, MATRIX), (MATRIX, VECTOR), ((2, 1), (1, 3)), (SCALAR, MATRIX),
]


@dataclass
class OpSpec:
    """One row: a function of float64 arrays built from tapegrad ops, checked in every case.

    fn          the function under test; takes and returns tapegrad values
    cases       argument shapes per case, e.g. [((3,),), ((2, 3), (3,))]
    primitives  names of the rule-table primitives this row exercises (default: ``name``)
    domain      interval the random arguments are drawn from
    smooth      also check second order (VJP of VJP, JVP of VJP, ...)
    make_args   optional (rng, shapes) -> list of arrays, for inputs needing structure (SPD, ...)
    reference   optional NumPy function: the forward value must equal it
    complex     also run every case with complex128 arguments (a second case per shape, id suffix
                ``-complex``): real parts as for the real case, imaginary parts drawn the same way;
                check_grads then checks along the real and the imaginary directions
    dtype       the arguments' dtype in this case (set by ``cases_of``)
    """

    name: str
    fn: Callable[..., Any]
    cases: Sequence[tuple] = field(default_factory=lambda: UNARY_SHAPES)
    primitives: tuple[str, ...] = ()
    domain: tuple[float, float] = (-2.0, 2.0)
    smooth: bool = True
    make_args: Callable[..., list] | None = None
    reference: Callable[..., Any] | None = None
    rtol: float = 1e-6
    atol: float = 1e-6
    complex: bool = False
    dtype: str = "float64"

    def covered(self) -> tuple[str, ...]:
        return self.primitives or (self.name,)


def also_complex(specs: Sequence[OpSpec], *, names: Sequence[str] = (), exclude: Sequence[str] = ()) -> list[OpSpec]:
    """The rows, with those in ``names`` (all but ``exclude`` when ``names`` is empty) also checked with
    complex arguments."""
    chosen = (lambda n: n in names) if names else (lambda n: n not in exclude)
    return [replace(spec, complex=True) if chosen(spec.name) else spec for spec in specs]


def cases_of(specs: Sequence[OpSpec]) -> list:
    """pytest parameters: one per (spec, case), with readable ids."""
    params = []
    for spec in specs:
        for shapes in spec.cases:
            case = f"{spec.name}-{'x'.join(str(s) for s in shapes)}"
            params.append(pytest.param(spec, shapes, id=case))
            if spec.complex:
                params.append(pytest.param(replace(spec, dtype="complex128"), shapes, id=f"{case}-complex"))
    return params


def arguments(spec: OpSpec, shapes: tuple, seed: int = 0) -> list[np.ndarray]:
    real = _real_arguments(spec, shapes, seed)
    if spec.dtype != "complex128":
        return real
    imaginary = _real_arguments(spec, shapes, seed + 1000)
    # arguments the real case draws as integers (indices, counts) stay real
    return [a + 1j * b if a.dtype.kind == "f" else a for a, b in zip(real, imaginary)]


def _real_arguments(spec: OpSpec, shapes: tuple, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    if spec.make_args is not None:
        return [np.asarray(a, dtype=np.float64) for a in spec.make_args(rng, shapes)]
    lo, hi = spec.domain
    return [rng.uniform(lo, hi, size=s) for s in shapes]


def check_spec(spec: OpSpec, shapes: tuple) -> None:
    """Reverse and forward mode against central differences, <v,Ju> == <J^T v,u>, and order 2."""
    args = arguments(spec, shapes)
    if spec.reference is not None:
        import tapegrad as tg

        got = np.asarray(spec.fn(*[tg.constant(a) for a in args]))
        np.testing.assert_allclose(got, spec.reference(*args), rtol=1e-12, atol=1e-12)
    check_grads(spec.fn, *args, order=2 if spec.smooth else 1, rtol=spec.rtol, atol=spec.atol)
