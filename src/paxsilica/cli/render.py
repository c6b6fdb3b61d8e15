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

from paxsilica.metrics.dependency import resolve_importer
from paxsilica.metrics.profile import PROFILE_TOP_SUPPLIERS
from paxsilica.model.dataset import Dataset
from paxsilica.report.i18n import label

__all__ = [
    "console",
    "country_profile",
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


def risk_table(frame: pd.DataFrame, ds: Dataset, importer: str, lang: str = "en") -> None:
    """Render the risk read-out sorted by risk; '*' marks a top producer inside the importer.

    ``importer`` is a bloc id or an ISO3 code; the import columns read '-' for commodities
    without bilateral trade data (see the legend).
    """
    who = resolve_importer(ds, importer)
    names = ds.commodities.set_index("id")["name_ar" if lang == "ar" else "name_en"]
    countries = ds.countries.set_index("iso3")["name_ar" if lang == "ar" else "name_en"]
    title = who.id if who.is_bloc else f"{countries.get(who.id, who.id)} ({who.id})"
    table = Table(title=label("risk_title", lang, bloc=title), caption=label("risk_legend", lang))
    keys = ("commodity", "stage", "hhi", "top_country", "top_share", "top3_share",
            "bloc_share" if who.is_bloc else "own_share", "concern_share", "import_reliance",
            "imports_of_concern", "supply_risk", "reliability")
    for key in keys:
        text = label(key, lang)
        if key in ("commodity", "stage", "top_country", "reliability"):
            table.add_column(text, justify="left")
        else:  # twelve columns: figures' headers wrap (to their longest word) before names do
            table.add_column(text, justify="right", width=_header_width(text))
    for row in frame.itertuples(index=False):
        top = row.top_country
        mark = "*" if top in who.countries else ""
        table.add_row(
            str(names.get(row.commodity, row.commodity)),
            label(row.stage, lang),
            _num(row.hhi, 0),
            f"{countries.get(top, top)} ({top}){mark}" if top else "-",
            _pct(row.top_share),
            _pct(row.top3_share),
            _pct(row.bloc_share),
            _pct(row.concern_share),
            _pct(row.import_reliance),
            _pct(row.import_concern_share),
            _num(row.supply_risk),
            label(row.reliability, lang),
        )
    console.print(table)


def _header_width(text: str, least: int = 7) -> int:
    """Width of a column of short figures whose header wraps at spaces: its longest word."""
    return max([least, *(len(word) for word in text.split())])


def country_profile(payload: dict[str, Any]) -> None:
    """Render ``country``: identity, dependencies, suppliers per material, layers held."""
    lang = payload["lang"]
    totals = payload["totals"]
    concern = {row["exporter"] for row in payload["suppliers"] if row["of_concern"]}
    concern |= {row["top_supplier"] for row in payload["dependencies"]
                if row["top_supplier_of_concern"]}

    def who(code: str | None, name: str | None) -> str:
        return "-" if code is None else f"{name} ({code}){'†' if code in concern else ''}"

    identity = Table(title=label("profile_title", lang, name=payload["name"],
                                 iso3=payload["iso3"]), show_header=False)
    identity.add_column("item", style="bold")
    identity.add_column("value")
    identity.add_row(label("wgi", lang, low="-2.5", high="2.5"), _num(payload["wgi"]))
    sep = "، " if lang == "ar" else ", "
    blocs = [label(bloc, lang) if lang == "ar" else bloc for bloc in payload["blocs"]]
    identity.add_row(label("blocs", lang), sep.join(blocs) or label("none", lang))
    identity.add_row(label("trade_period", lang), label(
        "trade_baseline_text", lang, period=payload["trade_period"] or "-",
        bilateral=str(totals["bilateral"]), total=str(totals["dependencies"])))
    console.print(identity)

    dependencies = Table(title=_shown("dependencies_title", lang, len(payload["dependencies"]),
                                      totals["dependencies"]),
                         caption=label("profile_legend", lang,
                                       period=payload["trade_period"] or "-"))
    for key in ("commodity", "stage", "supply_risk", "import_reliance", "top_supplier",
                "import_concern_share", "trade_coverage"):
        dependencies.add_column(label(key, lang), justify="right" if key in (
            "supply_risk", "import_reliance", "import_concern_share") else "left")
    for row in payload["dependencies"]:
        top = who(row["top_supplier"], row["top_supplier_name"])
        dependencies.add_row(
            row["name"], label(row["stage"], lang), _num(row["supply_risk"]),
            _pct(row["import_reliance"]),
            top if row["top_supplier"] is None else f"{top} {_pct(row['top_supplier_share'])}",
            _pct(row["import_concern_share"]), label(row["trade_coverage"], lang))
    console.print(dependencies)

    by_commodity: dict[str, list[dict[str, Any]]] = {}
    for row in payload["suppliers"]:
        by_commodity.setdefault(row["commodity"], []).append(row)
    if by_commodity:
        suppliers = Table(title=_shown("suppliers_title", lang, len(by_commodity),
                                       totals["imported"], n=str(PROFILE_TOP_SUPPLIERS)))
        suppliers.add_column(label("commodity", lang))
        suppliers.add_column(label("imports", lang), justify="right")
        suppliers.add_column(label("suppliers", lang))
        for rows in by_commodity.values():
            top = rows[0]  # the largest supplier: share = quantity / all of its imports
            total = top["quantity"] / top["share"] if top["share"] else None
            suppliers.add_row(top["name"], f"{_quantity(total)} {top['unit'] or ''}".strip(),
                              sep.join(f"{who(row['exporter'], row['exporter_name'])} "
                                       f"{_pct(row['share'])}" for row in rows))
        console.print(suppliers)
    else:
        console.print(label("no_suppliers", lang))

    if payload["holdings"]:
        holdings = Table(title=_shown("holdings_title", lang, len(payload["holdings"]),
                                      totals["holdings"]))
        for key in ("commodity", "stage", "year", "world_share", "rank"):
            holdings.add_column(label(key, lang), justify="left" if key in (
                "commodity", "stage") else "right")
        for row in payload["holdings"]:
            holdings.add_row(row["name"], label(row["stage"], lang), str(row["year"]),
                             _pct(row["share"]), str(row["rank"]))
        console.print(holdings)
    else:
        console.print(label("no_holdings", lang))


def _shown(key: str, lang: str, shown: int, total: int, **fields: str) -> str:
    title = label(key, lang, **fields)
    if shown < total:
        title += f" · {label('shown', lang, shown=str(shown), total=str(total))}"
    return title


def _quantity(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:,.2f}"


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
    for name in ("commodity", "price P50", "price P95", "at ceiling", "short P50", "short P95",
                 "stock-out P50"):
        table.add_column(name, justify="left" if name == "commodity" else "right",
                         no_wrap=name == "commodity", min_width=22 if name == "commodity" else 7)
    for row in alliance.itertuples(index=False):
        # share of draws whose peak reached the price cap (or the backstop price); runs stored
        # before it was reported have no value
        ceiling = getattr(row, "price_ceiling_share", math.nan)
        table.add_row(row.commodity, f"{_num(row.peak_price_ratio_p50)}x",
                      f"{_num(row.peak_price_ratio_p95)}x", _pct(ceiling),
                      _pct(row.shortage_share_p50), _pct(row.shortage_share_p95),
                      _num(row.stock_out_month_p50, 0))
    console.print(table)
    table = Table(title="final capabilities: output lost over the horizon")
    for name in ("capability", "loss P50", "loss P95"):
        table.add_column(name, justify="left" if name == "capability" else "right")
    for row in payload["downstream"]:
        table.add_row(row["capability"], _pct(row["loss_share_p50"]), _pct(row["loss_share_p95"]))
    console.print(table)
    if payload.get("regions") and not alliance.empty:
        _regions_table(payload, str(alliance.iloc[0]["commodity"]))


def _regions_table(payload: dict[str, Any], commodity: str) -> None:
    """The worst commodity region by region (the two-tier price), with each region's largest
    capability loss."""
    where = payload["meta"].get("region_segments") or {}
    cells = pd.DataFrame(payload["regions"])
    cells = cells[cells["commodity"] == commodity]
    losses = pd.DataFrame(payload["region_downstream"])
    worst = losses.sort_values("loss_share_p95", ascending=False).drop_duplicates("region")
    worst = worst.set_index("region")
    table = Table(title=f"{commodity} by region ({payload['meta'].get('region_map')} map)")
    for name in ("region", "bloc", "price P50", "price P95", "short P95", "stock-out P50",
                 "largest capability loss P95"):
        table.add_column(name, justify="left" if name in ("region", "bloc",
                                                          "largest capability loss P95")
                         else "right")
    for row in cells.itertuples(index=False):
        loss = worst.loc[row.region] if row.region in worst.index else None
        table.add_row(row.region, where.get(row.region, ""),
                      f"{_num(row.peak_price_ratio_p50)}x", f"{_num(row.peak_price_ratio_p95)}x",
                      _pct(row.shortage_share_p95), _num(row.stock_out_month_p50, 0),
                      "-" if loss is None else f"{loss['capability']} "
                                               f"{_pct(loss['loss_share_p95'])}")
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
    members = Table(title="Members: the hardest hit under each threat (capability loss P95, "
                          "then shortage P95)")
    for name in ("scenario", "hardest hit", "capability loss P50/P95", "worst commodity",
                 "shortage P95", "stock-out month P50", "next"):
        members.add_column(name, justify="left" if name in ("scenario", "hardest hit",
                                                            "worst commodity", "next")
                           else "right")
    for row in report["rows"]:
        rows = row.get("members") or []
        if not rows:
            continue
        top = rows[0]
        members.add_row(row["scenario"], row["hardest_label"],
                        f"{top['capability'] or '-'} {_pct(top['loss_share_p50'])}/"
                        f"{_pct(top['loss_share_p95'])}",
                        top["commodity"], _pct(top["shortage_share_p95"]),
                        _num(top["stock_out_month_p50"] if top["stock_out_month_p50"] is not None
                             else float("nan"), 0),
                        ", ".join(r["region"] for r in rows[1:4]))
    if members.row_count:
        console.print(members)


def run_record(record: dict[str, Any], metrics: pd.DataFrame) -> None:
    """One stored run."""
    console.print(f"[bold]run {record['run_id']}[/] {record['status']}: {record['scenario']} "
                  f"seed {record['seed']}, {record['draws']} draws, {record['months']} months, "
                  f"dataset {str(record['dataset_hash'])[:12]}, code {record['code_version']}")
    if record.get("error"):
        console.print(f"[red]{record['error']}[/]")
    frame_table(metrics, title="metrics")
