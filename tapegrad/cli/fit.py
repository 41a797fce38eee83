"""``tapegrad fit``: fit a model expression's parameters to CSV data by gradient descent."""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from typing import Any

import numpy as np

import tapegrad as tg
from tapegrad.cli._common import UsageError, parse_assignments, print_json, require_module
from tapegrad.cli.expression import Expression, parse_expression

try:  # another module of the package; imported lazily-tolerant so a missing one gives a clear message
    from tapegrad import optimizers as _optimizers
except ImportError:  # pragma: no cover - optimizers ship with tapegrad
    _optimizers = None

MAX_EPOCHS = 10_000_000
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z_][A-Za-z_0-9]*)\s*=(?!=)(.*)$", re.S)

EXAMPLES = """\
examples:
  tapegrad fit data.csv --model "m*x + c"                  (the target: the one column the model does not use)
  tapegrad fit data.csv --model "y = m*x + c" --loss mse --optimizer adam --lr 0.1 --epochs 1000
  tapegrad fit data.csv --model "a*exp(b*t)" --target n --init a=1 b=-0.1 --plot fit.png
  tapegrad fit data.csv --model "m*x + c" --json

data.csv has a header row; names in the model that are columns are data, the others are parameters
(initialised from --seed, or by --init). Each epoch is one full-batch step of the optimizer on the
mean loss. A progress bar (tqdm, when installed) is shown only when stderr is a terminal.
"""


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "fit",
        help="fit a model's parameters to CSV data",
        description="Fit the parameters of a model expression to the columns of a CSV file by gradient descent.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("data", metavar="DATA.CSV", help="CSV file with a header row ('-' reads standard input)")
    p.add_argument("--model", required=True, help='the model, e.g. "m*x + c" or "y = m*x + c"')
    p.add_argument("--target", help="the column the model predicts (default: from 'y = ...', or the one unused column)")
    p.add_argument(
        "--loss", choices=("mse", "mae"), default="mse", help="mean squared or mean absolute error (default mse)"
    )
    p.add_argument("--optimizer", choices=("adam", "sgd"), default="adam", help="default adam")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default 0.1 for adam, 0.01 for sgd)")
    p.add_argument("--momentum", type=float, default=0.0, help="SGD momentum (default 0)")
    p.add_argument("--epochs", type=int, default=2000, help="full-batch steps (default 2000)")
    p.add_argument("--init", nargs="+", metavar="NAME=VALUE", default=[], help="starting values of parameters")
    p.add_argument("--seed", type=int, default=0, help="seed of the random starting values (default 0)")
    p.add_argument("--plot", metavar="FILE", help="draw the data, the fit and the loss curve (.png, .svg, .pdf)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    return p


def read_csv(path: str) -> dict[str, np.ndarray]:
    """Columns of a CSV file with a header row, as float64 arrays."""
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
    rows = [r for r in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in r)]
    if not rows:
        raise UsageError(f"{path} is empty; it needs a header row and data rows")
    header = [h.strip() for h in rows[0]]
    if len(set(header)) != len(header):
        raise UsageError(f"{path}: the header has repeated column names: {', '.join(header)}")
    if len(rows) < 2:
        raise UsageError(f"{path} has a header but no data rows")
    columns: dict[str, list[float]] = {h: [] for h in header}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise UsageError(f"{path}, row {line}: {len(row)} values for {len(header)} columns")
        for name, cell in zip(header, row):
            try:
                columns[name].append(float(cell))
            except ValueError:
                raise UsageError(f"{path}, row {line}, column {name!r}: {cell.strip()!r} is not a number") from None
    return {name: np.array(values, dtype=np.float64) for name, values in columns.items()}


def split_model(text: str) -> tuple[str | None, str]:
    """``"y = m*x + c"`` -> ``("y", "m*x + c")``; ``"m*x + c"`` -> ``(None, "m*x + c")``."""
    m = _ASSIGNMENT.match(text)
    if m:
        return m.group(1), m.group(2).strip()
    return None, text


