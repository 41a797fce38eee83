"""Seed 000's line fit (TensorFlow's numbers, digit for digit) and the training examples, end to end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tapegrad as tg

ROOT = Path(__file__).resolve().parents[1]

# The blog's data and the lines its TensorFlow run printed (seed 000).
BLOG_X = np.array([8.0, 10.0, 6.0, 3.0, 7.0, 9.0, 13.0, 1.0, 0.0, 11.0])
BLOG_LINES = """\
EPOCH: 0000, m: 0.6082303524017334, c: 0.19983896613121033
EPOCH: 0100, m: 1.1402301788330078, c: -0.1361609399318695
EPOCH: 0200, m: 1.1762301921844482, c: -0.532161295413971
EPOCH: 0300, m: 1.2302302122116089, c: -0.9261620044708252
EPOCH: 0400, m: 1.2662302255630493, c: -1.3221579790115356
EPOCH: 0500, m: 1.3022302389144897, c: -1.7181528806686401
EPOCH: 0600, m: 1.3562302589416504, c: -2.1121480464935303
EPOCH: 0700, m: 1.3922302722930908, c: -2.508143186569214
EPOCH: 0800, m: 1.4462302923202515, c: -2.9021384716033936
EPOCH: 0900, m: 1.482230305671692, c: -3.298133611679077
EPOCH: 1000, m: 1.5362303256988525, c: -3.692128896713257
EPOCH: 1100, m: 1.572230339050293, c: -4.08812952041626
EPOCH: 1200, m: 1.6262303590774536, c: -4.482147216796875
EPOCH: 1300, m: 1.662230372428894, c: -4.878165245056152
EPOCH: 1400, m: 1.6982303857803345, c: -5.27418327331543
EPOCH: 1500, m: 1.7522304058074951, c: -5.668200969696045
EPOCH: 1600, m: 1.7882304191589355, c: -6.064218997955322
EPOCH: 1700, m: 1.8402304649353027, c: -6.458236217498779
EPOCH: 1800, m: 1.884230613708496, c: -6.8522515296936035
EPOCH: 1900, m: 1.9182307720184326, c: -7.246265888214111
y ~ 1.9022306203842163x + -7.554266452789307""".splitlines()

EPOCH_LINE = re.compile(r"EPOCH: (\d+), m: (\S+), c: (\S+)")


def run_example(name: str, *args: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name), *args],
        capture_output=True, text=True, timeout=300, env=env, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def seed_loop(x, y, m, c, first_epoch, epochs=2000):
    """The blog's loop with `tf` -> `tg`, returning what it prints."""
    printed = []
    LEARNING_RATE = 0.001

    def loss_fn(y, y_hat):
        return tg.abs(y - y_hat)

    def fit(x, y):
        with tg.GradientTape(persistent=True) as tape:
            y_hat = m * x + c
            loss = loss_fn(y, y_hat)
        m_gradient = tape.gradient(loss, m)
        c_gradient = tape.gradient(loss, c)
        m.assign_sub(m_gradient * LEARNING_RATE)
        c.assign_sub(c_gradient * LEARNING_RATE)

    for i in range(first_epoch, epochs):
        fit(x, y)
        if i % 100 == 0:
            printed.append(f"EPOCH: {i:04d}, m: {m.numpy()}, c: {c.numpy()}")
    printed.append(f"y ~ {m.numpy()}x + {c.numpy()}")
    return printed


def numpy_reference(x, y, m, c, first_epoch, epochs=2000):
    """Independent float32 re-implementation: d|y - (m x + c)|/dm summed = sum(sign(m x + c - y) x)."""
    x32, y32 = x.astype(np.float32), y.astype(np.float32)
    m, c = np.float32(m), np.float32(c)
    lr = np.float32(0.001)
    trajectory = {}
    for i in range(first_epoch, epochs):
        s = np.sign(m * x32 + c - y32)  # abs'(0) = 0, as in TensorFlow
        m_gradient, c_gradient = np.float32(np.sum(s * x32)), np.float32(np.sum(s))
        m = np.float32(m - np.float32(m_gradient * lr))
        c = np.float32(c - np.float32(c_gradient * lr))
        if i % 100 == 0:
            trajectory[i] = (m, c)
    return trajectory, (m, c)


