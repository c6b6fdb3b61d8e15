"""Region maps: which country sits in which market region of the engine.

Each region clears its own market and has its own price. A map names its regions (in array
order), assigns countries to them, and sends every country it does not list to its ``rest``
region. The built-in maps are rows of the data package's ``regions`` table
(:meth:`paxsilica.model.dataset.Dataset.region_map`); a user's map is a YAML file
(:func:`paxsilica.data.regions.read_region_map`).

The ``segments`` map is the first release's three segments (alliance, restricting, others):
it takes its countries from the scenario (the bloc's members, the restricting countries), so it
is built here rather than read from data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from paxsilica.dims import SEGMENTS
from paxsilica.errors import DataError

__all__ = ["SEGMENTS_MAP", "RegionMap"]

SEGMENTS_MAP = "segments"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class RegionMap:
    """An assignment of countries to market regions.

    Attributes
    ----------
    name : str
        Map id, e.g. ``countries``.
    regions : tuple of str
        Region ids in array order (the ``region`` dimension of results).
    countries : Mapping[str, str]
        ISO3 -> region id for every listed country.
    rest : str
        Region of every country the map does not list (one of ``regions``).
    by_scenario : bool
        True only for the ``segments`` map, whose members come from the scenario.
    """

    name: str
    regions: tuple[str, ...]
    countries: Mapping[str, str] = field(default_factory=dict)
    rest: str = "ROW"
    by_scenario: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "countries", MappingProxyType(dict(self.countries)))
        where = f"region map '{self.name}'"
        if len(set(self.regions)) != len(self.regions) or not self.regions:
            raise DataError(f"{where}: region ids must be unique and at least one is needed")
        for region in self.regions:
            if not _NAME.match(region):
                raise DataError(f"{where}: region id '{region}' must be letters, digits, "
                                "'_' or '-' (at most 32, starting with a letter)")
        if self.rest not in self.regions:
            raise DataError(f"{where}: rest region '{self.rest}' is not one of its regions "
                            f"({', '.join(self.regions)})")
        unknown = sorted({r for r in self.countries.values() if r not in self.regions})
        if unknown:
            raise DataError(f"{where}: countries are assigned to '{unknown[0]}', which is not "
                            f"one of its regions ({', '.join(self.regions)})")

    @classmethod
    def segments(cls) -> RegionMap:
        """The first release's map: alliance, restricting, others (from the scenario)."""
        return cls(SEGMENTS_MAP, SEGMENTS, {}, SEGMENTS[-1], by_scenario=True)

    @classmethod
    def from_pairs(cls, name: str, pairs: Iterable[tuple[str, str]], rest: str,
                   order: Iterable[str] | None = None) -> RegionMap:
        """A map from (iso3, region) pairs; regions in ``order`` or first-seen order, ``rest``
        last unless ``order`` places it."""
        countries: dict[str, str] = {}
        seen: list[str] = list(order or ())
        for iso3, region in pairs:
            if iso3 in countries and countries[iso3] != region:
                raise DataError(f"region map '{name}': {iso3} is in both '{countries[iso3]}' "
                                f"and '{region}'")
            countries[iso3] = region
            if region not in seen:
                seen.append(region)
        if rest not in seen:
            seen.append(rest)
        return cls(name, tuple(seen), countries, rest)

    def region_of(self, iso3: str) -> str:
        """The region of ``iso3`` (``rest`` when the map does not list it)."""
        return self.countries.get(iso3, self.rest)

    def members(self, region: str) -> frozenset[str]:
        """The countries the map lists in ``region`` (the rest region also takes the unlisted)."""
        return frozenset(c for c, r in self.countries.items() if r == region)
