"""The Vault across members: holders, each member's loss, and direction (issue 13 parts 3-4).

On the embedded data and the default ``countries`` map, where each Pax Silica member is its
own region. Directions are checked on common random numbers over several seeds.
"""

from __future__ import annotations

import numpy as np
import pytest

from paxsilica.engine import simulate
from paxsilica.errors import ModelError
from paxsilica.model.scenario import Stockpile
from paxsilica.policy.sample import member_demand, shortage_value_usd
from paxsilica.policy.stockpile import DEFAULT_RELEASE
from paxsilica.policy.vault_members import (
    PLACEMENTS,
    plan_member_vault,
    split_holdings,
)
from paxsilica.workflows import load, load_scenario

SEEDS = (3, 11, 29)
MAGNETS = "ndfeb_magnets"


@pytest.fixture(scope="module")
def ds():
    return load()


@pytest.fixture(scope="module")
def controls(ds):
    return load_scenario("ree-export-controls", ds)


def japan_alone(scn):
    """The built-in controls aimed at Japan alone (as China's 2010 halt was)."""
    shock = scn.shocks[0].model_copy(update={"targets": "JPN"})
    return scn.model_copy(update={"name": "jpn-alone", "shocks": (shock,)})


def test_split_by_hand() -> None:
    out = split_holdings({"a": 90.0, "b": 10.0},
                         {"a": np.array([1.0, 2.0, 0.0]), "b": np.zeros(3)}, ["X", "Y", "Z"])
    assert out["X"] == pytest.approx({"a": 30.0, "b": 10 / 3})
    assert out["Y"] == pytest.approx({"a": 60.0, "b": 10 / 3})
    assert out["Z"] == pytest.approx({"b": 10 / 3})  # no weight for a: nothing of it


def test_holdings_are_conserved_and_members_named(ds, controls) -> None:
    held = {MAGNETS: 900.0, "rare_earths_refining": 2000.0}
    mv = plan_member_vault(ds, [controls], held, draws=20, seed=1)
    assert set(mv.members) == set(ds.members("pax-silica"))  # each member is its own region
    for placement in PLACEMENTS:
        for commodity, units in held.items():
            rows = [h for h in mv.holders(placement) if h.commodity == commodity]
            assert sum(h.units for h in rows) == pytest.approx(units, rel=1e-12)
            assert all(h.usd == pytest.approx(h.units * 50_000.0) for h in rows
                       if commodity == MAGNETS)
    # totals are the sums of the members' lines
    assert mv.total_without_usd == pytest.approx(sum(m.without_usd for m in mv.losses))
    for p in PLACEMENTS:
        assert mv.total_with_usd[p] == pytest.approx(sum(m.with_usd[p] for m in mv.losses))
        assert mv.total_saving[p].mean == pytest.approx(mv.total_without_usd
                                                        - mv.total_with_usd[p])


def test_member_loss_is_its_shortage_valued_on_its_demand(ds, controls) -> None:
    # independent of the module: one run, the region outcome read by hand
    mv = plan_member_vault(ds, [controls], {MAGNETS: 1.0}, draws=10, seed=5)
    res = simulate(ds, controls, draws=10, seed=5, keep_paths=False)
    regions, _, demand0 = member_demand(ds, controls)
    ids = list(ds.commodities["id"])
    value = shortage_value_usd(ds, ids)
    share = res.outcomes["region_shortage_share"].sel(commodity=ids, region="USA").values
    usa = (share * demand0[:, regions.index("USA")] * controls.horizon_months * value).sum(1)
    got = next(m for m in mv.losses if m.member == "USA")
    assert got.without_usd == pytest.approx(usa.mean(), rel=1e-9)
    assert got.without_usd > 0


