"""ABC-SMC fit throughput: simulations per second in this process against a Dask LocalCluster.

The reference is the in-process fit (``fit(client=None)``: pyabc's single-core sampler, each
particle's eight episodes one after another); the scale-out runs the same fit with each
particle's episodes as Dask tasks on a LocalCluster of 2 worker processes (cluster start
excluded: a fit runs for tens of minutes). Both fits use the same seed, so they run the same
particles; the benchmark checks the posteriors are identical. Medians of ``--repeats`` runs.
Writes ``benchmarks/results/calibrate.json``.

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
from paxsilica.calibration.fit import fit
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
    kwargs = {"population": args.population, "generations": 1, "draws": args.draws, "seed": 5}
    here_s, here = _timed(lambda: fit(episodes, ds, **kwargs), args.repeats)
    with connect(processes=args.workers) as client:
        fit(episodes, ds, client=client, **kwargs)  # warm the workers' imports
        there_s, there = _timed(lambda: fit(episodes, ds, client=client, **kwargs),
                                args.repeats)
    same = bool(np.array_equal(here.posterior.to_numpy(), there.posterior.to_numpy()))
    sims = here.simulations
    out = {
        "simulations_per_fit": sims, "draws_per_episode": args.draws,
        "episodes": len(episodes), "repeats": args.repeats,
        "in_process_seconds": [round(t, 2) for t in here_s],
        "dask_seconds": [round(t, 2) for t in there_s], "dask_workers": args.workers,
        "in_process_simulations_per_s": round(sims / statistics.median(here_s), 3),
        "dask_simulations_per_s": round(sims / statistics.median(there_s), 3),
        "speedup_median": round(statistics.median(here_s) / statistics.median(there_s), 2),
        "same_posterior": same,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    print(json.dumps(out, indent=1))
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    if not same:
        raise SystemExit("the Dask fit's posterior differs from the in-process fit's")


if __name__ == "__main__":
    main()
