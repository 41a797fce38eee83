"""`tapegrad fit`: converges (or says it did not), matches curve_fit, refuses typos and bad data."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from tapegrad.cli import fit as fit_module
from tests.cli.conftest import run_module


def _values(out: str) -> dict[str, float]:
    """The fitted parameters of the text report: lines '  name = value ± error'."""
    return {k: float(v) for k, v in re.findall(r"^  (\w+) = +(\S+)", out, re.M)}


def _csv(path: Path, header: str, rows) -> Path:
    path.write_text(header + "\n" + "".join(",".join(repr(float(v)) for v in row) + "\n" for row in rows))
    return path


@pytest.fixture
def wide_csv(tmp_path: Path) -> Path:
    """y = 2x - 8 at x = 0, 50, ..., 1000: the case where 2000 Adam steps stopped at c = -5.5 with exit 0."""
    x = np.linspace(0, 1000, 21)
    return _csv(tmp_path / "wide.csv", "x,y", zip(x, 2 * x - 8))


@pytest.fixture
def decay_csv(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    """A nonlinear model with noise: y = 2.5 exp(-1.3 x) + 0.5 + N(0, 0.05), 50 rows."""
    rng = np.random.default_rng(7)
    x = np.linspace(0, 4, 50)
    y = 2.5 * np.exp(-1.3 * x) + 0.5 + rng.normal(0, 0.05, x.size)
    return _csv(tmp_path / "decay.csv", "x,y", zip(x, y)), x, y


# ---- convergence ---------------------------------------------------------------------------------------
def test_seed_line_is_recovered_exactly_by_default(cli, seed_csv):
    r = cli("fit", str(seed_csv), "--model", "m*x + c")
    assert r.code == 0, r.err
    assert r.err == ""  # converged: nothing to say on stderr
    assert r.out.startswith("fitted y = m*x + c to 10 rows by Levenberg-Marquardt with the exact Jacobian: "
                            "converged after ")
    assert "  parameters    m, c\n  data columns  x; target y\n" in r.out
    values = _values(r.out)
    assert values["m"] == pytest.approx(2, abs=1e-9) and values["c"] == pytest.approx(-8, abs=1e-9)
    assert "final loss (mse) = " in r.out and "with 8 degrees of freedom" in r.out


def test_wide_range_with_the_defaults_is_right_and_says_so(cli, wide_csv):
    doc = cli("fit", str(wide_csv), "--model", "m*x + c", "--json").json()
    assert doc["converged"] is True and doc["optimizer"] == "lm"
    assert doc["parameters"]["m"] == pytest.approx(2, abs=1e-12)
    assert doc["parameters"]["c"] == pytest.approx(-8, abs=1e-9)  # was -5.46 with exit 0


def test_limit_reached_by_default_exits_3_with_the_last_change(cli, wide_csv, monkeypatch):
    monkeypatch.setitem(fit_module.DEFAULT_MAX_EPOCHS, "adam", 300)  # the default limit, made small
    r = cli("fit", str(wide_csv), "--model", "m*x + c", "--optimizer", "adam")
    assert r.code == 3
    assert "NOT converged after 300 epochs" in r.out  # the result is still printed
    assert abs(_values(r.out)["c"] + 8) > 0.5  # far from the answer, which is why it must not exit 0
    msg = r.err.strip()
    assert msg.startswith("tapegrad fit: error: did not converge within 300 epochs (--tol 1e-08): the last relative "
                          "change of the loss was ")
    change = float(re.search(r"loss was (\S+),", msg).group(1))
    assert 0 < change < 1  # the real last change, not a placeholder
    assert "drop --optimizer" in msg and "exit status 3" in msg and len(r.err.splitlines()) == 1


def test_explicit_limit_is_a_note_and_exit_0(cli, wide_csv):
    r = cli("fit", str(wide_csv), "--model", "m*x + c", "--optimizer", "adam", "--max-epochs", "300", "--json")
    assert r.code == 0
    doc = r.json()
    assert doc["converged"] is False and doc["epochs"] == 300 and doc["max_epochs"] == 300
    assert r.err.startswith("tapegrad fit: note: did not converge within 300 epochs")
    assert "the result above is where it stopped (--max-epochs)" in r.err


def test_levenberg_marquardt_limit(cli, decay_csv, monkeypatch):
    path, _, _ = decay_csv
    argv = ("fit", str(path), "--model", "y = a*exp(-b*x) + c", "--init", "a=1", "b=1", "c=1")
    r = cli(*argv, "--max-epochs", "3")
    assert r.code == 0 and "NOT converged after 2 iterations (3 function evaluations)" in r.out
    assert r.err.startswith("tapegrad fit: note: did not converge within 3 function evaluations (--tol 1e-08): "
                            "the last relative change of the loss was ")
    monkeypatch.setitem(fit_module.DEFAULT_MAX_EPOCHS, "lm", 3)
    r = cli(*argv)
    assert r.code == 3 and r.err.startswith("tapegrad fit: error: did not converge within 3 function evaluations")
    assert "raise --max-epochs, or give starting values closer to the answer with --init" in r.err
    monkeypatch.setitem(fit_module.DEFAULT_MAX_EPOCHS, "lm", 1000)
    doc = cli(*argv, "--json").json()
    assert doc["converged"] and doc["evaluations"] >= doc["epochs"] >= 3


def test_gradient_descent_stops_on_convergence(cli, seed_csv):
    doc = cli("fit", str(seed_csv), "--model", "m*x + c", "--optimizer", "adam", "--tol", "1e-6", "--json").json()
    assert doc["converged"] is True and doc["epochs"] < doc["max_epochs"] == 10_000
    loss = doc["history"]["loss"]
    assert doc["parameters"]["m"] == pytest.approx(2, abs=1e-3)
    assert doc["parameters"]["c"] == pytest.approx(-8, abs=1e-2)
    assert loss[-1] < loss[0] * 1e-6


def test_convergence_criterion_is_relative_change_below_tol(cli, tmp_path):
    from tapegrad.cli.expression import parse_expression
    from tapegrad.cli.fit_solvers import Problem, fit_gradient

    x = np.linspace(-1, 1, 21)
    y = 2 * x - 8 + np.random.default_rng(2).normal(0, 0.1, x.size)  # noisy: the loss has a positive minimum
    path = _csv(tmp_path / "unit.csv", "x,y", zip(x, y))
    problem = Problem(parse_expression("m*x + c"), ["m", "c"], {"x": x}, y)
    for tol in (1e-3, 1e-6):
        out = fit_gradient(problem, np.array([0.0, 0.0]), "sgd", 0.5, 0.0, "mse", tol, 10_000)
        assert out.converged and 0 < out.loss_change <= tol and out.param_change <= tol
        h = out.history
        assert out.loss_change == pytest.approx(abs(h[-1] - h[-2]) / h[-2], rel=1e-12)  # the last step's change
    loose = cli("fit", str(path), "--model", "m*x + c", "--optimizer", "sgd", "--lr", "0.5", "--tol", "1e-3",
                "--json").json()
    tight = cli("fit", str(path), "--model", "m*x + c", "--optimizer", "sgd", "--lr", "0.5", "--tol", "1e-6",
                "--json").json()
    assert loose["converged"] and tight["converged"]
    assert loose["epochs"] < tight["epochs"] < 10_000
    best = np.polyfit(x, y, 1)  # the least-squares line: the tighter tolerance gets closer to it
    assert abs(tight["parameters"]["m"] - best[0]) < abs(loose["parameters"]["m"] - best[0]) / 10
    assert tight["parameters"]["m"] == pytest.approx(best[0], abs=1e-4)


@pytest.mark.parametrize("optimizer, lr, epochs", [("adam", "0.1", "1000"), ("sgd", "0.01", "2000")])
def test_json_and_gradient_optimizers(cli, seed_csv, optimizer, lr, epochs):
    r = cli("fit", str(seed_csv), "--model", "y = m*x + c", "--optimizer", optimizer, "--lr", lr, "--epochs", epochs,
            "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["target"] == "y" and doc["data_columns"] == ["x"] and doc["parameter_names"] == ["m", "c"]
    assert doc["rows"] == 10 and doc["dropped_rows"] == 0
    assert doc["parameters"]["m"] == pytest.approx(2, abs=0.05)
    assert doc["parameters"]["c"] == pytest.approx(-8, abs=0.05)
    assert doc["loss"] < 1e-3 and doc["loss_name"] == "mse" and doc["optimizer"] == optimizer
    assert doc["learning_rate"] == float(lr)
    losses = doc["history"]["loss"]
    assert losses[0] > losses[-1]


def test_init_and_mae_by_gradient_descent(cli, seed_csv):
    r = cli("fit", str(seed_csv), "--model", "m*x + c", "--init", "m=2", "c=-8", "--loss", "mae", "--optimizer", "adam",
            "--json")
    doc = r.json()
    assert doc["history"]["loss"][0] == pytest.approx(0.0, abs=1e-12)  # starts at the answer, and stops there
    assert doc["converged"] is True and doc["epochs"] == 0
    assert doc["parameters"]["m"] == pytest.approx(2.0, abs=1e-12)
    assert doc["standard_errors"] is None and doc["covariance"] is None


def test_mae_is_least_absolute_deviations_and_ignores_an_outlier(cli, tmp_path):
    optimize = pytest.importorskip("scipy.optimize")
    rng = np.random.default_rng(5)
    x = np.linspace(0, 4, 40)
    y = 2.5 * np.exp(-1.3 * x) + 0.5 + rng.laplace(0, 0.05, x.size)
    y[10] += 5.0  # one wild point
    path = _csv(tmp_path / "d.csv", "x,y", zip(x, y))
    argv = ("fit", str(path), "--model", "y = a*exp(-b*x) + c", "--init", "a=1", "b=1", "c=1", "--json")
    doc = cli(*argv, "--loss", "mae").json()
    assert doc["converged"] is True and doc["optimizer"] == "lm"
    assert doc["method"] == "iteratively reweighted Levenberg-Marquardt with the exact Jacobian"
    mae = lambda t: np.mean(np.abs(t[0] * np.exp(-t[1] * x) + t[2] - y))
    ref = optimize.minimize(mae, [1, 1, 1], method="Nelder-Mead",
                            options={"xatol": 1e-12, "fatol": 1e-15, "maxiter": 40_000})
    values = np.array([doc["parameters"][k] for k in "abc"])
    np.testing.assert_allclose(values, ref.x, rtol=1e-5)
    assert doc["loss"] == pytest.approx(mae(values), rel=1e-12) and doc["loss"] <= ref.fun * (1 + 1e-8)
    squares = cli(*argv).json()  # least squares is pulled by the outlier; least absolute deviations is not
    assert abs(doc["parameters"]["c"] - 0.5) < 0.03 < abs(squares["parameters"]["c"] - 0.5)


# ---- second order, with standard errors as curve_fit gives them ------------------------------------------
def test_nonlinear_fit_matches_curve_fit(cli, decay_csv):
    optimize = pytest.importorskip("scipy.optimize")
    path, x, y = decay_csv
    model = lambda x, a, b, c: a * np.exp(-b * x) + c
    exact_jac = lambda x, a, b, c: np.stack([np.exp(-b * x), -a * x * np.exp(-b * x), np.ones_like(x)], axis=1)
    # curve_fit's trust-region fit with the exact Jacobian evaluates the covariance at the solution, as tapegrad does
    p_trf, cov_trf = optimize.curve_fit(model, x, y, p0=[1, 1, 1], method="trf", jac=exact_jac)
    # curve_fit's default (MINPACK lm, finite differences) takes J from its last iteration's start
    p_lm, cov_lm = optimize.curve_fit(model, x, y, p0=[1, 1, 1])
    for optimizer in ("lm", "trf"):
        doc = cli("fit", str(path), "--model", "y = a*exp(-b*x) + c", "--init", "a=1", "b=1", "c=1",
                  "--optimizer", optimizer, "--json").json()
        assert doc["converged"] is True and doc["degrees_of_freedom"] == 47
        values = np.array([doc["parameters"][k] for k in "abc"])
        errors = np.array([doc["standard_errors"][k] for k in "abc"])
        cov = np.array(doc["covariance"])
        np.testing.assert_allclose(values, p_trf, rtol=1e-8)
        np.testing.assert_allclose(errors, np.sqrt(np.diag(cov_trf)), rtol=1e-7)
        np.testing.assert_allclose(cov, cov_trf, rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(values, p_lm, rtol=1e-8)
        np.testing.assert_allclose(errors, np.sqrt(np.diag(cov_lm)), rtol=1e-5)
        assert values == pytest.approx([2.5, 1.3, 0.5], abs=3 * errors.max() + 0.05)  # near the truth
        ssr = float(np.sum((model(x, *values) - y) ** 2))
        assert doc["residual_sum_of_squares"] == pytest.approx(ssr, rel=1e-10)


def test_text_report_shows_errors_and_covariance(cli, decay_csv):
    path, _, _ = decay_csv
    r = cli("fit", str(path), "--model", "y = a*exp(-b*x) + c", "--init", "a=1", "b=1", "c=1")
    assert r.code == 0 and r.err == ""
    lines = dict(re.findall(r"^  (\w) = +\S+ ± (\S+)$", r.out, re.M))
    assert set(lines) == {"a", "b", "c"} and float(lines["b"]) == pytest.approx(0.0306, abs=1e-4)
    assert "\ncovariance\n" in r.out and "47 degrees of freedom" in r.out


def test_undetermined_parameters_get_infinite_errors(cli, tmp_path):
    rng = np.random.default_rng(3)
    x = np.linspace(0, 10, 30)
    path = _csv(tmp_path / "line.csv", "x,y", zip(x, 2 * x - 8 + rng.normal(0, 0.1, x.size)))
    r = cli("fit", str(path), "--model", "a*b*x + c", "--init", "a=1", "b=1", "c=0", "--json")
    assert r.code == 0
    doc = r.json()
    line = cli("fit", str(path), "--model", "m*x + c", "--json").json()
    assert doc["parameters"]["a"] * doc["parameters"]["b"] == pytest.approx(line["parameters"]["m"], rel=1e-9)
    errors = doc["standard_errors"]
    assert errors["a"] is None and errors["b"] is None  # inf in JSON is null: only a*b is determined
    # c still is: the same variance as in the line fit, with s^2 over n - 3 instead of n - 2 degrees of freedom
    assert errors["c"] == pytest.approx(line["standard_errors"]["c"] * np.sqrt(28 / 27), rel=1e-6)
    assert r.err == ("tapegrad fit: note: the standard errors of a, b are infinite: the Jacobian at the solution "
                     "has rank 2 for 3 parameters, so the data do not determine a, b separately\n")
    r = cli("fit", str(path), "--model", "0*b + m*x + c", "--init", "m=1", "c=0", "b=0", "--json")
    assert r.json()["standard_errors"]["b"] is None and r.json()["standard_errors"]["m"] > 0
    assert "the standard error of b is infinite" in r.err


def test_without_scipy_the_default_names_the_extra(cli, seed_csv, monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    r = cli("fit", str(seed_csv), "--model", "m*x + c")
    assert r.code == 2
    assert 'pip install "tapegrad[fit]"' in r.err and "--optimizer adam" in r.err
    doc = cli("fit", str(seed_csv), "--model", "m*x + c", "--optimizer", "adam", "--json").json()
    assert doc["converged"] is True and doc["parameters"]["m"] == pytest.approx(2, abs=1e-3)


# ---- which names are parameters ----------------------------------------------------------------------------
def test_typo_is_not_a_parameter(cli, tmp_path):
    path = _csv(tmp_path / "t.csv", "time,y", [(t, 3 * t + 1) for t in range(6)])
    r = cli("fit", str(path), "--model", "y = k*tmie + c")
    assert r.code == 2 and r.out == ""
    assert r.err == (
        f"tapegrad fit: error: the column 'time' of {path} is not used by the model, which takes k, tmie, c as "
        "parameters because no column has those names; did you mean 'time' for 'tmie'? If they are all "
        "parameters, say so with --params k,tmie,c\n"
    )
    doc = cli("fit", str(path), "--model", "y = k*time + c", "--json").json()
    assert doc["parameters"] == pytest.approx({"k": 3, "c": 1}, abs=1e-9)


def test_params_states_them(cli, tmp_path):
    rng = np.random.default_rng(1)
    a, b = rng.uniform(-1, 1, 30), rng.uniform(-1, 1, 30)
    out = 1.5 * a - 0.5 * b + 0.25
    path = _csv(tmp_path / "d.csv", "a,b,out,noise", zip(a, b, out, np.zeros(30)))
    r = cli("fit", str(path), "--model", "w1*a + w2*b + k", "--target", "out")
    assert r.code == 2 and "the column 'noise' of" in r.err and "--params w1,w2,k" in r.err
    doc = cli("fit", str(path), "--model", "w1*a + w2*b + k", "--target", "out", "--params", "w1,w2,k",
              "--json").json()
    assert doc["parameters"] == pytest.approx({"w1": 1.5, "w2": -0.5, "k": 0.25}, abs=1e-9)
    assert doc["data_columns"] == ["a", "b"] and doc["ignored_columns"] == ["noise"]
    r = cli("fit", str(path), "--model", "w1*a + w2*b + k", "--params", "w1, w2 k", "--target", "out")
    assert r.code == 0 and "  parameters    w1, w2, k\n  data columns  a, b; target out; not used: noise\n" in r.out
    r = cli("fit", str(path), "--model", "w1*a + w2*b + k")
    assert r.code == 2 and "cannot tell which column is the target" in r.err


@pytest.mark.parametrize(
    "params, message",
    [
        ("m,q", "--params q: not in the model (its names: m, x, c)"),
        ("m", "the model uses c, which is neither a column of"),
        (",", "--params expects names"),
    ],
)
def test_params_errors(cli, seed_csv, params, message):
    r = cli("fit", str(seed_csv), "--model", "y = m*x + c", "--params", params)
    assert r.code == 2 and message in r.err


# ---- bad data -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cell, shown",
    [("nan", "is nan, not a finite number"), ("inf", "is inf, not a finite number"),
     ("-inf", "is -inf, not a finite number"), ("", "is empty"), ("NA", "is NA, not a finite number")],
)
def test_non_finite_cell_is_an_error_at_read_time(cli, tmp_path, cell, shown):
    path = tmp_path / "d.csv"
    path.write_text("x,y\n1,-6\n2,-4\n\n3," + cell + "\n4,0\n")
    r = cli("fit", str(path), "--model", "m*x + c")
    assert r.code == 2 and r.out == ""
    assert r.err == (f"tapegrad fit: error: {path}, line 5 (data row 3), column 'y' {shown}: fix the data, or drop "
                     "such rows with --dropna\n")


def test_dropna_drops_and_says_how_many(cli, tmp_path):
    path = tmp_path / "d.csv"
    rows = [f"{x},{2 * x - 8}" for x in range(10)]
    rows[2], rows[7] = "2,nan", "inf,6"
    path.write_text("x,y,label\n" + "".join(f"{row},ok\n" for row in rows))
    r = cli("fit", str(path), "--model", "y = m*x + c", "--params", "m,c", "--dropna", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["rows"] == 8 and doc["dropped_rows"] == 2
    assert doc["parameters"] == pytest.approx({"m": 2, "c": -8}, abs=1e-9)
    assert r.err == ("tapegrad fit: note: dropped 2 rows of 10 with a missing or non-finite value (--dropna): "
                     "lines 4, 9\n")
    r = cli("fit", str(path), "--model", "y = m*x + c", "--params", "m,c", "--dropna")
    assert "to 8 rows (2 dropped)" in r.out


def test_text_in_a_used_column_is_an_error_even_with_dropna(cli, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x,y\n1,2\n2,oops\n3,6\n")
    r = cli("fit", str(path), "--model", "y = m*x", "--dropna")
    assert r.code == 2 and "line 3 (data row 2), column 'y': 'oops' is not a number" in r.err


def test_model_undefined_at_the_start_says_where(cli, tmp_path):
    path = _csv(tmp_path / "d.csv", "x,y", [(x, np.log(x) + 1) for x in (1, 2, 3, 4)])
    r = cli("fit", str(path), "--model", "y = log(x - s) + c", "--init", "s=2.5", "c=0")
    assert r.code == 2
    assert r.err == ("tapegrad fit: error: the model is not finite at the starting values (s = 2.5, c = 0): "
                     "log(x - s) is nan where x - s = -1.5 (data row 1); give starting values inside its domain "
                     "with --init\n")
    doc = cli("fit", str(path), "--model", "y = log(x - s) + c", "--init", "s=0.5", "c=0", "--json").json()
    assert doc["parameters"] == pytest.approx({"s": 0, "c": 1}, abs=1e-7)


def test_divergence_suggests_what_works(cli, wide_csv):
    r = cli("fit", str(wide_csv), "--model", "m*x + c", "--optimizer", "sgd", "--init", "m=0", "c=0")
    assert r.code == 1 and r.out == ""
    msg = r.err
    assert msg.startswith("tapegrad fit: failed: the loss became inf at epoch ")
    assert "the default least-squares method (drop --optimizer) needs no learning rate" in msg
    assert "or rescale x (values up to 1000)" in msg
    suggested = re.search(r"lower the learning rate: --lr (\S+) is stable at the starting values", msg).group(1)
    # the suggestion works: the same run with it does not diverge, and gets closer than the start
    doc = cli("fit", str(wide_csv), "--model", "m*x + c", "--optimizer", "sgd", "--init", "m=0", "c=0",
              "--lr", suggested, "--max-epochs", "200", "--json").json()
    assert doc["loss"] < doc["history"]["loss"][0] * 1e-4 and doc["parameters"]["m"] == pytest.approx(2, abs=0.05)


def test_small_divergence_on_the_seed_data(cli, seed_csv):
    r = cli("fit", str(seed_csv), "--model", "m*x + c", "--optimizer", "sgd", "--lr", "10", "--epochs", "500")
    assert r.code == 1 and "lower the learning rate" in r.err


def test_one_row_one_parameter_plurals(cli, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("x,y\n2,6\n")
    r = cli("fit", str(path), "--model", "y = m*x")
    assert r.code == 0
    assert r.out.startswith("fitted y = m*x to 1 row by Levenberg-Marquardt with the exact Jacobian: converged")
    assert _values(r.out)["m"] == pytest.approx(3, abs=1e-12)
    assert "the standard error of m is infinite: 1 row for 1 parameter" in r.err


# ---- the plot ------------------------------------------------------------------------------------------
def test_plot(cli, seed_csv, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "fit.png"
    r = cli("fit", str(seed_csv), "--model", "m*x + c", "--plot", str(out))
    assert r.code == 0, r.err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert r.out.endswith(f"wrote {out}\n")


def test_plot_that_cannot_be_written_fails_before_fitting(cli, seed_csv, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    called = []
    monkeypatch.setattr(fit_module, "fit_least_squares", lambda *a, **k: called.append(1))
    r = cli("fit", str(seed_csv), "--model", "m*x + c", "--plot", str(tmp_path / "missing" / "fit.png"))
    assert r.code == 2 and called == [] and r.out == ""
    assert "--plot" in r.err and "cannot write there: No such file or directory" in r.err
    r = cli("fit", str(seed_csv), "--model", "m*x + c", "--plot", str(tmp_path))
    assert r.code == 2 and called == []


def test_plot_failure_still_prints_the_result(cli, seed_csv, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")

    def broken(*args, **kwargs):
        raise RuntimeError("the renderer ran out of ink")

    monkeypatch.setattr(fit_module, "_draw", broken)
    out = tmp_path / "fit.png"
    r = cli("fit", str(seed_csv), "--model", "m*x + c", "--plot", str(out))
    assert r.code == 1
    assert _values(r.out)["c"] == pytest.approx(-8, abs=1e-9)
    assert r.err == f"tapegrad fit: failed: could not draw {out}: the renderer ran out of ink\n"
    assert not out.exists()


def test_plot_without_matplotlib(cli, seed_csv, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    r = cli("fit", str(seed_csv), "--model", "m*x + c", "--plot", str(tmp_path / "f.png"))
    assert r.code == 2 and 'pip install "tapegrad[plot]"' in r.err


# ---- the rest of the input -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "csv_text, argv, message",
    [
        ("x,y\n1,2\n", ["--model", "m*x + c", "--target", "z"], "not a column"),
        ("x,y\n1,2\n", ["--model", "y = m*x", "--target", "x"], "but --target says"),
        ("x,y\n1,2\n", ["--model", "x*2"], "no parameters"),
        ("x,y\n1,2\n", ["--model", "m*y", "--target", "y"], "target column 'y'"),
        ("x,y\n1,oops\n", ["--model", "m*x"], "line 2 (data row 1), column 'y': 'oops' is not a number"),
        ("x,y\n1,2,3\n", ["--model", "m*x"], "line 2: 3 values for 2 columns"),
        ("x,y\n", ["--model", "m*x"], "no data rows"),
        ("", ["--model", "m*x"], "empty"),
        ("x,y\n1,2\n", ["--model", "m*x", "--init", "q=1"], "not a parameter"),
        ("x,y\n1,2\n", ["--model", "m*x", "--epochs", "0"], "--max-epochs must be between 1 and"),
        ("x,y\n1,2\n", ["--model", "m*x", "--optimizer", "adam", "--lr", "-1"], "--lr"),
        ("x,y\n1,2\n", ["--model", "m*x", "--lr", "0.1"], "lm needs no learning rate"),
        ("x,y\n1,2\n", ["--model", "m*x", "--tol", "0"], "--tol must be at least"),
        ("x,y\n1,2\n", ["--model", "m*x + c"], "1 row cannot determine 2 parameters"),
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


def test_no_warning_reaches_the_user(tmp_path):
    path = _csv(tmp_path / "d.csv", "x,y", [(x, np.exp(x)) for x in np.linspace(0, 5, 12)])
    r = run_module("fit", str(path), "--model", "y = a*exp(b*x)", "--optimizer", "sgd", "--lr", "1")
    assert r.code == 1 and "Warning" not in r.err and len(r.err.splitlines()) == 1
    assert "the loss became" in r.err


def test_help_describes_the_new_options(cli):
    r = cli("fit", "--help")
    assert r.code == 0
    for flag in ("--params", "--dropna", "--tol", "--max-epochs", "--optimizer", "curve_fit", "exit status 3",
                 'pip install "tapegrad[fit]"'):
        assert flag in r.out, flag
