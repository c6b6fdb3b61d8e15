"""Peak memory of a long run: N draws of a 60-month scenario streamed in chunks (numpy).

    python benchmarks/bench_memory.py --draws 1000000 --out benchmarks/results/memory.json
    python benchmarks/bench_memory.py --draws 1000000 --months 12 --workers 1 \
        --out benchmarks/results/memory_regions.json

Uses ga-ge-ban with its horizon set to 60 months and ``keep_paths=False``, so only per-draw
outcomes are kept and summarised at the end. Peak RSS comes from getrusage (whole process).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from pathlib import Path

from paxsilica.data.package import read_package
from paxsilica.data.yaml_lines import read_scenario_document
from paxsilica.engine import simulate
from paxsilica.model.dataset import Dataset
from paxsilica.model.scenario import Scenario


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=None,
                        help="threads running blocks at once (default: every core); each "
                             "block in flight holds its own state")
    args = parser.parse_args()
    # Only the engine's own dependencies (the device machine may lack the service stack).
    ds = Dataset.from_tables(read_package())
    obj, lines, file = read_scenario_document("ga-ge-ban")
    scn = Scenario.from_mapping(obj, lines=lines, file=file).model_copy(
        update={"horizon_months": args.months})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    results = simulate(ds, scn, draws=args.draws, seed=1, keep_paths=False,
                       workers=args.workers)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cells = args.draws * args.months * len(results.meta["commodities"]) * 3
    record = {"benchmark": "memory", "draws": args.draws, "months": args.months,
              "commodities": len(results.meta["commodities"]), "seconds": seconds,
              "cell_months_per_s": cells / seconds, "peak_rss_mib": peak_kib / 1024,
              "rss_before_run_mib": before / 1024, "cpus": os.cpu_count(),
              "workers": args.workers or os.cpu_count(),
              "machine": platform.processor() or platform.machine()}
    print(json.dumps(record))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
