"""Adversarial audit of the eager differentiation API (tapes, transforms, Taylor mode): the defects found.

1. ``tg.jacobian`` (default ``mode="auto"``) of a function of complex inputs ran in forward mode and
   returned the derivatives along the real parts only. For a function that is not holomorphic in
   its input (``abs(z)**2``, ``conj``, a real output) that is half the derivative, silently:
   ``tg.jacobian(lambda z: tg.abs(z)**2)([1+1j, 2j])`` gave ``diag(2, 0)``, the derivative along y
   lost. It is now an error naming tg.jvp / tape.jacobian / mode="forward" (JAX's jacfwd refuses
   complex inputs without ``holomorphic=True``); holomorphic functions keep their complex derivative,
   and an explicit ``mode="forward"`` (and ``tg.hessian``) keeps the documented columns along the real
   parts.
2. ``tg.derivatives`` and ``tg.derivative_tensors`` converted a complex NumPy/Python point to float64,
   dropping its imaginary part (a ComplexWarning, and derivatives at the wrong point:
   ``tg.derivatives(lambda z: z**3, 1+1j, 3)`` gave ``[3, 6, 6]``, those at z=1), and
   ``derivative_tensors`` cast complex Taylor coefficients to float64 even for a complex Tensor point
   or a complex output.
3. ``tg.recompute_grad`` recomputed ``f`` in the backward pass with the Variables' values at that
   time: a Variable read by ``f`` and assigned later inside the tape (an in-block update, an EMA)
   gave the gradient at its new value, silently (TensorFlow's gradient of the same program uses the
   value read). The recomputation now sees the snapshots ``f`` read.
4. ``tg.derivative_tensors`` combined its Taylor coefficients in plain NumPy, so under a tape or an
   accumulator (``tg.grad(lambda v: tg.derivative_tensors(f, v, 1)[1][0])``) the derivative tensors
   were constants: the gradient came back zeros, silently. Under a recorder the combination now
   runs on recorded ops.
5. ``tg.check_grads`` of a function with a tuple, list or dict output (JAX's check_grads takes
   them) failed with "output_gradients has 1 entries for 2 targets" or a float() TypeError; the
   output is now raveled into one vector. And it passed a rule whose derivative is NaN where the
   finite differences are finite, as long as the differences were non-finite somewhere else (it
   compared ``isfinite(...).all()`` of both, not the places).
6. ``tape.jacobian`` of an empty target (and ``batch_jacobian`` of an empty batch or example) was
   None, as if unconnected; TensorFlow and ``tg.jacobian`` give the empty Jacobian.
7. ``tg.custom_gradient`` and ``tg.recompute_grad`` do not differentiate keyword arguments
   (TensorFlow's rule), and a watched tensor passed by keyword got a None gradient, silently
   (``f(x, scale=s)`` with ``s`` watched: ``tape.gradient(y, s)`` None, as in TensorFlow). Such a
   call is now an error naming the fix (pass it positionally); unwatched keyword tensors still work.
8. ``tg.TaylorAccumulator`` (so ``tg.derivatives(..., direction=u)`` and ``tg.taylor_series``) cast a
   complex coefficient for a real primal to real (a ComplexWarning, and zero series), where
   ``ForwardAccumulator`` refuses a complex tangent for a real primal; now refused the same way.
   And it kept a coefficient's value only, so the derivative with respect to a direction
   (``tg.grad(lambda u: tg.derivatives(f, x, 2, direction=u)[1])``, 2 H u) came back zeros, silently;
   a coefficient an enclosing tape or accumulator follows now stays a Tensor.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tapegrad as tg
from tests.numpy.differences import central_differences as _fd

Z = np.array([1 + 1j, 0.5 - 2j])


@pytest.mark.parametrize(
    "f",
    [lambda z: tg.abs(z) ** 2, tg.conj, tg.real, lambda z: z * tg.conj(z), lambda z: tg.exp(tg.conj(z)) * z],
    ids=["abs2", "conj", "real", "z_conj_z", "exp_conj"],
)
def test_jacobian_refuses_a_function_not_holomorphic_in_its_complex_input(f):
    # the derivative along the imaginary part is not i times the one along the real part
    along_real = tg.jvp(f, (Z,), (np.ones(2, complex),))[1].numpy()
    along_imag = tg.jvp(f, (Z,), (1j * np.ones(2, complex),))[1].numpy()
    assert not np.allclose(along_imag, 1j * along_real)
    with pytest.raises(ValueError, match="not holomorphic.*tg.jvp"):
        tg.jacobian(f)(Z)
    # asked for explicitly, forward mode gives the columns along the real parts
    forward = tg.jacobian(f, mode="forward")(Z).numpy()
    np.testing.assert_allclose(np.diagonal(forward), along_real, rtol=1e-14)


def test_real_hessians_are_unchanged():
    x = np.array([0.3, -1.2])
    h = tg.hessian(lambda v: tg.reduce_sum(tg.sin(v) * v[0]))(x).numpy()
    expected = np.array([[2 * np.cos(x[0]) - x[0] * np.sin(x[0]), np.cos(x[1])], [np.cos(x[1]), -x[0] * np.sin(x[1])]])
    np.testing.assert_allclose(h, expected, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_jacobian_of_holomorphic_functions_of_complex_inputs_is_still_the_complex_derivative(dtype):
    z = Z.astype(dtype)
    rtol = 1e-12 if dtype == np.complex128 else 1e-5
    j = tg.jacobian(lambda v: tg.exp(v) * v * v)(z).numpy()
    np.testing.assert_allclose(j, np.diag(np.exp(z) * (z * z + 2 * z)), rtol=rtol)
    # a holomorphic function of a complex and a real argument, and a constant one
    ja, jb = tg.jacobian(lambda a, b: a * b, argnums=(0, 1))(Z, np.array([1.0, 2.0]))
    np.testing.assert_allclose(ja.numpy(), np.diag([1.0, 2.0]))
    np.testing.assert_allclose(jb.numpy(), np.diag(Z))
    np.testing.assert_array_equal(tg.jacobian(lambda v: v * 0.0)(Z).numpy(), np.zeros((2, 2)))


def test_tape_jacobian_of_a_real_output_of_complex_inputs_stacks_gradients():
    # the documented alternative: rows are the gradients dL/dx + i dL/dy, as finite differences give
    z = tg.constant(Z)
    with tg.GradientTape() as tape:
        tape.watch(z)
        y = tg.abs(z) ** 2 * tg.constant([1.0, 3.0])
    j = tape.jacobian(y, z).numpy()
    for row in range(2):
        expected = _fd(lambda v, r=row: (np.abs(v) ** 2 * np.array([1.0, 3.0]))[r], Z)
        np.testing.assert_allclose(j[row], expected, rtol=1e-6, atol=1e-8)


def test_derivatives_at_a_complex_point_keep_its_imaginary_part():
    z = 1 + 1j
    expected = [3 * z**2, 6 * z, 6]
    for point in (z, np.complex128(z), np.array(z), tg.constant(np.complex128(z))):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no ComplexWarning
            got = [complex(d) for d in tg.derivatives(lambda v: v**3, point, 3)]
        np.testing.assert_allclose(got, expected, rtol=1e-14)
    # and they agree with nested tg.grad along the real direction of a holomorphic f (its f', f'')
    f = lambda v: tg.exp(v) * tg.sin(v)  # noqa: E731
    d1, d2 = tg.derivatives(f, z, 2)
    fprime = np.exp(z) * (np.sin(z) + np.cos(z))
    np.testing.assert_allclose(complex(d1), fprime, rtol=1e-13)
    np.testing.assert_allclose(complex(d2), 2 * np.exp(z) * np.cos(z), rtol=1e-13)
    # TensorFlow's convention: tg.grad of Re f is conj(f')
    np.testing.assert_allclose(complex(tg.grad(lambda v: tg.real(f(v)))(np.complex128(z))), np.conj(fprime))


@pytest.mark.parametrize("vectorized", [False, True])
def test_derivative_tensors_keep_complex_coefficients(vectorized):
    f = lambda v: v[0] ** 3 * v[1]  # noqa: E731
    x = np.array([1 + 1j, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grad, hess, third = tg.derivative_tensors(f, x, 3, vectorized=vectorized)
    a, b = x
    np.testing.assert_allclose(value.numpy(), a**3 * b)
    np.testing.assert_allclose(grad.numpy(), [3 * a**2 * b, a**3], rtol=1e-13)
    np.testing.assert_allclose(hess.numpy(), [[6 * a * b, 3 * a**2], [3 * a**2, 0]], rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(hess.numpy(), tg.jacobian(tg.jacobian(f))(x).numpy(), rtol=1e-13, atol=1e-13)
    t = np.zeros((2, 2, 2), complex)
    t[0, 0, 0] = 6 * b
    t[0, 0, 1] = t[0, 1, 0] = t[1, 0, 0] = 6 * a
    np.testing.assert_allclose(third.numpy(), t, rtol=1e-12, atol=1e-12)
    # a complex output of a real point keeps its imaginary part too
    g = lambda v: v[0] * v[1] * (1 + 2j)  # noqa: E731
    _, gg, gh = tg.derivative_tensors(g, np.array([1.0, 2.0]), 2, vectorized=vectorized)
    np.testing.assert_allclose(gg.numpy(), [2 + 4j, 1 + 2j], rtol=1e-14)
    np.testing.assert_allclose(gh.numpy(), [[0, 1 + 2j], [1 + 2j, 0]], rtol=1e-14, atol=1e-14)


def test_recompute_grad_uses_the_variable_values_f_read_not_later_ones():
    x0 = np.array([0.3, -0.7, 1.1])
    w0 = np.array([1.0, 2.0, 3.0])
    w = tg.Variable(w0)
    block = tg.recompute_grad(lambda v: tg.sin(v * w))
    x = tg.constant(x0)
    with tg.GradientTape(persistent=True) as outer:
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = tg.reduce_sum(block(x))
            w.assign(w * 2.0)  # after the call: f read w0
        gx, gw = tape.gradient(y, [x, w])
        s = tg.reduce_sum(gx)
    np.testing.assert_allclose(gx.numpy(), _fd(lambda v: np.sin(v * w0), x0), rtol=1e-8)
    np.testing.assert_allclose(gw.numpy(), _fd(lambda v: np.sin(x0 * v), w0), rtol=1e-8)
    # second order through the recomputation, w.r.t. the Variable: d/dw sum(cos(x w) w)
    np.testing.assert_allclose(outer.gradient(s, w).numpy(), np.cos(x0 * w0) - x0 * w0 * np.sin(x0 * w0), rtol=1e-12)
    np.testing.assert_array_equal(w.numpy(), 2 * w0)  # and the Variable keeps its new value


@pytest.mark.parametrize("vectorized", [False, True])
def test_derivative_tensors_are_differentiable_under_a_tape(vectorized):
    f = lambda u: tg.exp(u[0]) * u[1] + tg.sin(u[0] * u[1])  # noqa: E731
    x0 = np.array([0.5, 2.0])

    def gradient_entry(v):  # d f / d u0, from the first derivative tensor
        return tg.derivative_tensors(f, v, 1, vectorized=vectorized)[1][0]

    def hessian_sum(v):  # sum of the second derivative tensor
        return tg.reduce_sum(tg.derivative_tensors(f, v, 2, vectorized=vectorized)[2])

    np.testing.assert_allclose(tg.grad(gradient_entry)(x0).numpy(), tg.hessian(f)(x0).numpy()[0], rtol=1e-12)
    np.testing.assert_allclose(
        tg.grad(hessian_sum)(x0).numpy(),
        _fd(lambda v: np.sum(tg.hessian(f)(v).numpy()), x0),
        rtol=1e-6,
    )
    # forward over it agrees with reverse: <v, J u> == <J^T v, u>
    u, w = np.array([0.3, -1.1]), np.float64(1.7)
    _, ju = tg.jvp(gradient_entry, (x0,), (u,))
    _, back = tg.vjp(gradient_entry, x0)
    np.testing.assert_allclose(float(ju) * w, float(np.dot(back(w)[0].numpy(), u)), rtol=1e-12)


def test_check_grads_takes_nested_outputs_and_catches_a_wrong_leaf():
    x0 = np.array([0.3, -0.7, 1.1])
    tg.check_grads(lambda x: (x * x, tg.sin(x)), x0, order=2)
    tg.check_grads(lambda x: {"a": x * x, "b": [tg.reduce_sum(x), x[0] * (1 + 2j)]}, x0, order=2)

    @tg.custom_gradient
    def two(x):
        return (x * x, tg.sin(x)), lambda dy1, dy2: dy1 * 2 * x + dy2 * 7.0  # the sine's rule is wrong

    with pytest.raises(AssertionError, match="reverse mode"):
        tg.check_grads(two, x0, order=1, modes=("reverse",))


def test_check_grads_catches_a_nan_derivative_where_the_differences_are_finite():
    @tg.custom_gradient
    def root(x):  # the rule is NaN at x=1 (where sqrt is smooth); the differences are NaN at x=0
        return tg.sqrt(x), lambda dy: dy * 0.5 / tg.sqrt(x) * tg.constant(np.array([np.nan, 1.0]))

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(AssertionError, match="reverse mode"):
            tg.check_grads(root, np.array([1.0, 0.0]), order=1, modes=("reverse",))


def test_tape_jacobian_of_an_empty_target_is_empty_not_none():
    x, z = tg.constant(np.zeros(0)), tg.constant(np.ones((3, 0)))
    with tg.GradientTape(persistent=True) as tape:
        tape.watch([x, z])
        y, w = x * 2.0, z * 3.0
    assert tape.jacobian(y, x).shape == (0, 0)
    assert tape.batch_jacobian(w, z).shape == (3, 0, 0)
    assert tg.jacobian(lambda v: v * 2.0)(np.zeros(0)).shape == (0, 0)
    # a non-empty target that does not depend on the source is still None (TensorFlow's default)
    s = tg.constant([1.0, 2.0])
    with tg.GradientTape() as tape:
        tape.watch(s)
        y = tg.constant([1.0, 2.0]) * 2.0
    assert tape.jacobian(y, s) is None


def test_custom_gradient_and_recompute_grad_refuse_a_followed_keyword_tensor():
    @tg.custom_gradient
    def scaled(x, scale=None):
        return x * scale, lambda dy: dy * scale

    x, s = tg.constant(3.0), tg.constant(2.0)
    with tg.GradientTape() as tape:
        tape.watch([x, s])
        with pytest.raises(TypeError, match="keyword argument 'scale'.*positional"):
            scaled(x, scale=s)
    with tg.GradientTape() as tape:  # a keyword tensor no tape follows is a constant: fine
        tape.watch(x)
        y = scaled(x, scale=s)
    assert float(tape.gradient(y, x)) == 2.0
    w = tg.Variable(2.0)
    block = tg.recompute_grad(lambda v, s: tg.sin(v) * s)
    with tg.ForwardAccumulator(x, tg.constant(1.0)):
        with pytest.raises(TypeError, match="keyword argument 's'"):
            block(x, s=x * 2.0)
    with tg.GradientTape() as tape:
        with pytest.raises(TypeError, match="keyword argument 's'"):
            block(x, s=w * 1.0)  # a trainable Variable read: followed
    # positionally, both derivatives come back
    with tg.GradientTape() as tape:
        y = block(x, w * 1.0)
    np.testing.assert_allclose(float(tape.gradient(y, w)), np.sin(3.0), rtol=1e-6)


def test_taylor_refuses_a_complex_coefficient_for_a_real_primal():
    x = tg.constant(0.7, dtype=tg.float64)
    with pytest.raises(TypeError, match="complex coefficient.*real primal"):
        tg.taylor_series(tg.exp, [x], [[1j]], order=2)
    with pytest.raises(TypeError, match="complex coefficient"):
        tg.derivatives(lambda v: v * v, 1.0, 2, direction=1j)
    # a complex primal takes them
    got = tg.derivatives(lambda v: v * v, 1.0 + 0j, 2, direction=1j)
    np.testing.assert_allclose([complex(g) for g in got], [2j, -2.0])


def test_derivatives_are_differentiable_with_respect_to_the_direction():
    x = np.array([0.3, 0.8])
    f = lambda v: tg.reduce_sum(tg.sin(v) * v[0])  # noqa: E731
    u0 = np.array([1.0, 0.5])

    def along(order):  # d^order/dt^order f(x + t u)
        return lambda u: tg.derivatives(f, x, order, direction=u)[order - 1]

    def numpy_along(order):
        def g(u):
            return float(tg.derivatives(f, x, order, direction=u)[order - 1])

        return g

    np.testing.assert_allclose(tg.grad(along(1))(u0).numpy(), tg.grad(f)(x).numpy(), rtol=1e-13)
    np.testing.assert_allclose(tg.grad(along(2))(u0).numpy(), 2 * tg.hvp(f, (x,), (u0,)).numpy(), rtol=1e-13)
    np.testing.assert_allclose(tg.grad(along(3))(u0).numpy(), _fd(numpy_along(3), u0), rtol=1e-7)
    # forward over it, and both the point and the direction at once
    w = np.array([0.0, 1.0])
    _, forward = tg.jvp(along(2), (u0,), (w,))
    np.testing.assert_allclose(float(forward), 2 * float(np.dot(tg.hvp(f, (x,), (u0,)).numpy(), w)), rtol=1e-13)
    gx, gu = tg.grad(lambda p, u: tg.derivatives(f, p, 1, direction=u)[0], argnums=(0, 1))(x, u0)
    np.testing.assert_allclose(gx.numpy(), tg.hvp(f, (x,), (u0,)).numpy(), rtol=1e-13)
    np.testing.assert_allclose(gu.numpy(), tg.grad(f)(x).numpy(), rtol=1e-13)
