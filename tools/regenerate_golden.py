"""Regenerate the golden summaries of the built-in scenario library (tests/golden/library.json).

Run only on purpose, after a change that is meant to move the numbers, and say why in the
commit: ``python tools/regenerate_golden.py``. tests/integration/test_golden.py compares a
fresh run against this file.
"""

from __future__ import annotations

import json
from pathlib import Path

from paxsilica import workflows

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "golden" / "library.json"
DRAWS = 512
SEED = 20260112
KEYS = ("peak_price_ratio_p50", "peak_price_ratio_p95", "shortage_share_p50",
        "shortage_share_p95", "stock_out_month_p50")


def golden_summaries() -> dict[str, object]:
    """Alliance summaries and downstream losses of every built-in at a fixed seed."""
    ds = workflows.load()
    out: dict[str, object] = {"draws": DRAWS, "seed": SEED, "dataset_hash": ds.content_hash,
                              "scenarios": {}}
    for name in workflows.builtin_scenarios():
        outcome = workflows.simulate_scenario(name["name"], runs=DRAWS, seed=SEED, ds=ds,
                                              store=False)
        summary = outcome.results.summary
        alliance = summary[summary["segment"] == "alliance"].set_index("commodity")
        out["scenarios"][name["name"]] = {
            "alliance": {c: {k: _plain(alliance.loc[c, k]) for k in KEYS}
                         for c in sorted(alliance.index)},
            "downstream": {r["capability"]: _plain(r["loss_share_p95"])
                           for r in outcome.results.downstream.to_dict(orient="records")},
        }
    return out


def _plain(value: object) -> float | None:
    number = float(value)
    return None if number != number else number


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(golden_summaries(), indent=1, sort_keys=True) + "\n",
                      encoding="utf-8")
    print(f"wrote {GOLDEN}")
