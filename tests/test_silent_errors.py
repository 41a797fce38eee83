"""No silently wrong gradient (issue 11, section 3): each case, tried as a user would.

Every test here failed before the fix: a wrong number, a None, or an error from deep inside.
"""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

import tapegrad as tg


# ---- tensors never share writable memory with the caller's arrays --------------------------------
def test_constant_copies_the_callers_array():
    batch = np.array([1.0, 2.0, 3.0])
    w = tg.constant(np.ones(3))
    x = tg.constant(batch)
    with tg.GradientTape() as tape:
        tape.watch(w)
        loss = tg.reduce_sum(w * x)
    batch[:] = 100.0  # a reused batch buffer
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(tape.gradient(loss, w).numpy(), [1.0, 2.0, 3.0])


@pytest.mark.parametrize("make", [tg.constant, tg.convert_to_tensor, tg.Tensor, tg.Variable])
def test_every_entry_point_copies(make):
    arr = np.array([1.0, 2.0])
    t = make(arr)
    arr[0] = 9.0
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])


def test_variable_assign_copies_the_callers_array():
    v = tg.Variable(np.zeros(2))
    new = np.array([1.0, 2.0])
    v.assign(new)
    new[:] = 7.0
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_a_plain_array_operand_is_kept_as_it_was_when_recorded():
    w = tg.constant(np.ones(2))
    batch = np.array([3.0, 4.0])
    with tg.GradientTape() as tape:
        tape.watch(w)
        loss = tg.reduce_sum(w * batch)
    batch[:] = 100.0
    np.testing.assert_array_equal(tape.gradient(loss, w).numpy(), [3.0, 4.0])


def test_grad_of_a_function_called_with_an_array_the_caller_changes_later():
    arr = np.array([1.0, 2.0])
    y, vjp_fn = tg.vjp(lambda x: x * x, arr)
    arr[:] = 50.0
    np.testing.assert_array_equal(vjp_fn(np.ones(2))[0].numpy(), [2.0, 4.0])


def test_np_asarray_of_a_tensor_is_read_only():
    t = tg.constant(np.array([1.0, 2.0]))
    view = np.asarray(t)
    assert not view.flags.writeable
    with pytest.raises(ValueError):
        view[0] = 5.0
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])
    owned = np.array(t)  # np.array copies: that copy is the caller's to change
    owned[0] = 5.0
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])


# ---- converting a tracked tensor to a plain array is refused ----------------------------------------
@pytest.mark.parametrize(
    "convert",
    [np.asarray, np.array, lambda y: np.array([y[0], y[1]]), lambda y: np.asarray(y, dtype=np.float32)],
    ids=["asarray", "array", "list_of_tensors", "asarray_dtype"],
)
def test_converting_a_tracked_tensor_names_the_fix(convert):
    x = tg.constant(np.array([1.0, 2.0]))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
        with pytest.raises(TypeError, match=r"tg\.stack.*t\.numpy\(\) or tg\.stop_gradient"):
            convert(y)


def test_converting_under_a_forward_accumulator_is_refused():
    x = tg.constant(np.array([1.0, 2.0]))
    with tg.ForwardAccumulator(x, np.ones(2)):
        y = tg.sin(x)
        with pytest.raises(TypeError, match="ForwardAccumulator"):
            np.asarray(y)


def test_explicit_conversions_and_untracked_tensors_stay_allowed():
    x = tg.constant(np.array([1.0, 2.0]))
    c = tg.constant(np.array([5.0, 6.0]))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * 3.0
        np.testing.assert_array_equal(y.numpy(), [3.0, 6.0])
        assert float(y[1]) == 6.0
        np.testing.assert_array_equal(np.asarray(tg.stop_gradient(y)), [3.0, 6.0])
        np.testing.assert_array_equal(np.asarray(c), [5.0, 6.0])  # not tracked: converts as before
        loss = tg.reduce_sum(y)
    np.testing.assert_array_equal(tape.gradient(loss, x).numpy(), [3.0, 3.0])
    np.testing.assert_array_equal(np.asarray(y), [3.0, 6.0])  # the tape is no longer active


