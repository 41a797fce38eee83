"""The data ``tapegrad fit`` reads: a :class:`Table` of float64 columns, then the rows a fit may use.

:func:`load_data` is the one entry point: it turns the command line's DATA argument into a Table.
Other sources (more file formats, out-of-core frames) plug in there and return the same Table.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from dataclasses import dataclass, field

import numpy as np

from tapegrad.cli._common import UsageError, plural

MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}  # cells read as a missing value


@dataclass
class Table:
    """Columns read from a data source, before any row is checked or dropped.

    ``columns`` holds float64 arrays with nan where a cell is empty or not a number; ``text`` keeps
    those cells' text (column -> {row index: text}); ``lines`` is each row's line in the source, so
    messages can point at it.
    """

    source: str
    columns: dict[str, np.ndarray]
    lines: np.ndarray
    text: dict[str, dict[int, str]] = field(default_factory=dict)
    line_word: str = "line"  # what ``lines`` counts: lines of a text file, or rows (Parquet)

    @property
    def rows(self) -> int:
        return int(self.lines.size)


def load_data(args: argparse.Namespace) -> Table:
    """The table the model is fitted to: the CSV file (or standard input) named on the command line;
    a glob of CSV or Parquet files (or --dask/--scheduler) gives a lazy DaskTable (``fit_dask``)."""
    from tapegrad.cli import fit_dask

    if fit_dask.wants_dask(args):
        return fit_dask.read_dataset(args.data)
    return read_csv(args.data)


def read_csv(path: str) -> Table:
    """Columns of a CSV file with a header row (delimiter sniffed among , ; tab and space)."""
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, newline="", encoding="utf-8-sig") as fh:
                text = fh.read()
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not a UTF-8 text (CSV) file") from None
    try:
        sample = text[:4096]
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t ") if sample.strip() else csv.excel
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows: list[tuple[int, list[str]]] = []
    for row in reader:
        if any(c.strip() for c in row):
            rows.append((reader.line_num, row))
    if not rows:
        raise UsageError(f"{path} is empty; it needs a header row and data rows")
    header = [h.strip() for h in rows[0][1]]
    if len(set(header)) != len(header):
        raise UsageError(f"{path}: the header has repeated column names: {', '.join(header)}")
    if len(rows) < 2:
        raise UsageError(f"{path} has a header but no data rows")
    values = np.full((len(rows) - 1, len(header)), np.nan)
    cells: dict[str, dict[int, str]] = {}
    for i, (line, row) in enumerate(rows[1:]):
        if len(row) != len(header):
            raise UsageError(f"{path}, line {line}: {plural(len(row), 'value')} for {plural(len(header), 'column')}")
        for j, cell in enumerate(row):
            try:
                values[i, j] = float(cell)
            except ValueError:
                cells.setdefault(header[j], {})[i] = cell.strip()
    lines = np.array([line for line, _ in rows[1:]])
    return Table(path, {h: values[:, j].copy() for j, h in enumerate(header)}, lines, cells)


def select_rows(data: Table, names: list[str], dropna: bool,
                allow_empty: bool = False) -> tuple[dict[str, np.ndarray], list[int]]:
    """The named columns with every value finite: a bad cell is an error naming its line and column,
    or (``dropna``) a missing or non-finite value drops its row. Returns (columns, dropped lines)."""
    bad = np.zeros(data.rows, dtype=bool)
    for name in names:
        bad |= ~np.isfinite(data.columns[name])
    for i in np.flatnonzero(bad):
        for name in names:  # the first bad cell, in row order, then in the order of the names
            if np.isfinite(data.columns[name][i]):
                continue
            where = (f"{data.source}, line {data.lines[i]} (data row {i + 1}), column {name!r}"
                     if data.line_word == "line" else f"{data.source}, data row {i + 1}, column {name!r}")
            cell = data.text.get(name, {}).get(int(i))
            if cell is not None and cell.lower() not in MISSING:
                raise UsageError(f"{where}: {cell!r} is not a number")
            if not dropna:
                what = "is empty" if cell == "" else f"is {cell or data.columns[name][i]}, not a finite number"
                raise UsageError(f"{where} {what}: fix the data, or drop such rows with --dropna")
            break
    keep = ~bad
    if not keep.any() and not allow_empty:  # one file of several may lose all its rows
        raise UsageError(f"{data.source}: every row has a missing or non-finite value in {', '.join(names)}")
    return {name: data.columns[name][keep] for name in names}, [int(v) for v in data.lines[bad]]
