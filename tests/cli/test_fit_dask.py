"""``tapegrad fit`` over a glob of CSV/Parquet files read by dask.dataframe, on a cluster: the same
printed result as the in-memory fit of the concatenated file, and clear errors for bad input."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.cli.conftest import run_module

pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

MODEL = "y = a*exp(-b*x) + c"


def _write(path: Path, x: list, y: list) -> Path:
    path.write_text("x,y\n" + "".join(f"{a!r},{b!r}\n" for a, b in zip(x, y)))
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """all.csv (30 rows) and the same rows split into parts/p0..p2 as .csv and .parquet."""
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    root = tmp_path_factory.mktemp("dask_fit")
    rng = np.random.default_rng(1)
    x = np.linspace(0, 5, 30)
    y = 2.5 * np.exp(-0.7 * x) + 0.3 + 0.01 * rng.normal(size=30)
    x, y = x.tolist(), y.tolist()
    _write(root / "all.csv", x, y)
    (root / "parts").mkdir()
    for k, (lo, hi) in enumerate([(0, 10), (10, 20), (20, 30)]):
        _write(root / "parts" / f"p{k}.csv", x[lo:hi], y[lo:hi])
        pd.DataFrame({"x": x[lo:hi], "y": y[lo:hi]}).to_parquet(root / "parts" / f"p{k}.parquet")
    return root


@pytest.fixture(scope="module")
def scheduler():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=50) as cluster:
        yield cluster.scheduler_address


def test_glob_of_csv_files_with_dask_prints_the_in_memory_result(cli, data):
    memory = cli("fit", str(data / "all.csv"), "--model", MODEL)
    assert memory.code == 0, memory.err
    assert "a =  2.50774" in memory.out and "30 rows" in memory.out
    on_cluster = cli("fit", str(data / "parts" / "*.csv"), "--model", MODEL, "--dask")
    assert on_cluster.code == 0, on_cluster.err
    assert on_cluster.out == memory.out
    assert "Traceback" not in on_cluster.err and "Warning" not in on_cluster.err


def test_dask_with_the_dashboard_port_taken(data):
    """--dask with port 8787 in use (another Dask cluster's dashboard, a notebook's): the fit failed
    ("Nanny failed to start", after a note that the port is in use); the local cluster now takes a
    free port. Run as a user runs it, in a subprocess."""
    sock = socket.socket()
    try:
        sock.bind(("0.0.0.0", 8787))
        sock.listen()
    except OSError:  # (taken already: the same situation)
        pass
    try:
        done = run_module("fit", str(data / "parts" / "*.csv"), "--model", MODEL, "--dask")
    finally:
        sock.close()
    assert done.code == 0, done.err
    assert "8787" not in done.err and "a =  2.50774" in done.out


def test_parquet_glob_on_a_scheduler_prints_the_in_memory_result(cli, data, scheduler):
    memory = cli("fit", str(data / "all.csv"), "--model", MODEL, "--json")
    remote = cli("fit", str(data / "parts" / "*.parquet"), "--model", MODEL, "--json", "--scheduler", scheduler)
    assert remote.code == 0, remote.err
    a, b = memory.json(), remote.json()
    for key in ("parameters", "standard_errors", "covariance", "loss", "epochs", "evaluations", "rows"):
        assert a[key] == b[key], key


def test_gradient_descent_over_a_glob_matches_and_reports_progress(cli, data):
    argv = ("--model", MODEL, "--optimizer", "adam", "--max-epochs", "60")
    memory = cli("fit", str(data / "all.csv"), *argv)
    lazy = cli("fit", str(data / "parts" / "*.csv"), *argv)  # no cluster: Dask's local scheduler
    assert lazy.code == memory.code == 0
    assert lazy.out == memory.out
    assert "50 epochs on the cluster, loss" in lazy.err


def test_bad_cell_in_the_second_file_names_file_line_and_column(cli, data, tmp_path):
    for k in range(3):
        (tmp_path / f"p{k}.csv").write_text((data / "parts" / f"p{k}.csv").read_text())
    lines = (tmp_path / "p1.csv").read_text().splitlines()
    lines[4] = lines[4].split(",")[0] + ",inf"
    (tmp_path / "p1.csv").write_text("\n".join(lines) + "\n")
    bad = cli("fit", str(tmp_path / "*.csv"), "--model", MODEL)
    assert bad.code == 2
    assert f"{tmp_path / 'p1.csv'}, line 5 (data row 4), column 'y' is inf" in bad.err
    assert bad.err.count("\n") == 1
    dropped = cli("fit", str(tmp_path / "*.csv"), "--model", MODEL, "--dropna")
    assert dropped.code == 0 and "29 rows (1 dropped)" in dropped.out
    assert f"{tmp_path / 'p1.csv'}:5" in dropped.err


def test_nan_in_a_parquet_file_names_its_row(cli, tmp_path):
    pd = pytest.importorskip("pandas")
    pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [1.0, 2.0, 3.0]}).to_parquet(tmp_path / "a.parquet")
    pd.DataFrame({"x": [3.0, float("nan")], "y": [4.0, 5.0]}).to_parquet(tmp_path / "b.parquet")
    bad = cli("fit", str(tmp_path / "*.parquet"), "--model", "y = m*x + c")
    assert bad.code == 2
    assert f"{tmp_path / 'b.parquet'}, data row 2, column 'x' is nan" in bad.err


def test_clear_errors(cli, data, tmp_path, monkeypatch):
    none = cli("fit", str(tmp_path / "nothing*.csv"), "--model", MODEL)
    assert none.code == 2 and "no file matches" in none.err
    both = cli("fit", str(data / "all.csv"), "--model", MODEL, "--dask", "--scheduler", "tcp://127.0.0.1:1")
    assert both.code == 2 and "not both" in both.err
    (tmp_path / "a.csv").write_text("x,y\n1,2\n2,3\n")
    (tmp_path / "b.csv").write_text("x,z\n1,2\n")
    mixed = cli("fit", str(tmp_path / "*.csv"), "--model", "y = m*x + c")
    assert mixed.code == 2 and f"{tmp_path / 'b.csv'}: its columns (x, z) differ" in mixed.err
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the dask extra were not installed
    missing = cli("fit", str(data / "all.csv"), "--model", MODEL, "--dask")
    assert missing.code == 2 and 'pip install "tapegrad[dask]"' in missing.err
