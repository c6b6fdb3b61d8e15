"""Trade dependency of a country or a bloc on the fixture world, against hand calculations.

Cobalt in the fixture (latest year 2024): production COD 60, AUS 20, USA 10, ROW 10.
Flows used below (t/yr, year 2024):

    COD -> USA 30, CHN -> USA 10, AUS -> USA 5 (intra-bloc for pax-silica),
    USA -> KOR 4, COD -> JPN 8, JPN -> CHN 12
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from paxsilica.errors import NotFoundError
from paxsilica.metrics.dependency import (
    dependency_table,
    import_sources,
    resolve_importer,
    trade_balance,
)
from paxsilica.metrics.exposure import risk_table
from paxsilica.model.dataset import Dataset

FLOWS = [("cobalt_mining", "COD", "USA", 2024, 30.0), ("cobalt_mining", "CHN", "USA", 2024, 10.0),
         ("cobalt_mining", "AUS", "USA", 2024, 5.0), ("cobalt_mining", "USA", "KOR", 2024, 4.0),
         ("cobalt_mining", "COD", "JPN", 2024, 8.0), ("cobalt_mining", "JPN", "CHN", 2024, 12.0),
         # an older year that must be ignored
         ("cobalt_mining", "CHN", "USA", 2020, 500.0)]


@pytest.fixture
def traded(make_dataset):
    return make_dataset(trade=FLOWS)


def test_a_country_balance_by_hand(traded) -> None:
    usa = trade_balance(traded, frozenset({"USA"}), "cobalt_mining")
    # imports 30 + 10 + 5 = 45; exports 4; production 10 -> AC = 51; IR = 41 / 51
    assert usa.imports == pytest.approx(45.0)
    assert usa.exports == pytest.approx(4.0)
    assert usa.apparent_consumption == pytest.approx(51.0)
    assert usa.import_reliance == pytest.approx(41.0 / 51.0)


def test_a_bloc_leaves_trade_between_members_out(traded) -> None:
    bloc = trade_balance(traded, resolve_importer(traded, "pax-silica").countries,
                         "cobalt_mining")
    # members USA, JPN, AUS (KOR is a candidate): AUS -> USA is internal.
    # imports: COD 30 + CHN 10 + COD 8 = 48; exports: USA -> KOR 4 + JPN -> CHN 12 = 16
    # production: AUS 20 + USA 10 = 30 -> AC = 62, IR = 32 / 62
    assert dict(bloc.sources) == {"CHN": 10.0, "COD": 38.0}
    assert bloc.exports == pytest.approx(16.0)
    assert bloc.import_reliance == pytest.approx(32.0 / 62.0)


def test_table_columns_and_concern_share(traded) -> None:
    row = dependency_table(traded, "USA").set_index("commodity").loc["cobalt_mining"]
    assert row["import_concern_share"] == pytest.approx(10.0 / 45.0)
    assert row["top_supplier"] == "COD"
    assert row["top_supplier_share"] == pytest.approx(30.0 / 45.0)
    # HHI of imports 30/10/5 of 45, on the 0..10,000 scale
    expected = 10_000 * ((30 / 45) ** 2 + (10 / 45) ** 2 + (5 / 45) ** 2)
    assert row["import_hhi"] == pytest.approx(expected)
    assert row["coverage"] == "bilateral"
    assert not row["transit"]


def test_no_trade_rows_mean_unknown_reliance(traded) -> None:
    gallium = dependency_table(traded, "JPN").set_index("commodity").loc["gallium_refining"]
    assert math.isnan(gallium["import_reliance"])
    assert gallium["coverage"] == "production_shares"


def test_net_exporter_has_zero_reliance(make_dataset) -> None:
    ds = make_dataset(trade=[("cobalt_mining", "COD", "USA", 2024, 30.0),
                             ("cobalt_mining", "CHN", "COD", 2024, 10.0)])
    assert trade_balance(ds, frozenset({"COD"}), "cobalt_mining").import_reliance == 0.0


def test_transit_when_exports_exceed_own_supply_from_safe_sources(make_dataset) -> None:
    # KOR makes nothing, buys 10 from CHN (of concern) and 2 from AUS, ships 9 on:
    # 9 > 0 + 12 - 10 = 2, so at least 7 t of its exports are Chinese material
    ds = make_dataset(trade=[("cobalt_mining", "CHN", "KOR", 2024, 10.0),
                             ("cobalt_mining", "AUS", "KOR", 2024, 2.0),
                             ("cobalt_mining", "KOR", "USA", 2024, 9.0)])
    row = dependency_table(ds, "KOR").set_index("commodity").loc["cobalt_mining"]
    assert bool(row["transit"])
    # the same exports covered by safe imports are no transit
    ds = make_dataset(trade=[("cobalt_mining", "CHN", "KOR", 2024, 10.0),
                             ("cobalt_mining", "AUS", "KOR", 2024, 12.0),
                             ("cobalt_mining", "KOR", "USA", 2024, 9.0)])
    assert not bool(dependency_table(ds, "KOR").set_index("commodity")
                    .loc["cobalt_mining", "transit"])


def test_import_sources_shares_sum_to_one(traded) -> None:
    sources = import_sources(traded, "USA", "cobalt_mining")
    assert list(sources["exporter"]) == ["COD", "CHN", "AUS"]
    assert sources["share"].sum() == pytest.approx(1.0)
    assert list(sources["of_concern"]) == [False, True, False]


def test_supply_risk_of_one_country_uses_its_actual_sourcing(traded) -> None:
    """EU SR for the USA with IR = 41/51 and the sourcing mix USA 10, COD 30, CHN 10, AUS 5."""
    row = risk_table(traded, importer="usa").set_index("commodity").loc["cobalt_mining"]
    scaled = {"USA": 3.0, "AUS": 2.0, "CHN": 6.0, "COD": 8.0}
    world = {"COD": 0.6, "AUS": 0.2, "USA": 0.1}  # ROW 0.1 fragmented
    sourcing = {"USA": 10 / 55, "COD": 30 / 55, "CHN": 10 / 55, "AUS": 5 / 55}
    hhi_world = sum(s * s * scaled[c] for c, s in world.items())
    hhi_sourcing = sum(s * s * scaled[c] for c, s in sourcing.items())
    ir = 41 / 51
    expected = (hhi_world * ir / 2 + hhi_sourcing * (1 - ir / 2)) * (1 - 0.2) * 1.0
    assert row["bloc"] == "USA"
    assert row["import_reliance"] == pytest.approx(ir)
    assert row["supply_risk"] == pytest.approx(expected)
    assert row["bloc_share"] == pytest.approx(0.1)


def test_unknown_importer_names_the_fix(traded) -> None:
    with pytest.raises(NotFoundError, match="'JPX'.*did you mean 'JPN'"):
        resolve_importer(traded, "JPX")


def test_inputs_are_not_modified(traded) -> None:
    before = traded.trade.copy()
    dependency_table(traded, "pax-silica")
    pd.testing.assert_frame_equal(traded.trade, before)



@pytest.mark.parametrize("text", ["jpx", "Jpn ", "JAPN"])
def test_near_misses_suggest_a_code_whatever_the_case(traded, text: str) -> None:
    with pytest.raises(NotFoundError, match="did you mean 'JPN'"):
        resolve_importer(traded, text)


def test_countries_only_refuses_a_bloc_and_names_the_fix(traded) -> None:
    with pytest.raises(NotFoundError, match="'pax-silica' is a bloc; give one country"):
        resolve_importer(traded, "pax-silica", blocs=False)
    with pytest.raises(NotFoundError, match="not the ISO3 code of a country.*did you mean 'CHN'"):
        resolve_importer(traded, "CHX", blocs=False)
    assert resolve_importer(traded, "jpn", blocs=False).countries == frozenset({"JPN"})


def test_mixed_stage_trade_gives_sourcing_but_no_reliance(traded) -> None:
    """Codes that also carry another stage's products: who ships to whom, but no IR."""
    tables = dict(traded.tables)
    tables["trade_codes"] = pd.DataFrame([{
        "commodity": "cobalt_mining", "hs6": "810510", "factor": 1.0, "basis": "test",
        "same_stage": False, "first_year": 2020, "last_year": 2024,
        "coverage": "mixed_stage", "note": None, "source": "test"}])
    mixed = Dataset.from_tables(tables)
    row = dependency_table(mixed, "USA").set_index("commodity").loc["cobalt_mining"]
    assert row["coverage"] == "mixed_stage"
    assert math.isnan(row["import_reliance"]) and math.isnan(row["apparent_consumption"])
    assert row["import_concern_share"] == pytest.approx(10.0 / 45.0)  # sourcing still known
    risk = risk_table(mixed, importer="USA").set_index("commodity").loc["cobalt_mining"]
    assert risk["trade_coverage"] == "mixed_stage" and math.isnan(risk["import_reliance"])
    # supply risk falls back to the pooled world market: equal to a dataset without trade
    pooled = risk_table(Dataset.from_tables({k: v for k, v in tables.items()
                                             if k not in ("trade", "trade_codes")}),
                        importer="USA").set_index("commodity").loc["cobalt_mining"]
    assert risk["supply_risk"] == pytest.approx(pooled["supply_risk"])
