"""Calibration back-tests: the engine must keep reproducing documented real episodes.

Each band is the observation's own range (model_parameters_sourced.csv rows named in
tools/calibration_report.py, ../shared/data/episodes.md), never widened to pass; a change to
the engine, the data or EngineOptions that moves a back-test out of its band fails here.
Where the model misses the observation, the test is a strict xfail naming the missing
mechanism: when a fix makes it pass, the test fails until docs/calibration.md is updated and
the xfail removed. The episodes the behavioural parameters are fitted to are in
tests/integration/test_episodes.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import load_script

from paxsilica import workflows

ROOT = Path(__file__).resolve().parents[2]


def _report():
    return load_script("tools/calibration_report.py")


cr = _report()


@pytest.fixture(scope="module")
def ds():
    return workflows.load()


def _p50(ds, bt) -> float:
    return cr.quantiles(bt.measure(cr.run(bt.dataset(ds), bt.scenario), ds))[1]


def test_gallium_price_split_matches_2023_licensing(ds) -> None:
    # Rotterdam 500-600 vs FOB China 290 US$/kg (mp_54, mp_55): 1.72-2.07.
    assert cr.GALLIUM.band == pytest.approx((1.724, 2.069), abs=1e-3)
    assert cr.GALLIUM.band[0] <= _p50(ds, cr.GALLIUM) <= cr.GALLIUM.band[1]


def test_magnet_stocks_run_out_after_april_2025_controls(ds) -> None:
    # Car lines stopped after 4 Apr 2025 (episodes.md section 2): stocks ran out.
    weeks = cr.MAGNETS.measure(cr.run(ds, cr.MAGNETS.scenario), ds)
    assert np.mean(~np.isnan(weeks)) >= 0.9  # stocks run out in (almost) every draw


@pytest.mark.xfail(strict=True, reason="missing mechanism: commercial holders release stock "
                   "only as the price rises (inventory_release_price), with no precautionary "
                   "holding-back or licence-queue rationing, so the bloc's magnet stock lasts "
                   "about 9.5 weeks (P50) against the observed 6-8.5 (issue 12 part 1)")
def test_magnet_stock_out_within_weeks_of_april_2025_controls(ds) -> None:
    # Car lines stopped 6-8.5 weeks after 4 Apr 2025 (episodes.md section 2; the old
    # test band was 3-12 weeks).
    assert cr.MAGNETS.band == (6.0, 8.5)
    weeks = cr.MAGNETS.measure(cr.run(ds, cr.MAGNETS.scenario), ds)
    assert 6.0 <= cr.quantiles(weeks)[1] <= 8.5


@pytest.mark.xfail(strict=True, reason="missing data: antimony has only a mine stage, so "
                   "China's refining dominance is missing and the bloc / China ratio is about "
                   "1.24 against the observed 1.76-1.78 (docs/calibration.md gap 5)")
def test_antimony_price_split_matches_2024_licensing(ds) -> None:
    # Europe +57.3% and China -10.5% to -11.5% (mp_61): ratio 1.76-1.78 (the old test
    # band was 1.2-2.5, which the P50 of 1.24 passed by 0.04).
    assert cr.ANTIMONY.band == pytest.approx((1.758, 1.777), abs=1e-3)
    assert cr.ANTIMONY.band[0] <= _p50(ds, cr.ANTIMONY) <= cr.ANTIMONY.band[1]


def test_lithium_exits_match_the_2024_australian_idlings(ds) -> None:
    # episodes.md 5b: Ngungaju (180-200 kt/yr SC at 5.3-6% Li2O, 4,400-5,600 t Li) and Bald
    # Hill (guidance cut by 60-85 kt SC6, 1,700-2,400 t Li) idled in 2024: 7.4-9.6% of
    # Australia's 82,700 t Li (USGS 2024); Finniss and Mt Cattlin also idled (capacities not in
    # the sources; at Busch et al.'s 2023 rates +8%): about 7-18% within 12 months of Jan
    # 2024. The unit costs are the shipped ones (Busch et al. 2024); only the price is set to
    # Jan 2024 (mp_41).
    assert cr.LITHIUM.band == (0.07, 0.18)
    assert 0.07 <= _p50(ds, cr.LITHIUM) <= 0.18


def test_lithium_exits_wait_for_exit_months(ds) -> None:
    # Mt Cattlin, Ngungaju and Bald Hill idled 8-11 months after Jan 2024 (episodes.md 5b);
    # est_exit (6 months) was set from this episode, so this checks the rule, not the fit.
    res = cr.run(cr.LITHIUM.dataset(ds), cr.LITHIUM.scenario)
    assert np.median(cr.capacity_idled(res, "lithium_mining", cr.ALLIANCE, 5)) < 0.03
    assert np.median(cr.capacity_idled(res, "lithium_mining", cr.ALLIANCE, 6)) >= 0.05


def test_weeks_to_stock_out_by_hand() -> None:
    # 30 units of stock, deficit 20 a month at price 1: gone after 1.5 months.
    import xarray as xr

    months = 3
    stock = np.array([10.0, 0.0, 0.0])
    release = np.array([20.0, 10.0, 0.0])
    zeros = np.zeros(months)
    variables = {"stock_commercial": stock, "release": release, "build": zeros,
                 "supply": zeros, "exports": zeros, "imports": np.full(months, 80.0),
                 "demand": np.full(months, 100.0), "price_ratio": np.ones(months)}
    paths = xr.Dataset({k: (("draw", "month", "commodity", "segment"),
                            np.tile(v[None, :, None, None], (1, 1, 1, 3)))
                        for k, v in variables.items()}, coords={"commodity": ["x"]})
    res = type("R", (), {"paths": paths})()
    assert cr.weeks_to_stock_out(res, "x", -0.2)[0] == pytest.approx(1.5 * 365.25 / 7 / 12)


def test_parameter_table_is_complete_and_traceable(ds) -> None:
    table = cr.parameter_table(ds)
    value = table.set_index(["commodity", "parameter"])["value"]
    cited = table.set_index(["commodity", "parameter"])["source"]
    # every value is the shipped package's own (commodities.csv, inventories.csv), so the
    # document shows what the engine uses
    commodities = ds.commodities.set_index("id")
    cover = ds.inventories.set_index("commodity")
    for column, parameter in (("price_usd", "price"), ("demand_elasticity", "demand elasticity"),
                              ("supply_elasticity", "supply elasticity"),
                              ("price_cap_ratio", "price cap"), ("lead_time_months", "lead time"),
                              ("exit_months", "exit time")):
        for cid, expected in commodities[column].items():
            assert value[(cid, parameter)] == pytest.approx(float(expected)), (cid, parameter)
    for cid, days in cover["days_of_cover"].items():
        assert value[(cid, "inventory cover")] == pytest.approx(float(days)), cid
        assert cited[(cid, "inventory cover")] == cover.loc[cid, "source"]
    # a price's sources are among those commodities.csv cites for the commodity
    for cid in commodities.index:
        assert set(cited[(cid, "price")].split(";")) <= set(
            str(commodities.loc[cid, "source"]).split(";")), cid
    # statuses against the kinds in sources.csv: cobalt's elasticities come from a cited
    # thesis (mp_1, mp_2), polysilicon's price is an estimate, lithium chemicals' is USGS
    assert table["status"].isin(["sourced", "estimate", "mixed"]).all()
    status = table.set_index(["commodity", "parameter"])["status"]
    assert status[("cobalt_mining", "demand elasticity")] == "sourced"
    assert status[("polysilicon_refining", "price")] == "estimate"
    assert status[("lithium_refining", "price")] == "sourced"
    assert status[("gallium_refining", "demand elasticity")] == "estimate"
    # price caps and lead times have no source anywhere (model_parameters.md gaps 2 and 5)
    assert set(table.loc[table["parameter"] == "price cap", "status"]) == {"estimate"}


def test_generated_parameter_tables_in_the_document_are_current(ds) -> None:
    text = (ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")
    for name, body in (("parameters", cr.parameter_markdown(ds)),
                       ("engine", cr.engine_markdown())):
        block = re.search(
            rf"<!-- BEGIN generated:{name} -->\n(.*?)\n<!-- END generated:{name} -->", text, re.S)
        assert block is not None, f"docs/calibration.md lacks the generated:{name} block"
        assert block.group(1) == body, (f"docs/calibration.md generated:{name} is stale; run "
                                        "tools/calibration_report.py --write docs/calibration.md")
    # every engine option states its basis (the report writes "undocumented" where none does)
    assert "undocumented" not in cr.engine_markdown()


def test_generated_result_tables_in_the_document_are_current(ds) -> None:
    # The back-test, gallium path, lithium stress and sensitivity tables are engine output:
    # regenerate them (fixed seeds) and compare, so an engine change cannot leave them stale.
    text = (ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")
    parts = cr.sections(ds)
    for name in ("backtests", "gallium", "lithium", "sensitivity", "episodes",
                 "episode_coverage", "calibrated"):
        block = re.search(
            rf"<!-- BEGIN generated:{name} -->\n(.*?)\n<!-- END generated:{name} -->", text, re.S)
        assert block is not None, f"docs/calibration.md lacks the generated:{name} block"
        assert block.group(1) == parts[name], (
            f"docs/calibration.md generated:{name} is stale; run "
            "tools/calibration_report.py --write docs/calibration.md")


@pytest.mark.xfail(strict=True, reason="known gap: antimony has only a mine stage, so China's "
                   "refining dominance is missing and the bloc price does not rise (observed +57%)")
def test_antimony_bloc_price_rises(ds) -> None:
    res = cr.run(ds, cr.ANTIMONY.scenario)
    assert np.median(cr.price_at(res, "antimony_mining", 4, cr.ALLIANCE)) >= 1.2


def test_gallium_bloc_price_rises_before_stocks_run_out(ds) -> None:
    # Rotterdam rose from the July 2023 announcement (mp_54), while stocks were still drawn,
    # and never approached the 5x cap: the premium must appear in month 1, not at stock-out.
    res = cr.run(ds, cr.GALLIUM.scenario)
    bloc = np.median(cr._path(res, "price_ratio", "gallium_refining")[..., cr.ALLIANCE], axis=0)
    assert bloc[1] >= 1.05
    assert bloc.max() < 5.0


@pytest.mark.parametrize("reservation", [0.8, 0.95])
def test_restricting_home_price_holds_at_the_reservation_price(ds, reservation) -> None:
    # The mechanism, not the observation: reservation_price_ratio was set from China's
    # antimony -10.5% and gallium's flat FOB price, so comparing China's price with those
    # figures would re-test the value it was set from. Those observations are fitted
    # (in-sample) in tests/integration/test_episodes.py. Here: aimed at all destinations,
    # China's price holds at whatever reservation price is set, not at the floor.
    options = cr.EngineOptions(reservation_price_ratio=reservation)
    china = np.median(cr.price_at(cr.run(ds, cr.ANTIMONY.scenario, options=options),
                                  "antimony_mining", 4, cr.RESTRICTING))
    assert china == pytest.approx(reservation, abs=0.01)
    spec = dict(cr.GALLIUM.scenario)
    spec["shocks"] = [dict(spec["shocks"][0], targets="all")]
    ga = np.median(cr._path(cr.run(ds, spec, options=options), "price_ratio",
                            "gallium_refining")[..., cr.RESTRICTING], axis=0)
    assert ga.min() == pytest.approx(reservation, abs=0.01)


def test_magnet_controls_cut_bloc_vehicle_output(ds) -> None:
    res = cr.run(ds, cr.MAGNETS.scenario, keep_paths=False)
    loss = res.downstream.set_index("capability").loc["vehicles", "loss_share_p50"]
    assert loss > 0.0
