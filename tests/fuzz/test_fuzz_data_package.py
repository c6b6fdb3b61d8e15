"""Fuzzing the data-package boundary (CSV, Parquet, Excel): a DataError naming the file, or a
Dataset that loads; never another exception.

Generators start from the hand-made mini package (tests/conftest.py) so most cases get past
the first check: cells replaced by hostile values, columns dropped or renamed, rows
duplicated, whole files replaced by random bytes, Parquet columns of unexpected types, and
workbooks with edited cells or random bytes. Packages that pass are also simulated briefly:
the engine must take any package the checks accept.
"""

from __future__ import annotations

import io
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from openpyxl.utils.exceptions import IllegalCharacterError
from hypothesis import strategies as st

from paxsilica import workflows
from paxsilica.data.package import read_package
from paxsilica.engine import simulate
from paxsilica.errors import DataError, PaxsilicaError
from paxsilica.model.dataset import Dataset
from paxsilica.model.scenario import Scenario
from tests.conftest import MINI, fuzz_settings, write_package

HOSTILE = ["", " ", "nan", "NaN", "inf", "-inf", "1e309", "-0", "0", "-1", "1e-320", "2.5",
           "99999999999999999999999", "true", "TRUE", "2025-13-45", "ROW", "CHN", "usgs",
           "usgs;;est", ";", "\x00", "é", "الصين", "=cmd|' /C calc'!A0", "'; DROP TABLE runs;--",
           "../../etc/passwd", "\ufeffid", "a\nb", '"', "1,2", "0x10", "1_000", "  7  "]
cells = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=10),
                  st.floats(allow_nan=True).map(repr), st.integers(-10**6, 10**6).map(str))
TABLE_NAMES = sorted(MINI)
SCENARIO = Scenario.from_mapping({
    "name": "fuzz", "title": "fuzz", "restricting": ["CHN"], "horizon_months": 6, "draws": 8,
    "seed": 1, "shocks": [{"type": "supply_outage", "countries": ["CHN"],
                           "commodities": ["gallium_refining"], "severity": 0.5}]})


#: Outcomes across this module's examples; printed at the end (run with -s to see them).
OUTCOMES: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _tally():
    yield
    print(f"\ndata-package fuzz outcomes: {dict(OUTCOMES)}")


def _copy() -> dict[str, list[dict[str, str]]]:
    return {name: [dict(row) for row in rows] for name, rows in MINI.items()}


@st.composite
def edited_tables(draw: st.DrawFn) -> dict[str, list[dict[str, str]]]:
    tables = _copy()
    for _ in range(draw(st.integers(1, 5))):
        name = draw(st.sampled_from(TABLE_NAMES))
        rows = tables[name]
        action = draw(st.sampled_from(["cell", "cell", "cell", "drop_column", "rename_column",
                                       "duplicate_row", "drop_rows", "extra_column"]))
        columns = list(rows[0]) if rows else []
        if action == "cell" and rows:
            row = draw(st.sampled_from(rows))
            row[draw(st.sampled_from(columns))] = draw(cells)
        elif action == "drop_column" and columns:
            gone = draw(st.sampled_from(columns))
            tables[name] = [{k: v for k, v in r.items() if k != gone} for r in rows]
        elif action == "rename_column" and columns:
            old, new = draw(st.sampled_from(columns)), draw(cells)
            tables[name] = [{(new if k == old else k): v for k, v in r.items()} for r in rows]
        elif action == "duplicate_row" and rows:
            rows.append(dict(draw(st.sampled_from(rows))))
        elif action == "drop_rows":
            tables[name] = rows[: draw(st.integers(0, len(rows)))]
        elif action == "extra_column":
            for r in rows:
                r[draw(st.sampled_from(["x", "id", " source ", ""]))] = draw(cells)
    return tables


def _accept_or_data_error(path: Path, simulate_too: bool = False) -> str:
    """Read the package; DataError must name a file; an accepted package must load (and run)."""
    try:
        tables = read_package(path)
    except DataError as exc:
        assert exc.file, exc
        OUTCOMES["rejected with DataError"] += 1
        return "rejected"
    ds = Dataset.from_tables(tables, origin=str(path))
    assert ds.content_hash
    workflows.data_info(ds)
    if simulate_too:
        try:
            result = simulate(ds, SCENARIO, draws=8, seed=1, keep_paths=False, workers=1)
        except PaxsilicaError:
            OUTCOMES["accepted, engine refused"] += 1
            return "accepted, engine refused"
        summary = result.summary.select_dtypes("number").to_numpy()
        assert not np.isinf(summary).any()
    OUTCOMES["accepted" + (" and simulated" if simulate_too else "")] += 1
    return "accepted"


