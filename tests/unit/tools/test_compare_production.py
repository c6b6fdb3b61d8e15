"""Tests of tools/compare_production.py (USGS vs World Mining Data production cross-check).

The comparison core runs on frames built here with hand-computed ratios; the real-data tests
(skipped when ../shared/data is absent) check pairs read by hand from the publishers' files.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import load_script

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(),
                                  reason="../shared/data (the source files) is not available")


@pytest.fixture(scope="module")
def cp():
    return load_script("tools/compare_production.py")


def usgs_row(iso3: str, value_raw: str, value: float, flag: str = "numeric",
             estimated: bool = False, notes: str = "") -> dict:
    """One row shaped like the tidy USGS world-production file (lithium, metric tons)."""
    return {"mcs_chapter": "LITHIUM", "statistics": "Production",
            "statistics_detail": "Mine production", "unit": "metric tons", "iso3": iso3,
            "country": iso3, "year": 2024, "value_raw": value_raw, "value": value,
            "value_flag": flag, "is_estimated": estimated, "notes": notes or None,
            "other_notes": "Significant revisions were made to the 2024 production for CHL."}


def wmd_row(iso3: str, production: float, source: str = "r") -> dict:
    """One row shaped like the World Mining Data long file (Li2O, metric tonnes)."""
    return {"Country": iso3, "Country_ISO": iso3, "commodity": "Lithium (Li2O)", "year": 2024,
            "unit": "metr. t", "production": production, "data_source": source}


@pytest.fixture
def tiny(cp):
    """USGS in t Li; WMD in t Li2O with a made-up factor 0.5 so ratios are exact by hand."""
    mapping = cp.Mapping(id="lithium", usgs_chapter="LITHIUM", usgs_details=("Mine production",),
                         usgs_unit="metric tons", usgs_factor=1.0,
                         wmd_commodity="Lithium (Li2O)", wmd_factor=0.5, unit="t Li",
                         measures="test")
    spec = cp.CrosscheckSpec(mappings=(mapping,), threshold=0.2, wmd_iso_fixes={},
                             not_compared=())
    usgs = pd.DataFrame([
        usgs_row("AUS", "120", 120.0),                 # WMD 200 x 0.5 = 100 -> 1.20, not over
        usgs_row("CHL", "50", 50.0, estimated=True),   # WMD 80 x 0.5 = 40 -> 1.25, over
        usgs_row("ARG", "80", 80.0),                   # WMD 200 x 0.5 = 100 -> 0.80, over
        usgs_row("ZWE", "—", 0.0, flag="zero"),        # WMD 10 x 0.5 = 5 -> 0, over
        usgs_row("BRA", "—", 0.0, flag="zero"),        # WMD 0 too: dropped
        usgs_row("USA", "W", math.nan, flag="withheld"),  # not compared
        usgs_row("MLI", "770", 770.0),                 # USGS only
    ])
    wmd = pd.DataFrame([wmd_row("AUS", 200), wmd_row("CHL", 80, "e"), wmd_row("ARG", 200),
                        wmd_row("ZWE", 10), wmd_row("BRA", 0), wmd_row("USA", 1000),
                        wmd_row("PRT", 165, "e")])
    return spec, usgs, wmd


def test_ratio_and_twenty_percent_flag_by_hand(cp, tiny):
    spec, usgs, wmd = tiny
    pairs, summary = cp.crosscheck(usgs, wmd, spec)
    got = pairs.set_index("iso3")
    assert sorted(got.index) == ["ARG", "AUS", "CHL", "ZWE"]
    assert got.loc["AUS", "wmd_value"] == pytest.approx(100.0)
    assert got.loc["AUS", "ratio"] == pytest.approx(1.20)
    assert got.loc["CHL", "ratio"] == pytest.approx(1.25)
    assert got.loc["ARG", "ratio"] == pytest.approx(0.80)
    assert got.loc["ZWE", "ratio"] == 0.0
    assert got["disagrees"].to_dict() == {"ARG": True, "AUS": False, "CHL": True, "ZWE": True}
    assert "USGS estimate" in got.loc["CHL", "reason"]
    assert "WMD estimated (e)" in got.loc["CHL", "reason"]
    assert "USGS revised its 2024 figure" in got.loc["CHL", "reason"]
    assert "USGS reports zero" in got.loc["ZWE", "reason"]
    row = summary.iloc[0]
    assert (row.compared, row.disagree, row.usgs_only, row.wmd_only, row.usgs_skipped) == \
        (4, 3, 1, 1, 1)
    assert row.median_ratio == pytest.approx(1.2)  # median of 0.8, 1.2, 1.25 (zero excluded)


@pytest.mark.parametrize(("ratio", "expected"), [
    (1.0, False), (1.2, False), (1.21, True), (1 / 1.2, False), (0.82, True), (0.0, True),
    (math.inf, True), (math.nan, False)])
def test_disagrees_is_symmetric(cp, ratio, expected):
    assert cp.disagrees(ratio, 0.2) is expected


@pytest.mark.parametrize(("raw", "step"), [
    ("12,900", 100.0), ("20,000", 1000.0), ("447", 1.0), ("7", 1.0), ("0.5", 0.1),
    ("W", 0.0), ("—", 0.0)])
def test_rounding_step(cp, raw, step):
    assert cp.rounding_step(raw) == step


def test_declared_factors_are_the_molar_mass_ratios(cp):
    li, nb, ta, o = 6.941, 92.906, 180.948, 15.999
    factors = {m.id: m.wmd_factor for m in cp.load_spec(cp.DEFAULT_MAPPING).mappings}
    assert factors["lithium"] == pytest.approx(2 * li / (2 * li + o), rel=1e-5)
    assert factors["niobium"] == pytest.approx(2 * nb / (2 * nb + 5 * o), rel=1e-5)
    assert factors["tantalum"] == pytest.approx(2 * ta / (2 * ta + 5 * o), rel=1e-5)


def test_paxsilica_ids_are_shipped_commodities(cp):
    shipped = set(pd.read_csv(ROOT / "src" / "paxsilica" / "data" / "default" /
                              "commodities.csv")["id"])
    named = {m.paxsilica for m in cp.load_spec(cp.DEFAULT_MAPPING).mappings if m.paxsilica}
    assert named <= shipped, f"not in commodities.csv: {sorted(named - shipped)}"


@pytest.fixture(scope="module")
def real(cp):
    spec = cp.load_spec(cp.DEFAULT_MAPPING)
    pairs, summary = cp.crosscheck(cp.read_usgs(SHARED), cp.read_wmd(SHARED, spec.wmd_iso_fixes),
                                   spec)
    return pairs.set_index(["mapping", "iso3", "year"]), summary


@needs_shared
def test_hand_read_pairs_on_the_real_files(real):
    """Read by hand from the publishers' files:

    raw/usgs_mcs2026/MCS2026_Commodities_Data.csv: COBALT, Turkey, Mine production, 2024,
    "2,200", Estimated.; LITHIUM, Argentina, Mine production, 2024, "13,800", Reported.
    raw/world_mining_data_bmf/world_mining_data_2018_2024_long.csv: Türkiye, TUR, e, 2024,
    425.0, Cobalt; Argentina, ARG, r, 2024, 29700.0, Lithium (Li2O).
    """
    pairs, _ = real
    cobalt = pairs.loc[("cobalt", "TUR", 2024)]
    assert (cobalt["usgs_value"], cobalt["wmd_value"]) == (2200.0, 425.0)
    assert cobalt["ratio"] == pytest.approx(2200 / 425)  # 5.18: disagrees
    assert cobalt["disagrees"] and cobalt["wmd_data_source"] == "e"
    lithium = pairs.loc[("lithium", "ARG", 2024)]
    li_per_li2o = 2 * 6.941 / (2 * 6.941 + 15.999)
    assert lithium["wmd_value"] == pytest.approx(29_700 * li_per_li2o, rel=1e-5)
    assert lithium["ratio"] == pytest.approx(13_800 / (29_700 * li_per_li2o), rel=1e-5)
    assert not lithium["disagrees"]


@needs_shared
def test_real_run_covers_the_shipped_commodities_in_2024(real):
    pairs, summary = real
    assert set(pairs.index.get_level_values("year")) == {2024}
    compared = set(summary.loc[summary["compared"] > 0, "mapping"])
    assert {"aluminium", "antimony", "cobalt", "copper", "gallium", "graphite", "indium",
            "lithium", "nickel", "rare_earths", "tantalum", "tungsten"} <= compared


@needs_shared
def test_committed_report_is_current(cp, tmp_path):
    doc, csv = tmp_path / "production-crosscheck.md", tmp_path / "production-crosscheck.csv"
    assert cp.main(["--doc", str(doc), "--csv", str(csv)]) == 0
    assert doc.read_text(encoding="utf-8") == \
        (ROOT / "docs" / "production-crosscheck.md").read_text(encoding="utf-8"), \
        "regenerate with: .venv/bin/python tools/compare_production.py"
    assert csv.read_text(encoding="utf-8") == \
        (ROOT / "docs" / "production-crosscheck.csv").read_text(encoding="utf-8")
