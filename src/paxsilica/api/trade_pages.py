"""Dashboard pages on bilateral trade: a profile per country, a world map, flows to a bloc.

All three render on the server from :mod:`paxsilica.workflows` (``country_profile``,
``producers``, ``trade_flows``), in English or Arabic, like :mod:`paxsilica.api.pages`. The
map is SVG drawn from the topology shipped in ``static/world`` (:mod:`paxsilica.api.worldmap`):
the page makes no request beyond this service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from paxsilica import workflows
from paxsilica.api.pages import Digits, Lang, Page, Reader, _render
from paxsilica.api.worldmap import (
    MAP_HEIGHT,
    MAP_WIDTH,
    NO_DATA,
    PALETTE,
    SHARE_BINS,
    outline_path,
    share_class,
    world_shapes,
)
from paxsilica.data.schema import REST_OF_WORLD
from paxsilica.errors import NotFoundError
from paxsilica.metrics.dependency import resolve_importer, trade_period
from paxsilica.metrics.profile import PROFILE_TOP_SUPPLIERS
from paxsilica.model.dataset import Dataset
from paxsilica.model.records import json_records
from paxsilica.report import figures
from paxsilica.report.i18n import label

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: The commodity the map and the flow view open on when none (or an unknown one) is asked for.
DEFAULT_COMMODITY = "rare_earths_refining"
DEFAULT_BLOC = "pax-silica"
CONCERN_BLOC = "of-concern"


@dataclass(frozen=True)
class MapCountry:
    """One outline as a page draws it: fill colour, CSS class and hover title."""

    iso3: str
    path: str
    fill: str
    css: str
    title: str


def _commodities(ds: Dataset, lang: str) -> list[tuple[str, str]]:
    """Commodities with production rows as (id, name), by name."""
    names = figures.commodity_names(ds, lang)
    return sorted(((c, names.get(c, c)) for c in set(ds.production["commodity"])),
                  key=lambda item: item[1])


def _country_options(ds: Dataset, lang: str) -> list[tuple[str, str]]:
    names = figures.country_names(ds, lang)
    codes = workflows.countries(ds)["iso3"]
    return sorted(((c, names.get(c, c)) for c in codes), key=lambda item: item[1])


def _pick(value: str | None, allowed: list[str], default: str) -> str:
    if value in allowed:
        return str(value)
    return default if default in allowed else (allowed[0] if allowed else "")


def _units(ds: Dataset) -> dict[str, str]:
    return {str(k): str(v) for k, v in zip(ds.commodities["id"], ds.commodities["unit"],
                                           strict=True)}


# -- country profile ---------------------------------------------------------------------------
@router.get("/country", response_class=HTMLResponse)
def country_index(request: Request, _who: Reader, lang: Lang = "en", digits: Digits = "latin",
                  iso3: str | None = Query(None, max_length=8)) -> Any:
    """The country selector's target: redirect to ``/country/{iso3}`` (a default without one)."""
    page = Page(request, lang, digits)
    code = (iso3 or "JPN").strip().upper()
    if not code.isalpha():
        code = "JPN"
    return RedirectResponse(page.url(f"/country/{code}"), status_code=303)


@router.get("/country/{iso3}", response_class=HTMLResponse)
def country_page(iso3: str, request: Request, _who: Reader, lang: Lang = "en",
                 digits: Digits = "latin") -> HTMLResponse:
    """A country's identity, blocs, dependencies, suppliers and the layers it holds."""
    services = request.app.state.services
    ds = services.ds
    page = Page(request, lang, digits)
    code = iso3.upper()
    try:
        if code not in set(workflows.countries(ds)["iso3"]):
            raise NotFoundError(code)
        profile = services.profile(code)
    except NotFoundError:
        response = _render(request, "missing.html", page,
                           heading=page.t("country_missing", code=iso3[:12]),
                           back=page.url("/country"), back_label=page.t("nav_countries"),
                           countries=_country_options(ds, lang))
        response.status_code = 404
        return response
    countries = figures.country_names(ds, lang)
    concern = ds.members(CONCERN_BLOC) if CONCERN_BLOC in ds.bloc_names() else frozenset()
    return _render(request, "country.html", page, profile=profile,
                   country_name=(profile.name_ar if lang == "ar" and profile.name_ar
                                 else profile.name_en),
                   other_name=profile.name_en if lang == "ar" else profile.name_ar,
                   dependencies=json_records(profile.dependencies),
                   suppliers=json_records(profile.suppliers),
                   holdings=json_records(profile.holdings),
                   names=figures.commodity_names(ds, lang), countries=countries,
                   units=_units(ds), concern=concern, top_n=PROFILE_TOP_SUPPLIERS,
                   options=_country_options(ds, lang))


# -- world map ---------------------------------------------------------------------------------
def _map_countries(values: dict[str, float], names: dict[str, str], page: Page,
                   importer: frozenset[str] = frozenset(),
                   concern: frozenset[str] = frozenset()) -> list[MapCountry]:
    out = []
    for shape in world_shapes():
        code = shape.iso3 or ""
        name = names.get(code, shape.name)
        share = values.get(code)
        klass = share_class(share)
        css = ["land"]
        if code in importer:
            fill, css = "#f0b429", [*css, "importer"]
            title = f"{name}: {page.t('the_importer')}"
        else:
            fill = NO_DATA if klass is None else PALETTE[klass]
            title = f"{name}: {page.share(share) if klass is not None else page.t('no_data')}"
        if code in concern:
            css.append("concern")
        out.append(MapCountry(code, shape.path, fill, " ".join(css), title))
    return out


