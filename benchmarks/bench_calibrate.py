"""ABC-SMC fit throughput: simulations per second in this process against a Dask LocalCluster,
for both samplers.

The reference is the in-process fit (``fit(client=None)``: every simulation's eight episodes
one after another); the scale-out runs the same fit with the episodes as Dask tasks on a
LocalCluster of 2 worker processes (cluster start excluded: a fit runs for tens of minutes).
pyabc's sampler submits one particle's episodes at a time; the replenishment sampler a whole
batch (the first population, then each generation's moves). Both fits of a sampler use the
same seed, so they run the same particles; the benchmark checks the posteriors are
identical. Medians of ``--repeats`` runs. Writes ``benchmarks/results/calibrate.json``.

Run: ``.venv/bin/python benchmarks/bench_calibrate.py [--population 8] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from paxsilica.calibration.episodes import load_episodes
from paxsilica.calibration.fit import METHODS, fit
from paxsilica.engine.distributed import connect
from paxsilica.workflows import load

OUT = Path(__file__).parent / "results" / "calibrate.json"


def _timed(run, repeats: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--population", type=int, default=8)
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    ds = load()
    episodes = load_episodes(ds=ds)
    out: dict[str, object] = {"draws_per_episode": args.draws, "episodes": len(episodes),
                              "repeats": args.repeats, "dask_workers": args.workers,
                              "machine": {"cpus": os.cpu_count(),
                                          "python": platform.python_version()}}
    with connect(processes=args.workers) as client:
        for method in METHODS:
            out[method] = _compare(episodes, ds, client, method, args)
    print(json.dumps(out, indent=1))
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    if not all(out[m]["same_posterior"] for m in METHODS):  # type: ignore[index]
        raise SystemExit("a Dask fit's posterior differs from the in-process fit's")


def _compare(episodes, ds, client, method: str, args) -> dict[str, object]:
    """One sampler's in-process and Dask timings (a first Dask fit warms the workers)."""
    kwargs = {"population": args.population, "generations": 1, "draws": args.draws,
              "seed": 5, "method": method}
    here_s, here = _timed(lambda: fit(episodes, ds, **kwargs), args.repeats)
    fit(episodes, ds, client=client, **kwargs)
    there_s, there = _timed(lambda: fit(episodes, ds, client=client, **kwargs), args.repeats)
    sims = here.simulations
    return {
        "simulations_per_fit": sims,
        "in_process_seconds": [round(t, 2) for t in here_s],
        "dask_seconds": [round(t, 2) for t in there_s],
        "in_process_simulations_per_s": round(sims / statistics.median(here_s), 3),
        "dask_simulations_per_s": round(sims / statistics.median(there_s), 3),
        "speedup_median": round(statistics.median(here_s) / statistics.median(there_s), 2),
        "same_posterior": bool(np.array_equal(here.posterior.to_numpy(),
                                              there.posterior.to_numpy())),
    }


if __name__ == "__main__":
    main()
