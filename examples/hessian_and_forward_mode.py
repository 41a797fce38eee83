"""The autodiff notebook's TensorFlow cells with `tf` -> `tg`: Jacobians and Hessians from one
persistent tape (unconnected derivatives are None), and forward vs reverse mode on sin(x^2).

Seed 003 (../shared/seeds/003_*.txt) keeps only the notebook's markdown cells (Hessians from a
persistent tape, "the gradient() function returns None" for unconnected sources, forward vs reverse
on sin(x^2) at x = 3, about -5.46); its code cells were lost, so this is written from that prose.

Run: python examples/hessian_and_forward_mode.py
"""

import tapegrad as tg


def f(x, y):
    return x * x * y + y + 2


x = tg.Variable(3.0)
y = tg.Variable(4.0)
with tg.GradientTape(persistent=True) as tape:
    z = f(x, y)
    jacobians = tape.gradient(z, [x, y])  # recorded too: the tape is persistent and still open
hessians = [tape.gradient(jacobian, [x, y]) for jacobian in jacobians]
del tape
print("jacobians:", [float(j) for j in jacobians])
print("hessians:", [[None if h is None else float(h) for h in row] for row in hessians])

# forward mode carries d/dx along with the value (a dual number); reverse mode walks back
x = tg.constant(3.0, dtype=tg.float64)
with tg.ForwardAccumulator(x, 1.0) as acc:
    z = tg.sin(x ** 2)
print(f"forward mode: dz/dx = {float(acc.jvp(z)):.4f}")
with tg.GradientTape() as tape:
    tape.watch(x)
    z = tg.sin(x ** 2)
print(f"reverse mode: dz/dx = {float(tape.gradient(z, x)):.4f}")

# a derivative with respect to a variable the output does not depend on is None, not 0.0
w = tg.Variable(1.0)
with tg.GradientTape() as tape:
    z = tg.Variable(2.0) * 3.0
print("unconnected:", tape.gradient(z, w))
