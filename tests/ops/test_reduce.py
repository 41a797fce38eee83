"""Reductions and scans: spec rows (reverse, forward, second order against central differences),
NumPy values, exactness where products have zeros, ties, stability, TF and NumPy spellings."""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.checking import check_grads
from tests.ops.spec import OpSpec, also_complex, cases_of, check_spec

ALL = [((),), ((3,),), ((2, 3),)]  # reductions over every axis, scalar included
AXIS = [((3,),), ((2, 3),), ((2, 3, 2),)]  # axis=0 and axis=-1
AXIS2 = [((2, 3),), ((2, 3, 2),)]  # axis=1 and tuples of two axes


def _with_zeros(count: int, axis: int = -1):
    """make_args: random values with ``count`` zeros in every slice along ``axis``."""

    def make(rng, shapes):
        x = rng.uniform(-2, 2, size=shapes[0])
        index = [slice(None)] * x.ndim
        for k in range(count):
            index[axis] = 2 * k
            x[tuple(index)] = 0.0
        return [x]

    return make


def _exclusive_cumsum(x, axis):
    return np.cumsum(x, axis=axis) - x


def _reverse_cumprod(x, axis):
    return np.flip(np.cumprod(np.flip(x, axis), axis=axis), axis)


def _every_third(x):
    """A fixed mask for NumPy's where=: entries whose index sum is not 1 mod 3 (diagonal stripes), so every
    slice of two or more entries keeps one."""
    shape = tuple(np.shape(x))
    return np.indices(shape).sum(axis=0) % 3 != 1 if shape else np.array(True)


def _logsumexp_ref(x, axis=None, keepdims=False):
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


