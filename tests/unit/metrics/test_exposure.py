"""risk_table on the small fixture world of conftest.py, against hand calculations."""

from __future__ import annotations

import copy
import math

import pandas as pd
import pytest

from paxsilica.errors import NotFoundError
from paxsilica.metrics import risk_table
from paxsilica.metrics.exposure import RISK_COLUMNS
from paxsilica.model.dataset import Dataset

# Scaled WGI (5 - 2 x estimate): CHN 6, JPN 2.6, AUS 2, USA 3, COD 8.
# gallium_refining 2024: CHN 90, JPN 5, ROW 5 of 100.
#   HHI = 10,000 x (0.81 + 0.0025) = 8,125; bloc (JPN) 0.05; concern (CHN) 0.90
#   HHI_WGI = 0.81 x 6 + 0.0025 x 2.6 = 4.86 + 0.0065 = 4.8665; SR = 4.8665 x (1 - 0) x 0.9
GALLIUM_SR = 4.8665 * 0.9  # 4.37985
# cobalt_mining 2024: COD 60, AUS 20, USA 10, ROW 10 of 100.
#   HHI = 10,000 x (0.36 + 0.04 + 0.01) = 4,100; bloc (AUS, USA) 0.30; concern 0
#   HHI_WGI = 0.36 x 8 + 0.04 x 2 + 0.01 x 3 = 2.99; SR = 2.99 x (1 - 0.2) x 1.0
COBALT_SR = 2.99 * 0.8  # 2.392


def test_one_row_per_commodity_with_hand_calculated_metrics(ds: Dataset) -> None:
    table = risk_table(ds)
    assert tuple(table.columns) == RISK_COLUMNS
    assert list(table["commodity"]) == ["gallium_refining", "cobalt_mining"]  # SR descending
    gallium, cobalt = table.iloc[0], table.iloc[1]

    assert gallium["year"] == 2024  # the 2023 rows are ignored
    assert gallium["hhi"] == pytest.approx(8125.0)
    assert (gallium["top_country"], gallium["top_share"]) == ("CHN", pytest.approx(0.9))
    assert gallium["top3_share"] == pytest.approx(0.95)  # CHN + JPN; ROW is not a producer
    assert gallium["bloc_share"] == pytest.approx(0.05)
    assert gallium["concern_share"] == pytest.approx(0.90)
    assert gallium["supply_risk"] == pytest.approx(GALLIUM_SR)
    assert math.isnan(gallium["import_reliance"])  # no trade data: pooled market
    assert gallium["shares"] == pytest.approx({"CHN": 0.9, "JPN": 0.05, "ROW": 0.05})
    assert gallium["reliability"] == "estimate"
    assert gallium["n_producers"] == 2
    assert gallium["bloc"] == "pax-silica"

    assert cobalt["hhi"] == pytest.approx(4100.0)
    assert (cobalt["top_country"], cobalt["top_share"]) == ("COD", pytest.approx(0.6))
    assert cobalt["top3_share"] == pytest.approx(0.9)
    assert cobalt["bloc_share"] == pytest.approx(0.30)
    assert cobalt["concern_share"] == pytest.approx(0.0)
    assert cobalt["supply_risk"] == pytest.approx(COBALT_SR)
    assert cobalt["reliability"] == "low"
    assert cobalt["n_producers"] == 3


def test_candidates_are_not_members(make_dataset) -> None:
    # KOR is only a candidate of pax-silica: its output must not count as the bloc's
    production = [("cobalt_mining", "KOR", 2024, 50.0, "high"),
                  ("cobalt_mining", "COD", 2024, 50.0, "high")]
    table = risk_table(make_dataset(production=production))
    assert table.loc[0, "bloc_share"] == pytest.approx(0.0)


def test_other_bloc_and_no_concern_bloc(make_dataset) -> None:
    blocs = [("trade-club", "COD", "member"), ("of-concern", "CHN", "of_concern")]
    table = risk_table(make_dataset(blocs=blocs), bloc="trade-club", concern_bloc=None)
    cobalt = table.set_index("commodity").loc["cobalt_mining"]
    assert cobalt["bloc_share"] == pytest.approx(0.6)
    assert math.isnan(cobalt["concern_share"])


