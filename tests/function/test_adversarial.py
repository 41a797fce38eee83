"""Differential tests of tg.function against eager: each calls one Python function through
tg.function (the trace, the calls that run the program, the generated code) and eagerly, on
inputs that change between calls, and compares values and derivatives bit for bit. Each test
names the defect it was written for."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import tapegrad as tg
from tapegrad._structure import flatten
from tests.function.test_spec_table import bits

CALLS = 12  # the trace, the calls that run the program line by line (or its code), the generated code


def c64(v):
    return tg.constant(np.asarray(v, dtype=np.float64))


def _xs(n, shape=(3,)):
    return [c64(np.random.default_rng(k).standard_normal(shape)) for k in range(n)]


def _key(result):
    """Exact comparison key of a nested result: its structure, each leaf's type and bits."""
    leaves, treedef = flatten(result)
    return treedef, [(type(x).__name__, bits(np.asarray(x)) if x is not None else None) for x in leaves]


def _differential(build, run, calls=CALLS):
    """``build()`` makes a fresh (function, state) pair; ``run(f, state, k)`` makes call k. The same
    calls through tg.function and eagerly give the same bits."""
    fn_c, state_c = build()
    fn_e, state_e = build()
    compiled = tg.function(fn_c)
    for k in range(calls):
        assert _key(run(compiled, state_c, k)) == _key(run(fn_e, state_e, k)), f"call {k}"
    return compiled


def test_the_same_variable_passed_twice():
    """``f(w, w)``: the generated code had the parameter ``w0`` twice (a SyntaxError at the call
    that generates it); the Variable is now one parameter."""

    def build():
        w = tg.Variable(np.array([1.0, 2.0, 3.0]))

        def fn(a, b, x):
            a.assign_add(x)
            return tg.reduce_sum(b * x)

        return fn, w

    def run(f, w, k):
        x = _xs(CALLS)[k]
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = f(w, w, x)
        return [y, tape.gradient(y, [x, w]), w.numpy()]

    compiled = _differential(build, run)
    assert compiled.experimental_get_tracing_count() == 1


def test_a_numpy_array_passed_twice():
    """``f(a, a)`` with a NumPy array: the second occurrence was traced as a constant (its first
    value), so ``f(b, b)`` computed ``b * a``."""
    f = tg.function(lambda p, q: p * q)
    for k in range(CALLS):
        a = np.full(3, 1.0 + k)
        assert bits(f(a, a)) == bits(tg.constant(a) * tg.constant(a))
    assert f.experimental_get_tracing_count() == 1


def test_a_tensor_closed_over_and_passed_to_the_first_call():
    """``f = tg.function(lambda v: v * x0); f(x0); f(x1)``: the trace knew tensors by key, so the
    closure over x0 read the argument, and f(x1) gave x1 * x1. The traced function now receives a
    stand-in for each tensor argument (same value and key): x0 itself is a constant."""
    xs = _xs(CALLS)
    body = lambda v: (v * xs[0], xs[0])  # noqa: E731

    def run(f, _, k):
        x = xs[k % 3]
        with tg.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y, same = f(x)
        return [y, same, tape.gradient(y, x), tape.gradient(y, xs[0])]

    compiled = _differential(lambda: (body, None), run)
    assert compiled.experimental_get_tracing_count() == 1
    returned = compiled(xs[1])
    assert returned[1] is xs[0]
    v = xs[2]
    assert compiled(v)[1] is xs[0] and tg.function(lambda a: a)(v) is v  # (an argument returned is itself)


def test_a_tensor_closed_over_passed_and_differentiated_inside_runs_eagerly():
    """A tape inside the function rebuilds tensors by key: when the argument is also the tensor the
    function closes over, the program cannot tell which one such a read stands for. That trace is
    not kept; a second such trace makes the signature run eagerly (exact)."""
    xs = _xs(CALLS)

    def body(x):
        with tg.GradientTape() as tape:
            tape.watch(xs[0])
            y = tg.reduce_sum(tg.sin(x) * xs[0])
        return tape.gradient(y, xs[0])

    def run(f, _, k):
        return f(xs[0] if k < 3 else xs[k])

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _differential(lambda: (body, None), run)
    assert any(issubclass(w.category, tg.FunctionWarning) and "closes over" in str(w.message) for w in caught)