SPECS = [
    # sum and mean (linear)
    OpSpec("sum", lambda x: tg.sum(x), ALL, reference=np.sum),
    OpSpec("sum_axis0", lambda x: tg.sum(x, axis=0), AXIS, ("sum",), reference=lambda x: np.sum(x, 0)),
    OpSpec("sum_neg_keep", lambda x: tg.sum(x, -1, keepdims=True), AXIS, ("sum",),
           reference=lambda x: np.sum(x, -1, keepdims=True)),
    OpSpec("sum_tuple", lambda x: tg.sum(x, axis=[0, -1]), AXIS2, ("sum",), reference=lambda x: np.sum(x, (0, -1))),
    OpSpec("mean", lambda x: tg.mean(x), ALL, reference=np.mean),
    OpSpec("mean_axis1_keep", lambda x: tg.mean(x, 1, keepdims=True), AXIS2, ("mean",),
           reference=lambda x: np.mean(x, 1, keepdims=True)),
    OpSpec("mean_tuple", lambda x: tg.reduce_mean(x, axis=(0, 1)), AXIS2, ("mean",),
           reference=lambda x: np.mean(x, (0, 1))),
    # NumPy's where= (and initial=) of sum and mean: NumPy's masked loops
    OpSpec("masked_sum", lambda x: np.sum(x, where=_every_third(x)), ALL,
           reference=lambda x: np.sum(x, where=_every_third(x))),
    OpSpec("masked_sum_axis_initial", lambda x: np.sum(x, axis=-1, where=_every_third(x), initial=0.5), AXIS,
           ("masked_sum",), reference=lambda x: np.sum(x, axis=-1, where=_every_third(x), initial=0.5)),
    OpSpec("masked_mean", lambda x: np.mean(x, where=_every_third(x)), ALL,
           reference=lambda x: np.mean(x, where=_every_third(x))),
    OpSpec("masked_mean_axis_keep", lambda x: np.mean(x, axis=0, keepdims=True, where=_every_third(x)), AXIS,
           ("masked_mean",), reference=lambda x: np.mean(x, axis=0, keepdims=True, where=_every_third(x))),
    # prod: away from zeros, then with one and with two zeros per slice (exact, second order)
    OpSpec("prod", lambda x: tg.prod(x), ALL, reference=np.prod),
    OpSpec("prod_axis0", lambda x: tg.prod(x, 0), AXIS, ("prod",), reference=lambda x: np.prod(x, 0)),
    OpSpec("prod_neg_keep", lambda x: tg.prod(x, -1, True), AXIS, ("prod",),
           reference=lambda x: np.prod(x, -1, keepdims=True)),
    OpSpec("prod_tuple", lambda x: tg.reduce_prod(x, axis=(0, 2)), [((2, 3, 2),)], ("prod",),
           reference=lambda x: np.prod(x, (0, 2))),
    OpSpec("prod_one_zero", lambda x: tg.prod(x, -1), AXIS, ("prod",), make_args=_with_zeros(1)),
    OpSpec("prod_two_zeros", lambda x: tg.prod(x, 1), [((2, 3),), ((2, 4, 2),)], ("prod",),
           make_args=_with_zeros(2, axis=1)),
    OpSpec("prod_zero_all", lambda x: tg.prod(x), [((4,),), ((2, 2),)], ("prod",), make_args=_with_zeros(1, 0)),
    OpSpec("prod_zero_tuple_keep", lambda x: tg.prod(x, (0, 2), keepdims=True), [((2, 3, 2),)], ("prod",),
           make_args=_with_zeros(1, axis=0)),
    # max and min: not smooth, checked at distinct values (ties: dedicated tests below)
    OpSpec("max", lambda x: tg.max(x), ALL, smooth=False, reference=np.max),
    OpSpec("max_axis0", lambda x: tg.reduce_max(x, 0), AXIS, ("max",), smooth=False,
           reference=lambda x: np.max(x, 0)),
    OpSpec("max_tuple_keep", lambda x: tg.max(x, (0, -1), keepdims=True), AXIS2, ("max",), smooth=False,
           reference=lambda x: np.max(x, (0, -1), keepdims=True)),
    OpSpec("min", lambda x: tg.min(x), ALL, smooth=False, reference=np.min),
    OpSpec("min_neg", lambda x: tg.reduce_min(x, axis=-1), AXIS, ("min",), smooth=False,
           reference=lambda x: np.min(x, -1)),
    OpSpec("min_tuple_keep", lambda x: tg.min(x, [0, 1], keepdims=True), AXIS2, ("min",), smooth=False,
           reference=lambda x: np.min(x, (0, 1), keepdims=True)),
    # var and std (ddof)
    OpSpec("var", lambda x: tg.var(x), [((3,),), ((2, 3),)], reference=np.var),
    OpSpec("var_axis0_ddof1", lambda x: tg.var(x, 0, ddof=1), [((3,),), ((3, 2),)], ("var",),
           reference=lambda x: np.var(x, 0, ddof=1)),
    OpSpec("var_neg_keep", lambda x: tg.reduce_variance(x, -1, keepdims=True), AXIS, ("var",),
           reference=lambda x: np.var(x, -1, keepdims=True)),
    OpSpec("var_tuple", lambda x: tg.var(x, (0, 2), ddof=1), [((2, 3, 2),)], ("var",),
           reference=lambda x: np.var(x, (0, 2), ddof=1)),
    OpSpec("std", lambda x: tg.std(x), [((3,),), ((2, 3),)], reference=np.std),
    OpSpec("std_axis1_ddof1", lambda x: tg.std(x, 1, ddof=1), AXIS2, ("std",),
           reference=lambda x: np.std(x, 1, ddof=1)),
    OpSpec("std_neg_keep", lambda x: tg.reduce_std(x, -1, keepdims=True), AXIS, ("std",),
           reference=lambda x: np.std(x, -1, keepdims=True)),
    OpSpec("std_tuple", lambda x: tg.std(x, (0, 1)), AXIS2, ("std",), reference=lambda x: np.std(x, (0, 1))),
    # the Euclidean / Frobenius norm
    OpSpec("norm", lambda x: tg.norm(x), ALL, reference=lambda x: np.sqrt(np.sum(np.abs(x) ** 2))),
    OpSpec("norm_axis0", lambda x: tg.norm(x, axis=0), AXIS, ("norm",),
           reference=lambda x: np.linalg.norm(x, axis=0)),
    OpSpec("norm_neg_keep", lambda x: tg.norm(x, "euclidean", axis=-1, keepdims=True), AXIS, ("norm",),
           reference=lambda x: np.linalg.norm(x, axis=-1, keepdims=True)),
    OpSpec("norm_fro_tuple", lambda x: tg.norm(x, "fro", axis=(0, 1)), AXIS2, ("norm",),
           reference=lambda x: np.sqrt(np.sum(np.abs(x) ** 2, axis=(0, 1)))),
    # logsumexp
    OpSpec("logsumexp", lambda x: tg.logsumexp(x), ALL, reference=_logsumexp_ref),
    OpSpec("logsumexp_axis0", lambda x: tg.logsumexp(x, 0), AXIS, ("logsumexp",),
           reference=lambda x: _logsumexp_ref(x, 0)),
    OpSpec("logsumexp_neg_keep", lambda x: tg.reduce_logsumexp(x, -1, keepdims=True), AXIS, ("logsumexp",),
           reference=lambda x: _logsumexp_ref(x, -1, True)),
    OpSpec("logsumexp_tuple", lambda x: tg.logsumexp(x, (0, -1)), AXIS2, ("logsumexp",),
           reference=lambda x: _logsumexp_ref(x, (0, -1))),
    # scans
    OpSpec("cumsum", lambda x: tg.cumsum(x), ALL, reference=np.cumsum),
    OpSpec("cumsum_axis0", lambda x: tg.cumsum(x, 0), AXIS, ("cumsum",), reference=lambda x: np.cumsum(x, 0)),
    OpSpec("cumsum_neg_exclusive", lambda x: tg.cumsum(x, -1, exclusive=True), AXIS, ("cumsum",),
           reference=lambda x: _exclusive_cumsum(x, -1)),
    OpSpec("cumsum_reverse", lambda x: tg.cumsum(x, 1, reverse=True), AXIS2, ("cumsum",),
           reference=lambda x: np.flip(np.cumsum(np.flip(x, 1), 1), 1)),
    OpSpec("cumsum_neg2_reverse", lambda x: tg.cumsum(x, -2, reverse=True), AXIS2, ("cumsum",),
           reference=lambda x: np.flip(np.cumsum(np.flip(x, -2), -2), -2)),
    OpSpec("cumsum_none_exclusive", lambda x: tg.cumsum(x, None, exclusive=True), [((2, 3),), ((2, 1, 2),)],
           ("cumsum",), reference=lambda x: _exclusive_cumsum(x.ravel(), 0)),
    OpSpec("cumprod", lambda x: tg.cumprod(x), ALL, reference=np.cumprod),
    OpSpec("cumprod_axis0", lambda x: tg.cumprod(x, 0), AXIS, ("cumprod",), reference=lambda x: np.cumprod(x, 0)),
    OpSpec("cumprod_reverse", lambda x: tg.cumprod(x, -1, reverse=True), AXIS, ("cumprod",),
           reference=lambda x: _reverse_cumprod(x, -1)),
    OpSpec("cumprod_exclusive_reverse", lambda x: tg.cumprod(x, 1, exclusive=True, reverse=True), AXIS2,
           ("cumprod",)),
    OpSpec("cumprod_one_zero", lambda x: tg.cumprod(x, -1), AXIS, ("cumprod",), make_args=_with_zeros(1)),
    OpSpec("cumprod_two_zeros_reverse", lambda x: tg.cumprod(x, 1, reverse=True), [((2, 4),), ((2, 4, 2),)],
           ("cumprod",), make_args=_with_zeros(2, axis=1)),
    OpSpec("cumprod_zero_flat", lambda x: tg.cumprod(x), [((4,),), ((2, 2),)], ("cumprod",),
           make_args=_with_zeros(1, axis=0)),
    OpSpec("cumprod_neg2", lambda x: tg.cumprod(x, -2), AXIS2, ("cumprod",), reference=lambda x: np.cumprod(x, -2)),
    OpSpec("cumprod_neg2_zero", lambda x: tg.cumprod(x, -2), [((4, 2),), ((2, 4, 3),)], ("cumprod",),
           make_args=_with_zeros(1, axis=-2), reference=lambda x: np.cumprod(x, -2)),
    OpSpec("cumprod_none_reverse_zero", lambda x: tg.cumprod(x, None, reverse=True), [((2, 2),), ((2, 1, 3),)],
           ("cumprod",), make_args=_with_zeros(1, axis=0), reference=lambda x: _reverse_cumprod(x.ravel(), 0)),
]
# Complex rows: all but the orderings (max, min) and logsumexp, which are for real values
SPECS = also_complex(SPECS, exclude=[spec.name for spec in SPECS if spec.name.startswith(("max", "min", "logsumexp"))])


