"""The single-points-of-failure page: the N-1 ranking and the stack with its worst nodes marked.

The sweep is ``paxsilica spof`` with its defaults (:mod:`paxsilica.workflows_spof`), run once
per (bloc, months) and kept by the service (it takes tens of seconds on 2 cores; the dataset
does not change while the service runs). The stack is the overview's SVG diagram
(:func:`paxsilica.api.stack.layout_stack`) coloured by the worst node's mean capability loss
on each commodity, relative to the worst node overall; the top nodes' commodities are
outlined and print their rank and country.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from paxsilica.api.pages import (
    Digits,
    Lang,
    Page,
    Reader,
    _render,
    _stage_names,
    bloc_options,
    pick_bloc,
)
from paxsilica.api.stack import StackDiagram, layout_stack
from paxsilica.model.dataset import Dataset
from paxsilica.policy.n_minus_one import DEFAULT_MONTHS
from paxsilica.report import figures
from paxsilica.report.spof import TOP_NODES, spof_label

__all__ = ["router", "spof_diagram"]

router = APIRouter(include_in_schema=False)


def spof_diagram(ds: Dataset, ranking: pd.DataFrame, page: Page,
                 top: int = TOP_NODES) -> tuple[StackDiagram, dict[str, int]]:
    """The stack coloured by each commodity's worst node (mean capability loss over the
    largest of any node, 0..1; grey: no node above the threshold), and commodity -> best rank
    among the ``top`` nodes (the marked ones)."""
    names = figures.commodity_names(ds, page.lang)
    countries = figures.country_names(ds, page.lang)
    worst = float(ranking["loss_mean"].max()) if not ranking.empty else 0.0
    values: dict[str, float | None] = {}
    texts: dict[str, str] = {}
    titles: dict[str, str] = {}
    marks: dict[str, int] = {}
    for commodity, rows in ranking.groupby("commodity", sort=False):
        commodity = str(commodity)
        rows = rows.sort_values("rank")
        first = rows.iloc[0]
        values[commodity] = float(first["loss_mean"]) / worst if worst > 0 else 0.0
        lines = [names.get(commodity, commodity)] + [
            f"#{page.plain(r['rank'])} {countries.get(r['iso3'], r['iso3'])}: "
            f"{page.prose('P50')} {page.share(r['loss_p50'])} · {page.prose('P95')} "
            f"{page.share(r['loss_p95'])}" for r in rows.head(3).to_dict("records")]
        titles[commodity] = "\n".join(lines)
        texts[commodity] = (f"#{page.plain(first['rank'])} {first['iso3']} "
                            f"{page.share(first['loss_mean'])}")
        if int(first["rank"]) <= top:
            marks[commodity] = int(first["rank"])
    stages = {str(k): str(v) for k, v in zip(ds.commodities["id"], ds.commodities["stage"],
                                              strict=True)}
    diagram = layout_stack(ds.recipes, stages, names, _stage_names(page), values, texts,
                           titles, rtl=page.lang == "ar")
    return diagram, marks


@router.get("/spof", response_class=HTMLResponse)
def spof_page(request: Request, _who: Reader, lang: Lang = "en", digits: Digits = "latin",
              bloc: str = "pax-silica",
              months: int = Query(DEFAULT_MONTHS, ge=1, le=24)) -> HTMLResponse:
    """The bloc's single points of failure: the N-1 ranking, the stack with the worst nodes
    marked, and the inputs that one country supplies."""
    services = request.app.state.services
    ds = services.ds
    page = Page(request, lang, digits)
    bloc = pick_bloc(ds, bloc)
    result = services.spof(bloc, months)
    sweep = result.sweep
    diagram, marks = spof_diagram(ds, sweep.table, page)

    def s(key: str, **fields: Any) -> str:
        return page.prose(spof_label(key, lang, **fields))

    intro = s("spof_intro", severity=page.share(sweep.outage.severity, 0),
              months=sweep.outage.months, start=sweep.outage.start_month, draws=sweep.draws,
              bloc=page.t(bloc), nodes=len(sweep.table),
              threshold=page.share(result.request.threshold, 0))
    cuts: dict[tuple[str, str], list[tuple[str, ...]]] = {}
    for row in result.capability_cuts.to_dict("records"):
        cuts.setdefault((row["iso3"], row["commodity"]), []).append(tuple(row["path"]))
    return _render(request, "spof.html", page, bloc=bloc, blocs=bloc_options(ds, page),
                   months=months, s=s, intro=intro, rows=sweep.table.head(TOP_NODES * 2)
                   .to_dict("records"), top=TOP_NODES, diagram=diagram, marks=marks,
                   sole=result.sole_sources.to_dict("records"), cuts=cuts,
                   rest=page.share(1 - result.request.dominance, 0),
                   names=figures.commodity_names(ds, lang),
                   countries=figures.country_names(ds, lang),
                   seconds=result.seconds, nodes=len(sweep.table), draws=sweep.draws,
                   threshold=result.request.threshold)
