"""Clearing prices computed by hand, and the vectorised clearing against the plain loop."""

from __future__ import annotations

import numpy as np
import pytest

from paxsilica.engine import simulate
from paxsilica.engine.clearing import ClearParams, clear, clear_loop
from tests.unit.engine.conftest import commodity_row, make_dataset, scenario


def _no_stock_dataset():
    """ore -> chip; no inventories, so month 0 clears on production alone."""
    return make_dataset(
        [commodity_row("ore", stage="mining", e_d=-0.3, e_s=0.2, cap=5.0),
         commodity_row("chip", stage="chip", price=1000.0, e_d=-0.5, e_s=0.1, cap=3.0,
                       capability=True)],
        {"ore": {"CHN": 800.0, "USA": 100.0, "BRA": 60.0, "ROW": 40.0},
         "chip": {"USA": 50.0, "JPN": 30.0, "CHN": 20.0}},
        recipes=[("chip", "ore", 10.0, 0.6)],
    )


def _outage(severity: float) -> dict:
    return {"type": "supply_outage", "countries": ["CHN"], "commodities": ["ore"],
            "severity": severity}


def test_outage_price_by_hand() -> None:
    # CHN loses 30% of its capacity: world ore supply 1000 - 0.3 * 800 = 760 t/yr against
    # demand 1000. With one price everywhere (pooled trade, equal prices last month) every
    # segment receives 76% of its demand: 0.76 = p ** -0.3  =>  p = 0.76 ** (-1 / 0.3).
    res = simulate(_no_stock_dataset(), scenario([_outage(0.3)]), draws=3)
    month0 = res.paths.isel(month=0)
    expected = 0.76 ** (-1 / 0.3)  # 2.4962...
    assert expected == pytest.approx(2.4962, abs=1e-4)
    np.testing.assert_allclose(month0.price_ratio.sel(commodity="ore"), expected, rtol=1e-12)
    np.testing.assert_allclose(month0.shortage, 0.0, atol=1e-12)  # below the cap of 5
    np.testing.assert_allclose(month0.price_ratio.sel(commodity="chip"), 1.0, rtol=1e-12)


def test_outage_beyond_cap_gives_shortage_and_downstream_loss() -> None:
    # 50% outage: 600 of 1000 => p would be 0.6 ** (-1/0.3) = 5.49 > cap 5. At the cap demand
    # is D0 * 5 ** -0.3 = 0.6170 D0 and consumption 0.6 D0, so each segment consumes
    # 0.6 / 5 ** -0.3 = 97.24% of its demand; chips are made in proportion (Leontief), and
    # with one chip price everywhere 0.9724 = p ** -0.5  =>  p_chip = 0.9724 ** -2.
    res = simulate(_no_stock_dataset(), scenario([_outage(0.5)]), draws=2)
    month0 = res.paths.isel(month=0)
    demand0 = np.array([0.6, 0.24, 0.16]) * 1000.0 / 12.0  # derived + final split (see network)
    at_cap = 5.0 ** -0.3
    ore = month0.sel(commodity="ore")
    np.testing.assert_allclose(ore.price_ratio, 5.0, rtol=1e-12)
    np.testing.assert_allclose(ore.demand.isel(draw=0), demand0 * at_cap, rtol=1e-12)
    np.testing.assert_allclose(ore.shortage.isel(draw=0), demand0 * (at_cap - 0.6), rtol=1e-9)
    ratio = 0.6 / at_cap
    np.testing.assert_allclose(month0.price_ratio.sel(commodity="chip"), ratio ** -2.0,
                               rtol=1e-12)
    np.testing.assert_allclose(month0.output_ratio.sel(capability="chip"), ratio, rtol=1e-12)


def test_clear_matches_plain_loop() -> None:
    rng = np.random.default_rng(3)
    shape = (7, 4, 3)
    demand1 = rng.uniform(1.0, 10.0, shape)
    available = demand1 * rng.uniform(0.0, 3.0, shape) ** 3  # deep shortages to gluts
    stock = rng.uniform(0.0, 5.0, shape) * (rng.random(shape) < 0.6)
    target = rng.uniform(0.0, 8.0, shape)
    e_d = rng.uniform(-1.5, -0.05, 4)
    cap = rng.uniform(1.5, 6.0, 4)
    params = ClearParams(inv_e_d=1 / e_d[:, None], cap=cap[:, None], min_price=0.05,
                         cap_pow=(cap ** e_d)[:, None], floor_pow=(0.05 ** e_d)[:, None],
                         rebuild_share=1 / 3)
    out = clear(available, demand1, stock, target, params)
    price, shortage = clear_loop(available, demand1, stock, target, e_d, cap, 0.05, 1 / 3)
    np.testing.assert_allclose(out.price, price, rtol=1e-12)
    np.testing.assert_allclose(out.shortage, shortage, rtol=1e-9, atol=1e-12)
    assert (out.shortage > 0).any() and (out.excess > 0).any()  # both regimes exercised
