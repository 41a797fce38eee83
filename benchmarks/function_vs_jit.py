"""tg.function against jax.jit, tf.function and hand-written NumPy, timed in ONE process, interleaved.

    python benchmarks/function_vs_jit.py [--only W1,W2,W3,W5,W6,W7] [--rounds 7] [--clock process|wall]
    python benchmarks/function_vs_jit.py --fresh 7 [--only ...]   # first calls only, in fresh processes

The suite (``run.py``) times each framework in its own process, one after the other; on a shared
machine the load changes between them, so the ratios that issue 12 asks for (tg.function per call
against jax.jit and against NumPy's hand-written forward+backward) are measured here side by side:
each round times every variant once, and the medians over the rounds are compared (the ratio of
the best rounds in parentheses). Time is the process's CPU time by default (other processes'
load does not count; every variant runs on one thread), or wall time. It also reports
tg.function's first call (the trace) against one eager call of the same Python function (what the
trace runs; ``Case.uncompiled``) and against the fastest eager row (which may be another algorithm:
W7's Taylor mode), and jax.jit's and tf.function's first calls (trace + compile), on the same
clock. The next calls run the traced program line by line, and the 9th after the trace generates
and compiles its code: ``--fresh`` also reports the first 11 calls together against 11 eager calls.
Each result is checked against the workload's reference before timing. jax and tensorflow are
optional (their columns are skipped).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any, Callable

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from harness import THREAD_ENV, blas_env  # noqa: E402

if os.environ.get("TG_BENCH_PINNED") != "1":  # one thread, as the suite's workers (then run again)
    os.execve(
        sys.executable, [sys.executable, *sys.argv], {**os.environ, **THREAD_ENV, **blas_env(), "TG_BENCH_PINNED": "1"}
    )

import impl_numpy  # noqa: E402
import impl_tapegrad  # noqa: E402
import problems as P  # noqa: E402

WORKLOADS = {"W1": "w1", "W2": "_chain", "W3": "_chain", "W5": "w5", "W6": "w6", "W7": "w7"}
TARGET = {
    "W1": ("jax.jit", 1 / 3),
    "W2": ("numpy", 1.5),
    "W3": ("numpy", 1.5),
    "W5": ("jax.jit", 1.0),
    "W6": ("jax.jit", 1.0),
    "W7": ("jax.jit", 1.0),
}


def cases(module: Any, workload: str) -> list:
    name = WORKLOADS[workload]
    fn = getattr(module, name)
    return fn(workload) if name == "_chain" else fn()


CLOCK = [time.process_time]


def first_calls() -> int:
    """How many first calls --fresh times one by one: the trace, the calls line by line, the call
    that generates and compiles the code, and one call of the code."""
    import tapegrad._function._concrete as concrete

    return getattr(concrete, "COMPILE_AFTER", 0) + 3


def per_call(fn: Callable[[], Any], budget: float = 0.05) -> float:
    """Seconds per call: as many calls as fit in ``budget`` (at least one)."""
    clock = CLOCK[0]
    n, start = 0, clock()
    while True:
        fn()
        n += 1
        elapsed = clock() - start
        if elapsed >= budget:
            return elapsed / n


def check(case: Any, workload: str) -> None:
    got = (case.check or case.fn)()
    if case.convert is not None:
        got = case.convert(got)
    problem = P.check(workload, got, P.reference(workload)[case.ref])
    if problem is not None:
        raise AssertionError(f"{workload} {case.case} ({case.impl}): {problem}")


def first_call(workload: str, case_name: str) -> dict[str, float]:
    """In this process, in seconds: one eager call of the same function (best of 3 timings), one
    call of the fastest eager row, and the first calls of the tg.function row (the first: the trace)."""
    tg_cases = cases(impl_tapegrad, workload)
    compiled = next(c for c in tg_cases if c.case == case_name and c.row == "function")
    eagers = [c for c in tg_cases if c.case == case_name and c.row != "function"]
    fns = [compiled.uncompiled] + [c.fn for c in eagers]
    times = [min(t) for t in zip(*[[per_call(fn, 0.02) for fn in fns] for _ in range(3)])]  # (interleaved)
    same, fastest = times[0], min(times[1:])
    from tapegrad._function import _codegen

    clock = CLOCK[0]
    calls, compiles = [], []
    for _ in range(first_calls()):
        before = _codegen._code.cache_info().misses
        started = clock()
        compiled.fn()
        calls.append(clock() - started)
        compiles.append(_codegen._code.cache_info().misses - before)
    # calls[-2] generated and compiled the code: with the trace, what a first call that generated
    # the code at once would cost (each part cold, as then)
    assert compiles[-2] > 0 and not any(compiles[1:-2]) and not compiles[-1], compiles
    return {"same": same, "fastest": fastest, "first": calls[0], "firsts": sum(calls), "codegen": calls[-2]}


def fresh_first_calls(workloads: list, n: int, clock: str) -> int:
    """tg.function's first call in ``n`` fresh processes per case, against one eager call measured
    in the same process: the first trace of a process pays for code run for the first time too."""
    print(f"first call (the trace) in {n} fresh processes each, {clock} time: best / median")
    n_calls = first_calls()
    print(
        "| workload | case | the same function eagerly | first call | / the same function eagerly "
        f"| fastest eager row | / fastest eager row | first {n_calls} calls / {n_calls} eager calls "
        "| trace + the call that compiles / the same function eagerly |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for workload in workloads:
        names = dict.fromkeys(c.case for c in cases(impl_tapegrad, workload) if c.row == "function")
        for case_name in names:
            runs = []
            for _ in range(n):
                command = [sys.executable, __file__, "--clock", clock, "--first-call-of", f"{workload}:{case_name}"]
                out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
                runs.append(json.loads(out.strip().splitlines()[-1]))
            same, fastest = min(r["same"] for r in runs), min(r["fastest"] for r in runs)
            firsts = [r["first"] for r in runs]
            best, med = min(firsts), statistics.median(firsts)
            together = [r["firsts"] / (n_calls * same) for r in runs]
            at_once = [(r["first"] + r["codegen"]) / same for r in runs]
            print(
                f"| {workload} | {case_name} | {same * 1e3:.3g} ms | {best * 1e3:.3g} / {med * 1e3:.3g} ms "
                f"| {best / same:.1f}x / {med / same:.1f}x | {fastest * 1e3:.3g} ms "
                f"| {best / fastest:.1f}x / {med / fastest:.1f}x "
                f"| {min(together):.2f}x / {statistics.median(together):.2f}x "
                f"| {min(at_once):.1f}x / {statistics.median(at_once):.1f}x |",
                flush=True,
            )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(WORKLOADS))
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--clock", choices=("process", "wall"), default="process")
    parser.add_argument(
        "--fresh",
        type=int,
        default=0,
        metavar="N",
        help="only tg.function's first call, each time in N fresh processes (best and median)",
    )
    parser.add_argument("--first-call-of", default=None, help=argparse.SUPPRESS)  # one fresh process's part
    args = parser.parse_args()
    CLOCK[0] = time.process_time if args.clock == "process" else time.perf_counter
    impl_tapegrad.configure()
    if args.first_call_of is not None:
        workload, case_name = args.first_call_of.split(":", 1)
        print(json.dumps(first_call(workload, case_name)))
        return 0
    if args.fresh:
        return fresh_first_calls(args.only.split(","), args.fresh, args.clock)
    impl_numpy.configure()
    have_jax = importlib.util.find_spec("jax") is not None
    if have_jax:
        import impl_jax

        impl_jax.configure(jit=True)
    have_tf = importlib.util.find_spec("tensorflow") is not None
    if have_tf:
        import impl_tf

        impl_tf.configure(function=True)
    print(
        f"load average at start: {os.getloadavg()[0]:.2f}; {args.clock} time, median of {args.rounds} rounds "
        "(best-round ratio in parentheses)"
    )
    print(
        "| workload | case | tg.function | jax.jit | tf.function | NumPy by hand | eager tapegrad | vs jax.jit "
        "| vs tf.function | vs NumPy | target | first call (the trace) | / the same function eagerly "
        "| / fastest eager row | jax.jit first call | tf.function first call |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for workload in args.only.split(","):
        tg_cases = cases(impl_tapegrad, workload)
        np_cases = cases(impl_numpy, workload)
        jax_cases = cases(impl_jax, workload) if have_jax else []
        tf_cases = cases(impl_tf, workload) if have_tf else []
        for case_name in dict.fromkeys(c.case for c in tg_cases):
            compiled = next((c for c in tg_cases if c.case == case_name and c.row == "function"), None)
            if compiled is None:
                continue
            eager = min(
                (c for c in tg_cases if c.case == case_name and c.row != "function"), key=lambda c: per_call(c.fn, 0.02)
            )
            same = min(per_call(compiled.uncompiled, 0.02) for _ in range(3))
            clock = CLOCK[0]
            started = clock()
            compiled.fn()  # the first call traces and generates the code
            first = clock() - started
            variants = {"tg.function": compiled, "eager tapegrad": eager}
            peers = {
                "numpy": next((c for c in np_cases if c.case == case_name), None),
                "jax.jit": next((c for c in jax_cases if c.case == case_name), None),
                "tf.function": next((c for c in tf_cases if c.case == case_name), None),
            }
            variants.update({k: v for k, v in peers.items() if v is not None})
            peer_first: dict[str, float] = {}
            for peer in ("jax.jit", "tf.function"):
                if peer in variants:
                    started = clock()
                    variants[peer].fn()  # the first call traces and compiles
                    peer_first[peer] = clock() - started
            for c in variants.values():
                check(c, workload)
                c.fn()  # warm (jax.jit compiles here)
            times: dict[str, list] = {k: [] for k in variants}
            for _ in range(args.rounds):
                for k, c in variants.items():
                    times[k].append(per_call(c.fn))
            med = {k: statistics.median(v) for k, v in times.items()}
            best = {k: min(v) for k, v in times.items()}
            unit, ops = P.UNITS[workload]
            scale = (1e6 if unit.startswith("us") else 1e3) / ops

            def show(k: str, med: dict = med, scale: float = scale, unit: str = unit) -> str:
                return f"{med[k] * scale:.3g} {unit}" if k in med else "—"

            def r(k: str, med: dict = med, best: dict = best) -> str:
                if k not in med:
                    return "—"
                return f"{med['tg.function'] / med[k]:.2f}x ({best['tg.function'] / best[k]:.2f}x)"

            peer, limit = TARGET[workload]
            key = "numpy" if peer == "numpy" else "jax.jit"
            verdict = "—" if key not in med else ("met" if med["tg.function"] / med[key] <= limit else "missed")
            eager_once = med["eager tapegrad"]
            firsts = " | ".join(
                f"{peer_first[k] * 1e3:.3g} ms" if k in peer_first else "—" for k in ("jax.jit", "tf.function")
            )
            print(
                f"| {workload} | {case_name} | {show('tg.function')} | {show('jax.jit')} | {show('tf.function')} "
                f"| {show('numpy')} | {show('eager tapegrad')} | {r('jax.jit')} | {r('tf.function')} | {r('numpy')} "
                f"| <= {limit:.2g}x {peer}: {verdict} | {first * 1e3:.3g} ms | {first / same:.1f}x "
                f"| {first / eager_once:.1f}x | {firsts} |",
                flush=True,
            )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
