"""Cost tranches from the data: grouping, exits below unit cost, and price floors that keep them.

Hand-made market: one commodity ``ore`` at 100 US$/t. China makes 800 t/yr, Brazil 100, and
the bloc member USA 100 t/yr in two cost tranches: 60 t at 50 US$/t (cost ratio 0.5) and 40 t at
90 US$/t (0.9). Supply elasticity 0 and capacity = output, so supply is capacity exactly.
China floods the market at 0.8 x baseline from month 0: the 90 US$ tranche is below cost every
month, exits after ``exit_months`` = 6 (counted at the end of months 0-5), and the bloc makes
60 t/yr from month 6 on; the 50 US$ tranche never exits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paxsilica.engine import simulate
from paxsilica.engine.network import ALLIANCE, compile_network, cost_groups
from paxsilica.model.dataset import Dataset
from tests.unit.engine.conftest import commodity_row, make_dataset, scenario


def _tranche_dataset() -> Dataset:
    ds = make_dataset([commodity_row("ore", stage="mining", price=100.0, e_s=0.0)],
                      {"ore": {"CHN": 800.0, "USA": 100.0, "BRA": 100.0}})
    rows = [("CHN", 0, 800.0, None), ("BRA", 0, 100.0, None),
            ("USA", 0, 60.0, 50.0), ("USA", 1, 40.0, 90.0)]
    production = pd.DataFrame(
        [{"commodity": "ore", "iso3": iso3, "year": 2024, "tranche": k, "quantity": q,
          "capacity": None, "unit_cost": cost, "reliability": "estimate", "source": "test"}
         for iso3, k, q, cost in rows]).astype({"capacity": float, "unit_cost": float})
    return Dataset.from_tables(dict(ds.tables) | {"production": production})


def _flood(policies=()):
    return scenario([{"type": "price_suppression", "countries": ["CHN"],
                      "commodities": ["ore"], "price_ratio": 0.8, "start_month": 0,
                      "duration_months": 12}], policies, horizon_months=12, draws=4)


def _bloc_supply_t_per_year(ds: Dataset, scn) -> np.ndarray:
    res = simulate(ds, scn, draws=4, seed=1, keep_paths=True)
    supply = res.paths["supply"].sel(commodity="ore", segment="alliance").values  # per month
    assert np.allclose(supply, supply[:1])  # no randomness in this market
    return supply[0] * 12.0


def test_cost_groups_cut_at_the_largest_rises() -> None:
    # sorted 10, 11, 30, 31, 90: rises 1, 19, 1, 59 -> cuts after 31 and after 11
    assert cost_groups([30.0, 10.0, 11.0, 90.0, 31.0], 3).tolist() == [1, 0, 0, 2, 1]
    assert cost_groups([30.0, 10.0, 11.0, 90.0, 31.0], 2).tolist() == [0, 0, 0, 1, 0]
    assert cost_groups([5.0, 5.0, 5.0], 3).tolist() == [0, 0, 0]  # equal costs stay together
    assert cost_groups([3.0, 1.0], 3).tolist() == [1, 0]
    assert cost_groups([], 3).tolist() == []
    with pytest.raises(ValueError, match="max_groups"):
        cost_groups([1.0], 0)


def test_data_tranches_become_engine_tranches() -> None:
    ds = _tranche_dataset()
    view = compile_network(ds, _flood()).views[0]
    np.testing.assert_allclose(view.tranche_share[0, ALLIANCE], [0.6, 0.4, 0.0])
    np.testing.assert_allclose(view.tranche_cost[0, ALLIANCE], [0.5, 0.9, 0.0])
    np.testing.assert_allclose(view.supply0[0, ALLIANCE], 100.0 / 12.0)


def test_tranche_below_cost_exits_after_exit_months() -> None:
    bloc = _bloc_supply_t_per_year(_tranche_dataset(), _flood())
    np.testing.assert_allclose(bloc[:6], 100.0)  # months 0-5: both tranches run
    np.testing.assert_allclose(bloc[6:], 60.0)  # the 40 t at 90 US$/t left after 6 months


def test_floor_covering_the_cost_keeps_the_tranche() -> None:
    ds = _tranche_dataset()
    floor = {"type": "price_floor", "commodity": "ore", "floor_usd": 95.0}  # eligible: the bloc
    np.testing.assert_allclose(_bloc_supply_t_per_year(ds, _flood([floor])), 100.0)
    below = dict(floor, floor_usd=85.0)  # under the 90 US$/t cost: the tranche still exits
    np.testing.assert_allclose(_bloc_supply_t_per_year(ds, _flood([below]))[6:], 60.0)


def test_latest_production_sums_a_countrys_tranches() -> None:
    ds = _tranche_dataset()
    usa = ds.latest_production().set_index("iso3").loc["USA"]
    assert usa["quantity"] == pytest.approx(100.0)
    assert usa["unit_cost"] == pytest.approx((60 * 50 + 40 * 90) / 100)  # 66, output-weighted
    assert np.isnan(usa["capacity"]) and usa["tranche"] == 0
    assert usa["share"] == pytest.approx(100.0 / 1000.0)
    by_tranche = ds.latest_production(by_tranche=True)
    assert by_tranche.loc[by_tranche["iso3"] == "USA", "quantity"].tolist() == [60.0, 40.0]
