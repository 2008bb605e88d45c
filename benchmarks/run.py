"""Run every benchmark at every store size and publish the figures.

    python3 run.py bench [--sizes 10000,100000,1000000] [--runs 30] [--only trace,queries] [--output DIR]

Builds (once, then cached in .bench-cache/) SQLite stores of each size through the capture service,
then runs, in this order: the event hash against the reference implementation, capture (over HTTP,
in-process, and the bare-insert ceiling, with memory), query latency per query class, and trace
latency (against size, depth and a client using standard queries). With EPCIS_TEST_MONGODB_URI set,
capture (over HTTP and in process), the query classes and the traces (in process) are also measured
on MongoDB (a database per size, filled with the same events).

Writes docs/benchmarks/results.json (every figure), docs/benchmarks/results.md (the tables) and
docs/benchmarks/growth.png (how each figure grows with the store), or the same in --output, and prints
the tables. With --only, the other suites' figures already in results.json are kept, which needs the
same --sizes as the run that took them; each suite keeps the reference loop of its own run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import trace

import queries
import stores
from report import render_markdown, render_plot

import capture


def _event_hash() -> Any:
    """The event hash benchmark, imported when it runs: it needs the reference implementation (the
    bench extra), which the other suites do not."""
    import event_hash

    return event_hash


ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "benchmarks"
SUITES: dict[str, Callable[[list[int], int], dict[str, Any]]] = {
    "event_hash": lambda sizes, runs: _event_hash().run(events=10_000, runs=max(3, runs // 6)),
    # Three runs a size, taking turns between the paths, and their medians: a single run varies by
    # a fifth. Each run copies the store three times (at 1M events, about 4 GB a copy).
    "capture": lambda sizes, runs: capture.run(sizes, runs=3),
    "queries": lambda sizes, runs: queries.run(sizes, runs=runs),
    "trace": lambda sizes, runs: trace.run(sizes, runs=runs),
}


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory = next(
            int(line.split()[1]) // 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except OSError:
        memory = 0
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "memory_mib": memory,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "system": f"{platform.system()} {platform.release()}",
        "reference_loop_ms": reference_loop_ms(),
    }


def reference_loop_ms() -> float:
    """Milliseconds of a fixed pure-Python loop (median of 5): how fast this machine runs Python at the
    time of the run, to compare runs made on shared machines."""
    times = []
    for _ in range(5):
        began, total = time.perf_counter(), 0
        for number in range(2_000_000):
            total += number
        times.append(time.perf_counter() - began)
    return round(statistics.median(times) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--only", help=f"a comma-separated subset of {', '.join(SUITES)}")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    chosen = args.only.split(",") if args.only else list(SUITES)
    unknown = set(chosen) - set(SUITES)
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")

    earlier = args.output / "results.json"
    kept = json.loads(earlier.read_text()) if args.only and earlier.exists() else {}
    if kept and kept.get("sizes") != sizes:
        parser.error(
            f"--only keeps the other suites' figures in {earlier}, taken at sizes "
            f"{','.join(str(s) for s in kept.get('sizes', []))}: measure at those, or write elsewhere with "
            "--output"
        )

    results: dict[str, Any] = {"machine": machine(), "sizes": sizes, "runs": args.runs, "stores": {}}
    print(f"machine: {results['machine']}", flush=True)
    for size in sizes:
        began = time.perf_counter()
        path = stores.sqlite_store(size)
        done = path.with_suffix(".complete").read_text().strip()
        results["stores"][str(size)] = {"built": done, "mib": round(_size_mib(path))}
        took = time.perf_counter() - began
        print(f"store of {size:,} events: {done}; {_size_mib(path):,.0f} MiB ({took:.0f} s)", flush=True)
    for name in chosen:
        began = time.perf_counter()
        print(f"--- {name}", flush=True)
        results[name] = SUITES[name](sizes, args.runs)
        results[name]["reference_loop_ms"] = results["machine"]["reference_loop_ms"]
        print(f"    ({time.perf_counter() - began:.0f} s)", flush=True)

    for name in SUITES:  # the figures of the suites not run this time, as they were
        if name not in chosen and name in kept:
            loop = kept.get("machine", {}).get("reference_loop_ms")
            results[name] = {"reference_loop_ms": loop} | kept[name]
    args.output.mkdir(parents=True, exist_ok=True)
    earlier.write_text(json.dumps(results, indent=2) + "\n")
    markdown = render_markdown(results)
    (args.output / "results.md").write_text(markdown)
    if not render_plot(results, args.output / "growth.png"):
        print(
            "no growth plot: matplotlib is not installed (python3 run.py bench installs it)", file=sys.stderr
        )
    print(markdown)


def _size_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.parent.glob(path.name + "*")) / 2**20


if __name__ == "__main__":
    main()
