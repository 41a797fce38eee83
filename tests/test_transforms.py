"""Function transforms: grad, gradients_function, vjp, jvp, jacobian, hessian, hvp, stop_gradient.

Values are checked against closed forms; every transform is composed with the others and with tapes.
"""

from __future__ import annotations

from math import pi

import numpy as np
import pytest

import tapegrad as tg
from tapegrad import (
    grad,
    gradients_function,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    stop_gradient,
    transforms,
    value_and_grad,
    value_and_gradients_function,
    vjp,
)
from tapegrad.forward import forward_walk

X = np.linspace(-2 * pi, 2 * pi, 100)
# sin(x)^2 and its derivatives: sin 2x, 2 cos 2x, -4 sin 2x, -8 cos 2x
SIN2_DERIVATIVES = [np.sin(X) ** 2, np.sin(2 * X), 2 * np.cos(2 * X), -4 * np.sin(2 * X), -8 * np.cos(2 * X)]


def f_sin2(x):
    return tg.square(tg.sin(x))


def value(t):
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)


# ---- seed 002: gradients_function ---------------------------------------------------------------
def test_seed_gradients_function_at_pi_over_2():
    assert f_sin2(pi / 2).numpy() == 1.0
    grad_f = gradients_function(f_sin2)
    result = grad_f(pi / 2)
    assert isinstance(result, list) and len(result) == 1
    assert tg.abs(result[0]).numpy() < 1e-7


def test_seed_control_flow_with_an_integer_loop_count():
    def f(x, y):
        output = 1
        for _ in range(int(y)):
            output = tg.multiply(output, x)
        return output

    def g(x, y):
        return gradients_function(f)(x, y)[0]

    assert f(3.0, 2).numpy() == 9.0
    assert g(3.0, 2).numpy() == 6.0
    assert f(4.0, 3).numpy() == 64.0
    assert g(4.0, 3).numpy() == 48.0
    assert gradients_function(f)(3.0, 2)[1] is None  # the int is not differentiated


def test_seed_higher_order_derivatives_of_sin_squared_up_to_the_fourth():
    def d(f):  # the seed's helper
        return lambda x: gradients_function(f)(x)[0]

    x = tg.constant(X)
    fns = [f_sin2, d(f_sin2), d(d(f_sin2)), d(d(d(f_sin2))), d(d(d(d(f_sin2))))]
    for k, fn in enumerate(fns):
        np.testing.assert_allclose(fn(x).numpy(), SIN2_DERIVATIVES[k], rtol=1e-12, atol=1e-12, err_msg=f"order {k}")


def test_seed_lin_space_in_float32_matches_too():
    x = tg.lin_space(-2 * pi, 2 * pi, 100)
    d3 = gradients_function(lambda x: gradients_function(lambda x: gradients_function(f_sin2)(x)[0])(x)[0])(x)[0]
    assert d3.dtype == np.float32
    np.testing.assert_allclose(d3.numpy(), -4 * np.sin(2 * x.numpy().astype(np.float64)), atol=1e-5)


def test_derivatives_of_sin_squared_by_every_mode():
    ones = np.ones_like(X)

    def rev(f):  # elementwise f: the gradient of its sum is its derivative
        return lambda x: grad(lambda y: tg.sum(f(y)))(x)

    def fwd(f):
        return lambda x: jvp(f, (x,), (ones,))[1]

    for name, d in [("reverse", rev), ("forward", fwd)]:
        fn = f_sin2
        for k in range(1, 5):
            fn = d(fn)
            np.testing.assert_allclose(value(fn(X)), SIN2_DERIVATIVES[k], atol=1e-11, err_msg=f"{name} order {k}")
    mixed = fwd(rev(fwd(rev(f_sin2))))
    np.testing.assert_allclose(value(mixed(X)), SIN2_DERIVATIVES[4], atol=1e-11)


