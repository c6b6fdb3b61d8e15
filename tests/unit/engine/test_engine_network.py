"""Compiling a Dataset and Scenario: topological order, demand split, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paxsilica.engine import simulate
from paxsilica.engine.network import compile_network, topological_layers
from paxsilica.errors import ModelError, ScenarioError
from tests.unit.engine.conftest import ban, mini, scenario


def _recipes(pairs: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame({"output": [o for o, _ in pairs], "input": [i for _, i in pairs]})


def test_layers_put_inputs_first() -> None:
    layers = topological_layers(["chip", "wafer", "ore", "power"],
                                _recipes([("chip", "wafer"), ("wafer", "ore"), ("chip", "power")]))
    assert layers == [["ore", "power"], ["wafer"], ["chip"]]


def test_cycle_is_named() -> None:
    with pytest.raises(ModelError, match="cycle: a -> b -> c -> a|cycle: b -> c -> a -> b"):
        topological_layers(["a", "b", "c", "d"],
                           _recipes([("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]))


def test_segments_supply_and_demand_split() -> None:
    net = compile_network(mini(), scenario())
    view = net.views[0]
    ore = net.commodity_index["ore"]
    # supply: alliance USA 100, restricting CHN 800, others BRA 60 + ROW 40 (t/yr -> t/month)
    np.testing.assert_allclose(view.supply0[ore] * 12, [100.0, 800.0, 100.0])
    # demand: 60% of ore goes into chips (made 80/20/0 by segment), the rest is split
    # 0.30/0.30/0.40 => alliance 0.6*0.8 + 0.4*0.3 = 0.60, restricting 0.24, others 0.16
    np.testing.assert_allclose(view.demand0[ore] * 12, [600.0, 240.0, 160.0])
    assert view.demand0.sum(axis=1) == pytest.approx(view.supply0.sum(axis=1))
    # 60 days of cover
    np.testing.assert_allclose(view.stock_target[ore], view.demand0[ore] * 60 / (365.25 / 12))


def test_membership_change_moves_supply() -> None:
    scn = scenario(policies=[{"type": "membership_change", "country": "BRA", "month": 5}])
    net = compile_network(mini(), scn)
    assert [v.start_month for v in net.views] == [0, 5]
    ore = net.commodity_index["ore"]
    np.testing.assert_allclose(net.views[1].supply0[ore] * 12, [160.0, 800.0, 40.0])


def test_unknown_commodity_names_the_field() -> None:
    with pytest.raises(ScenarioError) as info:
        simulate(mini(), scenario([ban(commodities=["oar"])]), draws=2)
    assert info.value.field == "shocks[0].commodities"
