"""The dashboard: server-rendered pages with Plotly figures, in English or Arabic.

Every page takes ``lang`` (en | ar) and ``digits`` (latin | arabic); links keep both. Arabic
pages are ``dir="rtl"`` with Arabic names of countries and commodities.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from paxsilica import workflows
from paxsilica.api import service
from paxsilica.api.auth import require_reader
from paxsilica.errors import NotFoundError, StoreError
from paxsilica.report import figures
from paxsilica.report.i18n import fmt_number, fmt_share, label, localise_digits
from paxsilica.store.tokens import TokenInfo

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Reader = Annotated[TokenInfo | None, Depends(require_reader)]
Lang = Annotated[str, Query(pattern="^(en|ar)$")]
Digits = Annotated[str, Query(pattern="^(latin|arabic)$")]


class Page:
    """Rendering context shared by all templates: language, digits, labels, links."""

    def __init__(self, request: Request, lang: str, digits: str) -> None:
        self.request, self.lang, self.digits = request, lang, digits
        self.dir = "rtl" if lang == "ar" else "ltr"
        self.path = request.url.path

    def t(self, key: str, **fields: Any) -> str:
        return label(key, self.lang, **{k: str(v) for k, v in fields.items()})

    def url(self, path: str, **query: Any) -> str:
        params = {"lang": self.lang, "digits": self.digits, **query}
        return f"{path}?{urlencode({k: v for k, v in params.items() if v is not None})}"

    def switch(self, **changes: str) -> str:
        """This page's URL with ``lang``/``digits`` changed and its other query kept."""
        params = dict(self.request.query_params)
        params.update(lang=self.lang, digits=self.digits)
        params.update(changes)
        return f"{self.path}?{urlencode(params)}"

    def num(self, value: Any, decimals: int = 2) -> str:
        return fmt_number(_float(value), decimals, self.digits)

    def plain(self, value: Any) -> str:
        """An identifier-like number (seed, id) in the chosen digits, no separators."""
        return localise_digits("-" if value is None else str(value), self.digits)

    def share(self, value: Any, decimals: int = 1) -> str:
        return fmt_share(_float(value), decimals, self.digits)

    def qty(self, value: Any) -> str:
        """A quantity with as many decimals as its size needs (0 from 100 up and for zero,
        1 from 1 up, 3 below)."""
        number = _float(value)
        size = abs(number) if number is not None else 0.0
        decimals = 0 if size >= 100 or size == 0 else 1 if size >= 1 else 3
        return fmt_number(number, decimals, self.digits)


def _float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if out == out else None


def _render(request: Request, name: str, page: Page, **context: Any) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(
        request, name, {"page": page, **context})


@router.get("/assets/plotly.js")
def plotly_js(request: Request) -> Response:
    """plotly.js from the installed plotly wheel."""
    return Response(request.app.state.services.plotly_js, media_type="text/javascript",
                    headers={"Cache-Control": "public, max-age=86400"})


@router.get("/favicon.ico")
def favicon() -> Response:
    """No icon (and no console error for a missing one)."""
    return Response(status_code=204)


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, _who: Reader, lang: Lang = "en", digits: Digits = "latin",
             bloc: str = "pax-silica", commodity: str | None = None) -> HTMLResponse:
    """Who produces what, and the supply-chain Sankey coloured by exposure."""
    ds = request.app.state.services.ds
    page = Page(request, lang, digits)
    names = figures.commodity_names(ds, lang)
    produced = sorted(set(ds.production["commodity"]), key=lambda c: names.get(c, c))
    risk = request.app.state.services.risk(bloc)
    default = (risk.sort_values("concern_share", ascending=False)["commodity"].iloc[0]
               if not risk.empty else (produced[0] if produced else ""))
    commodity = commodity if commodity in produced else default
    return _render(request, "overview.html", page, bloc=bloc, commodity=commodity,
                   commodities=[(c, names.get(c, c)) for c in produced],
                   producers=figures.figure_json(
                       figures.producers_figure(ds, commodity, bloc, lang)),
                   sankey=figures.figure_json(
                       figures.sankey_figure(ds, service.exposure_map(risk), lang)))


