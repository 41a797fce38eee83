"""tapegrad's benchmark suite: every workload, for tapegrad and for each installed peer.

    python benchmarks/run.py [--quick] [--only W2,W3] [--frameworks tapegrad,torch,...]

Each framework runs in its own subprocess pinned to one thread (``worker.py``); every result is
checked against a closed form before it is timed. Writes ``benchmarks/RESULTS.md``. Peers are
optional: a framework that is not installed is skipped and the report says so
(``pip install -r benchmarks/requirements.txt`` installs them all).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import problems as P  # noqa: E402
from harness import MEMORY_ENV, MEMORY_WORKLOADS, THREAD_ENV, blas_env  # noqa: E402
from worker import ALL_WORKLOADS, FRAMEWORKS  # noqa: E402

PEERS_EAGER = ["autograd", "mygrad", "torch", "jax", "tensorflow"]  # define-by-run, like tapegrad
PEERS_COMPILED = ["jax-jit", "tf-function"]
ORDER = ["tapegrad", *PEERS_EAGER, *PEERS_COMPILED, "numpy"]
INSTALL = {
    "autograd": "pip install autograd",
    "mygrad": "pip install mygrad",
    "torch": "pip install torch==2.13.0  (exactly: other spellings pull gigabytes of CUDA)",
    "jax": "pip install jax jaxlib",
    "jax-jit": "pip install jax jaxlib",
    "tensorflow": "pip install tensorflow-cpu",
    "tf-function": "pip install tensorflow-cpu",
}
CASES = {
    "W1": ["value+grad"],
    "W2": ["record+grad"],
    "W3": ["record+grad"],
    "W4": ["step", "forward"],
    "W5": ["hessian"],
    "W6": ["reverse", "forward"],
    "W7": ["d1..d4"],
    "W8": ["plain", "checkpointed"],
}


# ---- running ---------------------------------------------------------------------------------------
def run_framework(name: str, workloads: list[str], quick: bool, timeout: float, log: Any) -> dict:
    """The framework's results: timed workloads in one worker, memory workloads in another (MEMORY_ENV)."""
    missing = [pkg for pkg in FRAMEWORKS[name][2] if importlib.util.find_spec(pkg) is None]
    if missing:
        return {"framework": name, "skipped": f"not installed ({', '.join(missing)}): {INSTALL.get(name, '')}"}
    timed = [w for w in workloads if w not in MEMORY_WORKLOADS]
    memory = [w for w in workloads if w in MEMORY_WORKLOADS]
    base = {**THREAD_ENV, **blas_env()}
    reports = [run_worker(name, group, quick, timeout, log, env) for group, env in
               ((timed, base), (memory, {**base, **MEMORY_ENV})) if group]
    merged = dict(reports[0])
    for extra in reports[1:]:
        if "skipped" in extra and "skipped" not in merged:
            merged["skipped"] = extra["skipped"]
        merged["results"] = merged.get("results", []) + extra.get("results", [])
        merged["seconds"] = {**merged.get("seconds", {}), **extra.get("seconds", {})}
        merged["wall_seconds"] = merged.get("wall_seconds", 0) + extra.get("wall_seconds", 0)
    return merged


def run_worker(name: str, workloads: list[str], quick: bool, timeout: float, log: Any, extra_env: dict) -> dict:
    env = {**os.environ, **extra_env}
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        cmd = [sys.executable, os.path.join(HERE, "worker.py"), name, "--only", ",".join(workloads), "--out", out]
        if quick:
            cmd.append("--quick")
        started = time.perf_counter()
        try:
            proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  timeout=timeout)
            output = proc.stdout
        except subprocess.TimeoutExpired as err:
            output = err.stdout.decode() if isinstance(err.stdout, bytes) else (err.stdout or "")
            log.write(output)
            return {"framework": name, "skipped": f"timed out after {timeout:.0f} s"}
        log.write(output)
        for line in output.splitlines():
            if line.startswith("  " + name):
                print(line, flush=True)
        if not os.path.exists(out):
            tail = " | ".join(output.strip().splitlines()[-3:])
            return {"framework": name, "skipped": f"worker crashed (exit {proc.returncode}): {tail[:300]}"}
        with open(out) as f:
            report = json.load(f)
        report["wall_seconds"] = time.perf_counter() - started
        return report


# ---- formatting -------------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {"CPU": model, "logical cores": str(os.cpu_count()), "OS": platform.platform(),
            "Python": f"{platform.python_implementation()} {platform.python_version()}"}
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        info["memory"] = f"{kb / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return info


