"""The export-controls table: declared columns, checked dates and ids, every row sourced, and
the build step that writes it from tools/data_inputs/export_controls.yaml."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from paxsilica import workflows
from paxsilica.data.controls import check_control_ids, read_export_controls
from paxsilica.data.schema import EXPORT_CONTROLS
from paxsilica.errors import DataError
from tests.conftest import load_script

ROOT = Path(__file__).parents[3]
INPUTS = ROOT / "tools" / "data_inputs" / "export_controls.yaml"


def _write(folder: Path, rows: list[dict[str, str]]) -> Path:
    file = folder / "export_controls.csv"
    with file.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=EXPORT_CONTROLS.column_names)
        writer.writeheader()
        writer.writerows(rows)
    return folder


def _row(**changes: str) -> dict[str, str]:
    row = {"id": "x", "announced": "2023-07-03", "effective": "2023-08-01", "ended": "",
           "precision": "day", "imposer": "CHN", "targets": "all",
           "commodities": "gallium_refining", "measure": "licensing", "measure_ar": "ترخيص",
           "citation": "Reuters, 2023", "url": "https://example.org/a", "kind": "secondary"}
    return {**row, **changes}


def test_the_shipped_table_matches_its_inputs_and_every_row_has_a_source() -> None:
    table = read_export_controls()
    entries = yaml.safe_load(INPUTS.read_text(encoding="utf-8"))["controls"]
    assert sorted(table["id"]) == sorted(e["id"] for e in entries)
    by_id = {e["id"]: e for e in entries}
    for row in table.to_dict("records"):
        entry = by_id[row["id"]]
        assert row["announced"] == str(entry["announced"])
        assert row["commodities"].split(";") == list(entry["commodities"])
        assert row["url"].startswith(("https://", "http://")) and row["citation"]
    assert list(table["announced"]) == sorted(table["announced"])  # oldest first
    ds = workflows.load()
    check_control_ids(table, ds.commodities["id"], ds.countries["iso3"])


def test_the_dates_of_the_2023_gallium_licensing_are_the_announcement_and_the_start() -> None:
    row = read_export_controls().set_index("id").loc["chn-ga-ge-2023"]
    # episodes.md: announced 3 Jul 2023, in force 1 Aug 2023
    assert (row["announced"], row["effective"], row["precision"]) == \
        ("2023-07-03", "2023-08-01", "day")


def test_a_bad_date_names_its_row_and_field(tmp_path: Path) -> None:
    folder = _write(tmp_path, [_row(), _row(id="y", announced="3 July 2023")])
    with pytest.raises(DataError) as error:
        read_export_controls(folder)
    assert error.value.row == 3 and error.value.field == "announced"


def test_a_measure_cannot_end_before_it_was_announced(tmp_path: Path) -> None:
    folder = _write(tmp_path, [_row(ended="2022-01-01")])
    with pytest.raises(DataError, match="cannot end before") as error:
        read_export_controls(folder)
    assert error.value.field == "ended"


def test_a_missing_url_is_refused(tmp_path: Path) -> None:
    folder = _write(tmp_path, [_row(url="")])
    with pytest.raises(DataError) as error:
        read_export_controls(folder)
    assert error.value.field == "url"


def test_unknown_commodities_and_countries_are_named(tmp_path: Path) -> None:
    table = read_export_controls(_write(tmp_path, [_row(targets="USA;XXX")]))
    with pytest.raises(DataError) as error:
        check_control_ids(table, ["gallium_refining"], ["CHN", "USA"])
    assert error.value.field == "targets" and "XXX" in str(error.value)
    table = read_export_controls(_write(tmp_path, [_row(commodities="galium")]))
    with pytest.raises(DataError, match="galium"):
        check_control_ids(table, ["gallium_refining"], ["CHN"])


def test_a_package_without_the_file_has_an_empty_table(tmp_path: Path) -> None:
    table = read_export_controls(tmp_path)
    assert table.empty and list(table.columns) == list(EXPORT_CONTROLS.column_names)


def test_the_build_step_writes_the_shipped_file_and_refuses_unknown_ids(tmp_path: Path) -> None:
    build = load_script("tools/build_data.py")
    ds = workflows.load()
    tables = {"commodities": [{"id": c} for c in ds.commodities["id"]],
              "countries": [{"iso3": c} for c in ds.countries["iso3"]]}
    build.write_export_controls(INPUTS, tmp_path, tables)
    shipped = ROOT / "src" / "paxsilica" / "data" / "default" / "export_controls.csv"
    assert (tmp_path / "export_controls.csv").read_bytes() == shipped.read_bytes()
    tables["countries"] = [c for c in tables["countries"] if c["iso3"] != "COD"]
    with pytest.raises(build.BuildError, match="COD"):
        build.write_export_controls(INPUTS, tmp_path, tables)