@pytest.mark.parametrize("spec, shapes", cases_of(SPECS))
def test_spec(spec, shapes):
    check_spec(spec, shapes)


def _grad(f, x):
    x = tg.constant(np.asarray(x, dtype=np.float64))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    return y, tape.gradient(y, x)


def _jvp(f, x, u):
    x = tg.constant(np.asarray(x, dtype=np.float64))
    with tg.ForwardAccumulator(x, tg.constant(np.asarray(u, dtype=np.float64))) as acc:
        y = f(x)
    return acc.jvp(y)


def _hessian(f, x):
    x = tg.constant(np.asarray(x, dtype=np.float64))
    with tg.GradientTape() as outer:
        outer.watch(x)
        with tg.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        g = inner.gradient(y, x)
    return g, outer.jacobian(g, x)


# ---- prod and cumprod with zeros: closed forms ------------------------------------------------------
def test_prod_gradient_and_hessian_with_one_zero():
    g, h = _hessian(tg.prod, [2.0, 0.0, 3.0, 5.0])
    np.testing.assert_array_equal(g.numpy(), [0.0, 30.0, 0.0, 0.0])
    # H[k, l] = product of all but x_k and x_l
    expected = np.array([[0, 15, 0, 0], [15, 0, 10, 6], [0, 10, 0, 0], [0, 6, 0, 0]], dtype=float)
    np.testing.assert_array_equal(h.numpy(), expected)


