"""The export-controls timeline (``export_controls.csv``): real measures with their sources.

Declared in :data:`paxsilica.data.schema.EXPORT_CONTROLS` and built by
``tools/build_data.py`` from ``tools/data_inputs/export_controls.yaml``. It is not part of a
:class:`~paxsilica.model.dataset.Dataset` (no metric or engine step reads it), so adding a
measure never changes a dataset's hash or any simulated number.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from paxsilica.data.package import _read_file, check_table, default_package_dir
from paxsilica.data.schema import EXPORT_CONTROLS
from paxsilica.errors import DataError

__all__ = ["check_control_ids", "read_export_controls"]


def read_export_controls(path: str | Path | None = None) -> pd.DataFrame:
    """The package's export controls, checked against the declared columns, oldest first.

    A package without the file gives an empty table with the declared columns.

    Raises
    ------
    DataError
        A file that breaks the declared columns (file, row, field), or a measure that ends
        before it was announced.
    """
    folder = default_package_dir() if path is None else Path(path)
    file = folder / f"{EXPORT_CONTROLS.name}.csv"
    if not file.exists():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in EXPORT_CONTROLS.column_names})
    table = check_table(EXPORT_CONTROLS, _read_file(file), file.name)
    ended_text = table["ended"].fillna("").astype(str)
    ended = (ended_text != "") & (ended_text < table["announced"].astype(str))
    if ended.any():
        row = int(ended.to_numpy().nonzero()[0][0]) + 2
        raise DataError("a measure cannot end before it was announced", file=file.name,
                        row=row, field="ended")
    return table.sort_values(["announced", "id"]).reset_index(drop=True)


def check_control_ids(table: pd.DataFrame, commodities: Iterable[str],
                      countries: Iterable[str], file: str = "export_controls.csv") -> None:
    """Every commodity, imposer and target of ``table`` is a known id.

    Raises
    ------
    DataError
        Naming the row and field of the first unknown id.
    """
    known_commodities, known_countries = set(commodities), set(countries)
    for index, row in enumerate(table.to_dict("records")):
        checks = [("commodities", c, known_commodities) for c in str(row["commodities"]).split(";")]
        checks.append(("imposer", str(row["imposer"]), known_countries))
        if row["targets"] != "all":
            checks += [("targets", c, known_countries) for c in str(row["targets"]).split(";")]
        for field, value, known in checks:
            if value.strip() not in known:
                raise DataError(f"'{value}' is not a known id", file=file, row=index + 2,
                                field=field)