@fuzz_settings(ci=200)
@given(edited_tables())
def test_csv_packages_with_hostile_edits(tables: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _accept_or_data_error(write_package(Path(tmp), tables))


NUMERIC = {"commodities": ["price_usd", "demand_elasticity", "supply_elasticity",
                           "eol_recycling_rate", "substitution_index", "price_cap_ratio",
                           "lead_time_months", "exit_months"],
           "production": ["quantity", "capacity", "unit_cost"],
           "recipes": ["coefficient", "input_share"]}
edges = st.one_of(st.sampled_from(["0", "1", "-5", "5", "-0", "1e-300", "1e300", "", "0.5",
                                   "-0.0001", "1000000"]),
                  st.floats(-10, 1e6, allow_nan=False).map(repr))


@st.composite
def numeric_edits(draw: st.DrawFn) -> dict[str, list[dict[str, str]]]:
    """Numbers at or near the edges of their ranges, so most packages pass the checks."""
    tables = _copy()
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(sorted(NUMERIC)))
        row = draw(st.sampled_from(tables[name]))
        row[draw(st.sampled_from(NUMERIC[name]))] = draw(edges)
    return tables


@fuzz_settings(ci=100)
@given(numeric_edits())
def test_accepted_packages_also_simulate(tables: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _accept_or_data_error(write_package(Path(tmp), tables), simulate_too=True)


@fuzz_settings(ci=80)
@given(st.sampled_from(TABLE_NAMES), st.binary(max_size=400))
def test_a_table_file_of_random_bytes(name: str, raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_package(Path(tmp), _copy())
        (folder / f"{name}.csv").write_bytes(raw)
        _accept_or_data_error(folder)


parquet_values = st.one_of(
    st.lists(st.integers(-2**63, 2**63 - 1), min_size=1, max_size=1),
    st.lists(st.floats(allow_nan=True), min_size=1, max_size=1),
    st.lists(st.booleans(), min_size=1, max_size=1),
    st.lists(st.none(), min_size=1, max_size=1),
    st.lists(st.binary(max_size=5), min_size=1, max_size=1),
    st.lists(st.text(max_size=5), min_size=1, max_size=1),
    st.lists(st.dates(), min_size=1, max_size=1))


@fuzz_settings(ci=80)
@given(st.sampled_from(TABLE_NAMES), st.data())
def test_parquet_tables_with_unexpected_column_types(name: str, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_package(Path(tmp), _copy())
        frame = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        (folder / f"{name}.csv").unlink()
        column = data.draw(st.sampled_from(list(frame.columns)))
        frame[column] = data.draw(parquet_values) * len(frame)
        try:
            frame.to_parquet(folder / f"{name}.parquet")
        except Exception:  # noqa: BLE001 - pyarrow cannot store every mixture; not our input
            return
        _accept_or_data_error(folder)


@fuzz_settings(ci=25)
@given(edited_tables())
def test_excel_workbooks_with_hostile_edits(tables: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "package.xlsx"
        try:
            with pd.ExcelWriter(path) as book:
                for name, rows in tables.items():
                    pd.DataFrame(rows).to_excel(book, sheet_name=name, index=False)
        except IllegalCharacterError:  # openpyxl cannot write control characters
            return
        _accept_or_data_error(path)


@fuzz_settings(ci=60)
@given(st.binary(max_size=2000), st.sampled_from([".xlsx", ".xls", ".XLSX"]))
def test_excel_files_of_random_or_truncated_bytes(raw: bytes, suffix: str) -> None:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as book:
        pd.DataFrame(MINI["sources"]).to_excel(book, sheet_name="sources", index=False)
    real = buffer.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"package{suffix}"
        cut = len(raw) % len(real)
        path.write_bytes(real[:cut] + raw if raw else raw)
        _accept_or_data_error(path)


@pytest.mark.parametrize(("table", "column", "value"), [
    ("sources", "year", "9.223372036854776e+18"),  # long run: int64 overflow (a warning/crash)
    ("sources", "year", "99999999999999999999999"),
    ("commodities", "price_usd", "1e309"),  # infinity passed the >= 0 bound
    ("production", "quantity", "inf"),
    ("countries", "source", "usgs"),  # control: still valid
])
def test_cells_found_by_the_long_runs(table: str, column: str, value: str) -> None:
    tables = _copy()
    tables[table][0][column] = value
    with tempfile.TemporaryDirectory() as tmp:
        outcome = _accept_or_data_error(write_package(Path(tmp), tables))
    assert outcome == ("accepted" if value == "usgs" else "rejected")


def test_duplicate_and_ragged_columns_are_data_errors(tmp_path: Path) -> None:
    """Found by fuzzing: ' source ' beside 'source' (AttributeError) and a row longer than
    the header (pandas made it the index: TypeError)."""
    folder = write_package(tmp_path / "pkg", _copy())
    text = (folder / "countries.csv").read_text(encoding="utf-8")
    (folder / "countries.csv").write_text(text.replace("source", "source, source ", 1),
                                          encoding="utf-8")
    assert _accept_or_data_error(folder) == "rejected"
    folder = write_package(tmp_path / "pkg2", _copy())
    with open(folder / "blocs.csv", "a", encoding="utf-8") as handle:
        handle.write("pax-silica,JPN,member,,,usgs,extra\n")
    assert _accept_or_data_error(folder) == "rejected"