def test_trade_data_gives_sourcing_mix_and_import_reliance(make_dataset) -> None:
    # Bloc = USA, JPN, AUS. Own cobalt output: AUS 20 + USA 10 = 30.
    # Extra-bloc imports: COD->USA 30 + COD->JPN 10 = 40 (AUS->USA 5 is intra-bloc: ignored).
    # Exports to non-members: USA->CHN 2. Net imports = 40 - 2 = 38;
    # apparent consumption = 30 + 38 = 68; IR = 38/68 = 0.5588.
    # Sourcing mix: COD 40, AUS 20, USA 10 of 70 -> 4/7, 2/7, 1/7.
    # HHI_WGI sourcing = (16 x 8 + 4 x 2 + 1 x 3) / 49 = 139/49 = 2.8367; global = 2.99.
    # blend = 2.99 x 19/68 + 139/49 x (1 - 19/68); SR = blend x 0.8 x 1.0
    trade = [("cobalt_mining", "COD", "USA", 2024, 30.0),
             ("cobalt_mining", "COD", "JPN", 2024, 10.0),
             ("cobalt_mining", "AUS", "USA", 2024, 5.0),
             ("cobalt_mining", "USA", "CHN", 2024, 2.0),
             ("cobalt_mining", "COD", "USA", 2022, 99.0)]  # older year: ignored
    table = risk_table(make_dataset(trade=trade)).set_index("commodity")
    cobalt = table.loc["cobalt_mining"]
    assert cobalt["import_reliance"] == pytest.approx(38 / 68)
    blend = 2.99 * 19 / 68 + 139 / 49 * (1 - 19 / 68)
    assert cobalt["supply_risk"] == pytest.approx(blend * 0.8)
    assert cobalt["supply_risk"] != pytest.approx(COBALT_SR)
    # gallium has no trade rows: still the pooled-market result
    assert table.loc["gallium_refining", "supply_risk"] == pytest.approx(GALLIUM_SR)
    assert math.isnan(table.loc["gallium_refining", "import_reliance"])


def test_net_exporter_bloc_has_zero_import_reliance(make_dataset) -> None:
    trade = [("cobalt_mining", "AUS", "CHN", 2024, 15.0)]
    cobalt = risk_table(make_dataset(trade=trade)).set_index("commodity").loc["cobalt_mining"]
    assert cobalt["import_reliance"] == 0.0
    # IR 0 -> only the sourcing term: own mix AUS 2/3, USA 1/3
    # (4 x 2 + 1 x 3) / 9 = 11/9; SR = 11/9 x 0.8
    assert cobalt["supply_risk"] == pytest.approx(11 / 9 * 0.8)


def test_supply_risk_is_nan_without_any_wgi(make_dataset) -> None:
    countries = [(code, None) for code in ("USA", "JPN", "AUS", "KOR", "CHN", "COD", "ROW")]
    table = risk_table(make_dataset(countries=countries))
    assert table["supply_risk"].isna().all()
    # then sorted by HHI descending
    assert list(table["commodity"]) == ["gallium_refining", "cobalt_mining"]
    assert table.loc[0, "hhi"] == pytest.approx(8125.0)


def test_sorted_by_hhi_when_supply_risk_ties(make_dataset) -> None:
    # two commodities with SI = 0 -> SR = 0 for both; higher HHI first
    commodities = [("gallium_refining", "gallium", "refining", 0.0, 0.0),
                   ("cobalt_mining", "cobalt", "mining", 0.2, 0.0)]
    table = risk_table(make_dataset(commodities=commodities))
    assert list(table["supply_risk"]) == [0.0, 0.0]
    assert list(table["hhi"]) == sorted(table["hhi"], reverse=True)


def test_filters(ds: Dataset) -> None:
    assert list(risk_table(ds, material="cobalt")["commodity"]) == ["cobalt_mining"]
    assert list(risk_table(ds, stage="refining")["commodity"]) == ["gallium_refining"]
    assert risk_table(ds, material="cobalt", stage="refining").empty
    empty = risk_table(ds, stage="chip")  # a valid stage with no commodity
    assert empty.empty and tuple(empty.columns) == RISK_COLUMNS


@pytest.mark.parametrize("kwargs, expected", [
    ({"material": "galium"}, "material 'galium'.*did you mean 'gallium'"),
    ({"stage": "refinning"}, "stage 'refinning'.*did you mean 'refining'"),
    ({"bloc": "pax-silicon"}, "'pax-silicon'.*did you mean 'pax-silica'"),
    ({"concern_bloc": "nobody"}, "bloc 'nobody'"),
])
def test_unknown_names_raise_not_found(ds: Dataset, kwargs: dict, expected: str) -> None:
    with pytest.raises(NotFoundError, match=expected):
        risk_table(ds, **kwargs)


def test_dataset_is_not_mutated(make_dataset) -> None:
    trade = [("cobalt_mining", "COD", "USA", 2024, 30.0)]
    ds = make_dataset(trade=trade)
    before = {name: frame.copy(deep=True) for name, frame in ds.tables.items()}
    hash_before = ds.content_hash
    snapshot = copy.deepcopy(dict(ds.tables))
    risk_table(ds)
    risk_table(ds, material="cobalt")
    for name, frame in ds.tables.items():
        pd.testing.assert_frame_equal(frame, before[name])
        pd.testing.assert_frame_equal(frame, snapshot[name])
    # recompute the hash from the (possibly touched) tables
    assert Dataset.from_tables(ds.tables).content_hash == hash_before
