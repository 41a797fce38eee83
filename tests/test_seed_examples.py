"""The seeds' TensorFlow programs, run as examples with `tf` -> `tg`, print the seeds' numbers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tapegrad as tg

ROOT = Path(__file__).resolve().parents[1]


def run_example(name: str, *args: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name), *args],
        capture_output=True, text=True, timeout=300, env=env, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_gradient_tape_basics_prints_the_seed_numbers():
    out = run_example("gradient_tape_basics.py")
    assert "f'(𝑥=1) = [[3.]]" in out
    assert "f'(𝑥=3) = [[27.]]" in out
    assert "array([[8., 8.],\n       [8., 8.]], dtype=float32)>" in out
    assert "∂𝑧/∂𝑥: 108.0, ∂𝑦/∂𝑥: 6.0" in out
    assert "x=1 -- ∂𝑦/∂𝑥: 3.0, ∂2𝑦∂𝑥2: 6.0" in out
    assert "x=5 -- ∂𝑦/∂𝑥: 75.0, ∂2𝑦∂𝑥2: 30.0" in out
    assert "gradients: [36.0, 10.0]" in out
    assert "through stop_recording: [None, None]" in out
    assert "unwatched constants: [None, None]" in out
    assert "watched constants: [36.0, 10.0]" in out


def test_higher_order_gradients_tutorial(tmp_path):
    png = tmp_path / "sin2.png"
    out = run_example("higher_order_gradients.py", "--plot", str(png))
    assert "control flow: f(3,2) = 9.0  g(3,2) = 6.0  f(4,3) = 64.0  g(4,3) = 48.0" in out
    assert "dz/dy = 8.0  dz/dx = [[8.0, 8.0], [8.0, 8.0]]" in out
    assert "dy/dx = 3.0  d2y/dx2 = 6.0" in out
    x = np.linspace(-2 * np.pi, 2 * np.pi, 100)[10]
    expected = [np.sin(x) ** 2, np.sin(2 * x), 2 * np.cos(2 * x), -4 * np.sin(2 * x)]
    line = next(s for s in out.splitlines() if s.startswith("f, f', f'', f''' at x[10]:"))
    got = [float(v) for v in line.split(":", 1)[1].strip(" []").split(",")]
    np.testing.assert_allclose(got, expected, atol=2e-5)
    if png.exists():
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    else:
        pytest.importorskip("matplotlib")
        raise AssertionError("matplotlib is installed but no plot was written")


def test_hessian_and_forward_mode_notebook():
    out = run_example("hessian_and_forward_mode.py")
    assert "jacobians: [24.0, 10.0]" in out
    assert "hessians: [[8.0, 6.0], [6.0, None]]" in out
    assert "forward mode: dz/dx = -5.4668" in out and "reverse mode: dz/dx = -5.4668" in out
    assert "unconnected: None" in out


def test_seed_002_asserts_in_process():
    def f(x):
        return tg.square(tg.sin(x))

    assert f(np.pi / 2).numpy() == 1.0
    assert f(np.pi / 2).dtype == np.float32
    x = tg.constant(1.0)
    with tg.GradientTape() as t:
        with tg.GradientTape() as t2:
            t2.watch(x)
            y = x * x * x
        dy_dx = t2.gradient(y, x)
    assert dy_dx.numpy() == 3.0 and t.gradient(dy_dx, x).numpy() == 6.0
