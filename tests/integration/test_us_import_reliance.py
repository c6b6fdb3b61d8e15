"""The United States' import reliance, ours against USGS MCS 2026's published figures.

(a) runs everywhere: the paxsilica commodities, ours from the embedded package, against the
USGS figures kept in ``tests/data/us_import_reliance_usgs2024.csv``. (b) needs ../shared/data
(CI has it): every USGS figure, through the tool's core, and the generated files kept in step.

A difference must carry an explanation in ``tools/data_inputs/us_nir_mapping.yaml``
(``why_differs``) and an explanation must not outlive its difference, so a change of data or
mapping that flips any comparison fails here until the mapping says why.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

import paxsilica
from paxsilica.metrics.dependency import dependency_table
from tests.conftest import load_script

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
USGS_CSV = ROOT / "tests" / "data" / "us_import_reliance_usgs2024.csv"
MAPPING = ROOT / "tools" / "data_inputs" / "us_nir_mapping.yaml"
DOC = ROOT / "docs" / "us-import-reliance.md"
MIN_AGREE = 8  # of all USGS figures compared (the bar)
MIN_AGREE_PACKAGE = 6  # of the paxsilica commodities with trade (copper, nickel: other stage)
needs_shared = pytest.mark.skipif(not SHARED.is_dir(),
                                  reason="../shared/data (USGS and BACI files) is not available")


@pytest.fixture(scope="module")
def tool():
    return load_script("tools/us_import_reliance.py")


@pytest.fixture(scope="module")
def mapping() -> dict:
    return yaml.safe_load(MAPPING.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def usgs() -> pd.DataFrame:
    return pd.read_csv(USGS_CSV, dtype=str, keep_default_na=False)


def _package_entries(mapping: dict) -> dict[str, dict]:
    return {e["commodity"]: e for e in mapping["entries"] if e["basis"] == "package"}


# --------------------------------------------------------------------------------------------
# (a) the embedded package against the USGS figures kept in tests/data
# --------------------------------------------------------------------------------------------

def test_usgs_file_cites_its_source_and_holds_every_package_commodity(usgs, mapping):
    assert (usgs["source"].str.contains("Mineral Commodity Summaries 2026")
            & usgs["source"].str.contains("10.5066/P1WKQ63T")).all()
    assert set(usgs["year"]) == {str(mapping["year"])}
    package = usgs[usgs["basis"] == "package"]
    codes = paxsilica.load().tables["trade_codes"]
    mixed = set(codes.loc[codes["coverage"] == "mixed_stage", "commodity"])  # no IR computed
    assert mixed == {"rare_earths_refining"}
    assert set(package["commodity"]) == set(_package_entries(mapping)) - mixed
    # the figures as USGS prints them (MCS 2026, salient statistics, 2024)
    printed = dict(zip(package["commodity"], package["value_raw"], strict=True))
    assert printed["aluminium_refining"] == "62"
    assert printed["lithium_refining"] == ">50"


def test_package_import_reliance_agrees_with_usgs_or_says_why(tool, usgs, mapping):
    ours = dependency_table(paxsilica.load(), "USA").set_index("commodity")["import_reliance"]
    entries = _package_entries(mapping)
    agree = {}
    for row in usgs[usgs["basis"] == "package"].itertuples():
        value = float(ours[row.commodity])
        assert not math.isnan(value), f"{row.commodity} has no trade rows in the package"
        theirs = tool.published(row.value_raw, row.value_flag)
        agree[row.commodity] = theirs.agrees(100 * value, float(mapping["tolerance_pp"]))
        explained = bool(str(entries[row.commodity].get("why_differs") or "").strip())
        assert explained == (not agree[row.commodity]), (
            f"{row.commodity}: ours {100 * value:.0f}% vs USGS {row.value_raw}% "
            f"{'agree' if agree[row.commodity] else 'differ'}; "
            f"{'drop the stale' if explained else 'add a'} why_differs in {MAPPING.name}")
    assert sum(agree.values()) >= MIN_AGREE_PACKAGE, agree


# --------------------------------------------------------------------------------------------
# (b) every USGS figure, from ../shared/data
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def table(tool, mapping) -> pd.DataFrame:
    if not SHARED.is_dir():
        pytest.skip("../shared/data (USGS and BACI files) is not available")
    return tool.compare(SHARED, paxsilica.load(), mapping)


@needs_shared
def test_at_least_eight_commodities_agree_and_every_difference_is_explained(table):
    done = table[table["compared"]]
    assert int(done["agree"].sum()) >= MIN_AGREE
    for row in done.itertuples():
        if not row.agree:
            assert row.why_differs, f"{row.name}: ours {row.ours_pct:.0f}% vs USGS " \
                                    f"{row.value_raw}% without an explanation (why_differs)"
        else:
            assert not row.why_differs, f"{row.name} now agrees; drop its why_differs"
    nocode = table[table["basis"] == "none"]
    assert (nocode["why_none"].str.len() > 0).all()


@needs_shared
def test_every_paxsilica_commodity_with_trade_and_a_usgs_figure_is_compared(table):
    ds = paxsilica.load()
    covered = set(ds.tables["trade_codes"].query("coverage == 'bilateral'")["commodity"])
    compared = set(table.loc[table["compared"] & (table["basis"] == "package"), "commodity"])
    assert compared == covered - {"lng"}  # USGS publishes no NIR for natural gas


@needs_shared
def test_generated_files_are_up_to_date(tool, table, mapping, usgs):
    done = table[table["compared"]].sort_values(["usgs_chapter", "usgs_detail", "block"])
    assert list(usgs["value_raw"]) == list(done["value_raw"]), (
        "tests/data/us_import_reliance_usgs2024.csv is stale; run tools/us_import_reliance.py")
    salient = pd.read_csv(SHARED / tool.SALIENT_FILE)
    expected = tool.render_doc(table, mapping, tool.other_years_only(salient, mapping["year"]))
    assert DOC.read_text(encoding="utf-8") == expected, (
        "docs/us-import-reliance.md is stale; run tools/us_import_reliance.py")
