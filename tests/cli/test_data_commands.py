"""`paxsilica data info|validate`: the stable CLI contract and its exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from paxsilica.cli.main import app
from tests.conftest import write_package

runner = CliRunner()


def test_validate_valid_package_exits_0(mini_package: Path) -> None:
    result = runner.invoke(app, ["data", "validate", str(mini_package)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_validate_bad_package_exits_2_with_one_paragraph(tmp_path: Path, mini_tables: dict) -> None:
    mini_tables["production"][0]["quantity"] = "lots"
    folder = write_package(tmp_path / "bad", mini_tables)
    result = runner.invoke(app, ["data", "validate", str(folder)])
    assert result.exit_code == 2
    assert "production.csv row 2 field 'quantity'" in result.output
    assert "Traceback" not in result.output


def test_info_json_counts_the_mini_package(mini_package: Path) -> None:
    result = runner.invoke(app, ["data", "info", "--data", str(mini_package), "--format", "json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    # countries excludes the ROW pseudo-country; materials counts mining/refining families only
    assert (info["countries"], info["commodities"], info["materials"]) == (3, 2, 1)
    assert (info["sources"], info["estimate_sources"]) == (2, 1)
    assert info["data_years"] == [2025]
    assert info["blocs"] == {"of-concern": 1, "pax-silica": 2}


def test_info_table_renders(mini_package: Path) -> None:
    result = runner.invoke(app, ["data", "info", "--data", str(mini_package)])
    assert result.exit_code == 0, result.output
    assert "commodities" in result.output
