"""expand_grid builds the Cartesian product; run_sweep stacks summaries on ``scenario``."""

from __future__ import annotations

import numpy as np
import pytest

from paxsilica.dims import SCENARIO
from paxsilica.engine import simulate
from paxsilica.engine.sweep import expand_grid, run_sweep
from paxsilica.errors import ScenarioError
from paxsilica.model.scenario import Scenario
from tests.unit.engine.conftest import ban, mini, scenario

BASE = scenario([ban(0.5)], horizon_months=12).model_dump(mode="json")


def test_grid_is_the_cartesian_product_in_order() -> None:
    grid = {"shocks.0.severity": [0.2, 0.9], "horizon_months": [6, 12, 24]}
    variants = expand_grid(BASE, grid)
    assert len(variants) == 6
    got = [(doc["shocks"][0]["severity"], doc["horizon_months"]) for _, _, doc in variants]
    assert got == [(0.2, 6), (0.2, 12), (0.2, 24), (0.9, 6), (0.9, 12), (0.9, 24)]
    assert [name for name, _, _ in variants] == [f"test-v{k}" for k in range(1, 7)]
    assert variants[4][1] == "shocks.0.severity=0.9, horizon_months=12"
    assert BASE["shocks"][0]["severity"] == 0.5  # the base document is not touched
    for name, _, doc in variants:
        assert Scenario.from_mapping(doc).name == name


@pytest.mark.parametrize(("grid", "field", "message"), [
    ({"shocks.3.severity": [1.0]}, "shocks.3.severity", "not an index"),
    ({"policies.x": [1]}, "policies.x", "not an index"),
    ({"nothing.here": [1]}, "nothing.here", "has no 'nothing'"),
    ({"horizon_months.x": [1]}, "horizon_months.x", "holds a value"),
    ({"horizon_months": []}, "horizon_months", "non-empty list"),
    ({"horizon_months": "12"}, "horizon_months", "non-empty list"),
])
def test_bad_grids_name_the_field(grid, field, message) -> None:
    with pytest.raises(ScenarioError, match=message) as info:
        expand_grid(BASE, grid, file="grid.yaml")
    assert info.value.field == field and info.value.file == "grid.yaml"


def test_empty_grid_is_refused() -> None:
    with pytest.raises(ScenarioError, match="dotted scenario paths"):
        expand_grid(BASE, {})


def test_sweep_stacks_the_same_numbers_as_single_runs() -> None:
    ds = mini()
    variants = [(n, label, Scenario.from_mapping(doc)) for n, label, doc in
                expand_grid(BASE, {"shocks.0.severity": [0.2, 0.6, 1.0]})]
    sweep = run_sweep(ds, variants, draws=300, seed=3)
    assert list(sweep.summary[SCENARIO].values) == ["test-v1", "test-v2", "test-v3"]
    assert sweep.summary["peak_price_ratio_mean"].dims == (SCENARIO, "commodity", "segment")
    for k, (_, _, scn) in enumerate(variants):
        alone = simulate(ds, scn, draws=300, seed=3, keep_paths=False)
        row = alone.summary.set_index(["commodity", "segment"])
        stacked = sweep.summary.isel({SCENARIO: k}).sel(commodity="ore", segment="alliance")
        assert float(stacked["shortage_share_p95"]) == row.loc[("ore", "alliance"),
                                                               "shortage_share_p95"]
    # common random numbers: a harsher ban never lowers the alliance's ore price
    peak = sweep.summary["peak_price_ratio_mean"].sel(commodity="ore", segment="alliance")
    assert np.all(np.diff(peak.values) >= 0) and peak.values[-1] > peak.values[0]


def test_a_sweep_on_the_country_map_stacks_every_region_and_names_the_hardest_hit(
        tmp_path) -> None:
    # China's magnet controls aimed at the bloc, then at Japan alone: the second variant
    # must hit Japan and no other member, region by region.
    from paxsilica import workflows

    grid = tmp_path / "grid.yaml"
    grid.write_text("shocks.0.targets: [pax-silica, JPN]\n", encoding="utf-8")
    out = workflows.sweep_scenario("ree-export-controls", grid, runs=40, seed=5)
    summary = out["sweep"].summary
    share = summary["region_shortage_share_p50"]
    assert share.dims == (SCENARIO, "commodity", "region")
    magnets = share.sel(commodity="ndfeb_magnets")
    bloc, japan = out["variants"]
    assert float(magnets.sel(region="JPN")[1]) > 0
    assert float(magnets.sel(region="KOR")[1]) == 0.0  # Korea is not targeted
    assert float(magnets.sel(region="KOR")[0]) > 0  # ...but is when the bloc is
    assert japan["hardest_hit"] == "JPN"
    assert bloc["hardest_hit"] is None and bloc["members_alike"] > 1
    assert summary["region_loss_share_p50"].dims == (SCENARIO, "capability", "region")
