"""TensorFlow's eager "automatic differentiation and gradient tape" tutorial, with `tf` -> `tg`.

Derivatives of a function (gradients_function), Python control flow, gradients with respect to
intermediate values on a persistent tape, and higher-order gradients by nesting tapes.
From seed 002 (../shared/seeds/002_*.txt), its blocks at lines 9-12 (the eager prelude), 18-30,
36-51 (the plot, behind --plot here), 59-74, 80-97 and 103-115, in that order.
Run: python examples/higher_order_gradients.py [--plot sin_squared.png]
"""

import argparse
from math import pi

import tapegrad as tg

tg.enable_eager_execution()  # does nothing: tapegrad is always eager (kept from the tutorial)
tfe = tg.contrib.eager  # Shorthand for some symbols


def f(x):
    return tg.square(tg.sin(x))


assert f(pi / 2).numpy() == 1.0
grad_f = tfe.gradients_function(f)
assert tg.abs(grad_f(pi / 2)[0]).numpy() < 1e-7
print("f(pi/2) =", f(pi / 2).numpy(), " f'(pi/2) =", grad_f(pi / 2)[0].numpy())


def grad(f):
    return lambda x: tfe.gradients_function(f)(x)[0]


x = tg.lin_space(-2 * pi, 2 * pi, 100)  # 100 points between -2π and +2π
derivatives = [f(x), grad(f)(x), grad(grad(f))(x), grad(grad(grad(f)))(x)]
print("f, f', f'', f''' at x[10]:", [round(float(d[10]), 5) for d in derivatives])


# --- Python control flow is recorded as it runs ------------------------------------------------------
def f(x, y):  # noqa: F811  (the tutorial reuses the name)
    output = 1
    for i in range(int(y)):  # noqa: B007  (the seed's loop, verbatim)
        output = tg.multiply(output, x)
    return output


def g(x, y):
    # Return the gradient of `f` with respect to it's first parameter
    return tfe.gradients_function(f)(x, y)[0]


assert f(3.0, 2).numpy() == 9.0  # f(x, 2) is essentially x * x
assert g(3.0, 2).numpy() == 6.0  # And its gradient will be 2 * x
assert f(4.0, 3).numpy() == 64.0  # f(x, 3) is essentially x * x * x
assert g(4.0, 3).numpy() == 48.0  # And its gradient will be 3 * x * x
print("control flow: f(3,2) =", f(3.0, 2).numpy(), " g(3,2) =", g(3.0, 2).numpy(),
      " f(4,3) =", f(4.0, 3).numpy(), " g(4,3) =", g(4.0, 3).numpy())

# --- gradients with respect to an intermediate value ------------------------------------------------
x = tg.ones((2, 2))
with tg.GradientTape(persistent=True) as t:
    t.watch(x)
    y = tg.reduce_sum(x)
    z = tg.multiply(y, y)
dz_dy = t.gradient(z, y)
assert dz_dy.numpy() == 8.0
dz_dx = t.gradient(z, x)
for i in [0, 1]:
    for j in [0, 1]:
        assert dz_dx[i][j].numpy() == 8.0
print("dz/dy =", dz_dy.numpy(), " dz/dx =", dz_dx.numpy().tolist())

# --- higher-order gradients: the inner tape alone watches x ----------------------------------------
x = tg.constant(1.0)  # Convert the Python 1.0 to a Tensor object
with tg.GradientTape() as t:
    with tg.GradientTape() as t2:
        t2.watch(x)
        y = x * x * x
    # Compute the gradient inside the 't' context manager
    # which means the gradient computation is differentiable as well.
    dy_dx = t2.gradient(y, x)
d2y_dx2 = t.gradient(dy_dx, x)
assert dy_dx.numpy() == 3.0
assert d2y_dx2.numpy() == 6.0
print("dy/dx =", dy_dx.numpy(), " d2y/dx2 =", d2y_dx2.numpy())

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", metavar="PNG", help="also draw f and its first three derivatives")
    args = parser.parse_args()
    if args.plot:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            raise SystemExit("the plot needs matplotlib: pip install 'tapegrad[plot]'") from None

        def f(x):  # noqa: F811
            return tg.square(tg.sin(x))

        x = tg.lin_space(-2 * pi, 2 * pi, 100)
        plt.plot(x, f(x), label="f")
        plt.plot(x, grad(f)(x), label="first derivative")
        plt.plot(x, grad(grad(f))(x), label="second derivative")
        plt.plot(x, grad(grad(grad(f)))(x), label="third derivative")
        plt.legend()
        plt.savefig(args.plot)
        print("wrote", args.plot)
