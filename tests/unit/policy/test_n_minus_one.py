"""The N-1 sweep ranks nodes in the right direction (issue 13, point 4), on hand-made data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from paxsilica.engine import simulate
from paxsilica.errors import ModelError, ScenarioError
from paxsilica.metrics.spof import outage_nodes
from paxsilica.policy.n_minus_one import (
    Outage,
    node_measures,
    outage_scenario,
    rank_nodes,
    run_outage_sweep,
    sample_stats,
)
from tests.unit.engine.conftest import commodity_row, make_dataset, scenario

DRAWS = 16


def world(usa_ore_a: float = 5.0):
    """chip (a capability, made by USA and JPN) needs ore_a and ore_b. China makes 95% of
    ore_a (USA the rest: ``usa_ore_a``); ore_b has four producers, none above 40%."""
    return make_dataset(
        [commodity_row("ore_a", stage="mining"), commodity_row("ore_b", stage="mining"),
         commodity_row("chip", stage="chip", price=1000.0, capability=True)],
        {"ore_a": {"CHN": 95.0, "USA": usa_ore_a},
         "ore_b": {"CHN": 40.0, "BRA": 25.0, "JPN": 20.0, "USA": 15.0},
         "chip": {"USA": 50.0, "JPN": 50.0}},
        recipes=[("chip", "ore_a", 1.0, 0.5), ("chip", "ore_b", 1.0, 0.5)],
        days_of_cover={"ore_a": 15.0, "ore_b": 15.0, "chip": 15.0})


#: A base whose draws differ (chip demand up 0..30%), so the directions are tested on Monte
#: Carlo estimates with common random numbers, over several seeds.
NOISY = [{"type": "demand_surge", "commodities": ["chip"],
          "magnitude": {"dist": "uniform", "low": 0.0, "high": 0.3}}]
SEEDS = (3, 17, 2026)


def sweep(ds, seed: int = 3, **kw):
    return run_outage_sweep(ds, scenario(NOISY), outage_nodes(ds, 0.05), draws=DRAWS,
                            seed=seed, **kw).table


def rank_of(table: pd.DataFrame, iso3: str, commodity: str) -> int:
    row = table[(table["iso3"] == iso3) & (table["commodity"] == commodity)]
    return int(row["rank"].iloc[0])


@pytest.mark.parametrize("seed", SEEDS)
def test_a_node_without_alternative_supplier_ranks_above_one_with_many(seed: int) -> None:
    table = sweep(world(), seed)
    # China's ore_a (95%, one small alternative) against China's ore_b (40%, three others)
    assert rank_of(table, "CHN", "ore_a") < rank_of(table, "CHN", "ore_b")
    first = table.iloc[0]
    assert (first["iso3"], first["commodity"]) == ("CHN", "ore_a")
    assert first["loss_p50"] > 0 and first["capability"] == "chip"
    many = table[(table["iso3"] == "CHN") & (table["commodity"] == "ore_b")].iloc[0]
    assert many["loss_mean"] < first["loss_mean"]
    assert first["loss_se"] > 0  # the draws differ: these are Monte Carlo estimates


@pytest.mark.parametrize("seed", SEEDS)
def test_adding_capacity_elsewhere_lowers_the_nodes_rank_and_loss(seed: int) -> None:
    before, after = sweep(world(5.0), seed), sweep(world(300.0), seed)  # USA ore_a: 5 -> 300
    assert rank_of(after, "CHN", "ore_a") > rank_of(before, "CHN", "ore_a")

    def loss(table):
        return float(table[(table["iso3"] == "CHN") & (table["commodity"] == "ore_a")]
                     ["loss_mean"].iloc[0])
    assert loss(after) < loss(before)


def test_measures_are_the_node_run_minus_the_base_run_on_the_same_draws() -> None:
    """Against two direct simulate calls: a base that already loses output (an ore_b outage
    of random severity) and the same base with China's ore_a out for four months."""
    ds = world()
    base = scenario([{"type": "supply_outage", "countries": ["CHN", "BRA", "JPN"],
                      "commodities": ["ore_b"],
                      "severity": {"dist": "uniform", "low": 0.3, "high": 0.9}}])
    outage = Outage(months=4, severity=1.0, start_month=2)
    nodes = pd.DataFrame({"iso3": ["CHN"], "commodity": ["ore_a"], "share": [0.95]})
    row = run_outage_sweep(ds, base, nodes, outage=outage, draws=DRAWS, seed=11).table.iloc[0]
    ref = simulate(ds, base, draws=DRAWS, seed=11, keep_paths=False)
    hit = simulate(ds, outage_scenario(base, "CHN", "ore_a", outage), draws=DRAWS, seed=11,
                   keep_paths=False)
    loss = (hit.outcomes["loss_share"] - ref.outcomes["loss_share"]).max("capability").values
    assert ref.outcomes["loss_share"].values.max() > 0  # the base itself loses output
    assert loss.mean() > 0 and loss.std() > 0
    assert row["loss_mean"] == pytest.approx(float(loss.mean()), abs=1e-7)
    assert row["loss_p95"] == pytest.approx(float(np.quantile(loss, 0.95)), abs=1e-7)
    short = (hit.outcomes["shortage_share"] - ref.outcomes["shortage_share"]).sel(
        segment="alliance").max("commodity").values
    assert row["shortage_p50"] == pytest.approx(float(np.median(short)), abs=1e-7)
    assert row["shortage_se"] == pytest.approx(float(short.std(ddof=1) / math.sqrt(DRAWS)),
                                               abs=1e-7)
    assert row["shortage_se"] > 0  # the base outage's severity varies by draw