def test_a_variable_closed_over_and_passed_to_the_first_call():
    """The function reads ``ws[0]`` and takes a Variable: after ``f(ws[0])``, ``f(ws[1])`` read ws[1]
    where the code read ws[0] (one slot for both). Variables passed are now part of the signature
    by identity."""

    def build():
        ws = [tg.Variable(np.array([1.0, 2.0, 3.0]) * (i + 1)) for i in range(3)]

        def fn(v, x):
            v.assign_add(x)
            return tg.reduce_sum(v * x) + tg.reduce_sum(ws[0] * 10.0)

        return fn, ws

    def run(f, ws, k):
        x = _xs(CALLS)[k]
        with tg.GradientTape() as tape:
            y = f(ws[k % 3], x)
        return [y, tape.gradient(y, ws), [w.numpy() for w in ws]]

    compiled = _differential(build, run)
    assert compiled.experimental_get_tracing_count() == 3


def test_a_variable_created_at_every_call_runs_eagerly():
    """``v = tg.Variable(zeros); v.assign_add(x)``: the code read the Variable made by the trace, so
    every later call added to it (eagerly each call starts from zeros). A trace that makes Variables
    is not kept; when the next one makes them too, the signature runs eagerly."""

    def body(x):
        v = tg.Variable(np.zeros(3))
        v.assign_add(x)
        return v.read_value() * 2.0, tg.Variable(x * 3.0)

    def run(f, _, k):
        return f(_xs(CALLS)[k])

    with pytest.warns(tg.FunctionWarning, match="creates tg.Variables at every call"):
        _differential(lambda: (body, None), run)


def test_a_variable_created_at_the_first_call_only_is_compiled():
    """The lazily built layer (``if self.w is None: self.w = tg.Variable(...)``): the trace that made
    the Variable is not kept, the next one is, and later calls run its program."""

    class Layer:
        def __init__(self):
            self.w = None

        def __call__(self, x):
            if self.w is None:
                self.w = tg.Variable(np.full(3, 2.0))
            self.w.assign_add(x)
            return tg.reduce_sum(self.w * x)

    def run(f, layer, k):
        x = _xs(CALLS)[k]
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return [y, tape.gradient(y, x), layer.w.numpy()]

    def build():
        layer = Layer()
        return layer.__call__, layer

    compiled = _differential(build, run)
    assert compiled.experimental_get_tracing_count() == 2
    assert len(compiled._cache) == 1
    layer = Layer()  # get_concrete_function traces twice too
    assert "assign_add" in tg.function(layer.__call__).get_concrete_function(_xs(1)[0]).source  # (its code)


@tg.custom_gradient
def _clipped_sin(x):
    def grad(g):
        return tg.clip(g, -0.1, 0.1) * tg.cos(x)

    return tg.sin(x), grad


def test_custom_gradient_inside():
    """A custom_gradient call is one op whose impl hands out its value once: the program replayed
    it, and the second call raised TypeError ('NoneType' object is not iterable; under a tape,
    AttributeError). Plain calls now run the traced forward; calls under recorders run eagerly (the
    program does not hold the custom gradient), so the gradient is the custom one."""
    xs, ys = _xs(CALLS), _xs(CALLS + 1)[1:]
    body = lambda x, y: tg.reduce_sum(_clipped_sin(x * y) * x)  # noqa: E731

    def run(f, _, k):
        x, y = xs[k], ys[k]
        plain = f(x, y)
        with tg.GradientTape() as outer:
            outer.watch(x)
            with tg.GradientTape() as tape:
                tape.watch([x, y])
                z = f(x, y)
            g = tape.gradient(z, [x, y])
            s = tg.reduce_sum(g[0] * g[1])
        with tg.ForwardAccumulator(x, y) as acc:
            w = f(x, y)
        return [plain, z, g, outer.gradient(s, x), w, acc.jvp(w)]

    compiled = _differential(lambda: (body, None), run)
    assert compiled.experimental_get_tracing_count() == 1
    grad_inside = lambda x, y: tg.grad(lambda a: tg.reduce_sum(_clipped_sin(a * y)))(x)  # noqa: E731
    _differential(lambda: (grad_inside, None), lambda f, _, k: f(xs[k], ys[k]))


