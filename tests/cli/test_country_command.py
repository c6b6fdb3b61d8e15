"""`paxsilica country` and `paxsilica risk --importer`: hand-checked on the mini package with
bilateral trade added, and facts about Japan on the embedded data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paxsilica.cli.main import app
from tests.conftest import write_package

runner = CliRunner()

# Gallium flows (t/yr) added to the mini package (production: CHN 600, USA 300, ROW 100;
# pax-silica = USA + AUS; of-concern = CHN; WGI CHN -0.5, USA 1.0, AUS 1.5).
FLOWS = [("CHN", "USA", 50), ("AUS", "USA", 30), ("USA", "AUS", 5), ("USA", "CHN", 20),
         ("CHN", "AUS", 40)]


@pytest.fixture
def traded_package(tmp_path: Path, mini_tables: dict) -> Path:
    mini_tables["trade"] = [{"commodity": "gallium_refining", "exporter": e, "importer": i,
                             "year": "2024", "period": "2022-2024", "quantity": str(q),
                             "source": "usgs"} for e, i, q in FLOWS]
    return write_package(tmp_path / "traded", mini_tables)


def _json(args: list[str]) -> object:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_profile_json_matches_a_hand_calculation(traded_package: Path) -> None:
    profile = _json(["country", "USA", "--data", str(traded_package), "--format", "json"])
    assert (profile["iso3"], profile["name_en"], profile["name_ar"]) == (
        "USA", "United States", "الولايات المتحدة")
    assert profile["blocs"] == ["pax-silica"] and profile["trade_period"] == "2022-2024"
    deps = {row["commodity"]: row for row in profile["dependencies"]}
    gallium = deps["gallium_refining"]
    # imports CHN 50 + AUS 30 = 80; exports to AUS 5 + CHN 20 = 25; production 300
    # apparent consumption 300 + 80 - 25 = 355; import reliance (80 - 25) / 355
    assert gallium["imports"] == pytest.approx(80.0)
    assert gallium["exports"] == pytest.approx(25.0)
    assert gallium["apparent_consumption"] == pytest.approx(355.0)
    assert gallium["import_reliance"] == pytest.approx(55 / 355)
    assert gallium["import_concern_share"] == pytest.approx(50 / 80)
    assert (gallium["top_supplier"], gallium["top_supplier_share"]) == ("CHN",
                                                                         pytest.approx(50 / 80))
    assert gallium["top_supplier_name"] == "China" and gallium["top_supplier_of_concern"]
    assert gallium["trade_coverage"] == "bilateral"
    # EU SR with the USA's own sourcing: world HHI_WGI (ROW fragmented) 0.36 x 6 + 0.09 x 3;
    # sourcing USA 300, CHN 50, AUS 30 of 380 with scaled WGI 3, 6, 2 (= 5 - 2 x WGI)
    ir = 55 / 355
    world = 0.36 * 6 + 0.09 * 3
    sourcing = (300 / 380) ** 2 * 3 + (50 / 380) ** 2 * 6 + (30 / 380) ** 2 * 2
    assert gallium["supply_risk"] == pytest.approx((world * ir / 2 + sourcing * (1 - ir / 2))
                                                   * (1 - 0.0) * 0.9)
    devices = deps["gan_devices"]  # no trade rows: nothing is guessed
    assert devices["trade_coverage"] == "production_shares"
    assert devices["import_reliance"] is None and devices["top_supplier"] is None
    suppliers = [(row["exporter"], row["share"], row["of_concern"])
                 for row in profile["suppliers"]]
    assert suppliers == [("CHN", pytest.approx(0.625), True), ("AUS", pytest.approx(0.375),
                                                                 False)]
    holdings = [(row["commodity"], row["share"], row["rank"]) for row in profile["holdings"]]
    assert holdings == [("gan_devices", pytest.approx(1.0), 1),
                        ("gallium_refining", pytest.approx(0.3), 2)]


def test_risk_importer_bloc_leaves_trade_between_members_out(traded_package: Path) -> None:
    rows = _json(["risk", "--importer", "pax-silica", "--data", str(traded_package),
                  "--format", "json"])
    gallium = next(row for row in rows if row["commodity"] == "gallium_refining")
    # USA + AUS: imports from CHN 50 + 40 = 90, exports to CHN 20 (USA<->AUS is internal);
    # production 300 -> consumption 370, reliance 70 / 370, all imports from China
    assert gallium["bloc"] == "pax-silica"
    assert gallium["import_reliance"] == pytest.approx(70 / 370)
    assert gallium["import_concern_share"] == pytest.approx(1.0)
    assert gallium["import_hhi"] == pytest.approx(10_000.0)
    assert gallium["trade_coverage"] == "bilateral"
    country = _json(["risk", "--importer", "aus", "--data", str(traded_package), "--format",
                     "json"])
    gallium = next(row for row in country if row["commodity"] == "gallium_refining")
    # AUS makes none; imports CHN 40 + USA 5, exports 30: reliance 15 / 15 = 1
    assert gallium["bloc"] == "AUS" and gallium["import_reliance"] == pytest.approx(1.0)
    assert gallium["import_concern_share"] == pytest.approx(40 / 45)


def test_limit_keeps_n_rows_per_section(traded_package: Path) -> None:
    full = _json(["country", "USA", "--data", str(traded_package), "--format", "json"])
    one = _json(["country", "USA", "--data", str(traded_package), "--format", "json",
                 "--limit", "1"])
    assert one["dependencies"] == full["dependencies"][:1]
    assert one["holdings"] == full["holdings"][:1]
    assert one["totals"] == full["totals"] == {"dependencies": 2, "imported": 1,
                                               "holdings": 2, "bilateral": 1}


def test_profile_table_renders_its_sections(traded_package: Path) -> None:
    result = runner.invoke(app, ["country", "USA", "--data", str(traded_package)])
    assert result.exit_code == 0, result.output
    for text in ("Country profile: United States (USA)", "Dependencies, ranked by EU supply",
                 "Suppliers per material", "Layers of the stack it holds", "China (CHN)† 62%",
                 "Australia (AUS) 38%", "pax-silica", "15%"):  # 55/355 = 15.5%
        assert text in result.output, text


# -- embedded data ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def japan() -> dict:
    return _json(["country", "JPN", "--format", "json"])


def test_japan_depends_on_china_for_natural_graphite(japan: dict) -> None:
    deps = {row["commodity"]: row for row in japan["dependencies"]}
    assert {"gallium_refining", "graphite_mining", "graphite_refining"} <= set(deps)
    graphite = deps["graphite_mining"]
    # Japan has no graphite mine; China supplies most natural graphite traded (USGS, BACI)
    assert graphite["production"] == 0 and graphite["import_reliance"] == 1.0
    assert graphite["top_supplier"] == "CHN" and graphite["top_supplier_share"] > 0.5
    assert graphite["import_concern_share"] >= graphite["top_supplier_share"]
    assert graphite["trade_coverage"] == "bilateral"
    # gallium has no HS code of its own: no bilateral figures, not a guessed zero
    assert deps["gallium_refining"]["trade_coverage"] == "production_shares"
    assert deps["gallium_refining"]["import_reliance"] is None
    risks = [row["supply_risk"] for row in japan["dependencies"] if row["supply_risk"]]
    assert risks == sorted(risks, reverse=True)  # ranked by EU supply risk
    top = [row for row in japan["suppliers"] if row["commodity"] == "graphite_mining"][0]
    assert (top["exporter"], top["of_concern"]) == ("CHN", True)


def test_japan_holds_chip_materials(japan: dict) -> None:
    assert japan["name_en"] == "Japan" and "pax-silica" in japan["blocs"]
    held = {row["commodity"]: row for row in japan["holdings"]}
    assert held["photoresist"]["rank"] == 1  # JSR, TOK, Shin-Etsu, Sumitomo: Japan leads


def test_risk_importer_eu27_and_a_country(japan: dict) -> None:
    rows = _json(["risk", "--importer", "eu27", "--material", "graphite", "--format", "json"])
    assert {row["bloc"] for row in rows} == {"eu27"}
    assert {"trade_coverage", "import_hhi", "import_concern_share"} <= set(rows[0])
    rows = _json(["risk", "--importer", "jpn", "--format", "json"])
    by_id = {row["commodity"]: row for row in rows}
    profile = {row["commodity"]: row for row in japan["dependencies"]}
    for commodity in ("graphite_mining", "rare_earths_refining", "gallium_refining"):
        for key in ("supply_risk", "import_reliance", "import_concern_share"):
            assert by_id[commodity][key] == profile[commodity][key], (commodity, key)
    table = runner.invoke(app, ["risk", "--importer", "eu27", "--limit", "3"])
    assert table.exit_code == 0 and "eu27 perspective" in table.output
    assert "Import" in table.output and "reliance" in table.output


def test_arabic_headings_and_names() -> None:
    result = runner.invoke(app, ["country", "JPN", "--lang", "ar", "--limit", "3"])
    assert result.exit_code == 0, result.output
    for text in ("ملف الدولة", "اليابان", "الصين", "الاعتماد على الاستيراد",
                 "طبقات المنظومة التي تمتلكها"):
        assert text in result.output, text
    assert "Japan" not in result.output and "China" not in result.output
    payload = _json(["country", "JPN", "--lang", "ar", "--format", "json", "--limit", "3"])
    assert payload["name"] == "اليابان" and payload["lang"] == "ar"
    assert any(row["exporter_name"] == "الصين" for row in payload["suppliers"])
    risk = runner.invoke(app, ["risk", "--importer", "JPN", "--lang", "ar", "--limit", "3"])
    assert risk.exit_code == 0 and "اليابان (JPN)" in risk.output
    assert "أكبر منتج داخل المستورد" in risk.output  # the legend (headers wrap at spaces)


@pytest.mark.parametrize(("code", "hint"), [("JPX", "did you mean 'JPN' (Japan)?"),
                                            ("japan", "did you mean 'JPN' (Japan)?"),
                                            ("eu27", "is a bloc")])
def test_unknown_code_is_exit_2_with_the_fix(code: str, hint: str) -> None:
    result = runner.invoke(app, ["country", code])
    assert result.exit_code == 2
    assert hint in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 3  # one paragraph (wrapped)


def test_unknown_importer_is_exit_2() -> None:
    result = runner.invoke(app, ["risk", "--importer", "pax-silca"])
    assert result.exit_code == 2 and "did you mean 'pax-silica'?" in result.output