def test_prod_gradient_and_hessian_with_two_zeros():
    g, h = _hessian(tg.prod, [0.0, 4.0, 0.0, 3.0])
    np.testing.assert_array_equal(g.numpy(), np.zeros(4))
    expected = np.zeros((4, 4))
    expected[0, 2] = expected[2, 0] = 12.0
    np.testing.assert_array_equal(h.numpy(), expected)
    assert np.all(np.isfinite(h.numpy()))


def test_prod_forward_mode_with_zero():
    t = _jvp(lambda x: tg.prod(x, axis=1), [[2.0, 0.0, 3.0], [1.0, 2.0, 4.0]], [[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(t.numpy(), [6.0, 8.0])


def test_prod_gradient_where_the_product_underflows():
    x = [1e-200, 1e-200, 3.0]  # the product underflows to 0, the products of the others do not all
    y, g = _grad(tg.prod, x)
    assert y.numpy() == 0.0
    np.testing.assert_allclose(g.numpy(), [3e-200, 3e-200, 0.0], rtol=1e-12)


def test_cumprod_jacobian_with_zeros():
    x = tg.constant(np.array([2.0, 0.0, 3.0, 0.0]))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.cumprod(x)
    jac = tape.jacobian(y, x).numpy()
    expected = np.array([[1, 0, 0, 0], [0, 2, 0, 0], [0, 6, 0, 0], [0, 0, 0, 0]], dtype=float)
    np.testing.assert_array_equal(jac, expected)  # row i: d y_i / d x
    np.testing.assert_array_equal(y.numpy(), [2, 0, 0, 0])


def test_cumprod_second_order_with_zeros():
    x = np.array([[1.5, 0.0, -2.0, 0.5], [0.0, 0.0, 3.0, 1.0]])
    check_grads(lambda x: tg.cumprod(x, axis=1), x, order=2)
    check_grads(lambda x: tg.cumprod(x, axis=0, reverse=True, exclusive=True), x, order=2)


# ---- max and min: ties share the gradient equally (TensorFlow's reduce_max) ---------------------------
def test_max_ties_share_the_gradient():
    _, g = _grad(tg.reduce_max, [1.0, 3.0, 3.0, 2.0])
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.5, 0.5, 0.0])
    _, g = _grad(lambda x: tg.max(x, axis=0), [[1.0, 5.0], [1.0, 2.0], [0.0, 5.0]])
    np.testing.assert_array_equal(g.numpy(), [[0.5, 0.5], [0.5, 0.0], [0.0, 0.5]])


def test_min_ties_share_the_gradient_in_both_modes():
    x = [[4.0, 1.0, 1.0, 1.0], [2.0, 7.0, 3.0, 2.0]]
    _, g = _grad(lambda x: tg.min(x, axis=-1, keepdims=True), x)
    np.testing.assert_allclose(g.numpy(), [[0, 1 / 3, 1 / 3, 1 / 3], [0.5, 0, 0, 0.5]])
    t = _jvp(lambda x: tg.min(x, axis=-1), x, [[9.0, 1.0, 2.0, 6.0], [1.0, 5.0, 5.0, 3.0]])
    np.testing.assert_allclose(t.numpy(), [3.0, 2.0])  # the mean tangent over the tied minima


def test_tensor_max_and_min_methods():
    x = tg.constant(np.array([[1.0, 4.0], [3.0, 2.0]]))
    np.testing.assert_array_equal(x.max(axis=0).numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(x.min(axis=1, keepdims=True).numpy(), [[1.0], [2.0]])


# ---- where the derivative would be nan: norm and std at 0 ---------------------------------------------
def test_norm_gradient_at_zero_is_zero():
    y, g = _grad(tg.norm, np.zeros((2, 3)))
    assert y.numpy() == 0.0
    np.testing.assert_array_equal(g.numpy(), np.zeros((2, 3)))
    _, g = _grad(lambda x: tg.norm(x, axis=1), [[0.0, 0.0], [3.0, 4.0]])
    np.testing.assert_allclose(g.numpy(), [[0.0, 0.0], [0.6, 0.8]])
    t = _jvp(lambda x: tg.norm(x, axis=-1), [[0.0, 0.0], [3.0, 4.0]], [[1.0, 2.0], [1.0, 1.0]])
    np.testing.assert_allclose(t.numpy(), [0.0, 1.4])


def test_std_gradient_of_a_constant_is_zero():
    _, g = _grad(lambda x: tg.std(x, axis=1), [[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]])
    assert np.all(np.isfinite(g.numpy()))
    np.testing.assert_allclose(g.numpy()[0], 0.0)
    np.testing.assert_allclose(g.numpy()[1], np.array([-1.0, 0.0, 1.0]) / (3 * np.sqrt(2 / 3)))


def test_norm_other_orders():
    x = np.array([[3.0, -4.0], [-1.0, 0.5]])
    np.testing.assert_allclose(tg.norm(x, ord=1, axis=1).numpy(), [7.0, 1.5])
    np.testing.assert_allclose(tg.norm(x, ord=np.inf, axis=0).numpy(), [3.0, 4.0])
    np.testing.assert_allclose(tg.norm(x, ord=2, axis=1).numpy(), np.linalg.norm(x, axis=1))
    np.testing.assert_allclose(tg.reduce_euclidean_norm(x).numpy(), np.linalg.norm(x))
    with pytest.raises(NotImplementedError, match="ord=3"):
        tg.norm(x, ord=3)
    with pytest.raises(NotImplementedError, match="ord=2"):
        tg.norm(x, ord=2)  # the spectral norm of a matrix


# ---- logsumexp: stable forward and gradient ----------------------------------------------------------
def test_logsumexp_of_large_values_is_finite_and_exact():
    y, g = _grad(lambda x: tg.logsumexp(x, axis=-1), [[1000.0, 1000.0], [1000.0, -1000.0]])
    np.testing.assert_allclose(y.numpy(), [1000.0 + np.log(2.0), 1000.0])
    np.testing.assert_allclose(g.numpy(), [[0.5, 0.5], [1.0, 0.0]])
    t = _jvp(tg.logsumexp, [1000.0, 1000.0, -np.inf], [1.0, 3.0, 5.0])
    np.testing.assert_allclose(t.numpy(), 2.0)


def test_logsumexp_edge_values():
    np.testing.assert_equal(tg.logsumexp(np.array([-np.inf, -np.inf])).numpy(), -np.inf)
    np.testing.assert_equal(tg.logsumexp(np.array([np.inf, 0.0])).numpy(), np.inf)
    _, h = _hessian(tg.logsumexp, [2000.0, 2000.0])
    np.testing.assert_allclose(h.numpy(), [[0.25, -0.25], [-0.25, 0.25]])


# ---- float32 stays float32 ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "f",
    [
        lambda x: tg.prod(x, axis=1),
        lambda x: tg.max(x, axis=0),
        lambda x: tg.var(x, ddof=1),
        lambda x: tg.std(x, axis=-1),
        lambda x: tg.norm(x),
        lambda x: tg.logsumexp(x, axis=1),
        lambda x: tg.cumprod(x, axis=1, exclusive=True),
        lambda x: tg.cumsum(x, axis=0, reverse=True),
        lambda x: tg.prod(x * tg.constant(np.array([1.0, 0.0, 2.0], dtype=np.float32))),  # the zero path
    ],
    ids=["prod", "max", "var", "std", "norm", "logsumexp", "cumprod", "cumsum", "prod_zero"],
)
def test_float32_in_float32_out_and_gradient(f):
    x = tg.constant(np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]], dtype=np.float32))
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = f(x)
        s = tg.sum(y * y)
    g = tape.gradient(s, x)
    assert y.dtype == np.float32
    assert g.dtype == np.float32
    with tg.ForwardAccumulator(x, tg.ones_like(x)) as acc:
        y = f(x)
    assert acc.jvp(y).dtype == np.float32


