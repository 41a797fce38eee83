"""tapegrad's cost per recorded op, next to plain NumPy running the same loop.

    python benchmarks/per_op.py [--quick] [--profile]

A chain of 1000 elementwise ops (sin, *1.01, +0.1, repeated) on a float64 scalar and on a
shape-(16,) array: NumPy alone, tapegrad with no tape, tapegrad recording on a GradientTape, and
recording plus the reverse pass. ``--profile`` adds a cProfile of record + gradient on the scalar
chain (top functions by own time). Pinned to one thread; the gradient is checked against the
chain rule first.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
from typing import Any, Callable

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from harness import measure, pin_environment  # noqa: E402

pin_environment()

import numpy as np  # noqa: E402

import tapegrad as tg  # noqa: E402

N_OPS = 1000


def numpy_chain(x: Any) -> Any:
    for i in range(N_OPS):
        k = i % 3
        x = np.sin(x) if k == 0 else x * 1.01 if k == 1 else x + 0.1
    return x


def tg_chain(x: Any) -> Any:
    sin = tg.sin
    for i in range(N_OPS):
        k = i % 3
        x = sin(x) if k == 0 else x * 1.01 if k == 1 else x + 0.1
    return x


def chain_rule(x: Any) -> Any:
    g = np.ones_like(x)
    for i in range(N_OPS):
        k = i % 3
        if k == 0:
            g = g * np.cos(x)
            x = np.sin(x)
        elif k == 1:
            g, x = g * 1.01, x * 1.01
        else:
            x = x + 0.1
    return g


def cases(x0: Any) -> dict[str, Callable[[], Any]]:
    x = tg.constant(x0, dtype=tg.float64)

    def record() -> Any:
        with tg.GradientTape() as tape:
            tape.watch(x)
            y = tg_chain(x)
        return tape, y

    def record_and_grad() -> Any:
        tape, y = record()
        return tape.gradient(y, x)

    return {
        "numpy": lambda: numpy_chain(x0),
        "tapegrad, no tape": lambda: tg_chain(x),
        "tapegrad, record": record,
        "tapegrad, record+grad": record_and_grad,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile record+grad of the scalar chain")
    args = parser.parse_args(argv)
    inputs = {"scalar": np.float64(0.5), "shape (16,)": np.linspace(-1.0, 1.0, 16)}
    print(f"µs per op over a {N_OPS}-op chain (median of repeats; numpy {np.__version__}, "
          f"tapegrad {tg.__version__}, one thread)\n")
    header = ["input", "numpy", "tapegrad, no tape", "tapegrad, record", "backward (difference)",
              "record+grad", "record+grad / numpy"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, x0 in inputs.items():
        fns = cases(x0)
        got = np.asarray(fns["tapegrad, record+grad"]())
        want = chain_rule(x0)
        if not np.allclose(got, want, rtol=1e-10, atol=0):
            print(f"| {name} | FAIL: gradient differs from the chain rule by {np.max(np.abs(got - want)):.3g} |")
            continue
        t = {k: measure(f, args.quick)["median"] / N_OPS * 1e6 for k, f in fns.items()}
        back = t["tapegrad, record+grad"] - t["tapegrad, record"]
        row = [name, t["numpy"], t["tapegrad, no tape"], t["tapegrad, record"], back, t["tapegrad, record+grad"]]
        print("| " + " | ".join([row[0]] + [f"{v:.3g}" for v in row[1:]])
              + f" | {t['tapegrad, record+grad'] / t['numpy']:.1f}x |")
    if args.profile:
        fn = cases(inputs["scalar"])["tapegrad, record+grad"]
        fn()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(50):
            fn()
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(15)
        print(f"\ncProfile of 50 x (record + gradient) of the scalar chain ({N_OPS} ops), by own time:")
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
