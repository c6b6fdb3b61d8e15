"""``paxsilica optimize stockpile|floors|members|invest``: parse, call one use case, render.

List options (``--scenarios``, ``--candidates``) take repeated flags or comma-separated values.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from paxsilica import workflows_policy
from paxsilica.cli import render
from paxsilica.cli.common import DataOption, Format, FormatOption, emit_json, user_errors

__all__ = ["optimize_app"]

optimize_app = typer.Typer(help="Policy optimisers: Vault stockpile, price floors, members, "
                                "capacity investment.", no_args_is_help=True)

ScenariosOption = Annotated[list[str] | None, typer.Option(
    "--scenarios", help="Scenario names or YAML paths (repeat or comma-separate; default: the "
                        "built-in threats).")]
RunsOption = Annotated[int, typer.Option(help="Monte Carlo draws per scenario.", min=1)]
SeedOption = Annotated[int, typer.Option(help="Root seed of the fitted draws.")]


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _table(rows: list[dict[str, Any]], title: str) -> None:
    render.frame_table(pd.DataFrame(rows), title)


def _pm(mean: float, standard_error: float | None) -> str:
    """A Monte Carlo estimate as ``mean ± standard error`` (US$)."""
    if standard_error is None or not math.isfinite(standard_error):
        return f"{mean:.4g} ± ?"
    return f"{mean:.4g} ± {standard_error:.2g}"


def _estimated(row: dict[str, Any]) -> dict[str, Any]:
    """The columns of a plan's value, each random one ± its standard error (US$)."""
    return {"expected_usd": _pm(row["expected_usd"], row.get("expected_se_usd")),
            "saving_usd": _pm(row.get("saving_usd", float("nan")), row.get("saving_se_usd")),
            "cvar_usd": _pm(row["cvar_usd"], row.get("cvar_se_usd")),
            "carry_usd": row["carry_usd"],
            "objective_usd": _pm(row["objective_usd"], row.get("objective_se_usd")),
            "draws": row.get("draws")}


@optimize_app.command("stockpile")
@user_errors
def stockpile(
    budget: Annotated[float | None, typer.Option(
        help="Purchase budget, US$ (default 12e9: 10 bn EXIM loan + 2 bn private).")] = None,
    scenarios: ScenariosOption = None,
    runs: RunsOption = 500,
    seed: SeedOption = 20260202,
    lam: Annotated[float, typer.Option(help="Weight of CVaR95 in the objective.")] = 0.5,
    candidates: Annotated[list[str] | None, typer.Option(
        help="Commodities the Vault may hold (default: storable materials).")] = None,
    format: FormatOption = Format.table,
    data: DataOption = None,
) -> None:
    """Size the Vault: tonnes per commodity minimising E + lam x CVaR95 of shortage cost."""
    payload = workflows_policy.stockpile_payload(budget, _split(scenarios), runs, seed, data,
                                                 _split(candidates), lam)
    if format is Format.json:
        emit_json(payload)
        return
    _table(payload["plan"], "Vault plan")
    _table([{"rule": k, **_estimated(v)}
            for k, v in {"optimal": payload["objective"], **payload["baselines"]}.items()],
           "Objective (fitted draws) against the simple rules; saving vs no stockpile "
           "(± standard error, paired draws)")
    _table([{"budget_usd": f["budget_usd"], "spent_usd": f["spent_usd"],
             **_estimated({**f, "expected_usd": f["expected_shortage_cost_usd"],
                           "cvar_usd": f["cvar95_shortage_cost_usd"]})}
            for f in payload["frontier"]], "Cost-risk frontier")
    _table([{"sample": s, "plan": k, **_estimated(v)} for s in ("in_sample", "out_of_sample")
            for k, v in payload["validation"].get(s, {}).items()],
           "Engine check (± standard error; saving paired on common random numbers)")
    _member_tables(payload["members"])


def _member_tables(placed: dict[str, Any] | None) -> None:
    """Who holds what, and each member's expected loss without and with the Vault."""
    if placed is None:
        render.console.print("No member placement: the scenarios' region map does not hold "
                             "the members as regions (use regions: countries).")
        return
    best = placed["recommended"]
    _table([{k: h[k] for k in ("member", "commodity", "units", "unit", "usd")}
            for h in placed["holders"]],
           f"Who holds the Vault ({best.replace('_', ' ')}, the lower expected member loss)")
    _table([{"member": m["member"], "without_usd": f"{m['without_usd']:.4g}",
             **{f"{p}_saving_usd": _pm(m[f"{p}_saving_usd"], m[f"{p}_saving_se_usd"])
                for p in ("by_demand", "by_exposure")}}
            for m in [*placed["losses"], {"member": "all members", **placed["total"]}]],
           "Each member's expected shortage cost, US$, and what the Vault saves it "
           "(± standard error, paired draws)")


