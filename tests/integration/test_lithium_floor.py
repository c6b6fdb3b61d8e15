"""The price-floor lever on the shipped lithium cost tranches (Busch et al. 2024).

No ``eligible_unit_cost_usd`` is given: the floor works on the data's unit costs. Australia's
2025 mine output (92,000 t Li, USGS) is in three tranches; at the baseline price their cost
ratios are 0.35, 0.97 and 1.50 (capped at 1: marginal). Under ``lithium-price-suppression``
(0.55-0.85 x baseline for 24 months) tranches 1 and 2 exit; a floor at the baseline price
covers both and keeps them, a floor at 0.9 x covers neither.
"""

from __future__ import annotations

import pytest

from paxsilica import workflows
from paxsilica.policy.floors import evaluate_floor


@pytest.fixture(scope="module")
def ds():
    return workflows.load()


def test_floor_keeps_the_australian_tranches_it_covers(ds) -> None:
    scn = workflows.load_scenario("lithium-price-suppression", ds)
    price = float(ds.commodity("lithium_mining")["price_usd"])
    prod = ds.latest_production(by_tranche=True)
    aus = prod[(prod["commodity"] == "lithium_mining") & (prod["iso3"] == "AUS")]
    marginal = aus.loc[aus["unit_cost"] > 0.9 * price, "quantity"].sum()  # tranches 1 and 2
    assert aus["quantity"].sum() == pytest.approx(92_000.0)
    assert marginal == pytest.approx(92_000.0 * (0.441 + 0.133), rel=0.01)
    at_baseline = evaluate_floor(ds, [scn], "lithium_mining", price, draws=16, seed=3)
    # the suppression has ended by the final month, so kept capacity produces in full
    assert at_baseline.capacity_retained == pytest.approx(marginal, rel=1e-6)
    assert at_baseline.expected_cost_usd > 0
    too_low = evaluate_floor(ds, [scn], "lithium_mining", 0.9 * price, draws=16, seed=3)
    assert too_low.capacity_retained == pytest.approx(0.0, abs=1e-6)
