"""No Python warning reaches a command-line user: numeric ones become notes saying where, others one line."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tapegrad.cli import diff as diff_module
from tapegrad.cli._common import UsageError


def test_other_warnings_become_one_line_notes(cli, monkeypatch):
    real = diff_module.reverse_mode

    def noisy(*args, **kwargs):
        warnings.warn("something the user should know\nsecond line", UserWarning, stacklevel=1)
        warnings.warn("something the user should know\nsecond line", UserWarning, stacklevel=1)  # said once
        return real(*args, **kwargs)

    monkeypatch.setattr(diff_module, "reverse_mode", noisy)
    r = cli("diff", "x**2", "--at", "x=3")
    assert r.code == 0 and "df/dx" in r.out
    assert r.err == "tapegrad diff: note: something the user should know\n"


@pytest.mark.parametrize(
    "argv, code",
    [
        (["diff", "log(x) + 1/y + sqrt(z)", "--at", "x=-1", "y=0", "z=0", "--method", "all", "--order", "2"], 0),
        (["plot", "log(x) + 1/x + arcsin(x)", "--range", "-3:3", "--order", "3", "--json"], 0),
        (["plot", "1/x + log(x)", "--range", "-3:3", "--order", "2", "-o", "{tmp}/p.png"], 0),
        (["diff", "exp(x)**x", "--at", "x=1e3", "--method", "all"], 0),
        (["graph", "log(x)*0", "--at", "x=-1"], 0),
        (["fit", "{tmp}/d.csv", "--model", "y = a*exp(b*x)", "--optimizer", "sgd", "--lr", "1"], 1),
        (["fit", "{tmp}/d.csv", "--model", "y = a*exp(b*x)", "--init", "a=1", "b=60", "--plot", "{tmp}/f.png"], 0),
        (["fit", "{tmp}/d.csv", "--model", "y = log(a*x)", "--init", "a=-1"], "UsageError"),
    ],
)
def test_numeric_events_raise_no_warning(argv, code, capsys, tmp_path):
    """The verbs themselves (without main()'s safety net) raise no warning on nan, inf and overflow."""
    pytest.importorskip("matplotlib")
    pytest.importorskip("scipy")
    from tapegrad.cli import _fix_argv, build_parser

    x = np.linspace(0.1, 5, 12)
    (tmp_path / "d.csv").write_text("x,y\n" + "".join(f"{a},{np.exp(a)}\n" for a in x))
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    parser = build_parser()
    args = parser.parse_args(_fix_argv(argv, parser))
    with warnings.catch_warnings(), np.errstate(all="warn"):
        warnings.simplefilter("error")  # any warning fails the command
        if code == "UsageError":
            with pytest.raises(UsageError):
                args._run(args)
        else:
            assert args._run(args) == code
    err = capsys.readouterr().err
    assert all(line.startswith(f"tapegrad {argv[0]}: ") for line in err.splitlines()), err
