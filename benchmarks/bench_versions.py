"""This engine against another checkout (the first release), same workload, same machine.

Each measurement is a fresh process (``python -c``) with ``PYTHONPATH`` set to one version's
``src``; versions alternate, repeats are summarised by their median. The workload is
``bench_engine``'s synthetic market (40 commodities, 4 layers, 3 segments; an export
restriction, an outage and a stockpile), ``--months`` months, ``--draws`` draws,
``keep_paths=False``: the same code builds it under either version. Throughput is in
cell-months per second (draws x months x commodities x segments / s); "warm" excludes a first
small run (JAX compiles there), "cold" is the whole process. Peak memory is the process's
peak RSS.

Run::

    git worktree add /tmp/v1 0906b4a
    python benchmarks/bench_versions.py --baseline /tmp/v1/src

Writes ``benchmarks/results/versions.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {bench!r})
import bench_engine as b
from paxsilica.engine import simulate
ds = b.synthetic()
scn = b.scenario(sorted(ds.commodities["id"]), {months})
kw = {kw}
simulate(ds, scn, draws=64, keep_paths=False, **kw)
start = time.perf_counter()
simulate(ds, scn, draws={draws}, keep_paths=False, **kw)
end = time.perf_counter()
print(json.dumps({{"warm_s": end - start, "process_s": end - t0,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run_child(src: Path, code: str) -> dict:
    """Run ``code`` in a fresh process with ``src`` first on PYTHONPATH; its last line of
    output, as JSON."""
    env = dict(os.environ, PYTHONPATH=str(src))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, cwd=HERE)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(src: Path, draws: int, months: int, backend: str) -> dict:
    kw = {} if backend == "numpy" else {"backend": "jax"}
    return run_child(src, CHILD.format(bench=str(HERE), months=months, draws=draws,
                                       kw=repr(kw)))


def summarise(runs: list[dict], cells: int) -> dict:
    warm = statistics.median(r["warm_s"] for r in runs)
    return {"runs": runs, "warm_median_s": warm, "cell_months_per_s": cells / warm,
            "process_median_s": statistics.median(r["process_s"] for r in runs),
            "peak_rss_mib_median": statistics.median(r["peak_rss_mib"] for r in runs)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True,
                        help="src folder of the version to compare against")
    parser.add_argument("--draws", type=int, default=8192)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jax", action="store_true", help="also time this version on JAX")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "versions.json")
    args = parser.parse_args(argv)
    current = HERE.parent / "src"
    cells = args.draws * args.months * 40 * 3
    configs = {"current_numpy": (current, "numpy"), "baseline_numpy": (args.baseline, "numpy")}
    if args.jax:
        configs["current_jax_cpu"] = (current, "jax")
    runs: dict[str, list[dict]] = {name: [] for name in configs}
    for _ in range(args.repeats):  # alternate, so drifting load hits every config alike
        for name, (src, backend) in configs.items():
            runs[name].append(measure(src, args.draws, args.months, backend))
    results = {name: summarise(r, cells) for name, r in runs.items()}
    report = {
        "benchmark": "versions", "draws": args.draws, "months": args.months,
        "commodities": 40, "segments": 3, "baseline": str(args.baseline), "results": results,
        "ratio_current_to_baseline": (results["current_numpy"]["cell_months_per_s"]
                                      / results["baseline_numpy"]["cell_months_per_s"]),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "platform": platform.platform()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps({name: {k: round(v, 3) if isinstance(v, float) else v
                             for k, v in res.items() if k != "runs"}
                      for name, res in results.items()}
                     | {"ratio_current_to_baseline": report["ratio_current_to_baseline"]},
                     indent=2))
    return report


if __name__ == "__main__":
    main()
