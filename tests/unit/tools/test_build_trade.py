"""tools/build_trade.py: quantity repair, conversion and baseline by hand; the shipped tables
against published figures."""

from __future__ import annotations

import filecmp
import math
from pathlib import Path

import pandas as pd
import pytest

from paxsilica.data.package import read_package, read_trade_series
from tests.conftest import load_script

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(),
                                  reason="../shared/data (the BACI files) is not available")


@pytest.fixture(scope="module")
def bt():
    return load_script("tools/build_trade.py")


def _flows(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["year", "exporter", "importer", "hs6", "quantity_t",
                                       "value_usd"])


def test_repair_replaces_missing_and_implausible_tonnage(bt) -> None:
    flows = _flows([
        (2024, "AAA", "BBB", "260300", 100.0, 200_000.0),  # 2,000 $/t
        (2024, "CCC", "BBB", "260300", 50.0, 110_000.0),   # 2,200 $/t
        (2024, "CCC", "FFF", "260300", 10.0, 20_000.0),    # 2,000 $/t
        (2024, "DDD", "BBB", "260300", 90.0, 9_000.0),     # 100 $/t: 20x below the median
        (2024, "EEE", "BBB", "260300", math.nan, 42_000.0),  # missing tonnage
        (2024, "CCC", "GGG", "260300", math.nan, 6_300.0),   # missing, exporter CCC known
    ])
    out = bt.repair_quantities(flows)
    # medians over flows with a tonnage: plain median(2000, 2200, 2000, 100) = 2000 $/t;
    # tonnage-weighted: 250 t in all, the 125th tonne is at 2,000 $/t -> one kind of product.
    # DDD has no other flow, so its tonnage is 9,000 / 2,000; EEE likewise 42,000 / 2,000;
    # CCC's own median is 2,100 $/t, so its missing flow is 6,300 / 2,100 = 3 t.
    assert list(out["imputed"]) == [False, False, False, True, True, True]
    assert out["quantity_t"].tolist() == pytest.approx([100.0, 50.0, 10.0, 4.5, 21.0, 3.0])


def test_repair_leaves_a_code_of_mixed_products_alone(bt) -> None:
    flows = _flows([
        (2024, "PHL", "CHN", "260400", 1_000_000.0, 50_000_000.0),  # laterite ore, 50 $/t
        (2024, "CAN", "NOR", "260400", 100.0, 450_000.0),          # concentrate, 4,500 $/t
        (2024, "AUS", "FIN", "260400", 200.0, 800_000.0),          # 4,000 $/t
        (2024, "BRA", "FIN", "260400", 50.0, 250_000.0),           # 5,000 $/t
    ])
    # plain median 4,250 $/t vs tonnage-weighted 50 $/t: 85x apart, a mixed code
    out = bt.repair_quantities(flows)
    assert not out["imputed"].any()
    assert out["quantity_t"].tolist() == flows["quantity_t"].tolist()


def test_series_converts_with_factors_and_sums_codes(bt) -> None:
    flows = _flows([(2023, "CHL", "JPN", "283691", 1000.0, 1.0),
                    (2023, "CHL", "JPN", "282520", 100.0, 1.0)]).assign(imputed=False)
    codes = pd.DataFrame({"commodity": ["lithium_refining"] * 2, "hs6": ["283691", "282520"],
                          "factor": [0.18788, 0.16542]})
    series = bt.trade_series(flows, codes)
    assert series["quantity"].tolist() == pytest.approx([1000 * 0.18788 + 100 * 0.16542])
    assert series["value_usd"].tolist() == [2.0]


def test_baseline_is_the_mean_of_three_years_with_absent_years_as_zero(bt) -> None:
    series = pd.DataFrame({
        "commodity": ["x"] * 4, "exporter": ["A", "A", "A", "B"], "importer": ["C"] * 4,
        "year": [2021, 2022, 2024, 2024], "quantity": [99.0, 30.0, 60.0, 9.0],
        "value_usd": [1.0, 3.0, 6.0, 3.0], "imputed_share": [0.0, 0.0, 0.5, 1.0]})
    base = bt.baseline(series).set_index("exporter")
    # A: (30 + 0 + 60) / 3 = 30, of which 0.5 x 60 = 30 of 90 imputed; B: 9 / 3 = 3
    assert base.loc["A", "quantity"] == pytest.approx(30.0)
    assert base.loc["A", "imputed_share"] == pytest.approx(1 / 3)
    assert base.loc["B", "quantity"] == pytest.approx(3.0)
    assert set(base["period"]) == {"2022-2024"} and set(base["year"]) == {2024}


