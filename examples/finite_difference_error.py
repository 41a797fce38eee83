"""How the error of a finite-difference derivative depends on the step size.

df/dx1 of f(x1, x2, x3) = 3 * (x1**2 + x2 * x3) at (2, 3, 4) is exactly 12. A forward difference
(f(x1 + h) - f(x1)) / h has a truncation error f''/2 * h = 3h and a rounding error ~ eps |f| / h,
so its error is smallest near h ~ sqrt(eps); a central difference (f(x1 + h) - f(x1 - h)) / 2h
(tg.numerical_gradient) has truncation error h^2 f'''/6 -- zero here, f is quadratic in x1 -- so only
rounding is left. Automatic differentiation has neither error.

The step is relative, h = epsilon * x1, as in the seed article ("epsilon in % of x1"). Writes a
log-log plot (needs matplotlib) and prints the table. Written from seed 001's prose, lines 45-61
(it has no code block):

    python examples/finite_difference_error.py -o fd_error.png
"""

from __future__ import annotations

import argparse

import numpy as np

import tapegrad as tg

POINT = (2.0, 3.0, 4.0)
EXACT = 12.0


def f(x1, x2, x3):
    return 3 * (x1**2 + x2 * x3)


def errors(epsilons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """|forward difference - 12| and |central difference - 12| for each relative step."""
    x1, x2, x3 = (np.float64(v) for v in POINT)
    forward, central = [], []
    for eps in epsilons:
        h = eps * x1
        forward.append(abs((f(x1 + h, x2, x3) - f(x1, x2, x3)) / h - EXACT))
        # tg.numerical_gradient's step is eps * max(1, |x|) = eps * x1 here, the same h
        central.append(abs(float(tg.numerical_gradient(f, x1, x2, x3, eps=float(eps))[0]) - EXACT))
    return np.asarray(forward), np.asarray(central)


def plot(epsilons: np.ndarray, forward: np.ndarray, central: np.ndarray, path: str) -> bool:
    """Write the log-log plot to ``path``; False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5))
    positive = lambda e: np.where(e > 0, e, np.nan)  # exact hits (error 0) have no place on a log axis
    ax.loglog(epsilons, positive(forward), "o-", ms=3, label="forward difference")
    ax.loglog(epsilons, positive(central), "s-", ms=3, label="central difference (tg.numerical_gradient)")
    ax.loglog(epsilons, 3 * epsilons * POINT[0], "k:", lw=1, label="truncation error of forward, 3h")
    ax.axvline(np.sqrt(np.finfo(np.float64).eps), color="gray", lw=0.8, ls="--")
    ax.set_xlabel("relative step epsilon (h = epsilon * x1)")
    ax.set_ylabel("|approximation - 12|")
    ax.set_title("Finite-difference error of df/dx1 at (2, 3, 4)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Finite-difference error of df/dx1 against the step size.")
    parser.add_argument("-o", "--output", default="fd_error.png", help="PNG file to write (default fd_error.png)")
    args = parser.parse_args(argv)

    epsilons = np.logspace(-16, 0, 65)
    forward, central = errors(epsilons)
    print("df/dx1 of f = 3*(x1**2 + x2*x3) at (2, 3, 4); exact value 12")
    print(f"{'epsilon':>10}{'forward error':>16}{'central error':>16}")
    for eps, fe, ce in list(zip(epsilons, forward, central))[::4]:
        print(f"{eps:>10.0e}{fe:>16.3e}{ce:>16.3e}")
    best_f, best_c = int(np.argmin(forward)), int(np.argmin(np.where(central > 0, central, np.inf)))
    print(f"smallest forward error {forward[best_f]:.1e} at epsilon = {epsilons[best_f]:.0e} "
          f"(theory: about sqrt(machine eps) = {np.sqrt(np.finfo(np.float64).eps):.0e})")
    print(f"smallest nonzero central error {central[best_c]:.1e} at epsilon = {epsilons[best_c]:.0e} "
          "(f is quadratic in x1: no truncation error, only rounding)")
    if plot(epsilons, forward, central, args.output):
        print(f"plot written to {args.output}")
    else:
        print("matplotlib is not installed (pip install matplotlib): table only, no plot written")


if __name__ == "__main__":
    main()