def test_recompute_grad_inside_runs_eagerly():
    """recompute_grad computes its forward where the trace cannot see it: the second call raised
    TypeError; the function now runs eagerly (exact), with a warning."""
    block = tg.recompute_grad(lambda x: tg.tanh(x) * tg.sin(x))
    xs = _xs(CALLS)

    def run(f, _, k):
        with tg.GradientTape() as tape:
            tape.watch(xs[k])
            y = f(xs[k])
        return [y, tape.gradient(y, xs[k]), f(xs[k])]

    with pytest.warns(tg.FunctionWarning, match="recompute_grad"):
        _differential(lambda: ((lambda x: block(x) * 2.0), None), run)


def test_a_numpy_argument_returned_is_a_tensor_at_every_call():
    """A NumPy argument is traced as a Tensor (as TensorFlow does): the first call returned it as a
    Tensor, the later calls as the array itself."""
    f = tg.function(lambda a: (a, a * 2.0))
    for k in range(CALLS):
        a = np.full(3, float(k))
        got = f(a)
        assert all(type(x) is tg.Tensor for x in got)
        assert bits(got[0]) == bits(a) and bits(got[1]) == bits(a * 2.0)
        with tg.GradientTape():
            assert type(f(a)[0]) is tg.Tensor


def test_python_float_arguments_minus_zero_and_zero():
    """``f(x, 0.0)`` then ``f(x, -0.0)``: the signature compared Python numbers with ``==`` (-0.0 ==
    0.0), so the second call ran the code made with 0.0 and gave the other signs of zero."""
    f = tg.function(lambda x, s: (x * s, x * s[0] if isinstance(s, tuple) else x))
    x = c64([1.0, -2.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tg.FunctionWarning)  # (each value traces again)
        for s in [0.0, -0.0, 0.0, (-0.0,), (0.0,), 0j, complex(0.0, -0.0), -0.0]:
            assert _key(f(x, s)) == _key(f.python_function(x, s))


def test_nested_tensor_arguments_are_not_flat_ones():
    """``f(x, y)`` then ``f([x, y])`` (or a dict with its keys in another order): the signature of
    tensors in a structure was that of the same tensors passed flat, so the second call ran the
    first call's program on the leaves."""
    xs = _xs(4)
    body = lambda *a: a[0] * 2.0 if len(a) == 2 else a[0][1] * 3.0 if isinstance(a[0], list) else a[0]["b"] - 1.0  # noqa: E731
    f = tg.function(body)
    for args in [(xs[0], xs[1]), ([xs[0], xs[1]],), ({"a": xs[0], "b": xs[1]},), ({"b": xs[2], "a": xs[3]},)] * 3:
        assert bits(f(*args)) == bits(body(*args))


def test_an_op_reading_a_traced_mask_is_guarded():
    """``tg.boolean_mask(x, x > 0)`` reads the mask's array to index: it was traced as a constant
    index (no guard), so later calls summed the entries of the first call's mask. A parameter that
    is a traced value's own array is now guarded as a ``.numpy()`` read."""

    def body(x):
        y = tg.boolean_mask(x, x > 0)
        return tg.reduce_sum(y * y), y.shape[0]

    def run(f, _, k):
        x = _xs(CALLS)[k]
        with tg.GradientTape() as tape:
            tape.watch(x)
            y, n = f(x)
        return [y, n, tape.gradient(y, x)]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tg.FunctionWarning)  # (a new mask is a new path: then eagerly)
        _differential(lambda: (body, None), run)
    f = tg.function(body)
    x = c64([1.0, -2.0, 3.0])
    f(x)
    assert "_bits(" in f.get_concrete_function(x).source


_READS = {
    "tg.Tensor(x)": lambda x: tg.Tensor(x) * 2.0,
    "copy.copy(x)": lambda x: copy.copy(x) * 2.0,
    "copy.deepcopy(x)": lambda x: copy.deepcopy(x) * 2.0,
    "x.array": lambda x: x * float(x.array.sum()),
    "format(x)": lambda x: x * len(f"{x[0]:.3f}"),
    "x.item()": lambda x: x * x.item(0),
    "x.tolist()": lambda x: x * sum(x.tolist()),
}


@pytest.mark.parametrize("read", list(_READS))
def test_values_read_without_an_op_are_guarded(read):
    """These make Python values or new constants from a tensor's value without telling the tracer:
    the trace kept the first call's value (``tg.Tensor(x) * 2`` gave the first x's result at every
    later call). Each now reads the value as ``.numpy()`` does (a guard): a new value traces again."""
    body = _READS[read]
    xs = _xs(CALLS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tg.FunctionWarning)  # (new values: new paths, then eagerly)
        _differential(lambda: (body, None), lambda f, _, k: f(xs[k % 2] if k < 6 else xs[k]))


