"""Complex numbers: one convention, TensorFlow's (and PyTorch's), for a real loss L of z = x + iy the
gradient is dL/dx + i dL/dy, the conjugate of JAX's. The spec-table rows check every rule along the
real and the imaginary directions; these tests pin the convention itself with worked examples.
"""

from __future__ import annotations

import numpy as np
import pytest

import tapegrad as tg

Z = 1 + 2j


def _tape_gradient(f, z, **kwargs):
    z = tg.constant(z)
    with tg.GradientTape() as tape:
        tape.watch(z)
        y = f(z)
    return tape.gradient(y, z, **kwargs)


def test_the_issue_example_abs_of_z_squared_squared():
    # L = |z|^4 = (x^2 + y^2)^2: dL/dx = 4x(x^2 + y^2) = 20, dL/dy = 4y(x^2 + y^2) = 40
    f = lambda z: tg.abs(z * z) ** 2  # noqa: E731
    assert complex(_tape_gradient(f, Z).numpy()) == pytest.approx(20 + 40j)
    assert complex(tg.grad(f)(np.complex128(Z)).numpy()) == pytest.approx(20 + 40j)


def test_abs_of_a_real_times_a_complex_constant():
    # |x (1 + i)| = sqrt(2) |x|: the gradient is not 0
    g = tg.grad(lambda x: tg.abs(x * (1 + 1j)))(np.float64(2.0))
    assert g.dtype == np.float64
    assert float(g) == pytest.approx(np.sqrt(2.0))
    assert float(tg.grad(lambda x: tg.abs(x * (1 + 1j)))(np.float64(-3.0))) == pytest.approx(-np.sqrt(2.0))


@pytest.mark.parametrize(
    "f, expected",
    [
        (lambda z: tg.real(z), 1.0),  # d Re z: dx = 1, dy = 0
        (lambda z: tg.imag(z), 1j),  # d Im z: dx = 0, dy = 1
        (lambda z: tg.real(z * tg.conj(z)), 2 * Z),  # |z|^2: 2x + 2iy
        (lambda z: tg.angle(z), 1j * Z / abs(Z) ** 2),  # atan2(y, x): (-y + ix) / |z|^2
        (lambda z: tg.real(tg.exp(z)), np.conj(np.exp(Z))),  # holomorphic f, L = Re f: conj(f'(z))
        (lambda z: tg.imag(z * z), 1j * np.conj(2 * Z)),  # L = Im f = Re(-i f): conj(-i f') = i conj(f')
    ],
    ids=["real", "imag", "abs2", "angle", "re_exp", "im_square"],
)
def test_gradients_are_d_dx_plus_i_d_dy(f, expected):
    assert complex(_tape_gradient(f, Z).numpy()) == pytest.approx(expected)
    # and against central differences along the real and the imaginary direction
    h = 1e-6
    loss = lambda z: float(np.asarray(f(tg.constant(z)).numpy()).real)  # noqa: E731
    numeric = (loss(Z + h) - loss(Z - h)) / (2 * h) + 1j * (loss(Z + 1j * h) - loss(Z - 1j * h)) / (2 * h)
    assert complex(expected) == pytest.approx(numeric, abs=1e-6)


def test_complex_output_gradients_are_not_cut_to_their_real_part():
    # y = f(z) holomorphic with output gradient v: the gradient of Re(conj(v) y) is v conj(f'(z))
    v = 0.5 - 1.5j
    g = _tape_gradient(lambda z: z * z, Z, output_gradients=tg.constant(v))
    assert complex(g.numpy()) == pytest.approx(v * np.conj(2 * Z))
    g = _tape_gradient(lambda z: z * z, Z, output_gradients=v)  # a Python complex as well
    assert complex(g.numpy()) == pytest.approx(v * np.conj(2 * Z))
    # a real source under a complex output: y = x (1 + i) with v = i gives Re(-i x (1 + i)) = x: 1
    x = tg.constant(np.float64(3.0))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * (1 + 1j)
    assert float(tape.gradient(y, x, output_gradients=1j)) == pytest.approx(1.0)


def test_vjp_and_gradients_function_follow_the_same_convention():
    _, vjp_fn = tg.vjp(lambda z: z * z, np.complex128(Z))
    (g,) = vjp_fn(np.complex128(1j))
    assert complex(g.numpy()) == pytest.approx(1j * np.conj(2 * Z))
    (g,) = tg.gradients_function(lambda z: tg.abs(z) ** 2)(np.complex128(Z))
    assert complex(g.numpy()) == pytest.approx(2 * Z)


