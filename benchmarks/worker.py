"""Run the workloads for ONE framework in this process and write the results as JSON.

    python benchmarks/worker.py FRAMEWORK [--only W1,W2] [--quick] [--out results.json]

``run.py`` starts one of these per framework, with the one-thread environment set.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))  # the repository root, so `import tapegrad` finds this tree

from harness import Skip, pin_environment, run_case, short_error  # noqa: E402

pin_environment()

# name -> (implementation module, its options, the packages it needs, NumPy-allocated memory?)
FRAMEWORKS: dict[str, tuple[str, dict, tuple[str, ...], bool]] = {
    "tapegrad": ("impl_tapegrad", {}, ("numpy",), True),
    "numpy": ("impl_numpy", {}, ("numpy",), True),
    "autograd": ("impl_autograd", {}, ("autograd",), True),
    "mygrad": ("impl_mygrad", {}, ("mygrad",), True),
    "torch": ("impl_torch", {}, ("torch",), False),
    "jax": ("impl_jax", {"jit": False}, ("jax", "jaxlib"), False),
    "jax-jit": ("impl_jax", {"jit": True}, ("jax", "jaxlib"), False),
    "tensorflow": ("impl_tf", {"function": False}, ("tensorflow",), False),
    "tf-function": ("impl_tf", {"function": True}, ("tensorflow",), False),
}

ALL_WORKLOADS = [f"W{i}" for i in range(1, 9)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("framework", choices=sorted(FRAMEWORKS))
    parser.add_argument("--only", default=",".join(ALL_WORKLOADS))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default="-")
    args = parser.parse_args(argv)
    module_name, options, _, numpy_memory = FRAMEWORKS[args.framework]
    report: dict = {"framework": args.framework, "python": platform.python_version(), "results": []}
    t_import = time.perf_counter()
    try:
        impl = importlib.import_module(module_name)
        impl.configure(**options)
        report["versions"] = impl.versions()
    except Exception as err:
        report["skipped"] = short_error(err)
        _write(report, args.out)
        return 0
    report["import_seconds"] = time.perf_counter() - t_import
    for workload in [w.strip() for w in args.only.split(",") if w.strip()]:
        started = time.perf_counter()
        builder = impl.WORKLOADS.get(workload)
        if builder is None:
            report["results"].append({"workload": workload, "case": "*", "status": "SKIP", "reason": "not implemented"})
            continue
        try:
            cases = builder()
        except Skip as s:
            report["results"].append({"workload": workload, "case": "*", "status": "SKIP", "reason": str(s)})
            continue
        except Exception as err:
            report["results"].append({"workload": workload, "case": "*", "status": "ERROR", "reason": short_error(err)})
            continue
        for case in cases:
            result = run_case(workload, case, args.quick, numpy_memory)
            result["framework"] = args.framework
            report["results"].append(result)
            print(
                f"  {args.framework:12s} {workload} {case.case:14s} {case.row:10s} {result['status']:5s} "
                + (f"{result['median'] * 1e3:10.3f} ms" if result["status"] == "ok" else result.get("reason", "")),
                file=sys.stderr,
                flush=True,
            )
        del cases
        report.setdefault("seconds", {})[workload] = time.perf_counter() - started
    _write(report, args.out)
    return 0


def _write(report: dict, out: str) -> None:
    text = json.dumps(report, indent=1, default=str)
    if out == "-":
        print(text)
    else:
        with open(out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    sys.exit(main())
