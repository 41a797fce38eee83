"""Each verb through `python -m tapegrad` in a subprocess, as a user runs it."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tests.cli.conftest import run_module


def test_diff_seed_example():
    r = run_module("diff", "3*(x1**2 + x2*x3)", "--at", "x1=2", "x2=3", "x3=4")
    assert r.code == 0, r.err
    assert "value     48" in r.out
    assert [line.split()[-1] for line in r.out.splitlines() if line.strip().startswith("df/dx")] == ["12", "12", "9"]


def test_diff_rejects_code_with_exit_2(tmp_path):
    r = run_module("diff", "__import__('os').system('touch pwned')", "--at", "x=1", cwd=tmp_path)
    assert r.code == 2
    assert r.err.strip() == (
        "tapegrad diff: error: the dunder name '__import__' is not allowed in an expression (at column 1)"
    )
    assert not (tmp_path / "pwned").exists()


def test_python_dash_m_tapegrad_cli_and_help_for_each_verb():
    r = run_module("--help", module="tapegrad.cli")
    assert r.code == 0 and "diff" in r.out and "graph" in r.out
    for verb in ("diff", "plot", "graph", "fit"):
        r = run_module(verb, "--help")
        assert r.code == 0, verb
        assert "examples:" in r.out and f"tapegrad {verb} " in r.out, verb


def test_plot(tmp_path):
    pytest.importorskip("matplotlib")
    argv = ["sin(x)**2", "--var", "x", "--range", "-6.283:6.283", "--order", "3", "-o", "derivatives.png"]
    r = run_module("plot", *argv, cwd=tmp_path)
    assert r.code == 0, r.err
    assert (tmp_path / "derivatives.png").read_bytes()[:4] == b"\x89PNG"


def test_plot_json():
    r = run_module("plot", "x**3", "--range", "0:1", "--points", "3", "--order", "2", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["curves"]["second derivative"] == [0.0, 3.0, 6.0]


def test_graph(tmp_path):
    r = run_module("graph", "3*(x1**2 + x2*x3)", "--at", "x1=2", "x2=3", "x3=4", "-o", "graph.dot", cwd=tmp_path)
    assert r.code == 0, r.err
    assert "adjoint = 12" in (tmp_path / "graph.dot").read_text()
    if shutil.which("dot"):
        r = run_module("graph", "3*(x1**2 + x2*x3)", "--at", "x1=2", "x2=3", "x3=4", "-o", "graph.svg", cwd=tmp_path)
        assert r.code == 0, r.err
        assert (tmp_path / "graph.svg").read_bytes().startswith(b"<?xml")


def test_fit(seed_csv):
    r = run_module("fit", str(seed_csv), "--model", "m*x + c", "--loss", "mse", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert abs(doc["parameters"]["m"] - 2) < 1e-9 and abs(doc["parameters"]["c"] + 8) < 1e-9
    assert doc["converged"] is True and doc["optimizer"] == "lm"
    assert r.err == ""


def test_fit_reads_stdin(seed_csv):
    r = run_module("fit", "-", "--model", "y = m*x + c", stdin=seed_csv.read_text())
    assert r.code == 0, r.err
    values = dict(re.findall(r"^  (\w+) = +(\S+) ± ", r.out, re.M))
    assert abs(float(values["m"]) - 2) < 1e-9 and abs(float(values["c"]) + 8) < 1e-9
    assert "converged after" in r.out


def test_usage_error_exit_2():
    r = run_module("diff", "x", "--order")
    assert r.code == 2 and "expected one argument" in r.err
    r = run_module("nonsense")
    assert r.code == 2
