"""Dashboard pages for analysts: two runs side by side, a scenario builder, and the timeline of
real export controls beside the restricting country's export prices.

Like :mod:`paxsilica.api.pages`, every page renders on the server in English or Arabic; the
builder's form comes from the scenario schema (field names, bounds and help texts), and the
page's script checks the YAML it writes with ``POST /api/scenarios/validate``.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from paxsilica import workflows
from paxsilica.api.pages import Digits, Lang, Page, Reader, _render, bloc_options, pick_bloc
from paxsilica.data.controls import read_export_controls
from paxsilica.data.package import read_trade_series
from paxsilica.errors import NotFoundError, StoreError
from paxsilica.model.scenario import Scenario, scenario_json_schema
from paxsilica.report import figures
from paxsilica.report.view import RunView

__all__ = ["BUILDER_SHOCKS", "builder_fields", "compare_rows", "export_prices", "router"]

router = APIRouter(include_in_schema=False)

#: Shock types the builder offers, with the fields it asks for (the rest keep defaults).
BUILDER_SHOCKS: dict[str, tuple[str, ...]] = {
    "export_restriction": ("commodities", "severity", "start_month", "duration_months",
                           "probability", "targets", "leakage"),
    "supply_outage": ("commodities", "countries", "severity", "start_month", "duration_months",
                      "probability"),
    "demand_surge": ("commodities", "magnitude", "start_month", "duration_months",
                     "probability"),
}
_SCENARIO_FIELDS = ("name", "title", "title_ar", "description", "description_ar", "bloc",
                    "restricting", "horizon_months", "draws", "seed")


# -- compare ----------------------------------------------------------------------------------
def _complete_runs(db: Any) -> list[dict[str, Any]]:
    try:
        runs = workflows.list_runs(db).to_dict("records")
    except StoreError:
        return []
    return [r for r in runs if r.get("status") == "complete"]


def compare_rows(a: RunView, b: RunView, segment: str) -> list[dict[str, Any]]:
    """Per commodity, both runs' P95 shortage and P50 peak price for ``segment`` and the
    differences (B minus A), the commodities either run hurts first."""
    def pick(view: RunView) -> pd.DataFrame:
        table = view.summary
        if table.empty:
            return pd.DataFrame(columns=["commodity"])
        table = table[table["segment"] == segment]
        return table[["commodity", "shortage_share_p95", "peak_price_ratio_p50"]]
    joined = pick(a).merge(pick(b), on="commodity", how="outer", suffixes=("_a", "_b"))
    for column in ("shortage_share_p95", "peak_price_ratio_p50"):
        joined[f"{column}_delta"] = joined[f"{column}_b"] - joined[f"{column}_a"]
    joined["worst"] = joined[["shortage_share_p95_a", "shortage_share_p95_b"]].max(axis=1)
    joined = joined.sort_values(["worst", "peak_price_ratio_p50_b"], ascending=False)
    return joined.head(12).to_dict("records")


def shared_scale(charts: dict[str, go.Figure], lang: str) -> dict[str, go.Figure]:
    """The same loss axis on every chart (0 to the largest bar of either), so bars of equal
    length mean equal losses side by side; reversed in Arabic like each chart."""
    top = max((max((float(x) for x in trace.x if x is not None), default=0.0)
               for fig in charts.values() for trace in fig.data), default=0.0)
    if top <= 0:
        return charts
    span = [0.0, top * 1.05]
    for fig in charts.values():
        fig.update_xaxes(range=span[::-1] if lang == "ar" else span, autorange=False)
    return charts


@router.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request, _who: Reader, lang: Lang = "en", digits: Digits = "latin",
                 a: str | None = None, b: str | None = None,
                 segment: str = Query("alliance", pattern="^(alliance|restricting|others)$")
                 ) -> HTMLResponse:
    """Two recorded runs side by side: their lost-output charts and a table of differences."""
    services = request.app.state.services
    page = Page(request, lang, digits)
    runs = _complete_runs(services.settings.db)
    ids = [str(r["run_id"]) for r in runs]
    a = a if a in ids else (ids[1] if len(ids) > 1 else ids[0] if ids else None)
    b = b if b in ids else (ids[0] if ids else None)
    views: dict[str, RunView] = {}
    for key, run_id in (("a", a), ("b", b)):
        if run_id is None:
            continue
        try:
            views[key] = workflows.run_view(run_id, services.settings.db)
        except (NotFoundError, StoreError):
            continue
    names = figures.commodity_names(services.ds, lang)
    charts = {key: figures.figure_json(fig) for key, fig in
              shared_scale({key: figures.downstream_figure(view.downstream, names, lang)
                            for key, view in views.items()}, lang).items()}
    rows = compare_rows(views["a"], views["b"], segment) if len(views) == 2 else []
    return _render(request, "compare.html", page, runs=runs, a=a, b=b, views=views,
                   charts=charts, rows=rows, names=names, segment=segment)


# -- scenario builder -------------------------------------------------------------------------
def _docstring_help(model: type) -> dict[str, str]:
    """Field -> text from a numpy-style ``Attributes`` section (for fields whose schema entry
    has no description of its own)."""
    doc = model.__doc__ or ""
    section = doc.split("Attributes\n    ----------", 1)
    if len(section) < 2:
        return {}
    out: dict[str, str] = {}
    current: list[str] = []
    for line in section[1].splitlines():
        head = re.match(r"^    ([a-z_, ]+) : ", line)
        if head:
            current = [n.strip() for n in head.group(1).split(",")]
            continue
        if line.startswith("        ") and current:
            for name in current:
                out[name] = (out.get(name, "") + " " + line.strip()).strip()
        elif line.strip():
            current = []
    return out


def _kind(spec: dict[str, Any]) -> str:
    """How the form asks for a schema property: number, integer, list (of ids) or text."""
    if "oneOf" in spec or spec.get("type") == "number":
        return "number"
    options = [spec, *spec.get("anyOf", [])]
    types = {o.get("type") for o in options}
    if "array" in types:
        return "list"
    if "integer" in types:
        return "integer"
    if "number" in types or any("oneOf" in o for o in options):
        return "number"
    return "text"


def builder_fields(shock_types: dict[str, tuple[str, ...]] | None = None
                   ) -> dict[str, list[dict[str, Any]]]:
    """The builder's form, from the scenario's JSON Schema: for the scenario and for each
    shock type, its fields with kind, default, bounds, required flag and help text."""
    schema = scenario_json_schema()
    defs = schema["$defs"]
    shock_types = BUILDER_SHOCKS if shock_types is None else shock_types
    helps = _docstring_help(Scenario)
    out: dict[str, list[dict[str, Any]]] = {"scenario": []}
    required = set(schema.get("required", []))
    for name in _SCENARIO_FIELDS:
        spec = schema["properties"][name]
        out["scenario"].append(_field(name, spec, name in required,
                                      spec.get("description") or helps.get(name, "")))
    for shock, names in shock_types.items():
        model = next(d for d in defs.values()
                     if d.get("properties", {}).get("type", {}).get("const") == shock)
        doc = " ".join((model.get("description") or "").split())
        needed = set(model.get("required", []))
        out[shock] = [_field(n, model["properties"][n], n in needed,
                             _help(model["properties"][n]), doc) for n in names]
    return out


def _help(spec: dict[str, Any]) -> str:
    texts = [spec.get("description", "")] + [o.get("description", "")
                                             for o in spec.get("anyOf", [])]
    return next((t for t in texts if t), "")


def _field(name: str, spec: dict[str, Any], required: bool, help_text: str,
           model_doc: str = "") -> dict[str, Any]:
    options = [spec, *spec.get("anyOf", [])]
    low = next((o["minimum"] for o in options if "minimum" in o), None)
    high = next((o["maximum"] for o in options if "maximum" in o), None)
    default = spec.get("default")
    return {"name": name, "kind": _kind(spec), "required": required,
            "default": "" if default is None or default == [] else default,
            "min": low, "max": high, "help": (help_text or model_doc).replace("``", "")}


@router.get("/builder", response_class=HTMLResponse)
def builder_page(request: Request, _who: Reader, lang: Lang = "en",
                 digits: Digits = "latin") -> HTMLResponse:
    """A form that writes a scenario's YAML; the service validates it on request."""
    ds = request.app.state.services.ds
    page = Page(request, lang, digits)
    names = figures.commodity_names(ds, lang)
    return _render(request, "builder.html", page, fields=builder_fields(),
                   blocs=bloc_options(ds, page), bloc=pick_bloc(ds, None),
                   commodities=sorted(names.items(), key=lambda item: item[1]))


