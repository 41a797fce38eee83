"""The line fit of seed 000 (y = 2x - 8 from ten points, absolute loss) with tg.optimizers.Adam.

Plain gradient descent on the absolute loss moves m and c by a fixed amount per step, so the
blog's loop (examples/fit_line_sgd.py) is still at y ~ 1.9x - 7.5 after 2000 epochs. Adam scales
each step by its running gradient statistics and reaches m = 2, c = -8 in 1000 epochs.

Not a seed block: a variant of seed 000 lines 155-176 (the loop of examples/fit_line_sgd.py).

Run: python examples/fit_line_adam.py
"""

import numpy as np

import tapegrad as tg

np.random.seed(0)

x = np.array([8.0, 10.0, 6.0, 3.0, 7.0, 9.0, 13.0, 1.0, 0.0, 11.0])  # the blog's data
y = 2 * x - 8

m = tg.Variable(np.random.random(), trainable=True, name="m")
c = tg.Variable(np.random.random(), trainable=True, name="c")
optimizer = tg.optimizers.Adam(learning_rate=0.1)

EPOCHS = 1000
for i in range(EPOCHS):
    with tg.GradientTape() as tape:
        y_hat = m * x + c
        loss = tg.abs(y - y_hat)  # a vector: the gradient is that of its sum, as in TensorFlow
    gradients = tape.gradient(loss, [m, c])
    optimizer.apply_gradients(zip(gradients, [m, c], strict=True))
    if i % 100 == 0:
        print(f"EPOCH: {i:04d}, m: {m.numpy()}, c: {c.numpy()}, loss: {float(tg.reduce_sum(loss)):.4f}")

print(f"y ~ {m.numpy()}x + {c.numpy()}")