@optimize_app.command("floors")
@user_errors
def floors(
    commodity: Annotated[str, typer.Option(help="Commodity id, e.g. rare_earths_refining.")],
    floor: Annotated[float, typer.Option(help="Floor price, US$ per commodity unit.")],
    eligible: Annotated[str | None, typer.Option(
        help="Bloc whose producers are paid (default: the scenarios' bloc).")] = None,
    scenarios: ScenariosOption = None,
    runs: RunsOption = 500,
    seed: SeedOption = 20250710,
    unit_cost: Annotated[float | None, typer.Option(
        help="Unit cost of eligible producers, US$/unit; replaces the data's costs (lithium "
             "mines have cost tranches) when given.")] = None,
    format: FormatOption = Format.table,
    data: DataOption = None,
) -> None:
    """Expected CfD cost of a price floor, capacity it retains and shortage it avoids."""
    payload = workflows_policy.floors_payload(commodity, floor, eligible, _split(scenarios),
                                              runs, seed, data, unit_cost)
    if format is Format.json:
        emit_json(payload)
        return
    _table(payload["per_scenario"], f"Price floor {floor:g} US$ on {commodity}")
    _table([payload["worked_example"] | {"eligible_producers": ""}], "Worked example")
    render.console.print(f"expected cost {payload['expected_cost_usd']:.4g} US$; capacity "
                         f"retained {payload['capacity_retained']:.4g}/yr; shortage avoided "
                         f"{payload['shortage_avoided']:.4g}")


@optimize_app.command("members")
@user_errors
def members(
    bloc: Annotated[str, typer.Option(help="The bloc to grow.")] = "pax-silica",
    candidates: Annotated[list[str] | None, typer.Option(
        help="ISO3 codes (default: trade-club and named invitees, and Qatar).")] = None,
    scenarios: ScenariosOption = None,
    runs: RunsOption = 300,
    seed: SeedOption = 20260112,
    format: FormatOption = Format.table,
    data: DataOption = None,
) -> None:
    """Rank candidate members by the drop in the bloc's expected shortage cost."""
    payload = workflows_policy.members_payload(bloc, _split(candidates), _split(scenarios),
                                               runs, seed, data)
    if format is Format.json:
        emit_json(payload)
        return
    _table([{"iso3": r["iso3"], "already_member": r["already_member"],
             "risk_reduction_usd": _pm(r["risk_reduction_usd"], r["standard_error_usd"]),
             "draws (changed)": f"{r['draws']} ({r['draws_changed']})",
             "concern_share_change": r["concern_share_change"],
             "top_commodities": ", ".join(f"{t['commodity']} "
                                          f"{_pm(t['risk_reduction_usd'], t['standard_error_usd'])}"
                                          for t in r["top_commodities"])}
            for r in payload],
           f"Candidate members of {bloc} (US$ ± standard error of the paired difference)")


@optimize_app.command("invest")
@user_errors
def invest(
    budget: Annotated[float, typer.Option(help="Capital budget, US$.")],
    projects: Annotated[Path, typer.Option(
        help="CSV of candidate projects: project, country, commodity, capacity (units/yr), "
             "capex_usd, lead_time_months[, unit_cost_usd].")],
    scenarios: ScenariosOption = None,
    runs: RunsOption = 200,
    seed: SeedOption = 20260301,
    by_month: Annotated[int | None, typer.Option(
        help="Count shortage up to this month (default: the horizon).")] = None,
    format: FormatOption = Format.table,
    data: DataOption = None,
) -> None:
    """Choose the project portfolio that most reduces shortage risk under a capital budget."""
    payload = workflows_policy.invest_payload(budget, projects, _split(scenarios), runs, seed,
                                              by_month, data)
    if format is Format.json:
        emit_json(payload)
        return
    _table(payload["selected"], "Selected projects")
    render.console.print(f"capex {payload['capex_usd']:.4g} US$; expected shortage cost "
                         f"{payload['expected_shortage_cost_usd']}")
