"""``tapegrad fit``: fit a model expression's parameters to data, with standard errors as curve_fit gives.

The default for the least-squares loss is Levenberg-Marquardt (``scipy.optimize.least_squares``)
driven by tapegrad's exact Jacobian of the residuals; gradient descent (Adam, SGD) stays available.
Every run stops on convergence or says, on stderr, that it did not converge.

Reading the data is one function, :func:`tapegrad.cli.fit_data.load_data`, which returns a
:class:`~tapegrad.cli.fit_data.Table`; other data sources plug in there. The solvers live in
:mod:`tapegrad.cli.fit_solvers`.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

import tapegrad as tg
from tapegrad.cli._common import UsageError, fmt, note, parse_assignments, plural, print_json, require_module, table
from tapegrad.cli.expression import Expression, parse_expression
from tapegrad.cli.fit_data import Table, load_data, select_rows
from tapegrad.cli.fit_solvers import (
    Outcome,
    Problem,
    covariance,
    fit_gradient,
    fit_least_absolute,
    fit_least_squares,
    loss_of,
)

PROG = "tapegrad fit"
MAX_EPOCHS = 10_000_000
DEFAULT_TOL = 1e-8
DEFAULT_MAX_EPOCHS = {"lm": 1000, "trf": 1000, "adam": 10_000, "sgd": 10_000}
EXIT_NOT_CONVERGED = 3
METHOD_NAMES = {
    "lm": "Levenberg-Marquardt with the exact Jacobian",
    "trf": "trust-region reflective with the exact Jacobian",
    "adam": "Adam",
    "sgd": "SGD",
}
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z_][A-Za-z_0-9]*)\s*=(?!=)(.*)$", re.S)
FIT_EXTRA = 'pip install "tapegrad[fit]"'

EXAMPLES = f"""\
examples:
  tapegrad fit data.csv --model "y = a*exp(-b*x) + c"       (Levenberg-Marquardt, with standard errors)
  tapegrad fit data.csv --model "m*x + c"                  (the target: the one column the model does not use)
  tapegrad fit data.csv --model "a*exp(b*t)" --target n --init a=1 b=-0.1 --plot fit.png
  tapegrad fit data.csv --model "y = m*x + c" --params m,c --dropna --json
  tapegrad fit data.csv --model "y = m*x + c" --optimizer adam --lr 0.1 --max-epochs 5000

data.csv has a header row. Names in the model that are columns are data, the others are parameters
(or say which are parameters with --params); a column the model does not use while it has a name no
column has is taken for a typo. Parameters start from --init, else from random values in [0, 1)
(--seed). With --loss mse (the default) the fit minimises the sum of squared residuals by
Levenberg-Marquardt with tapegrad's exact Jacobian (SciPy: {FIT_EXTRA}) and reports each
parameter's standard error and their covariance, s^2 (J^T J)^-1 with s^2 = SSR / (rows - parameters),
as scipy.optimize.curve_fit does. --loss mae is fitted by the same method reweighted round by round
(1/|residual|). --optimizer adam|sgd takes full-batch gradient steps instead.

A fit stops when the relative change of the loss and of the parameters falls below --tol. If it
reaches its iteration limit first it says so on stderr with the last change, and exits with status 3
unless --max-epochs was given. A nan or inf in a column the model uses is an error naming its line and
column (or, with --dropna, its row is dropped and counted).

