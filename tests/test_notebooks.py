"""The example notebook runs, and tensors, graphs and explanations display as HTML/SVG in Jupyter."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "tapegrad_in_a_notebook.ipynb"


def test_example_notebook_runs_and_displays_rich_outputs(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    resources = {"metadata": {"path": str(tmp_path)}}
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources=resources)
    client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    outputs = [{k: v for o in c.outputs for k, v in o.get("data", {}).items()} for c in code]
    assert "tg.Tensor" in outputs[0]["text/html"] and "48." in outputs[0]["text/html"]
    assert "[12. 12.  9.]" in outputs[1]["text/html"]
    svg = outputs[2]["image/svg+xml"]  # drawn by dot, or by matplotlib without it
    assert "adjoint = 12" in svg and "value = 48" in svg
    streams = "".join(o.get("text", "") for o in code[3].outputs if o.output_type == "stream")
    assert streams.strip() == "None"
    assert "never watched" in outputs[3]["text/html"] and outputs[3]["text/plain"].startswith("The source")


def test_repr_html_of_tensors_and_variables():
    import tapegrad as tg

    html = tg.Variable([1.0, 2.0], name="w")._repr_html_()
    assert "tg.Variable &#x27;w&#x27;" in html and "shape=(2,)" in html and "[1. 2.]" in html
    big = tg.ones((200, 200))._repr_html_()
    assert "..." in big and len(big) < 2000  # summarised, not 40,000 numbers


def test_graph_svg_without_dot(monkeypatch):
    pytest.importorskip("networkx")
    pytest.importorskip("matplotlib")
    import tapegrad as tg

    monkeypatch.setattr(shutil, "which", lambda name: None)
    x = tg.constant(2.0, dtype=tg.float64)
    with tg.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert "adjoint = 4" in tape.graph(y, {"x": x})._repr_svg_()
