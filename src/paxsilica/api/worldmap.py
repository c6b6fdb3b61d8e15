"""The world map of the dashboard: country outlines as SVG paths, drawn on the server.

The outlines are Natural Earth's 1:110m Admin 0 countries as TopoJSON, shipped unchanged from
the npm package ``world-atlas`` 2.0.2 in ``static/world/`` (see the README there: Natural
Earth is public domain, world-atlas is ISC). Its ids are ISO 3166-1 numeric codes;
``countries-110m-iso3.csv`` beside it maps them to the ISO3 codes the data uses (three
features have no code: N. Cyprus, Somaliland, Kosovo; they are drawn as "no data").

Decoding is TopoJSON's: each arc is delta-encoded in quantised units, ``~i`` (``-i - 1``)
stands for arc ``i`` reversed, and the arcs of a ring share their end points. The projection
is Natural Earth I (Šavrič, Jenny, Patterson and Jenny 2011, polynomial form), cropped at 60°S:
Antarctica is left out, as it produces and trades none of the commodities.

The map is built once per process (``world_shapes`` is cached); a page fills each path by
class (:func:`share_class`), so no JavaScript and no request beyond the page draws it.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["MAP_HEIGHT", "MAP_WIDTH", "NO_DATA", "PALETTE", "SHARE_BINS", "Shape",
           "outline_path", "share_class", "world_shapes"]

WORLD = Path(__file__).parent / "static" / "world"
TOPOLOGY = WORLD / "countries-110m.json"
ISO3_TABLE = WORLD / "countries-110m-iso3.csv"

#: Width of the map's SVG viewBox; the height follows from the projection's aspect.
MAP_WIDTH = 960.0
_SOUTH = math.radians(-60.0)  # crop: no Antarctica
_NORTH = math.radians(84.0)
_LEFT_OUT = {"010"}  # Antarctica (ISO numeric)

#: Upper bounds (shares, 0..1) of the map's colour classes; the last class is open.
SHARE_BINS: tuple[float, ...] = (0.01, 0.05, 0.15, 0.30, 0.50)
#: One colour per class, light to dark (ColorBrewer YlGnBu, 6 classes).
PALETTE: tuple[str, ...] = ("#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84")
#: Fill of a country without a value.
NO_DATA = "#e6e8ee"


@dataclass(frozen=True)
class Shape:
    """One country outline: ``iso3`` (None where Natural Earth has no ISO code), Natural
    Earth's English ``name`` and SVG path data ``path`` in the map's viewBox."""

    iso3: str | None
    name: str
    path: str


def share_class(share: float | None) -> int | None:
    """The colour class (index into :data:`PALETTE`) of a share; None for no value or zero."""
    if share is None or share != share or share <= 0:
        return None
    for index, bound in enumerate(SHARE_BINS):
        if share < bound:
            return index
    return len(SHARE_BINS)


def _natural_earth(lon: float, lat: float) -> tuple[float, float]:
    """Natural Earth I projection of (lon, lat) in radians -> unit-sphere (x, y), y up."""
    p2 = lat * lat
    p4 = p2 * p2
    x = lon * (0.870700 - 0.131979 * p2 + p4 * (-0.013791 + p4 * p2 * (0.003971 - 0.001529 * p2)))
    y = lat * (1.007226 + p2 * (0.015085 + p4 * (-0.044475 + 0.028874 * p2 - 0.005916 * p4)))
    return x, y


_X_MAX = _natural_earth(math.pi, 0.0)[0]
_Y_TOP = _natural_earth(0.0, _NORTH)[1]
_Y_BOTTOM = _natural_earth(0.0, _SOUTH)[1]
_SCALE = MAP_WIDTH / (2 * _X_MAX)
#: Height of the map's SVG viewBox.
MAP_HEIGHT = round((_Y_TOP - _Y_BOTTOM) * _SCALE, 1)


def _to_view(lon_deg: float, lat_deg: float) -> tuple[float, float]:
    x, y = _natural_earth(math.radians(lon_deg), math.radians(max(lat_deg, -60.0)))
    return (x + _X_MAX) * _SCALE, (_Y_TOP - y) * _SCALE


def _decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Every arc as absolute (lon, lat) degrees (TopoJSON delta decoding)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])  # arcs share their end points
    return points


def _split_at_antimeridian(points: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """A ring that crosses 180° (Fiji, Chukotka) as its pieces east and west of it.

    The ring is unwrapped to continuous longitudes, then each copy (shifted by 0 or ±360°) is
    clipped to -180..180 with Sutherland-Hodgman in (lon, lat): the cut follows the map's edge.
    """
    unwrapped = [points[0]]
    shift = 0.0
    for (lon, lat), (before, _) in zip(points[1:], points[:-1], strict=True):
        if lon - before > 180:
            shift -= 360
        elif lon - before < -180:
            shift += 360
        unwrapped.append((lon + shift, lat))
    lons = [lon for lon, _ in unwrapped]
    if min(lons) >= -180 and max(lons) <= 180:
        return [points]
    pieces = []
    for offset in (0.0, 360.0, -360.0):
        moved = [(lon + offset, lat) for lon, lat in unwrapped]
        piece = _clip(_clip(moved, -180.0, 1.0), 180.0, -1.0)
        if len(piece) >= 3:
            pieces.append(piece)
    return pieces


def _clip(points: list[tuple[float, float]], edge: float, side: float
          ) -> list[tuple[float, float]]:
    """Keep the part of a ring where ``side * (lon - edge) >= 0`` (one half-plane)."""
    out: list[tuple[float, float]] = []
    for index, current in enumerate(points):
        before = points[index - 1]
        now_in = side * (current[0] - edge) >= 0
        was_in = side * (before[0] - edge) >= 0
        if now_in != was_in:
            t = (edge - before[0]) / (current[0] - before[0])
            out.append((edge, before[1] + t * (current[1] - before[1])))
        if now_in:
            out.append(current)
    return out


def _ring_path(points: list[tuple[float, float]]) -> str:
    """``M x y l dx dy ... z`` with a tenth of a unit's precision, repeated points dropped."""
    rounded = [(round(x * 10), round(y * 10)) for x, y in (_to_view(*p) for p in points)]
    steps: list[str] = []
    last = rounded[0]
    for point in rounded[1:]:
        dx, dy = point[0] - last[0], point[1] - last[1]
        if dx or dy:
            steps.append(f"{_tenths(dx)} {_tenths(dy)}")
            last = point
    if len(steps) < 2:
        return ""
    return f"M{_tenths(rounded[0][0])} {_tenths(rounded[0][1])}l" + " ".join(steps) + "z"


