"""An importer's exposure per commodity: concentration, own and rivals' shares, EU supply risk.

:func:`risk_table` takes a :class:`~paxsilica.model.dataset.Dataset` and returns one row per
commodity (its latest production year). The importer whose risk is measured is a bloc (its
members taken together) or one country (``importer="JPN"``); see
:mod:`paxsilica.metrics.dependency` for the trade balance behind import reliance.

Sourcing assumption
-------------------
* **With trade data** (``ds.trade`` has rows for the commodity; its latest year is used): the
  bloc's sourcing mix is its members' own production plus imports into members by exporter,
  intra-bloc flows left out (they would count members' output twice). Import reliance is
  ``IR = net imports / apparent consumption`` with net imports = extra-bloc imports - exports
  to non-members and apparent consumption = members' production + net imports, clipped to
  0..1 (a net exporter has IR 0).
* **Without trade data** for a commodity (gallium, helium, magnets, chips...: see the
  ``trade_codes`` table), following DESIGN.md the bloc buys from the pooled world market in
  proportion to production, so **sourcing shares = global shares**. Both HHI_WGI terms of the EU formula are then equal, IR drops out of the blend, and
  ``import_reliance`` is reported as ``nan`` rather than guessed.

``supply_risk`` is ``nan`` when it cannot be computed: the commodity lacks an end-of-life
recycling rate or substitution index, or the dataset has no WGI score at all. Missing WGI for
single producers, ``ROW`` and share normalisation follow :mod:`.supply_risk` and
:mod:`.concentration`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable

import pandas as pd

from paxsilica.data.schema import REST_OF_WORLD, STAGES
from paxsilica.errors import NotFoundError
from paxsilica.metrics.concentration import hhi, top_country, top_shares
from paxsilica.metrics.dependency import Importer, TradeBalance, resolve_importer, trade_balance
from paxsilica.metrics.supply_risk import scaled_wgi, supply_risk
from paxsilica.model.dataset import Dataset

__all__ = ["RISK_COLUMNS", "risk_table"]

RISK_COLUMNS: tuple[str, ...] = (
    "commodity", "material", "stage", "year", "hhi", "top_country", "top_share", "top3_share",
    "bloc", "bloc_share", "concern_share", "supply_risk", "import_reliance", "shares",
    "reliability", "n_producers", "trade_coverage", "import_hhi", "import_concern_share",
)

#: Reliability labels, weakest first: a commodity's row takes the weakest of its figures.
RELIABILITY_ORDER: tuple[str, ...] = ("estimate", "low", "medium", "high")


def risk_table(
    ds: Dataset,
    bloc: str = "pax-silica",
    material: str | None = None,
    stage: str | None = None,
    concern_bloc: str | None = "of-concern",
    importer: str | None = None,
) -> pd.DataFrame:
    """Risk metrics per commodity from an importer's point of view (latest production year).

    Parameters
    ----------
    ds : Dataset
        The data; not modified.
    bloc : str
        Bloc id whose ``member`` countries are the importer (``bloc_share``, sourcing, IR).
    importer : str, optional
        An ISO3 country code or a bloc id; given, it replaces ``bloc`` (the ``bloc`` column
        then holds it, and ``bloc_share`` is that country's share of world output).
    material, stage : str, optional
        Keep only commodities of this material family / value-chain stage.
    concern_bloc : str or None
        Bloc id of the countries of concern (``concern_share``); ``None`` gives ``nan``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`RISK_COLUMNS`: ``hhi`` (0..10,000, ``ROW`` fragmented), ``top_share``,
        ``top3_share``, ``bloc_share`` and ``concern_share`` (fractions of world output),
        ``supply_risk`` (EU SR, 0..10 scale, or ``nan``), ``import_reliance`` (0..1 or
        ``nan``), ``shares`` (dict ISO3 -> fraction, ``ROW`` included), ``reliability``
        (weakest label), ``n_producers`` (named countries with output > 0),
        ``trade_coverage`` (``bilateral`` or ``production_shares``), ``import_hhi`` (HHI of
        the importer's imports by exporter) and ``import_concern_share`` (share of its imports
        from countries of concern), both ``nan`` without trade rows. Sorted by
        ``supply_risk`` then ``hhi``, both descending (``nan`` last), then commodity id.
        Commodities without production rows are left out.

    Raises
    ------
    NotFoundError
        For an unknown bloc, material or stage.
    """
    who = resolve_importer(ds, importer if importer is not None else bloc)
    concern = ds.members(concern_bloc) if concern_bloc is not None else None
    chosen = _select_commodities(ds.commodities, material, stage)
    latest = ds.latest_production()
    wgi = _wgi_scaled(ds.countries)
    rows = []
    for _, commodity in chosen.iterrows():
        production = latest[latest["commodity"] == commodity["id"]]
        if production.empty:
            continue
        rows.append(_commodity_row(ds, commodity, production, who, concern, wgi))
    table = pd.DataFrame(rows, columns=list(RISK_COLUMNS))
    table = table.sort_values(["supply_risk", "hhi", "commodity"],
                              ascending=[False, False, True], na_position="last")
    return table.reset_index(drop=True)


def _commodity_row(
    ds: Dataset,
    commodity: pd.Series,
    production: pd.DataFrame,
    who: Importer,
    concern: frozenset[str] | None,
    wgi: pd.Series,
) -> dict[str, object]:
    shares = pd.Series(production["share"].to_numpy(float), index=production["iso3"].to_numpy())
    quantities = pd.Series(production["quantity"].to_numpy(float), index=shares.index)
    top_code, top_value = top_country(shares)
    balance = trade_balance(ds, who.countries, str(commodity["id"]))
    sourcing, reliance = _sourcing(balance, quantities, who.countries)
    named = quantities.drop(REST_OF_WORLD, errors="ignore")
    imports = balance.sources
    from_concern = imports[imports.index.isin(list(concern or ()))]
    has_imports = balance.has_trade and balance.imports > 0
    return {
        "commodity": commodity["id"],
        "material": commodity["material"],
        "stage": commodity["stage"],
        "year": int(production["year"].iloc[0]),
        "hhi": hhi(shares),
        "top_country": top_code,
        "top_share": top_value,
        "top3_share": float(top_shares(shares, 3).sum()) if top_code else math.nan,
        "bloc": who.id,
        "bloc_share": _group_share(shares, who.countries),
        "concern_share": math.nan if concern is None else _group_share(shares, concern),
        "supply_risk": _supply_risk(commodity, shares, sourcing, reliance, wgi),
        "import_reliance": reliance,
        "shares": {str(k): float(v) for k, v in shares.sort_values(ascending=False).items()},
        "reliability": _weakest(production["reliability"]),
        "n_producers": int((named > 0).sum()),
        "trade_coverage": ("production_shares" if not balance.has_trade else
                           "mixed_stage" if balance.mixed_stage else "bilateral"),
        "import_hhi": hhi(imports) if has_imports else math.nan,
        "import_concern_share": (float(from_concern.sum()) / balance.imports
                                 if has_imports and concern is not None else math.nan),
    }


def _sourcing(
    balance: TradeBalance, production: pd.Series, members: frozenset[str]
) -> tuple[pd.Series | None, float]:
    """The importer's supply mix (own output + imports by exporter) and IR.

    ``(None, nan)`` without trade rows, with mixed-stage trade, or when the importer neither
    makes nor buys it: the pooled world market then stands in (sourcing = global shares, IR
    unused).
    """
    if not balance.has_trade or balance.mixed_stage:
        return None, math.nan
    own = production[production.index.isin(members)]
    mix = own.add(balance.sources, fill_value=0.0)
    if float(mix.sum()) <= 0:
        return None, math.nan
    return mix, balance.import_reliance


def _supply_risk(
    commodity: pd.Series,
    shares: pd.Series,
    sourcing: pd.Series | None,
    reliance: float,
    wgi: pd.Series,
) -> float:
    eol, substitution = commodity.get("eol_recycling_rate"), commodity.get("substitution_index")
    if pd.isna(eol) or pd.isna(substitution) or wgi.dropna().empty:
        return math.nan
    return supply_risk(shares, sourcing, reliance, float(eol), float(substitution), wgi)


def _wgi_scaled(countries: pd.DataFrame) -> pd.Series:
    scores = pd.Series(countries["wgi"].to_numpy(), index=countries["iso3"].to_numpy())
    return scaled_wgi(scores.drop(REST_OF_WORLD, errors="ignore"))


def _group_share(shares: pd.Series, countries: Iterable[str]) -> float:
    return float(shares[shares.index.isin(list(countries))].sum())


def _weakest(labels: pd.Series) -> str:
    return min(labels, key=RELIABILITY_ORDER.index)


def _select_commodities(
    commodities: pd.DataFrame, material: str | None, stage: str | None
) -> pd.DataFrame:
    chosen = commodities
    if material is not None:
        _require(material, "material", sorted(set(commodities["material"])))
        chosen = chosen[chosen["material"] == material]
    if stage is not None:
        _require(stage, "stage", list(STAGES))
        chosen = chosen[chosen["stage"] == stage]
    return chosen


def _require(value: str, kind: str, known: list[str]) -> None:
    if value in known:
        return
    close = difflib.get_close_matches(value, known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(known)}"
    raise NotFoundError(f"{kind} '{value}' is not in the data{hint}")
