"""Timing, memory and correctness machinery shared by every framework's benchmark process.

One framework runs per process (``python benchmarks/worker.py FRAMEWORK ...``), pinned to one
thread. Each workload gives a list of :class:`Case` objects; every case is checked against the
closed form in :mod:`problems` first, and only a correct case is timed.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import threading
import time
import traceback
import tracemalloc
from dataclasses import dataclass, field
from typing import Any, Callable

# One thread everywhere. These must be set before NumPy (or any framework) is imported.
THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
    "JAX_PLATFORMS": "cpu",
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "CUDA_VISIBLE_DEVICES": "",
}

# Only for the processes that measure peak memory (W8): glibc then always mmaps blocks >= 128 KiB, so
# freed arrays go back to the OS at once and the resident size follows the live memory. Timings run
# with the default allocator, as users do: forced mmap makes every large NumPy (or PyTorch) array
# page-fault afresh, while frameworks with their own pooling allocator (TensorFlow, XLA) do not care.
# glibc reads this when a process starts, so run.py sets it in the worker's environment.
MEMORY_ENV = {"MALLOC_MMAP_THRESHOLD_": "131072"}
MEMORY_WORKLOADS = ("W8",)


def blas_env() -> dict[str, str]:
    """OpenBLAS's kernels for the CPU's vector width: on CPUs with AVX-512 that its runtime
    detection does not recognise (AMD Zen 4 in a VM reports itself so), OpenBLAS falls back to its
    AVX2 "Haswell" kernels, which halves float32 matmul speed for every NumPy-based framework;
    frameworks with their own kernels (XLA, oneDNN, MKL) are unaffected. A value the user set wins."""
    if os.environ.get("OPENBLAS_CORETYPE"):
        return {}
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "")
    except OSError:
        return {}
    return {"OPENBLAS_CORETYPE": "SkylakeX"} if " avx512f " in f" {flags} " else {}


def pin_environment() -> None:
    for key, value in THREAD_ENV.items():
        os.environ.setdefault(key, value)


class Skip(Exception):
    """A framework cannot run this case (no such feature): reported as SKIP with the reason."""


@dataclass
class Case:
    """One timed call of one workload.

    ``fn`` is what is timed. ``check`` (default: ``fn``) returns the values compared with the
    workload's reference, after ``convert`` turns them into NumPy; ``ref`` picks which reference
    entries they are (default: all). ``impl`` says how the framework computed it.
    """

    case: str
    fn: Callable[[], Any]
    impl: str = ""
    check: Callable[[], Any] | None = None
    convert: Callable[[Any], Any] | None = None
    ref: slice = field(default_factory=lambda: slice(None))
    memory: bool = False
    row: str = ""  # a variant label shown next to the framework name (e.g. "tape", "transforms")
    uncompiled: Callable[[], Any] | None = None  # a tg.function row: the same Python function, run eagerly


# ---- timing ---------------------------------------------------------------------------------
def measure(fn: Callable[[], Any], quick: bool, warmed: float | None = None) -> dict[str, Any]:
    """Warm up, then time ``repeats`` rounds of ``number`` calls: seconds per call (median/min/max).

    ``warmed``: the duration of a call just made (the check); when it was long it counts as the
    first (warm-up) call, so a slow workload is not run more often than needed. A slow call's
    first post-warm-up call (the probe) is the first timed round.
    """
    warm_budget, round_budget = (0.15, 0.05) if quick else (0.5, 0.2)
    start = time.perf_counter()
    if warmed is not None and warmed > 0.5:
        first = warmed
    else:
        fn()  # first call: compilation, caches, lazy imports
        first = time.perf_counter() - start
    gc.collect()
    t0 = time.perf_counter()
    fn()
    probe = best = time.perf_counter() - t0
    calls = 2
    while probe < warm_budget and time.perf_counter() - start < warm_budget and calls < 200:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        calls += 1
    if best > 1.0:
        repeats = 2 if quick else 3
    elif best > 0.3:
        repeats = 3 if quick else 5
    else:
        repeats = 5 if quick else 9
    slow = best > 0.3
    number = 1 if slow else max(1, int(round_budget / max(best, 1e-9)))
    per_call = [probe] if slow else []
    while len(per_call) < repeats:
        gc.collect()
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        per_call.append((time.perf_counter() - t0) / number)
    return {
        "median": statistics.median(per_call),
        "min": min(per_call),
        "max": max(per_call),
        "repeats": repeats,
        "number": number,
        "warmup_calls": calls - (1 if slow else 0),
        "first_call": first,
    }


# ---- memory ---------------------------------------------------------------------------------
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _rss_bytes() -> int:
    with open("/proc/self/statm", "rb") as f:
        return int(f.read().split()[1]) * _PAGE


def peak_rss_delta(fn: Callable[[], Any]) -> float | None:
    """Peak resident memory above the level before the call, in bytes (sampled every ~1 ms).

    The result of ``fn`` is dropped before the level is read again, so only the call's
    transient memory counts. None where /proc is not available.
    """
    if not os.path.exists("/proc/self/statm"):
        return None
    gc.collect()
    base = _rss_bytes()
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            r = _rss_bytes()
            if r > peak[0]:
                peak[0] = r
            time.sleep(0.001)

    old = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        out = fn()
        r = _rss_bytes()
        peak[0] = max(peak[0], r)
        del out
    finally:
        done.set()
        thread.join()
        sys.setswitchinterval(old)
    return float(peak[0] - base)


def peak_tracemalloc(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Peak bytes allocated through Python's and NumPy's allocators during the call, and its result."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        out = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return float(peak - base), out


# ---- running one workload -----------------------------------------------------------------------
def short_error(err: BaseException) -> str:
    tb = traceback.extract_tb(err.__traceback__)
    where = f" ({os.path.basename(tb[-1].filename)}:{tb[-1].lineno})" if tb else ""
    text = f"{type(err).__name__}: {err}".replace("\n", " ")
    return (text[:300] + "...") if len(text) > 300 else text + where


def run_case(workload: str, case: Case, quick: bool, use_tracemalloc: bool) -> dict[str, Any]:
    from problems import check, reference

    result: dict[str, Any] = {"workload": workload, "case": case.case, "impl": case.impl, "row": case.row}
    try:
        t0 = time.perf_counter()
        if case.memory and case.check is None:  # the check call also gives the peak memory
            box: list = []
            call = lambda: box.append(case.fn())  # noqa: E731
            if use_tracemalloc:
                result["tracemalloc_peak"], result["rss_peak"] = peak_tracemalloc(lambda: peak_rss_delta(call))
            else:
                result["rss_peak"] = peak_rss_delta(call)
            got = box.pop()
        else:
            got = (case.check or case.fn)()
        checked = time.perf_counter() - t0
        if case.convert is not None:
            got = case.convert(got)
        problem = check(workload, got, reference(workload)[case.ref])
    except Skip as s:
        return {**result, "status": "SKIP", "reason": str(s)}
    except Exception as err:  # a crash is a result too: report it, do not time it
        return {**result, "status": "ERROR", "reason": short_error(err)}
    if problem is not None:
        return {**result, "status": "FAIL", "reason": problem}
    del got
    try:
        result.update(measure(case.fn, quick, checked if case.check is None else None))
    except Exception as err:
        return {**result, "status": "ERROR", "reason": "while timing: " + short_error(err)}
    result["status"] = "ok"
    return result


def skipped(case: str, reason: str, row: str = "") -> Case:
    """A case this framework cannot run (reported as SKIP with the reason, never timed)."""

    def refuse() -> Any:
        raise Skip(reason)

    return Case(case, refuse, impl="-", row=row)
