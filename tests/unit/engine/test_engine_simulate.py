"""simulate(): baseline, shocks and levers move the numbers the right way, invariants hold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paxsilica.dims import SEGMENTS
from paxsilica.engine import Results, simulate
from paxsilica.errors import ModelError
from paxsilica.model.dataset import Dataset
from tests.unit.engine.conftest import (assert_invariants, ban, commodity_row, make_dataset, mini,
                                       scenario)

ALL_LEVERS = [
    {"type": "stockpile", "holder": "pax-silica", "holdings": {"ore": 40.0},
     "release": {"trigger": "price", "threshold": 1.5}, "max_release_share": 0.25,
     "refill": {"below_price_ratio": 1.1, "budget_usd": 1e5}},
    {"type": "price_floor", "commodity": "ore", "floor_usd": 95.0, "eligible": "trade-club"},
    {"type": "trade_club_priority"},
    {"type": "capacity_investment", "country": "USA", "commodity": "ore", "capacity": 50.0,
     "lead_time_months": 6, "capex_usd": 2e6, "unit_cost": 80.0},
    {"type": "membership_change", "country": "BRA", "month": 3},
]
ALL_SHOCKS = [
    ban({"dist": "uniform", "low": 0.3, "high": 1.0},
        leakage={"dist": "uniform", "low": 0, "high": 0.3}, probability=0.8,
        start_month={"dist": "choice", "values": [0, 3]}),
    {"type": "supply_outage", "countries": ["USA"], "commodities": ["chip"], "severity": 0.4,
     "start_month": 2, "duration_months": 4},
    {"type": "demand_surge", "commodities": ["chip"], "magnitude": 0.2, "segments": ["alliance"]},
    {"type": "price_suppression", "commodities": ["ore"], "price_ratio": 0.6, "start_month": 4},
    {"type": "chokepoint_closure", "route": "malacca", "severity": 0.5, "duration_months": 3},
]


def _ds():
    """mini() plus a chokepoint: 70% of China's ore exports pass Malacca."""
    base = mini()
    tables = dict(base.tables)
    tables["chokepoints"] = pd.DataFrame([{"route": "malacca", "iso3": "CHN", "commodity": "ore",
                                           "transit_share": 0.7, "source": "test"}])
    return Dataset.from_tables(tables)


def test_baseline_has_no_shortage_and_baseline_prices() -> None:
    res = simulate(mini(), scenario(), draws=5)
    assert isinstance(res, Results)
    np.testing.assert_allclose(res.paths.price_ratio, 1.0, rtol=1e-12)
    assert float(res.paths.shortage.max()) == 0.0
    assert (res.summary["shortage_share_p95"] == 0).all()
    assert res.summary["stock_out_month_p50"].isna().all()
    np.testing.assert_allclose(res.paths.output_ratio, 1.0, rtol=1e-12)
    assert_invariants(res.paths)


def test_restriction_raises_alliance_price_and_shortage() -> None:
    res = simulate(mini(), scenario([ban(1.0)], horizon_months=36), draws=4)
    row = res.summary.set_index(["commodity", "segment"]).loc[("ore", "alliance")]
    assert row["peak_price_ratio_p50"] > 2.0
    assert row["shortage_share_p50"] > 0.0
    assert row["stock_out_month_p50"] >= 1  # 60 days of cover bridge the first month
    rest = res.summary.set_index(["commodity", "segment"]).loc[("ore", "restricting")]
    assert rest["peak_price_ratio_p50"] < 1.0 + 1e-9  # the glut stays at home
    assert (res.downstream["loss_share_p50"] > 0).all()
    assert_invariants(res.paths)


def test_strategic_stockpile_reduces_shortage() -> None:
    shocks = [ban(1.0)]
    without = simulate(mini(), scenario(shocks), draws=2)
    pile = {"type": "stockpile", "holder": "pax-silica", "holdings": {"ore": 300.0},
            "release": {"trigger": "shortage", "threshold": 0.001}}
    with_pile = simulate(mini(), scenario(shocks, [pile]), draws=2)
    short = lambda r: float(r.paths.shortage.sel(commodity="ore", segment="alliance").sum())  # noqa: E731
    assert short(with_pile) < short(without)
    released = float(with_pile.paths.release.sel(commodity="ore", segment="alliance").sum())
    assert released > 0
    assert float(with_pile.paths.stock_strategic.min()) >= 0
    assert_invariants(with_pile.paths)


