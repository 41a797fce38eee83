"""A/B timing of tapegrad's eager hot paths across source trees (worktrees, checkouts).

    python benchmarks/ab_eager.py [--rounds 5] [--items chain,w1,w1var,w5tape,w5hess] base=/path main=/path ...

Each round runs every tree in a subprocess of its own (``PYTHONPATH`` set to the tree), trees
interleaved, and the report keeps the best CPU time (``time.process_time``) per item over all rounds:
best-of-N is what a machine shared with other work can measure. Items:

- chain: 100 x [sin, *1.01, +0.1] on a shape-(16,) float64 array, recorded, then tape.gradient (us/op)
- w1 / w1var: 3*(x1**2 + x2*x3) value and gradient, three watched constants / three tg.Variables (us)
- w5tape / w5hess: the 100x100 Hessian of sum(tanh(A @ x)**2), nested tapes / tg.hessian (ms)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any, Callable

ITEMS = ("chain", "w1", "w1var", "w5tape", "w5hess")
UNIT = {
    "chain": ("us/op", 1e6 / 300),
    "w1": ("us", 1e6),
    "w1var": ("us", 1e6),
    "w5tape": ("ms", 1e3),
    "w5hess": ("ms", 1e3),
}


def _cases(tg: Any) -> dict[str, tuple[Callable[[], Any], int]]:
    import numpy as np

    x16 = tg.constant(np.linspace(-1.0, 1.0, 16))

    def chain() -> Any:
        with tg.GradientTape() as tape:
            tape.watch(x16)
            y = x16
            for _ in range(100):
                y = tg.sin(y) * 1.01 + 0.1
        return tape.gradient(y, x16)

    xs = [tg.constant(v, dtype=tg.float64) for v in (2.0, 3.0, 4.0)]
    vs = [tg.Variable(v, dtype=tg.float64) for v in (2.0, 3.0, 4.0)]

    def w1() -> Any:
        x1, x2, x3 = xs
        with tg.GradientTape() as tape:
            tape.watch(xs)
            y = 3 * (x1**2 + x2 * x3)
        return y, tape.gradient(y, xs)

    def w1var() -> Any:
        v1, v2, v3 = vs
        with tg.GradientTape() as tape:
            y = 3 * (v1**2 + v2 * v3)
        return y, tape.gradient(y, vs)

    rng = np.random.default_rng(5)
    A = tg.constant(rng.standard_normal((100, 100)) / 10.0)
    x = tg.constant(rng.standard_normal(100))

    def f(v: Any) -> Any:
        return tg.sum(tg.tanh(A @ v) ** 2)

    def w5tape() -> Any:
        with tg.GradientTape() as outer:
            outer.watch(x)
            with tg.GradientTape() as inner:
                inner.watch(x)
                y = f(x)
            g = inner.gradient(y, x)
        return outer.jacobian(g, x)

    hess = tg.hessian(f)
    return {
        "chain": (chain, 20),
        "w1": (w1, 2000),
        "w1var": (w1var, 2000),
        "w5tape": (w5tape, 20),
        "w5hess": (lambda: hess(x), 20),
    }


def child(items: list[str], repeats: int) -> None:
    import tapegrad as tg

    cases = _cases(tg)
    best = {}
    for name in items:
        fn, n = cases[name]
        fn()
        times = []
        for _ in range(repeats):
            t0 = time.process_time()
            for _ in range(n):
                fn()
            times.append((time.process_time() - t0) / n)
        best[name] = min(times)
    print(json.dumps(best))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trees", nargs="+", help="label=path of a source tree holding tapegrad/")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per item in one process")
    parser.add_argument("--items", default=",".join(ITEMS))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    items = args.items.split(",")
    if args.child:
        child(items, args.repeats)
        return
    trees = [t.split("=", 1) for t in args.trees]
    best: dict = {label: {} for label, _ in trees}
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    for _ in range(args.rounds):
        for label, path in trees:
            cmd = [
                sys.executable,
                os.path.abspath(__file__),
                "--child",
                "--items",
                ",".join(items),
                "--repeats",
                str(args.repeats),
                "x",
            ]
            out = subprocess.run(
                cmd,
                env={**env, "PYTHONPATH": os.path.abspath(path)},
                cwd=path,
                capture_output=True,
                text=True,
                check=True,
            )
            for name, t in json.loads(out.stdout.strip().splitlines()[-1]).items():
                best[label][name] = min(best[label].get(name, float("inf")), t)
    first = trees[0][0]
    print(f"{'item':8s}" + "".join(f"{label:>16s}" for label, _ in trees))
    for name in items:
        unit, scale = UNIT[name]
        row = f"{name:8s}"
        for label, _ in trees:
            t = best[label][name]
            row += f"{t * scale:10.2f}" + (f" {t / best[first][name]:4.2f}x" if label != first else " " * 6)
        print(row + f"  {unit}")


if __name__ == "__main__":
    main()
