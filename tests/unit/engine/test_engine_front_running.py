"""Front-running and precautionary cover between a restriction's announcement and its start.

Hand calculation: before any shock every price is 1, so in the first announced month an
exporter's routes carry route0 x pull(1) = route0, the restricted ones (1 + front_running)
times more; each exporter's output is split in proportion to these weights
(paxsilica.engine.trade.flows).
"""

from __future__ import annotations

import numpy as np
import pytest

from paxsilica.engine import EngineOptions, simulate
from paxsilica.engine.network import compile_network
from paxsilica.errors import ModelError
from tests.unit.engine.conftest import (assert_invariants, assert_jax_agrees, ban, mini,
                                        scenario, stock_targets)

ANNOUNCE, START = 2, 4
RESTRICTING = 1  # segments map: alliance, restricting, others


def _run(options: EngineOptions, announce: int | None = ANNOUNCE, **kw):
    shock = ban(start_month=START, duration_months=2, targets="all")
    if announce is not None:
        shock["announce_month"] = announce
    scn = scenario([shock], horizon_months=18, **kw)
    ds = mini()
    return ds, scn, simulate(ds, scn, draws=8, seed=3, regions="segments", options=options,
                             workers=1)


def _buyers_gap(ds, scn, res, h: float) -> np.ndarray:
    """What the alliance and the other segments (both importers on restricted routes,
    targets: all) take into cover in the announced month, per draw: their gap to the target
    raised by ``h`` over rebuild_months (3), from their stock at the end of the month before."""
    stock = res.paths["stock_commercial"].sel(commodity="ore").values[:, ANNOUNCE - 1]
    target = stock_targets(ds, scn).sel(commodity="ore").values[ANNOUNCE]
    buyers = [s for s in range(3) if s != RESTRICTING]
    return sum(np.maximum(target[s] * (1.0 + h) - stock[:, s], 0.0) for s in buyers) / 3.0


@pytest.mark.parametrize("h", [1.0, 0.05, 0.0], ids=["weights-bind", "buyers-bind",
                                                      "no-buyers"])
def test_exporters_ship_ahead_of_the_controls_as_far_as_buyers_take_it_by_hand(h) -> None:
    f = 2.0
    options = EngineOptions(front_running=f, precaution_cover=h)
    ds, scn, res = _run(options)
    net = compile_network(ds, scn, options, "segments")
    c = net.commodity_index["ore"]
    route = net.views[0].route0[c, RESTRICTING]  # China's baseline shares to each segment
    weights = route * (1.0 + f)
    weights[RESTRICTING] = route[RESTRICTING]  # its home market is not restricted
    share_abroad = 1.0 - weights[RESTRICTING] / weights.sum()
    exports = res.paths["exports"].sel(commodity="ore").values[:, :, RESTRICTING]
    supply = res.paths["supply"].sel(commodity="ore").values[:, :, RESTRICTING]
    usual = supply[:, ANNOUNCE] * (1.0 - route[RESTRICTING])  # 50.7 abroad
    pushed = supply[:, ANNOUNCE] * share_abroad  # 60.3: what the wider routes would carry
    wanted = _buyers_gap(ds, scn, res, h)  # 41.6, 2.1 and 0
    assert exports[:, ANNOUNCE] == pytest.approx(np.minimum(pushed, usual + wanted), rel=1e-9)
    if h == 1.0:
        assert (usual + wanted > pushed).all() and (exports[:, ANNOUNCE] > usual * 1.15).all()
    elif h > 0.0:
        assert (usual + wanted < pushed * 0.9).all()
    else:  # no precautionary buyers: nothing is pulled forward
        assert exports[:, ANNOUNCE] == pytest.approx(usual, rel=1e-9)
    # before the announcement nothing moves: China exports its baseline share
    assert exports[:, 0] == pytest.approx(supply[:, 0] * (1.0 - route[RESTRICTING]), rel=1e-9)
    _, _, plain = _run(options, announce=None)
    np.testing.assert_array_equal(plain.paths["exports"].values[:, :ANNOUNCE],
                                  res.paths["exports"].values[:, :ANNOUNCE])
    assert_invariants(res.paths)


