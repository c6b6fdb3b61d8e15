"""A small Dataset built in code for the metrics tests (no files, no downloads).

World of the fixture (WGI estimate -> scaled 0..10 = 5 - 2 x estimate):

======  ========  ==========  ===========================
iso3    wgi       scaled      blocs
======  ========  ==========  ===========================
USA      1.0       3.0        pax-silica member
JPN      1.2       2.6        pax-silica member
AUS      1.5       2.0        pax-silica member
KOR      1.0       3.0        pax-silica candidate
CHN     -0.5       6.0        of-concern
COD     -1.5       8.0        -
ROW      -         -          -
======  ========  ==========  ===========================
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from paxsilica.model.dataset import Dataset

COUNTRIES = [("USA", 1.0), ("JPN", 1.2), ("AUS", 1.5), ("KOR", 1.0), ("CHN", -0.5),
             ("COD", -1.5), ("ROW", None)]

BLOCS = [("pax-silica", "USA", "member"), ("pax-silica", "JPN", "member"),
         ("pax-silica", "AUS", "member"), ("pax-silica", "KOR", "candidate"),
         ("of-concern", "CHN", "of_concern")]

# id, material, stage, eol_recycling_rate, substitution_index
COMMODITIES = [("gallium_refining", "gallium", "refining", 0.0, 0.9),
               ("cobalt_mining", "cobalt", "mining", 0.2, 1.0)]

# commodity, iso3, year, quantity, reliability
PRODUCTION = [
    ("gallium_refining", "CHN", 2023, 80.0, "high"),  # older year: must be ignored
    ("gallium_refining", "JPN", 2023, 20.0, "high"),
    ("gallium_refining", "CHN", 2024, 90.0, "high"),
    ("gallium_refining", "JPN", 2024, 5.0, "medium"),
    ("gallium_refining", "ROW", 2024, 5.0, "estimate"),
    ("cobalt_mining", "COD", 2024, 60.0, "medium"),
    ("cobalt_mining", "AUS", 2024, 20.0, "high"),
    ("cobalt_mining", "USA", 2024, 10.0, "high"),
    ("cobalt_mining", "ROW", 2024, 10.0, "low"),
]


def build_dataset(
    countries: list[tuple[str, float | None]] = COUNTRIES,
    blocs: list[tuple[str, str, str]] = BLOCS,
    commodities: list[tuple[str, str, str, float, float]] = COMMODITIES,
    production: list[tuple[str, str, int, float, str]] = PRODUCTION,
    trade: list[tuple[str, str, str, int, float]] | None = None,
) -> Dataset:
    """A Dataset with the schema's columns from compact tuples."""
    tables = {
        "sources": pd.DataFrame([{"id": "test", "citation": "unit-test fixture", "url": None,
                                  "license": None, "year": 2026, "kind": "estimate",
                                  "note": None}]),
        "countries": pd.DataFrame([{"iso3": c, "name_en": c, "name_ar": c,
                                    "wgi": float("nan") if w is None else w, "source": "test"}
                                   for c, w in countries]),
        "blocs": pd.DataFrame([{"bloc": b, "iso3": c, "role": r, "joined": None, "note": None,
                                "source": "test"} for b, c, r in blocs]),
        "commodities": pd.DataFrame([_commodity(*row) for row in commodities]),
        "production": pd.DataFrame([{"commodity": k, "iso3": c, "year": y, "quantity": q,
                                     "capacity": None, "unit_cost": None, "reliability": r,
                                     "source": "test"} for k, c, y, q, r in production]),
    }
    if trade is not None:
        tables["trade"] = pd.DataFrame([{"commodity": k, "exporter": e, "importer": i,
                                         "year": y, "quantity": q, "source": "test"}
                                        for k, e, i, y, q in trade])
    return Dataset.from_tables(tables)


def _commodity(cid: str, material: str, stage: str, eol: float, si: float) -> dict:
    return {"id": cid, "material": material, "stage": stage, "name_en": cid, "name_ar": cid,
            "unit": "t", "price_usd": 1.0, "demand_elasticity": -0.3, "supply_elasticity": 0.5,
            "eol_recycling_rate": eol, "substitution_index": si, "price_cap_ratio": 5.0,
            "lead_time_months": 24, "exit_months": 6, "is_capability": False,
            "source": "test"}


@pytest.fixture
def make_dataset() -> Callable[..., Dataset]:
    """The builder, for tests that vary one table."""
    return build_dataset


@pytest.fixture
def ds() -> Dataset:
    """The default fixture world (no trade table)."""
    return build_dataset()
