"""tools/us_import_reliance.py on hand-made frames: parsing USGS figures, agreement, matching
NIR rows to the mapping, US production with its fallback, and the BACI balance."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tests.conftest import load_script


@pytest.fixture(scope="module")
def tool():
    return load_script("tools/us_import_reliance.py")


@pytest.mark.parametrize(("raw", "flag", "ours", "agrees", "difference"), [
    ("62", "numeric", 77.0, True, 15.0),     # 15 pp is inside the tolerance
    ("62", "numeric", 77.5, False, 15.5),
    ("E", "net_exporter", 8.0, True, 8.0),   # E is 0%
    ("E", "net_exporter", 16.0, False, 16.0),
    (">50", "greater_than", 57.0, True, 0.0),
    (">50", "greater_than", 50.0, False, 0.0),  # the bound is strict and has no tolerance
    (">50", "greater_than", 40.0, False, -10.0),
    ("<25", "less_than", 28.0, False, 3.0),
    ("<25", "less_than", 0.0, True, 0.0),
])
def test_published_figures_agree_by_tolerance_or_bound(tool, raw, flag, ours, agrees,
                                                       difference):
    theirs = tool.published(raw, flag)
    assert theirs.comparable
    assert theirs.agrees(ours, 15.0) is agrees
    assert theirs.difference(ours) == pytest.approx(difference)


@pytest.mark.parametrize(("raw", "flag"), [(float("nan"), "not_available"), ("W", "withheld"),
                                           ("s", "less_than_half_unit")])
def test_published_figures_without_a_number_are_not_compared(tool, raw, flag):
    assert not tool.published(raw, flag).comparable


def _nir(chapter: str, detail: str, value: str, year: int = 2024) -> dict:
    return {"mcs_chapter": chapter, "statistics": "Net import reliance",
            "statistics_detail": detail, "year": year, "value_raw": value,
            "value_flag": "numeric"}


def test_nir_rows_number_repeated_labels_in_file_order(tool):
    salient = pd.DataFrame([_nir("BAUXITE AND ALUMINA", "NIR", ">75"),
                            _nir("BAUXITE AND ALUMINA", "NIR", "63"),
                            _nir("BAUXITE AND ALUMINA", "NIR", "59", year=2023),
                            _nir("ZINC", "NIR: Refined zinc", "73")])
    rows = tool.nir_rows(salient, 2024)
    assert list(rows["block"]) == [0, 1, 0]
    assert list(rows["value_raw"]) == [">75", "63", "73"]


def test_match_pairs_each_row_once_and_names_what_is_left(tool):
    rows = tool.nir_rows(pd.DataFrame([_nir("BAUXITE AND ALUMINA", "NIR", ">75"),
                                       _nir("BAUXITE AND ALUMINA", "NIR", "63"),
                                       _nir("HELIUM", "NIR: Helium", "E"),
                                       _nir("HELIUM", "NIR: Neon", "50")]), 2024)
    bauxite = {"chapter": "BAUXITE AND ALUMINA", "block": 0, "basis": "baci"}
    alumina = {"chapter": "BAUXITE AND ALUMINA", "block": 1, "basis": "none"}
    gases = {"chapter": "HELIUM", "basis": "none"}  # a none entry may claim a whole chapter
    pairs = tool.match(rows, [bauxite, alumina, gases])
    assert [(e is bauxite, r["value_raw"]) for e, r in pairs][:2] == [(True, ">75"),
                                                                      (False, "63")]
    with pytest.raises(tool.MappingError, match="no mapping entry.*HELIUM"):
        tool.match(rows, [bauxite, alumina])
    with pytest.raises(tool.MappingError, match="claims 2 NIR rows"):
        tool.match(rows, [{"chapter": "BAUXITE AND ALUMINA", "basis": "baci"}, gases])
    with pytest.raises(tool.MappingError, match="claimed twice"):
        tool.match(rows, [bauxite, alumina, gases, {**gases}])


def _production(values: list[tuple[str, str]], unit: str = "thousand metric tons"
                ) -> pd.DataFrame:
    return pd.DataFrame([{"mcs_chapter": "BARITE", "statistics_detail": "Production, mine",
                          "year": 2022 + i, "value_raw": raw, "value_flag": flag,
                          "value": float(raw) if flag == "numeric" else math.nan, "unit": unit}
                         for i, (raw, flag) in enumerate(values)])


def _wmd(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"Country_ISO": "USA", "commodity": "Baryte", "unit": "metr. t",
                         "year": [2022, 2023, 2024], "production": values})


def test_us_production_is_the_mean_in_tonnes_with_wmd_where_usgs_withholds(tool):
    years = range(2022, 2025)
    spec = {"chapter": "BARITE", "usgs": ["Production, mine"], "wmd": "Baryte",
            "wmd_factor": 0.5}
    numeric = _production([("300", "numeric"), ("330", "numeric"), ("", "zero")])
    assert tool.us_production(numeric, _wmd([1, 2, 3]), spec, years) == (210_000.0, "USGS")
    withheld = _production([("300", "numeric"), ("W", "withheld"), ("330", "numeric")])
    assert tool.us_production(withheld, _wmd([300.0, 360.0, 390.0]), spec, years) == (
        175.0, "World Mining Data")
    no_fallback = {k: v for k, v in spec.items() if not k.startswith("wmd")}
    assert tool.us_production(withheld, _wmd([1, 2, 3]), no_fallback, years)[0] == 0.0
    assert tool.us_production(withheld, _wmd([1, 2, 3]), None, years) == (0.0, "none declared")
    with pytest.raises(tool.MappingError, match="once per year"):
        tool.us_production(numeric.iloc[:2], _wmd([1, 2, 3]), spec, years)


def test_baci_balance_is_the_mean_in_content_and_gives_paxsilicas_reliance(tool):
    flows = pd.DataFrame([
        # year, exporter, importer, hs6, quantity_t
        (2023, "CHN", "USA", "261000", 100.0),
        (2024, "CHN", "USA", "261000", 300.0),
        (2024, "ZAF", "USA", "720241", 999.0),  # a code the entry does not name
        (2024, "USA", "MEX", "261000", 40.0),
        (2024, "CHN", "JPN", "261000", 500.0),  # neither end is the US
    ], columns=["year", "exporter", "importer", "hs6", "quantity_t"])
    balance = tool.baci_balance(flows, {"261000": 0.5}, 60.0, "chromium")
    assert balance.imports == pytest.approx((100 + 300) * 0.5 / 2)  # 100 t Cr a year
    assert balance.exports == pytest.approx(40 * 0.5 / 2)  # 10 t
    # (100 - 10) / (60 + 100 - 10)
    assert balance.import_reliance == pytest.approx(90 / 150)
    assert balance.period == "2023-2024"