def test_value_and_gradients_function_with_dy_and_several_outputs():
    def f(x, y):
        return [x * y, x + y]

    val, grads = value_and_gradients_function(f)(np.float64(2.0), np.float64(5.0))
    assert [float(v) for v in val] == [10.0, 7.0]
    assert [float(g) for g in grads] == [6.0, 3.0]  # d(xy + x + y)
    grads = gradients_function(f)(np.float64(2.0), np.float64(5.0), dy=[np.float64(2.0), np.float64(0.0)])
    assert [float(g) for g in grads] == [10.0, 4.0]
    (g,) = gradients_function(lambda x: x * x)(np.array([1.0, 2.0]), dy=[1.0, 10.0])  # list: one value
    np.testing.assert_array_equal(g.numpy(), [2.0, 40.0])
    grads = gradients_function(f, params=[1])(np.float64(2.0), np.float64(5.0))
    assert len(grads) == 1 and float(grads[0]) == 3.0


def test_gradients_function_gives_none_for_unconnected_arguments():
    grads = gradients_function(lambda x, y: x * 2.0)(np.float64(1.0), np.float64(3.0))
    assert float(grads[0]) == 2.0 and grads[1] is None


# ---- closed forms from the seeds ------------------------------------------------------------------
def test_sin_of_x_squared_at_3_forward_and_reverse():
    expected = 6 * np.cos(9.0)  # about -5.46
    _, forward = jvp(lambda x: tg.sin(x**2), (np.float64(3.0),), (np.float64(1.0),))
    reverse = grad(lambda x: tg.sin(x**2))(np.float64(3.0))
    np.testing.assert_allclose([float(forward), float(reverse)], [expected, expected], rtol=1e-14)
    assert abs(float(reverse) - (-5.46)) < 0.01


