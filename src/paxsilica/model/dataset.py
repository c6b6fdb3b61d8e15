"""The central container: a data package's tables, validated, read-only by convention.

Like PyPSA's ``Network`` it only holds data; metrics, the engine and the optimisers take a
``Dataset`` and return new objects. Methods that "change" it (``with_member``) return a copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from paxsilica.data.schema import RELIABILITY, REST_OF_WORLD, TABLES
from paxsilica.errors import NotFoundError
from paxsilica.model.regions import SEGMENTS_MAP, RegionMap

__all__ = ["Dataset"]

_RELIABILITY_RANK = {level: rank for rank, level in enumerate(RELIABILITY)}


@dataclass(frozen=True)
class Dataset:
    """Validated tables of a data package (see :mod:`paxsilica.data.schema`).

    Build one with :func:`paxsilica.load` (the embedded data or a folder) or
    :meth:`from_tables`. Optional tables that a package lacks are empty frames with the
    declared columns, so code never has to test for their presence.
    """

    tables: Mapping[str, pd.DataFrame]
    origin: str = "embedded"
    _hash: str = field(default="", repr=False, compare=False)
    #: latest_production by ``by_tranche``: metrics ask for it once per commodity
    _latest: dict[bool, pd.DataFrame] = field(default_factory=dict, init=False, repr=False,
                                              compare=False)
    #: trade rows per commodity and the coverage map, built once (metrics ask per commodity)
    _trade: dict[str, object] = field(default_factory=dict, init=False, repr=False,
                                      compare=False)

    @classmethod
    def from_tables(cls, tables: Mapping[str, pd.DataFrame], origin: str = "memory") -> Dataset:
        """Wrap already-validated tables; missing optional tables become empty frames."""
        full = {}
        for name, spec in TABLES.items():
            frame = tables.get(name)
            if frame is None:
                frame = pd.DataFrame({c: pd.Series(dtype=_pandas_dtype(c_spec.dtype))
                                      for c, c_spec in ((c.name, c) for c in spec.columns)})
            full[name] = frame.reset_index(drop=True)
        return cls(MappingProxyType(full), origin, _content_hash(full))

    def derive(self, origin: str, **tables: pd.DataFrame) -> Dataset:
        """This dataset with ``tables`` (already validated) replaced. Its hash is derived from
        this one's and the replaced tables' contents, so the unchanged tables are not hashed
        again (a calibration derives one dataset per parameter set); equal derivations give
        equal hashes, though not :meth:`from_tables`'s hash of the same content."""
        unknown = sorted(set(tables) - set(TABLES))
        if unknown:
            raise KeyError(f"unknown table(s): {', '.join(unknown)}")
        changed = {name: frame.reset_index(drop=True) for name, frame in tables.items()}
        return type(self)(MappingProxyType(dict(self.tables) | changed), origin,
                          _content_hash(changed, base=self._hash))

    # -- region maps ----------------------------------------------------------------------
    def region_map_names(self) -> list[str]:
        """Ids of the package's region maps plus ``segments`` (always available)."""
        return sorted(set(self.tables["regions"]["map"])) + [SEGMENTS_MAP]

    @property
    def default_region_map(self) -> str:
        """``countries`` when the package has that map, else the three ``segments``."""
        return "countries" if "countries" in set(self.tables["regions"]["map"]) else SEGMENTS_MAP

    def region_map(self, name: str | None = None) -> RegionMap:
        """The region map ``name`` (default :attr:`default_region_map`); regions in
        alphabetical order with the rest region last.

        Raises NotFoundError naming the known maps.
        """
        name = name or self.default_region_map
        if name == SEGMENTS_MAP:
            return RegionMap.segments()
        rows = self.tables["regions"]
        rows = rows[rows["map"] == name]
        if rows.empty:
            raise NotFoundError(f"unknown region map '{name}'; known: "
                                f"{', '.join(self.region_map_names())}")
        rest = rows.loc[rows["iso3"] == REST_OF_WORLD, "region"]
        rest = str(rest.iloc[0]) if len(rest) else REST_OF_WORLD
        # regions in alphabetical order, the rest region last: the same order whatever the
        # order of the rows (the package writer sorts them by country)
        order = sorted(set(rows["region"]) - {rest}) + [rest]
        return RegionMap.from_pairs(name, zip(rows["iso3"], rows["region"], strict=True),
                                    rest=rest, order=order)

    # -- tables ---------------------------------------------------------------------------
    @property
    def sources(self) -> pd.DataFrame:
        return self.tables["sources"]

    @property
    def countries(self) -> pd.DataFrame:
        return self.tables["countries"]

    @property
    def blocs(self) -> pd.DataFrame:
        return self.tables["blocs"]

    @property
    def commodities(self) -> pd.DataFrame:
        return self.tables["commodities"]

    @property
    def production(self) -> pd.DataFrame:
        return self.tables["production"]

    @property
    def recipes(self) -> pd.DataFrame:
        return self.tables["recipes"]

    @property
    def stockpiles(self) -> pd.DataFrame:
        return self.tables["stockpiles"]

    @property
    def inventories(self) -> pd.DataFrame:
        return self.tables["inventories"]

    @property
    def chokepoints(self) -> pd.DataFrame:
        return self.tables["chokepoints"]

    @property
    def trade(self) -> pd.DataFrame:
        return self.tables["trade"]

    @property
    def content_hash(self) -> str:
        """SHA-256 of the tables' contents: the dataset's identity in run records."""
        return self._hash

    # -- lookups --------------------------------------------------------------------------
    def bloc_names(self) -> list[str]:
        """Ids of all blocs, sorted."""
        return sorted(self.blocs["bloc"].unique())

    def members(self, bloc: str, roles: tuple[str, ...] = ("member",)) -> frozenset[str]:
        """ISO3 codes of a bloc's countries with the given roles.

        ``of-concern`` lists its countries with role ``of_concern``; asking for it returns them
        whatever ``roles`` says.
        """
        rows = self.blocs[self.blocs["bloc"] == bloc]
        if rows.empty:
            raise NotFoundError(
                f"bloc '{bloc}' is not in the data; known blocs: {', '.join(self.bloc_names())}"
            )
        if (rows["role"] == "of_concern").all():
            return frozenset(rows["iso3"])
        return frozenset(rows.loc[rows["role"].isin(roles), "iso3"])

    def commodity(self, commodity_id: str) -> pd.Series:
        """The commodities row of one id; a clear error for an unknown id."""
        hit = self.commodities[self.commodities["id"] == commodity_id]
        if hit.empty:
            raise NotFoundError(_unknown("commodity", commodity_id, self.commodities["id"]))
        return hit.iloc[0]

    def latest_production(self, by_tranche: bool = False) -> pd.DataFrame:
        """Production rows of each commodity's most recent year, with ``share`` of world (0..1).

        One row per (commodity, country): a country's cost tranches (rows that differ only in
        ``tranche``) are summed into one row with tranche 0: ``quantity`` and ``capacity``
        added (a blank capacity counts as the quantity; blank if all are), ``unit_cost`` the
        capacity-weighted mean over the tranches that have one, the weakest ``reliability``
        and every ``source`` id. ``by_tranche=True`` keeps the tranche rows (the engine's
        cost curve). The world total includes ``ROW``; ``share`` of ``ROW`` is the lumped
        remainder.
        """
        if by_tranche not in self._latest:
            prod = self.production
            latest = prod.groupby("commodity")["year"].transform("max")
            rows = prod[prod["year"] == latest].copy()
            if not by_tranche:
                rows = _sum_tranches(rows)
            total = rows.groupby("commodity")["quantity"].transform("sum")
            rows["share"] = (rows["quantity"] / total.where(total > 0)).fillna(0.0)
            self._latest[by_tranche] = rows.reset_index(drop=True)
        return self._latest[by_tranche].copy()

    def trade_baseline(self, commodity: str) -> pd.DataFrame:
        """Trade rows of one commodity in its latest year (an empty frame when it has none)."""
        if "by_commodity" not in self._trade:
            trade = self.trade
            latest = trade[trade["year"] == trade.groupby("commodity")["year"].transform("max")]
            self._trade["by_commodity"] = {str(c): rows for c, rows in
                                           latest.groupby("commodity")}
        found = self._trade["by_commodity"].get(commodity)  # type: ignore[union-attr]
        return self.trade.iloc[0:0] if found is None else found.copy()

    def trade_coverage(self) -> dict[str, str]:
        """commodity -> ``bilateral``, ``mixed_stage`` or ``production_shares``.

        The ``trade_codes`` table's word where it has one, otherwise ``bilateral`` for a
        commodity with trade rows; commodities in neither are absent (callers default to
        ``production_shares``).
        """
        if "coverage" not in self._trade:
            out = {str(c): "bilateral" for c in self.trade["commodity"].unique()}
            declared = self.tables["trade_codes"]
            out.update({str(c): str(v) for c, v in
                        declared.groupby("commodity")["coverage"].first().items()})
            self._trade["coverage"] = out
        return dict(self._trade["coverage"])  # type: ignore[call-overload]

    def with_member(self, bloc: str, iso3: str, joined: str | None = None) -> Dataset:
        """A copy in which ``iso3`` is a member of ``bloc`` (this dataset is unchanged)."""
        blocs = self.blocs[~((self.blocs["bloc"] == bloc) & (self.blocs["iso3"] == iso3))]
        row = {"bloc": bloc, "iso3": iso3, "role": "member", "joined": joined,
               "note": "added by the user", "source": "user"}
        tables = dict(self.tables)
        tables["blocs"] = pd.concat([blocs, pd.DataFrame([row])], ignore_index=True)
        return Dataset.from_tables(tables, origin=f"{self.origin}+{bloc}:{iso3}")

    def with_own_region(self, iso3: str, name: str | None = None) -> tuple[Dataset, str]:
        """(a copy with a region map in which ``iso3`` is a region of its own, its id).

        The new map is map ``name`` (default :attr:`default_region_map`) with ``iso3`` moved
        out of the region it shared (with the rest of the world, or with other countries);
        when ``iso3`` already is a region alone, this dataset and ``name`` are returned.
        """
        name = name or self.default_region_map
        rmap = self.region_map(name)
        region = rmap.countries.get(iso3, rmap.rest)
        shared = region == rmap.rest or sum(r == region for r in rmap.countries.values()) > 1
        if not shared or rmap.by_scenario:
            return self, name
        rows = self.tables["regions"]
        new = f"{name}+{iso3}"
        mine = rows[rows["map"] == name].assign(map=new)
        mine = mine[mine["iso3"] != iso3]
        source = str(mine["source"].iloc[0]) if len(mine) else "user"
        added = pd.DataFrame([{"map": new, "region": iso3, "iso3": iso3, "source": source}])
        tables = dict(self.tables)
        tables["regions"] = pd.concat([rows, mine, added], ignore_index=True)
        return Dataset.from_tables(tables, origin=f"{self.origin}+region:{iso3}"), new

    @property
    def producers(self) -> list[str]:
        """ISO3 codes that produce anything, ROW excluded."""
        codes = set(self.production["iso3"]) - {REST_OF_WORLD}
        return sorted(codes)


