"""Region maps from YAML files: a user's own grouping of countries into market regions.

Format (every country an ISO3 code of ``countries.csv``; ``rest`` takes everyone unlisted)::

    name: gulf-split
    rest: ROW
    regions:
      USA: [USA]
      GULF: [SAU, ARE, QAT]
      CHN: [CHN, HKG, MAC]

:func:`region_map_rows` gives the map as rows of the data package's ``regions`` table; the
workflows add them to a Dataset, so a run names the map like a built-in one and its rows enter
the dataset hash the run records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from paxsilica.data.schema import REST_OF_WORLD
from paxsilica.data.yaml_lines import parse_yaml
from paxsilica.errors import ScenarioError

__all__ = ["read_region_map"]

_MAP_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_REGION = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
_MAX_BYTES = 1 * 2**20


def read_region_map(path: str | Path, countries: Iterable[str]) -> pd.DataFrame:
    """Read and check a region map YAML file; return its rows in the ``regions`` table's
    layout (map, region, iso3, source ``user``; ``rest`` holds ROW). Runs order the regions
    alphabetically, the rest region last.

    Raises ScenarioError with file, line and field for the first problem.
    """
    path = Path(path)
    file = path.name
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise ScenarioError(f"region map is larger than {_MAX_BYTES} bytes", file=file)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read the region map: {exc}", file=file) from None
    obj, lines = parse_yaml(text, file=file)

    def fail(message: str, *where: str | int) -> ScenarioError:
        line = next((lines[where[:k]] for k in range(len(where), -1, -1)
                     if where[:k] in lines), None)
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where)
        return ScenarioError(message, file=file, line=line, field=field.lstrip(".") or None)

    if not isinstance(obj, dict):
        raise fail("a region map is a mapping with name, rest and regions")
    unknown = sorted(set(obj) - {"name", "rest", "regions"})
    if unknown:
        raise fail(f"unknown key '{unknown[0]}'; expected name, rest, regions", unknown[0])
    name = obj.get("name")
    if not isinstance(name, str) or not _MAP_NAME.match(name) or name == "segments":
        raise fail("name must be lower-case letters, digits, '-' or '_' (not 'segments')",
                   "name")
    regions = obj.get("regions")
    if not isinstance(regions, dict) or not regions:
        raise fail("regions must map each region id to a list of ISO3 codes", "regions")
    rest = obj.get("rest", REST_OF_WORLD)
    if not isinstance(rest, str) or not _REGION.match(rest):
        raise fail("rest must be a region id", "rest")
    known = set(countries) | {REST_OF_WORLD}
    region_of: dict[str, str] = {}
    for region, members in regions.items():
        if not isinstance(region, str) or not _REGION.match(region):
            raise fail("a region id is letters, digits, '_' or '-' (at most 32, starting with "
                       "a letter)", "regions", str(region))
        if not isinstance(members, list):
            raise fail("expected a list of ISO3 codes", "regions", region)
        for k, iso3 in enumerate(members):
            if iso3 not in known:
                raise fail(f"'{iso3}' is not a country of the data (countries.csv)",
                           "regions", region, k)
            if iso3 in region_of:
                raise fail(f"{iso3} is already in region '{region_of[iso3]}'",
                           "regions", region, k)
            region_of[iso3] = region
    region_of.setdefault(REST_OF_WORLD, rest)
    if region_of[REST_OF_WORLD] != rest:
        raise fail(f"ROW is listed in '{region_of[REST_OF_WORLD]}' but rest is '{rest}'",
                   "rest")
    order = list(regions) + ([rest] if rest not in regions else [])
    rows = sorted(region_of.items(), key=lambda kv: order.index(kv[1]))
    return pd.DataFrame({"map": name, "region": [r for _, r in rows],
                         "iso3": [c for c, _ in rows], "source": "user"})
