"""The built-in library on the embedded data: numbers move the way the economics says.

Baseline shows no shortage; a restriction raises the alliance's price and shortage; adding the
Vault stockpile lowers them; more severity never means less shortage.
"""

from __future__ import annotations

import pytest

from paxsilica import workflows
from paxsilica.policy.membership import member_values, with_priority

DRAWS = 400
SEED = 11


@pytest.fixture(scope="module")
def ds():
    return workflows.load()


def _alliance(ds, scenario, **update):
    scn = workflows.load_scenario(scenario, ds) if isinstance(scenario, str) else scenario
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


def _with_priority(ds, scenario):
    scn = workflows.load_scenario(scenario, ds)
    return with_priority(scn, scn.bloc)


def test_club_priority_moves_nothing_without_a_disruption(ds) -> None:
    calm = _alliance(ds, "baseline")
    prioritised = _alliance(ds, _with_priority(ds, "baseline"))
    assert prioritised["shortage_share_p95"].max() == pytest.approx(0.0, abs=1e-9)
    assert prioritised["peak_price_ratio_p95"].to_numpy() == pytest.approx(
        calm["peak_price_ratio_p95"].to_numpy(), abs=1e-9)


def test_club_priority_never_leaves_members_shorter(ds) -> None:
    # Members first, up to their need: the alliance's helium shortage under priority is at
    # most the pooled market's (it was larger when a price trigger switched priority off
    # right after the shock, while the bloc's stocks were still empty).
    pooled = _alliance(ds, "helium-supply-shock")
    prioritised = _alliance(ds, _with_priority(ds, "helium-supply-shock"))
    for column in ("shortage_share_p95", "shortage_share_mean"):
        assert prioritised.loc["helium_refining", column] <= \
            pooled.loc["helium_refining", column] + 1e-12


def test_qatar_membership_is_worth_its_helium(ds) -> None:
    # The issue: Qatar's own contribution (helium, LNG) must show up when evaluated. With
    # Hormuz open and US/Russian helium out, Qatar inside the bloc serves the bloc first.
    # Helium shortages are rare events (a few % of draws), so one 400-draw seed can see
    # none: the line is checked over eight seeds, never negative and positive on average.
    # On the three-segment market, where this evaluation was built: on the country map the
    # members see no helium shortage with or without Qatar (its membership shows in the
    # bloc's price instead, P95 1.055 -> 1.00), and the per-member evaluation belongs to
    # issue 13 (levers per member).
    scn = workflows.load_scenario("helium-supply-shock", ds).model_copy(
        update={"regions": "segments"})
    helium = []
    for seed in range(SEED, SEED + 8):
        [qatar] = member_values(ds, [scn], candidates=["QAT"], draws=DRAWS, seed=seed)
        assert qatar.already_member
        # Its helium is credited on its own line: the total can still be dragged down when
        # priority takes helium a non-member fab needed for the chips the bloc imports.
        helium.append(dict(qatar.top_commodities).get("helium_refining", 0.0))
    assert min(helium) >= 0.0
    assert sum(helium) / len(helium) > 0.0
