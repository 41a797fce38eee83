"""A compiled function lets its trace's values go, its inputs' too (it keeps its constants),
code generated again from the slimmed program is the same text as from the full trace, and each
distinct text is compiled once per process."""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import tapegrad as tg
import tapegrad._function._concrete as concrete
from tapegrad._function._codegen import generate


def _chain(x):
    y = x
    for _ in range(10):
        y = tg.tanh(y) * 1.5
    return tg.sum(y)


def test_intermediate_values_are_not_held():
    x = tg.constant(np.random.default_rng(0).standard_normal((500, 500)))  # 2 MB, 20 ops
    f = tg.function(_chain)
    gc.collect()
    tracemalloc.start()
    try:
        first = f(x)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held < 1_000_000, f"tg.function holds {held / 1e6:.1f} MB after its first call (20 values of 2 MB)"
    assert float(first) == float(_chain(x)) == float(f(x))
    with tg.GradientTape() as tape:  # the derivative code is generated after the values went
        tape.watch(x)
        y = f(x)
    with tg.GradientTape() as eager:
        eager.watch(x)
        ye = _chain(x)
    assert np.array_equal(tape.gradient(y, x).numpy(), eager.gradient(ye, x).numpy())


def test_inputs_are_not_held():
    """A tg.function used to keep its first call's inputs (and Variables' values) to trace its
    derivatives later; they are now traced on the inputs of the call that needs them."""
    rng = np.random.default_rng(2)
    w = tg.Variable(rng.standard_normal((300, 300)))

    def loss(x):
        y = tg.tanh(x @ w)
        if tg.reduce_sum(y) > -1e9:  # a guard: the derivative's trace must follow the same path
            return tg.reduce_sum(y * y)
        return tg.reduce_sum(y)

    f = tg.function(loss)
    first = rng.standard_normal((300, 300))
    alive = weakref.ref(first)
    old_w = weakref.ref(w.numpy())
    f(tg.constant(first))
    w.assign(rng.standard_normal((300, 300)))
    del first
    gc.collect()
    assert alive() is None and old_w() is None
    for _ in range(3):  # the derivatives, first traced now (and the backward of a subset of outputs)
        x = tg.constant(rng.standard_normal((300, 300)))
        with tg.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = f(x)
        with tg.GradientTape() as eager:
            eager.watch(x)
            ye = loss(x)
        assert float(y) == float(ye)
        got = tape.gradient(y, [x, w])
        want = eager.gradient(ye, [x, w])
        assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(got, want))
        with tg.ForwardAccumulator(x, tg.ones_like(x)) as acc:
            yf = f(x)
        with tg.ForwardAccumulator(x, tg.ones_like(x)) as acc_e:
            yfe = loss(x)
        assert float(acc.jvp(yf)) == float(acc_e.jvp(yfe))


def _programs():
    rng = np.random.default_rng(1)
    a = tg.constant(rng.standard_normal((40, 40)) / 10)
    v = tg.constant(rng.standard_normal(40))
    m = tg.constant(rng.standard_normal((40, 40)))
    w = tg.Variable(rng.standard_normal(200))

    def reverse_jacobian(x):  # diagonal products and seeds of ones
        return tg.jacobian(lambda u: tg.tanh(a @ u) ** 2)(x)

    def hessian(x):
        return tg.hessian(lambda u: tg.sum(tg.sin(a @ u) ** 2))(x)

    def identity_guard_and_several_outputs(s):
        e = tg.stop_gradient(s @ tg.transpose(s)) + s
        w_, q = tg.linalg.eigh(e + tg.transpose(e))
        if tg.reduce_sum(q) > -1e9:  # a guard
            return tg.reduce_sum(q * q) + w_[0]
        return w_[0]

    def variable_update(x):
        w.assign_add(tg.tanh(x) * 0.1)
        return tg.reduce_sum(w * w)

    return [
        (reverse_jacobian, (v,)),
        (hessian, (v,)),
        (identity_guard_and_several_outputs, (m,)),
        (variable_update, (tg.constant(rng.standard_normal(200)),)),
    ]


@pytest.mark.parametrize("index", range(4))
def test_code_generated_again_is_the_same_text(index, monkeypatch):
    fn, args = _programs()[index]
    kept = {}

    def keep_all(lines, values):  # the full trace: nothing forgotten
        kept["full"] = True

    full_c = tg.function(fn)
    with monkeypatch.context() as patch:
        patch.setattr(concrete, "forget_values", keep_all)
        full = full_c.get_concrete_function(*args)
    assert kept["full"]
    slim = tg.function(fn).get_concrete_function(*args)
    assert slim.values.keys() == full.values.keys()

    def stand_ins(c):
        return [n for n, x in c.values.items() if isinstance(x, np.ndarray) and x.size > 1 and not any(x.strides)]

    assert stand_ins(slim) and not stand_ins(full)

    def pure_text(c):
        from tapegrad._function._trace import Load

        lines = [x for x in c.lines if x.__class__ is not Load]
        return generate(lines, c.pure_inputs(), [], {}, c.value_names, c.values, title="forward")[0]

    def text(c):
        return generate(c.lines, c.params, c.slots, {}, c.value_names, c.values, title="forward")[0]

    assert text(slim) == text(full)
    if not full.changes_state:
        assert pure_text(slim) == pure_text(full)


@pytest.mark.compiled_only
def test_same_text_compiles_once_and_tracebacks_show_the_generated_lines():
    from tapegrad._function._codegen import _code

    def body(x):
        return tg.log(x) * 2.0

    before = _code.cache_info()
    for n in (3, 4):  # a new shape: the same text (shapes are in the header only)
        tg.function(body)(tg.constant(np.linspace(1.0, 2.0, n)))
    after = _code.cache_info()
    assert after.misses - before.misses == 1 and after.hits - before.hits == 1

    f = tg.function(lambda x, i: x[i])  # an IndexError raised inside generated code compiled once
    f(tg.constant(np.arange(3.0)), 1)
    import traceback

    with pytest.raises(IndexError) as info:
        f.get_concrete_function(tg.constant(np.arange(3.0)), 1).fn(np.arange(1.0))
    text = "".join(traceback.format_exception(info.value))
    assert "<tg.function #" in text and "v0 = tg_getitem(x0, index=1)" in text