def load() -> str:
    try:
        return " / ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def fmt(seconds: float, workload: str) -> str:
    unit, ops = P.UNITS[workload]
    value = seconds / ops * (1e6 if unit.startswith("us") else 1e3)
    return f"{value:.3g}" if value < 1000 else f"{value:,.0f}"


def fmt_ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.3g} ms" if ms < 1000 else f"{ms:,.0f} ms"


def fmt_mb(b: float | None) -> str:
    return "n/a" if b is None else f"{b / 2**20:,.0f} MB"


def label(r: dict) -> str:
    return f"{r['framework']} ({r['row']})" if r.get("row") else r["framework"]


def rows_of(results: list[dict], workload: str) -> list[str]:
    seen: list[str] = []
    for fw in ORDER:
        for r in results:
            if r["framework"] == fw and r["workload"] == workload and label(r) not in seen:
                seen.append(label(r))
    return seen


def cell(r: dict | None, workload: str) -> str:
    if r is None:
        return "—"
    if r["status"] == "ok":
        return f"**{fmt(r['median'], workload)}** ({fmt(r['min'], workload)}–{fmt(r['max'], workload)})"
    return r["status"]


def best(results: list[dict], workload: str, case: str, frameworks: list[str]) -> dict | None:
    ok = [r for r in results if r["workload"] == workload and r["case"] == case and r["status"] == "ok"
          and r["framework"] in frameworks]
    return min(ok, key=lambda r: r["median"]) if ok else None


def ratio(a: dict | None, b: dict | None) -> str:
    if a is None or b is None:
        return "—"
    x = a["median"] / b["median"]
    return f"{x:.2f}x" if x < 100 else f"{x:,.0f}x"


def tapegrad_rows(results: list[dict], workload: str, case: str) -> list[dict]:
    return [r for r in results if r["framework"] == "tapegrad" and r["workload"] == workload
            and r["case"] == case and r["status"] == "ok"]


