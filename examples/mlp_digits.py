"""A two-layer perceptron on scikit-learn's 8x8 digits, trained with tg.nn, tg.losses, tg.optimizers.

The data ship with scikit-learn (no download); scikit-learn is an optional extra for the examples:
    pip install scikit-learn      (or: pip install "tapegrad[examples]")

Not from a seed block: the seeds' training loop (seed 000 lines 155-176) grown to a real model.

Run: python examples/mlp_digits.py [--epochs N]
"""

import argparse
import sys
import time

import numpy as np

import tapegrad as tg

try:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
except ImportError:
    sys.exit("examples/mlp_digits.py needs scikit-learn for its bundled digits data: pip install scikit-learn")

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--batch-size", type=int, default=64)
args = parser.parse_args()

# ---- data: 1797 images of 8x8 pixels with values 0..16, ten classes --------------------------
digits = load_digits()
x = (digits.data / 16.0).astype(np.float32)
labels = digits.target
x_train, x_test, y_train, y_test = train_test_split(x, labels, test_size=0.25, random_state=0, stratify=labels)
print(f"train: {x_train.shape}, test: {x_test.shape}")

# ---- model, loss, optimizer -------------------------------------------------------------------
model = tg.nn.Sequential([
    tg.nn.Dense(64, activation="relu", seed=0),
    tg.nn.Dense(10, seed=1),  # logits
])
optimizer = tg.optimizers.Adam(learning_rate=0.01)


def accuracy(x, y):
    return float(np.mean(np.argmax(model(x).numpy(), axis=-1) == y))


# ---- training: shuffled minibatches, one tape per step ---------------------------------------
rng = np.random.default_rng(0)
start = time.perf_counter()
for epoch in range(args.epochs):
    order = rng.permutation(len(x_train))
    for i in range(0, len(order), args.batch_size):
        batch = order[i : i + args.batch_size]
        with tg.GradientTape() as tape:
            loss = tg.losses.sparse_softmax_cross_entropy(y_train[batch], model(x_train[batch]))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    if epoch % 5 == 4 or epoch == args.epochs - 1:
        train_loss = float(tg.losses.sparse_softmax_cross_entropy(y_train, model(x_train)))
        print(f"epoch {epoch + 1:3d}  loss {train_loss:.4f}  train acc {accuracy(x_train, y_train):.4f}")

print(f"trained in {time.perf_counter() - start:.1f} s")
print(f"test accuracy: {accuracy(x_test, y_test):.4f}")
