"""`--regions`: per-region results in `simulate`, a user's YAML map, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from paxsilica.cli.main import app

runner = CliRunner()


def test_simulate_json_has_a_row_per_region_and_the_map_in_meta(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "ree-export-controls", "--runs", "64", "--seed", "1",
                                 "--db", str(tmp_path / "r.duckdb"), "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    meta = payload["meta"]
    assert meta["region_map"] == "countries"
    assert {"USA", "JPN", "KOR", "CHN", "QAT", "ROW"} <= set(meta["regions"])
    assert meta["region_segments"]["CHN"] == "restricting"
    assert meta["region_segments"]["JPN"] == "alliance"
    rows = {(r["commodity"], r["region"]): r for r in payload["regions"]}
    assert len(rows) == len(meta["commodities"]) * len(meta["regions"])
    # China's magnet ban: magnet prices in member regions rise above China's own
    magnets = "ndfeb_magnets"
    assert rows[(magnets, "JPN")]["peak_price_ratio_p50"] > rows[(magnets, "CHN")][
        "peak_price_ratio_p50"]
    losses = {(r["capability"], r["region"]) for r in payload["region_downstream"]}
    assert ("vehicles", "USA") in losses


def test_a_user_region_map_file_runs_and_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "gulf.yaml"
    path.write_text("name: gulf\nrest: ROW\nregions:\n  GULF: [SAU, ARE, QAT]\n"
                    "  CHN: [CHN, HKG, MAC]\n  USA: [USA]\n", encoding="utf-8")
    result = runner.invoke(app, ["simulate", "hormuz-closure", "--runs", "32", "--seed", "1",
                                 "--db", str(tmp_path / "r.duckdb"), "--format", "json",
                                 "--regions", str(path)])
    assert result.exit_code == 0, result.output
    meta = json.loads(result.stdout)["meta"]
    assert meta["region_map"] == "gulf"
    assert meta["regions"] == ["CHN", "GULF", "USA", "ROW"]
    assert meta["region_segments"]["GULF"] == "alliance"  # ARE and QAT are members


def test_a_bad_region_map_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nregions:\n  GULF: [SAU, XXX]\n", encoding="utf-8")
    result = runner.invoke(app, ["simulate", "baseline", "--runs", "8", "--regions", str(path),
                                 "--db", str(tmp_path / "r.duckdb")])
    assert result.exit_code != 0
    text = " ".join(result.output.split())
    assert "bad.yaml" in text and "line 3" in text and "regions.GULF[1]" in text
    assert "'XXX' is not a country" in text
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["simulate", "baseline", "--runs", "8", "--regions", "nowhere",
                                 "--db", str(tmp_path / "r.duckdb")])
    assert result.exit_code != 0 and "unknown region map 'nowhere'" in result.output