# ---- spellings: TensorFlow's and NumPy's -----------------------------------------------------------------
def test_tf_names_take_tf_keywords():
    x = np.arange(6.0).reshape(2, 3) + 1
    for tf_fn, np_fn in [
        (tg.reduce_sum, np.sum), (tg.reduce_mean, np.mean), (tg.reduce_prod, np.prod), (tg.reduce_max, np.max),
        (tg.reduce_min, np.min), (tg.reduce_variance, np.var), (tg.reduce_std, np.std),
    ]:
        got = tf_fn(input_tensor=tg.constant(x), axis=1, keepdims=True, name="r")
        np.testing.assert_allclose(got.numpy(), np_fn(x, axis=1, keepdims=True))
    np.testing.assert_allclose(tg.reduce_logsumexp(input_tensor=x, axis=None).numpy(), np.log(np.exp(x).sum()))


def test_numpy_functions_dispatch_to_tapegrad():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]])
    t = tg.constant(x)
    cases = [
        (lambda a: np.sum(a, axis=0, keepdims=True), None),
        (lambda a: np.mean(a, axis=-1), None),
        (lambda a: np.prod(a, axis=1), None),
        (lambda a: np.max(a, axis=1), None),
        (lambda a: np.amax(a), None),
        (lambda a: np.min(a, axis=(0, 1), keepdims=True), None),
        (lambda a: np.amin(a, 0), None),
        (lambda a: np.var(a, axis=1, ddof=1), None),
        (lambda a: np.std(a, 0, keepdims=True), None),
        (lambda a: np.cumsum(a, axis=1), None),
        (lambda a: np.cumsum(a), None),
        (lambda a: np.cumprod(a, 0), None),
    ]
    for fn, _ in cases:
        got = fn(t)
        assert isinstance(got, tg.Tensor)
        np.testing.assert_allclose(got.numpy(), fn(x))
    np.testing.assert_allclose(np.std(t, correction=1).numpy(), np.std(x, ddof=1))
    assert np.sum(tg.constant(x.astype(np.float32)), dtype=np.float64).dtype == np.float64
    with tg.GradientTape() as tape:
        tape.watch(t)
        y = np.sum(np.cumprod(t, axis=1))
    np.testing.assert_allclose(tape.gradient(y, t).numpy(), [[1 + 2 + 6, 1 + 3, 2], [1 + 5 + 35, 4 + 28, 20]])


