"""The one place dimension and coordinate names are spelled.

Arrays crossing a public boundary are ``xarray.DataArray`` objects whose dimensions use these
names, so a reduction is always written out, e.g. ``da.sum(SEGMENT)``.
"""

from __future__ import annotations

__all__ = [
    "CAPABILITY",
    "COMMODITY",
    "COUNTRY",
    "DRAW",
    "MONTH",
    "QUANTILE",
    "REGION",
    "SCENARIO",
    "SEGMENT",
    "SEGMENTS",
]

DRAW = "draw"
MONTH = "month"
COMMODITY = "commodity"
SEGMENT = "segment"
REGION = "region"
COUNTRY = "country"
CAPABILITY = "capability"
SCENARIO = "scenario"
QUANTILE = "quantile"

#: Market segments of a scenario, in array order: the bloc under study, the countries
#: restricting exports, and everyone else. With a country region map they are the bloc
#: aggregates of the regions (:mod:`paxsilica.model.regions`).
SEGMENTS: tuple[str, str, str] = ("alliance", "restricting", "others")
