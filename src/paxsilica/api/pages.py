"""The dashboard: server-rendered pages with Plotly figures, in English or Arabic.

Every page takes ``lang`` (en | ar) and ``digits`` (latin | arabic); links keep both. Arabic
pages are ``dir="rtl"`` with Arabic names of countries and commodities.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from paxsilica import workflows
from paxsilica.api.auth import require_reader
from paxsilica.errors import NotFoundError, StoreError
from paxsilica.api.labels import ERROR_LABELS, dash_label
from paxsilica.api.run_regions import RegionQueryError, parse_codes, region_context
from paxsilica.api.stack import COLOURINGS, StackDiagram, layout_stack
from paxsilica.data.schema import STAGES
from paxsilica.model.dataset import Dataset
from paxsilica.report import figures
from paxsilica.report.i18n import fmt_number, fmt_share, localise_digits
from paxsilica.report.view import member_table
from paxsilica.store.tokens import TokenInfo

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Reader = Annotated[TokenInfo | None, Depends(require_reader)]
Lang = Annotated[str, Query(pattern="^(en|ar)$")]
Digits = Annotated[str, Query(pattern="^(latin|arabic)$")]


_INDIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
#: Labels that name the Latin digits themselves, so keep them in any digit mode.
_LATIN_LABELS = frozenset({"digits_latin"})


class Page:
    """Rendering context shared by all templates: language, digits, labels, links."""

    def __init__(self, request: Request, lang: str, digits: str) -> None:
        self.request, self.lang, self.digits = request, lang, digits
        self.dir = "rtl" if lang == "ar" else "ltr"
        self.path = request.url.path

    def t(self, key: str, **fields: Any) -> str:
        """The label ``key`` in the page's language; its own numbers (e.g. "P95") in the
        chosen digits, the values filled in (ids, names) left as they are."""
        text = dash_label(key, self.lang)
        if key not in _LATIN_LABELS:
            text = self.prose(text)
        return text.format(**{k: str(v) for k, v in fields.items()}) if fields else text

    def errors(self) -> dict[str, str]:
        """API error names -> the message this page's language shows (read by app.js)."""
        return {name: pair[1] if self.lang == "ar" else pair[0]
                for name, pair in ERROR_LABELS.items()}

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

    def prose(self, text: Any) -> str:
        """Running text with its numbers in the chosen digits: digits, decimal points and
        thousands commas between digits, and the percent sign (sentence full stops stay)."""
        out = "" if text is None else str(text)
        if self.digits != "arabic":
            return out
        out = re.sub(r"(?<=\d)\.(?=\d)", "٫", out)
        out = re.sub(r"(?<=\d),(?=\d{3})", "٬", out)
        # digits only: localise_digits also turns every '.' into the decimal separator
        return out.replace("%", "٪").translate(_INDIC_DIGITS)

    def scenario_text(self, scn: Any, field: str) -> str:
        """A scenario's ``title`` or ``description`` in the page's language (Arabic when the
        scenario has it, else English), numbers in the chosen digits."""
        get = scn.get if isinstance(scn, dict) else (lambda key, default="": getattr(
            scn, key, default))
        text = (get(f"{field}_ar", "") if self.lang == "ar" else "") or get(field, "")
        return self.prose(text)

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


def no_split(row: Any) -> bool:
    """True when the data name no producing country for a risk-table row (devices and
    vehicles are made from their inputs): its shares and HHI are not defined, not zero."""
    count = row.get("n_producers")
    return _float(row.get("hhi")) is None or (count is not None and _float(count) == 0)


def pick_bloc(ds: Dataset, bloc: str | None) -> str:
    """``bloc`` when the data know it, else Pax Silica (the first bloc as a last resort)."""
    names = sorted(ds.bloc_names())
    if bloc in names:
        return str(bloc)
    return "pax-silica" if "pax-silica" in names else (names[0] if names else "")


def bloc_options(ds: Dataset, page: Page) -> list[tuple[str, str]]:
    """(id, display name) of every bloc in the data, for the bloc selector."""
    return [(b, page.t(b)) for b in sorted(ds.bloc_names())]


def _stage_names(page: Page) -> dict[str, str]:
    return {s: page.t(s) for s in STAGES}


def stack_diagram(ds: Dataset, risk: Any, page: Page, colouring: str) -> StackDiagram:
    """The overview's supply-chain diagram coloured by ``colouring`` (see :data:`COLOURINGS`),
    with each commodity's figure printed under its name and all figures in its hover text."""
    names = figures.commodity_names(ds, page.lang)
    countries = figures.country_names(ds, page.lang)
    rows = {str(r["commodity"]): r for r in risk.to_dict("records")} if not risk.empty else {}
    values: dict[str, float | None] = {}
    texts: dict[str, str] = {}
    titles: dict[str, str] = {}
    for commodity, row in rows.items():
        name = names.get(commodity, commodity)
        if no_split(row):
            values[commodity], texts[commodity] = None, page.t("no_split")
            titles[commodity] = f"{name}: {page.t('no_split')}"
            continue
        top = countries.get(str(row.get("top_country")), str(row.get("top_country")))
        figures_text = {
            "concern": page.share(row.get("concern_share"), 0),
            "hhi": f"{page.t('hhi')} {page.num(row.get('hhi'), 0)}",
            "top": f"{top} {page.share(row.get('top_share'), 0)}"}
        raw = _float(row.get(COLOURINGS[colouring]))
        values[commodity] = None if raw is None else raw / (10_000 if colouring == "hhi" else 1)
        texts[commodity] = figures_text[colouring]
        titles[commodity] = (f"{name}\n{page.t('colour_concern')}: {figures_text['concern']}"
                             f"\n{figures_text['hhi']}\n{page.t('top_country')}: "
                             f"{figures_text['top']}")
    stages = {str(k): str(v) for k, v in zip(ds.commodities["id"], ds.commodities["stage"],
                                              strict=True)}
    return layout_stack(ds.recipes, stages, names, _stage_names(page), values, texts, titles,
                        rtl=page.lang == "ar")