# -- export controls --------------------------------------------------------------------------
def when(value: Any, precision: str, page: Page) -> str:
    """A YYYY-MM-DD date as the page's language writes it, only as exact as ``precision``
    ('day' or 'month'); '' when blank."""
    text = "" if value is None or value != value else str(value)
    if not text:
        return ""
    from datetime import date

    from babel.dates import format_date

    day = date.fromisoformat(text[:10])
    pattern = "MMMM y" if precision == "month" else "d MMMM y"
    return page.prose(format_date(day, pattern, locale="ar" if page.lang == "ar" else "en"))


def export_prices(series: pd.DataFrame, commodity: str, exporter: str) -> pd.Series:
    """Yearly export unit value of ``exporter``'s ``commodity`` (US$ per commodity unit):
    the year's traded value over its quantity, all destinations together."""
    rows = series[(series["commodity"] == commodity) & (series["exporter"] == exporter)]
    rows = rows[rows["quantity"] > 0]
    if rows.empty:
        return pd.Series(dtype=float)
    totals = rows.groupby("year")[["value_usd", "quantity"]].sum()
    return (totals["value_usd"] / totals["quantity"]).rename("unit_value_usd")


def _price_figure(prices: pd.Series, events: list[dict[str, Any]], title: str,
                  unit_label: str, page: Page) -> go.Figure:
    """Yearly prices as a line, a dashed line where each control took effect (at its month);
    mirrored in Arabic (years run right to left, the axis on the right)."""
    lang = page.lang
    fig = go.Figure(go.Scatter(x=[int(y) for y in prices.index], y=prices.round(1).tolist(),
                               mode="lines+markers", line={"color": "#1f5fa8"},
                               hovertemplate="%{x}: %{y:,.0f}<extra></extra>"))
    for event in events:
        year = int(str(event["effective"] or event["announced"])[:4]) + \
            (int(str(event["effective"] or event["announced"])[5:7]) - 1) / 12
        fig.add_vline(x=year, line={"dash": "dash", "color": "#c0392b", "width": 1.5})
    fig.update_layout(title={"text": title}, template="plotly_white", height=380,
                      font={"family": figures.FONT, "size": 13},
                      margin={"l": 70, "r": 70, "t": 40, "b": 60}, showlegend=False)
    fig.update_xaxes(title=page.t("year"), dtick=5,
                     autorange="reversed" if lang == "ar" else True)
    fig.update_yaxes(title=unit_label, side="right" if lang == "ar" else "left",
                     tickformat=",.0f", automargin=True)
    return fig


