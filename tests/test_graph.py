"""tape.graph(): the recorded graph with forward values and adjoints (seed 001's figures), DOT and images."""

from __future__ import annotations

import re
import shutil
import sys

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.graph import GraphvizNotFound, TapeGraph, tape_graph

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")


def seed_tape(persistent: bool = True):
    x1, x2, x3 = (tg.constant(v, dtype=tg.float64) for v in (2.0, 3.0, 4.0))
    with tg.GradientTape(persistent=persistent) as tape:
        tape.watch([x1, x2, x3])
        f = 3 * (x1**2 + x2 * x3)
    return tape, f, {"x1": x1, "x2": x2, "x3": x3}


def test_seed_graph_values_adjoints_and_partials():
    tape, f, xs = seed_tape()
    g = tape.graph(f, xs)
    assert isinstance(g, TapeGraph)
    table = {n.name: (float(n.value), float(n.adjoint)) for n in g.nodes if n.kind != "constant"}
    assert table == {
        "x1": (2, 12), "x2": (3, 12), "x3": (4, 9),  # the gradient (12, 12, 9)
        "x4": (4, 3), "x5": (12, 3), "x6": (16, 3), "x7": (48, 1),
    }
    assert [n.expression for n in g.operations] == ["x4 = x1 ** 2", "x5 = x2 * x3", "x6 = x4 + x5", "x7 = 3 * x6"]
    assert [n.op for n in g.operations] == ["power", "multiply", "add", "multiply"]
    assert g.target.name == "x7" and g.target.is_target
    partials = {(g._by_id(e.source).name, g._by_id(e.target).name): e.partial for e in g.edges}
    assert partials[("x1", "x4")] == 4.0  # d(x1^2)/dx1 = 2 x1
    assert partials[("x2", "x5")] == 4.0 and partials[("x3", "x5")] == 3.0  # dx5/dx3 = x2 = 3
    assert partials[("x4", "x6")] == 1.0 and partials[("x6", "x7")] == 3.0
    assert partials[("2", "x4")] is None and partials[("3", "x7")] is None  # constants
    # the adjoints agree with the tape's own gradients
    grads = tape.gradient(f, list(xs.values()))
    assert [float(v) for v in grads] == [12.0, 12.0, 9.0]


def test_to_dot_text():
    tape, f, xs = seed_tape()
    dot = tape.graph(f, xs).to_dot()
    assert dot.startswith("digraph tape {\n") and dot.endswith("}\n")
    assert "rankdir=LR" in dot
    assert 'label="x1\\nvalue = 2\\nadjoint = 12"' in dot
    assert 'label="x7 = 3 * x6\\nvalue = 48\\nadjoint = 1"' in dot
    assert 'label="∂x5/∂x3 = 3"' in dot
    assert dot.count("->") == 8  # 6 data edges + 2 constant operands


def test_graph_leaves_a_non_persistent_tape_usable():
    tape, f, xs = seed_tape(persistent=False)
    g = tape.graph(f, xs)
    assert float(g.node("x1").adjoint) == 12
    assert [float(v) for v in tape.gradient(f, list(xs.values()))] == [12.0, 12.0, 9.0]
    with pytest.raises(RuntimeError, match="persistent=True"):
        tape.graph(f, xs)  # the records are gone now


def test_default_target_and_sources_and_variable_names():
    w = tg.Variable(2.0, name="w", dtype=tg.float64)
    b = tg.Variable(0.5, name="b", dtype=tg.float64)
    x = tg.constant(3.0, dtype=tg.float64)
    with tg.GradientTape() as tape:
        tape.watch(x)
        tg.tanh(w * x + b)
    g = tape.graph()
    assert [n.name for n in g.inputs] == ["w", "b", "x1"]
    assert g.target.op == "tanh" and g.target.expression.endswith("= tanh(v2)")
    d = 1 - np.tanh(6.5) ** 2
    assert float(g.node("w").adjoint) == pytest.approx(3 * d)
    assert float(g.node("x1").adjoint) == pytest.approx(2 * d)
    assert float(g.node("b").adjoint) == pytest.approx(d)


def test_only_what_the_target_depends_on_is_drawn():
    a, b = tg.constant(1.0), tg.constant(2.0)
    with tg.GradientTape() as tape:
        tape.watch([a, b])
        unrelated = tg.exp(b)  # noqa: F841
        y = tg.sin(a) * 2
    g = tape_graph(tape, y, {"a": a, "b": b})
    assert [n.op for n in g.operations] == ["sin", "multiply"]
    assert g.node("b").adjoint is None  # drawn, unconnected
    assert float(g.node("a").adjoint) == pytest.approx(2 * np.cos(1.0), rel=1e-6)


