"""Vault optimiser on the full built-in library: all 7 scenarios x 2,000 draws (target < 2 min).

Times separately: the fitted sample (7 engine runs, no stockpile), the LP solve (HiGHS), the
frontier (one LP per budget) and the whole ``plan_vault`` with its engine check (in sample
and out of sample, the optimal plan and both simple rules). Writes
``benchmarks/results/policy.json``.

Run: ``.venv/bin/python benchmarks/bench_policy.py [--draws N]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from paxsilica.data.yaml_lines import list_builtin
from paxsilica.policy.sample import alliance_demand, draw_shortages
from paxsilica.policy.stockpile import (VaultFinancing, default_candidates,
                                        optimise_stockpile, plan_vault)
from paxsilica.workflows import load, load_scenario


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=2000)
    args = parser.parse_args()
    ds = load()
    scns = [load_scenario(n, ds) for n in list_builtin()]
    cands = default_candidates(ds)
    table = ds.commodities.set_index("id")
    prices = {c: float(table.at[c, "price_usd"]) for c in cands}
    ids = list(ds.commodities["id"])
    demand = alliance_demand(ds, scns[0])
    monthly = {c: float(demand[ids.index(c)]) for c in cands}
    t0 = time.perf_counter()
    sample = draw_shortages(ds, scns, draws=args.draws, seed=20260202)
    t1 = time.perf_counter()
    plan, _ = optimise_stockpile(sample, prices, monthly, cands, budget_usd=12e9,
                                 financing=VaultFinancing(), years=3.0)
    t2 = time.perf_counter()
    full = plan_vault(ds, scns, draws=args.draws)
    t3 = time.perf_counter()
    out = {
        "scenarios": len(scns), "draws_per_scenario": args.draws,
        "candidates": len(cands), "lp_variables_pairs": int((sample.volume > 0).sum()),
        "sample_seconds": round(t1 - t0, 2), "lp_seconds": round(t2 - t1, 3),
        "solve_seconds": round(t2 - t0, 2), "plan_vault_with_checks_seconds": round(t3 - t2, 2),
        "spent_usd": sum(r.usd for r in full.rows),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
    }
    print(json.dumps(out, indent=2))
    path = Path(__file__).parent / "results" / "policy.json"
    path.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
