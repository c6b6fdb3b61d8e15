"""The world map's outlines: the shipped topology, its ISO3 table, the projection's bounds."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import tomllib
from pathlib import Path

import pytest

import paxsilica
from paxsilica.api import worldmap

ROOT = Path(__file__).resolve().parents[2]
#: sha256 of countries-110m.json as published in the npm package world-atlas 2.0.2.
WORLD_ATLAS_SHA256 = "2516c915867c7baf18ddec727aec46c315541a07cfb3d79a6559b05d5e94eee8"


def test_the_topology_is_world_atlas_unchanged_and_its_licence_is_recorded() -> None:
    data = worldmap.TOPOLOGY.read_bytes()
    assert hashlib.sha256(data).hexdigest() == WORLD_ATLAS_SHA256
    assert len(data) < 120_000
    readme = (worldmap.WORLD / "README.md").read_text(encoding="utf-8")
    assert "Natural Earth" in readme and "public domain" in readme and "ISC" in readme


def test_the_iso3_table_agrees_with_iso_3166() -> None:
    pycountry = pytest.importorskip("pycountry", reason="pycountry is a test extra")
    topology = json.loads(worldmap.TOPOLOGY.read_text(encoding="utf-8"))
    numbers = {g.get("id") for g in topology["objects"]["countries"]["geometries"]} - {None}
    with worldmap.ISO3_TABLE.open(encoding="utf-8", newline="") as handle:
        table = {row["numeric"]: row["iso3"] for row in csv.DictReader(handle)}
    assert set(table) == numbers
    for number, iso3 in table.items():
        assert pycountry.countries.get(numeric=number).alpha_3 == iso3


def test_shapes_are_projected_inside_the_view_and_cut_at_the_antimeridian() -> None:
    shapes = worldmap.world_shapes()
    codes = [s.iso3 for s in shapes]
    assert len(shapes) > 170 and "ATA" not in codes
    assert {"CHN", "USA", "JPN", "TWN", "COD", "FJI", "RUS"} <= set(codes)
    assert sorted(s.name for s in shapes if s.iso3 is None) == ["Kosovo", "N. Cyprus",
                                                                  "Somaliland"]
    for shape in shapes:
        for ring in re.findall(r"M([^z]+)z", shape.path):
            start, _, steps = ring.partition("l")
            x, y = (float(v) for v in start.split())
            numbers = [float(v) for v in steps.split()]
            for dx, dy in zip(numbers[::2], numbers[1::2], strict=True):
                # no edge runs across the map (a ring wrapped around 180° would)
                assert abs(dx) < worldmap.MAP_WIDTH / 3, shape.name
                x, y = x + dx, y + dy
                assert -0.2 <= x <= worldmap.MAP_WIDTH + 0.2, shape.name
                assert -0.2 <= y <= worldmap.MAP_HEIGHT + 0.2, shape.name


def test_share_classes() -> None:
    assert worldmap.share_class(None) is None and worldmap.share_class(0.0) is None
    assert worldmap.share_class(float("nan")) is None
    assert worldmap.share_class(0.005) == 0 and worldmap.share_class(0.01) == 1
    assert worldmap.share_class(0.9) == len(worldmap.PALETTE) - 1
    assert len(worldmap.PALETTE) == len(worldmap.SHARE_BINS) + 1


def test_the_wheel_ships_the_map_files() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["paxsilica"]
    # the package as imported: the source tree when installed editable, site-packages in CI
    # (where the files being there at all shows the wheel shipped them)
    package = Path(paxsilica.__file__).parent
    for path in worldmap.WORLD.iterdir():
        relative = path.relative_to(package)
        assert any(relative.match(p) for p in patterns), relative
