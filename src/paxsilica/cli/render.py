"""Rich tables for the terminal: readable by a person, in English or Arabic."""

from __future__ import annotations

import math
import sys
from typing import Any

import pandas as pd
from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                           TimeElapsedColumn)
from rich.table import Table

from paxsilica.model.dataset import Dataset
from paxsilica.report.i18n import label

__all__ = [
    "console",
    "frame_table",
    "info_table",
    "progress",
    "risk_table",
    "run_record",
    "scenario_list",
    "simulation",
    "stress_table",
]

# Piped output (reports, CI logs, README examples) gets a fixed, roomy width; a terminal its own.
console = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 180)


def _pct(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.0%}" if abs(value) >= 0.1 or value == 0 else f"{value:.1%}"


def _num(value: float, digits: int = 2) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def info_table(info: dict[str, Any]) -> None:
    """Render ``data info``."""
    table = Table(title=f"paxsilica data ({info['origin']})", show_header=False)
    table.add_column("item", style="bold")
    table.add_column("value")
    for key in ("countries", "producers", "commodities", "materials", "sources",
                "estimate_sources"):
        table.add_row(key.replace("_", " "), str(info[key]))
    table.add_row("by stage", ", ".join(f"{k} {v}" for k, v in info["commodities_by_stage"].items()))
    table.add_row("blocs", ", ".join(f"{k} ({v})" for k, v in info["blocs"].items()))
    table.add_row("data years", ", ".join(str(y) for y in info["data_years"]))
    table.add_row("dataset hash", info["dataset_hash"][:16])
    console.print(table)


def risk_table(frame: pd.DataFrame, ds: Dataset, bloc: str, lang: str = "en") -> None:
    """Render the risk read-out sorted by risk; '*' marks a top producer inside the bloc."""
    members = ds.members(bloc)
    names = ds.commodities.set_index("id")["name_ar" if lang == "ar" else "name_en"]
    countries = ds.countries.set_index("iso3")["name_ar" if lang == "ar" else "name_en"]
    table = Table(title=label("risk_title", lang, bloc=bloc), caption=label("member_mark", lang))
    keys = ("commodity", "stage", "hhi", "top_country", "top_share", "top3_share",
            "bloc_share", "concern_share", "supply_risk", "reliability")
    for key in keys:
        table.add_column(label(key, lang), justify="left" if key in keys[:2] + ("top_country",
                                                                                   "reliability")
                         else "right")
    for row in frame.itertuples(index=False):
        top = row.top_country
        mark = "*" if top in members else ""
        table.add_row(
            str(names.get(row.commodity, row.commodity)),
            label(row.stage, lang),
            _num(row.hhi, 0),
            f"{countries.get(top, top)} ({top}){mark}" if top else "-",
            _pct(row.top_share),
            _pct(row.top3_share),
            _pct(row.bloc_share),
            _pct(row.concern_share),
            _num(row.supply_risk),
            label(row.reliability, lang),
        )
    console.print(table)


def progress() -> Progress:
    """A progress bar on stderr (stdout stays clean for --format json)."""
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    MofNCompleteColumn(), TimeElapsedColumn(),
                    console=Console(stderr=True), transient=True)


def frame_table(frame: pd.DataFrame, title: str) -> None:
    """Any small DataFrame as a table."""
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(str(column))
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    console.print(table)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return _num(value, 3)
    return "-" if value is None else str(value)


def scenario_list(rows: list[dict[str, Any]]) -> None:
    """The built-in scenarios."""
    frame_table(pd.DataFrame(rows), title="built-in scenarios")


def simulation(payload: dict[str, Any]) -> None:
    """A simulation's alliance rows and downstream losses."""
    meta = payload["meta"]
    console.print(f"[bold]{meta['scenario']}[/]: {meta['draws']} draws x {meta['months']} months "
                  f"in {meta['seconds']:.2f} s; run {meta['run_id']}")
    summary = pd.DataFrame(payload["summary"])
    alliance = summary[summary["segment"] == "alliance"].sort_values(
        ["shortage_share_p95", "peak_price_ratio_p95"], ascending=False).head(12)
    table = Table(title="alliance: worst-hit commodities (shares of baseline demand)")
    for name in ("commodity", "price P50", "price P95", "short P50", "short P95",
                 "stock-out P50"):
        table.add_column(name, justify="left" if name == "commodity" else "right",
                         no_wrap=name == "commodity", min_width=22 if name == "commodity" else 7)
    for row in alliance.itertuples(index=False):
        table.add_row(row.commodity, f"{_num(row.peak_price_ratio_p50)}x",
                      f"{_num(row.peak_price_ratio_p95)}x", _pct(row.shortage_share_p50),
                      _pct(row.shortage_share_p95), _num(row.stock_out_month_p50, 0))
    console.print(table)
    table = Table(title="final capabilities: output lost over the horizon")
    for name in ("capability", "loss P50", "loss P95"):
        table.add_column(name, justify="left" if name == "capability" else "right")
    for row in payload["downstream"]:
        table.add_row(row["capability"], _pct(row["loss_share_p50"]), _pct(row["loss_share_p95"]))
    console.print(table)


def stress_table(report: dict[str, Any]) -> None:
    """The main job's table, one line per scenario, for a policy-maker."""
    table = Table(title=f"Stress test: {report['bloc']}")
    for name in ("scenario", "worst-hit commodities", "shortage P50", "shortage P95",
                 "peak price P50", "peak price P95", "stock-out month P50",
                 "capability loss P50/P95"):
        table.add_column(name, justify="left" if name in ("scenario", "worst-hit commodities")
                         else "right")
    for row in report["rows"]:
        table.add_row(row["scenario"], ", ".join(row["worst_hit"]) or "-",
                      _pct(row["shortage_share_p50"]), _pct(row["shortage_share_p95"]),
                      f"{_num(row['peak_price_ratio_p50'])}x",
                      f"{_num(row['peak_price_ratio_p95'])}x",
                      _num(row["stock_out_month_p50"] if row["stock_out_month_p50"] is not None
                           else float("nan"), 0),
                      f"{row['capability'] or '-'} {_pct(row['loss_share_p50'])}/"
                      f"{_pct(row['loss_share_p95'])}")
    console.print(table)


def run_record(record: dict[str, Any], metrics: pd.DataFrame) -> None:
    """One stored run."""
    console.print(f"[bold]run {record['run_id']}[/] {record['status']}: {record['scenario']} "
                  f"seed {record['seed']}, {record['draws']} draws, {record['months']} months, "
                  f"dataset {str(record['dataset_hash'])[:12]}, code {record['code_version']}")
    if record.get("error"):
        console.print(f"[red]{record['error']}[/]")
    frame_table(metrics, title="metrics")