def write_report(reports: list[dict], args: argparse.Namespace, started: str, loads: tuple, wall: float) -> str:
    results = [dict(r, row=r.get("row", "")) for rep in reports for r in rep.get("results", [])]
    workloads = [w for w in ALL_WORKLOADS if w in args.only]
    lines = ["# tapegrad benchmark results", "",
             f"Generated by `python benchmarks/run.py{' --quick' if args.quick else ''}"
             f"{' --only ' + ','.join(workloads) if len(workloads) < len(ALL_WORKLOADS) else ''}` "
             f"on {started} in {wall / 60:.1f} min. Medians in **bold**, (min–max) over the repeats; lower is better.",
             "", "## Machine and versions", ""]
    for k, v in machine().items():
        lines.append(f"- {k}: {v}")
    lines.append(f"- load average (1/5/15 min) at start: {loads[0]}; at end: {loads[1]} "
                 "(the machine was shared; timings on a loaded machine are noisy)")
    for rep in reports:
        if "versions" in rep:
            vs = ", ".join(f"{k} {v}" for k, v in rep["versions"].items())
            lines.append(f"- **{rep['framework']}**: {vs}")
    skipped = [rep for rep in reports if "skipped" in rep]
    lines += ["", "## Skipped frameworks", ""]
    lines += [f"- {rep['framework']}: {rep['skipped']}" for rep in skipped] or ["- none: every framework ran"]

    lines += ["", "## Summary: tapegrad against the best peer", "",
              "Ratios are tapegrad's median time divided by the other's (above 1: tapegrad is slower). "
              "*Eager* peers run op by op as tapegrad does (autograd, MyGrad, PyTorch, JAX without jit, "
              "TensorFlow eager); *compiled* adds `jax.jit` and `tf.function`. The NumPy floor is hand-written "
              "NumPy (closed-form derivatives), no automatic differentiation.", "",
              "| workload | case | unit | tapegrad | best eager peer | ratio | best peer incl. compiled | ratio "
              "| NumPy floor | ratio |", "|---|---|---|---|---|---|---|---|---|---|"]
    for w in workloads:
        unit = P.UNITS[w][0].replace("us", "µs")
        for case in CASES[w]:
            tg_rows = tapegrad_rows(results, w, case)
            tgb = min(tg_rows, key=lambda r: r["median"]) if tg_rows else None
            be = best(results, w, case, PEERS_EAGER)
            ba = best(results, w, case, PEERS_EAGER + PEERS_COMPILED)
            fl = best(results, w, case, ["numpy"])
            name = lambda r, w=w: "—" if r is None else f"{fmt(r['median'], w)} {label(r)}"  # noqa: E731
            tg_text = "—" if tgb is None else f"{fmt(tgb['median'], w)}" + (f" ({tgb['row']})" if tgb["row"] else "")
            lines.append(f"| {w} | {case} | {unit} | {tg_text} | {name(be)} | {ratio(tgb, be)} | {name(ba)} | "
                         f"{ratio(tgb, ba)} | {'—' if fl is None else fmt(fl['median'], w)} | {ratio(tgb, fl)} |")

    for w in workloads:
        unit = P.UNITS[w][0].replace("us", "µs")
        cases = CASES[w]
        lines += ["", f"## {w}: {P.WORKLOADS[w]}", "", f"Unit: {unit}"
                  + (f" (call time / {P.UNITS[w][1]} ops)" if P.UNITS[w][1] > 1 else "") + ".", ""]
        mem = w == "W8"
        head = ["framework"] + cases
        if mem:
            head += [f"{c}: peak RSS" for c in cases] + [f"{c}: tracemalloc peak" for c in cases]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        notes = []
        for row in rows_of(results, w):
            mine = [r for r in results if r["workload"] == w and label(r) == row]
            by_case = {r["case"]: r for r in mine}
            cells = [row] + [cell(by_case.get(c), w) for c in cases]
            if mem:
                cells += [fmt_mb(by_case[c].get("rss_peak")) if c in by_case and by_case[c]["status"] == "ok"
                          else "—" for c in cases]
                cells += [fmt_mb(by_case[c].get("tracemalloc_peak")) if c in by_case and by_case[c]["status"] == "ok"
                          else "—" for c in cases]
            lines.append("| " + " | ".join(cells) + " |")
            for r in mine:
                if r["status"] == "ok":
                    notes.append(f"- {row}, {r['case']}: {r.get('impl', '')} "
                                 f"[{r['repeats']} x {r['number']} calls; first call "
                                 f"{fmt_ms(r['first_call'])}]")
                else:
                    notes.append(f"- {row}, {r['case']}: **{r['status']}**: {r.get('reason', '')}")
        lines += ["", "How each ran:", "", *notes]
        for c in cases:
            tg_rows = tapegrad_rows(results, w, c)
            be = best(results, w, c, PEERS_EAGER)
            ba = best(results, w, c, PEERS_EAGER + PEERS_COMPILED)
            fl = best(results, w, c, ["numpy"])
            for t in tg_rows:
                lines.append(f"- ratio, {label(t)} {c}: {ratio(t, be)} the best eager peer"
                             f"{' (' + label(be) + ')' if be else ''}, {ratio(t, ba)} the best peer incl. compiled"
                             f"{' (' + label(ba) + ')' if ba else ''}, {ratio(t, fl)} the NumPy floor")

    lines += ["", "## Method", "",
              "- Each framework runs in its own process (`benchmarks/worker.py`), with "
              + ", ".join(f"`{k}={v}`" for k, v in THREAD_ENV.items() if "THREADS" in k or k == "XLA_FLAGS")
              + "; PyTorch also `torch.set_num_threads(1)` and `set_num_interop_threads(1)`; TensorFlow "
              "`tf.config.threading.set_intra_op_parallelism_threads(1)` and `..._inter_op_...(1)`; JAX runs "
              "on CPU with float64 enabled.",
              "- Before timing, each case is called once and its result compared with the closed form in "
              "`benchmarks/problems.py` (float64: relative 1e-8 or tighter; W4 float32 gradients: relative 2e-3, "
              "absolute 2e-5, against the hand-written NumPy gradient at step 0). A wrong result is reported "
              "as FAIL and not timed; a crash as ERROR.",
              "- Timing: warm-up calls (at least one, compilation included, ~"
              + ("0.15" if args.quick else "0.5") + " s), then a number of calls per round chosen so that a round "
              "takes ~" + ("50" if args.quick else "200") + " ms, repeated "
              + ("5 times (3 for calls over 0.3 s, 2 for calls over 1 s)" if args.quick
                 else "9 times (5 for calls over 0.3 s, 3 for calls over 1 s)")
              + "; reported: median and min–max of the per-call times. `gc.collect()` runs before each round. "
              "JAX results are waited for with `block_until_ready`. For calls over 0.5 s the check call "
              "is the warm-up.",
              "- `tf.function` and `jax.jit` take the data as arguments (closed-over constants would be "
              "folded at compile time); their first-call time, which includes tracing and compiling, is in "
              "the notes.",
              "- W4's step updates the parameters in place and is timed on the evolving parameters; its "
              "forward is the loss with no recording (`torch.no_grad`, `mygrad.no_autodiff`, no tape).",
              "- BLAS: " + (f"`OPENBLAS_CORETYPE={blas_env()['OPENBLAS_CORETYPE']}` for every worker, because "
              "this CPU has AVX-512: OpenBLAS's runtime detection does not recognise some such CPUs (AMD Zen 4 "
              "in a VM) and falls back to its AVX2 kernels, at half the float32 matmul speed for NumPy, "
              "autograd, MyGrad and tapegrad alike. A value set by the user is kept."
              if blas_env() else (f"`OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']}`, as set in the "
                                  "environment (kept)." if os.environ.get("OPENBLAS_CORETYPE")
                                  else "OpenBLAS's own CPU detection.")),
              "- Allocator: timings (W1-W7) run with glibc's default malloc, as users have it. W8 runs in a "
              "process of its own with `MALLOC_MMAP_THRESHOLD_=131072`, so that freed arrays return to the OS "
              "at once and RSS follows the live memory (its times include the page faults that costs).",
              "- W8 memory: measured on the check call. *Peak RSS* is the resident set size above its level "
              "before the call, sampled from `/proc/self/statm` every ~1 ms by a thread (each array of the "
              "chain lives for milliseconds): it counts every allocator (NumPy, PyTorch, XLA, TensorFlow) "
              "the same way. *tracemalloc peak* (NumPy-based "
              "frameworks only: tapegrad, autograd, MyGrad, NumPy) is the peak of Python's and NumPy's traced "
              "allocations above the level before the call. One float64 array of the chain is "
              f"{P.W8_SIZE * 8 / 2**20:.1f} MB.",
              "- tapegrad rows: *(tape)* is the GradientTape-based implementation (nested tapes, "
              "`tape.jacobian`, `ForwardAccumulator`, hand-made checkpointing); *(transforms)* uses the "
              "JAX-style names (`tg.grad`, `tg.value_and_grad`, `tg.hessian`, `tg.jacobian`, "
              "`tg.recompute_grad`) where this tree has them. The summary takes tapegrad's faster row.",
              "- The implementations are in `benchmarks/impl_<framework>.py`; "
              "`python benchmarks/per_op.py` gives tapegrad's per-op cost next to plain NumPy."]
    seconds = {rep["framework"]: rep.get("wall_seconds") for rep in reports if rep.get("wall_seconds")}
    if seconds:
        lines.append("- Wall time per framework process: "
                     + ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items()) + ".")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (the whole suite in a few minutes)")
    parser.add_argument("--only", default=",".join(ALL_WORKLOADS), help="workloads, e.g. W2,W3")
    parser.add_argument("--frameworks", default=",".join(ORDER), help="e.g. tapegrad,torch,numpy")
    parser.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    parser.add_argument("--json", default=None, help="also write the raw results to this file")
    parser.add_argument("--timeout", type=float, default=900, help="seconds allowed per framework process")
    args = parser.parse_args(argv)
    args.only = [w.strip().upper() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in args.only if w not in ALL_WORKLOADS]
    frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    unknown += [f for f in frameworks if f not in FRAMEWORKS]
    if unknown:
        parser.error(f"unknown workload or framework: {', '.join(unknown)} "
                     f"(workloads {', '.join(ALL_WORKLOADS)}; frameworks {', '.join(ORDER)})")
    started = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    load_start, t0 = load(), time.perf_counter()
    reports = []
    log_path = os.path.join(tempfile.gettempdir(), "tapegrad-benchmarks.log")
    with open(log_path, "w") as log:
        for fw in [f for f in ORDER if f in frameworks]:
            print(f"[{time.perf_counter() - t0:6.0f} s] {fw}", flush=True)
            reports.append(run_framework(fw, args.only, args.quick, args.timeout, log))
            if "skipped" in reports[-1]:
                print(f"  {fw}: skipped: {reports[-1]['skipped']}", flush=True)
    wall = time.perf_counter() - t0
    text = write_report(reports, args, started, (load_start, load()), wall)
    with open(args.out, "w") as f:
        f.write(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(reports, f, indent=1, default=str)
    print(f"wrote {args.out} in {wall:.0f} s (worker output: {log_path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