Exit status: 0 fitted, 1 failed (diverged, or the plot could not be drawn), 2 bad input,
3 not converged.
"""


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "fit",
        help="fit a model's parameters to CSV data (with standard errors)",
        description=(
            "Fit the parameters of a model expression to the columns of a CSV file: least squares by "
            "Levenberg-Marquardt with tapegrad's exact Jacobian (default), or by gradient descent."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("data", metavar="DATA.CSV", help="CSV file with a header row ('-' reads standard input)")
    p.add_argument("--model", required=True, help='the model, e.g. "m*x + c" or "y = m*x + c"')
    p.add_argument("--target", help="the column the model predicts (default: from 'y = ...', or the one unused column)")
    p.add_argument(
        "--params", metavar="A,B,...",
        help="the model's parameters, comma-separated; every other name in the model must be a column "
             "(default: the names that are not columns, refusing a likely typo)",
    )
    p.add_argument(
        "--loss", choices=("mse", "mae"), default="mse",
        help="mean squared error (least squares, the default) or mean absolute error (least absolute deviations: "
             "robust to outliers; fitted by iteratively reweighted least squares, or by adam/sgd)",
    )
    p.add_argument(
        "--optimizer", choices=tuple(METHOD_NAMES), default=None,
        help="lm: Levenberg-Marquardt (the default), trf: trust-region reflective (both SciPy, with the exact "
             "Jacobian); adam, sgd: full-batch gradient descent",
    )
    p.add_argument(
        "--lr", type=float, default=None, help="learning rate of adam/sgd (default 0.1 for adam, 0.01 for sgd)"
    )
    p.add_argument("--momentum", type=float, default=0.0, help="SGD momentum (default 0)")
    p.add_argument(
        "--max-epochs", "--epochs", dest="max_epochs", type=int, default=None, metavar="N",
        help="iteration limit: gradient steps for adam/sgd (default 10000), function evaluations for lm/trf "
             "(default 1000); when given, reaching it is a note on stderr rather than exit status 3",
    )
    p.add_argument(
        "--tol", type=float, default=DEFAULT_TOL,
        help=f"convergence (default {DEFAULT_TOL:g}): adam/sgd stop when the relative change of the loss and of "
             f"the parameters per step are both below it; lm/trf use it as SciPy's ftol, xtol and gtol",
    )
    p.add_argument("--init", nargs="+", metavar="NAME=VALUE", default=[], help="starting values of parameters")
    p.add_argument("--seed", type=int, default=0, help="seed of the random starting values (default 0)")
    p.add_argument(
        "--dropna", action="store_true",
        help="drop rows with an empty, nan or inf value in a column the model uses (default: that is an error)",
    )
    p.add_argument(
        "--plot", metavar="FILE",
        help="draw the data, the fit and the loss curve (.png, .svg, .pdf); checked writable before fitting",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    return p


# ---- which names are what --------------------------------------------------------------------------
def split_model(text: str) -> tuple[str | None, str]:
    """``"y = m*x + c"`` -> ``("y", "m*x + c")``; ``"m*x + c"`` -> ``(None, "m*x + c")``."""
    m = _ASSIGNMENT.match(text)
    if m:
        return m.group(1), m.group(2).strip()
    return None, text


def classify(expr: Expression, data: Table, lhs: str | None, args: argparse.Namespace) -> tuple[str, list, list]:
    """(target, data columns the model uses, parameters), refusing what looks like a typo."""
    columns = list(data.columns)
    target = args.target or lhs
    if lhs is not None and args.target is not None and lhs != args.target:
        raise UsageError(f"the model predicts {lhs} but --target says {args.target}")
    explicit = None
    if args.params is not None:
        explicit = [n for n in re.split(r"[,\s]+", args.params.strip()) if n]
        if not explicit:
            raise UsageError("--params expects names such as a,b")
        stray = [n for n in explicit if n not in expr.variables]
        if stray:
            raise UsageError(f"--params {', '.join(stray)}: not in the model (its names: {', '.join(expr.variables)})")
        params = [v for v in expr.variables if v in explicit]
        used = [v for v in expr.variables if v not in explicit]
        unknown = [v for v in used if v not in data.columns]
        if unknown:
            raise UsageError(
                f"the model uses {', '.join(unknown)}, which {'is' if len(unknown) == 1 else 'are'} neither a column "
                f"of {data.source} (columns: {', '.join(columns)}) nor in --params"
            )
    else:
        used = [v for v in expr.variables if v in data.columns]
        params = [v for v in expr.variables if v not in data.columns]
    if target is None:
        unused = [c for c in columns if c not in used]
        if len(unused) != 1:
            raise UsageError(
                "cannot tell which column is the target: "
                + (f"the model does not use {', '.join(unused)}" if unused else "the model uses every column")
                + "; write the model as 'y = ...' or give --target"
            )
        target = unused[0]
    if target not in data.columns:
        raise UsageError(f"the target {target!r} is not a column of {data.source} (columns: {', '.join(columns)})")
    if target in used:
        raise UsageError(f"the model uses the target column {target!r} itself")
    if not params:
        raise UsageError(f"the model has no parameters to fit: {', '.join(expr.variables) or 'it'} are all columns")
    if explicit is None:
        unused = [c for c in columns if c != target and c not in used]
        if unused:
            raise UsageError(_typo_message(unused, params, data.source))
    return target, used, params


def _typo_message(unused: list[str], params: list[str], source: str) -> str:
    """The column the model does not use and the parameter most like it: probably one misspelled."""
    pairs = [(difflib.SequenceMatcher(None, p.lower(), c.lower()).ratio(), c, p) for c in unused for p in params]
    score, column, param = max(pairs, key=lambda t: t[0])
    several = len(params) > 1
    text = (f"the column{'s' if len(unused) > 1 else ''} {', '.join(repr(c) for c in unused)} of {source} "
            f"{'are' if len(unused) > 1 else 'is'} not used by the model, which takes {', '.join(params)} as "
            f"parameter{'s' if several else ''} because no column has {'those names' if several else 'that name'}")
    text += f"; did you mean {column!r} for {param!r}?" if score >= 0.5 else "."
    return text + (f" If {'they are all parameters' if several else 'it is a parameter'}, say so with "
                   f"--params {','.join(params)}")


# ---- the command -----------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    """The fit verb. Floating-point events raise no warning: a nan or inf is reported where it arose."""
    with np.errstate(all="ignore"):
        return _run(args)


@dataclass
class Settings:
    """The checked options of a run: the method, its iteration limit, and the learning rate if any."""

    kind: str
    least_squares: bool  # lm or trf (for --loss mae: iteratively reweighted)
    max_epochs: int
    explicit_max: bool
    lr: float | None


def check_options(args: argparse.Namespace) -> Settings:
    """The options that need no data, checked before anything is read."""
    kind = args.optimizer or "lm"
    least_squares = kind in ("lm", "trf")
    explicit_max = args.max_epochs is not None
    max_epochs = args.max_epochs if explicit_max else DEFAULT_MAX_EPOCHS[kind]
    if max_epochs < 1 or max_epochs > MAX_EPOCHS:
        raise UsageError(f"--max-epochs must be between 1 and {MAX_EPOCHS}, got {max_epochs}")
    eps = float(np.finfo(np.float64).eps)
    if not (eps <= args.tol < 1):
        raise UsageError(f"--tol must be at least {eps:.3g} (float64's resolution) and below 1, got {args.tol}")
    lr = None
    if not least_squares:
        lr = args.lr if args.lr is not None else (0.1 if kind == "adam" else 0.01)
        if not (lr > 0 and np.isfinite(lr)):
            raise UsageError(f"--lr must be a positive number, got {lr}")
        if kind == "sgd" and not 0 <= args.momentum <= 1:
            raise UsageError(f"--momentum must be in [0, 1], got {args.momentum}")
    elif args.lr is not None:
        raise UsageError(f"--lr is for gradient descent (--optimizer adam or sgd); {kind} needs no learning rate")
    if least_squares:
        require_module("scipy", "fit", "the default fit (Levenberg-Marquardt)",
                       "or fit by gradient descent with --optimizer adam")
    return Settings(kind, least_squares, max_epochs, explicit_max, lr)


def _run(args: argparse.Namespace) -> int:
    lhs, body = split_model(args.model)
    expr = parse_expression(body, what="model")
    settings = check_options(args)
    kind, least_squares, max_epochs, explicit_max, lr = (
        settings.kind, settings.least_squares, settings.max_epochs, settings.explicit_max, settings.lr)
    if args.plot:
        _check_plot_file(args.plot)
    init = parse_assignments(args.init, "--init")

    data = load_data(args)
    target, used, params = classify(expr, data, lhs, args)
    unknown = [n for n in init if n not in params]
    if unknown:
        raise UsageError(f"--init {unknown[0]}: not a parameter of the model (parameters: {', '.join(params)})")
    ignored = [c for c in data.columns if c != target and c not in used]
    columns, dropped = select_rows(data, [*used, target], args.dropna)
    if dropped:
        shown = ", ".join(map(str, dropped[:10])) + (", ..." if len(dropped) > 10 else "")
        note(PROG, f"dropped {plural(len(dropped), 'row')} of {data.rows} with a missing or non-finite value "
                   f"(--dropna): line{'s' if len(dropped) > 1 else ''} {shown}")
    y = columns.pop(target)
    n, p = y.size, len(params)
    if least_squares and n < p:
        raise UsageError(f"{plural(n, 'row')} cannot determine {plural(p, 'parameter')}: least squares needs at "
                         "least as many rows as parameters")

    rng = np.random.default_rng(args.seed)
    x0 = np.array([init[name] if name in init else float(rng.uniform(0.0, 1.0)) for name in params])
    problem = Problem(expr, params, columns, y)
    r0 = problem.residual_np(x0)
    if not np.all(np.isfinite(r0)):
        where = problem.where_nonfinite(x0)
        start = ", ".join(f"{k} = {fmt(v, 6)}" for k, v in zip(params, x0))
        raise UsageError(
            f"the model is not finite at the starting values ({start})" + (f": {where}" if where else "")
            + "; give starting values inside its domain with --init"
        )

    if least_squares and args.loss == "mae":
        outcome = fit_least_absolute(problem, x0, kind, args.tol, max_epochs)
    elif least_squares:
        outcome = fit_least_squares(problem, x0, kind, args.tol, max_epochs)
    else:
        outcome = fit_gradient(problem, x0, kind, lr, args.momentum, args.loss, args.tol, max_epochs)
    if outcome.diverged_at is not None:
        print(f"{PROG}: failed: {_divergence_message(problem, outcome, x0, kind, lr, args.loss)}", file=sys.stderr)
        return 1
    theta = outcome.theta
    residual = problem.residual_np(theta)
    final = loss_of(residual, args.loss)
    if not np.isfinite(final):
        where = problem.where_nonfinite(theta)
        print(f"{PROG}: failed: the fit ended where the model is not finite" + (f": {where}" if where else ""),
              file=sys.stderr)
        return 1
    cov = None
    undetermined, rank = np.zeros(p, dtype=bool), p
    if args.loss == "mse":
        cov, undetermined, rank = covariance(problem.jacobian_np(theta), residual)
    fitted = dict(zip(params, theta.tolist()))
    errors = dict(zip(params, np.sqrt(np.diag(cov)).tolist())) if cov is not None else None

    status = 0
    if not outcome.converged:
        status = 0 if explicit_max else EXIT_NOT_CONVERGED
    if args.json:
        step = max(1, len(outcome.history) // 100)
        print_json({
            "model": args.model, "target": target, "data_columns": used, "parameter_names": params,
            "ignored_columns": ignored,
            "rows": n, "dropped_rows": len(dropped), "parameters": fitted, "standard_errors": errors,
            "covariance": cov, "loss": final, "loss_name": args.loss,
            "residual_sum_of_squares": float(residual @ residual), "degrees_of_freedom": n - p,
            "optimizer": kind, "method": method_name(kind, args.loss), "learning_rate": lr,
            "converged": outcome.converged,
            "stop_reason": outcome.reason, "epochs": outcome.iterations,
            "evaluations": outcome.evaluations or None, "max_epochs": max_epochs, "tol": args.tol,
            "history": {"epochs": list(range(0, len(outcome.history), step)), "loss": outcome.history[::step]},
            "plot": args.plot,
        })
    else:
        print(_report(args, expr, target, used, ignored, params, n, len(dropped), kind, lr, outcome, fitted, errors,
                      cov, residual, final))
    sys.stdout.flush()
    if undetermined.any():
        note(PROG, _undetermined_note(params, undetermined, n, rank))
    if not outcome.converged:
        _not_converged(outcome, kind, max_epochs, explicit_max, args.tol)
    if args.plot:
        try:
            _draw(expr, args.model, columns, y, used, target, problem, theta, outcome.history, kind, args.loss,
                  args.plot)
        except Exception as err:  # the result is printed already; say why the figure is missing
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            print(f"{PROG}: failed: could not draw {args.plot}: {first}", file=sys.stderr)
            return 1
        if not args.json:
            print(f"wrote {args.plot}")
    return status


def _undetermined_note(params: list[str], undetermined: np.ndarray, n: int, rank: int) -> str:
    """Which standard errors are infinite, and why."""
    p = len(params)
    names = [name for name, u in zip(params, undetermined) if u]
    what = (f"the standard error of {names[0]} is" if len(names) == 1 else
            f"the standard errors of {', '.join(names)} are")
    why = (f"{plural(n, 'row')} for {plural(p, 'parameter')}" if n <= p else
           f"the Jacobian at the solution has rank {rank} for {plural(p, 'parameter')}, so the data do not "
           f"determine {names[0] if len(names) == 1 else ', '.join(names) + ' separately'}")
    return f"{what} infinite: {why}"


def method_name(kind: str, loss: str) -> str:
    """How the fit is computed, in words."""
    if loss == "mae" and kind in ("lm", "trf"):
        return "iteratively reweighted " + METHOD_NAMES[kind]
    return METHOD_NAMES[kind]


def _report(args: argparse.Namespace, expr: Expression, target: str, used: list, ignored: list, params: list, n: int,
            dropped: int, kind: str, lr: float | None, outcome: Outcome, fitted: dict, errors: dict | None,
            cov: np.ndarray | None, residual: np.ndarray, final: float) -> str:
    how = method_name(kind, args.loss) + (f", learning rate {lr:g}" if lr is not None else "")
    unit = "iteration" if kind in ("lm", "trf") else "epoch"
    done = plural(outcome.iterations, unit)
    if kind in ("lm", "trf"):
        done += f" ({plural(outcome.evaluations, 'function evaluation')})"
    state = f"converged after {done}" if outcome.converged else f"NOT converged after {done}"
    lines = [
        f"fitted {target} = {expr.text} to {plural(n, 'row')}"
        + (f" ({dropped} dropped)" if dropped else "") + f" by {how}: {state}",
        f"  parameters    {', '.join(params)}",
        f"  data columns  {', '.join(used) if used else '(none)'}; target {target}"
        + (f"; not used: {', '.join(ignored)}" if ignored else ""),
        "",
    ]
    width = max(len(name) for name in fitted)
    values = {name: fmt(value, 10) for name, value in fitted.items()}
    vwidth = max(len(v) for v in values.values())
    for name in fitted:
        line = f"  {name.ljust(width)} = {values[name].rjust(vwidth)}"
        lines.append(line + (f" ± {errors[name]:.3g}" if errors is not None else ""))
    lines.append("")
    lines.append(f"final loss ({args.loss}) = {final:.6g}")
    if errors is not None:
        ssr = float(residual @ residual)
        lines.append(f"residual sum of squares = {ssr:.6g} with {n - len(params)} degrees of freedom "
                     f"(s = {np.sqrt(ssr / (n - len(params))) if n > len(params) else float('inf'):.4g})")
        if len(params) > 1 and cov is not None and np.all(np.isfinite(cov)):
            lines += ["", "covariance"]
            grid = [[""] + params] + [[a] + [f"{cov[i, j]:.4g}" for j in range(len(params))]
                                      for i, a in enumerate(params)]
            lines.append(table(grid, right=set(range(1, len(params) + 1)), indent="  "))
    else:
        lines.append("standard errors: only for least squares (--loss mse)")
    return "\n".join(lines)


def _not_converged(outcome: Outcome, kind: str, max_epochs: int, explicit: bool, tol: float) -> None:
    unit = "function evaluations" if kind in ("lm", "trf") else "epochs"
    change = f"the last relative change of the loss was {outcome.loss_change:.2g}"
    if not np.isnan(outcome.param_change):
        change += f", of the parameters {outcome.param_change:.2g}"
    text = f"did not converge within {plural(max_epochs, unit[:-1], unit)} (--tol {tol:g}): {change}"
    if explicit:
        note(PROG, text + "; the result above is where it stopped (--max-epochs)")
        return
    advice = ("raise --max-epochs, or give starting values closer to the answer with --init"
              if kind in ("lm", "trf") else
              "the default method (drop --optimizer) converges in a few iterations; or raise "
              "--max-epochs or --lr")
    print(f"{PROG}: error: {text}; {advice}. The result above is not converged (exit status 3).", file=sys.stderr)


def _divergence_message(problem: Problem, outcome: Outcome, x0: np.ndarray, kind: str, lr: float | None,
                        loss: str) -> str:
    text = f"the loss became {outcome.history[-1]} at epoch {outcome.diverged_at} ({kind}, learning rate {lr:g})"
    where = problem.where_nonfinite(outcome.theta)
    if where:
        text += f": {where}"
    advice = []
    advice.append("the default least-squares method (drop --optimizer) needs no learning rate")
    stable = None
    if kind == "sgd" and loss == "mse":
        J = problem.jacobian_np(x0)
        curvature = float(np.linalg.eigvalsh(2.0 / problem.y.size * (J.T @ J))[-1])
        if curvature > 0 and np.isfinite(curvature):
            stable = 1.0 / curvature
    if stable is not None:
        advice.append(f"lower the learning rate: --lr {stable:.2g} is stable at the starting values")
    else:
        advice.append(f"lower the learning rate (--lr {lr / 10:g})")
    largest = {n: float(np.max(np.abs(v))) for n, v in problem.data.items() if v.size}
    spread = [n for n, v in largest.items() if v > 100]
    if spread:
        advice.append(f"or rescale {', '.join(spread)} (values up to {max(largest[n] for n in spread):g})")
    return text + "; what would work: " + "; ".join(advice)


def _check_plot_file(path: str) -> None:
    """Fail before fitting when the figure could not be written: a bad suffix, a missing folder, no permission."""
    suffix = path.rsplit(".", 1)[-1].lower() if "." in os.path.basename(path) else ""
    if suffix not in ("png", "svg", "pdf", "jpg", "jpeg"):
        raise UsageError(f"--plot {path}: the file name must end in .png, .svg, .pdf or .jpg")
    require_module("matplotlib", "plot", "--plot")
    existed = os.path.exists(path)
    if os.path.isdir(path):
        raise UsageError(f"--plot {path}: is a folder")
    try:
        with open(path, "ab"):
            pass
    except OSError as err:
        raise UsageError(f"--plot {path}: cannot write there: {err.strerror or err}") from None
    if not existed:
        os.remove(path)


def _draw(expr: Expression, model: str, columns: dict, y: np.ndarray, used: list, target: str, problem: Problem,
          theta: np.ndarray, history: list, kind: str, loss: str, path: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4.2), dpi=100)
    FigureCanvasAgg(fig)
    ax, ax_loss = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    params = dict(zip(problem.params, theta))
    if len(used) == 1:
        x = columns[used[0]]
        grid = np.linspace(float(x.min()), float(x.max()), 200)
        env = {**params, used[0]: tg.constant(grid, dtype=tg.float64)}
        curve = np.asarray(expr(env)._value) * np.ones_like(grid)
        ax.scatter(x, y, label="data", color="#2b6cb0", zorder=3)
        ax.plot(grid, curve, label="fit", color="#c05621")
        ax.set_xlabel(used[0])
        ax.set_ylabel(target)
    else:
        pred = problem.residual_np(theta) + y
        lo, hi = float(min(y.min(), pred.min())), float(max(y.max(), pred.max()))
        ax.scatter(y, pred, label="data", color="#2b6cb0", zorder=3)
        ax.plot([lo, hi], [lo, hi], label="perfect fit", color="#999999", linestyle="--")
        ax.set_xlabel(f"{target} (data)")
        ax.set_ylabel(f"{target} (model)")
    shown = ", ".join(f"{n} = {v:.4g}" for n, v in params.items())
    ax.set_title(f"{model}\n{shown}", fontsize=10)
    ax.legend()
    ax.grid(True, alpha=0.3)
    ax_loss.plot(np.arange(1, len(history) + 1), history, color="#2f855a")
    if all(h > 0 for h in history):
        ax_loss.set_yscale("log")
    steps = "epoch" if kind not in ("lm", "trf") else "reweighting round" if loss == "mae" else "function evaluation"
    ax_loss.set_xlabel(steps)
    ax_loss.set_ylabel("mean squared error" if loss == "mse" else "mean absolute error")
    ax_loss.set_title("loss during the fit", fontsize=10)
    ax_loss.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
