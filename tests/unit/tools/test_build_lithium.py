"""Tests of tools/build_lithium.py (lithium mine cost tranches from Busch et al. 2024).

The tranche building runs on a hand-made deposit frame with costs and shares computed by hand;
the real-data tests (skipped when ../shared/data is absent) check the shipped rows against the
USGS totals and the paper's own unit.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import load_script

from paxsilica.data.package import read_package

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(),
                                  reason="../shared/data (the source files) is not available")


@pytest.fixture(scope="module")
def bl():
    return load_script("tools/build_lithium.py")


def deposits() -> pd.DataFrame:
    """Country XA: four deposits with a 2025 rate and one without; XB: one brine."""
    return pd.DataFrame([
        # name, country, type, cost (US$/t Li, carbonate basis), 2025 rate (kt Li/yr)
        ("A", "XA", "Hard Rock", 14_308.25, 2.0),
        ("B", "XA", "Hard Rock", 14_408.25, 2.0),
        ("C", "XA", "Hard Rock", 18_308.25, 1.0),
        ("D", "XA", "Hard Rock", 22_308.25, 5.0),
        ("E", "XA", "Hard Rock", 99_000.00, 0.0),  # no 2025 output: left out
        ("F", "XB", "Brine", 10_000.00, 3.0),
    ], columns=["Deposit_Name", "Country", "Resource_Type", "cost1_noTax", "prod_rate2025"])


def test_mine_gate_cost_by_hand(bl) -> None:
    cost = bl.mine_gate_costs(deposits(), "cost1_noTax", 2500.0, mine_price=20_000.0,
                              carbonate_price=40_000.0)
    # hard rock: less the paper's conversion, 2,500 US$/t LCE x 5.3233 = 13,308.25 US$/t Li
    assert cost.tolist()[:4] == pytest.approx([1000.0, 1100.0, 5000.0, 9000.0])
    # brine sells carbonate: 10,000 x 20,000 / 40,000 (its cost over the carbonate price)
    assert cost.iloc[5] == pytest.approx(5000.0)


def test_country_tranches_by_hand(bl) -> None:
    frame = deposits()
    cost = bl.mine_gate_costs(frame, "cost1_noTax", 2500.0, 20_000.0, 40_000.0)
    tranches = bl.country_tranches(frame["Country"], cost, frame["prod_rate2025"],
                                   frame["Deposit_Name"], max_tranches=3)
    xa = tranches[tranches["iso3"] == "XA"]
    # costs 1000, 1100, 5000, 9000: rises 100, 3900, 4000 -> cuts after 5000 and after 1100
    assert xa["deposits"].tolist() == ["A; B", "C", "D"]
    assert xa["share"].tolist() == pytest.approx([4 / 10, 1 / 10, 5 / 10])
    assert xa["unit_cost"].tolist() == pytest.approx([(1000 * 2 + 1100 * 2) / 4, 5000, 9000])
    xb = tranches[tranches["iso3"] == "XB"]
    assert xb[["tranche", "share", "unit_cost"]].values.tolist() == [[0, 1.0, 5000.0]]
    one = bl.country_tranches(frame["Country"], cost, frame["prod_rate2025"],
                              frame["Deposit_Name"], max_tranches=1)
    assert one.loc[one["iso3"] == "XA", "unit_cost"].item() == pytest.approx(
        (1000 * 2 + 1100 * 2 + 5000 * 1 + 9000 * 5) / 10)


def test_split_rows_keeps_the_country_total(bl) -> None:
    frame = deposits()
    cost = bl.mine_gate_costs(frame, "cost1_noTax", 2500.0, 20_000.0, 40_000.0)
    tranches = bl.country_tranches(frame["Country"], cost, frame["prod_rate2025"],
                                   frame["Deposit_Name"], 3)
    usgs = {"commodity": "li", "iso3": "XA", "year": 2025, "quantity": 1000.0,
            "reliability": "medium", "source": "usgs"}
    other_year = dict(usgs, year=2024)
    rows = bl.split_rows([usgs, other_year], tranches, "li", 2025, "busch;est")
    split = [r for r in rows if r["year"] == 2025]
    assert [r["tranche"] for r in split] == [0, 1, 2]
    assert [r["quantity"] for r in split] == pytest.approx([400.0, 100.0, 500.0])
    assert sum(r["quantity"] for r in split) == 1000.0  # exactly: the last takes the rest
    assert [r["unit_cost"] for r in split] == [1050.0, 5000.0, 9000.0]
    assert {r["source"] for r in split} == {"usgs;busch;est"}
    assert other_year in rows and "tranche" not in other_year  # other years untouched


@needs_shared
def test_paper_costs_are_per_tonne_of_lithium(bl) -> None:
    # Read as US$/t Li, SQM's Atacama brine costs 21,239 / 5.3233 = 3,990 US$/t LCE, inside
    # the range of reported cash costs; read as US$/t LCE every producing deposit would cost
    # more than the 2025 carbonate price (9,000 US$/t LCE, USGS) and none would produce.
    frame = bl.read_deposits(SHARED / "raw" / "busch2024_lithium_deposits" / "Deposit.csv")
    sqm = frame.loc[frame["Deposit_Name"] == "Salar de Atacama (SQM)", "cost1_noTax"].item()
    assert sqm / bl.LCE_PER_LI == pytest.approx(3990, abs=1)
    producing = frame.loc[frame["Status"] == "Producing", "cost1_noTax"]
    assert producing.min() > 9000 and (producing / bl.LCE_PER_LI).max() < 9000


@needs_shared
def test_shipped_tranches_add_up_to_usgs() -> None:
    prod = read_package()["production"]
    li = prod[(prod["commodity"] == "lithium_mining") & (prod["year"] == 2025)]
    totals = li.groupby("iso3")["quantity"].sum()
    # USGS MCS 2026, lithium mine production 2025 (t Li): unchanged by the split
    assert totals["AUS"] == pytest.approx(92_000.0, rel=1e-12)
    assert totals["CHL"] == pytest.approx(56_000.0, rel=1e-12)
    assert totals.sum() == pytest.approx(288_380.0, rel=1e-12)
    assert li["unit_cost"].notna().all()
    aus = li[li["iso3"] == "AUS"].sort_values("tranche")
    assert aus["tranche"].tolist() == [0, 1, 2]
    assert aus["unit_cost"].is_monotonic_increasing
