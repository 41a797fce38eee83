"""A/B timing of tapegrad's eager hot paths across source trees (worktrees, checkouts).

    python benchmarks/ab_eager.py [--rounds 5] [--items chain,w1,w1var,w5tape,w5hess] base=/path main=/path ...

Each round runs every tree in a subprocess of its own (``PYTHONPATH`` set to the tree), trees
interleaved, and the report keeps the best CPU time (``time.process_time``) per item over all rounds:
best-of-N is what a machine shared with other work can measure. Items:

- chain: 100 x [sin, *1.01, +0.1] on a shape-(16,) float64 array, recorded, then tape.gradient (us/op)
- w1 / w1var: 3*(x1**2 + x2*x3) value and gradient, three watched constants / three tg.Variables (us)
- w5tape / w5hess: the 100x100 Hessian of sum(tanh(A @ x)**2), nested tapes / tg.hessian (ms)

W1 and W5 are the suite's own cases (impl_tapegrad.py), so the A/B times what run.py times.
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

    # W1 and W5 exactly as the suite runs them (benchmarks/impl_tapegrad.py, the same data)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import impl_tapegrad

    impl_tapegrad.configure()

    suite = {(c.case, c.row): c.fn for w in (impl_tapegrad.w1(), impl_tapegrad.w5()) for c in w}
    return {
        "chain": (chain, 20),
        "w1": (suite["value+grad", "tape"], 2000),
        "w1var": (suite["value+grad", "variables"], 2000),
        "w5tape": (suite["hessian", "tape"], 20),
        "w5hess": (suite["hessian", "transforms"], 20),
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
