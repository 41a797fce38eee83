"""Walks the rule table: every differentiable primitive must have a row in some family's SPECS."""

from __future__ import annotations

import importlib
import pkgutil

import tests.ops as op_tests
from tapegrad import ops


def all_specs():
    specs = []
    for info in pkgutil.iter_modules(op_tests.__path__):
        if info.name.startswith("test_") and info.name != "test_rule_table":
            module = importlib.import_module(f"tests.ops.{info.name}")
            specs.extend(getattr(module, "SPECS", []))
    return specs


def test_every_differentiable_primitive_has_a_checked_row():
    covered = {name for spec in all_specs() for name in spec.covered()}
    missing = sorted(p.name for p in ops.primitives() if p.differentiable and p.name not in covered)
    assert not missing, f"primitives without a gradient-check row in tests/ops: {missing}"


def test_every_differentiable_primitive_declares_a_jvp():
    missing = sorted(
        p.name for p in ops.primitives() if p.differentiable and p.jvps is None and p.joint_jvp is None
    )
    assert not missing, f"primitives without a JVP rule: {missing}"


def test_float_out_primitives_give_floats_from_mixed_inputs():
    """``float_out`` lets recorders skip the dtype check, so it must hold: float in -> float out."""
    import numpy as np

    import tapegrad as tg

    checked = 0
    for p in ops.primitives():
        if not p.float_out:
            continue
        arity = len(p.vjps)
        for tracked in range(arity):
            args = [tg.constant(np.full((2, 2), 3, dtype=np.int32)) for _ in range(arity)]
            args[tracked] = tg.constant(np.full((2, 2), 0.5))
            try:
                with np.errstate(all="ignore"):  # values outside a domain (arccosh(0.5)) do not matter here
                    out = p(*args)
            except (TypeError, ValueError):  # not defined for this dtype mix (e.g. where's condition)
                continue
            assert out.dtype.kind in "fc", (p.name, tracked, out.dtype)
            checked += 1
    assert checked > 40


def test_unary_elementwise_gradients_keep_float32():
    """Unary elementwise rules skip unbroadcast (the output is shaped like the input), so the rule's
    own result must already have the input's shape and dtype, float32 included (gradient() would
    hide a float64 result by casting at the end, so the rules are called directly)."""
    import numpy as np

    from tapegrad._context import RAW, recorders_set_to

    checked = 0
    for p in ops.primitives():
        if not (p.float_out and p.vjps is not None and len(p.vjps) == 1):
            continue
        for shape in ((), (2, 3)):
            x = np.full(shape, 0.5, dtype=np.float32)
            x = x if x.ndim else x[()]
            with recorders_set_to(RAW), np.errstate(all="ignore"):
                ans = p.impl(x)
                if ans.dtype != np.float32:
                    continue
                g = p.vjps[0](np.ones_like(ans), ans, x)
            assert g.dtype == np.float32 and np.shape(g) == shape, (p.name, g.dtype, np.shape(g))
            checked += 1
    assert checked > 40


def test_complex_flag_is_what_the_spec_table_checks():
    """``prim.complex`` (the docs' complex column) is True exactly for the differentiable primitives
    with a complex row in the spec table (run to second order in both modes): a flag cannot claim
    what no test checks, and a checked op cannot be missing from the column."""
    checked = {name for spec in all_specs() if spec.complex for name in spec.covered()}
    differentiable = [p for p in ops.primitives() if p.differentiable]
    claimed_unchecked = sorted(p.name for p in differentiable if p.complex and p.name not in checked)
    checked_unclaimed = sorted(p.name for p in differentiable if not p.complex and p.name in checked)
    assert not claimed_unchecked, f"complex=True but no complex row in tests/ops: {claimed_unchecked}"
    assert not checked_unclaimed, f"a complex row in tests/ops but complex=False: {checked_unclaimed}"
    assert not any(p.complex for p in ops.primitives() if not p.differentiable)
    assert 40 < sum(p.complex for p in differentiable) < len(differentiable)