def test_nothing_is_pulled_forward_without_an_announcement_or_once_the_ban_bites() -> None:
    _, _, announced = _run(EngineOptions(front_running=2.0))
    _, _, silent = _run(EngineOptions(front_running=2.0), announce=None)
    _, _, off = _run(EngineOptions(), announce=ANNOUNCE)
    # the option alone, or the announcement alone, changes nothing
    np.testing.assert_array_equal(silent.paths["exports"].values, off.paths["exports"].values)
    exports = announced.paths["exports"].sel(commodity="ore").values[:, :, RESTRICTING]
    # once in force the ban cuts every route abroad (severity 1): only home sales are left
    assert exports[:, START] == pytest.approx(0.0, abs=1e-9)


def test_holders_raise_cover_when_warned_and_sell_it_back_after() -> None:
    h = 1.0
    ds, scn, res = _run(EngineOptions(front_running=2.0, precaution_cover=h))
    target = stock_targets(ds, scn).sel(commodity="ore").values[:, 0]  # alliance, per month
    stock = res.paths["stock_commercial"].sel(commodity="ore", segment="alliance").values
    # the pulled-forward imports are stocked above the ordinary target, never above (1 + h)x
    assert (stock[:, START - 1] > target[START - 1] * 1.05).all()
    assert (stock <= target[None, :] * (1.0 + h) * (1 + 1e-9)).all()
    # without precaution the same imports cannot be stocked above the target
    _, _, plain = _run(EngineOptions(front_running=2.0))
    plain_stock = plain.paths["stock_commercial"].sel(commodity="ore",
                                                      segment="alliance").values
    assert (plain_stock <= target[None, :] * (1 + 1e-9)).all()
    # after the ban and the price alarm, the extra is sold back toward the target
    assert (stock[:, -1] < stock[:, START - 1]).all()
    assert_invariants(res.paths)


def test_jax_matches_numpy_with_front_running_and_precaution() -> None:
    assert_jax_agrees(scenario([ban(start_month=START, duration_months=2, targets="all",
                                    announce_month=ANNOUNCE)], horizon_months=12),
                      EngineOptions(front_running=2.0, precaution_cover=1.0))


def _shipped_ahead_by_hand(ds, scn, res, share: float, h: float) -> np.ndarray:
    """China's stock sold ahead in the announced month, per draw: ``share`` of its stock, at
    most what the other segments take into cover (:func:`_buyers_gap`)."""
    stock = res.paths["stock_commercial"].sel(commodity="ore").values[:, ANNOUNCE - 1]
    return np.minimum(share * stock[:, RESTRICTING], _buyers_gap(ds, scn, res, h))


@pytest.mark.parametrize("share, h", [(0.1, 1.0), (1.0, 0.2)], ids=["share-binds",
                                                                  "buyers-bind"])