@router.get("/risk", response_class=HTMLResponse)
def risk_page(request: Request, _who: Reader, lang: Lang = "en", digits: Digits = "latin",
              bloc: str = "pax-silica") -> HTMLResponse:
    """The risk table from ``bloc``'s perspective."""
    ds = request.app.state.services.ds
    page = Page(request, lang, digits)
    table = request.app.state.services.risk(bloc)
    return _render(request, "risk.html", page, bloc=bloc, rows=table.to_dict(orient="records"),
                   names=figures.commodity_names(ds, lang),
                   countries=figures.country_names(ds, lang))


@router.get("/scenarios", response_class=HTMLResponse)
def scenarios_page(request: Request, _who: Reader, lang: Lang = "en",
                   digits: Digits = "latin") -> HTMLResponse:
    """The library, and a form that starts a run and shows its progress."""
    page = Page(request, lang, digits)
    return _render(request, "scenarios.html", page, scenarios=workflows.builtin_scenarios())


@router.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request, _who: Reader, lang: Lang = "en",
              digits: Digits = "latin") -> HTMLResponse:
    """Recorded runs, newest first."""
    page = Page(request, lang, digits)
    try:
        rows = workflows.list_runs(request.app.state.services.settings.db).to_dict("records")
    except StoreError:
        rows = []
    return _render(request, "runs.html", page, rows=rows)


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(run_id: str, request: Request, _who: Reader, lang: Lang = "en",
             digits: Digits = "latin", commodity: str | None = None,
             segment: str = Query("alliance", pattern="^(alliance|restricting|others)$")
             ) -> HTMLResponse:
    """A run's fan charts (price, shortage, stocks), downstream losses and summary."""
    services = request.app.state.services
    ds = services.ds
    page = Page(request, lang, digits)
    try:
        view = workflows.run_view(run_id, services.settings.db)
    except (NotFoundError, StoreError):
        missing = _render(request, "missing.html", page, run_id=run_id)
        missing.status_code = 404  # issue 14: an unknown run answered 200
        return missing
    names = figures.commodity_names(ds, lang)
    items = sorted(set(view.summary.get("commodity", [])), key=lambda c: names.get(c, c))
    commodity = commodity if commodity in items else view.worst_commodity(segment)
    figs: dict[str, str] = {}
    if view.status == "complete" and commodity:
        name = names.get(commodity, commodity)
        for key, variable, title in (("fan-price", "price_ratio", "fan_price"),
                                     ("fan-shortage", "shortage_share", "fan_shortage"),
                                     ("fan-stock", "stock_share", "fan_stock")):
            figs[key] = figures.figure_json(figures.fan_figure(
                view, variable, commodity, segment, page.t(title, commodity=name), lang))
        figs["downstream"] = figures.figure_json(
            figures.downstream_figure(view.downstream, names, lang))
        worst_cap = (view.downstream.sort_values("loss_share_p50", ascending=False)
                     ["capability"].iloc[0] if not view.downstream.empty else None)
        if worst_cap is not None:
            figs["fan-loss"] = figures.figure_json(figures.fan_figure(
                view, "loss_share", worst_cap, None,
                page.t("loss_fan", capability=names.get(worst_cap, worst_cap)), lang))
    alliance = view.summary[view.summary["segment"] == segment] if not view.summary.empty \
        else view.summary
    if not alliance.empty:
        alliance = alliance.sort_values(["shortage_share_p95", "peak_price_ratio_p50"],
                                        ascending=False).head(10)
    return _render(request, "run.html", page, run_id=run_id, view=view, figs=figs,
                   commodity=commodity, segment=segment, names=names,
                   items=[(c, names.get(c, c)) for c in items],
                   top=alliance.to_dict("records") if not alliance.empty else [],
                   has_fans=not view.fans.empty,
                   progress=services.runs.progress(run_id))