# ---- x ** 0 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("exponent", [0, 0.0, np.float64(0.0), "tensor"], ids=["int", "float", "numpy", "tensor"])
def test_power_zero_has_zero_gradient_at_zero(exponent):
    def power(x):
        return x ** (tg.constant(0.0, tg.float64) if exponent == "tensor" else exponent)

    def f(x):
        return tg.reduce_sum(power(x))

    x = np.array([0.0, 2.0])
    np.testing.assert_array_equal(tg.grad(f)(x).numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(tg.hessian(f)(x).numpy(), np.zeros((2, 2)))
    _, t = tg.jvp(power, (x,), (np.ones(2),))
    np.testing.assert_array_equal(t.numpy(), [0.0, 0.0])


def test_power_with_an_array_of_exponents_including_zero():
    x = np.array([0.0, 0.0])
    g = tg.grad(lambda x: tg.reduce_sum(x ** np.array([0.0, 2.0])))(x)
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])
    h = tg.hessian(lambda x: tg.reduce_sum(x ** np.array([0.0, 2.0])))(x)
    np.testing.assert_array_equal(h.numpy(), [[0.0, 0.0], [0.0, 2.0]])


# ---- x / 0.0 -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("zero, expected", [(0.0, np.inf), (-0.0, -np.inf), (0, np.inf)])
def test_division_by_a_python_zero_gives_inf_like_the_forward(zero, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert float(tg.grad(lambda x: x / zero)(1.0)) == expected
        _, t = tg.jvp(lambda x: x / zero, (np.float64(1.0),), (np.float64(1.0),))
        assert float(t) == expected


def test_division_by_a_python_zero_inside_where():
    x = np.array([1.0, 10.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        g = tg.grad(lambda x: tg.reduce_sum(tg.where(x > 5.0, x / 0.0, x)))(x).numpy()
    # selected: inf, as the forward; masked out: 0 * inf, the where trap documented on tg.where
    assert g[1] == np.inf
    assert "double where" in tg.where.doc


# ---- cumprod without division -----------------------------------------------------------------------
def test_cumprod_jvp_at_a_subnormal():
    x = np.array([1.0, 2.2e-309])
    _, t = tg.jvp(tg.cumprod, (x,), (np.ones(2),))
    np.testing.assert_array_equal(t.numpy(), [1.0, 1.0 + 2.2e-309])  # d(x0 x1) = x1 + x0


def test_cumprod_vjp_at_the_smallest_subnormal():
    x = np.array([0.7, 5e-324, 2.0])
    g = tg.grad(lambda x: tg.reduce_sum(tg.cumprod(x)))(x).numpy()
    # d/dx0 = 1 + x1 + x1 x2, d/dx1 = x0 + x0 x2, d/dx2 = x0 x1 (each rounded once)
    np.testing.assert_array_equal(g, [1.0, 0.7 + 0.7 * 2.0, 0.7 * 5e-324])
    rev = tg.grad(lambda x: tg.reduce_sum(tg.cumprod(x, reverse=True)))(x).numpy()
    np.testing.assert_array_equal(rev, [5e-324 * 2.0, 0.7 * 2.0 + 2.0, 1.0 + 5e-324])


def test_cumprod_jacobians_with_zeros_and_subnormals_in_both_modes():
    x = np.array([0.0, 5e-324, 3.0, 0.5])
    exact = np.zeros((4, 4))
    for i in range(4):
        for k in range(i + 1):
            exact[i, k] = np.prod(np.delete(x[: i + 1], k))
    for mode in ("forward", "reverse"):  # whole Jacobians: the batched rules
        np.testing.assert_array_equal(tg.jacobian(tg.cumprod, mode=mode)(x).numpy(), exact)


def test_prod_gradient_at_a_subnormal():
    x = np.array([0.7, 5e-324])
    np.testing.assert_array_equal(tg.grad(tg.reduce_prod)(x).numpy(), [5e-324, 0.7])
    _, t = tg.jvp(tg.reduce_prod, (np.array([1.0, 2.2e-309]),), (np.ones(2),))
    assert float(t) == 1.0 + 2.2e-309


# ---- transforms reject what they cannot differentiate, at the call ----------------------------------
def test_grad_of_none_is_a_clear_type_error():
    with pytest.raises(TypeError, match="argument 0 is a NoneType"):
        tg.grad(lambda x: x * 2)(None)


@pytest.mark.parametrize("transform", [tg.grad, tg.value_and_grad, tg.jacobian, tg.hessian, tg.gradients_function])
def test_a_transform_of_a_non_function_is_rejected_at_once(transform):
    with pytest.raises(TypeError, match="takes a function"):
        transform(3.0)


def test_jacobian_of_an_integer_output_is_an_error():
    for mode in ("forward", "reverse"):
        with pytest.raises(TypeError, match="not differentiable"):
            tg.jacobian(lambda x: tg.argmax(x), mode=mode)(np.array([1.0, 3.0]))


def test_scatter_add_with_float_updates_names_the_right_function():
    t = tg.constant(np.array([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="tensor_scatter_nd_add"):
        tg.scatter_add(t, [0, 2], [1.0, 2.0])


def test_tensor_scatter_nd_add_adds_and_differentiates():
    t = np.array([1.0, 2.0, 3.0])
    u = np.array([10.0, 20.0, 30.0])
    out = tg.tensor_scatter_nd_add(tg.constant(t), [[0], [2], [0]], tg.constant(u))
    np.testing.assert_array_equal(out.numpy(), [41.0, 2.0, 23.0])
    gt, gu = tg.grad(lambda t, u: tg.reduce_sum(tg.tensor_scatter_nd_add(t, [[0], [2], [0]], u) ** 2),
                     argnums=(0, 1))(t, u)
    np.testing.assert_array_equal(gt.numpy(), [82.0, 4.0, 46.0])
    np.testing.assert_array_equal(gu.numpy(), [82.0, 46.0, 82.0])
    tg.check_grads(lambda t, u: tg.tensor_scatter_nd_add(t, np.array([[1, 0], [0, 2]]), u),
                   np.ones((2, 3)), np.array([0.5, 2.0]))


# ---- threads -----------------------------------------------------------------------------------------
def test_exiting_a_tape_from_another_thread_is_an_error():
    tape = tg.GradientTape()
    tape.__enter__()
    errors = []

    def other():
        try:
            tape.__exit__(None, None, None)
        except RuntimeError as err:
            errors.append(err)

    worker = threading.Thread(target=other)
    worker.start()
    worker.join()
    assert errors and "entered in another thread" in str(errors[0])
    tape.__exit__(None, None, None)  # the right thread takes it off its stack
    x = tg.constant(1.0)
    tape2 = tg.GradientTape()
    with tape2:
        tape2.watch(x)
        y = x * x
    assert float(tape2.gradient(y, x)) == 2.0
    assert "thread that entered it" in tg.GradientTape.__doc__


def test_work_done_in_another_thread_is_not_recorded_and_explain_says_why():
    x = tg.constant(2.0)
    out = []
    with tg.GradientTape(persistent=True) as tape:
        tape.watch(x)
        worker = threading.Thread(target=lambda: out.append(x * x))
        worker.start()
        worker.join()
    assert tape.gradient(out[0], x) is None
    assert "another thread" in tape.explain(out[0], x)


def test_exiting_an_accumulator_from_another_thread_is_an_error():
    acc = tg.ForwardAccumulator(tg.constant(1.0), 1.0)
    acc.__enter__()
    errors = []
    worker = threading.Thread(target=lambda: errors.append(_raises(lambda: acc.__exit__(None, None, None))))
    worker.start()
    worker.join()
    acc.__exit__(None, None, None)
    assert isinstance(errors[0], RuntimeError)


def _raises(f):
    try:
        f()
    except Exception as err:  # noqa: BLE001  (the test looks at what was raised)
        return err
    return None


# ---- xlogy, xlog1py and the where trap ---------------------------------------------------------------
def test_xlogy_is_zero_with_a_finite_gradient_where_x_is_zero():
    x = np.array([0.0, 0.0, 2.0])
    y = np.array([0.0, 3.0, 3.0])
    np.testing.assert_array_equal(tg.xlogy(x, y).numpy(), [0.0, 0.0, 2.0 * np.log(3.0)])
    gx, gy = tg.grad(lambda x, y: tg.reduce_sum(tg.xlogy(x, y)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx.numpy(), [0.0, np.log(3.0), np.log(3.0)])
    np.testing.assert_array_equal(gy.numpy(), [0.0, 0.0, 2.0 / 3.0])
    assert np.isfinite(tg.hessian(lambda x: tg.reduce_sum(tg.xlogy(x, y)))(x).numpy()).all()


def test_xlog1py_is_zero_with_a_finite_gradient_where_x_is_zero():
    x = np.array([0.0, 0.0, 2.0])
    y = np.array([-1.0, 2.0, 2.0])
    np.testing.assert_array_equal(tg.xlog1py(x, y).numpy(), [0.0, 0.0, 2.0 * np.log1p(2.0)])  # x * log1p(y)
    gx, gy = tg.grad(lambda x, y: tg.reduce_sum(tg.xlog1py(x, y)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx.numpy(), [0.0, np.log1p(2.0), np.log1p(2.0)])
    np.testing.assert_array_equal(gy.numpy(), [0.0, 0.0, 2.0 / 3.0])


def test_the_double_where_fix_documented_on_where_works():
    x = np.array([-1.0, 0.0, 2.0])

    def naive(x):
        return tg.reduce_sum(tg.where(x > 0, tg.log(x), 0.0))

    def fixed(x):
        safe = tg.where(x > 0, x, 1.0)
        return tg.reduce_sum(tg.where(x > 0, tg.log(safe), 0.0))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isnan(tg.grad(naive)(x).numpy()).any()  # the trap the docstring warns of
    np.testing.assert_array_equal(tg.grad(fixed)(x).numpy(), [0.0, 0.0, 0.5])
    assert "tg.where(x > 0, tg.log(safe), 0.0)" in tg.where.doc


@pytest.mark.parametrize(
    "op",
    [
        lambda x: tg.maximum(x, 0.0),
        lambda x: tg.minimum(-x, 0.0) * -1.0,
        lambda x: tg.clip(x, 0.0, 4.0),
        lambda x: tg.where(x > 0, x, 0.0),
    ],
    ids=["maximum", "minimum", "clip", "where"],
)
def test_an_inf_cotangent_where_an_argument_was_not_taken_gives_zero_not_nan(op):
    # sqrt'(0) = inf reaches the op where it passed its other argument: TensorFlow and JAX select
    # the cotangent there (0), a product with a 0/1 mask would give inf * 0 = nan
    x = np.array([-1.0, 0.25, 1.0])
    f = lambda x: tg.sqrt(op(x))  # noqa: E731
    expected = np.array([0.0, 1.0, 0.5])  # d sqrt(x)/dx = 1 / (2 sqrt(x)) where x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        g = tg.grad(lambda x: tg.reduce_sum(f(x)))(tg.constant(x)).numpy()
        jac_rev = tg.jacobian(f, mode="reverse")(tg.constant(x)).numpy()
        jac_fwd = tg.jacobian(f, mode="forward")(tg.constant(x)).numpy()
        compiled = tg.function(tg.grad(lambda x: tg.reduce_sum(f(x))))(tg.constant(x)).numpy()
    np.testing.assert_array_equal(g, expected)
    np.testing.assert_array_equal(jac_rev, np.diag(expected))
    np.testing.assert_array_equal(compiled, expected)
    # forward mode: the op's tangent is 0 there, and sqrt's own JVP makes 0 * inf = nan (jax.jacfwd too)
    np.testing.assert_array_equal(jac_fwd, np.where([[True], [False], [False]], np.nan, np.diag(expected)))
