"""Scaling study: throughput (cell-months/s) and peak memory against draws, per backend.

Cell-months = draws x months x commodities x segments. The workload is the embedded data
package (39 commodities, 3 segments) with a built-in scenario (default ``ga-ge-ban``,
36 months), so one draw is 4,212 cell-months.

Modes (each measurement runs in a fresh subprocess, so peak RSS is that run's own):

* ``cpu``: numpy 1 worker (``simulate(workers=1)``), Dask 2 workers (``simulate(processes=2)``,
  cluster start included, and ``warm``: on a running cluster), JAX on the CPU (float64 and
  float32; compile included and excluded) at 10^3 .. 10^5 draws (10^6 with ``--big``);
* ``gpu``: JAX on the GPU, float32 and float64, at several draw counts: end to end (host
  random numbers, transfers, placement) and device-only (kernel on resident inputs);
* ``profile``: cProfile of one numpy block (where the time goes).

Run: ``.venv/bin/python benchmarks/bench_scaling.py cpu [--big] [--out FILE]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

SCENARIO = "ga-ge-ban"
HERE = Path(__file__).parent


def _load(scenario: str):
    from paxsilica.data.package import read_package
    from paxsilica.data.yaml_lines import read_scenario_document
    from paxsilica.model.dataset import Dataset
    from paxsilica.model.scenario import Scenario

    ds = Dataset.from_tables(read_package())
    obj, lines, file = read_scenario_document(scenario)
    return ds, Scenario.from_mapping(obj, lines=lines, file=file)


def _cells(ds, scn, draws: int) -> int:
    return draws * scn.horizon_months * len(ds.commodities) * 3


def _rss_mib() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_rss_mib": round(own, 1), "peak_child_rss_mib": round(kids, 1)}


def one(kind: str, draws: int, scenario: str, repeats: int) -> dict:
    """One measurement in this process (called in a subprocess by ``cpu``)."""
    from paxsilica.engine import simulate

    ds, scn = _load(scenario)
    row: dict = {"kind": kind, "draws": draws}
    if kind == "numpy-1":
        run = lambda: simulate(ds, scn, draws=draws, seed=1, keep_paths=False, workers=1)  # noqa: E731
    elif kind == "dask-2":
        run = lambda: simulate(ds, scn, draws=draws, seed=1, keep_paths=False, processes=2)  # noqa: E731
    elif kind == "dask-2-warm":
        return _dask_warm(ds, scn, draws, repeats) | row
    elif kind.startswith("jax-cpu"):
        precision = "float32" if kind.endswith("32") else "float64"
        run = lambda: simulate(ds, scn, draws=draws, seed=1, keep_paths=False,  # noqa: E731
                               backend="jax", precision=precision)
    else:
        raise SystemExit(f"unknown kind {kind}")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    best = min(times)
    return row | {"seconds": [round(t, 3) for t in times], "best_s": round(best, 3),
                  "cell_months_per_s": _cells(ds, scn, draws) / best} | _rss_mib()


def _dask_warm(ds, scn, draws: int, repeats: int) -> dict:
    from paxsilica.engine.chunks import compile_model
    from paxsilica.engine.distributed import Job, connect, run_jobs

    model = compile_model(ds, scn)
    start = time.perf_counter()
    with connect(2) as client:
        started = time.perf_counter() - start
        run_jobs(client, [Job(model, 1, min(draws, 4096))])  # workers import paxsilica
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            run_jobs(client, [Job(model, 1, draws)])
            times.append(time.perf_counter() - t)
    best = min(times)
    return {"cluster_start_s": round(started, 3), "seconds": [round(t, 3) for t in times],
            "best_s": round(best, 3), "cell_months_per_s": _cells(ds, scn, draws) / best} \
        | _rss_mib()


def cpu(args: argparse.Namespace) -> dict:
    sizes = [1_000, 10_000, 100_000] + ([1_000_000] if args.big else [])
    kinds = ["numpy-1", "dask-2", "dask-2-warm", "jax-cpu-64", "jax-cpu-32"]
    rows = []
    for draws in sizes:
        for kind in kinds:
            repeats = 3 if draws <= 10_000 else 1
            cmd = [sys.executable, __file__, "one", kind, str(draws), "--scenario",
                   args.scenario, "--repeats", str(repeats)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=False)
            row = (json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0
                   else {"kind": kind, "draws": draws, "error": out.stderr[-400:]})
            print(json.dumps(row), flush=True)
            rows.append(row)
    return {"mode": "cpu", "scenario": args.scenario, "rows": rows, "machine": _machine()}


def gpu(args: argparse.Namespace) -> dict:
    import jax

    from paxsilica.engine import backend_jax
    from paxsilica.engine.chunks import compile_model
    from paxsilica.engine.scale import run_local
    from paxsilica.engine.sampling import BLOCK_DRAWS

    ds, scn = _load(args.scenario)
    model = compile_model(ds, scn)
    rows = []
    card = backend_jax.device_name()
    for precision in ("float32", "float64"):
        for draws in args.draws:
            per = max(1, min(args.blocks_per_call, -(-draws // BLOCK_DRAWS)))
            kernel = backend_jax._kernel(model, precision)
            inputs = [jax.device_put(a) for a in
                      backend_jax.shock_arrays(model, 1, 0, per, precision)]
            t = time.perf_counter()
            jax.block_until_ready(kernel(*inputs))
            compile_s = time.perf_counter() - t
            dev = []
            for _ in range(3):
                t = time.perf_counter()
                jax.block_until_ready(kernel(*inputs))
                dev.append(time.perf_counter() - t)
            dev_cm = _cells(ds, scn, per * BLOCK_DRAWS) / min(dev)
            t = time.perf_counter()
            run_local(model, 1, draws, chunk_size=per * BLOCK_DRAWS, backend="jax",
                      precision=precision)
            e2e = time.perf_counter() - t
            row = {"precision": precision, "draws": draws, "draws_per_call": per * BLOCK_DRAWS,
                   "compile_s": round(compile_s, 3), "device_call_s": round(min(dev), 4),
                   "device_cell_months_per_s": dev_cm, "end_to_end_s": round(e2e, 3),
                   "end_to_end_cell_months_per_s": _cells(ds, scn, draws) / e2e, "card": card}
            print(json.dumps(row), flush=True)
            rows.append(row)
    best = max(r["device_cell_months_per_s"] for r in rows)
    summary = {"mode": "gpu", "scenario": args.scenario, "card": card,
               "jax": jax.__version__, "best_device_cell_months_per_s": best,
               "best_end_to_end_cell_months_per_s":
                   max(r["end_to_end_cell_months_per_s"] for r in rows),
               "rows": rows, "machine": _machine()}
    print(json.dumps({k: summary[k] for k in ("card", "best_device_cell_months_per_s",
                                              "best_end_to_end_cell_months_per_s")}))
    return summary


def profile(args: argparse.Namespace) -> dict:
    import cProfile
    import pstats

    from paxsilica.engine.chunks import compile_model, run_chunk

    ds, scn = _load(args.scenario)
    model = compile_model(ds, scn)
    run_chunk(model, 1, 0, 1, BLOCK)  # warm caches
    prof = cProfile.Profile()
    prof.enable()
    run_chunk(model, 1, 0, 1, BLOCK)
    prof.disable()
    stats = pstats.Stats(prof)
    total = stats.total_tt
    rows = sorted(((v[2], f"{Path(k[0]).name}:{k[2]}") for k, v in stats.stats.items()),
                  reverse=True)[:15]
    out = [{"function": name, "self_s": round(t, 3), "share": round(t / total, 3)}
           for t, name in rows]
    for row in out:
        print(json.dumps(row))
    return {"mode": "profile", "scenario": args.scenario, "block_draws": BLOCK,
            "total_s": round(total, 3), "top": out, "machine": _machine()}


BLOCK = 4096


def _machine() -> dict:
    import numpy as np

    return {"cpus": os.cpu_count(), "python": sys.version.split()[0], "numpy": np.__version__,
            "platform": platform.platform(), "processor": platform.processor()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["cpu", "gpu", "profile", "one"])
    parser.add_argument("kind", nargs="?")
    parser.add_argument("n", nargs="?", type=int)
    parser.add_argument("--scenario", default=SCENARIO)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--big", action="store_true", help="cpu: also 10^6 draws")
    parser.add_argument("--draws", type=int, nargs="*",
                        default=[65_536, 262_144, 1_048_576, 4_194_304])
    parser.add_argument("--blocks-per-call", type=int, default=256)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.mode == "one":
        print(json.dumps(one(args.kind, args.n, args.scenario, args.repeats)))
        return
    report = {"cpu": cpu, "gpu": gpu, "profile": profile}[args.mode](args)
    out = args.out or HERE / "results" / f"scaling_{args.mode}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
