"""Read a data package (a folder of CSV or Parquet files, or one Excel workbook) and check it.

``read_package`` returns plain pandas tables typed as :mod:`paxsilica.data.schema` declares
them, after every ``check_*`` below has passed; the first problem found raises a
:class:`~paxsilica.errors.DataError` naming the file, row and field. Rows are numbered as a
spreadsheet shows them: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from paxsilica.data.schema import REST_OF_WORLD, TABLES, TRADE_SERIES, Column, Table
from paxsilica.errors import DataError

__all__ = ["DEFAULT_PACKAGE", "check_references", "check_table", "read_package",
           "read_trade_series"]

DEFAULT_PACKAGE = "embedded"
_MAX_FILE_BYTES = 200 * 1024 * 1024
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TOLERANCE = 1e-6
#: Largest whole number a cell may hold: beyond 2**53 a number read as float is not exact.
_MAX_WHOLE = 2**53


def default_package_dir() -> Path:
    """Folder of the embedded data package shipped inside the wheel."""
    return Path(str(resources.files("paxsilica.data") / "default"))


def read_package(path: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """Read and check a data package; ``None`` reads the embedded default.

    Parameters
    ----------
    path : folder with ``<table>.csv`` / ``<table>.parquet`` files, or an ``.xlsx`` workbook
        with one sheet per table.

    Returns
    -------
    dict mapping table name to a typed DataFrame (optional tables may be missing).

    Raises
    ------
    DataError
        The first problem found, with file, row and field.
    """
    folder = default_package_dir() if path is None else Path(path)
    raw = _read_raw_tables(folder)
    tables = {name: check_table(TABLES[name], frame, file) for name, (frame, file) in raw.items()}
    files = {name: file for name, (_, file) in raw.items()}
    check_references(tables, files)
    return tables


def read_trade_series(path: str | Path | None = None) -> pd.DataFrame:
    """Yearly bilateral flows (``trade_series.parquet`` or ``.csv``) of a package, checked.

    The embedded series is CEPII BACI 1995-2024 in each commodity's unit, for back-tests; it
    is not part of a :class:`~paxsilica.model.dataset.Dataset` because no metric needs it.
    A package without the file gives an empty table with the declared columns.

    Raises
    ------
    DataError
        A file that cannot be read or breaks the declared columns (file, row, field).
    """
    folder = default_package_dir() if path is None else Path(path)
    for suffix in (".parquet", ".csv"):
        file = folder / f"{TRADE_SERIES.name}{suffix}"
        if file.exists():
            return check_table(TRADE_SERIES, _read_file(file), file.name)
    return pd.DataFrame({c: pd.Series(dtype=object) for c in TRADE_SERIES.column_names})


# -- raw reading ------------------------------------------------------------------------------
def _read_raw_tables(path: Path) -> dict[str, tuple[pd.DataFrame, str]]:
    if not path.exists():
        raise DataError(f"data package '{path}' does not exist; give a folder of CSV files "
                        "or an .xlsx workbook")
    if path.is_file():
        if path.suffix.lower() not in (".xlsx", ".xls"):
            raise DataError(f"'{path}' is a file; a data package is a folder of CSV/Parquet "
                            "files or an .xlsx workbook with one sheet per table")
        return _read_workbook(path)
    found: dict[str, tuple[pd.DataFrame, str]] = {}
    for name, spec in TABLES.items():
        for suffix in (".csv", ".parquet"):
            file = path / f"{name}{suffix}"
            if file.exists():
                found[name] = (_read_file(file), file.name)
                break
        else:
            if spec.required:
                raise DataError(f"required table '{name}' is missing: expected {name}.csv "
                                f"(or {name}.parquet) with columns {', '.join(spec.column_names)}",
                                file=str(path))
    return found


def _read_file(file: Path) -> pd.DataFrame:
    if file.stat().st_size > _MAX_FILE_BYTES:
        raise DataError(f"file is larger than {_MAX_FILE_BYTES // 2**20} MiB", file=file.name)
    try:
        if file.suffix == ".parquet":
            return _text_cells(pd.read_parquet(file), file.name)
        frame = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8")
        if not isinstance(frame.index, pd.RangeIndex):  # pandas made the extra fields an index
            raise DataError(f"a row has more fields than the header's {len(frame.columns)} "
                            "columns (an unquoted comma?)", file=file.name,
                            row=_first_long_row(file))
        return frame
    except UnicodeDecodeError as exc:
        raise DataError(f"file is not UTF-8 text ({exc.reason} at byte {exc.start})",
                        file=file.name) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot parse as CSV: {_first_line(exc)}", file=file.name) from None
    except (OSError, ValueError) as exc:  # pyarrow raises ArrowInvalid, a ValueError
        raise DataError(f"cannot read file: {_first_line(exc)}", file=file.name) from None


def _first_long_row(file: Path) -> int | None:
    """1-based row (header = 1) of the first CSV row longer than the header."""
    with open(file, encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        width = len(next(rows, []))
        for number, row in enumerate(rows, start=2):
            if len(row) > width:
                return number
    return None


def _text_cells(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Parquet cells as objects, blanks for nulls; binary cells must be UTF-8 text."""
    frame = frame.astype(object).where(lambda f: f.notna(), "")
    for column in frame.columns:
        for index, value in frame[column].items():
            if isinstance(value, bytes | bytearray):
                try:
                    frame.at[index, column] = bytes(value).decode("utf-8")
                except UnicodeDecodeError:
                    raise DataError("binary cell is not UTF-8 text", file=file,
                                    row=int(index) + 2, field=str(column)) from None
    return frame


