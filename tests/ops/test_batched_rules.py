"""Batched rules: a whole Jacobian in one walk equals the stack of ordinary one-row walks.

For every row of the spec table and each argument alone, the full Jacobian from one batched reverse
walk (``tape.jacobian``) and from one batched forward walk (``tg.jacobian(mode="forward")``) must
equal the rows from ordinary VJPs (``tape.gradient`` with one-hot ``output_gradients``), which the
spec table checks against finite differences. Smooth rows also check the Hessian: batched reverse
over reverse (nested tapes) and batched forward over reverse (``tg.hessian``) against per-row
second derivatives.
"""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import batching, ops
from tests.ops.spec import arguments, cases_of
from tests.ops.test_rule_table import all_specs

SPECS = []  # this module checks the other modules' rows; it adds none

# primitives on the paths of Jacobians and Hessians of everyday code: a stack through them is one
# NumPy call, never the per-row loop
HOT = ("add", "subtract", "negative", "multiply", "divide", "power", "sin", "tanh", "exp", "matmul", "sum", "mean",
       "reshape", "transpose", "broadcast_to", "cast", "getitem", "scatter_add", "softmax", "log_softmax",
       "tensordot", "trace", "linalg.solve", "cumsum", "cumprod", "pad")
VARIADIC_HOT = ("stack", "concatenate", "einsum")


def _constants(args):
    return [tg.constant(a) for a in args]


def _jacobian_rows(f, xs, i):
    """The Jacobian of f w.r.t. xs[i] by ordinary walks, one one-hot cotangent per output element."""
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(xs[i])
        y = f(*xs)
    rows = []
    for k in range(y.size):
        seed = np.zeros(y.size)
        seed[k] = 1.0
        g = tape.gradient(y, xs[i], output_gradients=seed.reshape(y.shape))
        rows.append(np.zeros(xs[i].shape) if g is None else g.numpy())
    return np.reshape(rows, y.shape + xs[i].shape)


def _jacobian_batched(f, xs, i):
    with tg.GradientTape() as tape:
        tape.watch(xs[i])
        y = f(*xs)
    j = tape.jacobian(y, xs[i], unconnected_gradients="zero")
    return j.numpy()


def _jacobian_forward(f, xs, i):
    return tg.jacobian(lambda v: f(*xs[:i], v, *xs[i + 1 :]), mode="forward")(xs[i]).numpy()


def _jacobian_columns(f, xs, i):
    """The forward Jacobian by ordinary JVPs, one basis tangent per input element (for complex
    inputs, along the real parts: reverse rows are gradients, d/dx + i d/dy, a different matrix)."""
    x = xs[i]
    columns = []
    for k in range(x.size):
        basis = np.zeros(x.size, dtype=x.dtype)
        basis[k] = 1.0
        _, t = tg.jvp(lambda v: f(*xs[:i], v, *xs[i + 1 :]), (x,), (basis.reshape(x.shape),))
        columns.append(np.asarray(t.numpy()))
    return np.moveaxis(np.reshape(columns, (x.size, *np.shape(columns[0]))), 0, -1).reshape(
        np.shape(columns[0]) + x.shape
    )


@pytest.mark.parametrize("spec, shapes", cases_of(all_specs()))
def test_batched_jacobians_equal_row_by_row(spec, shapes):
    args = arguments(spec, shapes)
    xs = _constants(args)
    for i in range(len(xs)):
        expected = _jacobian_rows(spec.fn, xs, i)
        np.testing.assert_allclose(_jacobian_batched(spec.fn, xs, i), expected, rtol=1e-12, atol=1e-12)
        if xs[i].dtype.kind == "c" or np.iscomplexobj(spec.fn(*xs).numpy()):
            expected = _jacobian_columns(spec.fn, xs, i)
        np.testing.assert_allclose(_jacobian_forward(spec.fn, xs, i), expected, rtol=1e-12, atol=1e-12)


def _scalar(spec, xs, weights):
    return lambda *vs: tg.sum(spec.fn(*vs) * weights)


@pytest.mark.parametrize("spec, shapes", [p for p in cases_of(all_specs()) if p.values[0].smooth])
def test_batched_hessians_equal_row_by_row(spec, shapes):
    args = arguments(spec, shapes)
    xs = _constants(args)
    weights = np.random.default_rng(1).uniform(0.5, 1.5, size=np.shape(spec.fn(*xs)))
    f = _scalar(spec, xs, weights)
    for i in range(len(xs)):
        x = xs[i]
        with tg.GradientTape(persistent=True) as outer:
            outer.watch(x)
            with tg.GradientTape() as inner:
                inner.watch(x)
                y = f(*xs)
            g = inner.gradient(y, x)
            if g is None:
                continue
            g_rows = [tg.reshape(g, (-1,))[k] for k in range(x.size)]
        rows = []
        for gk in g_rows:
            h = outer.gradient(gk, x)
            rows.append(np.zeros(x.shape) if h is None else h.numpy())
        expected = np.reshape(rows, x.shape + x.shape)
        nested = outer.jacobian(g, x, unconnected_gradients="zero").numpy()
        np.testing.assert_allclose(nested, expected, rtol=1e-10, atol=1e-10)
        forward_over_reverse = tg.hessian(lambda v, i=i: f(*xs[:i], v, *xs[i + 1 :]))(x).numpy()
        if x.dtype.kind == "c":  # columns of derivatives along the real parts, by ordinary JVPs of the gradient
            gradient = tg.grad(lambda v, i=i: f(*xs[:i], v, *xs[i + 1 :]))
            expected = _jacobian_columns(gradient, [x], 0)
        np.testing.assert_allclose(forward_over_reverse, expected, rtol=1e-10, atol=1e-10)


def test_every_primitive_of_the_table_has_a_batching_rule():
    """So a Jacobian or Hessian through any tapegrad op runs its rules on whole stacks; the per-row
    loop stays for users' own primitives."""
    from tapegrad.transforms import _identity  # every tg.jacobian / tg.hessian argument goes through it

    missing = [p.name for p in (*ops.primitives(), _identity) if p.differentiable and p.batch is None]
    assert not missing, f"primitives without a batching rule: {missing}"


@pytest.mark.parametrize(
    "spec, shapes", [p for p in cases_of(all_specs()) if set(p.values[0].covered()) <= set(HOT + VARIADIC_HOT)]
)
def test_hot_rows_take_no_per_row_loop(spec, shapes, monkeypatch):
    """The ops of everyday Jacobians run each batched op once, never once per row."""
    looped = []
    real = batching.looped
    monkeypatch.setattr(batching, "looped", lambda prim, *rest: looped.append(prim.name) or real(prim, *rest))
    xs = _constants(arguments(spec, shapes))
    for i in range(len(xs)):
        _jacobian_batched(spec.fn, xs, i)
        _jacobian_forward(spec.fn, xs, i)
    assert not looped, looped
