"""What sampling the behavioural posterior costs a Monte Carlo run, and the summaries that
made it affordable.

1. **Runs**: ``workflows.compute_run`` (what ``simulate`` and ``stress-test`` call per
   scenario: simulate, fans, metrics) on built-in scenarios at the stress test's 2,000 draws,
   under ``shipped`` (one compiled network, the reference), ``median`` (one network at the
   posterior P50, the crisis mechanisms on) and ``posterior`` (20 groups of 100 draws, a
   network each). Draws per second and the ratio to ``shipped``.
2. **Summaries**: ``engine.results.summarise_regions`` (every (commodity, region) cell
   reduced at once) against the plain reference below, one ``numpy.quantile`` call per cell
   and statistic (the engine's code before), on a 2,000-draw run of the country map; the
   benchmark checks both give the same frame bit for bit.

Medians of ``--repeats`` runs. Writes ``benchmarks/results/posterior.json``.

Run: ``.venv/bin/python benchmarks/bench_posterior.py [--repeats 3]``
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from paxsilica import workflows
from paxsilica.engine import simulate
from paxsilica.engine.results import QUANTILES, summarise_regions

OUT = Path(__file__).parent / "results" / "posterior.json"
SCENARIOS = ("ga-ge-ban", "ree-export-controls", "taiwan-strait")
DRAWS = 2_000


def _median_seconds(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _reference_stats(values: np.ndarray, prefix: str) -> dict[str, float]:
    """The plain reference: one sample's statistics, one NumPy call each."""
    values = np.asarray(values, dtype=float)
    n = values.size
    p5, p50, p95 = np.quantile(values, QUANTILES)
    k = math.ceil(0.05 * n)
    tail = np.partition(values, n - k)[n - k:]
    return {f"{prefix}_mean": float(values.mean()), f"{prefix}_p5": float(p5),
            f"{prefix}_p50": float(p50), f"{prefix}_p95": float(p95),
            f"{prefix}_var95": float(p95), f"{prefix}_cvar95": float(tail.mean())}


def _reference_regions(outcomes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The region summary and downstream tables, cell by cell."""
    peak = outcomes["region_peak_price_ratio"].values
    share = outcomes["region_shortage_share"].values
    stock_out = outcomes["region_stock_out_month"].values
    ceiling = outcomes["price_ceiling_ratio"].values
    rows = []
    for c, commodity in enumerate(outcomes["commodity"].values):
        for g, region in enumerate(outcomes["region"].values):
            months = stock_out[:, c, g]
            ran_out = ~np.isnan(months)
            median = np.quantile(np.where(ran_out, months, np.inf), 0.5, method="lower")
            row = {"commodity": str(commodity), "region": str(region)}
            row |= {k: v for k, v in _reference_stats(peak[:, c, g], "peak_price_ratio").items()
                    if not k.endswith(("var95", "cvar95"))}
            row |= _reference_stats(share[:, c, g], "shortage_share")
            row["stock_out_month_p50"] = float(median) if np.isfinite(median) else math.nan
            row["stock_out_probability"] = float(ran_out.mean())
            row["price_ceiling_share"] = float(
                (peak[:, c, g] >= ceiling[c] * (1.0 - 1e-5)).mean())
            rows.append(row)
    loss = outcomes["region_loss_share"].values
    downstream = pd.DataFrame(
        [{"capability": str(cap), "region": str(region)}
         | _reference_stats(loss[:, k, g], "loss_share")
         for k, cap in enumerate(outcomes["capability"].values)
         for g, region in enumerate(outcomes["region"].values)])
    return pd.DataFrame(rows), downstream


def bench_runs(ds, repeats: int) -> dict[str, object]:
    out: dict[str, object] = {}
    for name in SCENARIOS:
        scn = workflows.load_scenario(name, ds)
        seconds = {p: _median_seconds(
            lambda p=p: workflows.compute_run(scn, DRAWS, 11, ds, parameters=p), repeats)
            for p in ("shipped", "median", "posterior")}
        out[name] = {"seconds": seconds,
                     "draws_per_s": {p: DRAWS / s for p, s in seconds.items()},
                     "posterior_over_shipped": seconds["posterior"] / seconds["shipped"]}
    return out


def bench_summaries(ds, repeats: int) -> dict[str, object]:
    scn = workflows.load_scenario("taiwan-strait", ds)
    outcomes = simulate(ds, scn, draws=DRAWS, seed=11, keep_paths=False).outcomes
    fast, slow = summarise_regions(outcomes), _reference_regions(outcomes)
    for a, b in zip(fast, slow, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    vectorised = _median_seconds(lambda: summarise_regions(outcomes), repeats)
    reference = _median_seconds(lambda: _reference_regions(outcomes), repeats)
    return {"cells": int(len(fast[0])), "draws": DRAWS, "seconds_vectorised": vectorised,
            "seconds_reference": reference, "speedup": reference / vectorised,
            "identical": True}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    ds = workflows.load()
    out = {"draws": DRAWS, "repeats": args.repeats,
           "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
           "summaries": bench_summaries(ds, args.repeats),
           "runs": bench_runs(ds, args.repeats)}
    print(json.dumps(out, indent=1))
    OUT.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
