"""retune: a compiled network under other behaviour equals the network compiled afresh."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from paxsilica import workflows
from paxsilica.calibration.evaluate import PARAMETERS, options_and_dataset
from paxsilica.calibration.posterior import calibrated_values
from paxsilica.engine import EngineOptions, simulate
from paxsilica.engine.chunks import compile_model, retune_model
from paxsilica.engine.network import compile_network, retune
from paxsilica.engine.simulate import simulate_model
from paxsilica.errors import ModelError
from tests.unit.engine.conftest import ban, mini, scenario


def _assert_same(a, b) -> None:
    """Equal values, arrays element by element, through tuples and dataclasses."""
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            _assert_same(getattr(a, f.name), getattr(b, f.name))
    elif isinstance(a, tuple | list) and not isinstance(a, str):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _assert_same(x, y)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _assert_same(a[key], b[key])
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    elif hasattr(a, "equals"):  # pandas
        assert a.equals(b)
    else:
        assert a == b


@pytest.mark.parametrize("where", ["mini", "embedded"])
def test_retuned_network_is_the_fresh_compile(where: str) -> None:
    # every calibrated parameter moved at once (the shipped posterior's P50, which also
    # scales every demand elasticity)
    if where == "mini":
        ds, scn = mini(), scenario([ban(0.8)], horizon_months=6)
    else:
        ds = workflows.load()
        scn = workflows.load_scenario("ga-ge-ban", ds)
    other, data = options_and_dataset(ds, calibrated_values())
    moved = {f.name for f in dataclasses.fields(other)
             if getattr(other, f.name) != getattr(EngineOptions(), f.name)}
    # every engine parameter but restock_price_ratio, whose P50 (1.05) is the default
    assert {p.name for p in PARAMETERS} - {"demand_elasticity_scale",
                                           "restock_price_ratio"} <= moved
    fresh = compile_network(data, scn, other)
    tuned = retune(compile_network(ds, scn), data, other)
    assert tuned.options == other
    assert not np.array_equal(tuned.demand_elasticity, compile_network(ds, scn).demand_elasticity)
    for f in dataclasses.fields(fresh):
        _assert_same(getattr(tuned, f.name), getattr(fresh, f.name))
    # and it runs to the same numbers as the scenario compiled under those values
    model = retune_model(compile_model(ds, scn), data, other)
    alone = simulate(data, scn, draws=6, seed=3, options=other)
    again = simulate_model(model, draws=6, seed=3)
    for name in alone.paths.data_vars:
        np.testing.assert_array_equal(again.paths[name].values, alone.paths[name].values)
    assert again.meta["dataset_hash"] == data.content_hash


def test_options_that_shape_the_network_need_a_compile() -> None:
    ds, scn = mini(), scenario([ban(0.8)], horizon_months=6)
    net = compile_network(ds, scn)
    with pytest.raises(ModelError, match="cost_tranches shape the network"):
        retune(net, ds, dataclasses.replace(EngineOptions(), cost_tranches=5))
