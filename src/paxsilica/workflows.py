"""The use cases the CLI, the API and notebooks share: load -> check -> run -> store -> report.

Each function takes plain arguments, returns plain objects (Dataset, DataFrame, dict) and
raises :mod:`paxsilica.errors` types; rendering and exit codes belong to the callers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from paxsilica.data.package import read_package
from paxsilica.data.schema import REST_OF_WORLD, TABLES
from paxsilica.model.dataset import Dataset

__all__ = ["data_info", "load", "risk", "validate_package"]


def load(path: str | Path | None = None) -> Dataset:
    """Load and check a data package; ``None`` loads the embedded default.

    Raises
    ------
    DataError
        A malformed or inconsistent package, naming file, row and field.
    """
    tables = read_package(path)
    return Dataset.from_tables(tables, origin="embedded" if path is None else str(path))


def validate_package(path: str | Path) -> dict[str, int]:
    """Check a user data package; return its row count per table (raises DataError)."""
    return {name: len(frame) for name, frame in read_package(path).items()}


def data_info(ds: Dataset) -> dict[str, object]:
    """Counts and data years of a dataset, for ``paxsilica data info``."""
    commodities = ds.commodities
    years = ds.production["year"].dropna().astype(int)
    countries = set(ds.countries["iso3"]) - {REST_OF_WORLD}
    stages = commodities["stage"].value_counts().sort_index()
    return {
        "origin": ds.origin,
        "dataset_hash": ds.content_hash,
        "countries": len(countries),
        "producers": len(ds.producers),
        "commodities": len(commodities),
        "materials": int(commodities.loc[commodities["stage"].isin(["mining", "refining"]),
                                         "material"].nunique()),
        "commodities_by_stage": {str(k): int(v) for k, v in stages.items()},
        "sources": len(ds.sources),
        "estimate_sources": int((ds.sources["kind"] == "estimate").sum()),
        "blocs": {bloc: len(ds.blocs[ds.blocs["bloc"] == bloc]) for bloc in ds.bloc_names()},
        "data_years": sorted({int(y) for y in years}),
        "rows": {name: len(ds.tables[name]) for name in TABLES},
    }


def risk(
    ds: Dataset,
    bloc: str = "pax-silica",
    material: str | None = None,
    stage: str | None = None,
) -> pd.DataFrame:
    """Concentration and supply-risk read-outs per commodity, from ``bloc``'s perspective.

    See :func:`paxsilica.metrics.exposure.risk_table` for the columns and assumptions.
    """
    from paxsilica.metrics.exposure import risk_table

    return risk_table(ds, bloc=bloc, material=material, stage=stage)
