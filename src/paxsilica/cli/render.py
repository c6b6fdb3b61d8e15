"""Rich tables for the terminal: readable by a person, in English or Arabic."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from paxsilica.model.dataset import Dataset
from paxsilica.report.i18n import label

__all__ = ["console", "info_table", "risk_table"]

console = Console(soft_wrap=False)


def _pct(value: float) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.0%}"


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