def test_price_floor_pays_and_keeps_capacity() -> None:
    # BRA's ore costs 70 (0.7 x baseline); a suppression to 0.5 x drives it out after 6 months
    # unless a floor of 80 covers its cost.
    shocks = [{"type": "price_suppression", "commodities": ["ore"], "price_ratio": 0.5}]
    floor = {"type": "price_floor", "commodity": "ore", "floor_usd": 80.0, "eligible": ["BRA"]}
    bare = simulate(mini(), scenario(shocks), draws=2)
    kept = simulate(mini(), scenario(shocks, [floor]), draws=2)
    others = lambda r: r.paths.supply.sel(commodity="ore", segment="others").isel(draw=0)  # noqa: E731
    assert float(others(kept)[-1]) > float(others(bare)[-1])
    np.testing.assert_allclose(bare.paths.price_ratio.sel(commodity="ore", segment="alliance"),
                               0.5, rtol=1e-9)
    cost = kept.paths.policy_cost_usd.isel(draw=0)
    # CfD: (80 - 50) USD/t on BRA's output in month 0 (60 t/yr at baseline utilisation, with
    # supply responding to the expected price only from month 1)
    assert float(cost[0]) == pytest.approx(30.0 * 60.0 / 12.0, rel=1e-9)
    assert float(bare.paths.policy_cost_usd.max()) == 0.0
    assert_invariants(kept.paths)


def test_everything_at_once_keeps_invariants() -> None:
    res = simulate(_ds(), scenario(ALL_SHOCKS, ALL_LEVERS), draws=40)
    assert_invariants(res.paths)
    assert set(res.summary["segment"]) == set(SEGMENTS)
    assert res.meta["draws"] == 40 and res.meta["seed"] == 7
    assert res.cost["policy_cost_usd_mean"].iloc[0] > 0


def test_same_seed_same_arrays_and_chunking_is_invisible() -> None:
    scn = scenario(ALL_SHOCKS, ALL_LEVERS, horizon_months=6)
    n = 2 * 4096 + 17  # three blocks, the last one partial
    one = simulate(_ds(), scn, draws=n)
    chunked = simulate(_ds(), scn, draws=n, chunk_size=4096, workers=1)
    again = simulate(_ds(), scn, draws=n, chunk_size=5000)
    for other in (chunked, again):
        for name in one.paths.data_vars:
            np.testing.assert_array_equal(one.paths[name].values, other.paths[name].values)
    lean = simulate(_ds(), scn, draws=n, chunk_size=4096, keep_paths=False)
    assert lean.paths is None
    for name in one.outcomes.data_vars:
        np.testing.assert_array_equal(one.outcomes[name].values, lean.outcomes[name].values)
    assert one.summary.equals(lean.summary)
    # the first draws of a bigger run are the draws of a smaller one
    small = simulate(_ds(), scn, draws=100)
    np.testing.assert_array_equal(small.paths.price_ratio.values,
                                  one.paths.price_ratio.values[:100])
    other_seed = simulate(_ds(), scn, draws=100, seed=8)
    assert not np.array_equal(other_seed.paths.price_ratio.values, small.paths.price_ratio.values)


def test_outcomes_match_paths() -> None:
    res = simulate(mini(), scenario([ban(0.8)]), draws=3)
    peak = res.paths.price_ratio.max("month")
    np.testing.assert_allclose(res.outcomes.peak_price_ratio, peak, rtol=1e-6)
    share = res.paths.shortage.sum("month") / res.paths.demand.sum("month")
    np.testing.assert_allclose(res.outcomes.shortage_share, share, rtol=1e-6)
    loss = 1 - res.paths.output_ratio.mean("month")
    np.testing.assert_allclose(res.outcomes.loss_share, loss, rtol=1e-6, atol=1e-7)


