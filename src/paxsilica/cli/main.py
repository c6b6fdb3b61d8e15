"""The ``paxsilica`` command: parse, call one workflow, render, set the exit code.

Exit codes: 0 success, 2 a user error (bad input, unknown id; one paragraph on stderr, no
traceback), 1 an unexpected failure.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from paxsilica import workflows, workflows_trade
from paxsilica.cli import calibrate, optimize, render, scale, spof, web
from paxsilica.cli.service_client import service_for
from paxsilica.cli.common import (DataOption, DbOption, Format, FormatOption, Lang,
                                  ParameterChoice, ParametersOption, emit_json, err,
                                  user_errors)

__all__ = ["app", "main"]

app = typer.Typer(
    help="Supply-chain security analytics for the AI stack, from mineral to compute.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
data_app = typer.Typer(help="Inspect and check data packages.", no_args_is_help=True)
app.add_typer(data_app, name="data")
scenario_app = typer.Typer(help="The scenario library and its JSON Schema.", no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")
runs_app = typer.Typer(help="Runs recorded in the DuckDB results store.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")
app.command("serve")(web.serve)
app.add_typer(web.tokens_app, name="tokens")
app.command("report")(web.report)
app.add_typer(optimize.optimize_app, name="optimize")
app.command("sweep")(scale.sweep)
app.command("spof")(spof.spof)
app.command("calibrate")(calibrate.calibrate)

# -- data -------------------------------------------------------------------------------------
@data_app.command("info")
@user_errors
def data_info(data: DataOption = None, format: FormatOption = Format.table) -> None:
    """Counts of countries, commodities, materials and sources; data years."""
    info = workflows.data_info(workflows.load(data))
    if format is Format.json:
        emit_json(info)
    else:
        render.info_table(info)


@data_app.command("validate")
@user_errors
def data_validate(
    path: Annotated[Path, typer.Argument(help="Data package folder (CSV/Parquet) or .xlsx.")],
) -> None:
    """Check a data package; exit 0 when valid, 2 with the first problem otherwise."""
    rows = workflows.validate_package(path)
    render.console.print(f"[green]valid[/]: {path} ({', '.join(f'{k} {v}' for k, v in rows.items())})")


# -- risk and country profiles ----------------------------------------------------------------
@app.command("risk")
@user_errors
def risk(
    material: Annotated[str | None, typer.Option(help="Only this material, e.g. gallium.")] = None,
    stage: Annotated[str | None, typer.Option(help="Only this stage, e.g. refining.")] = None,
    bloc: Annotated[str, typer.Option(help="Importer perspective: a bloc id.")] = "pax-silica",
    importer: Annotated[str | None, typer.Option(
        help="Importer perspective: an ISO3 country code or a bloc id (replaces --bloc).")] = None,
    format: FormatOption = Format.table,
    lang: Annotated[Lang, typer.Option(help="Language of the table.")] = Lang.en,
    limit: Annotated[int | None, typer.Option(help="Show only the first N rows.")] = None,
    data: DataOption = None,
) -> None:
    """Concentration (HHI, top shares), bloc and of-concern shares, import reliance, EU
    supply risk."""
    ds = workflows.load(data)
    table = workflows.risk(ds, bloc=bloc, material=material, stage=stage, importer=importer)
    if limit is not None:
        table = table.head(limit)
    if format is Format.json:
        emit_json(table.to_dict(orient="records"))
    else:
        render.risk_table(table, ds, importer=importer or bloc, lang=lang.value)


@app.command("country")
@user_errors
def country(
    iso3: Annotated[str, typer.Argument(help="The country's ISO3 code, e.g. JPN.")],
    limit: Annotated[int | None, typer.Option(
        help="At most N dependencies, N imported materials' suppliers and N layers held.",
        min=1)] = None,
    format: FormatOption = Format.table,
    lang: Annotated[Lang, typer.Option(help="Language of headings and names.")] = Lang.en,
    data: DataOption = None,
) -> None:
    """A country's profile: dependencies ranked by EU supply risk, import reliance, suppliers
    per material, share from countries of concern, the layers of the stack it holds."""
    ds = workflows.load(data)
    payload = workflows_trade.profile_payload(ds, workflows.country_profile(ds, iso3),
                                              lang=lang.value, limit=limit)
    if format is Format.json:
        emit_json(payload)
    else:
        render.country_profile(payload)


# -- scenarios, simulation and runs --------------------------------------------------------------
@scenario_app.command("schema")
@user_errors
def scenario_schema() -> None:
    """Print the JSON Schema that scenario YAML files are validated against."""
    emit_json(workflows.scenario_schema())


@scenario_app.command("list")
@user_errors
def scenario_list(format: FormatOption = Format.table) -> None:
    """The built-in scenario library."""
    rows = workflows.builtin_scenarios()
    if format is Format.json:
        emit_json(rows)
    else:
        render.scenario_list(rows)


RegionsOption = Annotated[str | None, typer.Option(
    help="Region map: an id of the data (countries, the default; segments, the first "
         "release's three) or a YAML file (docs/regions.md).")]


@app.command("simulate")
@user_errors
def simulate(
    scenario: Annotated[str, typer.Argument(help="A scenario YAML file or a built-in name.")],
    runs: Annotated[int | None, typer.Option(help="Monte Carlo draws (default: the scenario's).",
                                             min=1)] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the scenario's).")] = None,
    db: DbOption = None,
    format: FormatOption = Format.table,
    data: DataOption = None,
    workers: scale.WorkersOption = None,
    scheduler: scale.SchedulerOption = None,
    backend: scale.BackendOption = scale.Backend.numpy,
    precision: scale.PrecisionOption = scale.Precision.float64,
    regions: RegionsOption = None,
    parameters: ParametersOption = ParameterChoice.posterior,
) -> None:
    """Run one scenario as a Monte Carlo simulation and record it in the results store."""
    outcome = workflows.simulate_scenario(
        scenario, runs=runs, seed=seed, db=db, data=data, regions=regions,
        scale=workflows.Scale(workers, scheduler, backend.value, precision.value),
        parameters=parameters.value)
    payload = workflows.simulation_payload(outcome)
    if format is Format.json:
        emit_json(payload)
    else:
        render.simulation(payload)


@app.command("stress-test")
@user_errors
def stress_test(
    bloc: Annotated[str, typer.Option(help="The alliance under study (a bloc id).")] = "pax-silica",
    runs: Annotated[int | None, typer.Option(help="Draws per scenario.", min=1)] = None,
    out: Annotated[Path, typer.Option(help="Where to write the HTML report.")] = Path(
        "paxsilica-stress-test.html"),
    db: DbOption = None,
    format: FormatOption = Format.table,
    data: DataOption = None,
    regions: RegionsOption = None,
    parameters: ParametersOption = ParameterChoice.posterior,
) -> None:
    """The main job: run the built-in scenario library against the bloc; table + HTML report."""
    with render.progress() as bar:
        task = bar.add_task("stress test", total=None)

        def advance(name: str, done: int, total: int) -> None:
            bar.update(task, total=total, completed=done, description=name)

        report = workflows.stress_test(bloc=bloc, runs=runs, db=db, data=data, out=out,
                                       progress=advance, regions=regions,
                                       parameters=parameters.value)
    if format is Format.json:
        emit_json(report)
    else:
        render.stress_table(report)
        render.console.print(f"report: {out}")


@runs_app.command("list")
@user_errors
def runs_list(db: DbOption = None, format: FormatOption = Format.table,
              limit: Annotated[int, typer.Option(min=1)] = 50) -> None:
    """Recent runs, newest first (through the service while one owns the store)."""
    service = service_for(db)
    if service is not None:
        with service:
            rows = service.json("GET", "/api/runs", params={"limit": limit})
        frame = pd.DataFrame(rows).drop(columns=["progress"], errors="ignore")
        if not frame.empty:
            frame["created_at"] = pd.to_datetime(frame["created_at"])
    else:
        frame = workflows.list_runs(db, limit)
    if format is Format.json:
        emit_json(frame.astype({"created_at": str}).to_dict(orient="records")
                  if not frame.empty else [])
    else:
        render.frame_table(frame, title="runs")


@runs_app.command("show")
@user_errors
def runs_show(run_id: str, db: DbOption = None, format: FormatOption = Format.table) -> None:
    """One run: its record and summaries (through the service while one owns the store)."""
    service = service_for(db)
    if service is not None:
        with service:
            record = service.json("GET", f"/api/runs/{run_id}/record")
        metrics = pd.DataFrame(record.pop("metrics"))
    else:
        record = workflows.show_run(run_id, db)
        metrics = record.pop("metrics")
    record["created_at"] = str(record["created_at"])
    if format is Format.json:
        emit_json({**record, "metrics": metrics.to_dict(orient="records")})
    else:
        render.run_record(record, metrics)


def main() -> None:
    """Entry point of the console script."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
