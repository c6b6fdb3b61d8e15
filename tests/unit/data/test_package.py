"""read_package: typed tables from a valid package, and one clear DataError per bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from paxsilica.data.package import read_package
from paxsilica.errors import DataError
from tests.conftest import write_package


def test_valid_package_reads_typed_tables(mini_package: Path) -> None:
    tables = read_package(mini_package)
    prod = tables["production"]
    assert prod["quantity"].dtype == "float64"
    assert prod["quantity"].sum() == 1100.0
    assert prod["year"].tolist() == [2025] * 4
    assert tables["commodities"]["is_capability"].tolist() == [False, True]
    assert pd.isna(tables["countries"].set_index("iso3").loc["ROW", "wgi"])
    assert "stockpiles" not in tables  # optional and absent


def _error(tmp_path: Path, tables: dict) -> DataError:
    with pytest.raises(DataError) as info:
        read_package(write_package(tmp_path / "bad", tables))
    return info.value


def test_missing_column_names_file_and_field(tmp_path: Path, mini_tables: dict) -> None:
    for row in mini_tables["production"]:
        del row["quantity"]
    err = _error(tmp_path, mini_tables)
    assert (err.file, err.field) == ("production.csv", "quantity")
    assert "missing column 'quantity'" in str(err)


def test_non_numeric_value_names_row(tmp_path: Path, mini_tables: dict) -> None:
    mini_tables["production"][2]["quantity"] = "about 100"
    err = _error(tmp_path, mini_tables)
    assert (err.file, err.row, err.field) == ("production.csv", 4, "quantity")
    assert "'about 100' is not a number" in str(err)


def test_unknown_country_suggests_nothing_silly(tmp_path: Path, mini_tables: dict) -> None:
    mini_tables["production"][1]["iso3"] = "USB"
    err = _error(tmp_path, mini_tables)
    assert (err.file, err.row, err.field) == ("production.csv", 3, "iso3")
    assert "'USB' is not in countries.csv" in str(err)


def test_unknown_commodity_gets_did_you_mean(tmp_path: Path, mini_tables: dict) -> None:
    mini_tables["recipes"][0]["input"] = "galium_refining"
    err = _error(tmp_path, mini_tables)
    assert (err.file, err.row, err.field) == ("recipes.csv", 2, "input")
    assert "did you mean 'gallium_refining'?" in str(err)


def test_unknown_source_id(tmp_path: Path, mini_tables: dict) -> None:
    mini_tables["commodities"][0]["source"] = "usgs;nowhere"
    err = _error(tmp_path, mini_tables)
    assert (err.file, err.row, err.field) == ("commodities.csv", 2, "source")


def test_shares_over_100_percent(tmp_path: Path, mini_tables: dict) -> None:
    mini_tables["recipes"].append({"output": "gallium_refining", "input": "gallium_refining",
                                   "coefficient": "1", "input_share": "0.9", "source": "est"})
    err = _error(tmp_path, mini_tables)
    assert err.field == "input_share"
    assert "110.0%" in str(err)


def test_share_out_of_range(tmp_path: Path, mini_tables: dict) -> None:
    mini_tables["commodities"][0]["eol_recycling_rate"] = "1.4"
    err = _error(tmp_path, mini_tables)
    assert (err.row, err.field) == (2, "eol_recycling_rate")
    assert "0..1" in str(err)


def test_duplicate_key_points_at_both_rows(tmp_path: Path, mini_tables: dict) -> None:
    mini_tables["production"].append(dict(mini_tables["production"][0]))
    err = _error(tmp_path, mini_tables)
    assert (err.file, err.row) == ("production.csv", 6)
    assert "first seen in row 2" in str(err)


def test_cost_tranches_of_one_country_read_and_blank_is_tranche_0(tmp_path: Path,
                                                                  mini_tables: dict) -> None:
    # The mini package has no tranche column: every row is tranche 0. Split USA's 300 t into
    # two tranches; a third row with a blank tranche repeats tranche 0 and is a duplicate.
    rows = mini_tables["production"]
    rows[1] |= {"tranche": "0", "quantity": "200", "unit_cost": "50"}
    rows.append(dict(rows[1], tranche="1", quantity="100", unit_cost="90"))
    prod = read_package(write_package(tmp_path / "ok", mini_tables))["production"]
    assert prod["tranche"].tolist() == [0, 0, 0, 0, 1]
    gallium_usa = (prod["commodity"] == "gallium_refining") & (prod["iso3"] == "USA")
    assert prod.loc[gallium_usa, "quantity"].sum() == 300.0
    rows.append(dict(rows[1], tranche=""))
    err = _error(tmp_path, mini_tables)
    assert (err.file, err.row, err.field) == ("production.csv", 7, "tranche")
    assert "tranche=0" in str(err) and "first seen in row 3" in str(err)


def test_missing_required_table(tmp_path: Path, mini_tables: dict) -> None:
    del mini_tables["recipes"]
    err = _error(tmp_path, mini_tables)
    assert "required table 'recipes' is missing" in str(err)


def test_bad_choice_and_date(tmp_path: Path, mini_tables: dict) -> None:
    mini_tables["blocs"][0]["joined"] = "12/12/2025"
    err = _error(tmp_path, mini_tables)
    assert (err.file, err.row, err.field) == ("blocs.csv", 2, "joined")
    mini_tables["blocs"][0]["joined"] = "2025-12-12"
    mini_tables["blocs"][0]["role"] = "friend"
    err = _error(tmp_path / "2", mini_tables)
    assert err.field == "role" and "member, candidate, of_concern" in str(err)


def test_not_utf8(tmp_path: Path, mini_tables: dict) -> None:
    folder = write_package(tmp_path / "enc", mini_tables)
    (folder / "countries.csv").write_bytes("iso3,name_en\nCHN,Chin\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        read_package(folder)


def test_parquet_and_excel_read_the_same(tmp_path: Path, mini_package: Path) -> None:
    csv_tables = read_package(mini_package)
    pq = tmp_path / "pq"
    pq.mkdir()
    xlsx = tmp_path / "pkg.xlsx"
    with pd.ExcelWriter(xlsx) as writer:
        for file in mini_package.glob("*.csv"):
            raw = pd.read_csv(file, dtype=str, keep_default_na=False)
            raw.to_parquet(pq / f"{file.stem}.parquet")
            raw.to_excel(writer, sheet_name=file.stem, index=False)
    for other in (read_package(pq), read_package(xlsx)):
        for name, frame in csv_tables.items():
            pd.testing.assert_frame_equal(other[name], frame)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        read_package(tmp_path / "nope")