def test_seed_000_loop_prints_the_blogs_tensorflow_numbers():
    # Start where the blog's run stood after its first epoch (the EPOCH 0000 line), then go on
    # with tapegrad: every later line must be TensorFlow's, digit for digit.
    m0, c0 = (float(v) for v in EPOCH_LINE.match(BLOG_LINES[0]).groups()[1:])
    m = tg.Variable(np.float32(m0), trainable=True)
    c = tg.Variable(np.float32(c0), trainable=True)
    assert m.dtype == np.float32
    printed = seed_loop(BLOG_X, 2 * BLOG_X - 8, m, c, first_epoch=1)
    assert printed == BLOG_LINES[1:]


def test_seed_000_loop_matches_a_float32_numpy_reimplementation():
    rng = np.random.default_rng(7)
    x = np.array(rng.choice(15, size=10, replace=False), dtype=float)
    y = 2 * x - 8
    m_start, c_start = rng.random(), rng.random()
    m, c = tg.Variable(m_start, trainable=True), tg.Variable(c_start, trainable=True)  # Python floats: float32
    printed = seed_loop(x, y, m, c, first_epoch=0)
    trajectory, (m_end, c_end) = numpy_reference(x, y, np.float32(m_start), np.float32(c_start), first_epoch=0)
    expected = [f"EPOCH: {i:04d}, m: {mv}, c: {cv}" for i, (mv, cv) in trajectory.items()]
    expected.append(f"y ~ {m_end}x + {c_end}")
    assert printed == expected


def test_fit_line_sgd_example_prints_the_reference_trajectory():
    out = run_example("fit_line_sgd.py").splitlines()
    assert out[0] == "x: [ 8. 10.  6.  3.  7.  9. 13.  1.  0. 11.]"
    assert out[1] == "y: [ 8. 12.  4. -2.  6. 10. 18. -6. -8. 14.]"
    np.random.seed(0)  # the example's starting point
    m_start, c_start = np.float32(np.random.random()), np.float32(np.random.random())
    trajectory, (m_end, c_end) = numpy_reference(BLOG_X, 2 * BLOG_X - 8, m_start, c_start, first_epoch=0)
    expected = [f"EPOCH: {i:04d}, m: {m}, c: {c}" for i, (m, c) in trajectory.items()]
    expected.append(f"y ~ {m_end}x + {c_end}")
    assert out[2:] == expected


def test_fit_line_adam_example_reaches_the_line():
    out = run_example("fit_line_adam.py")
    final = re.search(r"y ~ (\S+)x \+ (\S+)", out)
    assert final, out
    m, c = float(final.group(1)), float(final.group(2))
    assert abs(m - 2) < 0.05 and abs(c + 8) < 0.05, (m, c)


def test_adam_line_fit_in_process():
    x = BLOG_X
    y = 2 * x - 8
    m = tg.Variable(0.5)
    c = tg.Variable(0.5)
    opt = tg.optimizers.Adam(learning_rate=0.1)
    for _ in range(1000):
        with tg.GradientTape() as tape:
            loss = tg.abs(y - (m * x + c))
        opt.apply_gradients(zip(tape.gradient(loss, [m, c]), [m, c], strict=True))
    assert m.dtype == np.float32
    assert abs(m.numpy() - 2) < 0.05 and abs(c.numpy() + 8) < 0.05


def test_mlp_digits_example():
    pytest.importorskip("sklearn")
    out = run_example("mlp_digits.py")
    accuracy = float(re.search(r"test accuracy: (\S+)", out).group(1))
    assert accuracy > 0.95, out
