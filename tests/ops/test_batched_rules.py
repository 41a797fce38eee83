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
from tapegrad import ops
from tapegrad._primitive import PerArgument
from tests.ops.spec import arguments, cases_of
from tests.ops.test_rule_table import all_specs

SPECS = []  # this module checks the other modules' rows; it adds none

# primitives on the paths of Jacobians and Hessians of everyday code: their batched rules must be
# declared (a stack through them is one NumPy call), not the per-row fallback
HOT = ("add", "subtract", "negative", "multiply", "divide", "power", "sin", "tanh", "exp", "matmul", "sum", "mean",
       "reshape", "transpose", "broadcast_to", "cast", "getitem", "scatter_add", "softmax", "log_softmax",
       "tensordot", "trace", "linalg.solve", "cumsum", "cumprod", "pad")
VARIADIC_HOT = ("stack", "concatenate")  # PerArgument rules and a joint JVP
PER_ARGUMENT_HOT = ("einsum",)  # PerArgument batched rules for any number of operands


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


def test_hot_primitives_declare_batched_rules():
    from tapegrad.transforms import _identity  # every tg.jacobian / tg.hessian argument goes through it

    by_name = {p.name: p for p in ops.primitives()}
    by_name["identity"] = _identity
    for name in (*HOT, "identity"):
        prim = by_name[name]
        assert prim.batched_vjps is not None and all(r is not None for r in prim.batched_vjps), name
        assert prim.batched_jvps is not None and all(r is not None for r in prim.batched_jvps), name
    for name in VARIADIC_HOT:
        prim = by_name[name]
        assert isinstance(prim.batched_vjps, PerArgument) and prim.batched_joint_jvp is not None, name
    for name in PER_ARGUMENT_HOT:
        prim = by_name[name]
        assert isinstance(prim.batched_vjps, PerArgument) and isinstance(prim.batched_jvps, PerArgument), name


def _declares(batched, rules):
    """Whether a batched rule is declared for every argument that has an ordinary rule."""
    if batched is None:
        return False
    if isinstance(batched, PerArgument):
        return True
    return all(b is not None for b, r in zip(batched, rules) if r is not None)


def test_every_primitive_of_the_table_declares_batched_rules():
    """So a Jacobian or Hessian through any tapegrad op is one walk, never the per-row fallback
    (which stays for users' own ops): a rule added without its batched form fails here."""
    missing = []
    for prim in ops.primitives():
        if not prim.differentiable:
            continue
        vjps_ok = _declares(prim.batched_vjps, prim.vjps)
        if prim.jvps is None:  # a joint JVP
            jvps_ok = prim.batched_joint_jvp is not None
        else:
            jvps_ok = _declares(prim.batched_jvps, prim.jvps)
        if not (vjps_ok and jvps_ok):
            missing.append(prim.name)
    assert not missing, f"primitives on the per-row fallback: {missing}"


def test_batch_jacobian_is_one_batched_walk():
    x = tg.constant(np.random.default_rng(0).normal(size=(4, 3)))
    w = tg.constant(np.random.default_rng(1).normal(size=(3, 2)))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.tanh(x @ w)
    j = tape.batch_jacobian(y, x).numpy()  # (4, 2, 3)
    d = 1 - np.tanh(x.numpy() @ w.numpy()) ** 2  # (4, 2)
    np.testing.assert_allclose(j, d[:, :, None] * w.numpy().T[None], rtol=1e-12)


def test_batched_walks_are_differentiable_again():
    """A Jacobian taken while an outer tape records runs the batched rules on Tensors: third order."""
    rng = np.random.default_rng(3)
    a = tg.constant(rng.normal(size=(4, 3)))

    def f(v):
        return tg.sum(tg.log_softmax(tg.tanh(a @ v) * v[0]) ** 2) + tg.sum(tg.reshape(tg.sin(v), (3, 1)) * v)

    _check_third_order(f, rng.normal(size=3), atol=1e-7)


def _gradient_on_tape(f, v, persistent=False):
    """f's gradient at v, taken while an outer tape records: (outer tape, gradient)."""
    with tg.GradientTape(persistent=persistent) as outer:
        outer.watch(v)
        with tg.GradientTape() as inner:
            inner.watch(v)
            y = f(v)
        g = inner.gradient(y, v)
    return outer, g