def test_exporters_sell_stock_ahead_as_far_as_buyers_take_it_by_hand(share, h) -> None:
    f = 2.0
    options = EngineOptions(front_running=f, ship_stock_ahead=share, precaution_cover=h)
    ds, scn, res = _run(options)
    net = compile_network(ds, scn, options, "segments")
    c = net.commodity_index["ore"]
    route = net.views[0].route0[c, RESTRICTING]
    weights = route * (1.0 + f)
    weights[RESTRICTING] = route[RESTRICTING]
    share_abroad = 1.0 - weights[RESTRICTING] / weights.sum()
    china = {"commodity": "ore", "segment": "restricting"}
    exports = res.paths["exports"].sel(**china).values
    supply = res.paths["supply"].sel(**china).values
    stock = res.paths["stock_commercial"].sel(**china).values
    offered = _shipped_ahead_by_hand(ds, scn, res, share, h)
    binds = share * stock[:, ANNOUNCE - 1]
    if share < 1.0:
        assert (offered == binds).all()  # China's share is the smaller
    else:
        assert (offered < binds * 0.99).all()  # what buyers take is the smaller
    # the stock sold travels with the month's output along the front-run routes, which carry
    # above their usual share only what the buyers' want leaves after the stock sold
    sent = supply[:, ANNOUNCE] + offered
    left = _buyers_gap(ds, scn, res, h) - offered * (1.0 - route[RESTRICTING])
    assert exports[:, ANNOUNCE] == pytest.approx(
        np.minimum(sent * share_abroad, sent * (1.0 - route[RESTRICTING]) + left), rel=1e-9)
    # supply stays the region's own output: the stock sold is reported as a release
    _, _, plain = _run(EngineOptions(front_running=f, precaution_cover=h))
    plain_supply = plain.paths["supply"].sel(**china).values
    assert supply[:, ANNOUNCE] == pytest.approx(plain_supply[:, ANNOUNCE], rel=1e-9)
    release = res.paths["release"].sel(**china).values
    assert (release[:, ANNOUNCE] >= offered * (1 - 1e-9)).all()
    plain_exports = plain.paths["exports"].sel(**china).values[:, ANNOUNCE]
    if share < 1.0:
        assert (exports[:, ANNOUNCE] > plain_exports * 1.01).all()
    else:  # the buyers take their want either way: the stock sold replaces output abroad
        assert exports[:, ANNOUNCE] == pytest.approx(plain_exports, rel=1e-9)
    assert_invariants(res.paths)


def test_no_stock_is_sold_ahead_without_an_announcement_or_buyers() -> None:
    _, _, silent = _run(EngineOptions(front_running=2.0, ship_stock_ahead=1.0,
                                      precaution_cover=1.0), announce=None)
    _, _, off = _run(EngineOptions(front_running=2.0, precaution_cover=1.0), announce=None)
    np.testing.assert_array_equal(silent.paths["exports"].values, off.paths["exports"].values)
    np.testing.assert_array_equal(silent.paths["stock_commercial"].values,
                                  off.paths["stock_commercial"].values)
    # without precautionary cover abroad nobody wants more than usual: nothing is sold ahead
    _, _, unwanted = _run(EngineOptions(front_running=2.0, ship_stock_ahead=1.0))
    _, _, plain = _run(EngineOptions(front_running=2.0))
    np.testing.assert_array_equal(unwanted.paths["exports"].values, plain.paths["exports"].values)


def test_selling_all_stock_ahead_empties_it_and_keeps_the_balance() -> None:
    options = EngineOptions(front_running=2.0, ship_stock_ahead=1.0, precaution_cover=20.0)
    ds, scn, res = _run(options)
    china = {"commodity": "ore", "segment": "restricting"}
    stock = res.paths["stock_commercial"].sel(**china).values
    release = res.paths["release"].sel(**china).values
    build = res.paths["build"].sel(**china).values
    assert (stock[:, ANNOUNCE - 1] > 0).all()
    # buyers abroad want more than China holds, so all of it goes
    assert (_shipped_ahead_by_hand(ds, scn, res, 1.0, 20.0) == stock[:, ANNOUNCE - 1]).all()
    assert release[:, ANNOUNCE] == pytest.approx(stock[:, ANNOUNCE - 1], rel=1e-9)
    assert stock[:, ANNOUNCE] == pytest.approx(build[:, ANNOUNCE], rel=1e-9, abs=1e-12)
    assert_invariants(res.paths)


def test_ship_stock_ahead_outside_zero_one_is_refused() -> None:
    with pytest.raises(ModelError, match="ship_stock_ahead"):
        EngineOptions(ship_stock_ahead=-0.1)


def test_jax_matches_numpy_when_stock_is_shipped_ahead() -> None:
    assert_jax_agrees(scenario([ban(start_month=START, duration_months=2, targets="all",
                                    announce_month=ANNOUNCE)], horizon_months=12),
                      EngineOptions(front_running=2.0, ship_stock_ahead=0.5,
                                    precaution_cover=1.0))
