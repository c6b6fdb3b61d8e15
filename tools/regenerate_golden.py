"""Regenerate the golden summaries of the built-in scenario library.

``tests/golden/library.json``: the default region map (countries), alliance aggregates and
each member region's capability losses. ``tests/golden/library_segments.json``: the first
release's market (the three segments, pro-rata routing), which the region engine must keep
reproducing.

Run only on purpose, after a change that is meant to move the numbers, and say why in the
commit: ``python tools/regenerate_golden.py``. tests/integration/test_golden.py compares a
fresh run against these files.
"""

from __future__ import annotations

import json
from pathlib import Path

from paxsilica import workflows
from paxsilica.engine import simulate
from paxsilica.engine.network import EngineOptions

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "golden" / "library.json"
GOLDEN_SEGMENTS = GOLDEN.with_name("library_segments.json")
#: region map -> engine options of each golden file
VARIANTS = {"countries": (GOLDEN, None),
            "segments": (GOLDEN_SEGMENTS, EngineOptions(observed_routes=False))}
DRAWS = 512
SEED = 20260112
KEYS = ("peak_price_ratio_p50", "peak_price_ratio_p95", "shortage_share_p50",
        "shortage_share_p95", "stock_out_month_p50")


def golden_summaries(regions: str = "countries") -> dict[str, object]:
    """Alliance summaries and downstream losses of every built-in at a fixed seed (and each
    member region's capability losses when the map has regions of its own)."""
    ds = workflows.load()
    options = VARIANTS[regions][1]
    out: dict[str, object] = {"draws": DRAWS, "seed": SEED, "dataset_hash": ds.content_hash,
                              "regions": regions, "scenarios": {}}
    for name in workflows.builtin_scenarios():
        scn = workflows.load_scenario(name["name"], ds)
        results = simulate(ds, scn, draws=DRAWS, seed=SEED, keep_paths=False, regions=regions,
                           options=options)
        summary = results.summary
        alliance = summary[summary["segment"] == "alliance"].set_index("commodity")
        entry = {
            "alliance": {c: {k: _plain(alliance.loc[c, k]) for k in KEYS}
                         for c in sorted(alliance.index)},
            "downstream": {r["capability"]: _plain(r["loss_share_p95"])
                           for r in results.downstream.to_dict(orient="records")},
        }
        if regions != "segments":
            members = [r for r, seg in results.meta["region_segments"].items()
                       if seg == "alliance"]
            losses = results.region_downstream
            losses = losses[losses["region"].isin(members)]
            entry["members"] = {f"{r['region']}:{r['capability']}": _plain(r["loss_share_p95"])
                                for r in losses.to_dict(orient="records")}
        out["scenarios"][name["name"]] = entry
    return out


def _plain(value: object) -> float | None:
    number = float(value)
    return None if number != number else number


if __name__ == "__main__":
    for variant, (path, _) in VARIANTS.items():
        path.write_text(json.dumps(golden_summaries(variant), indent=1, sort_keys=True) + "\n",
                        encoding="utf-8")
        print(f"wrote {path}")
