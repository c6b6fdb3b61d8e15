"""Price-responsive inventory release, producers' reservation price, unlocated production.

Expected values are hand calculations on the clearing equations stated in
paxsilica.engine.clearing and the location rule in paxsilica.engine.network.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from paxsilica.engine import EngineOptions, simulate
from paxsilica.engine.clearing import ClearParams, clear
from paxsilica.engine.network import compile_network
from tests.unit.engine.conftest import (assert_invariants, ban, commodity_row, make_dataset,
                                        mini, scenario)


def _params(e_d: float, cap: float = 5.0, release_full: float | None = None,
            reservation: float | None = None) -> ClearParams:
    e = np.array([[e_d]])
    return ClearParams(inv_e_d=1 / e, cap=np.array([[cap]]), min_price=0.05,
                       cap_pow=cap ** e, floor_pow=0.05 ** e, rebuild_share=1 / 3,
                       release_full=None if release_full is None else np.array([[release_full]]),
                       reservation_pow=None if reservation is None else reservation ** e)


def _one(x: float) -> np.ndarray:
    return np.full((1, 1, 1), x)


def test_stock_release_rises_with_price_by_hand() -> None:
    # e_d = -1, available 0.5 D1, stock 1 D1, whole stock released at p = 1.5:
    # 1/p = 0.5 + 1 * (p - 1) / 0.5  =>  2 p^2 - 1.5 p - 1 = 0  =>  p = (1.5 + sqrt(10.25)) / 4
    p = (1.5 + np.sqrt(10.25)) / 4  # 1.17539
    out = clear(_one(50.0), _one(100.0), _one(100.0), _one(100.0),
                _params(-1.0, release_full=1.5))
    assert out.price[0, 0, 0] == pytest.approx(p, rel=1e-10)
    assert out.release_commercial[0, 0, 0] == pytest.approx(100.0 * (p - 1) / 0.5, rel=1e-9)
    assert out.shortage[0, 0, 0] == 0.0
    # released at the baseline price (the old rule) the price would not move at all
    old = clear(_one(50.0), _one(100.0), _one(100.0), _one(100.0), _params(-1.0))
    assert old.price[0, 0, 0] == 1.0 and old.release_commercial[0, 0, 0] == 50.0


def test_whole_stock_goes_once_price_passes_the_release_price() -> None:
    # stock 10 is too small to hold the price under 1.5: all of it is sold, and
    # 1/p = 0.5 + 0.1  =>  p = 1/0.6
    out = clear(_one(50.0), _one(100.0), _one(10.0), _one(100.0),
                _params(-1.0, release_full=1.5))
    assert out.release_commercial[0, 0, 0] == pytest.approx(10.0)
    assert out.price[0, 0, 0] == pytest.approx(1 / 0.6)


def test_producers_withhold_below_reservation_price_by_hand() -> None:
    # glut: available 2 D1, e_d = -0.5. Without a reservation price p = 2 ** -2 = 0.25.
    free = clear(_one(200.0), _one(100.0), _one(0.0), _one(0.0), _params(-0.5))
    assert free.price[0, 0, 0] == pytest.approx(0.25)
    # home producers retain 150 and hold the price at 0.9: they sell D(0.9) - 50 imports
    held = clear(_one(200.0), _one(100.0), _one(0.0), _one(0.0),
                 _params(-0.5, reservation=0.9), retained=_one(150.0))
    assert held.price[0, 0, 0] == pytest.approx(0.9)
    assert held.excess[0, 0, 0] == pytest.approx(200.0 - 100.0 * 0.9 ** -0.5)
    # imports alone (180 of 200) already push the price below 0.9: all 20 retained are held
    flooded = clear(_one(200.0), _one(100.0), _one(0.0), _one(0.0),
                    _params(-0.5, reservation=0.9), retained=_one(20.0))
    assert flooded.price[0, 0, 0] == pytest.approx(1.8 ** -2)
    assert flooded.excess[0, 0, 0] == pytest.approx(20.0)


def test_prices_rise_while_stocks_last_and_stocks_last_longer() -> None:
    ds, scn = mini(), scenario([ban(1.0, targets="pax-silica")], horizon_months=6)
    old = EngineOptions(inventory_release_price=1.0, reservation_price_ratio=0.05)
    new = simulate(ds, scn, draws=4, keep_paths=True)
    base = simulate(ds, scn, draws=4, keep_paths=True, options=old)
    ally = {"commodity": "ore", "segment": "alliance", "draw": 0}
    p_new = new.paths.price_ratio.sel(**ally).values
    p_old = base.paths.price_ratio.sel(**ally).values
    assert p_old[0] == pytest.approx(1.0)  # old rule: baseline price while stock lasts
    assert p_new[0] > 1.01  # new rule: the premium appears at once
    stock = {k: r.paths.stock_commercial.sel(**ally).values for k, r in
             (("new", new), ("old", base))}
    assert (stock["new"] >= stock["old"] - 1e-9).all()
    assert_invariants(new.paths)


def test_restricting_home_price_holds_at_reservation_price() -> None:
    scn = scenario([ban(1.0, targets="all")], horizon_months=6)
    res = simulate(mini(), scn, draws=4, keep_paths=True)
    china = res.paths.price_ratio.sel(commodity="ore", segment="restricting")
    opts = EngineOptions()
    assert float(china.min()) == pytest.approx(opts.reservation_price_ratio, rel=1e-9)
    old = simulate(mini(), scn, draws=4, keep_paths=True,
                   options=dataclasses.replace(opts, reservation_price_ratio=0.05))
    assert float(old.paths.price_ratio.sel(commodity="ore", segment="restricting").min()) < 0.5
    assert_invariants(res.paths)


def test_unlocated_production_is_split_like_final_demand() -> None:
    # 'car' is made only by ROW (no known country): its output and the derived demand for
    # 'magnet' are split 0.30/0.30/0.40. Magnet demand: 0.5 derived + 0.5 final => same split.
    ds = make_dataset(
        [commodity_row("magnet"), commodity_row("car", stage="final", capability=True)],
        {"magnet": {"CHN": 900.0, "USA": 100.0}, "car": {"ROW": 1000.0}},
        recipes=[("car", "magnet", 1.0, 0.5)])
    view = compile_network(ds, scenario()).views[0]
    car, magnet = 1, 0
    np.testing.assert_allclose(view.supply0[car] * 12, [300.0, 300.0, 400.0])
    np.testing.assert_allclose(view.demand0[magnet] * 12, [300.0, 300.0, 400.0])
    assert view.supply0.sum() * 12 == pytest.approx(2000.0)