def test_standard_error_is_std_over_root_draws() -> None:
    stats = sample_stats(np.array([0.0, 1.0, 2.0, 3.0]), "x")
    assert stats["x_mean"] == 1.5 and stats["x_p50"] == 1.5
    assert stats["x_se"] == pytest.approx(math.sqrt(5 / 3) / 2)
    assert stats["x_p95"] == pytest.approx(2.85)


def test_nodes_and_base_must_share_seed_and_draws() -> None:
    ds = world()
    a = simulate(ds, scenario(), draws=4, seed=1, keep_paths=False)
    b = simulate(ds, scenario(), draws=4, seed=2, keep_paths=False)
    with pytest.raises(ModelError, match="common random numbers"):
        node_measures(a, b)


def test_ranking_breaks_ties_on_loss_with_shortage_then_price() -> None:
    table = pd.DataFrame({"iso3": ["A", "B", "C"], "commodity": ["x", "x", "x"],
                          "loss_mean": [0.1, 0.1 + 1e-9, 0.0],
                          "shortage_mean": [0.2, 0.1, 0.9],
                          "peak_price_mean": [1.0, 3.0, 9.0]})
    assert rank_nodes(table)["iso3"].tolist() == ["A", "B", "C"]


@pytest.mark.parametrize(("outage", "field"), [(Outage(months=0), "duration_months"),
                                               (Outage(severity=1.5), "severity"),
                                               (Outage(start_month=24), "start_month")])
def test_an_outage_that_does_not_fit_names_its_field(outage: Outage, field: str) -> None:
    with pytest.raises(ScenarioError, match=field):
        outage_scenario(scenario(), "CHN", "ore_a", outage)


def test_too_few_draws_is_refused() -> None:
    ds = world()
    with pytest.raises(ModelError, match="at least 2 draws"):
        run_outage_sweep(ds, scenario(), outage_nodes(ds), draws=1, seed=1)


def test_no_node_above_the_threshold_is_an_empty_ranking_not_an_error() -> None:
    ds = world()
    nodes = outage_nodes(ds, 0.99)  # nobody makes 99% of anything here
    assert nodes.empty
    table = run_outage_sweep(ds, scenario(), nodes, draws=2, seed=1).table
    assert table.empty and list(table.columns[:3]) == ["rank", "iso3", "commodity"]


def test_scenario_names_stay_slugs_for_any_commodity_id() -> None:
    scn = outage_scenario(scenario(), "CHN", "Rare Earths_refining", Outage())
    assert scn.name == "n1-chn-rare-earths-refining"