def test_dask_tensors_of_another_shape_trace_again():
    """The signature of a tensor holding a Dask array was its class alone (the hot path's key for a
    NumPy scalar): a call with another shape ran the program traced for the first
    (``x * x.shape[0]`` gave 3s for five elements)."""
    da = pytest.importorskip("dask.array")
    f = tg.function(lambda x: x * x.shape[0])
    for n in [3, 5, 5, 3, 4]:
        x = tg.constant(da.from_array(np.arange(float(n))))
        (got,) = tg.compute(f(x))
        assert bits(got) == bits(np.arange(float(n)) * n)


def test_an_op_with_a_one_tuple_of_outputs():
    """``tg.where(x > 0)`` (one index array, as a tuple): the code printed ``v1 = np.where(...)``,
    binding the tuple, not ``v1, = ...``: generated plain calls made a Tensor of a tuple, and calls
    under a tape raised AttributeError."""
    body = lambda x: (tg.where(x > 0)[0] * 2, tg.where(x > 0))  # noqa: E731

    def run(f, _, k):
        x = _xs(CALLS)[k]
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return [f(x), y, tape.gradient(y, x)]

    _differential(lambda: (body, None), run)


_STRUCTURAL = {
    "tg.repeat(x, n)": lambda x, n: tg.repeat(x, n),
    "tg.tile(x, [n])": lambda x, n: tg.tile(x, tg.reshape(n, (1,))),
    "tg.fill([n], 2.0)": lambda x, n: tg.fill(tg.stack([n]), 2.0) * x[0],
    "tg.arange(n)": lambda x, n: tg.arange(n) * x[0],
    "tg.pad(x, [[n, n]])": lambda x, n: tg.pad(x, tg.reshape(tg.stack([n, n]), (1, 2))),
    "tg.reduce_sum(m, axis=a)": lambda x, n: tg.reduce_sum(tg.reshape(x, (2, 3)), axis=n % 2),
    "tg.cumsum(m, axis=a)": lambda x, n: tg.cumsum(tg.reshape(x, (2, 3)), axis=n % 2),
    "tg.expand_dims(x, a)": lambda x, n: tg.expand_dims(x, n % 2),
    "tg.array_split(x, n)": lambda x, n: tg.array_split(x, n)[0],
}


@pytest.mark.parametrize("op", list(_STRUCTURAL))
def test_a_tensor_given_to_an_op_as_a_count_axis_or_shape(op):
    """These ops read a tensor's value in Python to make a count, an axis or a shape (a parameter, or
    a constant): the trace did not see the read, and later calls used the first call's value
    (``tg.repeat(x, n)`` repeated by the first n). An integer value that no line of the program
    reads is now guarded, so a new value traces again (then runs eagerly)."""
    body = _STRUCTURAL[op]
    xs = _xs(CALLS, (6,))
    ns = [tg.constant(np.array(k % 3 + 1)) for k in range(CALLS)]

    def run(f, _, k):
        with tg.GradientTape() as tape:
            tape.watch(xs[k])
            y = f(xs[k], ns[k])
        return [y, tape.gradient(y, xs[k])]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tg.FunctionWarning)
        _differential(lambda: (body, None), run)


def test_unused_integer_values_cost_a_check_not_a_trace():
    """The guard of an unread integer value holds while the value does not change: one trace."""
    f = tg.function(lambda x, labels: (x * 2.0, tg.argmax(x)))
    x = _xs(1)[0]
    for _ in range(5):
        f(x, tg.constant(np.array([1, 2])))
    assert f.experimental_get_tracing_count() == 1


def test_a_large_variable_assigned_then_read():
    """``w.assign_add(x); tg.reduce_sum(w * x)`` with w of 1 KiB or more: the code deleted the new
    value after its last read and then stored it into w (UnboundLocalError at the generated call)."""

    def build():
        w = tg.Variable(np.linspace(0.0, 1.0, 500))

        def fn(x):
            w.assign_add(x)
            return tg.reduce_sum(w * x)

        return fn, w

    def run(f, w, k):
        return [f(c64(np.full(500, 0.5 + k))), w.numpy()]

    _differential(build, run)


