"""Finding y = 2x - 8 from data with a gradient tape: seed 000's training loop, `tf` -> `tg`.

The loop below is the blog's TensorFlow code verbatim with `tf` replaced by `tg`: an absolute
loss, a persistent tape, one `tape.gradient` per variable and a hand-written update with
`assign_sub`. The data are the ten points the blog printed; the NumPy RNG is seeded so the
starting point (and so every printed number) is reproducible.

From seed 000 lines 138-198 (../shared/seeds/000_*.txt), where the blog's run was unseeded;
tests/test_seeds_verbatim.py runs those lines verbatim too.

Run: python examples/fit_line_sgd.py
"""

import numpy as np

import tapegrad as tg

np.random.seed(0)  # the blog's run was unseeded; seeding makes m and c start at the same values each run

# The blog drew x = np.array(np.random.choice(15, size=10, replace=False), dtype=float)
# and printed the draw; these are those ten values.
x = np.array([8.0, 10.0, 6.0, 3.0, 7.0, 9.0, 13.0, 1.0, 0.0, 11.0])
y = 2 * x - 8
print(f"x: {x}\ny: {y}")

LEARNING_RATE = 0.001
m = tg.Variable(np.random.random(), trainable=True)
c = tg.Variable(np.random.random(), trainable=True)


def loss_fn(y, y_hat):
    return tg.abs(y - y_hat)


def fit(x, y):
    with tg.GradientTape(persistent=True) as tape:
        # Predict y from data
        y_hat = m * x + c
        # Calculate the loss
        loss = loss_fn(y, y_hat)
    # Calculate Gradients
    m_gradient = tape.gradient(loss, m)
    c_gradient = tape.gradient(loss, c)
    # Update the Gradient and apply learning
    m.assign_sub(m_gradient * LEARNING_RATE)
    c.assign_sub(c_gradient * LEARNING_RATE)


EPOCHS = 2000
for i in range(EPOCHS):
    fit(x, y)
    if i % 100 == 0:
        print(f"EPOCH: {i:04d}, m: {m.numpy()}, c: {c.numpy()}")

print(f"y ~ {m.numpy()}x + {c.numpy()}")
