"""``tapegrad fit`` over many files with Dask: a glob of CSV or Parquet files read as a ``dask.dataframe``
(one partition per file), optionally on a local or remote ``dask.distributed`` cluster.

Each file is read and checked on a worker by the in-memory reader (:func:`read_csv`,
:func:`select_rows`), so a bad cell is reported with its file, line and column exactly as for one
CSV file. The columns become tapegrad tensors over Dask arrays: each residual and Jacobian
evaluation runs on the cluster, and the solver (SciPy's least squares, or Adam/SGD) on the client,
so the printed result is the in-memory fit's.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import glob
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

import tapegrad as tg
from tapegrad.cli._common import UsageError, plural
from tapegrad.cli.fit_data import Table, read_csv, select_rows
from tapegrad.cli.fit_solvers import Problem

DASK_EXTRA = 'pip install "tapegrad[dask]"'
PARQUET = (".parquet", ".pq")
PROGRESS_EVERY = 10  # residual evaluations (lm/trf) between progress lines on stderr
PROGRESS_EPOCHS = 50  # epochs (adam/sgd) between progress lines


def wants_dask(args: argparse.Namespace) -> bool:
    """A glob, a Parquet file, --dask or --scheduler: read with dask.dataframe."""
    data = args.data
    return bool(getattr(args, "dask", False) or getattr(args, "scheduler", None)
                or (data != "-" and (glob.has_magic(data) or data.lower().endswith(PARQUET))))


def _require_dask(what: str) -> None:
    try:
        import dask.dataframe  # noqa: F401
        if what != "a glob of files":
            import distributed  # noqa: F401
    except ImportError:
        raise UsageError(f"{what} needs Dask, which is not installed: {DASK_EXTRA}") from None


@contextlib.contextmanager
def cluster(args: argparse.Namespace) -> Iterator[Any]:
    """--dask: a local dask.distributed cluster; --scheduler ADDRESS: a Client to it; closed at the end."""
    local, address = getattr(args, "dask", False), getattr(args, "scheduler", None)
    if local and address:
        raise UsageError("give --dask (a local cluster) or --scheduler ADDRESS (an existing one), not both")
    if not (local or address):
        yield None
        return
    _require_dask("--dask" if local else "--scheduler")
    import logging

    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    if local:
        with LocalCluster(n_workers=min(2, os.cpu_count() or 1), threads_per_worker=1, processes=True,
                          dashboard_address=":0", silence_logs=logging.CRITICAL) as lc, Client(lc) as client:
            yield client
        return
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as err:
        raise UsageError(f"--scheduler {address}: cannot connect: {str(err).splitlines()[0] if str(err) else err}") \
            from None
    with client:
        yield client


@dataclass
class DaskTable:
    """The files a glob names: their shared column names, read lazily (the same interface as Table's names)."""

    source: str
    files: list[str]
    columns: list[str]
    parquet: bool

    @property
    def rows(self) -> int:
        return self._rows

    _rows: int = 0


def read_dataset(pattern: str) -> DaskTable:
    """The files matching ``pattern`` (sorted), all CSV or all Parquet, with the first file's header."""
    if pattern == "-":
        raise UsageError("--dask and --scheduler read files, not standard input: give a file name or a glob")
    _require_dask("a glob of files")
    files = sorted(f for f in glob.glob(pattern) if os.path.isfile(f))
    if not files:
        raise UsageError(f"{pattern}: no file matches")
    parquet = [f.lower().endswith(PARQUET) for f in files]
    if any(parquet) and not all(parquet):
        raise UsageError(f"{pattern} matches both Parquet and other (CSV) files; give a glob of one kind")
    columns = list(_read_one(files[0], all(parquet)).columns)
    return DaskTable(pattern, files, columns, all(parquet))


def _read_one(path: str, parquet: bool) -> Table:
    if not parquet:
        return read_csv(path)
    try:
        import pyarrow.parquet as pq

        frame = pq.read_table(path).to_pandas()
    except ImportError:
        raise UsageError(f"reading Parquet needs pyarrow, which is not installed: {DASK_EXTRA}") from None
    except Exception as err:  # a broken or foreign file: say which
        raise UsageError(f"cannot read {path} as Parquet: {str(err).splitlines()[0] if str(err) else err}") from None
    cols, text = {}, {}
    for name in frame.columns:
        values = np.asarray(frame[name].to_numpy(), dtype=object)
        out = np.full(values.size, np.nan)
        for i, v in enumerate(values):
            try:
                out[i] = float(v) if v is not None else np.nan
            except (TypeError, ValueError):
                text.setdefault(str(name), {})[i] = str(v)
        cols[str(name)] = out
    return Table(path, cols, np.arange(1, len(frame) + 1), text, line_word="row")


def _load_part(path: str, *, parquet: bool, header: list[str], names: list[str], dropna: bool) -> tuple:
    """On a worker: one file's finite rows of ``names`` (a pandas frame), its dropped lines and row count."""
    import pandas as pd

    table = _read_one(path, parquet)
    if list(table.columns) != header:
        raise UsageError(f"{path}: its columns ({', '.join(table.columns)}) differ from those of the first file "
                         f"({', '.join(header)})")
    columns, dropped = select_rows(table, names, dropna, allow_empty=True)
    return pd.DataFrame(columns, columns=names), [f"{path}:{d}" for d in dropped], table.rows


def _summary(load: Any, path: str) -> tuple:
    frame, dropped, rows = load(path)
    return len(frame), dropped, rows


def _frame(path: str, load: Any) -> Any:
    return load(path)[0]


def select_rows_dask(data: DaskTable, names: list[str], dropna: bool) -> tuple[dict[str, Any], list[str]]:
    """Every file read and checked on the workers (errors name file, line and column), kept there
    (persisted); returns Dask arrays of the named columns and the dropped rows as ``file:line``."""
    import dask
    import dask.dataframe as dd
    import pandas as pd

    load = functools.partial(_load_part, parquet=data.parquet, header=data.columns, names=names, dropna=dropna)
    summary = dask.compute(*[dask.delayed(_summary, pure=True)(load, f) for f in data.files])  # the checks
    lengths = [s[0] for s in summary]
    dropped = [d for s in summary for d in s[1]]
    data._rows = sum(s[2] for s in summary)
    if sum(lengths) == 0:
        raise UsageError(f"{data.source}: every row has a missing or non-finite value in {', '.join(names)}")
    meta = pd.DataFrame({n: np.array([], dtype=np.float64) for n in names})
    frame = dd.from_map(_frame, data.files, load=load, meta=meta, enforce_metadata=False).persist()
    return {n: frame[n].to_dask_array(lengths=lengths) for n in names}, dropped


class DaskProblem(Problem):
    """Problem over Dask columns: residuals and the Jacobian (forward mode, one column per parameter)
    computed on the cluster, returned as NumPy for the solver on the client; a progress line on stderr."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.evaluations = 0

    def residual_np(self, theta: np.ndarray) -> np.ndarray:
        r = np.asarray(tg.compute(self.residual(tg.constant(theta, dtype=tg.float64)))[0], dtype=np.float64)
        self.evaluations += 1
        if self.evaluations % PROGRESS_EVERY == 0:
            sys.stderr.write(f"tapegrad fit: {plural(self.evaluations, 'evaluation')} on the cluster, "
                             f"loss {float(np.mean(r * r)):.6g}\n")
            sys.stderr.flush()
        return r

    def report(self, epoch: int, loss: float) -> None:
        """After a gradient step (adam/sgd): a progress line on stderr every PROGRESS_EPOCHS epochs."""
        if (epoch + 1) % PROGRESS_EPOCHS == 0:
            sys.stderr.write(f"tapegrad fit: {plural(epoch + 1, 'epoch')} on the cluster, loss {loss:.6g}\n")
            sys.stderr.flush()

    def jacobian_np(self, theta: np.ndarray) -> np.ndarray:
        t = tg.constant(theta, dtype=tg.float64)
        p = theta.size
        cols = []
        for i in range(p):
            with tg.ForwardAccumulator(t, tg.constant(np.eye(p)[i], dtype=tg.float64)) as acc:
                r = self.residual(t)
            d = acc.jvp(r)
            cols.append(d if d is not None else tg.zeros_like(r))
        values = tg.compute(*cols)
        return np.stack([np.asarray(v, dtype=np.float64) for v in values], axis=1).reshape(self.y.size, p)

    def where_nonfinite(self, theta: np.ndarray) -> str | None:
        local = Problem(self.expr, self.params, {n: np.asarray(v) for n, v in self.data.items()}, np.asarray(self.y))
        return local.where_nonfinite(theta)