def test_numpy_options_that_are_not_supported_raise():
    t = tg.constant(np.ones(3))
    with pytest.raises(TypeError, match="out="):
        np.sum(t, out=np.zeros(()))
    with pytest.raises(TypeError, match="where="):
        np.var(t, where=np.array([True, False, True]))
    with pytest.raises(TypeError, match="initial="):
        np.prod(t, initial=2.0)


def test_bad_arguments_raise_clear_errors():
    x = tg.constant(np.ones((2, 3)))
    with pytest.raises(ValueError, match="ddof=3"):
        tg.var(x, axis=1, ddof=3)
    with pytest.raises(ValueError, match="ddof"):
        tg.std(x, ddof=-1)
    with pytest.raises(TypeError, match="one int"):
        tg.cumsum(x, axis=(0, 1))
    with pytest.raises(ValueError, match="out of range"):
        tg.cumprod(x, axis=2)
    with pytest.raises(ValueError, match="tg.max"):
        tg.max(x, axis=5)
    with pytest.raises(ValueError, match="tg.prod"):
        tg.prod(x, axis=-3)


def test_scalar_scans_flatten_like_numpy():
    y = tg.cumsum(tg.constant(np.float64(2.5)))
    assert y.shape == (1,)
    np.testing.assert_array_equal(tg.cumprod(np.arange(1.0, 5.0).reshape(2, 2)).numpy(), [1, 2, 6, 24])
    np.testing.assert_array_equal(tg.cumprod(np.array([2.0, 3.0, 4.0]), exclusive=True).numpy(), [1, 2, 6])
    np.testing.assert_array_equal(tg.cumsum(np.array([2.0, 3.0, 4.0]), exclusive=True, reverse=True).numpy(),
                                  [7, 4, 0])
