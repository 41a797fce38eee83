"""`tapegrad graph`: the seed's graph (x4..x7, values and adjoints) as DOT, SVG, PNG and JSON."""

from __future__ import annotations

import shutil

import pytest

SEED = ["3*(x1**2 + x2*x3)", "--at", "x1=2", "x2=3", "x3=4"]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")


def test_dot_on_stdout(cli):
    r = cli("graph", *SEED)
    assert r.code == 0, r.err
    dot = r.out
    assert dot.startswith("digraph tape {") and dot.rstrip().endswith("}")
    for label in ("x1\\nvalue = 2\\nadjoint = 12", "x4 = x1 ** 2\\nvalue = 4\\nadjoint = 3",
                  "x5 = x2 * x3\\nvalue = 12\\nadjoint = 3", "x6 = x4 + x5\\nvalue = 16\\nadjoint = 3",
                  "x7 = 3 * x6\\nvalue = 48\\nadjoint = 1"):
        assert label in dot


def test_json_nodes(cli):
    doc = cli("graph", *SEED, "--json").json()
    nodes = {n["name"]: n for n in doc["nodes"] if n["kind"] != "constant"}
    assert {k: (v["value"], v["adjoint"]) for k, v in nodes.items()} == {
        "x1": (2.0, 12.0), "x2": (3.0, 12.0), "x3": (4.0, 9.0),
        "x4": (4.0, 3.0), "x5": (12.0, 3.0), "x6": (16.0, 3.0), "x7": (48.0, 1.0),
    }
    assert nodes["x7"]["is_target"] and doc["expression"] == "3*(x1**2 + x2*x3)"


def test_dot_file_needs_nothing(cli, tmp_path):
    out = tmp_path / "g.dot"
    r = cli("graph", *SEED, "-o", str(out))
    assert r.code == 0 and "wrote" in r.out
    assert out.read_text().startswith("digraph tape {")


@needs_dot
@pytest.mark.parametrize("suffix, header", [("svg", b"<?xml"), ("png", b"\x89PNG\r\n\x1a\n")])
def test_rendered_files(cli, tmp_path, suffix, header):
    out = tmp_path / f"graph.{suffix}"
    r = cli("graph", *SEED, "-o", str(out))
    assert r.code == 0, r.err
    data = out.read_bytes()
    assert data.startswith(header) and len(data) > 2000
    if suffix == "svg":
        assert b"adjoint = 12" in data and b"x7 = 3 * x6" in data


def test_without_dot_or_the_extra_exit_2_naming_the_pip_command(cli, tmp_path, monkeypatch):
    import sys

    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "networkx", None)
    r = cli("graph", *SEED, "-o", str(tmp_path / "g.svg"))
    assert r.code == 2
    assert 'pip install "tapegrad[graph]"' in r.err and len(r.err.strip().splitlines()) == 1


@pytest.mark.parametrize("suffix, header", [("svg", b"<?xml"), ("png", b"\x89PNG\r\n\x1a\n")])
def test_without_dot_matplotlib_draws_the_file(cli, tmp_path, monkeypatch, suffix, header):
    pytest.importorskip("networkx")
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    out = tmp_path / f"graph.{suffix}"
    r = cli("graph", *SEED, "-o", str(out))
    assert r.code == 0, r.err
    assert out.read_bytes().startswith(header) and "wrote" in r.out
    if suffix == "svg":
        assert "adjoint = 12" in out.read_text() and "x7 = 3 * x6" in out.read_text()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["2*3"], "no variables"),
        (["x*y", "--at", "x=1"], "no value for y"),
        (["x", "--at", "x=1", "-o", "g.jpeg2"], "must end in"),
        (["x[0]", "--at", "x=1"], "subscripts"),
    ],
)
def test_bad_input(cli, argv, message):
    r = cli("graph", *argv)
    assert r.code == 2 and message in r.err


def test_one_input_is_singular_and_unused_values_are_an_error(cli, tmp_path):
    out = tmp_path / "g.dot"
    r = cli("graph", "sin(x)", "--at", "x=1", "-o", str(out))
    assert r.code == 0 and "wrote" in r.out and "1 input, 1 operation;" in r.out
    r = cli("graph", "x*y", "--at", "x=1", "y=2", "-o", str(out))
    assert "2 inputs, 1 operation;" in r.out
    r = cli("graph", "sin(x)", "--at", "x=1", "y=2")
    assert r.code == 2
    assert r.err == "tapegrad graph: error: --at y: not in the expression (its variables are x); remove it\n"
