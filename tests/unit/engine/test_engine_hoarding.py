"""Hoarding (issue 12): during a supply outage or a running price, holders value their stock
``hoard_multiple`` times higher, bid for cover up to that price and release only above it.

Expected values are hand calculations on the rules of paxsilica.engine.clearing (the
restocking price, the price-responsive release) with the hoarding schedule of
paxsilica.engine.behaviour.hoard_prices, or invariants of the conftest mini dataset.
"""

from __future__ import annotations

import numpy as np
import pytest

from paxsilica.engine import EngineOptions, simulate
from paxsilica.engine.behaviour import hoard_prices
from paxsilica.engine.clearing import ClearParams, clear
from paxsilica.errors import ModelError
from tests.unit.engine.conftest import (
    assert_invariants,
    assert_jax_agrees,
    mini,
    scenario,
)

E_D, RESTOCK, FULL = -0.5, 1.05, 1.5


def test_hoard_prices_scale_the_schedule_only_where_hoarding() -> None:
    hoarding = np.array([[[True, False]]])
    restock, full = hoard_prices(RESTOCK, np.array([[FULL]]), 4.0, hoarding, np)
    np.testing.assert_allclose(restock, [[[4.2, 1.05]]])
    np.testing.assert_allclose(full, [[[6.0, 1.5]]])
    assert hoard_prices(RESTOCK, None, 4.0, hoarding, np)[1] is None


def _params(multiple: float) -> ClearParams:
    """One market (D1 = 100, e_d = -0.5) whose holders hoard with ``multiple``."""
    e = np.array([[E_D]])
    restock, full = hoard_prices(RESTOCK, np.array([[FULL]]), multiple,
                                 np.ones((1, 1, 1), bool), np)
    return ClearParams(inv_e_d=1 / e, cap=np.array([[50.0]]), min_price=0.05,
                       cap_pow=50.0 ** e, floor_pow=0.05 ** e, rebuild_share=1 / 3,
                       restock_price=restock, restock_pow=restock ** E_D,
                       sell_pow=(1 / RESTOCK) ** E_D, release_full=full)


def _clear(available: float, stock: float, target: float, multiple: float):
    one = lambda x: np.full((1, 1, 1), x)
    out = clear(one(available), one(100.0), one(stock), one(target), _params(multiple))
    return (out.price[0, 0, 0], out.build_commercial[0, 0, 0],
            out.release_commercial[0, 0, 0])


def test_hoarders_bid_for_cover_above_the_calm_restocking_price_by_hand() -> None:
    # supply = demand at baseline, stock 0 against a target of 30 (room 30 / 3 = 10 a month).
    # calm holders refill only up to 1.05: slack 100 - 100 * 1.05**-0.5 = 2.41, price 1.05
    price, build, _ = _clear(100.0, 0.0, 30.0, 1.0)
    assert build == pytest.approx(100 - 100 * 1.05 ** -0.5, rel=1e-12)
    assert price == pytest.approx(1.05, rel=1e-12)
    # hoarding x4 (restocking at 4.2): they take the whole room, 10; net 90, p = 0.9**-2
    price, build, _ = _clear(100.0, 0.0, 30.0, 4.0)
    assert build == pytest.approx(10.0, rel=1e-12)
    assert price == pytest.approx(0.9 ** -2, rel=1e-12)


def test_hoarders_hold_their_stock_in_a_shortage_by_hand() -> None:
    # 60 available against 100, a full stock of 50: calm holders release at prices between
    # 1.05 and 1.5; hoarders (x4: restocking 4.2, whole stock only at 6) still see slack at
    # 4.2 (60 - 100 * 4.2**-0.5 = 11.2 > 0), release nothing and the price clears the
    # physical market alone: (60 / 100)**-2 = 2.78
    price, _, release = _clear(60.0, 50.0, 50.0, 1.0)
    assert release > 0 and price < FULL
    price, build, release = _clear(60.0, 50.0, 50.0, 4.0)
    assert release == 0.0 and build == 0.0
    assert price == pytest.approx(0.6 ** -2, rel=1e-12)


def _outage(**kw):
    return scenario([{"type": "supply_outage", "countries": ["CHN"], "commodities": ["ore"],
                      "severity": 0.5, "start_month": 1, "duration_months": 3, **kw}],
                    horizon_months=10)


def test_an_outage_sets_off_hoarding_and_the_price_rises_above_the_calm_run() -> None:
    scn = _outage()
    calm = simulate(mini(), scn, draws=4, keep_paths=True, options=EngineOptions())
    hoard = simulate(mini(), scn, draws=4, keep_paths=True,
                     options=EngineOptions(hoard_multiple=4.0))
    at = {"commodity": "ore", "segment": "alliance"}
    p_calm = calm.paths.price_ratio.sel(**at).values
    p_hoard = hoard.paths.price_ratio.sel(**at).values
    np.testing.assert_array_equal(p_hoard[:, 0], p_calm[:, 0])  # before the outage
    assert (p_hoard[:, 1] > p_calm[:, 1] * 1.1).all()  # holders hold and bid
    release = hoard.paths.release.sel(**at).values
    assert (release[:, 1] < calm.paths.release.sel(**at).values[:, 1]).all()
    assert_invariants(hoard.paths)


def test_jax_matches_numpy_with_hoarding() -> None:
    assert_jax_agrees(_outage(), EngineOptions(hoard_multiple=4.0, precaution_cover=0.5))


def test_hoard_multiple_below_one_is_refused() -> None:
    with pytest.raises(ModelError, match="hoard_multiple = 0.5"):
        EngineOptions(hoard_multiple=0.5)
