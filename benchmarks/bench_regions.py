"""The region engine on the embedded data against the first release, same scenario, same run.

Each measurement is a fresh process with ``PYTHONPATH`` set to one version's ``src``; versions
alternate and repeats are summarised by their median. The workload is the built-in
``ree-export-controls`` scenario set to a 60-month horizon, all commodities of each version's
embedded data, ``keep_paths=False``; this version runs its default region map (``countries``,
19 regions) and, as a control, the ``segments`` map; the first release has only its three
segments. Throughput is region-commodity-months per second (draws x months x commodities x
regions / warm seconds; the first release's regions are its 3 segments), so the ratio says
how much more market the new engine clears per second, and ``draw_months_per_s`` how many
whole-world months it simulates per second. Peak memory is the process's peak RSS.

Run::

    git worktree add /tmp/v1 0906b4a
    python benchmarks/bench_regions.py --baseline /tmp/v1/src

Writes ``benchmarks/results/regions.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_versions import run_child  # noqa: E402  (the same fresh-process runner)
CHILD = """
import inspect, json, resource, time
t0 = time.perf_counter()
from paxsilica import workflows
from paxsilica.engine import simulate
ds = workflows.load()
scn = workflows.load_scenario("ree-export-controls", ds).model_copy(
    update={{"horizon_months": {months}}})
kw = {{"regions": {regions!r}}} if {regions!r} and "regions" in inspect.signature(
    simulate).parameters else {{}}
simulate(ds, scn, draws=64, seed=1, keep_paths=False, **kw)
start = time.perf_counter()
res = simulate(ds, scn, draws={draws}, seed=1, keep_paths=False, **kw)
end = time.perf_counter()
regions = len(res.meta.get("regions") or res.meta["segments"])
print(json.dumps({{"warm_s": end - start, "process_s": end - t0, "regions": regions,
                  "commodities": len(res.meta["commodities"]),
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def measure(src: Path, draws: int, months: int, regions: str | None) -> dict:
    return run_child(src, CHILD.format(months=months, draws=draws, regions=regions))


def summarise(runs: list[dict], draws: int, months: int) -> dict:
    warm = statistics.median(r["warm_s"] for r in runs)
    cells = draws * months * runs[0]["commodities"] * runs[0]["regions"]
    return {"runs": runs, "warm_median_s": warm, "regions": runs[0]["regions"],
            "commodities": runs[0]["commodities"],
            "region_commodity_months_per_s": cells / warm,
            "draw_months_per_s": draws * months / warm,
            "process_median_s": statistics.median(r["process_s"] for r in runs),
            "peak_rss_mib_median": statistics.median(r["peak_rss_mib"] for r in runs)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True,
                        help="src folder of the first release")
    parser.add_argument("--draws", type=int, default=4096)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "regions.json")
    args = parser.parse_args(argv)
    current = HERE.parent / "src"
    configs = {"current_countries": (current, "countries"),
               "current_segments": (current, "segments"),
               "first_release": (args.baseline, None)}
    runs: dict[str, list[dict]] = {name: [] for name in configs}
    for _ in range(args.repeats):  # alternate, so drifting load hits every config alike
        for name, (src, regions) in configs.items():
            runs[name].append(measure(src, args.draws, args.months, regions))
    results = {name: summarise(r, args.draws, args.months) for name, r in runs.items()}
    base = results["first_release"]
    report = {
        "benchmark": "regions", "scenario": "ree-export-controls", "draws": args.draws,
        "months": args.months, "baseline": str(args.baseline), "results": results,
        "ratios_to_first_release": {
            name: {"region_commodity_months_per_s": res["region_commodity_months_per_s"]
                   / base["region_commodity_months_per_s"],
                   "draw_months_per_s": res["draw_months_per_s"] / base["draw_months_per_s"]}
            for name, res in results.items() if name != "first_release"},
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "platform": platform.platform()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps({name: {k: round(v, 3) if isinstance(v, float) else v
                             for k, v in res.items() if k != "runs"}
                      for name, res in results.items()}
                     | {"ratios": report["ratios_to_first_release"]}, indent=2))
    return report


if __name__ == "__main__":
    main()