def _read_workbook(path: Path) -> dict[str, tuple[pd.DataFrame, str]]:
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
    except Exception as exc:  # openpyxl raises many unrelated types for corrupt files
        raise DataError(f"cannot read workbook: {_first_line(exc)}", file=path.name) from None
    found = {}
    for name, spec in TABLES.items():
        if name in sheets:
            found[name] = (sheets[name].astype(str).replace("nan", ""), f"{path.name}[{name}]")
        elif spec.required:
            raise DataError(f"required sheet '{name}' is missing", file=path.name)
    return found


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# -- one table --------------------------------------------------------------------------------
def check_table(spec: Table, frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Check columns, cell types, bounds and keys of one table; return it typed."""
    frame = frame.rename(columns=lambda c: str(c).strip())
    repeated = frame.columns[frame.columns.duplicated()]
    if len(repeated):
        raise DataError(f"column '{repeated[0]}' appears more than once", file=file,
                        field=str(repeated[0]))
    missing = [c.name for c in spec.columns if c.required and c.name not in frame.columns]
    if missing:
        raise DataError(f"missing column '{missing[0]}' (expected columns: "
                        f"{', '.join(spec.column_names)})", file=file, field=missing[0])
    typed = pd.DataFrame(index=frame.index)
    for column in spec.columns:
        cells = frame[column.name] if column.name in frame.columns else pd.Series(
            "", index=frame.index, dtype=object)
        typed[column.name] = _typed_column(column, cells.astype(str).str.strip(), file)
    _check_keys(spec, typed, file)
    return typed.reset_index(drop=True)


def _typed_column(column: Column, cells: pd.Series, file: str) -> pd.Series:
    if column.default is not None:
        cells = cells.where(cells != "", column.default)
    blank = cells == ""
    if column.required and blank.any():
        row = int(blank.idxmax()) + 2
        raise DataError(f"'{column.name}' is empty; expected {_expected(column)}",
                        file=file, row=row, field=column.name)
    if column.dtype in ("float", "int"):
        values = pd.to_numeric(cells.where(~blank), errors="coerce")
        bad = values.isna() & ~blank
        if bad.any():
            row = int(bad.idxmax())
            raise DataError(f"'{cells[row]}' is not a number; expected {_expected(column)}",
                            file=file, row=row + 2, field=column.name)
        infinite = values.notna() & ~np.isfinite(values.astype("float64"))
        if infinite.any():
            row = int(infinite.idxmax())
            raise DataError(f"'{cells[row]}' is not a finite number; expected "
                            f"{_expected(column)}", file=file, row=row + 2, field=column.name)
        if column.dtype == "int":
            too_large = values.notna() & (values.abs() > _MAX_WHOLE)
            if too_large.any():
                row = int(too_large.idxmax())
                raise DataError(f"'{cells[row]}' is too large for a whole number (limit "
                                f"{_MAX_WHOLE:,})", file=file, row=row + 2, field=column.name)
            fractional = values.notna() & (values % 1 != 0)
            if fractional.any():
                row = int(fractional.idxmax())
                raise DataError(f"'{cells[row]}' is not a whole number", file=file,
                                row=row + 2, field=column.name)
        _check_bounds(column, values, cells, file)
        return values.astype("Int64") if column.dtype == "int" else values.astype("float64")
    if column.dtype == "bool":
        lowered = cells.str.lower()
        ok = lowered.isin(["true", "false", "1", "0", "yes", "no", ""])
        if not ok.all():
            row = int((~ok).idxmax())
            raise DataError(f"'{cells[row]}' is not true/false", file=file, row=row + 2,
                            field=column.name)
        return lowered.isin(["true", "1", "yes"])
    if column.dtype == "date":
        bad = ~blank & ~cells.str.match(_DATE)
        if bad.any():
            row = int(bad.idxmax())
            raise DataError(f"'{cells[row]}' is not a date; expected YYYY-MM-DD", file=file,
                            row=row + 2, field=column.name)
    if column.choices is not None:
        bad = ~blank & ~cells.isin(column.choices)
        if bad.any():
            row = int(bad.idxmax())
            raise DataError(f"'{cells[row]}' is not one of {', '.join(column.choices)}",
                            file=file, row=row + 2, field=column.name)
    return cells.where(~blank, None).astype(object)


def _check_bounds(column: Column, values: pd.Series, cells: pd.Series, file: str) -> None:
    for limit, outside in ((column.low, values < (column.low or 0)),
                           (column.high, values > (column.high or 0))):
        if limit is None:
            continue
        outside = outside.fillna(False)
        if outside.any():
            row = int(outside.idxmax())
            raise DataError(f"{cells[row]} is outside the allowed range; expected "
                            f"{_expected(column)}", file=file, row=row + 2, field=column.name)


def _expected(column: Column) -> str:
    text = {"float": "a number", "int": "a whole number", "bool": "true or false",
            "date": "a date YYYY-MM-DD", "str": "text"}[column.dtype]
    if column.low is not None and column.high is not None:
        text += f" in {column.low:g}..{column.high:g}"
    elif column.low is not None:
        text += f" >= {column.low:g}"
    if column.unit not in ("-", ""):
        text += f" ({column.unit})"
    return text


def _check_keys(spec: Table, typed: pd.DataFrame, file: str) -> None:
    duplicated = typed.duplicated(list(spec.key), keep="first")
    if duplicated.any():
        row = int(duplicated.idxmax())
        first = int((typed[list(spec.key)] == typed.loc[row, list(spec.key)]).all(axis=1).idxmax())
        key = ", ".join(f"{k}={typed.loc[row, k]}" for k in spec.key)
        raise DataError(f"duplicate key ({key}); first seen in row {first + 2}",
                        file=file, row=row + 2, field=spec.key[-1])


# -- across tables ----------------------------------------------------------------------------
def check_references(tables: Mapping[str, pd.DataFrame], files: Mapping[str, str]) -> None:
    """Check ids that point into other tables, and shares that must not exceed 100%."""
    source_ids = set(tables["sources"]["id"]) | {"user"}
    countries = set(tables["countries"]["iso3"]) | {REST_OF_WORLD}
    commodities = set(tables["commodities"]["id"])
    blocs = set(tables["blocs"]["bloc"])
    refs = {
        "countries": [("source", source_ids, "sources.csv")],
        "blocs": [("iso3", countries, "countries.csv"), ("source", source_ids, "sources.csv")],
        "commodities": [("source", source_ids, "sources.csv")],
        "production": [("commodity", commodities, "commodities.csv"),
                       ("iso3", countries, "countries.csv"), ("source", source_ids, "sources.csv")],
        "recipes": [("output", commodities, "commodities.csv"),
                    ("input", commodities, "commodities.csv"), ("source", source_ids, "sources.csv")],
        "stockpiles": [("holder", countries | blocs, "countries.csv or blocs.csv"),
                       ("commodity", commodities, "commodities.csv"),
                       ("source", source_ids, "sources.csv")],
        "inventories": [("commodity", commodities, "commodities.csv"),
                        ("source", source_ids, "sources.csv")],
        "chokepoints": [("iso3", countries, "countries.csv"),
                        ("commodity", commodities, "commodities.csv"),
                        ("source", source_ids, "sources.csv")],
        "trade": [("commodity", commodities, "commodities.csv"),
                  ("exporter", countries, "countries.csv"), ("importer", countries, "countries.csv"),
                  ("source", source_ids, "sources.csv")],
        "regions": [("iso3", countries, "countries.csv"), ("source", source_ids, "sources.csv")],
        "final_demand": [("iso3", countries, "countries.csv"),
                         ("source", source_ids, "sources.csv")],
        "trade_codes": [("commodity", commodities, "commodities.csv"),
                        ("source", source_ids, "sources.csv")],
    }
    for table, checks in refs.items():
        if table not in tables:
            continue
        for field, known, where in checks:
            _check_ids(tables[table], field, known, where, files[table])
    if "recipes" in tables:
        _check_input_shares(tables["recipes"], files["recipes"])
    if "final_demand" in tables:
        total = float(tables["final_demand"]["share"].astype(float).sum())
        if total > 1.0 + _TOLERANCE:
            raise DataError(f"final demand shares sum to {total:.4f}, above 1",
                            file=files["final_demand"], field="share")


def _check_ids(frame: pd.DataFrame, field: str, known: set[str], where: str, file: str) -> None:
    for index, cell in frame[field].items():
        if cell is None:
            continue
        ids = [part.strip() for part in str(cell).split(";")] if field == "source" else [cell]
        for value in ids:
            if value not in known:
                close = difflib.get_close_matches(value, sorted(known), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise DataError(f"'{value}' is not in {where}{hint}", file=file,
                                row=int(index) + 2, field=field)


def _check_input_shares(recipes: pd.DataFrame, file: str) -> None:
    totals = recipes.groupby("input")["input_share"].sum()
    over = totals[totals > 1 + _TOLERANCE]
    if not over.empty:
        name = over.index[0]
        row = int(recipes.index[recipes["input"] == name][-1]) + 2
        raise DataError(f"input_share of '{name}' sums to {over.iloc[0]:.1%} over its outputs; "
                        "shares of one input's use cannot exceed 100%", file=file, row=row,
                        field="input_share")

