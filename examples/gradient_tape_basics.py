"""Gradient tapes, step by step: the TensorFlow programs of the seed tutorials with `tf` -> `tg`.

From the seeds (../shared/seeds/, line numbers of the seed file; tests/test_seeds_verbatim.py runs
those blocks verbatim): seed 000 lines 69-80 (d/dx x^3), 85-97 (z = (sum x)^2), 107-114
(persistent tape, 108.0 and 6.0), 118-129 (derivative of a derivative, indentation restored as in
the blog's original). The last three sections (one backward pass for all variables,
`stop_recording`, watched constants) are seed 004's prose, whose code the scrape lost.

Run: python examples/gradient_tape_basics.py
"""

import tapegrad as tg


# --- d/dx x^3 at x = 1 and x = 3 (a Variable is watched automatically) -------------------------
def derivative(value):
    x = tg.Variable([[value]])
    with tg.GradientTape() as tape:
        loss = x * x * x
    dy_dx = tape.gradient(loss, x)
    return dy_dx


derive_1 = derivative(1.0)
derive_3 = derivative(3.0)
print(f"f'(𝑥=1) = {derive_1.numpy()}")
print(f"f'(𝑥=3) = {derive_3.numpy()}")

# --- z = (sum x)^2 for a 2x2 matrix: a constant must be watched -----------------------------------
x = tg.ones((2, 2))
print(repr(x))
with tg.GradientTape() as tape:
    tape.watch(x)
    y = tg.reduce_sum(x)
    z = tg.square(y)
dz_dx = tape.gradient(z, x)
print(repr(dz_dx))

# --- a persistent tape answers several gradient() calls -------------------------------------------
x = tg.constant(3.0)
with tg.GradientTape(persistent=True) as tape:
    tape.watch(x)
    y = x ** 2
    z = y ** 2
dz_dx = tape.gradient(z, x)
dy_dx = tape.gradient(y, x)
print(f"∂𝑧/∂𝑥: {dz_dx}, ∂𝑦/∂𝑥: {dy_dx}")

# --- the derivative of a derivative: nested tapes ---------------------------------------------------
def derivative_of_derivative(x):
    x = tg.Variable(x, dtype=tg.float32)
    with tg.GradientTape() as tape_2:
        with tg.GradientTape() as tape_1:
            y = x ** 3
        dy_dx = tape_1.gradient(y, x)
    d2y_dx2 = tape_2.gradient(dy_dx, x)
    return dy_dx, d2y_dx2


dy_dx, d2y_dx2 = derivative_of_derivative(1)
print(f"x=1 -- ∂𝑦/∂𝑥: {dy_dx}, ∂2𝑦∂𝑥2: {d2y_dx2}")
dy_dx, d2y_dx2 = derivative_of_derivative(5)
print(f"x=5 -- ∂𝑦/∂𝑥: {dy_dx}, ∂2𝑦∂𝑥2: {d2y_dx2}")

# --- one backward pass gives the gradient for every variable ----------------------------------------
def f(w1, w2):
    return 3 * w1 ** 2 + 2 * w1 * w2


w1, w2 = tg.Variable(5.0), tg.Variable(3.0)
with tg.GradientTape() as tape:
    z = f(w1, w2)
gradients = tape.gradient(z, [w1, w2])
print("gradients:", [float(g) for g in gradients])

# --- stop_recording pauses the tape ------------------------------------------------------------------
with tg.GradientTape() as tape:
    z = f(w1, w2)
    with tape.stop_recording():
        z_paused = f(w1, w2)  # not recorded
print("through stop_recording:", tape.gradient(z_paused, [w1, w2]))

# --- constants are not watched unless asked; unconnected sources give None ---------------------------
c1, c2 = tg.constant(5.0), tg.constant(3.0)
with tg.GradientTape() as tape:
    z = f(c1, c2)
print("unwatched constants:", tape.gradient(z, [c1, c2]))
with tg.GradientTape() as tape:
    tape.watch(c1)
    tape.watch(c2)
    z = f(c1, c2)
print("watched constants:", [float(g) for g in tape.gradient(z, [c1, c2])])
