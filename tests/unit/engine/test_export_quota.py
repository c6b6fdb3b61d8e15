"""Export quotas (issue 12): a restriction that binds in volume, not only in route weight.

Hand calculations on paxsilica.engine.trade.flows: exporter i splits its output in proportion
to route0[i, j] x pull[j] x trade_keep[i, j]; with ``quota`` a restricted route carries at most
trade_keep x route0[i, j] x output[i] and what it holds back goes to the exporter's
unrestricted destinations pro rata to their flow.
"""

from __future__ import annotations

import numpy as np
import pytest

from paxsilica.engine import EngineOptions, simulate
from paxsilica.engine.trade import flows
from paxsilica.errors import ModelError
from tests.unit.engine.conftest import (
    assert_invariants,
    assert_jax_agrees,
    ban,
    mini,
    scenario,
)


def _two_regions(quota: float) -> np.ndarray:
    """Exporter 0 (output 100) sells 80% home and 20% to region 1, where the price is 2x
    (pull 4 at theta 2); a restriction keeps half of the route 0 -> 1. Region 1 (output 50)
    sells 30% / 70% and is not restricted."""
    production = np.array([[[100.0, 50.0]]])
    pull = np.array([[[1.0, 4.0]]])
    route0 = np.array([[[0.8, 0.2], [0.3, 0.7]]])
    keep = np.array([[[[1.0, 0.5], [1.0, 1.0]]]])
    return flows(production, pull, route0, keep, np, quota)[0, 0]


def test_a_weight_cut_alone_lets_the_price_pull_the_volume_back_by_hand() -> None:
    flow = _two_regions(0.0)
    # weights 0.8 x 1 and 0.2 x 4 x 0.5 = 0.4: exports 100 x 0.4 / 1.2 = 33.3, above the
    # 20 the route carried before the restriction
    assert flow[0] == pytest.approx([100 * 0.8 / 1.2, 100 * 0.4 / 1.2], rel=1e-12)
    assert flow[1] == pytest.approx([50 * 0.3 / 3.1, 50 * 2.8 / 3.1], rel=1e-12)


def test_a_quota_holds_the_route_to_what_the_restriction_keeps_by_hand() -> None:
    flow = _two_regions(1.0)
    # the quota: 0.5 x 0.2 x 100 = 10; the 23.3 held back stays home (the only free route)
    assert flow[0] == pytest.approx([90.0, 10.0], rel=1e-12)
    assert flow[1] == pytest.approx(_two_regions(0.0)[1], rel=1e-12)  # unrestricted
    # half binding: half of the 23.3 above the quota is held back
    half = _two_regions(0.5)
    assert half[0, 1] == pytest.approx(10.0 + 0.5 * (100 * 0.4 / 1.2 - 10.0), rel=1e-12)
    assert half[0].sum() == pytest.approx(100.0, rel=1e-12)


def test_what_a_quota_holds_back_goes_pro_rata_to_the_free_destinations() -> None:
    # exporter 0 (output 100) sells 40/40/20 to regions 0, 1, 2 at pull 1, 1, 9; only the
    # route to region 2 is restricted (keep 0.5): weights 0.4, 0.4, 0.2 x 9 x 0.5 = 0.9
    production = np.array([[[100.0, 0.0, 0.0]]])
    pull = np.array([[[1.0, 1.0, 9.0]]])
    route0 = np.array([[[0.4, 0.4, 0.2], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]])
    keep = np.ones((1, 1, 3, 3))
    keep[0, 0, 0, 2] = 0.5
    flow = flows(production, pull, route0, keep, np, 1.0)[0, 0, 0]
    before = 100 * 0.9 / 1.7  # 52.9 to region 2 without the quota
    held = before - 0.5 * 0.2 * 100  # down to the quota of 10
    free = 100 * 0.4 / 1.7  # home and region 1 each carry 23.5: half of the held each
    assert flow == pytest.approx([free + held / 2, free + held / 2, 10.0], rel=1e-12)


def test_a_route_below_its_quota_and_a_route_opened_wider_are_left_alone() -> None:
    production = np.array([[[100.0, 50.0]]])
    route0 = np.array([[[0.8, 0.2], [0.3, 0.7]]])
    cheap = np.array([[[1.0, 0.25]]])  # region 1 is cheaper: the route falls below its quota
    keep = np.array([[[[1.0, 0.9], [1.0, 1.0]]]])
    np.testing.assert_allclose(flows(production, cheap, route0, keep, np, 1.0),
                               flows(production, cheap, route0, keep, np, 0.0), rtol=1e-15)
    wider = np.array([[[[1.0, 3.0], [1.0, 1.0]]]])  # front-running: no quota applies
    pull = np.array([[[1.0, 4.0]]])
    np.testing.assert_allclose(flows(production, pull, route0, wider, np, 1.0),
                               flows(production, pull, route0, wider, np, 0.0), rtol=1e-15)


def _ore_in_china(options: EngineOptions, shocks: list) -> tuple[np.ndarray, np.ndarray]:
    """China's ore exports and supply ``(draw, month)`` under ``shocks``."""
    scn = scenario(shocks, horizon_months=12)
    res = simulate(mini(), scn, draws=8, seed=3, regions="segments", options=options,
                   workers=1)
    assert_invariants(res.paths)
    ore = res.paths.sel(commodity="ore", segment="restricting")
    return ore.exports.values, ore.supply.values


def test_a_half_cut_quota_holds_exports_to_half_their_baseline_share() -> None:
    half = [ban(severity=0.5, start_month=0, duration_months=12, targets="all")]
    calm_exports, _ = _ore_in_china(EngineOptions(), [])
    baseline = calm_exports[:, 0]  # 50.7: China's output x its baseline share abroad
    exports, _ = _ore_in_china(EngineOptions(export_quota=1.0), half)
    # month 0: China produces its baseline output (expected price 1) and the price abroad
    # is above China's, so the pull would carry more than the quota: exactly half goes
    np.testing.assert_allclose(exports[:, 0], 0.5 * baseline, rtol=1e-9)
    # later China's expected price, hence its output, falls: never above the quota again
    assert (exports <= 0.5 * baseline[:, None] * (1 + 1e-9)).all()
    # without the quota the price gap pulls exports back above half the baseline
    plain, _ = _ore_in_china(EngineOptions(), half)
    assert (plain[:, 1:] > 0.5 * baseline[:, None] * 1.05).all()


def test_export_quota_outside_zero_one_is_refused() -> None:
    with pytest.raises(ModelError, match="export_quota"):
        EngineOptions(export_quota=1.5)


def test_jax_matches_numpy_with_an_export_quota() -> None:
    assert_jax_agrees(scenario([ban(severity=0.5, start_month=1, duration_months=6,
                                    targets="all")], horizon_months=12),
                      EngineOptions(export_quota=1.0))