def test_keep_paths_can_name_the_variables_it_keeps() -> None:
    ds = mini()
    scn = scenario([ban(0.8)], horizon_months=6)
    full = simulate(ds, scn, draws=5)
    some = simulate(ds, scn, draws=5, keep_paths=("shortage", "price_ratio"))
    assert set(some.paths.data_vars) == {"price_ratio", "shortage", "output_ratio",
                                         "policy_cost_usd"}
    for name in some.paths.data_vars:  # the same numbers as a run that keeps everything
        np.testing.assert_array_equal(some.paths[name].values, full.paths[name].values)
    with pytest.raises(ModelError, match="unknown path variable"):
        simulate(ds, scn, draws=5, keep_paths=("prices",))


def test_float32_paths_are_the_float64_paths_rounded() -> None:
    # the engine computes in float64 either way; float32 only stores the kept paths
    ds, scn = mini(), scenario([ban(0.8)], horizon_months=6)
    full = simulate(ds, scn, draws=5, keep_paths=("shortage", "price_ratio"))
    half = simulate(ds, scn, draws=5, keep_paths=("shortage", "price_ratio"),
                    path_precision="float32")
    for name in ("shortage", "price_ratio"):
        assert half.paths[name].dtype == np.float32
        np.testing.assert_array_equal(half.paths[name].values,
                                      full.paths[name].values.astype(np.float32))
    pd.testing.assert_frame_equal(half.summary, full.summary)  # outcomes stay float64
    with pytest.raises(ModelError, match="path_precision"):
        simulate(ds, scn, draws=5, path_precision="float16")


def test_policy_cost_is_what_the_policies_spend() -> None:
    # A world outage: the strategic stocks sell into the shortage. A state reserve of the data
    # (China's, or the USA's) is not a policy of the scenario, so its sales cost nothing;
    # the alliance's stockpile lever earns (a negative cost) what it sells at the price.
    def run(stockpiles: list, policies: list) -> Results:
        ds = make_dataset(
            [commodity_row("ore", stage="mining", e_d=-0.3, e_s=0.2, cap=5.0)],
            {"ore": {"CHN": 800.0, "USA": 100.0, "BRA": 60.0, "ROW": 40.0}},
            days_of_cover={"ore": 10.0}, stockpiles=stockpiles)
        outage = {"type": "supply_outage", "countries": ["CHN", "USA", "BRA", "ROW"],
                  "commodities": ["ore"], "severity": 0.9, "start_month": 1,
                  "duration_months": 3}
        return simulate(ds, scenario([outage], policies, horizon_months=6), draws=4)

    lever = {"type": "stockpile", "holder": "pax-silica", "holdings": {"ore": 200.0},
             "release": {"trigger": "shortage", "threshold": 0.001}}
    runs = {"CHN": run([("CHN", "ore", 200.0)], []), "USA": run([("USA", "ore", 200.0)], []),
            "lever": run([], [lever])}
    for name, segment in (("CHN", "restricting"), ("USA", "alliance"), ("lever", "alliance")):
        held = runs[name].paths.stock_strategic.sel(commodity="ore", segment=segment)
        assert float(held.isel(draw=0, month=-1)) < 200.0  # every stock sold some
        assert_invariants(runs[name].paths)
    for name in ("CHN", "USA"):
        assert float(abs(runs[name].paths.policy_cost_usd).max()) == 0.0
    lever_run = runs["lever"]
    sold = lever_run.paths.release.sel(commodity="ore", segment="alliance")
    price = lever_run.paths.price_ratio.sel(commodity="ore", segment="alliance")
    # from month 2 the commercial stock is spent, so the alliance's release is the lever's
    # (ore: 100 US$/t at baseline)
    cost = lever_run.paths.policy_cost_usd.values
    assert (cost[:, 2:4] < 0).all()
    np.testing.assert_allclose(cost[:, 2:], -(sold * price * 100.0).values[:, 2:], rtol=1e-9)