def test_an_op_that_raises_after_an_assignment():
    """``w.assign_add(x); tg.linalg.inv(m)`` with a singular m: eagerly w has changed when inv
    raises; the program stores new values at its end, so w kept its old value (and every later call
    differed). The assignments made before the op that raised are now stored first."""

    def build():
        w = tg.Variable(np.zeros(2))

        def fn(x, m):
            w.assign_add(x)
            w.assign_add(x * 2.0)
            return tg.linalg.inv(m) * tg.reduce_sum(w)

        return fn, w

    def run(f, w, k):
        m = c64(np.eye(2) * (0.0 if k % 3 == 2 else 1.0 + k))
        try:
            out = f(c64([0.5, k]), m)
        except np.linalg.LinAlgError:  # (eager's message names tg.linalg.inv, the code's is NumPy's)
            out = "LinAlgError"
        return [out, w.numpy()]

    _differential(build, run)


@pytest.mark.parametrize(
    "case",
    ["repeat", "tile", "reduce_sum axis", "arange", "linspace int", "random_normal mean", "fill shape"],
)
def test_a_count_tensor_that_an_op_also_reads(case):
    """``tg.repeat(x, n) * tg.cast(n, tg.float64)``: n is read by the cast, so the guard of unread
    integers did not stand for the count repeat read in Python; later calls repeat by the first n.
    The helpers of tapegrad/ops that read a count, axis, shape or a constant's parameters from a
    tensor now tell the tracer (``value_read``), so each read is guarded."""
    body = {
        "repeat": lambda x, n: tg.repeat(x, n) * tg.cast(n, tg.float64),
        "tile": lambda x, n: tg.tile(x, tg.reshape(n, (1,))) * tg.cast(n, tg.float64),
        "reduce_sum axis": lambda x, n: tg.reduce_sum(tg.reshape(x, (1, 3, 1)) * 1.0, axis=n - 1)
        + tg.cast(n, tg.float64),
        "arange": lambda x, n: tg.reduce_sum(tg.cast(tg.arange(n), tg.float64)) * x + tg.cast(n, tg.float64),
        "linspace int": lambda x, n: tg.cast(tg.linspace(n, n * 4, 3, dtype=tg.int64), tg.float64) * x
        + tg.cast(n, tg.float64),
        "random_normal mean": lambda x, n: tg.random_normal((3,), mean=tg.cast(n, tg.float64), seed=1, dtype=tg.float64)
        * x + tg.cast(n, tg.float64),
        "fill shape": lambda x, n: tg.reduce_sum(tg.fill(tg.reshape(n, (1,)), 2.0)) * x + tg.cast(n, tg.float64),
    }[case]
    f = tg.function(body)
    x = c64([0.0, 1.0, 2.0])
    for k in [1, 2, 1, 3] * 2:
        n = tg.constant(np.array(k))
        assert bits(f(x, n)) == bits(body(x, n))


def test_the_gradient_of_one_output_of_several():
    """A persistent tape, ``tape.gradient`` of one output of a compiled call with two: the backward
    for that output alone was traced again and split as the first (all outputs) was, but its walk
    computes other values under other names: the generated code would have overwritten a value the
    forward returned under that name (an internal RuntimeError). The walk of fewer outputs is now
    the backward code, its values named past the first trace's."""

    def build():
        w = tg.Variable(np.array([1.0, 0.5, -1.0]))
        return (lambda y, v: (y * y, tg.sqrt(tg.abs(v.read_value() * 1.0) + 1.0))), w

    def run(f, w, k):
        y = _xs(CALLS)[k]
        with tg.GradientTape(persistent=True) as tape:
            tape.watch(y)
            a, b = f(y, w)
        return [a, b, tape.gradient(a, [y, w]), tape.gradient(b, [y, w]), tape.gradient([a, b], [y, w])]

    _differential(build, run)


def test_a_variable_read_passed_as_the_argument_of_the_first_call():
    """``f(w.read_value())`` with ``f = lambda x: x * 2 + w.read_value()`` (read first): the read
    named the snapshot's key, which is the argument's, so the program read the Variable where it
    read x: later calls computed 3 * w (and no gradient for x). The argument's stand-in is now told
    apart from the snapshot a Variable read returns."""

    def build():
        w = tg.Variable(np.array([1.0, 2.0, 3.0]))

        def fn(x):
            v = w.read_value()
            return x * 2.0 + v

        return fn, w

    def run(f, w, k):
        xs = _xs(CALLS + 5)
        w.assign(xs[k + 5])
        x = w.read_value() if k in (0, 4) else xs[k]
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return [y, tape.gradient(y, [x, w])]

    _differential(build, run)
