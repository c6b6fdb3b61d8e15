"""Use cases of trade dependency (same layer as :mod:`paxsilica.workflows_policy`): JSON-ready
payloads of a country's profile, an importer's flows and a commodity's producers, with the
display names of countries and commodities in English or Arabic, for the CLI, the API and
notebooks.

The figures come unchanged from :mod:`paxsilica.metrics.profile` and
:mod:`paxsilica.metrics.dependency` (through :mod:`paxsilica.workflows`); this module only
selects rows, adds names and turns tables into lists of records (``nan`` -> ``None``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from paxsilica.metrics.profile import CountryProfile
from paxsilica.model.dataset import Dataset
from paxsilica.model.records import json_records, json_safe
from paxsilica.workflows import countries, producers, trade_flows

__all__ = ["countries_payload", "flows_payload", "producers_payload", "profile_payload"]


def profile_payload(ds: Dataset, profile: CountryProfile, lang: str = "en",
                    limit: int | None = None) -> dict[str, Any]:
    """:meth:`CountryProfile.to_dict` with display names in ``lang`` and at most ``limit`` rows.

    Added to the profile's fields: ``name`` (the country's name in ``lang``), ``lang``,
    ``totals`` (row counts before ``limit``: dependencies, imported commodities, holdings,
    and commodities with bilateral trade data), and per row ``name`` (the commodity's name),
    ``unit`` (its unit; quantities are per year), ``top_supplier_name`` and ``top_supplier_of_concern`` (dependencies; the ``of-concern``
    bloc, as the profile's concern shares) and ``exporter_name`` (suppliers).

    ``limit`` keeps the first ``limit`` dependencies (ranked by EU supply risk), the suppliers
    of the first ``limit`` commodities the country imports (in that same ranking) and the first
    ``limit`` holdings (largest world share first). Suppliers are listed in dependency order.
    """
    names = _names(ds, lang)
    units = ds.commodities.set_index("id")["unit"].to_dict()
    body = profile.to_dict()
    ranked = [row["commodity"] for row in body["dependencies"]]
    order = {commodity: i for i, commodity in enumerate(ranked)}
    suppliers = sorted(body["suppliers"], key=lambda row: order.get(row["commodity"], len(order)))
    imported = list(dict.fromkeys(row["commodity"] for row in suppliers))
    totals = {"dependencies": len(body["dependencies"]), "imported": len(imported),
              "holdings": len(body["holdings"]),
              "bilateral": sum(row["trade_coverage"] != "production_shares"
                               for row in body["dependencies"])}
    if limit is not None:
        keep = set(imported[:limit])
        body["dependencies"] = body["dependencies"][:limit]
        suppliers = [row for row in suppliers if row["commodity"] in keep]
        body["holdings"] = body["holdings"][:limit]
    concern = ds.members("of-concern") if "of-concern" in ds.bloc_names() else frozenset()
    for row in body["dependencies"]:
        row["name"], row["unit"] = names.commodity(row["commodity"]), units.get(row["commodity"])
        row["top_supplier_name"] = names.country(row["top_supplier"])
        row["top_supplier_of_concern"] = (None if row["top_supplier"] is None
                                          else row["top_supplier"] in concern)
    for row in suppliers:
        row["name"], row["unit"] = names.commodity(row["commodity"]), units.get(row["commodity"])
        row["exporter_name"] = names.country(row["exporter"])
    for row in body["holdings"]:
        row["name"], row["unit"] = names.commodity(row["commodity"]), units.get(row["commodity"])
    return {**body, "name": names.country(profile.iso3), "lang": lang, "totals": totals,
            "suppliers": suppliers}


def countries_payload(ds: Dataset) -> list[dict[str, Any]]:
    """:func:`paxsilica.workflows.countries` as records: ``iso3``, ``name_en``, ``name_ar``,
    ``wgi`` (``None`` when missing), ``produces``, ``trades``."""
    return json_records(countries(ds))


def flows_payload(ds: Dataset, commodity: str, importer: str = "pax-silica",
                  lang: str = "en") -> dict[str, Any]:
    """An importer's baseline imports of one commodity, with who the importer is and what the
    trade data cover.

    Returns ``commodity``, ``name`` (its name in ``lang``), ``importer`` (as resolved: an ISO3
    code in capitals or the bloc id), ``is_bloc``, ``members`` (its ISO3 codes, sorted),
    ``coverage`` (``bilateral`` or ``production_shares``), ``codes`` (the HS92 codes behind
    the flows: ``hs6``, content ``factor`` in commodity units per tonne, ``basis``) and
    ``coverage_note`` (why a commodity has no trade rows) from the ``trade_codes`` table,
    ``trade_period``, ``total_quantity`` (commodity units per year) and ``flows``:
    :func:`paxsilica.workflows.trade_flows` records with ``exporter_name`` and ``importer_name``.
    """
    from paxsilica.metrics.dependency import resolve_importer, trade_period

    names = _names(ds, lang)
    table = trade_flows(ds, commodity, importer)  # checks the commodity and the importer
    who = resolve_importer(ds, importer)
    declared = ds.tables["trade_codes"]
    declared = declared[declared["commodity"] == commodity]
    coverage = ds.trade_coverage().get(commodity, "production_shares")
    codes = [{"hs6": _text(row.hs6), "factor": _number(row.factor), "basis": _text(row.basis)}
             for row in declared.itertuples(index=False) if _text(row.hs6) is not None]
    notes = list(dict.fromkeys(note for note in map(_text, declared["note"]) if note))
    flows = json_records(table)
    for row in flows:
        row["exporter_name"] = names.country(row["exporter"])
        row["importer_name"] = names.country(row["importer"])
    return {"commodity": commodity, "name": names.commodity(commodity), "lang": lang,
            "importer": who.id, "is_bloc": who.is_bloc, "members": sorted(who.countries),
            "coverage": coverage, "codes": codes, "coverage_note": "; ".join(notes),
            "trade_period": trade_period(ds, commodity),
            "total_quantity": float(table["quantity"].sum()), "flows": flows}


def producers_payload(ds: Dataset, commodity: str, lang: str = "en") -> list[dict[str, Any]]:
    """:func:`paxsilica.workflows.producers` records with ``name`` (the country's in ``lang``;
    ``ROW`` is the publisher's remainder, named "Rest of world")."""
    names = _names(ds, lang)
    rows = json_records(producers(ds, commodity))
    for row in rows:
        row["name"] = names.country(row["iso3"])
    return rows


class _Names:
    """ISO3 code / commodity id -> display name in one language (the code when unnamed)."""

    def __init__(self, countries: pd.Series, commodities: pd.Series) -> None:
        self._countries, self._commodities = countries, commodities

    def country(self, code: object) -> str | None:
        return None if code is None else str(self._countries.get(code, code))

    def commodity(self, commodity: str) -> str:
        return str(self._commodities.get(commodity, commodity))


def _names(ds: Dataset, lang: str) -> _Names:
    column = "name_ar" if lang == "ar" else "name_en"
    return _Names(ds.countries.set_index("iso3")[column].dropna(),
                  ds.commodities.set_index("id")[column].dropna())


def _text(value: Any) -> str | None:
    value = json_safe(value)
    return None if value is None else str(value)


def _number(value: Any) -> float | None:
    value = json_safe(value)
    return None if value is None else float(value)
