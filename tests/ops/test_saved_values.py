"""Records keep only what the rules read: every row of the spec table still differentiates right.

The spec rows use small arrays, which records keep whole (``SMALL_ARRAY_BYTES``); here the
threshold is 0, so every array a rule does not declare as read becomes a ``Meta`` stand-in. A rule
that reads more than its inferred ``reads`` fails here (a TypeError on the stand-in, or a wrong
value), in reverse mode, forward mode over the records, and reverse-over-reverse.
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import _primitive
from tapegrad._primitive import Meta, rule_reads
from tests.ops.spec import arguments, cases_of
from tests.ops.test_rule_table import all_specs

SPECS = []  # this module checks the other modules' rows; it adds none


@pytest.fixture
def keep_nothing_spare(monkeypatch):
    monkeypatch.setattr(_primitive, "SMALL_ARRAY_BYTES", 0)


def _weighted(fn, weights):
    def f(*xs):
        return tg.sum(fn(*xs) * weights)

    return f


def _gradient_of_one(f, args, i):
    """The gradient w.r.t. argument i alone (the others are constants, so records slim most)."""
    xs = [tg.constant(a) for a in args]
    with tg.GradientTape() as tape:
        tape.watch(xs[i])
        y = f(*xs)
    g = tape.gradient(y, xs[i])
    return None if g is None else g.numpy()


def _second_order_of_one(f, args, i, direction):
    """d/dx_i <grad_i f, direction> by nested tapes (the outer tape records the inner's rules)."""
    xs = [tg.constant(a) for a in args]
    with tg.GradientTape() as outer:
        outer.watch(xs[i])
        with tg.GradientTape() as inner:
            inner.watch(xs[i])
            y = f(*xs)
        g = inner.gradient(y, xs[i])
        if g is None:
            return None
        z = tg.sum(g * direction)
    h = outer.gradient(z, xs[i])
    return None if h is None else h.numpy()


def _forward_of_one(f, args, i):
    xs = [tg.constant(a) for a in args]
    return tg.jacobian(lambda v: f(*xs[:i], v, *xs[i + 1 :]), mode="forward")(xs[i]).numpy()


def _spec_rows():
    return [p for p in cases_of(all_specs())]


@pytest.mark.parametrize("spec, shapes", _spec_rows())
def test_slim_records_give_the_same_derivatives(spec, shapes, monkeypatch):
    args = arguments(spec, shapes)
    weights = np.random.default_rng(1).uniform(0.5, 1.5, size=np.shape(spec.fn(*[tg.constant(a) for a in args])))
    f = _weighted(spec.fn, weights)
    directions = [np.random.default_rng(2 + i).uniform(-1, 1, size=np.shape(a)) for i, a in enumerate(args)]
    results = {}
    for threshold in (np.inf, 0):  # everything kept, then only what the rules read
        monkeypatch.setattr(_primitive, "SMALL_ARRAY_BYTES", threshold)
        results[threshold] = [
            (
                _gradient_of_one(f, args, i),
                _forward_of_one(f, args, i),
                _second_order_of_one(f, args, i, directions[i]) if spec.smooth else None,
            )
            for i in range(len(args))
        ]
    for full, slim in zip(results[np.inf], results[0]):
        for a, b in zip(full, slim):
            if a is None or b is None:
                assert a is None and b is None
            else:
                np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


def test_a_chain_keeps_only_the_values_its_rules_read(keep_nothing_spare):
    x = tg.constant(np.linspace(0.0, 1.0, 1000))
    with tg.GradientTape() as tape:
        tape.watch(x)
        s = tg.sin(x)  # sin's rule reads x, not its output
        y = s * 1.01  # multiply's rule for s reads only the constant 1.01
        dead = weakref.ref(s._value)
        del s
        loss = tg.sum(y)
    gc.collect()
    assert dead() is None, "the sin output was kept although no rule reads it"
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), 1.01 * np.cos(np.linspace(0.0, 1.0, 1000)))


def test_records_keep_what_the_rules_read(keep_nothing_spare):
    x = tg.constant(np.linspace(0.0, 1.0, 10))
    with tg.GradientTape() as tape:
        tape.watch(x)
        tg.exp(x)  # reads its output
        tg.sin(x)  # reads its input
    (exp_record, sin_record) = tape.records
    assert exp_record.kept == ((False,), (True,)) and isinstance(exp_record.vals[0], Meta)
    assert sin_record.kept == ((True,), (False,)) and isinstance(sin_record.ans, Meta)


def test_rule_reads_follows_the_signature():
    """A parameter named ``_...`` is promised unread (beyond shape and dtype); no bytecode is read."""
    assert rule_reads(lambda g, _ans, _x, y: g * y + _x.shape[0], 2) == (frozenset({1}), False)
    assert rule_reads(lambda g, ans, _x: g * ans, 2) == (frozenset(), True)
    assert rule_reads(lambda _ans, x, y: x / y, 1) == (frozenset({0, 1}), False)

    def uses_star(g, ans, *args):
        return g * args[0]

    def ignores_star(g, ans, *_args):
        return g * ans

    assert rule_reads(uses_star, 2) is None  # cannot tell: the record keeps everything
    assert rule_reads(ignores_star, 2) == (frozenset(), True)
    assert rule_reads(len, 2) is None


def test_meta_describes_the_value_it_stands_for():
    m = Meta(np.zeros((3, 4), dtype=np.float32))
    assert (m.shape, m.dtype, m.ndim, m.size) == ((3, 4), np.float32, 2, 12)
    assert "not kept" in repr(m)
