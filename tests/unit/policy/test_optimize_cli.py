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
    # Monte Carlo error beside every expected value: fitted draws, frontier, engine check
    objective = doc["objective"]
    assert objective["draws"] == 16 and objective["expected_se_usd"] >= 0
    assert objective["saving_usd"] == pytest.approx(
        doc["expected_shortage_cost_usd"]["without"] - doc["expected_shortage_cost_usd"]["with"])
    for point in doc["frontier"]:
        assert {"expected_se_usd", "saving_usd", "saving_se_usd", "draws"} <= set(point)
    for check in ("in_sample", "out_of_sample"):
        assert doc["validation"][check]["without"]["saving_usd"] == 0.0
        optimal = doc["validation"][check]["optimal"]
        assert optimal["saving_se_usd"] >= 0
        assert optimal["cvar_se_usd"] >= 0 and optimal["objective_se_usd"] >= 0
    # the plan placed across the members: holders add up to the plan, member lines to totals
    placed = doc["members"]
    held = {r["commodity"]: r["tonnes"] for r in doc["plan"]}
    for commodity, tonnes in held.items():
        assert sum(h["units"] for h in placed["holders"]
                   if h["commodity"] == commodity) == pytest.approx(tonnes, rel=1e-9)
    assert {h["member"] for h in placed["holders"]} <= {"USA", "JPN", "KOR", "SGP", "NLD",
                                                        "GBR", "ARE", "AUS", "ISR", "QAT"}
    assert placed["total"]["without_usd"] == pytest.approx(
        sum(m["without_usd"] for m in placed["losses"]))
    table = runner.invoke(app, ["optimize", "stockpile", "--scenarios", "ga-ge-ban", "--runs",
                                "16"])
    assert table.exit_code == 0, table.output
    assert "Who holds the Vault" in table.output and "all members" in table.output


def test_members_report_standard_errors_and_draws() -> None:
    args = ["optimize", "members", "--candidates", "QAT,CAN", "--scenarios",
            "helium-supply-shock", "--runs", "12"]
    res = runner.invoke(app, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = {row["iso3"]: row for row in json.loads(res.output)}
    for row in rows.values():
        assert row["draws"] == 12 and 0 <= row["draws_changed"] <= 12
        assert row["standard_error_usd"] >= 0
        assert all("standard_error_usd" in t for t in row["top_commodities"])
    # Canada's helium (6 of 190 M m3) decides no draw here (nor any of 400 on seed 13): on
    # common random numbers (the same draws, random outages included, with and without it)
    # its value is then exactly 0 +- 0; two independent runs would differ by their noise.
    canada = rows["CAN"]
    assert (canada["risk_reduction_usd"], canada["standard_error_usd"],
            canada["draws_changed"]) == (0.0, 0.0, 0)
    table = runner.invoke(app, args)
    assert table.exit_code == 0 and "±" in table.output


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
