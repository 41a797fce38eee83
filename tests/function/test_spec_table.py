"""Every spec-table row through tg.function equals eager to the last bit in float64: the value,
reverse mode, forward mode and second order (compiled calls under tapes and accumulators, and
tg.function of the derivative computations themselves)."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
from tests.ops.spec import arguments, cases_of
from tests.ops.test_rule_table import all_specs

SPECS = all_specs()


def bits(x):
    """Exact comparison key: None, or the value's dtype, shape and bytes."""
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return [bits(v) for v in x]
    a = np.asarray(x)
    return (a.dtype.str, a.shape, a.tobytes())


def same(got, want):
    assert bits(got) == bits(want)


def _target(y):
    return y if isinstance(y, tg.Tensor) else y[0]


def reverse(fn, xs, v):
    with tg.GradientTape() as tape:
        tape.watch(xs)
        y = _target(fn(*xs))
    return tape.gradient(y, xs, output_gradients=v)


def forward(fn, xs, ts):
    with tg.ForwardAccumulator(xs, ts) as acc:
        y = _target(fn(*xs))
    return acc.jvp(y)


def second(fn, xs, v, u):
    """d/dx <v, J(x)^T ...> : the gradient of <grad(<y, v>), u> (reverse over reverse)."""
    with tg.GradientTape() as outer:
        outer.watch(xs)
        with tg.GradientTape() as inner:
            inner.watch(xs)
            y = _target(fn(*xs))
        gs = inner.gradient(y, xs, output_gradients=v)
        total = sum(tg.sum(g * w) for g, w in zip(gs, u) if g is not None)
    if not isinstance(total, tg.Tensor):
        return [None for _ in xs]
    return outer.gradient(total, xs)


@pytest.mark.parametrize("spec, shapes", cases_of(SPECS))
def test_compiled_equals_eager(spec, shapes):
    args = arguments(spec, shapes)
    xs = [tg.constant(a) for a in args]
    rng = np.random.default_rng(1)
    eager_y = spec.fn(*xs)
    compiled = tg.function(spec.fn)
    same(np.asarray(_target(compiled(*xs))), np.asarray(_target(eager_y)))  # the trace
    same(np.asarray(_target(compiled(*xs))), np.asarray(_target(eager_y)))  # the generated code
    y = np.asarray(_target(eager_y))
    v = tg.constant(rng.standard_normal(y.shape).astype(y.dtype if y.dtype.kind in "fc" else np.float64))
    ts = [tg.constant(rng.standard_normal(a.shape).astype(a.dtype if a.dtype.kind in "fc" else np.float64))
          for a in args]
    same(reverse(compiled, xs, v), reverse(spec.fn, xs, v))
    same(forward(compiled, xs, ts), forward(spec.fn, xs, ts))
    if spec.smooth:
        same(second(compiled, xs, v, ts), second(spec.fn, xs, v, ts))
    assert compiled.experimental_get_tracing_count() == 1  # every call above ran generated code
    (concrete,) = next(iter(compiled._cache.values()))
    assert concrete._taped is not None or not concrete.value_names  # ... the backward under the tapes too
    # the derivative computations compiled as a whole
    compiled_reverse = tg.function(lambda *a: reverse(spec.fn, list(a[:-1]), a[-1]))
    for _ in range(2):
        same(compiled_reverse(*xs, v), reverse(spec.fn, xs, v))
    compiled_forward = tg.function(lambda *a: forward(spec.fn, list(a[: len(xs)]), list(a[len(xs):])))
    for _ in range(2):
        same(compiled_forward(*xs, *ts), forward(spec.fn, xs, ts))


def _first_cases(specs):
    """One case per row (its first shapes, real), for the slower checks below."""
    seen, params = set(), []
    for p in cases_of(specs):
        if p.values[0].name not in seen and not p.id.endswith("-complex"):
            seen.add(p.values[0].name)
            params.append(p)
    return params


@pytest.mark.compiled_only  # (calls under recorders run the same code either way)
@pytest.mark.parametrize("as_arguments", [False, True], ids=["closed over", "as arguments"])
@pytest.mark.parametrize("spec, shapes", _first_cases(SPECS))
def test_compiled_over_variables_equals_eager(spec, shapes, as_arguments):
    """Every row with its inputs as Variables (closed over: read at call time; or passed), called
    under a tape and under a forward accumulator twice each (the first traces the derivative code,
    the second runs it), the Variables changing between calls: eager's bits. (A name clash made
    gradients reading a Variable after its first op wrong; a Variable's value returned as read had
    no gradient.)"""
    args = arguments(spec, shapes)
    vs = [tg.Variable(a) for a in args]
    if as_arguments:
        body, call = (lambda *v: _target(spec.fn(*v))), vs
    else:
        body, call = (lambda: _target(spec.fn(*vs))), []
    compiled = tg.function(body)
    compiled(*call)
    for k in range(2):
        ts = [tg.constant(np.full(a.shape, 0.5 + k)) for a in args]
        results = []
        for fn in (compiled, body):
            with tg.ForwardAccumulator(vs, ts) as acc:
                y = fn(*call)
            with tg.GradientTape() as tape:
                y2 = fn(*call)
            results.append(bits([y, acc.jvp(y), y2, *tape.gradient(y2, vs)]))
        assert results[0] == results[1]
        if spec.make_args is None:  # (structured inputs keep their structure)
            for v, a in zip(vs, args):
                v.assign(a * (1.0 + 0.01 * (k + 1)))