@router.get("/controls", response_class=HTMLResponse)
def controls_page(request: Request, _who: Reader, lang: Lang = "en", digits: Digits = "latin",
                  commodity: str | None = None) -> HTMLResponse:
    """The timeline of real export controls, with the restricting country's export prices for
    the chosen commodity where the trade series has them."""
    ds = request.app.state.services.ds
    page = Page(request, lang, digits)
    table = read_export_controls()
    controls = table.astype(object).where(table.notna(), "").to_dict("records")
    names = figures.commodity_names(ds, lang)
    countries = figures.country_names(ds, lang)
    listed = sorted({c for row in controls for c in str(row["commodities"]).split(";")},
                    key=lambda c: names.get(c, c))
    commodity = commodity if commodity in listed else (
        "rare_earths_refining" if "rare_earths_refining" in listed else
        (listed[0] if listed else None))
    events = [row for row in controls if commodity in str(row["commodities"]).split(";")]
    chart = None
    if events:
        exporter = str(events[0]["imposer"])
        prices = export_prices(read_trade_series(), str(commodity), exporter)
        if not prices.empty:
            unit = str(ds.commodities.set_index("id").loc[commodity, "unit"])
            chart = figures.figure_json(_price_figure(
                prices, events, page.t("price_history", exporter=countries.get(exporter,
                                                                                exporter),
                                       commodity=names.get(str(commodity), str(commodity)),
                                       unit=unit),
                f"US$ / {unit}", page))
    for row in controls:
        row["commodity_names"] = [names.get(c, c) for c in str(row["commodities"]).split(";")]
        row["target_names"] = ([page.t("all_destinations")] if row["targets"] == "all" else
                               [countries.get(c, c) for c in str(row["targets"]).split(";")])
        row["selected"] = commodity in str(row["commodities"]).split(";")
        for key in ("announced", "effective", "ended"):
            row[f"{key}_text"] = when(row[key], str(row["precision"]), page)
    return _render(request, "controls.html", page, controls=controls, commodity=commodity,
                   commodities=[(c, names.get(c, c)) for c in listed], chart=chart,
                   countries=countries)
