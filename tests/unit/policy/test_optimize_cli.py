"""``paxsilica optimize ...`` in-process, and the projects CSV's errors (file, row, field)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from paxsilica.cli.optimize import optimize_app
from paxsilica.errors import DataError
from paxsilica.workflows_policy import read_projects

app = typer.Typer()
app.add_typer(optimize_app, name="optimize")
runner = CliRunner()


def test_stockpile_json_contract() -> None:
    res = runner.invoke(app, ["optimize", "stockpile", "--scenarios", "ga-ge-ban", "--runs",
                              "16", "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert {"plan", "objective", "expected_shortage_cost_usd", "baselines"} <= set(doc)
    assert set(doc["expected_shortage_cost_usd"]) == {"with", "without"}
    for row in doc["plan"]:
        assert {"commodity", "tonnes", "usd", "months_of_demand"} <= set(row)
    assert sum(r["usd"] for r in doc["plan"]) <= 12e9 * (1 + 1e-9)


def test_user_errors_exit_2() -> None:
    res = runner.invoke(app, ["optimize", "stockpile", "--budget", "-1"])
    assert res.exit_code == 2 and "budget_usd must be" in res.output
    res = runner.invoke(app, ["optimize", "floors", "--commodity", "ndpr", "--floor", "1"])
    assert res.exit_code == 2 and "commodity 'ndpr'" in res.output


@pytest.mark.parametrize(("text", "where"), [
    ("project,country,commodity,capacity,capex_usd\n", "row 1"),
    ("project,country,commodity,capacity,capex_usd,lead_time_months\na,USA,x,-1,1,0\n",
     "row 2 field 'capacity'"),
    ("project,country,commodity,capacity,capex_usd,lead_time_months\na,USA,x,1,1,0\n"
     "b,USA,x,1,1,1.5\n", "row 3 field 'lead_time_months'"),
    ("project,country,commodity,capacity,capex_usd,lead_time_months\na,USA,x,1,1,0\n"
     "a,USA,x,1,1,0\n", "row 3 field 'project'"),
])
def test_projects_csv_errors_name_row_and_field(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "projects.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=where):
        read_projects(path)


def test_invest_unknown_commodity_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "projects.csv"
    path.write_text("project,country,commodity,capacity,capex_usd,lead_time_months\n"
                    "a,USA,unobtainium,1,1,0\n")
    res = runner.invoke(app, ["optimize", "invest", "--budget", "1e9", "--projects", str(path)])
    assert res.exit_code == 2
    assert "row 2" in res.output and "commodity" in res.output
