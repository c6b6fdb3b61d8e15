"""Engine throughput in cell-months per second (draws x months x commodities x segments / s).

Measures, in the same run: the full engine (``simulate``, keep_paths=False, a restriction +
outage + stockpile scenario on a synthetic 40-commodity, 4-layer market); a plain Python loop
of the same clearing step, one scalar market at a time
(:func:`paxsilica.engine.clearing.clear_loop`); and the full kernel called once per draw.
Reports medians of repeats and writes ``benchmarks/results/engine.json``.

Run: ``.venv/bin/python benchmarks/bench_engine.py [--draws N] [--repeats R]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from paxsilica.engine import simulate
from paxsilica.engine.clearing import clear_loop
from paxsilica.engine.kernel import run_block
from paxsilica.engine.levers import compile_levers
from paxsilica.engine.network import compile_network
from paxsilica.engine.sampling import compile_shocks
from paxsilica.model.dataset import Dataset
from paxsilica.model.scenario import Scenario

COUNTRIES = ("USA", "JPN", "KOR", "CHN", "BRA", "IND", "ROW")


def synthetic(n_commodities: int = 40, layers: int = 4, seed: int = 1) -> Dataset:
    """A seeded synthetic market: ``layers`` layers, each commodity using 1-3 upstream inputs."""
    rng = np.random.default_rng(seed)
    ids = [f"c{k:02d}" for k in range(n_commodities)]
    per = n_commodities // layers
    rows, prod, recipes = [], [], []
    for k, cid in enumerate(ids):
        rows.append({"id": cid, "material": cid, "stage": "refining", "name_en": cid,
                     "name_ar": cid, "unit": "t", "price_usd": 100.0,
                     "demand_elasticity": -rng.uniform(0.1, 0.8),
                     "supply_elasticity": rng.uniform(0.05, 0.6), "eol_recycling_rate": 0.0,
                     "substitution_index": 1.0, "price_cap_ratio": rng.uniform(2, 6),
                     "lead_time_months": 24, "exit_months": 6, "is_capability": k >= n_commodities - 3,
                     "source": "s"})
        for iso3 in COUNTRIES:
            q = rng.uniform(0, 100) * (5 if iso3 == "CHN" else 1)
            prod.append({"commodity": cid, "iso3": iso3, "year": 2024, "quantity": q,
                         "capacity": q * 1.2, "unit_cost": rng.uniform(40, 95),
                         "reliability": "estimate", "source": "s"})
        if k >= per:
            layer = min(k // per, layers - 1)
            ups = rng.choice(np.arange((layer - 1) * per, layer * per), rng.integers(1, 4),
                             replace=False)
            recipes += [{"output": cid, "input": ids[u], "coefficient": 1.0,
                         "input_share": 0.3, "source": "s"} for u in ups]
    tables = {
        "sources": pd.DataFrame([{"id": "s", "citation": "synthetic", "kind": "estimate"}]),
        "countries": pd.DataFrame([{"iso3": c, "name_en": c, "name_ar": c, "source": "s"}
                                   for c in COUNTRIES]),
        "blocs": pd.DataFrame([{"bloc": "pax-silica", "iso3": c, "role": "member", "source": "s"}
                               for c in ("USA", "JPN", "KOR")]),
        "commodities": pd.DataFrame(rows), "production": pd.DataFrame(prod),
        "recipes": pd.DataFrame(recipes),
        "inventories": pd.DataFrame([{"commodity": c, "days_of_cover": 45.0, "source": "s"}
                                     for c in ids]),
    }
    return Dataset.from_tables(tables)


def scenario(ids: list[str], months: int) -> Scenario:
    return Scenario.from_mapping({
        "name": "bench", "title": "bench", "restricting": ["CHN"], "horizon_months": months,
        "seed": 1, "shocks": [
            {"type": "export_restriction", "commodities": ids[:8],
             "severity": {"dist": "uniform", "low": 0.4, "high": 1.0}, "leakage": 0.1,
             "start_month": {"dist": "choice", "values": [0, 3, 6]}},
            {"type": "supply_outage", "countries": ["KOR"], "commodities": ids[10:14],
             "severity": {"dist": "beta", "a": 2, "b": 5}, "probability": 0.3,
             "duration_months": 6}],
        "policies": [{"type": "stockpile", "holder": "pax-silica",
                      "holdings": {c: 50.0 for c in ids[:8]},
                      "release": {"trigger": "price", "threshold": 1.5}}]})


def bench_engine(ds: Dataset, scn: Scenario, draws: int, repeats: int) -> dict:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        simulate(ds, scn, draws=draws, keep_paths=False)
        times.append(time.perf_counter() - start)
    cells = draws * scn.horizon_months * len(ds.commodities) * 3
    median = statistics.median(times)
    return {"draws": draws, "seconds": times, "median_s": median,
            "cell_months_per_s": cells / median}


def bench_loop(n_commodities: int, months: int, draws: int, repeats: int) -> dict:
    rng = np.random.default_rng(0)
    shape = (draws, n_commodities, 3)
    e_d, cap = -rng.uniform(0.1, 0.8, n_commodities), rng.uniform(2, 6, n_commodities)
    demand = rng.uniform(1, 10, shape)
    stock, target = demand * 1.5, demand * 1.5
    available = [demand * rng.uniform(0.3, 1.3, shape) for _ in range(months)]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for month in range(months):
            clear_loop(available[month], demand, stock, target, e_d, cap, 0.05, 1 / 3)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return {"draws": draws, "seconds": times, "median_s": median,
            "cell_months_per_s": draws * months * n_commodities * 3 / median}


def bench_kernel_per_draw(ds: Dataset, scn: Scenario, draws: int, repeats: int) -> dict:
    """The same kernel called once per draw (vectorised over commodities and segments only)."""
    net = compile_network(ds, scn)
    shocks, levers = compile_shocks(net, scn), compile_levers(ds, net, scn)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for draw in range(draws):
            run_block(net, shocks, levers, 1, draw, 1)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    cells = draws * scn.horizon_months * net.n_commodities * 3
    return {"draws": draws, "seconds": times, "median_s": median,
            "cell_months_per_s": cells / median}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=16384)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "engine.json")
    args = parser.parse_args(argv)
    ds = synthetic()
    ids = sorted(ds.commodities["id"])
    scn = scenario(ids, args.months)
    engine = bench_engine(ds, scn, args.draws, args.repeats)
    loop = bench_loop(len(ids), args.months, 8, args.repeats)
    per_draw = bench_kernel_per_draw(ds, scn, 8, args.repeats)
    report = {
        "benchmark": "engine", "commodities": len(ids), "segments": 3, "months": args.months,
        "engine": engine, "loop_reference": loop, "kernel_per_draw": per_draw,
        "speedup": engine["cell_months_per_s"] / loop["cell_months_per_s"],
        "speedup_vs_kernel_per_draw": (engine["cell_months_per_s"]
                                       / per_draw["cell_months_per_s"]),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "numpy": np.__version__, "platform": platform.platform()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps({k: report[k] for k in ("speedup", "speedup_vs_kernel_per_draw",
                                             "peak_rss_mib")}
                     | {"engine_cm_per_s": engine["cell_months_per_s"],
                        "loop_cm_per_s": loop["cell_months_per_s"]}, indent=2))
    return report


if __name__ == "__main__":
    main()