def test_array_nodes():
    x = tg.constant([1.0, 2.0, 3.0, 4.0, 5.0], dtype=tg.float64)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.sum(x * x)
    g = tape.graph(y, {"x": x})
    np.testing.assert_allclose(g.node("x").adjoint, 2 * np.arange(1.0, 6.0))
    assert "array(5,)" in g.to_dot()
    assert all(e.partial is None for e in g.edges)  # local partials are labelled for scalars only


def test_errors():
    x = tg.constant(1.0)
    with tg.GradientTape() as tape:
        pass
    with pytest.raises(ValueError, match="recorded no operations"):
        tape.graph()
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * 2
    with pytest.raises(ValueError, match="not recorded on this tape"):
        tape.graph(tg.constant(5.0) * 2, x)
    with pytest.raises(ValueError, match="cannot tell which format"):
        tape.graph(y, x).render("graph.txt")
    with pytest.raises(TypeError, match="not a tg.Tensor"):
        tape.graph(y, {"x": 1.0})


def test_dot_file_needs_no_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "graphviz", None)
    monkeypatch.setitem(sys.modules, "networkx", None)  # and no tapegrad[graph] extra either
    tape, f, xs = seed_tape()
    g = tape.graph(f, xs)
    path = g.render(tmp_path / "g.dot")
    assert open(path).read() == g.to_dot()
    with pytest.raises(GraphvizNotFound, match=r'pip install "tapegrad\[graph\]"'):
        g.render(tmp_path / "g.svg")
    assert g._repr_svg_() is None  # Jupyter falls back to the text repr
    assert "target x7 = 48" in repr(g)


def test_without_dot_matplotlib_draws_svg_and_png(tmp_path, monkeypatch):
    """`pip install "tapegrad[graph]"` alone (networkx + matplotlib, no Graphviz) draws the graph."""
    pytest.importorskip("networkx")
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    tape, f, xs = seed_tape()
    g = tape.graph(f, xs)
    text = (tmp_path / "g.svg").read_text() if g.render(tmp_path / "g.svg") else ""
    assert "<svg" in text
    for label in ("x5 = x2 * x3", "value = 12", "adjoint = 9", "∂x5/∂x3 = 3", "∂x7/∂x6 = 3", g.title):
        assert label in text, label
    data = (tmp_path / "g.png").read_bytes() if g.render(tmp_path / "g.png") else b""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > height > 100  # left to right
    assert g.pipe("pdf")[:5] == b"%PDF-"
    assert len(re.findall(r"adjoint = \d+<", g._repr_svg_())) == 7  # Jupyter shows it inline


def test_layout_layers_follow_the_data(monkeypatch):
    pytest.importorskip("networkx")
    from tapegrad.graph_draw import layout

    tape, f, xs = seed_tape()
    g = tape.graph(f, xs)
    pos = {g._by_id(k).name: v for k, v in layout(g).items()}
    assert {pos[n][0] for n in ("x1", "x2", "x3")} == {0}
    assert (pos["x4"][0], pos["x5"][0], pos["x6"][0], pos["x7"][0]) == (1, 1, 2, 3)
    assert pos["2"][0] == 0 and pos["3"][0] == 2  # a constant sits one layer before the op reading it
    for e in g.edges:  # every edge goes left to right
        assert pos[g._by_id(e.source).name][0] < pos[g._by_id(e.target).name][0]


@needs_dot
def test_svg_and_png(tmp_path):
    tape, f, xs = seed_tape()
    g = tape.graph(f, xs)
    svg = (tmp_path / "g.svg")
    g.render(svg)
    text = svg.read_text()
    assert text.startswith("<?xml") and "<svg" in text and len(text) > 3000
    assert "adjoint = 12" in text and "x5 = x2 * x3" in text
    png = g.render(tmp_path / "g.png")
    data = open(png, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > height > 100  # left to right, as in the textbook figure
    assert g._repr_svg_().lstrip().startswith("<?xml")


def test_graph_of_large_arrays_shows_values_not_kept():
    x = tg.constant(np.linspace(0.0, 1.0, 20000))  # 160 KB: records keep only what rules read
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = tg.sin(x) * 2.0
    graph = tape.graph()  # the default target (the last result) was not kept by its record
    dot = graph.to_dot()
    assert "not kept" in dot
    target = [n for n in graph.nodes if n.is_target][0]
    np.testing.assert_allclose(np.asarray(graph.nodes[0].adjoint), 2 * np.cos(x.numpy()))
    assert target.op == "multiply"
    del y