def _tenths(value: int) -> str:
    text = f"{value / 10:.1f}"
    return text[:-2] if text.endswith(".0") else text


@lru_cache(maxsize=1)
def outline_path() -> str:
    """The map's edge (the meridians at ±180° between 60°S and 84°N) as SVG path data."""
    lats = [float(lat) for lat in range(-60, 85, 2)] + [84.0]
    ring = [(-180.0, lat) for lat in lats] + [(180.0, lat) for lat in reversed(lats)]
    return _ring_path([*ring, ring[0]])


@lru_cache(maxsize=1)
def world_shapes() -> tuple[Shape, ...]:
    """Every country outline of the shipped topology, projected (cached per process)."""
    topology = json.loads(TOPOLOGY.read_text(encoding="utf-8"))
    with ISO3_TABLE.open(encoding="utf-8", newline="") as handle:
        iso3 = {row["numeric"]: row["iso3"] for row in csv.DictReader(handle)}
    arcs = _decode_arcs(topology)
    shapes = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        number = geometry.get("id")
        if number in _LEFT_OUT:
            continue
        polygons = (geometry["arcs"] if geometry["type"] == "MultiPolygon"
                    else [geometry["arcs"]] if geometry["type"] == "Polygon" else [])
        path = "".join(_ring_path(piece) for polygon in polygons for ring in polygon
                       for piece in _split_at_antimeridian(_ring(ring, arcs)))
        if path:
            shapes.append(Shape(iso3.get(number) if number else None,
                                str(geometry["properties"]["name"]), path))
    return tuple(sorted(shapes, key=lambda shape: (shape.iso3 or "~", shape.name)))