def _legend(page: Page) -> list[tuple[str, str]]:
    """(colour, range text) per class, in the page's digits."""
    bounds = (0.0, *SHARE_BINS)
    items = []
    for index, colour in enumerate(PALETTE):
        low = page.share(bounds[index], 0)
        text = (f"{low} – {page.share(SHARE_BINS[index], 0)}" if index < len(SHARE_BINS)
                else f"≥ {low}")
        items.append((colour, text))
    return items


def _blocs(ds: Dataset, lang: str) -> list[tuple[str, str]]:
    """Blocs a page may look from (not the countries of concern) as (id, name)."""
    return [(b, label(b, lang)) for b in ds.bloc_names() if b != CONCERN_BLOC]


def _importers(ds: Dataset, lang: str) -> list[tuple[str, str]]:
    return _blocs(ds, lang) + _country_options(ds, lang)


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, _who: Reader, lang: Lang = "en", digits: Digits = "latin",
             view: str = Query("producers", pattern="^(producers|sources)$"),
             commodity: str | None = None, importer: str | None = None) -> HTMLResponse:
    """A choropleth: producers' world shares, or where an importer's imports come from."""
    ds = request.app.state.services.ds
    page = Page(request, lang, digits)
    commodities = _commodities(ds, lang)
    commodity = _pick(commodity, [c for c, _ in commodities], DEFAULT_COMMODITY)
    importers = _importers(ds, lang)
    importer_id = _pick(importer if importer in ds.bloc_names() else (importer or "").upper(),
                        [i for i, _ in importers], DEFAULT_BLOC)
    names = figures.country_names(ds, lang)
    commodity_name = dict(commodities).get(commodity, commodity)
    concern = ds.members(CONCERN_BLOC) if CONCERN_BLOC in ds.bloc_names() else frozenset()
    covered = ds.trade_coverage().get(commodity, "production_shares") != "production_shares"
    rows: list[dict[str, Any]] = []
    members: frozenset[str] = frozenset()
    if view == "sources" and covered:
        flows = workflows.trade_flows(ds, commodity, importer_id)
        by_exporter = (flows.groupby("exporter", as_index=False)
                       .agg(quantity=("quantity", "sum"), share=("share", "sum"))
                       .sort_values("quantity", ascending=False))
        rows = [{"iso3": r.exporter, "quantity": float(r.quantity), "share": float(r.share),
                 "of_concern": r.exporter in concern} for r in by_exporter.itertuples()]
        members = resolve_importer(ds, importer_id).countries
        title = page.t("map_sources", importer=dict(importers).get(importer_id, importer_id),
                       commodity=commodity_name)
    else:
        produced = workflows.producers(ds, commodity)
        rows = [{"iso3": r.iso3, "quantity": float(r.quantity), "share": float(r.share),
                 "year": int(r.year), "of_concern": r.iso3 in concern}
                for r in produced.itertuples()]
        title = page.t("map_producers", commodity=commodity_name)
    values = {r["iso3"]: r["share"] for r in rows if r["iso3"] != REST_OF_WORLD}
    names_with_row = {**names, REST_OF_WORLD: page.t("rest_of_world")}
    return _render(request, "map.html", page, view=view, commodity=commodity,
                   commodities=commodities, importer=importer_id, importers=importers,
                   covered=covered, commodity_name=commodity_name, title=title, rows=rows,
                   names=names_with_row, unit=_units(ds).get(commodity, ""),
                   shapes=_map_countries(values, names, page, members, concern),
                   legend=_legend(page), outline=outline_path(), width=MAP_WIDTH,
                   height=MAP_HEIGHT)


# -- flows to a bloc ---------------------------------------------------------------------------
@router.get("/flows", response_class=HTMLResponse)
def flows_page(request: Request, _who: Reader, lang: Lang = "en", digits: Digits = "latin",
               commodity: str | None = None, bloc: str | None = None) -> HTMLResponse:
    """Bilateral flows of one commodity from exporters to each member of a bloc."""
    ds = request.app.state.services.ds
    page = Page(request, lang, digits)
    commodities = _commodities(ds, lang)
    commodity = _pick(commodity, [c for c, _ in commodities], DEFAULT_COMMODITY)
    blocs = _blocs(ds, lang)
    bloc = _pick(bloc, [b for b, _ in blocs], DEFAULT_BLOC)
    names = figures.country_names(ds, lang)
    commodity_name = dict(commodities).get(commodity, commodity)
    covered = ds.trade_coverage().get(commodity, "production_shares") != "production_shares"
    flows = workflows.trade_flows(ds, commodity, bloc) if covered else pd.DataFrame(
        columns=["exporter", "importer", "quantity", "share", "of_concern"])
    period = trade_period(ds, commodity) if covered else ""
    title = page.t("flows_title", commodity=commodity_name, bloc=dict(blocs).get(bloc, bloc))
    figure = figures.figure_json(figures.flows_figure(flows, names, "", lang)) \
        if not flows.empty else None
    return _render(request, "flows.html", page, commodity=commodity, commodities=commodities,
                   bloc=bloc, blocs=blocs, covered=covered, commodity_name=commodity_name,
                   title=title, figure=figure, rows=json_records(flows), names=names,
                   period=period, unit=_units(ds).get(commodity, ""))
