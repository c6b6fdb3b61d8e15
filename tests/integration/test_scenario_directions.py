"""The built-in library on the embedded data: numbers move the way the economics says.

Baseline shows no shortage; a restriction raises the alliance's price and shortage; adding the
Vault stockpile lowers them; more severity never means less shortage.
"""

from __future__ import annotations

import pytest

from paxsilica import workflows

DRAWS = 400
SEED = 11


@pytest.fixture(scope="module")
def ds():
    return workflows.load()


def _alliance(ds, scenario, **update):
    scn = workflows.load_scenario(scenario, ds)
    if update:
        scn = scn.model_copy(update=update)
    outcome = workflows.simulate_scenario(scn, runs=DRAWS, seed=SEED, ds=ds, store=False)
    summary = outcome.results.summary
    return summary[summary["segment"] == "alliance"].set_index("commodity")


def test_baseline_has_no_shortage_and_flat_prices(ds) -> None:
    alliance = _alliance(ds, "baseline")
    assert alliance["shortage_share_p95"].max() == pytest.approx(0.0, abs=1e-9)
    assert alliance["peak_price_ratio_p95"].max() == pytest.approx(1.0, abs=1e-6)


def test_rare_earth_restriction_raises_alliance_price_and_shortage(ds) -> None:
    base = _alliance(ds, "baseline")
    shock = _alliance(ds, "ree-export-controls")
    for commodity in ("rare_earths_refining", "ndfeb_magnets"):
        assert shock.loc[commodity, "peak_price_ratio_p50"] > base.loc[commodity,
                                                                       "peak_price_ratio_p50"]
    assert shock["shortage_share_p95"].max() > 0.0


def test_vault_lowers_shortage_and_price(ds) -> None:
    shock = _alliance(ds, "ree-export-controls")
    vault = _alliance(ds, "vault-response")
    assert vault.loc["rare_earths_refining", "shortage_share_p95"] <= \
        shock.loc["rare_earths_refining", "shortage_share_p95"]
    assert vault.loc["rare_earths_refining", "peak_price_ratio_p95"] <= \
        shock.loc["rare_earths_refining", "peak_price_ratio_p95"]
    assert (vault["shortage_share_p95"].sum() < shock["shortage_share_p95"].sum())
