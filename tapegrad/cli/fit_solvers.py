"""The fitting behind ``tapegrad fit``: residuals with their exact Jacobian, Levenberg-Marquardt or
trust-region (SciPy) and gradient descent with a convergence test, and curve_fit's covariance."""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

import tapegrad as tg
from tapegrad.cli._common import UsageError, plural, require_module
from tapegrad.cli.expression import Expression, locate_nonfinite

try:  # another module of the package; imported lazily-tolerant so a missing one gives a clear message
    from tapegrad import optimizers as _optimizers
except ImportError:  # pragma: no cover - optimizers ship with tapegrad
    _optimizers = None


class Problem:
    """Residuals r(theta) = model(theta, data) - target, their exact Jacobian, and the losses."""

    def __init__(self, expr: Expression, params: list[str], data: dict[str, np.ndarray], y: np.ndarray) -> None:
        self.expr, self.params, self.y = expr, params, y
        self.data = data
        self._consts = {n: tg.constant(v, dtype=tg.float64) for n, v in data.items()}
        self._y = tg.constant(y, dtype=tg.float64)
        self._zeros = tg.zeros_like(self._y)

    def env(self, theta: Any) -> dict[str, Any]:
        return {**self._consts, **{p: theta[i] for i, p in enumerate(self.params)}}

    def residual(self, theta: Any) -> Any:
        return self.expr(self.env(theta)) - self._y + self._zeros  # one residual per row, always

    def residual_np(self, theta: np.ndarray) -> np.ndarray:
        return np.asarray(self.residual(tg.constant(theta, dtype=tg.float64))._value, dtype=np.float64)

    def jacobian_np(self, theta: np.ndarray) -> np.ndarray:
        """d residual / d theta, shape (rows, parameters): exact, by tapegrad (forward mode for few parameters)."""
        J = tg.jacobian(self.residual)(tg.constant(theta, dtype=tg.float64))
        return np.asarray(J._value if isinstance(J, tg.Tensor) else J, dtype=np.float64).reshape(self.y.size, -1)

    def where_nonfinite(self, theta: np.ndarray) -> str | None:
        env = {**self.data, **dict(zip(self.params, theta))}
        where = locate_nonfinite(self.expr, env, label=lambda i: f"data row {i[0] + 1}" if i else "")
        return where


def loss_of(residual: np.ndarray, loss: str) -> float:
    return float(np.mean(residual * residual) if loss == "mse" else np.mean(np.abs(residual)))


@dataclass
class Outcome:
    theta: np.ndarray
    converged: bool
    iterations: int
    history: list[float]
    reason: str  # why it stopped
    loss_change: float = float("nan")  # the last relative change of the loss
    param_change: float = float("nan")  # the last relative change of the parameters
    diverged_at: int | None = None
    evaluations: int = 0  # of the residuals (lm/trf): what --max-epochs counts there


def fit_least_squares(problem: Problem, x0: np.ndarray, method: str, tol: float, max_nfev: int) -> Outcome:
    """scipy.optimize.least_squares (lm or trf) with the exact Jacobian; stops on ftol/xtol/gtol = tol."""
    optimize = _scipy_optimize()
    history: list[float] = []
    best: list[float] = []

    def fun(theta: np.ndarray) -> np.ndarray:
        r = problem.residual_np(theta)
        if not np.all(np.isfinite(r)):  # a trial step outside the model's domain: make it look bad
            r = np.where(np.isfinite(r), r, 1e100)
        value = float(np.mean(r * r))
        history.append(value)
        if not best or value < best[-1]:
            best.append(value)
        return r

    res = optimize.least_squares(fun, x0, jac=problem.jacobian_np, method=method, ftol=tol, xtol=tol, gtol=tol,
                                 max_nfev=max_nfev)
    change = abs(best[-1] - best[-2]) / max(abs(best[-2]), 1e-300) if len(best) > 1 else 0.0
    return Outcome(np.asarray(res.x, dtype=np.float64), bool(res.status > 0), int(res.njev or res.nfev),
                   history, str(res.message), loss_change=change, evaluations=int(res.nfev))


def fit_least_absolute(problem: Problem, x0: np.ndarray, method: str, tol: float, max_nfev: int) -> Outcome:
    """Least absolute deviations (--loss mae) by iteratively reweighted least squares: each round
    minimises sum(w_i r_i^2) with w_i = 1/|r_i| from the round before (lm or trf with the exact
    Jacobian, scaled), until the relative change of the mean absolute error and of the parameters is
    below tol. ``max_nfev`` bounds the residual evaluations of all rounds together."""
    optimize = _scipy_optimize()
    theta = np.array(x0, dtype=np.float64)
    r = problem.residual_np(theta)
    value = float(np.mean(np.abs(r)))
    history, evaluations, rounds = [value], 1, 0
    d_loss = d_theta = float("nan")
    while value > 0 and evaluations < max_nfev:
        floor = 1e-10 * max(float(np.max(np.abs(r))), 1e-300)  # a zero residual must not get an infinite weight
        scale = 1.0 / np.sqrt(np.maximum(np.abs(r), floor))

        def fun(th: np.ndarray, scale: np.ndarray = scale) -> np.ndarray:
            out = problem.residual_np(th)
            return np.where(np.isfinite(out), out, 1e100) * scale

        def jac(th: np.ndarray, scale: np.ndarray = scale) -> np.ndarray:
            return problem.jacobian_np(th) * scale[:, None]

        res = optimize.least_squares(fun, theta, jac=jac, method=method, ftol=tol, xtol=tol, gtol=tol,
                                     max_nfev=max_nfev - evaluations)
        evaluations += int(res.nfev)
        rounds += 1
        new = np.asarray(res.x, dtype=np.float64)
        r = problem.residual_np(new)
        new_value = float(np.mean(np.abs(r)))
        history.append(new_value)
        d_loss = abs(new_value - value) / max(value, 1e-300)
        d_theta = float(np.linalg.norm(new - theta) / (tol + np.linalg.norm(new)))
        theta, value = new, new_value
        if d_loss <= tol and d_theta <= tol:
            return Outcome(theta, True, rounds, history, "the loss and the parameters stopped changing", d_loss,
                           d_theta, evaluations=evaluations)
    if value == 0:
        return Outcome(theta, True, rounds, history, "the model fits the data exactly", 0.0, 0.0,
                       evaluations=evaluations)
    return Outcome(theta, False, rounds, history, "reached the limit of residual evaluations", d_loss, d_theta,
                   evaluations=evaluations)


