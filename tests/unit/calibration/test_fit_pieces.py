"""The fit's pieces by hand: band distance, weighted quantiles, observables on known paths."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from paxsilica import workflows
from paxsilica.calibration.evaluate import options_and_dataset, shipped_values
from paxsilica.calibration.fit import band_distance, effective_sample_size, weighted_quantile
from paxsilica.calibration.observables import OBSERVABLES


def test_band_distance_by_hand() -> None:
    assert band_distance(2.0, (1.89, 2.40)) == 0.0
    assert band_distance(2.4, (1.89, 2.40)) == 0.0  # ends are inside
    # 10% above the top: ln(2.64 + 0.01) - ln(2.40 + 0.01)
    assert band_distance(2.64, (1.89, 2.40)) == pytest.approx(math.log(2.65 / 2.41))
    # half the bottom: ln(1.01 / 2.01)
    assert band_distance(1.0, (2.0, math.inf)) == pytest.approx(math.log(2.01 / 1.01))
    # a share near zero: 0.17 against at most 0.01 -> ln(0.18 / 0.02)
    assert band_distance(0.17, (0.0, 0.01)) == pytest.approx(math.log(9.0))
    assert band_distance(-0.1, (0.0, 0.01)) == 0.0  # clamped at zero
    assert band_distance(float("nan"), (0.0, 1.0)) == 3.0


def test_weighted_quantile_by_hand() -> None:
    x = np.array([3.0, 1.0, 2.0])
    w = np.array([0.2, 0.5, 0.3])  # CDF over 1, 2, 3: 0.5, 0.8, 1.0
    assert weighted_quantile(x, w, 0.5) == 1.0
    assert weighted_quantile(x, w, 0.6) == 2.0
    assert weighted_quantile(x, w, 0.95) == 3.0
    assert weighted_quantile(x, np.ones(3), 0.05) == 1.0


def test_effective_sample_size_by_hand() -> None:
    assert effective_sample_size(np.full(60, 1 / 60)) == pytest.approx(60.0)
    assert effective_sample_size(np.array([1.0, 0.0, 0.0])) == pytest.approx(1.0)
    # unnormalised weights 3, 1: (4)^2 / (9 + 1) = 1.6
    assert effective_sample_size(np.array([3.0, 1.0])) == pytest.approx(1.6)


def _results(**variables: np.ndarray):
    """A stand-in Results with paths (draw=1, month, commodity=['x'], segment=3)."""
    paths = xr.Dataset({k: (("draw", "month", "commodity", "segment"), v[None, :, None, :])
                        for k, v in variables.items()}, coords={"commodity": ["x"]})
    return type("R", (), {"paths": paths})()


def test_observables_by_hand() -> None:
    price = np.array([[1.0, 0.9, 1.0], [1.5, 0.9, 1.2], [2.0, 0.8, 1.1]])
    exports = np.array([[0.0, 10.0, 0.0], [0.0, 25.0, 0.0], [0.0, 0.0, 0.0]])
    supply = np.array([[40.0, 100.0, 60.0], [44.0, 100.0, 62.0], [50.0, 100.0, 64.0]])
    shortage = np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [3.0, 0.0, 0.0]])
    demand = np.array([[50.0, 1.0, 1.0], [50.0, 1.0, 1.0], [50.0, 1.0, 1.0]])
    res = _results(price_ratio=price, exports=exports, supply=supply, shortage=shortage,
                   demand=demand)
    o = OBSERVABLES
    assert o["price"](res, None, {"commodity": "x", "segment": "alliance", "month": 1}) == 1.5
    # median over months 1-2 of 1.5/0.9 and 2.0/0.8
    assert o["price_split"](res, None, {"commodity": "x", "months": [1, 2]}) == \
        pytest.approx((1.5 / 0.9 + 2.0 / 0.8) / 2)
    assert o["peak_price"](res, None, {"commodity": "x", "segment": "others",
                                       "months": [0, 2]}) == 1.2
    # alliance price in month 2 / in month 1: 2.0 / 1.5
    assert o["price_change"](res, None, {"commodity": "x", "segment": "alliance",
                                         "months": [1, 2]}) == pytest.approx(2.0 / 1.5)
    assert o["export_ratio"](res, None, {"commodity": "x", "segment": "restricting",
                                         "month": 1, "base_month": 0}) == 2.5
    # alliance output 40 -> 50: none idled (negative share); restricting unchanged
    assert o["capacity_idled"](res, None, {"commodity": "x", "segment": "restricting",
                                           "month": 2}) == 0.0
    assert o["shortage_share"](res, None, {"commodity": "x", "segment": "alliance"}) == \
        pytest.approx(5.0 / 150.0)
    # outside China: 100 -> 114 of a 200 world: +7%
    assert o["outside_supply_gain"](res, None, {"commodity": "x", "month": 2}) == \
        pytest.approx(0.07)


def test_parameters_reach_the_engine_options_and_the_dataset() -> None:
    ds = workflows.load()
    options, same = options_and_dataset(ds, shipped_values())
    assert same is ds and options.inventory_release_price == 1.5
    values = shipped_values() | {"trade_price_elasticity": 3.0, "demand_elasticity_scale": 2.0}
    options, scaled = options_and_dataset(ds, values)
    assert options.trade_price_elasticity == 3.0
    before = ds.commodities.set_index("id")["demand_elasticity"].astype(float)
    after = scaled.commodities.set_index("id")["demand_elasticity"].astype(float)
    assert np.allclose(after, 2.0 * before)
    with pytest.raises(KeyError, match="unknown behavioural parameter"):
        options_and_dataset(ds, {"trade_elasticity": 1.0})


def test_posterior_sample_pools_the_chosen_particles() -> None:
    # A posterior whose whole weight sits on one particle: every pooled draw uses it, so the
    # pooled quantiles are those of that particle's own run repeated (same seed per run).
    import pandas as pd

    from paxsilica.calibration.episodes import load_episodes
    from paxsilica.calibration.evaluate import PARAMETERS, evaluate, evaluate_posterior

    ds = workflows.load()
    (gallium,) = [ep for ep in load_episodes() if ep.id == "gallium-2023"]
    chosen = shipped_values() | {"trade_price_elasticity": 1.0}
    other = shipped_values() | {"trade_price_elasticity": 4.0}
    posterior = pd.DataFrame([other, chosen])[[p.name for p in PARAMETERS]]
    posterior["weight"] = [0.0, 1.0]
    single = evaluate([gallium], ds, chosen, draws=8)
    one = evaluate_posterior([gallium], ds, posterior, particles=1, draws=8, seed=1)
    for column in ("p5", "p50", "p95"):
        assert np.allclose(one[column], single[column])
    # three copies of the same eight values have the same median
    three = evaluate_posterior([gallium], ds, posterior, particles=3, draws=8, seed=1)
    assert np.allclose(three["p50"], single["p50"])
    # and the other particle's run differs (the test can tell them apart)
    assert not np.allclose(evaluate([gallium], ds, other, draws=8)["p50"], single["p50"])
