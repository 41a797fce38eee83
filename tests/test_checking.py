"""numerical_gradient and check_grads (does the checker catch wrong rules, and say where?), and the
end-to-end runs of the finite-difference example scripts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.checking import check_grads, numerical_gradient
from tapegrad.custom import defjvp, defvjp, primitive
from tapegrad.ops import elementwise as ew

ROOT = Path(__file__).resolve().parents[1]
OFF = 1.001  # a rule 0.1% off


def f3(x1, x2, x3):
    return 3 * (x1**2 + x2 * x3)


# ---- numerical_gradient ----------------------------------------------------------------------------
def test_numerical_gradient_of_the_seed_function():
    grads = numerical_gradient(f3, 2.0, 3.0, 4.0)
    assert len(grads) == 3 and all(g.shape == () for g in grads)
    np.testing.assert_allclose([float(g) for g in grads], [12.0, 12.0, 9.0], rtol=1e-8)


def test_numerical_gradient_jacobian_shapes_and_step():
    a = np.array([0.1, 0.5, -0.3])
    (jac,) = numerical_gradient(lambda x: tg.stack([tg.sum(x * x), tg.sum(tg.sin(x))]), a)
    assert jac.shape == (2, 3)
    np.testing.assert_allclose(jac, np.stack([2 * a, np.cos(a)]), rtol=1e-8, atol=1e-10)
    (g,) = numerical_gradient(lambda x: x**2, np.float64(3.0), eps=1e-3)
    np.testing.assert_allclose(float(g), 6.0, rtol=1e-12)  # central differences are exact on x^2


def test_numerical_gradient_float32_uses_a_float32_step():
    (g,) = numerical_gradient(lambda x: tg.sum(tg.exp(x)), np.array([0.5, 1.0], dtype=np.float32))
    np.testing.assert_allclose(g, np.exp([0.5, 1.0]), rtol=1e-3)


# ---- check_grads passes correct rules --------------------------------------------------------------
def test_check_grads_passes_correct_functions():
    rng = np.random.default_rng(0)
    check_grads(lambda x: tg.sin(x) * tg.exp(x), rng.normal(size=(2, 3)), order=3)
    check_grads(f3, 2.0, 3.0, 4.0, order=2)
    check_grads(lambda x, y: x / y, rng.normal(size=(3,)), rng.uniform(1, 2, size=(3,)), modes=("reverse",))


def test_check_grads_rejects_unknown_modes():
    with pytest.raises(ValueError, match="modes"):
        check_grads(tg.sin, np.float64(1.0), modes=("sideways",))


# ---- check_grads catches a rule 0.1% off, and names the level ------------------------------------------
def test_catches_a_vjp_that_is_off_by_a_tenth_of_a_percent(monkeypatch):
    monkeypatch.setattr(ew.sin, "vjps", (lambda g, ans, x: g * tg.cos(x) * OFF,))
    a = np.array([0.3, 1.2, -0.8])
    with pytest.raises(AssertionError) as err:
        check_grads(tg.sin, a, order=1)
    message = str(err.value)
    assert message.startswith("f: reverse mode J^T v (argument 0) and central differences disagree")
    assert "worst elements" in message
    check_grads(tg.sin, a, order=1, modes=("forward",))  # forward mode does not use the broken rule


def test_catches_a_jvp_that_is_off_by_a_tenth_of_a_percent(monkeypatch):
    monkeypatch.setattr(ew.sin, "jvps", (lambda t, ans, x: t * tg.cos(x) * OFF,))
    with pytest.raises(AssertionError, match=r"^f: forward mode J u and central differences disagree"):
        check_grads(tg.sin, np.array([0.3, 1.2]), order=1)


def test_a_wrong_second_derivative_is_reported_as_vjp_of_f(monkeypatch):
    # sin's own rules are right, so first order passes; its VJP calls cos, whose JVP is wrong
    monkeypatch.setattr(ew.cos, "jvps", (lambda t, ans, x: -t * tg.sin(x) * OFF,))
    a = np.array([0.3, 1.2])
    check_grads(tg.sin, a, order=1)
    with pytest.raises(AssertionError, match=r"^VJP of f: forward mode J u"):
        check_grads(tg.sin, a, order=2)


def _cube_family():
    """cube' = 3 sq(x) (reverse) or 3 sq2(x) (forward); sq's VJP uses dbl_r, its JVP uses dbl_f.

    So dbl_f is differentiated only when checking "JVP of VJP of f" (order 3).
    """
    dbl_r = primitive(lambda x: 2 * x, name="dbl_r")
    dbl_f = primitive(lambda x: 2 * x, name="dbl_f")
    for d in (dbl_r, dbl_f):
        defvjp(d, lambda g, ans, x: 2 * g)
        defjvp(d, lambda t, ans, x: 2 * t)
    sq = primitive(lambda x: x * x, name="sq")
    defvjp(sq, lambda g, ans, x: g * dbl_r(x))
    defjvp(sq, lambda t, ans, x: t * dbl_f(x))
    cube = primitive(lambda x: x * x * x, name="cube")
    defvjp(cube, lambda g, ans, x: g * 3 * sq(x))
    defjvp(cube, lambda t, ans, x: t * 3 * sq(x))
    return cube, dbl_f


def test_a_wrong_third_order_rule_is_reported_as_jvp_of_vjp_of_f(monkeypatch):
    cube, dbl_f = _cube_family()
    a = np.array([0.7, -1.3])
    check_grads(cube, a, order=3)  # all correct
    monkeypatch.setattr(dbl_f, "vjps", (lambda g, ans, x: 2 * g * OFF,))
    check_grads(cube, a, order=2)  # orders 1 and 2 never differentiate dbl_f
    with pytest.raises(AssertionError) as err:
        check_grads(cube, a, order=3)
    assert str(err.value).startswith("JVP of VJP of f: reverse mode J^T v (argument 0) and central differences")


def test_the_adjoint_identity_is_checked_too(monkeypatch):
    # wrong by far less than the finite-difference tolerance, but <v, Ju> != <J^T v, u> exactly
    monkeypatch.setattr(ew.exp, "vjps", (lambda g, ans, x: g * ans * (1 + 1e-8),))
    with pytest.raises(AssertionError, match=r"<v, J u> \(forward\) and <J\^T v, u> \(reverse\)"):
        check_grads(tg.exp, np.array([0.1, 0.2]), order=1)


# ---- the example scripts, end to end ----------------------------------------------------------------
# Runs an example as __main__; ``block`` can hide optional modules first (to test the fallbacks).
_RUNNER = """
import runpy, sys
path = sys.argv[1]
sys.argv = sys.argv[1:]
{block}
runpy.run_path(path, run_name="__main__")
"""
_NO_MATPLOTLIB = "sys.modules['matplotlib'] = None\nsys.modules['sympy'] = None"


def run_example(name: str, *args: str, block: str = "") -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    return subprocess.run(
        [sys.executable, "-c", _RUNNER.format(block=block), str(ROOT / "examples" / name), *args],
        capture_output=True, text=True, env=env, timeout=120, cwd=str(ROOT),
    )


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def test_four_ways_to_differentiate_example():
    out = run_example("four_ways_to_differentiate.py")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "f = 48" in lines[0]
    rows = {line[:26].strip(): line[26:].split() for line in lines if line[:26].strip() in (
        "manual", "finite differences", "automatic, reverse mode", "automatic, forward mode", "symbolic (SymPy)")}
    for exact in ("manual", "automatic, reverse mode", "automatic, forward mode"):
        assert [float(v) for v in rows[exact][:3]] == [12.0, 12.0, 9.0], exact
        assert float(rows[exact][3]) == 0.0
    fd = [float(v) for v in rows["finite differences"][:3]]
    np.testing.assert_allclose(fd, [12.0, 12.0, 9.0], rtol=1e-8)
    assert 0 < float(rows["finite differences"][3]) < 1e-6
    if _has("sympy"):
        assert [float(v) for v in rows["symbolic (SymPy)"][:3]] == [12.0, 12.0, 9.0]
        assert "df/dx1 = 6*x1" in out.stdout


def test_four_ways_example_without_sympy_says_so():
    out = run_example("four_ways_to_differentiate.py", block=_NO_MATPLOTLIB)
    assert out.returncode == 0, out.stderr
    assert "SymPy is not installed" in out.stdout
    assert "automatic, reverse mode" in out.stdout


def _table(stdout: str) -> dict[float, tuple[float, float]]:
    table = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:
            try:
                eps, fwd, cen = (float(p) for p in parts)
            except ValueError:
                continue
            table[eps] = (fwd, cen)
    return table


@pytest.mark.skipif(not _has("matplotlib"), reason="matplotlib is not installed: the plot is skipped")
def test_finite_difference_error_example_writes_a_png(tmp_path):
    target = tmp_path / "fd.png"
    out = run_example("finite_difference_error.py", "-o", str(target))
    assert out.returncode == 0, out.stderr
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"plot written to {target}" in out.stdout


def test_finite_difference_error_example_table(tmp_path):
    out = run_example("finite_difference_error.py", "-o", str(tmp_path / "x.png"), block=_NO_MATPLOTLIB)
    assert out.returncode == 0, out.stderr
    assert "matplotlib is not installed" in out.stdout and not (tmp_path / "x.png").exists()
    table = _table(out.stdout)
    assert len(table) == 17
    # forward differences: truncation error 3h = 6 epsilon dominates for large steps
    np.testing.assert_allclose(table[1e-4][0], 6e-4, rtol=1e-3)
    # the best forward step is near sqrt(machine epsilon), the error there ~1e-7
    assert "at epsilon = 1e-08" in out.stdout
    # f is quadratic in x1: central differences are far better at moderate steps
    assert table[1e-4][1] < 1e-10 and table[1e-16][0] > 1.0
