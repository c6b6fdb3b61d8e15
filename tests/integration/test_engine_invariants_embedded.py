"""The engine's invariants on the embedded data, for every built-in scenario and every month:
mass balance per commodity and region (the default country map; and per segment on the
first release's map), world imports = world exports, shortage = demand - consumption >= 0,
no negative stock or price, commercial stocks never above target."""

from __future__ import annotations

import pytest

from paxsilica.engine import simulate
from paxsilica.workflows import builtin_scenarios, load, load_scenario
from tests.unit.engine.conftest import (
    assert_invariants,
    assert_stocks_within_target,
    region_paths,
    stock_targets,
)

DRAWS, SEED = 24, 5


@pytest.fixture(scope="module")
def dataset():
    return load()


@pytest.mark.parametrize("name", [item["name"] for item in builtin_scenarios()])
def test_invariants_hold_on_the_embedded_data(dataset, name) -> None:
    scn = load_scenario(name, dataset)
    res = simulate(dataset, scn, draws=DRAWS, seed=SEED, keep_paths=False, region_paths=True)
    regions = region_paths(res.paths)
    assert res.meta["region_map"] == "countries" and regions.sizes["segment"] == 19
    assert_invariants(regions)
    assert_stocks_within_target(regions, stock_targets(dataset, scn))
    moved = float(abs(regions.price_ratio - 1.0).max())
    assert (moved > 0.01) == (name != "baseline")  # every shock moves some price
    segments = scn.model_copy(update={"regions": "segments"})
    res = simulate(dataset, segments, draws=DRAWS, seed=SEED)
    assert_invariants(res.paths)
    assert_stocks_within_target(res.paths, stock_targets(dataset, segments))
