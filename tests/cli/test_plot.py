"""`tapegrad plot`: sin(x)^2 and its derivatives by nested tapes; the figure; matplotlib optional."""

from __future__ import annotations

import sys

import numpy as np
import pytest


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
