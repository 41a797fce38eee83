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
