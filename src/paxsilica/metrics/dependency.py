"""Who depends on whom: an importer's (a country's or a bloc's) reliance on bilateral trade.

The importer is one ISO3 country or a bloc (its ``member`` countries taken together, so trade
between members is internal and left out, as in the EU's own extra-EU import reliance).

Definitions, per commodity (quantities in the commodity's unit per year)
-------------------------------------------------------------------------
* ``production``: the importer's output in the commodity's latest production year.
* ``imports`` / ``exports``: flows from / to countries outside the importer, from the
  dataset's ``trade`` table (the embedded one is the mean of 2022-2024, CEPII BACI).
* ``apparent_consumption = production + imports - exports`` (floored at 0).
* ``import_reliance = net imports / apparent consumption``, clipped to 0..1 (0 for a net
  exporter; 1 when the importer produces nothing and imports more than it exports).
* ``import_hhi``: HHI (0..10,000) of the importer's imports by exporter, ``import_concern_share``
  the share of imports coming from countries of concern, ``top_supplier`` the largest exporter.
* ``transit``: the importer re-exports more than it produces plus what it imports from
  countries not of concern, so part of its exports must be re-exported material of concern.

Limits: trade years (2022-2024) and production years (2023-2025) differ; production is by the
host country of a mine or plant (a Chinese-owned mine abroad counts as its host country); ores
and refined products are different commodities (see ``trade_codes``). A commodity without
trade rows (``coverage = production_shares``) gets ``nan`` reliance: its buyers are assumed to
draw from the pooled world market in proportion to production. A commodity whose codes also
carry another stage's products (``coverage = mixed_stage``: rare-earth compounds hold
Myanmar's mixed carbonates and Australian concentrate) keeps its sourcing shares (who ships to
whom) but gets ``nan`` apparent consumption and reliance, and no transit flag.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

import pandas as pd

from paxsilica.data.schema import REST_OF_WORLD
from paxsilica.errors import NotFoundError
from paxsilica.metrics.concentration import hhi
from paxsilica.model.dataset import Dataset

__all__ = [
    "DEPENDENCY_COLUMNS",
    "Importer",
    "TradeBalance",
    "dependency_table",
    "import_sources",
    "resolve_importer",
    "trade_balance",
    "trade_period",
]

DEPENDENCY_COLUMNS: tuple[str, ...] = (
    "commodity", "material", "stage", "importer", "coverage", "production", "imports",
    "exports", "apparent_consumption", "import_reliance", "import_hhi", "top_supplier",
    "top_supplier_share", "import_concern_share", "transit", "trade_period",
)


@dataclass(frozen=True)
class Importer:
    """An importer: its id as the user gave it (ISO3 or bloc) and its member countries."""

    id: str
    countries: frozenset[str]
    is_bloc: bool


@dataclass(frozen=True)
class TradeBalance:
    """One commodity's balance for one importer (commodity units per year).

    ``sources`` holds imports by exporter (ISO3 -> quantity), ``destinations`` exports by
    importer; both exclude flows between the importer's own countries.
    """

    commodity: str
    production: float
    sources: pd.Series
    destinations: pd.Series
    has_trade: bool
    period: str
    mixed_stage: bool = False

    @property
    def imports(self) -> float:
        return float(self.sources.sum())

    @property
    def exports(self) -> float:
        return float(self.destinations.sum())

    @property
    def apparent_consumption(self) -> float:
        """production + imports - exports, floored at 0."""
        return max(self.production + self.imports - self.exports, 0.0)

    @property
    def import_reliance(self) -> float:
        """net imports / apparent consumption in 0..1; nan without trade data, or when the
        commodity's codes also carry another stage's products (quantities would mix stages)."""
        if not self.has_trade or self.mixed_stage:
            return math.nan
        net = self.imports - self.exports
        if net <= 0:
            return 0.0
        consumption = self.apparent_consumption
        return 1.0 if consumption <= 0 else min(net / consumption, 1.0)


def resolve_importer(ds: Dataset, importer: str, *, blocs: bool = True) -> Importer:
    """An ISO3 code (any case) or a bloc id -> :class:`Importer`; a clear error otherwise.

    ``blocs=False`` accepts countries only (a bloc id is refused, saying so); the error for an
    unknown code then speaks of countries. Either way it suggests the nearest code, bloc id or
    English country name ("did you mean 'JPN' (Japan)?").
    """
    if importer in set(ds.blocs["bloc"]):
        if not blocs:
            raise NotFoundError(f"'{importer}' is a bloc; give one country's ISO3 code, e.g. "
                                f"'JPN' (a bloc's dependencies: the risk table with importer "
                                f"'{importer}')")
        return Importer(importer, ds.members(importer), True)
    code = importer.upper()
    known = set(ds.countries["iso3"]) - {REST_OF_WORLD}
    if code in known:
        return Importer(code, frozenset({code}), False)
    hint = _did_you_mean(ds, importer, blocs)
    if not blocs:
        raise NotFoundError(f"'{importer}' is not the ISO3 code of a country in the data{hint}")
    raise NotFoundError(f"importer '{importer}' is neither an ISO3 country code in the data nor "
                        f"a bloc ({', '.join(ds.bloc_names())}){hint}")


def _did_you_mean(ds: Dataset, text: str, blocs: bool) -> str:
    """The nearest code, bloc id or English country name to ``text``, case-insensitively."""
    countries = ds.countries[ds.countries["iso3"] != REST_OF_WORLD]
    names = dict(zip(countries["iso3"], countries["name_en"].astype(str), strict=True))
    options = {code.lower(): code for code in names}
    options.update({name.lower(): code for code, name in names.items()})
    if blocs:
        options.update({bloc.lower(): bloc for bloc in ds.bloc_names()})
    key = text.strip().lower()
    close = [key] if key in options else difflib.get_close_matches(key, list(options), n=1)
    if not close:
        return "; codes are ISO 3166 alpha-3, e.g. 'JPN' for Japan" if not blocs else ""
    match = options[close[0]]
    named = f" ({names[match]})" if match in names and names[match] != match else ""
    return f"; did you mean '{match}'{named}?"


def trade_balance(ds: Dataset, countries: frozenset[str], commodity: str) -> TradeBalance:
    """Production, imports by exporter and exports by destination of one commodity."""
    latest = ds.latest_production()
    own = latest[(latest["commodity"] == commodity) & latest["iso3"].isin(countries)]
    flows = ds.trade_baseline(commodity)
    into = flows["importer"].isin(countries)
    out_of = flows["exporter"].isin(countries)
    sources = flows[into & ~out_of].groupby("exporter")["quantity"].sum()
    destinations = flows[out_of & ~into].groupby("importer")["quantity"].sum()
    period = "" if flows.empty else _period(flows)
    return TradeBalance(commodity, float(own["quantity"].sum()), sources.astype(float),
                        destinations.astype(float), not flows.empty, period,
                        ds.trade_coverage().get(commodity) == "mixed_stage")


def dependency_table(ds: Dataset, importer: str,
                     concern_bloc: str | None = "of-concern") -> pd.DataFrame:
    """One row per commodity with production rows: the importer's trade dependency.

    Parameters
    ----------
    ds : Dataset
        The data; not modified.
    importer : str
        ISO3 country code or bloc id.
    concern_bloc : str or None
        Bloc of the countries of concern (``import_concern_share``, ``transit``); ``None``
        gives ``nan`` and no transit flag.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`DEPENDENCY_COLUMNS` (see the module docstring), sorted by
        ``import_reliance`` then ``imports``, descending, ``nan`` last.
    """
    who = resolve_importer(ds, importer)
    concern = ds.members(concern_bloc) if concern_bloc is not None else None
    coverage = ds.trade_coverage()
    produced = set(ds.production["commodity"])
    rows = []
    for _, commodity in ds.commodities.iterrows():
        if commodity["id"] not in produced:
            continue
        balance = trade_balance(ds, who.countries, str(commodity["id"]))
        rows.append(_row(who, commodity, balance, concern,
                         coverage.get(commodity["id"], "production_shares")))
    table = pd.DataFrame(rows, columns=list(DEPENDENCY_COLUMNS))
    table = table.sort_values(["import_reliance", "imports", "commodity"],
                              ascending=[False, False, True], na_position="last")
    return table.reset_index(drop=True)


def import_sources(ds: Dataset, importer: str, commodity: str,
                   concern_bloc: str | None = "of-concern") -> pd.DataFrame:
    """The importer's suppliers of one commodity, largest first.

    Returns
    -------
    pandas.DataFrame
        Columns ``exporter``, ``quantity`` (commodity unit per year), ``share`` (of the
        importer's imports, 0..1), ``of_concern`` (bool). Empty without trade rows.
    """
    who = resolve_importer(ds, importer)
    ds.commodity(commodity)  # a clear error for an unknown id
    concern = ds.members(concern_bloc) if concern_bloc is not None else frozenset()
    sources = trade_balance(ds, who.countries, commodity).sources.sort_values(ascending=False)
    total = float(sources.sum())
    return pd.DataFrame({
        "exporter": sources.index.astype(str),
        "quantity": sources.to_numpy(float),
        "share": sources.to_numpy(float) / total if total > 0 else 0.0,
        "of_concern": sources.index.isin(list(concern)),
    })


def _row(who: Importer, commodity: pd.Series, balance: TradeBalance,
         concern: frozenset[str] | None, coverage: str) -> dict[str, object]:
    sources = balance.sources
    imports = balance.imports
    top = sources.idxmax() if imports > 0 else None
    from_concern = float(sources[sources.index.isin(list(concern or ()))].sum())
    return {
        "commodity": commodity["id"], "material": commodity["material"],
        "stage": commodity["stage"], "importer": who.id, "coverage": coverage,
        "production": balance.production,
        "imports": imports if balance.has_trade else math.nan,
        "exports": balance.exports if balance.has_trade else math.nan,
        "apparent_consumption": (balance.apparent_consumption
                                 if balance.has_trade and not balance.mixed_stage else math.nan),
        "import_reliance": balance.import_reliance,
        "import_hhi": hhi(sources) if imports > 0 else math.nan,
        "top_supplier": top,
        "top_supplier_share": float(sources[top]) / imports if top is not None else math.nan,
        "import_concern_share": (from_concern / imports if imports > 0 and concern is not None
                                 else math.nan),
        "transit": bool(balance.has_trade and not balance.mixed_stage and concern is not None
                        and balance.exports > 0
                        and balance.exports > balance.production + imports - from_concern),
        "trade_period": balance.period,
    }


def trade_period(ds: Dataset, commodity: str) -> str:
    """Years behind a commodity's trade baseline, e.g. ``2022-2024`` ('' without trade rows)."""
    flows = ds.trade_baseline(commodity)
    return "" if flows.empty else _period(flows)


def _period(flows: pd.DataFrame) -> str:
    periods = flows["period"].dropna().unique() if "period" in flows else []
    return str(periods[0]) if len(periods) else str(int(flows["year"].iloc[0]))