def _hessian_sum(f, v, mode):
    """The sum of f's Hessian at v by a batched walk: reverse over reverse, or forward over reverse."""
    if mode == "reverse":
        outer, g = _gradient_on_tape(f, v)
        return tg.sum(outer.jacobian(g, v))
    return tg.sum(tg.hessian(f)(v))


def _check_third_order(f, x0, expected=None, atol=1e-6):
    """The batched Hessian walks, recorded by a tape, give third derivatives that match differences
    (and, with ``expected``, the Hessian sum itself)."""
    for mode in ("reverse", "forward"):
        x = tg.constant(x0)
        with tg.GradientTape() as top:
            top.watch(x)
            s = _hessian_sum(f, x, mode)
        if expected is not None:
            np.testing.assert_allclose(s.numpy(), expected, rtol=1e-10)
        third = top.gradient(s, x).numpy()
        numeric = tg.numerical_gradient(lambda v, mode=mode: _hessian_sum(f, tg.constant(v), mode).numpy(), x0)
        np.testing.assert_allclose(third, np.asarray(numeric[0]), rtol=1e-6, atol=atol)


@pytest.mark.parametrize("name", ["tensordot", "einsum", "trace", "solve", "solve_matrix", "cumsum", "cumprod", "pad"])
def test_batched_rules_keep_float32(name):
    """Batched Jacobians and Hessians through the declared rules stay float32 and match float64."""
    rng = np.random.default_rng(4)
    a64 = rng.uniform(-1, 1, size=(3, 3)) + 3 * np.eye(3)
    x64 = rng.uniform(0.5, 1.5, size=3)

    def make(a):
        return {
            "tensordot": lambda v: tg.tanh(tg.tensordot(a, v, 1)),
            "einsum": lambda v: tg.einsum("ii,i,ij->j", a, v, a) * v,
            "trace": lambda v: tg.trace(tg.outer(v, v) + a) * v,
            "solve": lambda v: tg.linalg.solve(a * v, v),
            "solve_matrix": lambda v: tg.reshape(tg.linalg.solve(a + tg.outer(v, v), tg.outer(v, v)), (-1,)),
            "cumsum": lambda v: tg.cumsum(v * v),
            "cumprod": lambda v: tg.cumprod(v * v, reverse=True),
            "pad": lambda v: tg.pad(v * v, (1, 2)),
        }[name]

    results = {}
    for dtype in (np.float32, np.float64):
        f = make(tg.constant(a64.astype(dtype)))
        x = tg.constant(x64.astype(dtype))
        got = [tg.jacobian(f, mode=m)(x) for m in ("reverse", "forward")]
        got.append(tg.hessian(lambda v, f=f: tg.sum(f(v) ** 2))(x))
        assert all(g.dtype == dtype for g in got), [g.dtype for g in got]
        results[dtype] = [g.numpy() for g in got]
    for g32, g64 in zip(results[np.float32], results[np.float64]):
        np.testing.assert_allclose(g32, g64, rtol=2e-4, atol=2e-4)


def test_declared_linalg_and_scan_rules_are_differentiable_again():
    """Third order through the batched rules of tensordot, einsum, trace, solve, cumsum, cumprod and
    pad: a Hessian taken while a tape records (the rules then run on Tensors), against differences."""
    rng = np.random.default_rng(5)
    a = tg.constant(rng.uniform(-1, 1, (3, 3)) + 3 * np.eye(3))

    def f(v):
        y = tg.tensordot(a, v, 1) + tg.einsum("ij,j->i", a, v * v) + tg.linalg.solve(a * v, v)
        y = y + tg.linalg.solve(a + tg.outer(v, v), tg.outer(v, v))[0]
        y = tg.cumsum(y) * tg.trace(tg.outer(v, v)) * 0.1 + tg.cumprod(tg.sin(y))
        return tg.sum(tg.pad(tg.tanh(y), (1, 2)) ** 2)

    def rows_sum(v):  # the same sum from ordinary walks, one Hessian row at a time
        outer, g = _gradient_on_tape(f, v, persistent=True)
        with outer:
            rows = [g[k] for k in range(3)]
        return sum(float(np.sum(outer.gradient(r, v).numpy())) for r in rows)

    x0 = rng.uniform(0.5, 1.0, size=3)
    _check_third_order(f, x0, expected=rows_sum(tg.constant(x0)))