def _scipy_optimize() -> Any:
    require_module("scipy", "fit", "the default fit (Levenberg-Marquardt)", "or fit by gradient descent with "
                   "--optimizer adam")
    from scipy import optimize

    return optimize


def fit_gradient(problem: Problem, x0: np.ndarray, kind: str, lr: float, momentum: float, loss: str, tol: float,
                 max_epochs: int) -> Outcome:
    """Full-batch gradient steps until the relative change of the loss and the parameters is below tol."""
    theta = tg.Variable(x0.copy(), dtype=tg.float64, name="parameters")
    optimizer = _make_optimizer(kind, lr, momentum)
    history: list[float] = []
    bar = _progress(max_epochs)
    previous = None
    out = None
    @tg.function
    def loss_and_gradient() -> Any:  # traced once; later epochs replay it (line by line, then generated code)
        with tg.GradientTape() as tape:
            r = problem.residual(theta)
            value_t = tg.mean(r * r) if loss == "mse" else tg.mean(tg.abs(r))
        return value_t, tape.gradient(value_t, [theta])[0]

    try:
        for epoch in range(max_epochs):
            with warnings.catch_warnings():  # a function that cannot be compiled runs eagerly: no news
                warnings.simplefilter("ignore", tg.FunctionWarning)
                value_t, grad = loss_and_gradient()
            value = float(value_t)
            current = np.array(theta.numpy(), dtype=np.float64)
            history.append(value)
            if not np.isfinite(value):
                out = Outcome(current, False, epoch, history, f"the loss became {value}", diverged_at=epoch)
                break
            if value == 0.0:
                out = Outcome(current, True, epoch, history, "the model fits the data exactly", 0.0, 0.0)
                break
            if previous is not None:
                old_value, old_theta = previous
                d_loss = abs(value - old_value) / max(abs(old_value), 1e-300)
                d_theta = float(np.linalg.norm(current - old_theta) / (tol + np.linalg.norm(current)))
                if d_loss <= tol and d_theta <= tol:
                    out = Outcome(current, True, epoch, history, "the loss and the parameters stopped changing",
                                  d_loss, d_theta)
                    break
            else:
                d_loss = d_theta = float("nan")
            if grad is None:
                raise UsageError("the loss does not depend on any parameter; check the model")
            optimizer.apply_gradients([(grad, theta)])
            previous = (value, current)
            bar.update(epoch, value)
            if hasattr(problem, "report"):  # a fit on a cluster says how it goes, a line per some epochs
                problem.report(epoch, value)
        else:
            current = np.array(theta.numpy(), dtype=np.float64)
            reason = f"reached the limit of {plural(max_epochs, 'epoch')}"
            out = Outcome(current, False, max_epochs, history, reason, d_loss, d_theta)
    finally:
        bar.close()
    return out


def covariance(J: np.ndarray, residual: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """curve_fit's covariance, pinv(J^T J) * SSR / (n - p) by the SVD of J; which parameters the data
    do not determine (a boolean per parameter); and the rank of J.

    With more rows than parameters and J of full rank this is curve_fit's pcov. When J is rank
    deficient, a parameter with a component along J's null space (a*b in ``a*b*x``) is not
    determined: its row and column are infinite, while the others keep their (estimable) variance.
    With no more rows than parameters everything is infinite, as curve_fit reports it."""
    n, p = J.shape
    _, s, vt = np.linalg.svd(J, full_matrices=False)
    threshold = np.finfo(np.float64).eps * max(J.shape) * (s[0] if s.size else 0.0)
    rank = int(np.sum(s > threshold))
    if n <= p:
        return np.full((p, p), np.inf), np.ones(p, dtype=bool), rank
    _, _, v_full = np.linalg.svd(J, full_matrices=True)
    null = v_full[rank:]  # directions in parameter space the residuals do not see
    undetermined = np.any(np.abs(null) > 1e-8, axis=0) if null.size else np.zeros(p, dtype=bool)
    cov = (vt[:rank].T / s[:rank] ** 2) @ vt[:rank] * (float(residual @ residual) / (n - p))
    cov[undetermined, :] = np.inf
    cov[:, undetermined] = np.inf
    return cov, undetermined, rank


def _make_optimizer(kind: str, lr: float, momentum: float) -> Any:
    if _optimizers is not None:
        if kind == "adam":
            return _optimizers.Adam(learning_rate=lr)
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
