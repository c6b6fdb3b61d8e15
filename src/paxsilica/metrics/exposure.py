"""A bloc's exposure per commodity: concentration, its own and rivals' shares, EU supply risk.

:func:`risk_table` takes a :class:`~paxsilica.model.dataset.Dataset` and returns one row per
commodity (its latest production year). The importer whose risk is measured is the bloc.

Sourcing assumption
-------------------
* **With trade data** (``ds.trade`` has rows for the commodity; its latest year is used): the
  bloc's sourcing mix is its members' own production plus imports into members by exporter,
  intra-bloc flows left out (they would count members' output twice). Import reliance is
  ``IR = net imports / apparent consumption`` with net imports = extra-bloc imports - exports
  to non-members and apparent consumption = members' production + net imports, clipped to
  0..1 (a net exporter has IR 0).
* **Without trade data** (the default package has none), following DESIGN.md the bloc buys
  from the pooled world market in proportion to production, so **sourcing shares = global
  shares**. Both HHI_WGI terms of the EU formula are then equal, IR drops out of the blend, and
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
from paxsilica.metrics.supply_risk import scaled_wgi, supply_risk
from paxsilica.model.dataset import Dataset

__all__ = ["RISK_COLUMNS", "risk_table"]

RISK_COLUMNS: tuple[str, ...] = (
    "commodity", "material", "stage", "year", "hhi", "top_country", "top_share", "top3_share",
    "bloc", "bloc_share", "concern_share", "supply_risk", "import_reliance", "shares",
    "reliability", "n_producers",
)

#: Reliability labels, weakest first: a commodity's row takes the weakest of its figures.
RELIABILITY_ORDER: tuple[str, ...] = ("estimate", "low", "medium", "high")


def risk_table(
    ds: Dataset,
    bloc: str = "pax-silica",
    material: str | None = None,
    stage: str | None = None,
    concern_bloc: str | None = "of-concern",
) -> pd.DataFrame:
    """Risk metrics per commodity from the bloc's point of view (latest production year).

    Parameters
    ----------
    ds : Dataset
        The data; not modified.
    bloc : str
        Bloc id whose ``member`` countries are the importer (``bloc_share``, sourcing, IR).
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
        (weakest label), ``n_producers`` (named countries with output > 0). Sorted by
        ``supply_risk`` then ``hhi``, both descending (``nan`` last), then commodity id.
        Commodities without production rows are left out.

    Raises
    ------
    NotFoundError
        For an unknown bloc, material or stage.
    """
    members = ds.members(bloc)
    concern = ds.members(concern_bloc) if concern_bloc is not None else None
    chosen = _select_commodities(ds.commodities, material, stage)
    latest = ds.latest_production()
    wgi = _wgi_scaled(ds.countries)
    rows = []
    for _, commodity in chosen.iterrows():
        production = latest[latest["commodity"] == commodity["id"]]
        if production.empty:
            continue
        rows.append(_commodity_row(ds, commodity, production, bloc, members, concern, wgi))
    table = pd.DataFrame(rows, columns=list(RISK_COLUMNS))
    table = table.sort_values(["supply_risk", "hhi", "commodity"],
                              ascending=[False, False, True], na_position="last")
    return table.reset_index(drop=True)


def _commodity_row(
    ds: Dataset,
    commodity: pd.Series,
    production: pd.DataFrame,
    bloc: str,
    members: frozenset[str],
    concern: frozenset[str] | None,
    wgi: pd.Series,
) -> dict[str, object]:
    shares = pd.Series(production["share"].to_numpy(float), index=production["iso3"].to_numpy())
    quantities = pd.Series(production["quantity"].to_numpy(float), index=shares.index)
    top_code, top_value = top_country(shares)
    sourcing, reliance = _sourcing(ds.trade, str(commodity["id"]), quantities, members)
    named = quantities.drop(REST_OF_WORLD, errors="ignore")
    return {
        "commodity": commodity["id"],
        "material": commodity["material"],
        "stage": commodity["stage"],
        "year": int(production["year"].iloc[0]),
        "hhi": hhi(shares),
        "top_country": top_code,
        "top_share": top_value,
        "top3_share": float(top_shares(shares, 3).sum()) if top_code else math.nan,
        "bloc": bloc,
        "bloc_share": _group_share(shares, members),
        "concern_share": math.nan if concern is None else _group_share(shares, concern),
        "supply_risk": _supply_risk(commodity, shares, sourcing, reliance, wgi),
        "import_reliance": reliance,
        "shares": {str(k): float(v) for k, v in shares.sort_values(ascending=False).items()},
        "reliability": _weakest(production["reliability"]),
        "n_producers": int((named > 0).sum()),
    }


def _sourcing(
    trade: pd.DataFrame, commodity: str, production: pd.Series, members: frozenset[str]
) -> tuple[pd.Series | None, float]:
    """The bloc's supply mix (quantities by country) and IR; ``(None, nan)`` without trade."""
    flows = trade[trade["commodity"] == commodity]
    if flows.empty:
        return None, math.nan  # pooled world market: sourcing = global shares, IR unused
    flows = flows[flows["year"] == flows["year"].max()]
    into_bloc = flows["importer"].isin(members)
    from_bloc = flows["exporter"].isin(members)
    imports = flows[into_bloc & ~from_bloc].groupby("exporter")["quantity"].sum()
    exports = float(flows.loc[from_bloc & ~into_bloc, "quantity"].sum())
    own = production[production.index.isin(members)]
    mix = own.add(imports, fill_value=0.0)
    if float(mix.sum()) <= 0:
        return None, math.nan  # the bloc neither makes nor buys it: fall back to the pool
    net_imports = float(imports.sum()) - exports
    consumption = float(own.sum()) + net_imports
    if net_imports <= 0 or consumption <= 0:
        return mix, 0.0  # net exporter
    return mix, min(net_imports / consumption, 1.0)


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