def test_forward_mode_pushes_complex_tangents():
    _, t = tg.jvp(lambda z: tg.abs(z) ** 2, (np.complex128(Z),), (np.complex128(1j),))
    assert float(t) == pytest.approx(2 * Z.imag)  # along the imaginary direction: 2y
    _, t = tg.jvp(lambda z: tg.sin(z), (np.complex128(Z),), (np.complex128(1 - 1j),))
    assert complex(t.numpy()) == pytest.approx(np.cos(Z) * (1 - 1j))


def test_second_order_mixed_complex():
    # the Hessian-vector product of |z|^4 along u, forward over reverse and reverse over reverse agree
    f = lambda z: tg.abs(z) ** 4  # noqa: E731
    tg.check_grads(f, np.array([1 + 2j, -0.5 + 0.3j]), order=2)
    z = tg.constant(np.complex128(Z))
    with tg.GradientTape() as outer:
        outer.watch(z)
        with tg.GradientTape() as inner:
            inner.watch(z)
            y = f(z)
        g = inner.gradient(y, z)  # 4 |z|^2 z
        loss = tg.real(g * tg.conj(g))  # |g|^2 = 16 |z|^6
    second = outer.gradient(loss, z)  # 96 |z|^4 z
    assert complex(second.numpy()) == pytest.approx(96 * abs(Z) ** 4 * Z)


def test_jacobian_of_a_holomorphic_function_is_its_complex_derivative():
    z = np.array([1 + 2j, 0.5 - 1j])
    expected = np.diag(np.cos(z))
    for mode in ("forward", "auto"):
        np.testing.assert_allclose(tg.jacobian(tg.sin, mode=mode)(z).numpy(), expected)
    with pytest.raises(ValueError, match="mode='forward'"):
        tg.jacobian(tg.sin, mode="reverse")(z)
    # real input, complex output: the imaginary part is kept
    np.testing.assert_allclose(tg.jacobian(lambda x: x * (1 + 2j))(np.ones(2)).numpy(), np.eye(2) * (1 + 2j))


def test_cast_from_complex_keeps_the_real_part_and_its_gradient():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning
        assert float(tg.cast(tg.constant(np.complex128(Z)), tg.float64)) == 1.0
        g = _tape_gradient(lambda z: tg.cast(z, tg.float64) ** 2, Z)
    assert complex(g.numpy()) == pytest.approx(2.0)


def test_vdot_conjugates_its_first_argument():
    a = np.array([1 + 1j, 2 - 1j])
    b = np.array([0.5j, 3.0 + 0j])
    assert complex(tg.vdot(tg.constant(a), tg.constant(b)).numpy()) == pytest.approx(np.vdot(a, b))


def test_numerical_gradient_follows_the_convention():
    (g,) = tg.numerical_gradient(lambda z: tg.sum(tg.abs(z) ** 2), np.array([Z, 1j]))
    np.testing.assert_allclose(g, [2 * Z, 2j], rtol=1e-6)


def test_the_convention_is_documented_with_its_relation_to_jax():
    from tapegrad import backward

    for doc in (backward.__doc__, tg.GradientTape.gradient.__doc__):
        assert "dL/dx + i dL/dy" in doc and "JAX" in doc and "conjugate" in doc


def test_custom_gradient_takes_and_gives_gradients_in_the_same_convention():
    @tg.custom_gradient
    def square(z):
        def grad_fn(upstream):  # TensorFlow's convention: upstream * conj(f'(z)) for holomorphic f
            return upstream * tg.conj(2 * z)

        return z * z, grad_fn

    z = np.array([1 + 2j, 0.5 - 1j])
    tg.check_grads(lambda z: tg.abs(square(z)) ** 2, z, order=2)
    tg.check_grads(square, z, order=2)  # forward mode transposes grad_fn


def test_complex_cotangents_and_tangents_for_real_values_are_refused_not_cut():
    x = tg.constant(np.array([1.0, 2.0]))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
    with pytest.raises(TypeError, match="output_gradients is complex"):
        tape.gradient(y, x, output_gradients=np.array([1j, 1.0]))
    with pytest.raises(TypeError, match="tangent 0 is complex"):
        tg.ForwardAccumulator(x, np.array([1j, 0.0]))
    with pytest.raises(TypeError, match="complex tangent or cotangent"):
        tg.jvp(lambda v: v * 2.0, (np.array([1.0, 2.0]),), (np.array([1j, 0.0]),))
    _, vjp_fn = tg.vjp(lambda v: v * 2.0, np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="complex tangent or cotangent"):
        vjp_fn(np.array([1j, 0.0]))
