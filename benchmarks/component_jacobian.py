"""The Jacobian of a vector function written component by component (indexing and tg.stack).

    python benchmarks/component_jacobian.py [--n 50]

A common shape of user code (an ODE right-hand side, a residual vector): f(v)[i] = v[i] * v[i+1] +
sin(v[i]), built with ``v[i]`` and ``tg.stack``. Both modes of ``tg.jacobian`` take one batched walk
through getitem and stack; the result is checked against the closed form first. One thread.
"""

from __future__ import annotations

import argparse
import os
import sys
import timeit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from harness import pin_environment  # noqa: E402

pin_environment()

import numpy as np  # noqa: E402

import tapegrad as tg  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=50, help="number of components")
    n = parser.parse_args().n
    x = tg.constant(np.linspace(0.1, 1.0, n))

    def f(v: tg.Tensor) -> tg.Tensor:
        return tg.stack([v[i] * v[(i + 1) % n] + tg.sin(v[i]) for i in range(n)])

    xv = x.numpy()
    expected = np.diag(xv[(np.arange(n) + 1) % n] + np.cos(xv))
    expected[np.arange(n), (np.arange(n) + 1) % n] += xv
    for mode in ("reverse", "forward"):
        jac = tg.jacobian(f, mode=mode)
        np.testing.assert_allclose(jac(x).numpy(), expected, rtol=1e-12)
        seconds = min(timeit.repeat(lambda jac=jac: jac(x), number=10, repeat=5)) / 10
        print(f"{mode:8s} Jacobian of {n} components: {seconds * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