_COUNTRY_YEAR = ["commodity", "iso3", "year"]


def _sum_tranches(rows: pd.DataFrame) -> pd.DataFrame:
    """Production rows with each country's cost tranches summed (see ``latest_production``)."""
    if "tranche" not in rows.columns:
        return rows
    split = rows.duplicated(_COUNTRY_YEAR, keep=False).to_numpy()
    if not split.any():
        return rows
    parts = rows[split]
    group = parts.groupby(_COUNTRY_YEAR, sort=False).ngroup().to_numpy()
    n = int(group.max()) + 1
    quantity = parts["quantity"].astype(float).to_numpy()
    capacity = parts["capacity"].astype(float).to_numpy()
    weight = np.where(np.isnan(capacity), quantity, capacity)
    cost = parts["unit_cost"].astype(float).to_numpy()
    costed = ~np.isnan(cost) & (weight > 0)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(group, weights=values, minlength=n)

    out = parts[~pd.Series(group).duplicated().to_numpy()].copy()  # first row of each group
    out["quantity"] = total(quantity)
    out["capacity"] = np.where(total(~np.isnan(capacity)) > 0, total(weight), np.nan)
    costed_weight = total(np.where(costed, weight, 0.0))
    out["unit_cost"] = np.divide(total(np.where(costed, cost * weight, 0.0)), costed_weight,
                                 out=np.full(n, np.nan), where=costed_weight > 0)
    rank = parts["reliability"].map(_RELIABILITY_RANK).fillna(-1).to_numpy()
    worst = np.full(n, -1.0)
    np.maximum.at(worst, group, rank)
    out["reliability"] = [RELIABILITY[int(r)] if r >= 0 else first
                          for r, first in zip(worst, out["reliability"], strict=True)]
    ids: list[set[str]] = [set() for _ in range(n)]
    for g, cell in zip(group, parts["source"], strict=True):
        ids[g].update(i.strip() for i in str(cell or "").split(";") if i.strip())
    out["source"] = [";".join(sorted(found)) for found in ids]
    out["tranche"] = 0
    return pd.concat([rows[~split], out]).sort_index().astype(rows.dtypes.to_dict())


def _unknown(kind: str, value: str, known: pd.Series) -> str:
    import difflib

    close = difflib.get_close_matches(value, list(known), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"{kind} '{value}' is not in the data{hint}"


def _pandas_dtype(dtype: str) -> str:
    return {"float": "float64", "int": "Int64", "bool": "boolean"}.get(dtype, "object")


def _content_hash(tables: Mapping[str, pd.DataFrame], base: str = "") -> str:
    digest = hashlib.sha256(base.encode())
    for name in sorted(tables):
        digest.update(name.encode())
        digest.update(tables[name].to_csv(index=False).encode())
    return digest.hexdigest()
