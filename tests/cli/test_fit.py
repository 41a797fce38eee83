"""`tapegrad fit`: recovers the seeds' y = 2x - 8, finds the target, says what is wrong with bad input."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest


def test_seed_line_is_recovered_with_mse(cli, seed_csv):
    r = cli("fit", str(seed_csv), "--model", "m*x + c", "--loss", "mse")
    assert r.code == 0, r.err
    params = dict(re.findall(r"^(\w+) = (-?\d+\.\d{4})$", r.out, re.M))
    assert set(params) == {"m", "c"}
    assert abs(float(params["m"]) - 2) < 0.05 and abs(float(params["c"]) + 8) < 0.05
    assert "final loss (mse) = " in r.out
    assert r.err == ""  # no progress bar when stderr is not a terminal


@pytest.mark.parametrize("optimizer, lr, epochs", [("adam", "0.1", "1000"), ("sgd", "0.01", "2000")])
def test_json_and_optimizers(cli, seed_csv, optimizer, lr, epochs):
    r = cli("fit", str(seed_csv), "--model", "y = m*x + c", "--optimizer", optimizer, "--lr", lr, "--epochs", epochs,
            "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["target"] == "y" and doc["data_columns"] == ["x"] and doc["rows"] == 10
    assert doc["parameters"]["m"] == pytest.approx(2, abs=0.05)
    assert doc["parameters"]["c"] == pytest.approx(-8, abs=0.05)
    assert doc["loss"] < 1e-3 and doc["loss_name"] == "mse" and doc["optimizer"] == optimizer
    losses = doc["history"]["loss"]
    assert losses[0] > losses[-1]


def test_init_and_mae(cli, seed_csv):
    doc = cli("fit", str(seed_csv), "--model", "m*x + c", "--init", "m=2", "c=-8", "--loss", "mae", "--epochs", "1",
              "--lr", "1e-9", "--json").json()
    assert doc["history"]["loss"][0] == pytest.approx(0.0, abs=1e-12)  # starts at the answer
    assert doc["parameters"]["m"] == pytest.approx(2.0, abs=1e-6)


def test_target_option_and_several_columns(cli, tmp_path):
    rng = np.random.default_rng(1)
    a, b = rng.uniform(-1, 1, 30), rng.uniform(-1, 1, 30)
    out = 1.5 * a - 0.5 * b + 0.25
    path = tmp_path / "d.csv"
    path.write_text("a,b,out,noise\n" + "".join(f"{p},{q},{r},0\n" for p, q, r in zip(a, b, out)))
    doc = cli("fit", str(path), "--model", "w1*a + w2*b + k", "--target", "out", "--json").json()
    assert doc["parameters"] == pytest.approx({"w1": 1.5, "w2": -0.5, "k": 0.25}, abs=1e-3)
    r = cli("fit", str(path), "--model", "w1*a + w2*b + k")
    assert r.code == 2 and "cannot tell which column is the target" in r.err


def test_plot(cli, seed_csv, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "fit.png"
    r = cli("fit", str(seed_csv), "--model", "m*x + c", "--epochs", "200", "--plot", str(out))
    assert r.code == 0, r.err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib(cli, seed_csv, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    r = cli("fit", str(seed_csv), "--model", "m*x + c", "--plot", str(tmp_path / "f.png"))
    assert r.code == 2 and 'pip install "tapegrad[plot]"' in r.err


def test_divergence_is_reported(cli, seed_csv):
    r = cli("fit", str(seed_csv), "--model", "m*x + c", "--optimizer", "sgd", "--lr", "10", "--epochs", "500")
    assert r.code == 1 and "lower the learning rate" in r.err


@pytest.mark.parametrize(
    "csv_text, argv, message",
    [
        ("x,y\n1,2\n", ["--model", "m*x + c", "--target", "z"], "not a column"),
        ("x,y\n1,2\n", ["--model", "y = m*x", "--target", "x"], "but --target says"),
        ("x,y\n1,2\n", ["--model", "x*2"], "no parameters"),
        ("x,y\n1,2\n", ["--model", "m*y", "--target", "y"], "target column 'y'"),
        ("x,y\n1,oops\n", ["--model", "m*x"], "row 2, column 'y'"),
        ("x,y\n1,2,3\n", ["--model", "m*x"], "3 values for 2 columns"),
        ("x,y\n", ["--model", "m*x"], "no data rows"),
        ("", ["--model", "m*x"], "empty"),
        ("x,y\n1,2\n", ["--model", "m*x", "--init", "q=1"], "not a parameter"),
        ("x,y\n1,2\n", ["--model", "m*x", "--epochs", "0"], "--epochs"),
        ("x,y\n1,2\n", ["--model", "m*x", "--lr", "-1"], "--lr"),
        ("x,y\n1,2\n", ["--model", "m.x"], "attribute access"),
        ("x,x\n1,2\n", ["--model", "m*x"], "repeated"),
    ],
)
def test_bad_input(cli, tmp_path, csv_text, argv, message):
    path = tmp_path / "bad.csv"
    path.write_text(csv_text)
    r = cli("fit", str(path), *argv)
    assert r.code == 2, r.err
    assert message in r.err


def test_missing_file(cli, tmp_path):
    r = cli("fit", str(tmp_path / "nope.csv"), "--model", "m*x")
    assert r.code == 2 and "cannot read" in r.err
