"""``paxsilica spof``: a thin adapter over :func:`paxsilica.workflows_spof.spof`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from paxsilica import workflows, workflows_spof
from paxsilica.cli import scale
from paxsilica.cli.common import DataOption, Format, FormatOption, Lang, emit_json, user_errors
from paxsilica.cli.render import console, progress
from paxsilica.metrics.spof import DEFAULT_DOMINANCE, DEFAULT_THRESHOLD
from paxsilica.policy.n_minus_one import DEFAULT_DRAWS, DEFAULT_MONTHS

__all__ = ["spof"]


@user_errors
def spof(
    bloc: Annotated[str, typer.Option(help="The bloc whose losses rank the nodes.")] = "pax-silica",
    threshold: Annotated[float, typer.Option(
        help="Nodes: countries with at least this share (0..1) of a commodity's world "
             "output.")] = DEFAULT_THRESHOLD,
    months: Annotated[int, typer.Option(help="Months each node is lost.", min=1)] = DEFAULT_MONTHS,
    severity: Annotated[float, typer.Option(
        help="Share (0..1) of the node's capacity lost.", min=0.0, max=1.0)] = 1.0,
    start_month: Annotated[int, typer.Option(help="First month of the outage (0-based).",
                                             min=0)] = 0,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws per node (one seed for all).",
                                       min=2)] = DEFAULT_DRAWS,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the baseline's).")] = None,
    dominance: Annotated[float, typer.Option(
        help="Structural view: one country counts as the only supplier from this share "
             "(0..1) of world output.")] = DEFAULT_DOMINANCE,
    limit: Annotated[int | None, typer.Option(
        help="Show only the N worst nodes (table default 20; JSON default all).",
        min=1)] = None,
    out: Annotated[Path | None, typer.Option(help="Also write an HTML report here.")] = None,
    lang: Annotated[Lang, typer.Option(help="Language of the HTML report.")] = Lang.en,
    format: FormatOption = Format.table,
    data: DataOption = None,
    workers: scale.WorkersOption = None,
    scheduler: scale.SchedulerOption = None,
    backend: scale.BackendOption = scale.Backend.numpy,
    precision: scale.PrecisionOption = scale.Precision.float64,
) -> None:
    """Single points of failure: an N-1 sweep of (country, input) outages ranked by the
    bloc's lost capability output, shortage and peak price (P50/P95 and the Monte Carlo
    standard error), and the recipe graph's single-country inputs."""
    request = workflows_spof.SpofRequest(bloc, threshold, months, severity, start_month, draws,
                                         seed, dominance)
    with progress() as bar:
        bar.add_task("N-1 sweep", total=None)
        result = workflows_spof.spof(
            request, data=data,
            scale=workflows.Scale(workers, scheduler, backend.value, precision.value))
    if out is not None:
        workflows_spof.write_spof_report(result, out, lang=lang.value, data=data)
    if format is Format.json:
        emit_json(workflows_spof.spof_payload(result, limit))
        return
    _render(workflows_spof.spof_payload(result, limit or 20))
    if out is not None:
        console.print(f"report: {out}")


def _pair(row: dict[str, Any], measure: str, share: bool) -> str:
    fmt = "{:.1%}" if share else "{:.2f}"
    return f"{fmt.format(row[f'{measure}_p50'])} / {fmt.format(row[f'{measure}_p95'])}"


def _render(payload: dict[str, Any]) -> None:
    table = Table("rank", "country", "commodity", "world share", "loss P50 / P95",
                  "loss mean ± s.e.", "capability", "shortage P50 / P95",
                  "peak price P50 / P95", "worst commodity",
                  title=f"single points of failure: {payload['bloc']}, each node lost "
                        f"{payload['severity']:.0%} for {payload['months']} months",
                  caption=f"{payload['nodes']} nodes (share >= {payload['threshold']:.0%}) x "
                          f"{payload['draws']} draws, seed {payload['seed']}, "
                          f"{payload['seconds']:.1f} s. Loss: largest over capabilities of "
                          "lost output vs baseline; shortage: largest over commodities.")
    for row in payload["ranking"]:
        table.add_row(str(row["rank"]), row["iso3"], row["commodity"], f"{row['share']:.0%}",
                      _pair(row, "loss", True),
                      f"{row['loss_mean']:.1%} ± {row['loss_se']:.2%}",
                      row["capability"] or "-", _pair(row, "shortage", True),
                      _pair(row, "peak_price", False), row["worst_commodity"] or "-")
    console.print(table)
    sole = Table("commodity", "country", "share", "capabilities cut (route)",
                 title=f"inputs one country supplies (the rest of the world makes "
                       f"<= {1 - payload['dominance']:.0%})")
    for row in payload["sole_sources"]:
        routes = [" > ".join(c["path"]) for c in payload["capability_cuts"]
                  if c["iso3"] == row["iso3"] and c["commodity"] == row["commodity"]]
        sole.add_row(row["commodity"], row["iso3"], f"{row['share']:.1%}",
                     "\n".join(routes) or "-")
    console.print(sole)
