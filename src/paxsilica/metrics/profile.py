"""A country's profile: what it depends on, from whom, and which layers of the stack it holds.

:func:`country_profile` gathers, for one ISO3 country, the tables a trade ministry asks for
first. Every figure comes from :mod:`paxsilica.metrics.exposure` (risk, EU supply risk with the
country's actual sourcing) and :mod:`paxsilica.metrics.dependency` (trade balance); this module
only selects, ranks and joins them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from paxsilica.data.schema import REST_OF_WORLD
from paxsilica.metrics.dependency import dependency_table, import_sources, resolve_importer
from paxsilica.metrics.exposure import risk_table
from paxsilica.model.dataset import Dataset
from paxsilica.model.records import json_records, json_safe

__all__ = ["PROFILE_TOP_SUPPLIERS", "CountryProfile", "country_profile"]

#: Suppliers listed per commodity in a profile.
PROFILE_TOP_SUPPLIERS = 5

_DEPENDENCY_COLUMNS = ["commodity", "material", "stage", "supply_risk", "import_reliance",
                       "import_concern_share", "import_hhi", "top_supplier",
                       "top_supplier_share", "production", "imports", "exports",
                       "apparent_consumption", "transit", "trade_coverage", "reliability"]


@dataclass(frozen=True)
class CountryProfile:
    """One country's exposure (quantities in each commodity's unit per year; shares 0..1).

    Attributes
    ----------
    iso3, name_en, name_ar, wgi : identity and governance (WGI mean estimate, -2.5..2.5).
    blocs : bloc ids the country belongs to (any role).
    dependencies : one row per commodity, ranked by EU supply risk (then import reliance).
    suppliers : the top :data:`PROFILE_TOP_SUPPLIERS` exporters per commodity it imports
        (``commodity``, ``exporter``, ``quantity``, ``share`` of its imports, ``of_concern``).
    holdings : the layers of the stack it produces (``commodity``, ``stage``, ``quantity``,
        ``share`` of world output, ``rank`` among producers), largest share first.
    trade_period : years of the trade baseline.
    """

    iso3: str
    name_en: str
    name_ar: str
    wgi: float
    blocs: tuple[str, ...]
    dependencies: pd.DataFrame
    suppliers: pd.DataFrame
    holdings: pd.DataFrame
    trade_period: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: tables as lists of records, ``nan`` as ``None``."""
        return {
            "iso3": self.iso3, "name_en": self.name_en, "name_ar": self.name_ar,
            "wgi": json_safe(self.wgi), "blocs": list(self.blocs),
            "trade_period": self.trade_period,
            "dependencies": json_records(self.dependencies),
            "suppliers": json_records(self.suppliers),
            "holdings": json_records(self.holdings),
        }


def country_profile(ds: Dataset, iso3: str, concern_bloc: str | None = "of-concern"
                    ) -> CountryProfile:
    """The profile of one country (see :class:`CountryProfile`).

    Raises
    ------
    NotFoundError
        For a code that is not a country in the data (a bloc id is refused: profiles are
        per country; use :func:`~paxsilica.metrics.exposure.risk_table` for a bloc).
    """
    code = resolve_importer(ds, iso3, blocs=False).id
    row = ds.countries[ds.countries["iso3"] == code].iloc[0]
    risk = risk_table(ds, importer=code, concern_bloc=concern_bloc)
    trade = dependency_table(ds, code, concern_bloc=concern_bloc)
    dependencies = _dependencies(risk, trade)
    return CountryProfile(
        iso3=code, name_en=str(row["name_en"]), name_ar=str(row["name_ar"]),
        wgi=float(row["wgi"]) if pd.notna(row["wgi"]) else math.nan,
        blocs=tuple(sorted(set(ds.blocs.loc[ds.blocs["iso3"] == code, "bloc"]))),
        dependencies=dependencies,
        suppliers=_suppliers(ds, code, trade, concern_bloc),
        holdings=_holdings(ds, code),
        trade_period=next((p for p in trade["trade_period"] if p), ""),
    )


def _dependencies(risk: pd.DataFrame, trade: pd.DataFrame) -> pd.DataFrame:
    joined = risk.merge(trade[["commodity", "production", "imports", "exports",
                               "apparent_consumption", "top_supplier", "top_supplier_share",
                               "transit"]], on="commodity", how="left")
    joined = joined.sort_values(["supply_risk", "import_reliance", "commodity"],
                                ascending=[False, False, True], na_position="last")
    return joined[_DEPENDENCY_COLUMNS].reset_index(drop=True)


def _suppliers(ds: Dataset, code: str, trade: pd.DataFrame,
               concern_bloc: str | None) -> pd.DataFrame:
    parts = []
    for commodity in trade.loc[trade["imports"] > 0, "commodity"]:
        top = import_sources(ds, code, commodity, concern_bloc).head(PROFILE_TOP_SUPPLIERS)
        parts.append(top.assign(commodity=commodity))
    if not parts:
        return pd.DataFrame(columns=["commodity", "exporter", "quantity", "share",
                                     "of_concern"])
    return pd.concat(parts, ignore_index=True)[["commodity", "exporter", "quantity", "share",
                                                "of_concern"]]


def _holdings(ds: Dataset, code: str) -> pd.DataFrame:
    latest = ds.latest_production()
    named = latest[latest["iso3"] != REST_OF_WORLD].copy()
    named["rank"] = named.groupby("commodity")["quantity"].rank(ascending=False,
                                                                method="min").astype(int)
    mine = named[(named["iso3"] == code) & (named["quantity"] > 0)]
    stage = ds.commodities.set_index("id")["stage"]
    out = pd.DataFrame({"commodity": mine["commodity"].to_numpy(),
                        "stage": mine["commodity"].map(stage).to_numpy(),
                        "year": mine["year"].to_numpy(),
                        "quantity": mine["quantity"].to_numpy(float),
                        "share": mine["share"].to_numpy(float),
                        "rank": mine["rank"].to_numpy()})
    return out.sort_values(["share", "commodity"], ascending=[False, True]).reset_index(drop=True)
