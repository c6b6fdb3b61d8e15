"""Nodes and the structural view of single points of failure, on hand-made recipe graphs."""

from __future__ import annotations

import pytest

from paxsilica.errors import ModelError
from paxsilica.metrics.spof import capability_cuts, outage_nodes, sole_sources, upstream_of
from tests.unit.engine.conftest import commodity_row, make_dataset


def stack(ore: dict[str, float]):
    """ore -> wafer -> chip (a capability); gas -> chip; salt -> car (a second capability).

    Only ``ore``'s producers vary; wafer has two producers, gas four, salt two.
    """
    return make_dataset(
        [commodity_row("ore", stage="mining"), commodity_row("gas", stage="refining"),
         commodity_row("salt", stage="mining"), commodity_row("wafer", stage="component"),
         commodity_row("chip", stage="chip", capability=True),
         commodity_row("car", stage="component", capability=True)],
        {"ore": ore, "gas": {"CHN": 30.0, "USA": 30.0, "BRA": 20.0, "ROW": 20.0},
         "salt": {"BRA": 50.0, "JPN": 50.0}, "wafer": {"JPN": 60.0, "USA": 40.0}},
        recipes=[("wafer", "ore", 1.0, 1.0), ("chip", "wafer", 1.0, 0.5),
                 ("chip", "gas", 1.0, 0.5), ("car", "salt", 1.0, 1.0)])


def test_nodes_are_countries_above_the_threshold_largest_first_without_row() -> None:
    ds = stack({"CHN": 70.0, "USA": 26.0, "ROW": 4.0})
    nodes = outage_nodes(ds, threshold=0.25)
    pairs = list(zip(nodes["iso3"], nodes["commodity"], strict=True))
    # by hand: ore CHN .70, USA .26; gas CHN/USA .30; salt BRA/JPN .50; wafer JPN .60 USA .40
    assert pairs == [("CHN", "ore"), ("JPN", "wafer"), ("BRA", "salt"), ("JPN", "salt"),
                     ("USA", "wafer"), ("CHN", "gas"), ("USA", "gas"), ("USA", "ore")]
    assert nodes["share"].iloc[0] == pytest.approx(0.70)
    assert "ROW" not in set(outage_nodes(ds, threshold=0.01)["iso3"])


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5])
def test_a_threshold_outside_zero_one_is_refused(bad: float) -> None:
    ds = stack({"CHN": 1.0})
    with pytest.raises(ModelError, match="threshold"):
        outage_nodes(ds, threshold=bad)
    with pytest.raises(ModelError, match="dominance"):
        sole_sources(ds, dominance=bad)


def test_a_hand_made_single_country_input_is_found_and_cuts_only_its_capability() -> None:
    ds = stack({"CHN": 100.0})
    sole = sole_sources(ds, dominance=1.0)
    assert list(zip(sole["commodity"], sole["iso3"], strict=True)) == [("ore", "CHN")]
    cuts = capability_cuts(ds, dominance=1.0)
    # ore is upstream of chip (through wafer), not of car; nothing else has a sole source
    assert cuts[["capability", "iso3", "commodity"]].values.tolist() == [["chip", "CHN", "ore"]]
    assert cuts["path"].iloc[0] == ("ore", "wafer", "chip")


def test_any_other_supplier_even_the_lumped_rest_of_world_is_an_alternative() -> None:
    ds = stack({"CHN": 99.0, "ROW": 1.0})
    assert sole_sources(ds, dominance=1.0).empty
    assert capability_cuts(ds, dominance=1.0).empty
    # with dominance 0.95 a 1% remainder no longer counts as a supply route
    assert capability_cuts(ds, dominance=0.95)[["iso3", "commodity"]].values.tolist() == [
        ["CHN", "ore"]]


def test_losing_a_country_that_others_back_up_cuts_nothing() -> None:
    ds = stack({"CHN": 50.0, "USA": 50.0})
    assert capability_cuts(ds, dominance=1.0).empty
    # wafer and gas have several producers: no single loss there cuts chip either
    assert capability_cuts(ds, dominance=0.9).empty


def test_upstream_closure_follows_the_recipes_transitively() -> None:
    inputs = {"chip": ("gas", "wafer"), "wafer": ("ore",), "car": ("salt",)}
    assert upstream_of(inputs, "chip") == {"gas", "wafer", "ore"}
    assert upstream_of(inputs, "ore") == set()
