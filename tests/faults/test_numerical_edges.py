"""Numerical faults on hand-built datasets: a clear error, or documented behaviour with the
invariants intact (mass balance, shortage = demand - consumption >= 0, no negative stock or
price, no NaN or infinity in the summaries).

Cases: zero capacity (zero production) for a commodity, capacity missing (blank), a
commodity nobody produces, a recipe cycle, prices pinned at their cap (cap ratio 1 and a
total ban), and elasticities at the edges of their declared ranges (demand 0 and -5,
supply 0 and 5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paxsilica.engine import simulate
from paxsilica.errors import ModelError
from paxsilica.model.dataset import Dataset
from tests.unit.engine.conftest import assert_invariants, ban, commodity_row, make_dataset, scenario

ORE = {"CHN": 800.0, "USA": 100.0, "BRA": 60.0, "ROW": 40.0}
CHIP = {"USA": 50.0, "JPN": 30.0, "CHN": 20.0}


def _two(ore: dict | None = None, chip: dict | None = None, **ore_kw) -> Dataset:
    return make_dataset(
        [commodity_row("ore", stage="mining", **ore_kw),
         commodity_row("chip", stage="chip", price=1000.0, capability=True)],
        {"ore": ORE if ore is None else ore, "chip": CHIP if chip is None else chip},
        recipes=[("chip", "ore", 10.0, 0.6)], days_of_cover={"ore": 60.0, "chip": 30.0})


def _run(ds: Dataset, *shocks, **kw):
    results = simulate(ds, scenario(list(shocks), **kw), draws=32, seed=3)
    assert_invariants(results.paths)
    numbers = results.summary.select_dtypes("number").to_numpy()
    assert not np.isinf(numbers).any()
    for column in ("shortage_share_p50", "shortage_share_p95"):
        assert results.summary[column].between(0, 1).all(), column
    assert results.downstream["loss_share_p50"].between(0, 1).all()
    return results


def _replace(ds: Dataset, table: str, frame: pd.DataFrame) -> Dataset:
    return Dataset.from_tables({**ds.tables, table: frame})


def test_zero_production_everywhere_for_one_commodity() -> None:
    """A recipe input whose every producer makes 0 t is refused before simulating, with an
    error naming the commodity, its user and the table to fix (not NaN shares)."""
    with pytest.raises(ModelError, match=r"'ore' is an input of 'chip' .*no production"):
        simulate(_two(ore={c: 0.0 for c in ORE}), scenario([ban()]), draws=8, seed=1)


def test_missing_capacity_falls_back_and_keeps_the_invariants() -> None:
    ds = _two()
    production = ds.production.copy()
    production["capacity"] = np.nan
    _run(_replace(ds, "production", production), ban())


def test_a_commodity_nobody_produces_or_uses_is_inert() -> None:
    """A commodity with no production rows and no recipe: no supply and no demand, so no
    shortage and no price move, and the other commodities' results are those without it."""
    commodities = [commodity_row("ore", stage="mining"),
                   commodity_row("chip", stage="chip", price=1000.0, capability=True)]
    args = ({"ore": ORE, "chip": CHIP}, [("chip", "ore", 10.0, 0.6)],
            {"ore": 60.0, "chip": 30.0})
    with_dust = _run(make_dataset([*commodities, commodity_row("dust", stage="mining")], *args),
                     ban())
    without = _run(make_dataset(commodities, *args), ban())
    dust = with_dust.summary[with_dust.summary["commodity"] == "dust"]
    assert len(dust) > 0
    assert (dust["shortage_share_p95"] == 0).all()
    assert np.allclose(dust["peak_price_ratio_p95"], 1.0)
    others = with_dust.summary[with_dust.summary["commodity"] != "dust"].reset_index(drop=True)
    pd.testing.assert_frame_equal(others, without.summary.reset_index(drop=True))
    pd.testing.assert_frame_equal(with_dust.downstream, without.downstream)


def test_a_recipe_cycle_is_a_model_error() -> None:
    ds = _two()
    recipes = pd.concat([ds.recipes, pd.DataFrame([{"output": "ore", "input": "chip",
                                                    "coefficient": 0.01, "input_share": 0.1,
                                                    "source": "test"}])], ignore_index=True)
    with pytest.raises(ModelError, match="cycle"):
        simulate(_replace(ds, "recipes", recipes), scenario([ban()]), draws=8, seed=1)


@pytest.mark.parametrize("cap", [1.0, 1.0001, 50.0])
def test_prices_at_their_cap_under_a_total_ban(cap: float) -> None:
    results = _run(_two(cap=cap), ban(1.0, targets="all"))
    peak = results.summary.loc[results.summary["commodity"] == "ore", "peak_price_ratio_p95"]
    assert (peak <= cap * (1 + 1e-6)).all(), (cap, peak.tolist())  # paths are float32


@pytest.mark.parametrize(("e_d", "e_s"), [(0.0, 0.0), (-5.0, 5.0), (0.0, 5.0), (-5.0, 0.0),
                                          (-1e-9, 1e-9)])
def test_elasticities_at_the_edges_of_their_range(e_d: float, e_s: float) -> None:
    _run(_two(e_d=e_d, e_s=e_s), ban(0.8))


def test_an_unproduced_recipe_input_is_refused() -> None:
    ds = _two()
    production = ds.production[ds.production["commodity"] != "ore"].reset_index(drop=True)
    with pytest.raises(ModelError, match="'ore' is an input of .* has no production"):
        simulate(_replace(ds, "production", production), scenario([]), draws=8, seed=1)