def stack_list(diagram: StackDiagram, recipes: Any, names: dict[str, str],
               headers: dict[int, str]) -> list[dict[str, Any]]:
    """The diagram as a list: per column its heading and nodes with what each is made from."""
    inputs: dict[str, list[str]] = {}
    for output, item in zip(recipes["output"], recipes["input"], strict=True):
        inputs.setdefault(str(output), []).append(names.get(str(item), str(item)))
    groups: dict[int, dict[str, Any]] = {}
    for node in diagram.nodes:
        group = groups.setdefault(node.column, {"title": headers.get(node.column, ""),
                                                "items": []})
        group["items"].append({"id": node.id, "name": names.get(node.id, node.id),
                               "fill": node.fill, "value": node.value_text,
                               "inputs": sorted(inputs.get(node.id, []))})
    return [groups[c] for c in sorted(groups)]


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, _who: Reader, lang: Lang = "en", digits: Digits = "latin",
             bloc: str = "pax-silica", commodity: str | None = None,
             colour: str = Query("concern", pattern="^(concern|hhi|top)$")) -> HTMLResponse:
    """Who produces what, and the supply chain coloured by exposure, concentration or the
    top producer's share."""
    ds = request.app.state.services.ds
    page = Page(request, lang, digits)
    bloc = pick_bloc(ds, bloc)
    names = figures.commodity_names(ds, lang)
    produced = sorted(set(ds.production["commodity"]), key=lambda c: names.get(c, c))
    risk = request.app.state.services.risk(bloc)
    default = (risk.sort_values("concern_share", ascending=False)["commodity"].iloc[0]
               if not risk.empty else (produced[0] if produced else ""))
    commodity = commodity if commodity in produced else default
    diagram = stack_diagram(ds, risk, page, colour)
    headers = {col: " ".join(lines) for col, _x, lines in diagram.headers}
    return _render(request, "overview.html", page, bloc=bloc, commodity=commodity,
                   blocs=bloc_options(ds, page), colour=colour,
                   colourings=[(c, page.t(f"colour_{c}")) for c in COLOURINGS],
                   commodities=[(c, names.get(c, c)) for c in produced],
                   producers=figures.figure_json(
                       figures.producers_figure(ds, commodity, bloc, lang)),
                   diagram=diagram,
                   stack_groups=stack_list(diagram, ds.recipes, names, headers))


@router.get("/risk", response_class=HTMLResponse)
def risk_page(request: Request, _who: Reader, lang: Lang = "en", digits: Digits = "latin",
              bloc: str = "pax-silica") -> HTMLResponse:
    """The risk table from ``bloc``'s perspective; rows with no country split say so."""
    ds = request.app.state.services.ds
    page = Page(request, lang, digits)
    bloc = pick_bloc(ds, bloc)
    table = request.app.state.services.risk(bloc)
    rows = table.to_dict(orient="records")
    for row in rows:
        row["no_split"] = no_split(row)
    return _render(request, "risk.html", page, bloc=bloc, rows=rows,
                   blocs=bloc_options(ds, page),
                   names=figures.commodity_names(ds, lang),
                   countries=figures.country_names(ds, lang))


def scenario_rows() -> list[dict[str, Any]]:
    """The built-in library with the texts the page shows in either language."""
    rows = []
    for row in workflows.builtin_scenarios():
        scn = workflows.load_scenario(str(row["name"]))
        rows.append({**row, "title_ar": scn.title_ar, "description": scn.description,
                     "description_ar": scn.description_ar})
    return rows


@router.get("/scenarios", response_class=HTMLResponse)
def scenarios_page(request: Request, _who: Reader, lang: Lang = "en",
                   digits: Digits = "latin") -> HTMLResponse:
    """The library, and a form that starts a run and shows its progress."""
    page = Page(request, lang, digits)
    return _render(request, "scenarios.html", page, scenarios=scenario_rows())


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
             segment: str = Query("alliance", pattern="^(alliance|restricting|others)$"),
             region: str | None = None,
             compare: Annotated[list[str] | None, Query()] = None) -> HTMLResponse:
    """A run's fan charts (price, shortage, stocks), downstream losses and summary; one
    region's figures (``region``) and members side by side (``compare``: codes separated by
    commas, or the parameter repeated)."""
    services = request.app.state.services
    ds = services.ds
    page = Page(request, lang, digits)
    try:
        view = workflows.run_view(run_id, services.settings.db)
    except (NotFoundError, StoreError):
        missing = _render(request, "missing.html", page, run_id=run_id)
        missing.status_code = 404  # issue 14: an unknown run answered 200
        return missing
    try:
        by_region = (region_context(view, ds, page, region, parse_codes(compare))
                     if view.status == "complete" else {"has_regions": False})
    except RegionQueryError as exc:
        bad = _render(request, "missing.html", page, heading=exc.message,
                      back=page.url(f"/runs/{run_id}"), back_label=page.t("back_to_run"))
        bad.status_code = exc.status
        return bad
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
                   members=member_table(view).to_dict("records"),
                   progress=services.runs.progress(run_id), **by_region)
