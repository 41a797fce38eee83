"""The least-squares gradient over data that does not fit in memory, on a two-worker Dask cluster.

    python benchmarks/dask_fit.py                 # 10**8 rows x 8 float64 features (6.4 GB)
    python benchmarks/dask_fit.py --rows 2000000  # a quick check

The data is generated chunk by chunk on the workers (2 GiB memory limit each) and never held
whole. tapegrad's gradient of mean((Xw - y)^2) with respect to a small NumPy Variable w must equal
the closed form 2/n X^T (Xw - y) computed with dask.array directly, to 1e-10; the report gives both
times (their ratio is the cost of recording and differentiating on a cluster) and each worker's
peak memory. Needs the ``dask`` extra.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _data(rows: int, features: int, chunk_rows: int):
    import dask.array as da

    rng = da.random.default_rng(2024)
    x = rng.standard_normal((rows, features), chunks=(chunk_rows, features))
    true_w = np.linspace(-1.0, 1.0, features)
    y = x @ true_w + 0.5 + 0.1 * rng.standard_normal(rows, chunks=chunk_rows)
    return x, y


def _closed_form(x, y, w):
    return (2.0 / x.shape[0]) * (x.T @ (x @ w - y))


def _tapegrad(x, y, w):
    import tapegrad as tg

    var = tg.Variable(w, name="w")
    xt, yt = tg.constant(x), tg.constant(y)
    with tg.GradientTape() as tape:
        r = xt @ var - yt
        loss = tg.reduce_mean(r * r)
    return tape.gradient(loss, var)


class PeakMemory:
    """Polls every worker's resident memory in a background thread; ``peaks`` maps worker -> bytes."""

    def __init__(self, client, every: float = 0.25) -> None:
        self.client, self.every, self.peaks = client, every, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        import psutil

        def rss() -> int:
            return psutil.Process().memory_info().rss

        while not self._stop.is_set():
            try:
                for worker, value in self.client.run(rss).items():
                    self.peaks[worker] = max(self.peaks.get(worker, 0), value)
            except Exception:  # the cluster is closing
                return
            self._stop.wait(self.every)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10**8)
    parser.add_argument("--features", type=int, default=8)
    parser.add_argument("--chunk-rows", type=int, default=1 << 20, help="rows per chunk (default 1048576: 64 MiB)")
    parser.add_argument("--memory-limit", default="2GiB", help="per worker")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each, alternating; the best is reported")
    args = parser.parse_args(argv)

    os.environ["PYTHONPATH"] = ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")  # workers import tapegrad
    sys.path.insert(0, ROOT)
    import dask
    import distributed

    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, memory_limit=args.memory_limit,
        dashboard_address=None, silence_logs=logging.ERROR,
    )
    client = distributed.Client(cluster)
    try:
        x, y = _data(args.rows, args.features, args.chunk_rows)
        w = np.linspace(0.3, -0.2, args.features)
        times: dict[str, list[float]] = {"dask.array closed form": [], "tapegrad gradient": []}
        results: dict[str, np.ndarray] = {}
        with PeakMemory(client) as memory:
            for _ in range(args.repeats):
                start = time.perf_counter()
                (results["closed"],) = dask.compute(_closed_form(x, y, w))
                times["dask.array closed form"].append(time.perf_counter() - start)
                start = time.perf_counter()
                grad = _tapegrad(x, y, w)  # recording and differentiating build the graph ...
                results["tapegrad"] = grad.numpy()  # ... and this computes it
                times["tapegrad gradient"].append(time.perf_counter() - start)
        error = float(np.max(np.abs(results["tapegrad"] - results["closed"])))
        best = {k: min(v) for k, v in times.items()}
        ratio = best["tapegrad gradient"] / best["dask.array closed form"]
        gib = 2**30
        print(f"rows {args.rows:,} x {args.features} float64 ({args.rows * args.features * 8 / 1e9:.1f} GB), "
              f"chunks of {args.chunk_rows:,} rows, 2 workers x 1 thread, memory limit {args.memory_limit} each")
        for name, values in times.items():
            print(f"  {name:24s} best {min(values):8.2f} s   (runs: {', '.join(f'{v:.2f}' for v in values)})")
        print(f"  time ratio tapegrad / closed form: {ratio:.3f}   (target <= 1.5)")
        print(f"  max |gradient - closed form|: {error:.2e}   (target <= 1e-10)")
        print("  peak worker memory: " + ", ".join(f"{v / gib:.2f} GiB" for v in memory.peaks.values()))
        print(f"  gradient: {np.array2string(results['tapegrad'], precision=6)}")
        return 0 if error <= 1e-10 and ratio <= 1.5 else 1
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    sys.exit(main())