def test_hessian_of_x2y_plus_y_plus_2_at_3_4():
    def f(x, y):
        return x**2 * y + y + 2

    h = hessian(f, argnums=(0, 1))(np.float64(3.0), np.float64(4.0))
    np.testing.assert_array_equal([[float(h[i][j]) for j in range(2)] for i in range(2)], [[8.0, 6.0], [6.0, 0.0]])
    hv = hessian(lambda v: v[0] ** 2 * v[1] + v[1] + 2)(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(hv.numpy(), [[8.0, 6.0], [6.0, 0.0]])
    for mode in ("forward", "reverse"):
        hm = jacobian(grad(lambda v: v[0] ** 2 * v[1] + v[1] + 2), mode=mode)(np.array([3.0, 4.0]))
        np.testing.assert_array_equal(hm.numpy(), [[8.0, 6.0], [6.0, 0.0]])


def test_grad_of_grad_of_grad_and_unconnected_orders_give_zeros():
    cube = lambda x: x**3
    assert float(grad(grad(grad(cube)))(np.float64(2.0))) == 6.0
    square = lambda x: x * x
    assert float(grad(grad(square))(np.float64(5.0))) == 2.0
    assert float(grad(grad(grad(square)))(np.float64(5.0))) == 0.0  # zeros, so it composes further
    assert float(grad(grad(grad(grad(square))))(np.float64(5.0))) == 0.0


# ---- grad, value_and_grad ---------------------------------------------------------------------------
def test_grad_argnums_and_value_and_grad():
    f = lambda x, y, z: x * y**2 + tg.sin(z)
    a, b, c = np.float64(1.5), np.float64(-2.0), np.float64(0.3)
    assert float(grad(f)(a, b, c)) == 4.0
    gy, gz = grad(f, argnums=(1, 2))(a, b, c)
    assert float(gy) == 2 * a * b and float(gz) == np.cos(c)
    assert float(grad(f, argnums=-1)(a, b, c)) == np.cos(c)
    val, g = value_and_grad(f, argnums=(0,))(a, b, c)
    assert float(val) == a * b**2 + np.sin(c) and isinstance(g, tuple) and float(g[0]) == 4.0


def test_grad_has_aux():
    def loss(w, x):
        pred = w * x
        return tg.sum((pred - 1.0) ** 2), {"pred": pred}

    x = np.array([1.0, 2.0])
    g, aux = grad(loss, has_aux=True)(np.float64(0.5), x)
    np.testing.assert_allclose(float(g), np.sum(2 * (0.5 * x - 1) * x))
    np.testing.assert_allclose(aux["pred"].numpy(), 0.5 * x)
    (val, aux2), g2 = value_and_grad(loss, has_aux=True)(np.float64(0.5), x)
    assert float(val) == np.sum((0.5 * x - 1) ** 2) and float(g2) == float(g)


def test_gradient_structure_follows_nested_parameters():
    params = {"w": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": np.array([0.5, -0.5]), "layers": [np.float64(2.0)]}
    x = np.array([1.0, -1.0])

    def loss(p, x):
        h = tg.sum(p["w"] * x, axis=1) + p["b"]
        return tg.sum(h * h) * p["layers"][0]

    g = grad(loss)(params, x)
    assert set(g) == {"w", "b", "layers"} and isinstance(g["layers"], list)
    h = params["w"] @ x + params["b"]
    np.testing.assert_allclose(g["b"].numpy(), 2 * h * 2.0)
    np.testing.assert_allclose(g["w"].numpy(), np.outer(2 * h * 2.0, x))
    np.testing.assert_allclose(float(g["layers"][0]), np.sum(h * h))


def test_same_tensor_in_two_positions_gets_two_partial_derivatives():
    x = tg.constant(np.float64(3.0))
    gx, gy = grad(lambda a, b: a * a * b, argnums=(0, 1))(x, x)
    assert float(gx) == 18.0 and float(gy) == 9.0


def test_variables_as_arguments():
    w = tg.Variable(np.array([1.0, 2.0]))
    g = grad(lambda v: tg.sum(v * v * v))(w)
    np.testing.assert_array_equal(g.numpy(), [3.0, 12.0])
    _, t = jvp(lambda v: tg.sum(v * v), (w,), (np.array([1.0, 1.0]),))
    assert float(t) == 6.0


def test_dtypes_are_kept():
    g = grad(lambda x: tg.sum(tg.sin(x)))(np.array([0.1, 0.2], dtype=np.float32))
    assert g.dtype == np.float32
    assert grad(lambda x: x * x)(3.0).dtype == tg.default_float()
    j = jacobian(lambda x: tg.sin(x), mode="forward")(np.array([0.1, 0.2], dtype=np.float32))
    assert j.dtype == np.float32


def test_grad_errors_are_clear():
    with pytest.raises(TypeError, match="scalar output"):
        grad(lambda x: x * 2)(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="integer"):
        grad(lambda x: x * 2)(3)
    with pytest.raises(ValueError, match="argnums=2"):
        grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)
    with pytest.raises(TypeError, match="argnums must be"):
        grad(lambda x: x, argnums="0")
    with pytest.raises(TypeError, match="has_aux"):
        grad(lambda x: x * x, has_aux=True)(1.0)


def test_constant_function_has_zero_gradient():
    assert float(grad(lambda x: tg.constant(np.float64(2.0)))(np.float64(1.0))) == 0.0


# ---- composition with tapes -------------------------------------------------------------------------
def test_grad_of_a_function_that_uses_a_tape_inside():
    def dfdx(x):
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = x**4
        return tape.gradient(y, x)  # 4 x^3

    assert float(grad(dfdx)(np.float64(2.0))) == 48.0  # 12 x^2
    assert float(grad(grad(dfdx))(np.float64(2.0))) == 48.0  # 24 x


def test_tape_around_a_function_that_calls_grad():
    x = tg.constant(np.float64(2.0))
    with tg.GradientTape() as tape:
        tape.watch(x)
        g = grad(lambda y: y**4)(x)  # 4 x^3 = 32
    assert float(g) == 32.0
    assert float(tape.gradient(g, x)) == 48.0
    with tg.GradientTape() as tape:
        tape.watch(x)
        h = hessian(lambda y: y**4)(x)  # 12 x^2
    assert float(h) == 48.0 and float(tape.gradient(h, x)) == 48.0  # 24 x


def test_accumulator_around_grad_and_jacobian():
    x = tg.constant(np.array([0.5, -1.0]))
    with tg.ForwardAccumulator(x, np.array([1.0, 0.0])) as acc:
        g = grad(lambda y: tg.sum(y**3))(x)
        j = jacobian(lambda y: y**3, mode="forward")(x)
    np.testing.assert_allclose(acc.jvp(g).numpy(), [6 * 0.5, 0.0])
    np.testing.assert_allclose(acc.jvp(j).numpy(), [[6 * 0.5, 0.0], [0.0, 0.0]])


# ---- vjp, jvp, hvp -------------------------------------------------------------------------------------
def test_vjp_is_v_transposed_times_the_jacobian_and_reusable():
    a = np.array([0.3, -0.7, 1.1])
    f = lambda x: tg.stack([tg.sum(x * x), tg.sum(tg.sin(x))])
    out, vjp_fn = vjp(f, a)
    np.testing.assert_allclose(out.numpy(), [np.sum(a * a), np.sum(np.sin(a))])
    jac = np.stack([2 * a, np.cos(a)])
    for v in (np.array([1.0, 0.0]), np.array([0.5, -2.0])):
        (g,) = vjp_fn(v)
        np.testing.assert_allclose(g.numpy(), v @ jac, rtol=1e-14)


def test_vjp_with_several_primals_and_outputs():
    out, vjp_fn = vjp(lambda x, y: (x * y, x + y), np.float64(2.0), np.float64(3.0))
    gx, gy = vjp_fn((np.float64(1.0), np.float64(10.0)))
    assert float(gx) == 3.0 + 10.0 and float(gy) == 2.0 + 10.0
    (g,) = vjp(lambda x: (x * x, x), np.array([1.0, 2.0]))[1](([1.0, 1.0], [0.0, 1.0]))
    np.testing.assert_array_equal(g.numpy(), [2.0, 5.0])
    with pytest.raises(ValueError, match="same structure"):
        vjp_fn(np.float64(1.0))
    out, vjp_fn, aux = vjp(lambda x: (x * x, "aux"), np.float64(2.0), has_aux=True)
    assert aux == "aux" and float(vjp_fn(np.float64(1.0))[0]) == 4.0


def test_jvp_with_structures_and_unconnected_outputs():
    primals = ({"a": np.float64(1.0), "b": np.array([1.0, 2.0])},)
    tangents = ({"a": np.float64(1.0), "b": np.array([0.0, 1.0])},)
    f = lambda p: {"s": p["a"] * tg.sum(p["b"]), "c": tg.constant(np.float64(7.0))}
    out, t = jvp(f, primals, tangents)
    assert float(out["s"]) == 3.0
    assert float(t["s"]) == 1.0 * 3.0 + 1.0 * 1.0 and float(t["c"]) == 0.0
    with pytest.raises(ValueError, match="tangents"):
        jvp(f, primals, ())
    _, t = jvp(lambda x: x * x, (np.array([1.0, 2.0]),), ([1.0, 0.5],))  # a list is one tangent
    np.testing.assert_array_equal(t.numpy(), [2.0, 2.0])
    _, t = jvp(lambda x, y: x * y[0], (np.float64(2.0), [np.float64(3.0)]), (1.0, [0.0]))
    assert float(t) == 3.0


def test_jvp_nests_with_itself_and_with_tapes():
    f = lambda x: tg.sin(x) * x
    x0 = np.float64(0.7)
    d1 = lambda x: jvp(f, (x,), (np.float64(1.0),))[1]  # sin x + x cos x
    d2 = lambda x: jvp(d1, (x,), (np.float64(1.0),))[1]  # 2 cos x - x sin x
    np.testing.assert_allclose(float(d2(x0)), 2 * np.cos(x0) - x0 * np.sin(x0), rtol=1e-14)
    reverse_over_forward = grad(d1)(x0)
    forward_over_reverse = jvp(grad(f), (x0,), (np.float64(1.0),))[1]
    np.testing.assert_allclose([float(reverse_over_forward), float(forward_over_reverse)],
                               [2 * np.cos(x0) - x0 * np.sin(x0)] * 2, rtol=1e-14)
    d3 = lambda x: jvp(d2, (x,), (np.float64(1.0),))[1]  # -3 sin x - x cos x
    np.testing.assert_allclose(float(d3(x0)), -3 * np.sin(x0) - x0 * np.cos(x0), rtol=1e-13)


def test_hvp_equals_hessian_times_vector():
    a = np.array([0.5, -0.3, 0.8])
    v = np.array([1.0, 2.0, -1.0])
    f = lambda x: tg.sum(x**3) * tg.sum(x)
    expected = (np.diag(6 * a * a.sum()) + np.outer(3 * a**2, np.ones(3)) + np.outer(np.ones(3), 3 * a**2)) @ v
    np.testing.assert_allclose(hvp(f, (a,), (v,)).numpy(), expected, rtol=1e-13)
    np.testing.assert_allclose(hessian(f)(a).numpy() @ v, expected, rtol=1e-13)
    hx, hy = hvp(lambda x, y: x * x * y, (np.float64(3.0), np.float64(4.0)), (np.float64(1.0), np.float64(0.0)))
    assert float(hx) == 8.0 and float(hy) == 6.0


# ---- Jacobians -----------------------------------------------------------------------------------------
def test_jacobian_forward_and_reverse_agree_with_the_closed_form():
    A = np.array([[1.0, 2.0, 0.5], [-1.0, 0.3, 2.0]])
    a = np.array([0.2, -0.4, 0.9])
    f = lambda x: tg.sin(tg.sum(A * x, axis=1))
    expected = np.cos(A @ a)[:, None] * A
    for j in (jacobian(f, mode="forward")(a), jacobian(f, mode="reverse")(a), jacfwd(f)(a), jacrev(f)(a),
              jacobian(f)(a)):
        assert j.shape == (2, 3)
        np.testing.assert_allclose(j.numpy(), expected, rtol=1e-14)


def test_jacobian_records_f_once(monkeypatch):
    calls = []

    def f(x):
        calls.append(1)
        return tg.exp(x) * tg.sum(x)

    a = np.array([0.1, 0.2, 0.3, 0.4])
    expected = np.diag(np.exp(a)) * a.sum() + np.outer(np.exp(a), np.ones(4))
    for mode in ("forward", "reverse"):
        calls.clear()
        np.testing.assert_allclose(jacobian(f, mode=mode)(a).numpy(), expected, rtol=1e-14)
        assert len(calls) == 1, mode
    calls.clear()
    hessian(lambda x: tg.sum(f(x)))(a)
    assert len(calls) == 1


def test_jacobian_auto_mode_picks_forward_for_few_inputs(monkeypatch):
    walks = []
    real = transforms.forward_walk
    monkeypatch.setattr(transforms, "forward_walk", lambda *a, **k: walks.append(1) or real(*a, **k))
    few_in = jacobian(lambda x: tg.stack([x, x * x, tg.sin(x)]))(np.float64(0.5))  # 1 input, 3 outputs
    np.testing.assert_allclose(few_in.numpy(), [1.0, 1.0, np.cos(0.5)])
    assert len(walks) == 1
    walks.clear()
    jacobian(lambda x: tg.sum(x * x))(np.array([1.0, 2.0, 3.0]))  # 3 inputs, 1 output: reverse
    assert not walks


def test_jacobian_structures_and_argnums():
    def f(p, x):
        return {"y": p["w"] * x, "s": tg.sum(p["w"])}

    p = {"w": np.array([1.0, 2.0])}
    x = np.float64(3.0)
    for mode in ("forward", "reverse"):
        j = jacobian(f, argnums=(0, 1), mode=mode)(p, x)
        np.testing.assert_array_equal(j["y"][0]["w"].numpy(), np.diag([3.0, 3.0]))
        np.testing.assert_array_equal(j["y"][1].numpy(), [1.0, 2.0])
        np.testing.assert_array_equal(j["s"][0]["w"].numpy(), [1.0, 1.0])
        assert float(j["s"][1]) == 0.0  # unconnected: zeros


def test_jacobian_of_identity_and_has_aux():
    a = np.array([1.0, 2.0])
    for mode in ("forward", "reverse"):
        np.testing.assert_array_equal(jacobian(lambda x: x, mode=mode)(a).numpy(), np.eye(2))
    j, aux = jacobian(lambda x: (x * 2, "aux"), has_aux=True)(a)
    assert aux == "aux"
    np.testing.assert_array_equal(j.numpy(), 2 * np.eye(2))


def test_jacobian_of_matrix_function_shapes():
    a = np.arange(6.0).reshape(2, 3) / 10
    for mode in ("forward", "reverse"):
        j = jacobian(lambda x: tg.tanh(x), mode=mode)(a)
        assert j.shape == (2, 3, 2, 3)
        expected = np.diag((1 - np.tanh(a) ** 2).ravel()).reshape(2, 3, 2, 3)
        np.testing.assert_allclose(j.numpy(), expected, rtol=1e-14)


def test_jacobian_is_differentiable():
    a = np.array([0.3, -0.2])
    for mode in ("forward", "reverse"):
        # d/dx sum(J) for f = x^3 elementwise: J = diag(3x^2), so the gradient is 6x
        g = grad(lambda x, mode=mode: tg.sum(jacobian(lambda y: y**3, mode=mode)(x)))(a)
        np.testing.assert_allclose(g.numpy(), 6 * a, rtol=1e-14)
    third = jacobian(hessian(lambda x: tg.sum(x**4)))(a)  # d3/dx3 sum x^4 = 24 x on the diagonal
    expected = np.zeros((2, 2, 2))
    expected[0, 0, 0], expected[1, 1, 1] = 24 * a
    np.testing.assert_allclose(third.numpy(), expected, rtol=1e-14)


def test_forward_walk_over_a_recorded_tape():
    x = tg.constant(np.array([0.5, 1.5]))
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.exp(x) * x
    tangents = forward_walk(tape.records, {x._key: np.array([1.0, 0.0])}, raw=True)
    np.testing.assert_allclose(tangents[y._key], [np.exp(0.5) * 1.5, 0.0])
    assert len(tangents) == 3  # x, exp(x) and y
    kept = forward_walk(tape.records, {x._key: np.array([1.0, 0.0])}, raw=True, keep={y._key})
    assert set(kept) == {y._key}  # the others were dropped after their last use
    np.testing.assert_allclose(kept[y._key], tangents[y._key])


# ---- stop_gradient -------------------------------------------------------------------------------------
def test_stop_gradient_in_every_mode_and_order():
    f = lambda x: x * stop_gradient(x)  # derivative: stop(x), itself a constant: second derivative 0, not 2
    x0 = np.float64(3.0)
    assert float(f(x0)) == 9.0
    assert float(grad(f)(x0)) == 3.0
    assert float(jvp(f, (x0,), (np.float64(1.0),))[1]) == 3.0
    assert float(grad(grad(f))(x0)) == 0.0
    assert float(hessian(f)(x0)) == 0.0
    assert float(jvp(grad(f), (x0,), (np.float64(1.0),))[1]) == 0.0
    assert float(grad(grad(lambda x: x * x))(x0)) == 2.0  # without stop_gradient
    assert float(jacobian(f, mode="forward")(x0)) == 3.0
    x = tg.constant(x0)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = stop_gradient(x) ** 2
    assert tape.gradient(y, x) is None
    with tg.ForwardAccumulator(x, 1.0) as acc:
        y = stop_gradient(x) ** 2
    assert acc.jvp(y) is None
    s = stop_gradient({"a": x, "b": [x]})
    assert float(s["b"][0]) == 3.0 and s["a"].dtype == np.float64


def _run_benchmark(script, *args):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    return subprocess.run(
        [sys.executable, str(root / "benchmarks" / script), *args],
        capture_output=True, text=True, env={"PYTHONPATH": str(root), "PATH": ""}, timeout=120,
    )


def test_component_jacobian_benchmark_runs():
    out = _run_benchmark("component_jacobian.py", "--n", "6")
    assert out.returncode == 0, out.stderr  # it checks the Jacobian against the closed form first
    assert "reverse  Jacobian of 6 components" in out.stdout and "forward  Jacobian of 6 components" in out.stdout


def test_op_jacobians_benchmark_runs_both_ways():
    out = _run_benchmark("op_jacobians.py", "--n", "5", "--per-row")
    assert out.returncode == 0, out.stderr  # it checks every Jacobian, batched and per row, first
    for op in ("einsum", "tensordot", "solve"):
        for mode in ("reverse", "forward"):
            assert any(line.split()[:2] == [op, mode] and "per row" in line for line in out.stdout.splitlines())


def test_arguments_are_fresh_tensors_so_closures_and_repeats_stay_apart():
    """grad differentiates the argument, not every use of the same tensor object: a closure over x
    is a constant, and f(x, x) has one partial per position (JAX's semantics), at every order."""
    x = tg.constant(3.0, dtype=tg.float64)
    assert float(tg.grad(lambda a: a * x)(x)) == 3.0
    da, db = tg.grad(lambda a, b: a * b * b, argnums=(0, 1))(x, x)
    assert (float(da), float(db)) == (9.0, 18.0)
    assert float(tg.grad(lambda a: tg.grad(lambda b: a * b * b)(x))(x)) == 6.0  # d/da (2 a x) = 2x
    with tg.GradientTape() as tape:  # under an active tape the fresh argument is recorded
        tape.watch(x)
        g = tg.grad(lambda a: a**3)(x)
    assert float(tape.gradient(g, x)) == 18.0
