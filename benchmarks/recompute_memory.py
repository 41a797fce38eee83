"""Peak memory of a gradient with and without checkpointing (tg.recompute_grad).

The tape keeps every recorded op's inputs and output alive until the backward pass, so the gradient
through a chain of N elementwise ops on an array of n float64 holds about N arrays of 8n bytes at
its peak. Checkpointing every k ops keeps only the N/k segment boundaries, plus the k intermediates
of the one segment being recomputed during the backward pass: roughly (N/k + k) arrays.

    python benchmarks/recompute_memory.py                 # 200 ops on 10^6 float64, segments of 10
    python benchmarks/recompute_memory.py --size 100000 --ops 100 --every 10

Peak memory is measured with tracemalloc (NumPy reports its array buffers to it).
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from typing import Any, Callable

import numpy as np

import tapegrad as tg
from tapegrad.custom import recompute_grad
from tapegrad.transforms import grad

OPS: tuple[Callable[[Any], Any], ...] = (tg.sin, tg.tanh)  # bounded, so 200 of them stay finite


def chain(x: Any, count: int, start: int = 0) -> Any:
    """``count`` elementwise ops, alternating sin and tanh."""
    for i in range(start, start + count):
        x = OPS[i % len(OPS)](x)
    return x


def loss(x: Any, ops: int, every: int | None) -> Any:
    if not every:
        return tg.sum(chain(x, ops))
    done = 0
    while done < ops:
        count = min(every, ops - done)
        segment = recompute_grad(lambda v, count=count, start=done: chain(v, count, start))
        x = segment(x)
        done += count
    return tg.sum(x)


def measure(size: int, ops: int, every: int | None) -> tuple[float, float, np.ndarray]:
    """(peak bytes above the input, seconds, gradient) of d sum(chain(x)) / dx."""
    x = np.random.default_rng(0).uniform(-1.0, 1.0, size)
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    t0 = time.perf_counter()
    g = grad(lambda v: loss(v, ops, every))(x)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return float(peak), seconds, g.numpy()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10**6, help="elements of the float64 array (default 10^6)")
    parser.add_argument("--ops", type=int, default=200, help="elementwise ops in the chain (default 200)")
    parser.add_argument("--every", type=int, default=10, help="ops per checkpointed segment (default 10)")
    args = parser.parse_args(argv)

    array_mb = args.size * 8 / 2**20
    print(f"gradient of sum(chain of {args.ops} elementwise ops) on {args.size:,} float64 ({array_mb:.1f} MiB each)")
    peak_plain, t_plain, g_plain = measure(args.size, args.ops, None)
    peak_ckpt, t_ckpt, g_ckpt = measure(args.size, args.ops, args.every)
    diff = float(np.max(np.abs(g_plain - g_ckpt)))
    print()
    print(f"{'':<34}{'peak memory':>14}{'arrays':>9}{'time':>9}")
    print(f"{'plain tape':<34}{peak_plain / 2**20:>10.1f} MiB{peak_plain / 2**20 / array_mb:>9.1f}{t_plain:>8.2f}s")
    label = f"recompute_grad every {args.every} ops"
    print(f"{label:<34}{peak_ckpt / 2**20:>10.1f} MiB{peak_ckpt / 2**20 / array_mb:>9.1f}{t_ckpt:>8.2f}s")
    print()
    print(f"memory ratio {peak_plain / peak_ckpt:.1f}x, time ratio {t_ckpt / t_plain:.2f}x, "
          f"max |gradient difference| = {diff:.1e}")


if __name__ == "__main__":
    main()
