"""Engine invariants on random small datasets and random scenarios (hypothesis).

For every draw: mass balance per commodity, segment (or region, on random region maps with
random bilateral routes) and month; shortage = demand -
consumption >= 0; no negative stock or price; commercial stocks never above target; same
seed -> identical arrays; no shocks -> no shortage and baseline prices; more restriction
severity never means less alliance shortage; once shocks end and stocks are rebuilt, prices
are back at baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paxsilica.engine import simulate
from paxsilica.model.dataset import Dataset
from tests.conftest import FUZZ_PROFILE
from tests.unit.engine.conftest import (
    assert_invariants,
    assert_stocks_within_target,
    ban,
    commodity_row,
    make_dataset,
    mini,
    region_paths,
    scenario,
    stock_targets,
)

COUNTRIES = ("USA", "JPN", "CHN", "BRA", "ROW")
#: Derandomised like the fuzz profile ``ci`` (docs/reliability.md): the same examples on every
#: CI run, so a red run is a change's fault; ``PAXSILICA_FUZZ=long`` explores at random.
RANDOM = FUZZ_PROFILE == "long"
SETTINGS = settings(max_examples=30, deadline=None, derandomize=not RANDOM,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def datasets(draw, exits: bool = True, e_d=(-2.0, -0.02), e_s=(0.0, 1.5), cover=(0.0, 120.0)):
    n = draw(st.integers(1, 3))
    ids = [f"c{k}" for k in range(n)]
    rows = [commodity_row(cid, e_d=draw(st.floats(*e_d)), e_s=draw(st.floats(*e_s)),
                          cap=draw(st.floats(1.2, 8.0)), exit_months=draw(st.integers(1, 6)),
                          capability=(k == n - 1))
            for k, cid in enumerate(ids)]
    production = {cid: {c: q for c in COUNTRIES
                        if (q := draw(st.sampled_from([0.0, 1.0, 10.0, 300.0]))) > 0}
                  or {"CHN": 5.0} for cid in ids}
    recipes = [(ids[k], ids[k - 1], 1.0, draw(st.floats(0.0, 1.0))) for k in range(1, n)]
    cover = {cid: draw(st.floats(*cover)) for cid in ids}
    costs = {(cid, c): draw(st.floats(10.0, 150.0)) for cid in ids for c in production[cid]
             if exits and draw(st.booleans())}
    return make_dataset(rows, production, recipes, cover, costs), ids


def shocks(ids):
    share = st.floats(0.0, 1.0)
    some = st.lists(st.sampled_from(ids), min_size=1, max_size=len(ids), unique=True)
    when = {"start_month": st.integers(0, 8), "probability": share}
    return st.one_of(
        st.fixed_dictionaries({"type": st.just("export_restriction"), "commodities": some,
                               "severity": share, "leakage": share,
                               "targets": st.sampled_from(["pax-silica", "all", "trade-club"])},
                              optional=when),
        st.fixed_dictionaries({"type": st.just("supply_outage"), "commodities": some,
                               "countries": st.lists(st.sampled_from(COUNTRIES), min_size=1,
                                                     max_size=3, unique=True),
                               "severity": share}, optional=when),
        st.fixed_dictionaries({"type": st.just("demand_surge"), "commodities": some,
                               "magnitude": st.floats(-0.5, 1.0)}, optional=when),
        st.fixed_dictionaries({"type": st.just("price_suppression"), "commodities": some,
                               "price_ratio": st.floats(0.1, 1.0)}, optional=when),
    )


def policies(ids):
    return st.one_of(
        st.fixed_dictionaries({
            "type": st.just("stockpile"), "holder": st.sampled_from(["pax-silica", "BRA"]),
            "holdings": st.dictionaries(st.sampled_from(ids), st.floats(0.0, 50.0), min_size=1),
            "release": st.fixed_dictionaries({
                "trigger": st.sampled_from(["price", "shortage"]),
                "threshold": st.floats(0.01, 0.5)}).map(
                    lambda r: r | {"threshold": 1 + r["threshold"] * 4}
                    if r["trigger"] == "price" else r),
            "refill": st.just({"below_price_ratio": 1.05, "budget_usd": 1e4})}),
        st.fixed_dictionaries({"type": st.just("price_floor"), "commodity": st.sampled_from(ids),
                               "floor_usd": st.floats(10.0, 150.0)}),
        st.just({"type": "trade_club_priority"}),
        st.fixed_dictionaries({"type": st.just("capacity_investment"),
                               "country": st.sampled_from(COUNTRIES[:-1]),
                               "commodity": st.sampled_from(ids),
                               "capacity": st.floats(1.0, 100.0),
                               "lead_time_months": st.integers(0, 10),
                               "capex_usd": st.just(1e6), "unit_cost": st.floats(10.0, 150.0)}),
    )


@st.composite
def cases(draw):
    ds, ids = draw(datasets())
    scn = scenario(draw(st.lists(shocks(ids), max_size=4)),
                   draw(st.lists(policies(ids), max_size=3)), horizon_months=12,
                   seed=draw(st.integers(0, 2**32)))
    return ds, scn


@SETTINGS
@given(cases())
def test_invariants_hold_for_every_draw(case) -> None:
    ds, scn = case
    res = simulate(ds, scn, draws=6)
    assert_invariants(res.paths)
    assert_stocks_within_target(res.paths, stock_targets(ds, scn))
    again = simulate(ds, scn, draws=6)
    for name in res.paths.data_vars:
        np.testing.assert_array_equal(res.paths[name].values, again.paths[name].values)


@st.composite
def regional_cases(draw):
    """A random case on a random region map ``rand`` (each country, ROW included, in one of
    up to four regions), with random bilateral trade rows and final-demand shares."""
    ds, scn = draw(cases())
    ids = list(ds.commodities["id"])
    region_of = {c: draw(st.sampled_from(["A", "B", "C", "D"])) for c in COUNTRIES}
    regions = pd.DataFrame([{"map": "rand", "region": r, "iso3": c, "source": "test"}
                            for c, r in region_of.items()])
    flows = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(COUNTRIES[:-1]),
                                    st.sampled_from(COUNTRIES[:-1]),
                                    st.floats(0.0, 400.0)), max_size=8))
    trade = pd.DataFrame([{"commodity": c, "exporter": e, "importer": i, "year": 2024,
                           "period": "2024", "quantity": q, "value_usd": q,
                           "imputed_share": 0.0, "source": "test"}
                          for c, e, i, q in flows if e != i],
                         columns=["commodity", "exporter", "importer", "year", "period",
                                  "quantity", "value_usd", "imputed_share", "source"])
    shares = draw(st.lists(st.floats(0.0, 0.25), min_size=4, max_size=4))
    final = pd.DataFrame([{"iso3": c, "share": x, "source": "test"}
                          for c, x in zip(COUNTRIES[:-1], shares, strict=True)])
    tables = dict(ds.tables) | {"regions": regions, "trade": trade, "final_demand": final}
    return Dataset.from_tables(tables), scn.model_copy(update={"regions": "rand"})


@SETTINGS
@given(regional_cases())
def test_invariants_hold_per_region_on_random_maps_and_routes(case) -> None:
    ds, scn = case
    res = simulate(ds, scn, draws=6, keep_paths=False, region_paths=True)
    by_region = region_paths(res.paths)
    assert_invariants(by_region)
    assert_stocks_within_target(by_region, stock_targets(ds, scn))


@SETTINGS
@given(datasets())
def test_no_shock_means_baseline(case) -> None:
    ds, _ = case
    res = simulate(ds, scenario(horizon_months=12), draws=2)
    np.testing.assert_allclose(res.paths.price_ratio, 1.0, rtol=1e-9)
    assert float(res.paths.shortage.max()) == 0.0


@settings(max_examples=25, deadline=None, derandomize=not RANDOM)
@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.0, 0.9))
def test_more_severity_never_gives_the_alliance_more(a, b, leakage) -> None:
    """What the bloc consumes over the horizon never rises with severity.

    Shortage (demand at the capped price minus supply) is not monotone and is not asserted:
    at leakage 0, severity 0.9375 hits the substitution cap a month before 0.90625 does, so
    supply and imports answer a month sooner and cumulative shortage is 2.8 against 4.6,
    while the bloc still gets less ore (hypothesis found it; see issue 12's backstop)."""
    low, high = sorted((a, b))
    ds = mini()

    def consumed(severity: float) -> float:
        res = simulate(ds, scenario([ban(severity, leakage=leakage)], horizon_months=24),
                       draws=1)
        return float(res.paths.consumption.sel(commodity="ore", segment="alliance").sum())

    assert consumed(high) <= consumed(low) * (1 + 1e-9) + 1e-9


RECOVERY_MONTHS = 120
#: Stated tolerance: once every commercial stock has been back within 0.1% of its target for a
#: year (producers' smoothed price expectations settle too), every price is within 0.5% of
#: baseline. Restocking itself holds the price at most 5% above baseline while it lasts.
PRICE_TOLERANCE = 0.005
SETTLE_MONTHS = 12


@settings(max_examples=20, deadline=None, derandomize=not RANDOM,
          suppress_health_check=[HealthCheck.too_slow])
@given(datasets(exits=False, e_d=(-1.5, -0.3), e_s=(0.3, 1.5), cover=(5.0, 45.0)),
       st.floats(0.2, 1.0), st.integers(0, 6), st.integers(1, 9),
       st.sampled_from(["export_restriction", "supply_outage", "demand_surge"]))
def test_prices_return_to_baseline_once_stocks_are_rebuilt(case, severity, start, duration,
                                                           kind) -> None:
    ds, ids = case
    shock = {"type": kind, "commodities": ids, "start_month": start,
             "duration_months": duration}
    shock |= {"magnitude": severity} if kind == "demand_surge" else {"severity": severity}
    if kind == "supply_outage":
        shock["countries"] = ["CHN", "USA"]
    scn = scenario([shock], horizon_months=RECOVERY_MONTHS)
    res = simulate(ds, scn, draws=2)
    target = stock_targets(ds, scn).assign_coords(segment=res.paths.segment.values)
    assert_stocks_within_target(res.paths, stock_targets(ds, scn))
    after = res.paths.isel(month=slice(start + duration, None))
    rebuilt = (after.stock_commercial >= target.isel(month=slice(start + duration, None))
               * (1 - 1e-3)).all(("commodity", "segment"))
    # every draw is rebuilt by the end of ten years, and a year on prices are at baseline
    assert bool(rebuilt.isel(month=-1).all())
    steady = rebuilt.astype(float).rolling(month=SETTLE_MONTHS).min() == 1.0
    assert bool(steady.isel(month=-1).all())
    settled = after.price_ratio.where(steady)
    assert float(abs(settled - 1.0).max()) <= PRICE_TOLERANCE
    assert float(after.price_ratio.where(rebuilt).max()) <= 1.05 + 1e-9



@SETTINGS
@given(datasets(), st.floats(0.0, 1.0), st.floats(0.0, 5.0), st.floats(0.0, 3.0),
       st.floats(0.0, 1.0), st.integers(0, 4), st.integers(1, 4))
def test_invariants_hold_when_exporters_ship_stock_ahead(case, share, front, cover, severity,
                                                         announce, lead) -> None:
    """Stock shipped ahead of announced controls is a release, never output: the balance,
    the world's trade and non-negative stocks hold for any share and lead time, on every
    region of a random map."""
    from paxsilica.engine import EngineOptions

    ds, ids = case
    shock = {"type": "export_restriction", "commodities": [ids[0]], "severity": severity,
             "announce_month": announce, "start_month": announce + lead,
             "duration_months": 3}
    options = EngineOptions(front_running=front, ship_stock_ahead=share, precaution_cover=cover)
    res = simulate(ds, scenario([shock], horizon_months=12), draws=4, options=options,
                   region_paths=True)
    assert_invariants(res.paths)
    assert_invariants(region_paths(res.paths))
