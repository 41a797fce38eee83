"""`tapegrad plot`: sin(x)^2 and its derivatives by nested tapes; the figure; matplotlib optional."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from tests.cli.conftest import run_module


def test_curves_are_exact_derivatives(cli):
    r = cli("plot", "sin(x)**2", "--var", "x", "--range", "-6.283:6.283", "--order", "3", "--points", "50", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    x = np.array(doc["x"])
    assert x.shape == (50,) and x[0] == -6.283 and x[-1] == 6.283
    curves = doc["curves"]
    assert list(curves) == ["f", "first derivative", "second derivative", "third derivative"]
    np.testing.assert_allclose(curves["f"], np.sin(x) ** 2, atol=1e-14)
    np.testing.assert_allclose(curves["first derivative"], np.sin(2 * x), atol=1e-13)
    np.testing.assert_allclose(curves["second derivative"], 2 * np.cos(2 * x), atol=1e-13)
    np.testing.assert_allclose(curves["third derivative"], -4 * np.sin(2 * x), atol=1e-12)
    assert doc["output"] is None


def test_other_variables_and_constant_range(cli):
    doc = cli("plot", "exp(-a*x**2)", "--at", "a=0.5", "--range=-2*pi:2*pi", "--order", "1", "--points", "9",
              "--json").json()
    x = np.array(doc["x"])
    assert x[0] == pytest.approx(-2 * np.pi)
    np.testing.assert_allclose(doc["curves"]["first derivative"], -x * np.exp(-0.5 * x**2), atol=1e-14)


def test_constant_function_has_zero_derivatives(cli):
    doc = cli("plot", "2", "--var", "x", "--range", "0:1", "--points", "4", "--order", "2", "--json").json()
    assert doc["curves"]["f"] == [2.0] * 4 and doc["curves"]["second derivative"] == [0.0] * 4


def test_png_figure(cli, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "derivatives.png"
    r = cli("plot", "sin(x)**2", "--var", "x", "--range", "-6.283:6.283", "--order", "3", "-o", str(out))
    assert r.code == 0, r.err
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert str(out) in r.out


def test_svg_figure_has_a_legend(cli, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "d.svg"
    assert cli("plot", "tanh(x)", "--range", "-3:3", "--order", "2", "-o", str(out)).code == 0
    text = out.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert "second derivative" in text or "second" in text  # the legend's text


def test_without_matplotlib_exit_2_with_install_hint(cli, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    r = cli("plot", "sin(x)", "--range", "0:1", "-o", str(tmp_path / "p.png"))
    assert r.code == 2
    assert 'pip install "tapegrad[plot]"' in r.err
    assert not (tmp_path / "p.png").exists()
    # the numbers alone need no matplotlib
    assert cli("plot", "sin(x)", "--range", "0:1", "--points", "3", "--json").code == 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["x*y", "--range", "0:1"], "--var"),
        (["x", "--range", "1:0", "--json"], "A < B"),
        (["x", "--range", "0-1", "--json"], "A:B"),
        (["x", "--range", "0:y", "--json"], "must be a number"),
        (["x", "--order", "99", "--json"], "--order"),
        (["x", "--points", "1", "--json"], "--points"),
        (["x", "-o", "out.txt"], ".png"),
        (["x*y", "--var", "x", "--json"], "no value for y"),
    ],
)
def test_bad_input(cli, argv, message):
    r = cli("plot", *argv)
    assert r.code == 2 and message in r.err


# ---- the vertical axis: a label, --ylim, and singular functions ------------------------------------------
def _axes(tmp_path, *argv):
    """Draw through the command and return the matplotlib Axes it drew on."""
    pytest.importorskip("matplotlib")
    from tapegrad.cli import plot as plot_module

    drawn = []
    real = plot_module._draw

    def spy(*args, **kwargs):
        drawn.append(real(*args, **kwargs))
        return drawn[-1]

    import unittest.mock

    with unittest.mock.patch.object(plot_module, "_draw", spy):
        from tapegrad.cli import main

        assert main(["plot", *argv, "-o", str(tmp_path / "p.png")]) == 0
    return drawn[0]


def test_y_axis_has_a_label(tmp_path):
    assert _axes(tmp_path, "sin(x)", "--order", "2").get_ylabel() == "f(x) and its derivatives"
    assert _axes(tmp_path, "sin(t)", "--order", "0").get_ylabel() == "f(t)"


def test_svg_has_the_y_label(cli, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "d.svg"
    assert cli("plot", "tanh(x)", "--range", "-3:3", "--order", "1", "-o", str(out)).code == 0
    assert "f(x) and its derivatives" in out.read_text()


def test_ylim(cli, tmp_path):
    ax = _axes(tmp_path, "x**3", "--range", "-3:3", "--ylim", "-2:pi")
    assert ax.get_ylim() == pytest.approx((-2, np.pi))
    doc = cli("plot", "x**3", "--range", "-3:3", "--ylim", "-2:2", "--points", "5", "--json").json()
    assert doc["y_axis"] == {"limits": [-2.0, 2.0], "scale": "linear", "clipped": False}
    assert doc["curves"]["f"][0] == -27.0  # the numbers are never clipped, only the axis


def test_singular_function_is_clipped_automatically(cli, tmp_path):
    r = cli("plot", "1/x", "--range", "-3:3", "--order", "2", "--json")
    assert r.code == 0 and r.err == ""  # no figure, so nothing is clipped
    r = cli("plot", "1/x", "--range", "-3:3", "--order", "2", "--json", "-o", str(tmp_path / "inv.png"))
    assert r.code == 0
    doc = r.json()
    lo, hi = doc["y_axis"]["limits"]
    assert doc["y_axis"]["clipped"] is True and doc["y_axis"]["scale"] == "linear"
    x = np.array(doc["x"])
    assert -100 < lo < -2 and 2 < hi < 100  # 1/x itself is seen: |1/x| <= 2 on most of the range
    assert max(abs(v) for v in doc["curves"]["second derivative"]) > 1e4  # what would have flattened it
    np.testing.assert_allclose(doc["curves"]["second derivative"], 2 / x**3, rtol=1e-12)
    assert r.err.startswith(f"tapegrad plot: note: the y axis is clipped to [{lo:.4g}, {hi:.4g}] (the curves reach ")
    assert "use --ylim A:B or --yscale symlog" in r.err
    ax = _axes(tmp_path, "1/x", "--range", "-3:3", "--order", "2")
    assert ax.get_ylim() == pytest.approx((lo, hi)) and ax.get_ylabel().endswith("(clipped)")


def test_smooth_function_is_not_clipped(cli):
    r = cli("plot", "sin(x)**2", "--order", "3", "--points", "50", "--json")
    assert r.json()["y_axis"] == {"limits": None, "scale": "linear", "clipped": False} and r.err == ""
    r = cli("plot", "exp(x)", "--range", "0:10", "--order", "1", "--points", "50", "--json")
    assert r.json()["y_axis"]["clipped"] is False  # steep, but no singularity


def test_symlog(cli, tmp_path):
    doc = cli("plot", "1/x", "--range", "-3:3", "--order", "1", "--yscale", "symlog", "--json").json()
    assert doc["y_axis"]["scale"] == "symlog" and doc["y_axis"]["clipped"] is False
    assert _axes(tmp_path, "1/x", "--range", "-3:3", "--yscale", "symlog").get_yscale() == "symlog"


def test_no_line_is_drawn_through_a_pole():
    from tapegrad.cli.plot import _break_at_jumps

    x = np.linspace(-1, 1, 10)  # 0 falls between x[4] and x[5]
    bx, by = _break_at_jumps(x, 1 / x, -5, 5)
    assert bx.size == 11 and np.isnan(by[5]) and bx[5] == pytest.approx(0)
    bx, by = _break_at_jumps(x, 100 * x, -5, 5)  # steep but continuous: one line
    assert bx.size == 10 and not np.isnan(by).any()


def test_nan_region_is_explained_without_warnings():
    r = run_module("plot", "log(x)", "--range", "-3:3", "--order", "1", "--points", "10", "--json")
    assert r.code == 0 and "Warning" not in r.err
    assert "tapegrad plot: note: f is not finite at 5 of 10 points: log(x) is nan where x = -3\n" in r.err
    r = run_module("plot", "log(x - a)", "--at", "a=1", "--range", "-3:3", "--points", "4", "--json")
    assert "log(x - a) is nan where x - a = -4 (at x = -3)" in r.err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["x", "--ylim", "1:0", "--json"], "--ylim needs A < B"),
        (["x", "--ylim", "0:1/0", "--json"], "not a finite number"),
        (["x", "--ylim", "3", "--json"], "--ylim expects A:B"),
        (["x", "--range", "0:1/0", "--json"], "not a finite number"),
        (["x*a", "--at", "a=1", "b=2", "--json"], "--at b: not in the expression"),
    ],
)
def test_bad_axis_input(cli, argv, message):
    r = cli("plot", *argv)
    assert r.code == 2 and message in r.err and len(r.err.splitlines()) == 1


def test_plural(cli, tmp_path):
    pytest.importorskip("matplotlib")
    r = cli("plot", "x", "--order", "1", "-o", str(tmp_path / "a.png"))
    assert "and 1 derivative on" in r.out
    r = cli("plot", "x", "--order", "0", "-o", str(tmp_path / "b.png"))
    assert "and 0 derivatives on" in r.out
