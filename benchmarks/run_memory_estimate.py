"""Peak memory of one run in a fresh process: the calibration of the service's up-front
memory estimate (``paxsilica.api.runs.estimate_run``).

Usage::

    python benchmarks/run_memory_estimate.py DRAWS MONTHS KEEP_PATHS(0|1)

Prints the process's resident memory before the run, its peak (ru_maxrss), the difference per
cell-month (draws x commodities x segments x months) and the run's seconds. Figures are in
docs/reliability.md (section 4).
"""

from __future__ import annotations

import resource
import sys
import time

import psutil

from paxsilica import workflows
from paxsilica.dims import SEGMENTS
from paxsilica.engine import simulate


def main() -> None:
    draws, months, keep = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
    ds = workflows.load()
    scn = workflows.load_scenario("ree-export-controls", ds).model_copy(
        update={"horizon_months": months})
    base = psutil.Process().memory_info().rss
    started = time.perf_counter()
    simulate(ds, scn, draws=draws, seed=1, keep_paths=keep, workers=1)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    cells = draws * months * len(ds.commodities) * len(SEGMENTS)
    print(f"draws={draws} months={months} keep_paths={keep} base={base / 2**20:.0f} MiB "
          f"peak={peak / 2**20:.0f} MiB delta={(peak - base) / 2**20:.0f} MiB "
          f"cell_months={cells:.3g} bytes_per_cell_month={(peak - base) / cells:.1f} "
          f"seconds={seconds:.2f}")


if __name__ == "__main__":
    main()