def run(args: argparse.Namespace) -> int:
    lhs, body = split_model(args.model)
    expr = parse_expression(body, what="model")
    if args.epochs < 1 or args.epochs > MAX_EPOCHS:
        raise UsageError(f"--epochs must be between 1 and {MAX_EPOCHS}, got {args.epochs}")
    lr = args.lr if args.lr is not None else (0.1 if args.optimizer == "adam" else 0.01)
    if not (lr > 0 and np.isfinite(lr)):
        raise UsageError(f"--lr must be a positive number, got {lr}")
    if args.plot:
        suffix = args.plot.rsplit(".", 1)[-1].lower() if "." in args.plot else ""
        if suffix not in ("png", "svg", "pdf", "jpg", "jpeg"):
            raise UsageError(f"--plot {args.plot}: the file name must end in .png, .svg, .pdf or .jpg")
        require_module("matplotlib", "plot", "--plot")
    init = parse_assignments(args.init, "--init")
    data = read_csv(args.data)

    target = args.target or lhs
    if lhs is not None and args.target is not None and lhs != args.target:
        raise UsageError(f"the model predicts {lhs} but --target says {args.target}")
    used = [v for v in expr.variables if v in data]
    params = [v for v in expr.variables if v not in data]
    if target is None:
        unused = [c for c in data if c not in expr.variables]
        if len(unused) != 1:
            raise UsageError(
                "cannot tell which column is the target: "
                + (f"the model does not use {', '.join(unused)}" if unused else "the model uses every column")
                + "; write the model as 'y = ...' or give --target"
            )
        target = unused[0]
    if target not in data:
        raise UsageError(f"the target {target!r} is not a column of {args.data} (columns: {', '.join(data)})")
    if target in expr.variables:
        raise UsageError(f"the model uses the target column {target!r} itself")
    if not params:
        raise UsageError(f"the model has no parameters to fit: {', '.join(expr.variables) or 'it'} are all columns")
    unknown = [n for n in init if n not in params]
    if unknown:
        raise UsageError(f"--init {unknown[0]}: not a parameter of the model (parameters: {', '.join(params)})")

    rng = np.random.default_rng(args.seed)
    variables = {}
    for name in params:
        start = init[name] if name in init else float(rng.uniform(0.0, 1.0))
        variables[name] = tg.Variable(start, name=name, dtype=tg.float64)
    inputs = {name: tg.constant(data[name], dtype=tg.float64) for name in used}
    y_true = tg.constant(data[target], dtype=tg.float64)
    optimizer = _make_optimizer(args.optimizer, lr, args.momentum)
    var_list = list(variables.values())
    env: dict[str, Any] = {**inputs, **variables}

    def loss_fn() -> Any:
        residual = expr(env) - y_true
        return tg.mean(residual * residual) if args.loss == "mse" else tg.mean(tg.abs(residual))

    history: list[float] = []
    bar = _progress(args.epochs)
    failed = None
    with np.errstate(all="ignore"):
        for epoch in range(args.epochs):
            with tg.GradientTape() as tape:
                loss = loss_fn()
            value = float(loss)
            history.append(value)
            if not np.isfinite(value):
                failed = epoch
                break
            grads = tape.gradient(loss, var_list)
            if all(g is None for g in grads):
                raise UsageError("the loss does not depend on any parameter; check the model")
            optimizer.apply_gradients((g, v) for g, v in zip(grads, var_list) if g is not None)
            bar.update(epoch, value)
        bar.close()
        final = float(loss_fn())
    fitted = {name: float(v.numpy()) for name, v in variables.items()}
    if failed is not None or not np.isfinite(final):
        print(
            f"tapegrad fit: failed: the loss became {history[-1] if history else final} at epoch {failed}; "
            f"lower the learning rate (--lr {lr / 10:g}) or give starting values with --init",
            file=sys.stderr,
        )
        return 1
    if args.plot:
        _draw(expr, args.model, data, used, target, env, history, args.plot)
    if args.json:
        step = max(1, len(history) // 100)
        print_json({
            "model": args.model, "target": target, "data_columns": used, "rows": int(y_true.shape[0]),
            "parameters": fitted, "loss": final, "loss_name": args.loss, "optimizer": args.optimizer,
            "learning_rate": lr, "epochs": args.epochs,
            "history": {"epochs": list(range(0, len(history), step)), "loss": history[::step]},
            "plot": args.plot,
        })
    else:
        model_text = f"{target} = {expr.text}"
        print(f"fitted {model_text} to {y_true.shape[0]} rows ({args.loss} loss, {args.optimizer}, "
              f"learning rate {lr:g}, {args.epochs} epochs)")
        for name, value in fitted.items():
            print(f"{name} = {value:.4f}")
        print(f"final loss ({args.loss}) = {final:.6g}")
        if args.plot:
            print(f"wrote {args.plot}")
    return 0


def _make_optimizer(kind: str, lr: float, momentum: float) -> Any:
    if _optimizers is not None:
        if kind == "adam":
            return _optimizers.Adam(learning_rate=lr)
        if not 0 <= momentum <= 1:
            raise UsageError(f"--momentum must be in [0, 1], got {momentum}")
        return _optimizers.SGD(learning_rate=lr, momentum=momentum)
    return _PlainStep(lr)  # pragma: no cover


class _PlainStep:  # pragma: no cover - only without tapegrad.optimizers
    """w -= lr * g, the seeds' hand-written update."""

    def __init__(self, lr: float) -> None:
        self.lr = lr

    def apply_gradients(self, pairs: Any) -> None:
        for g, v in pairs:
            v.assign_sub(g * self.lr)


class _progress:
    """A progress bar on stderr, only when it is a terminal (tqdm if installed, else a plain line)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.bar = None
        self.plain = False
        if not sys.stderr.isatty():
            return
        try:
            from tqdm import tqdm

            self.bar = tqdm(total=total, file=sys.stderr, unit="epoch", leave=False)
        except ImportError:
            self.plain = True
        self.every = max(1, total // 100)

    def update(self, epoch: int, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(1)
            if epoch % self.every == 0:
                self.bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
        elif self.plain and (epoch % self.every == 0 or epoch == self.total - 1):
            sys.stderr.write(f"\repoch {epoch + 1}/{self.total}  loss {loss:.6g}   ")
            sys.stderr.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.plain:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def _draw(expr: Expression, model: str, data: dict, used: list, target: str, env: dict, history: list,
          path: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4.2), dpi=100)
    FigureCanvasAgg(fig)
    ax, ax_loss = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    y = data[target]
    with np.errstate(all="ignore"):
        if len(used) == 1:
            x = data[used[0]]
            grid = np.linspace(float(x.min()), float(x.max()), 200)
            curve = np.asarray(expr({**env, used[0]: tg.constant(grid, dtype=tg.float64)})._value) * np.ones_like(grid)
            ax.scatter(x, y, label="data", color="#2b6cb0", zorder=3)
            ax.plot(grid, curve, label="fit", color="#c05621")
            ax.set_xlabel(used[0])
            ax.set_ylabel(target)
        else:
            pred = np.asarray(expr(env)._value) * np.ones_like(y)
            lo, hi = float(min(y.min(), pred.min())), float(max(y.max(), pred.max()))
            ax.scatter(y, pred, label="data", color="#2b6cb0", zorder=3)
            ax.plot([lo, hi], [lo, hi], label="perfect fit", color="#999999", linestyle="--")
            ax.set_xlabel(f"{target} (data)")
            ax.set_ylabel(f"{target} (model)")
    params = ", ".join(f"{n} = {float(v.numpy()):.4g}" for n, v in env.items() if isinstance(v, tg.Variable))
    ax.set_title(f"{model}\n{params}", fontsize=10)
    ax.legend()
    ax.grid(True, alpha=0.3)
    ax_loss.plot(np.arange(1, len(history) + 1), history, color="#2f855a")
    if all(h > 0 for h in history):
        ax_loss.set_yscale("log")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss")
    ax_loss.set_title("training loss", fontsize=10)
    ax_loss.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