def test_significant_figures(bt) -> None:
    values = pd.Series([123456789.0, 0.000123456789, 0.0, -98765.4321])
    assert bt.significant(values, 3).tolist() == pytest.approx([1.23e8, 1.23e-4, 0.0, -9.88e4])


# -- the shipped tables -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pkg():
    return read_package()


def test_commodities_without_a_code_say_so(pkg) -> None:
    codes = pkg["trade_codes"].set_index("commodity")
    for commodity in ("gallium_refining", "helium_refining", "ndfeb_magnets",
                      "leading_edge_logic", "germanium_refining"):
        assert (codes.loc[[commodity], "coverage"] == "production_shares").all(), commodity
        assert codes.loc[[commodity], "note"].str.len().min() > 10
    traded = set(pkg["trade"]["commodity"])
    assert "germanium_refining" not in traded  # HS 811230 stops in 2016
    assert traded == set(codes.index[codes["coverage"].isin(["bilateral", "mixed_stage"])])
    assert set(codes.index[codes["coverage"] == "mixed_stage"]) == {"rare_earths_refining"}


def test_china_antimony_ore_exports_collapse_in_2024() -> None:
    """PROVENANCE.md section 10: China's HS 261710 exports were 6,169 t in 2023, 185 t in 2024
    (gross weight); the series holds them at 0.5 t Sb per t. In 2024 the unit-value check
    re-estimated two small flows (50 t to Pakistan at US$700/t, ~0.1 t to Czechia at
    US$398,000/t, against a median of ~US$8,100/t), so 2024 lands between 60 and 92.5 t Sb."""
    series = read_trade_series()
    china = series[(series["commodity"] == "antimony_mining") & (series["exporter"] == "CHN")]
    by_year = china.groupby("year")["quantity"].sum()
    assert by_year[2023] == pytest.approx(6169 * 0.5, rel=0.01)
    assert 60 < by_year[2024] <= 185 * 0.5 * 1.01
    assert by_year[2024] < 0.05 * by_year[2023]  # the 2024 collapse after China's controls


def test_baseline_matches_the_series(pkg) -> None:
    """The shipped baseline is the mean of the series' 2022-2024 flows (shipped separately)."""
    series = read_trade_series()
    window = series[series["year"].between(2022, 2024)]
    mean = window.groupby(["commodity", "exporter", "importer"])["quantity"].sum() / 3
    base = pkg["trade"].set_index(["commodity", "exporter", "importer"])["quantity"]
    joined = pd.concat([mean.rename("series"), base.rename("base")], axis=1)
    assert len(joined) == len(base) == len(mean)
    assert (joined["series"] - joined["base"]).abs().le(1e-5 * joined["base"] + 1e-9).all()


def test_drc_cobalt_exports_close_to_its_mine_output(pkg) -> None:
    """An independent check of the 35% Co factor: DRC ships nearly all its mine output
    (USGS: ~170-220 kt Co a year in 2022-2024) as hydroxide and intermediates."""
    trade = pkg["trade"]
    drc = trade[(trade["commodity"] == "cobalt_mining") & (trade["exporter"] == "COD")]
    assert 150_000 < drc["quantity"].sum() < 260_000


@needs_shared
def test_build_reproduces_the_shipped_series(tmp_path) -> None:
    build = load_script("tools/build_data.py")
    build.build(SHARED, tmp_path, build.DEFAULT_INPUTS)
    shipped = ROOT / "src" / "paxsilica" / "data" / "default"
    for name in ("trade.csv", "trade_codes.csv", "trade_series.parquet"):
        assert filecmp.cmp(tmp_path / name, shipped / name, shallow=False), name