@pytest.mark.parametrize("seed", SEEDS)
def test_a_member_with_deeper_stocks_loses_less(ds, controls, seed) -> None:
    # Japan and Korea face the same controls; only Japan holds a strategic stock of magnets
    # (about a month of its demand). Without it they lose the same share of their demand;
    # with it Japan's share falls below Korea's, on the same draws.
    regions, _, demand0 = member_demand(ds, controls)
    jpn_month = demand0[list(ds.commodities["id"]).index(MAGNETS), regions.index("JPN")]
    stock = Stockpile(type="stockpile", holder="JPN", holdings={MAGNETS: float(jpn_month)},
                      release=DEFAULT_RELEASE, max_release_share=1.0)
    deeper = controls.model_copy(update={"policies": (stock,)})

    def shares(scn):
        res = simulate(ds, scn, draws=40, seed=seed, keep_paths=False)
        s = res.outcomes["region_shortage_share"].sel(commodity=MAGNETS).mean("draw")
        return float(s.sel(region="JPN")), float(s.sel(region="KOR"))

    jpn0, kor0 = shares(controls)
    jpn1, kor1 = shares(deeper)
    assert jpn0 == pytest.approx(kor0, rel=0.05)
    assert jpn0 > 0
    assert jpn1 < jpn0 and jpn1 < kor1


@pytest.mark.parametrize("seed", SEEDS)
def test_stock_goes_where_the_loss_falls(ds, controls, seed) -> None:
    # A halt to Japan alone: placing by exposure puts the magnets in Japan and saves Japan
    # more than spreading them by demand, which leaves most of them with unhurt members.
    mv = plan_member_vault(ds, [japan_alone(controls)], {MAGNETS: 1000.0}, draws=30, seed=seed)
    assert [(h.member, h.units) for h in mv.holders("by_exposure")] == [("JPN", 1000.0)]
    jpn = next(m for m in mv.losses if m.member == "JPN")
    assert mv.losses[0].member == "JPN"  # the only member hit
    assert jpn.saving["by_exposure"].mean > jpn.saving["by_demand"].mean > 0
    assert mv.recommended == "by_exposure"
    gap = jpn.saving["by_exposure"].mean - jpn.saving["by_demand"].mean
    assert gap > 2 * jpn.saving["by_exposure"].standard_error


def test_bad_requests_are_clear(ds, controls) -> None:
    with pytest.raises(ModelError, match="not in the data: magnets"):
        plan_member_vault(ds, [controls], {"magnets": 1.0}, draws=5)
    segments = controls.model_copy(update={"regions": "segments"})
    with pytest.raises(ModelError, match="members as regions"):
        plan_member_vault(ds, [segments], {MAGNETS: 1.0}, draws=5)
    with pytest.raises(ModelError, match="at least 2"):
        plan_member_vault(ds, [controls], {MAGNETS: 1.0}, draws=1)


def test_a_second_source_is_worth_more_to_the_members_than_a_country_without_one(ds,
                                                                                controls):
    # On the country map, each candidate joins as a region of its own (split out of ROW)
    # and is valued by the shortage the *other* members are spared, region by region.
    # Malaysia refines 4,000 t of rare earths (Lynas), the largest source outside China;
    # Estonia, also in ROW, none in the data. Under China's controls Malaysia's membership
    # (members served first) lowers the members' rare-earth shortage on the same draws;
    # Estonia's changes no draw. Three seeds, pooled: the line clears 3 standard errors.
    from paxsilica.policy.membership import member_values

    lines, errors = [], []
    for seed in SEEDS:
        values = {v.iso3: v for v in member_values(ds, [controls], candidates=["MYS", "EST"],
                                                   draws=30, seed=seed, top=5)}
        assert values["EST"].risk_reduction_usd == 0.0
        assert values["EST"].estimate.draws_nonzero == 0
        tops = dict(values["MYS"].top_commodities)
        se = dict(zip(tops, values["MYS"].top_commodities_se_usd, strict=True))
        lines.append(tops.get("rare_earths_refining", 0.0))
        errors.append(se.get("rare_earths_refining", 0.0))
    mean = sum(lines) / len(lines)
    assert mean > 3 * (sum(e * e for e in errors) ** 0.5 / len(lines)) > 0


def test_own_region_splits_a_country_out_of_the_rest(ds) -> None:
    split, name = ds.with_own_region("MYS")
    rmap = split.region_map(name)
    assert name == "countries+MYS" and rmap.countries["MYS"] == "MYS"
    assert set(rmap.regions) == set(ds.region_map().regions) | {"MYS"}
    assert ds.with_own_region("JPN") == (ds, "countries")  # already alone
    assert "countries+MYS" not in ds.region_map_names()  # the original is unchanged
