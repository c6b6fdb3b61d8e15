"""Plotly figures for the dashboard, in English or Arabic.

Every builder takes plain tables and a language and returns a ``plotly.graph_objects.Figure``;
the page embeds its JSON and draws it with the Plotly JS shipped in the plotly wheel (no CDN).
Digits inside figures are switched to Arabic-Indic in the browser (see the dashboard's JS),
so the figures themselves carry Latin digits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from paxsilica.model.dataset import Dataset
from paxsilica.report.i18n import label
from paxsilica.report.view import RunView

__all__ = ["as_dict", "commodity_names", "country_names", "downstream_figure",
           "exposure_colour", "fan_figure", "figure_json", "flows_figure", "producers_figure",
           "region_price_figure", "segment_label"]

FONT = '"Noto Sans Arabic", "Noto Sans", "DejaVu Sans", sans-serif'
_MEMBER, _CONCERN, _OTHER = "#1f5fa8", "#c0392b", "#8a94a6"
_FAN = {"price_ratio": "#c0392b", "shortage_share": "#8e44ad", "stock_share": "#1f7a4d",
        "loss_share": "#d35400"}


def commodity_names(ds: Dataset, lang: str) -> dict[str, str]:
    """Commodity id -> display name in ``lang``."""
    column = "name_ar" if lang == "ar" else "name_en"
    frame = ds.commodities
    return {str(k): str(v) if isinstance(v, str) and v else str(k)
            for k, v in zip(frame["id"], frame[column], strict=True)}


def country_names(ds: Dataset, lang: str) -> dict[str, str]:
    """ISO3 -> country name in ``lang``."""
    column = "name_ar" if lang == "ar" else "name_en"
    frame = ds.countries
    return {str(k): str(v) if isinstance(v, str) and v else str(k)
            for k, v in zip(frame["iso3"], frame[column], strict=True)}


def segment_label(segment: str | None, lang: str) -> str:
    """Display name of a market segment."""
    return "" if segment is None else label(segment, lang)


def _layout(fig: go.Figure, title: str, lang: str, height: int = 420) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.98 if lang == "ar" else 0.02,
                             "xanchor": "right" if lang == "ar" else "left"},
                      template="plotly_white", height=height,
                      font={"family": FONT, "size": 13},
                      margin={"l": 60, "r": 60, "t": 60, "b": 90},
                      legend={"orientation": "h", "y": -0.3})
    fig.update_yaxes(automargin=True)
    return fig


def producers_figure(ds: Dataset, commodity: str, bloc: str, lang: str,
                     top: int = 12) -> go.Figure:
    """Horizontal bars: the largest producers' shares of world output (latest year)."""
    rows = ds.latest_production()
    rows = rows[rows["commodity"] == commodity].sort_values("share", ascending=False).head(top)
    members = ds.members(bloc) if bloc in ds.bloc_names() else frozenset()
    concern = ds.members("of-concern") if "of-concern" in ds.bloc_names() else frozenset()
    names = country_names(ds, lang)
    colours = [_MEMBER if c in members else _CONCERN if c in concern else _OTHER
               for c in rows["iso3"]]
    rows = rows.iloc[::-1]
    colours = colours[::-1]
    fig = go.Figure(go.Bar(
        x=rows["share"].tolist(), y=[names.get(c, c) for c in rows["iso3"]], orientation="h",
        marker={"color": colours}, hovertemplate="%{y}: %{x:.1%}<extra></extra>"))
    title = label("producers_title", lang, commodity=commodity_names(ds, lang).get(
        commodity, commodity))
    _layout(fig, title, lang, height=max(320, 40 + 30 * len(rows)))
    fig.update_xaxes(tickformat=".0%", title=label("world_share", lang),
                     autorange="reversed" if lang == "ar" else True)
    fig.update_yaxes(side="right" if lang == "ar" else "left")
    return fig


def exposure_colour(share: float | None, alpha: float = 1.0) -> str:
    """Green (0) through amber to red (1); grey when unknown."""
    if share is None or share != share:
        return f"rgba(150,150,160,{alpha})"
    share = min(max(float(share), 0.0), 1.0)
    low, mid, high = (46, 125, 50), (230, 160, 30), (198, 40, 40)
    a, b, t = (low, mid, share / 0.5) if share <= 0.5 else (mid, high, (share - 0.5) / 0.5)
    rgb = [round(x + (y - x) * t) for x, y in zip(a, b, strict=True)]
    return f"rgba({rgb[0]},{rgb[1]},{rgb[2]},{alpha})"


def flows_figure(flows: pd.DataFrame, countries: Mapping[str, str], title: str, lang: str,
                 top: int = 12) -> go.Figure:
    """Sankey of bilateral flows: exporters (left) to the bloc's member countries (right).

    ``flows`` has ``exporter``, ``importer``, ``quantity`` and ``of_concern`` (as from
    ``workflows.trade_flows``); an empty ``title`` leaves the room to the page's heading.
    The ``top`` largest exporters keep their own node; the rest are pooled as "other
    exporters". Exporters of concern and their links are red.
    """
    fig = go.Figure()
    if flows.empty:
        return _layout(fig, title, lang, height=320)
    totals = flows.groupby("exporter")["quantity"].sum().sort_values(ascending=False)
    kept = list(totals.index[:top])
    other = label("other_exporters", lang)
    concern = set(flows.loc[flows["of_concern"].astype(bool), "exporter"])
    source = flows["exporter"].where(flows["exporter"].isin(kept), "~other")
    links = (flows.assign(source=source).groupby(["source", "importer"], as_index=False)
             ["quantity"].sum())
    members = list(links.groupby("importer")["quantity"].sum().sort_values(ascending=False).index)
    exporters = kept + (["~other"] if (source == "~other").any() else [])
    index = {("x", c): i for i, c in enumerate(exporters)}
    index.update({("m", c): len(exporters) + i for i, c in enumerate(members)})
    node_labels = ([other if c == "~other" else countries.get(c, c) for c in exporters]
                   + [countries.get(c, c) for c in members])
    node_colours = ([_CONCERN if c in concern else _OTHER for c in exporters]
                    + [_MEMBER] * len(members))
    hover = label("flow_hover", lang, source="%{source.label}", target="%{target.label}")
    fig.add_trace(go.Sankey(
        arrangement="snap",
        node={"label": node_labels, "color": node_colours, "pad": 10, "thickness": 16,
              "hovertemplate": "%{label}: %{value:,.4~g}<extra></extra>"},
        link={"source": [index[("x", c)] for c in links["source"]],
              "target": [index[("m", c)] for c in links["importer"]],
              "value": links["quantity"].astype(float).tolist(),
              "color": [_rgba(_CONCERN if c in concern else _OTHER, 0.45)
                        for c in links["source"]],
              "hovertemplate": hover + ": %{value:,.4~g}<extra></extra>"}))
    _layout(fig, title, lang, height=max(460, 30 * max(len(exporters), len(members))))
    if not title:  # the page's heading says it
        fig.update_layout(margin={"t": 20, "b": 20})
    return fig


def fan_figure(view: RunView, variable: str, item: str, segment: str | None, title: str,
               lang: str) -> go.Figure:
    """Fan chart: P5-P95 and P25-P75 bands and the median, by month."""
    table = view.fan(variable, item, segment)
    fig = go.Figure()
    colour = _FAN.get(variable, "#1f5fa8")
    if not table.empty:
        months = (table.index + 1).tolist()
        for low, high, name, alpha in ((0.05, 0.95, "band_90", 0.18), (0.25, 0.75, "band_50",
                                                                        0.35)):
            fig.add_trace(go.Scatter(x=months, y=table[high].tolist(), mode="lines",
                                     line={"width": 0}, showlegend=False, hoverinfo="skip"))
            fig.add_trace(go.Scatter(x=months, y=table[low].tolist(), mode="lines",
                                     line={"width": 0}, fill="tonexty", name=label(name, lang),
                                     fillcolor=_rgba(colour, alpha), hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=months, y=table[0.5].tolist(), mode="lines",
                                 name=label("median", lang), line={"color": colour, "width": 2}))
    _layout(fig, title, lang, height=360)
    fig.update_xaxes(title=label("month", lang), autorange="reversed" if lang == "ar" else True)
    fig.update_yaxes(side="right" if lang == "ar" else "left",
                     tickformat=".0%" if variable != "price_ratio" else ".2f")
    return fig


def downstream_figure(downstream: pd.DataFrame, names: Mapping[str, str], lang: str) -> go.Figure:
    """Grouped bars: P50 and P95 loss share of each final capability."""
    rows = downstream.sort_values("loss_share_p95", ascending=True) if not downstream.empty \
        else downstream
    labels = [names.get(c, c) for c in rows.get("capability", [])]
    fig = go.Figure()
    for column, key, colour in (("loss_share_p50", "loss_p50", "#e67e22"),
                                ("loss_share_p95", "loss_p95", "#c0392b")):
        if column in rows:
            fig.add_trace(go.Bar(y=labels, x=rows[column].astype(float).tolist(), orientation="h",
                                 name=label(key, lang), marker={"color": colour},
                                 hovertemplate="%{y}: %{x:.1%}<extra></extra>"))
    _layout(fig, label("downstream_title", lang), lang, height=max(300, 80 + 40 * len(labels)))
    fig.update_layout(barmode="group")
    small = not rows.empty and float(rows.get("loss_share_p95", rows.iloc[:, 0] * 0).max()) < 0.1
    fig.update_xaxes(tickformat=".1%" if small else ".0%", autorange="reversed" if lang == "ar" else True)
    fig.update_yaxes(side="right" if lang == "ar" else "left")
    return fig


def region_price_figure(rows: pd.DataFrame, names: Mapping[str, str], title: str, lang: str,
                        top: int = 10) -> go.Figure | None:
    """Horizontal bars: one region's P50 peak price (x baseline) of the ``top`` commodities
    whose P95 peak price is above the baseline, dearest first, whiskers from P5 to P95.

    ``rows`` has columns commodity and peak_price_ratio_p5/_p50/_p95 (one region's summary);
    None when no commodity's price rises.
    """
    risen = rows[rows["peak_price_ratio_p95"].astype(float) > 1.0 + 1e-9]
    if risen.empty:
        return None
    risen = risen.sort_values(["peak_price_ratio_p50", "peak_price_ratio_p95", "commodity"],
                              ascending=[False, False, True]).head(top)
    risen = risen.iloc[::-1]  # Plotly draws the first bar at the bottom: dearest at the top
    p5, p50, p95 = (risen[f"peak_price_ratio_{q}"].astype(float) for q in ("p5", "p50", "p95"))
    fig = go.Figure(go.Bar(
        y=[names.get(c, c) for c in risen["commodity"]], x=p50.tolist(), orientation="h",
        marker={"color": _FAN["price_ratio"]},
        error_x={"type": "data", "symmetric": False, "array": (p95 - p50).tolist(),
                 "arrayminus": (p50 - p5).tolist(), "color": "#555"},
        customdata=list(zip(p5.tolist(), p95.tolist(), strict=True)),
        hovertemplate="%{y}: %{x:.2f} (%{customdata[0]:.2f} - %{customdata[1]:.2f})"
                      "<extra></extra>"))
    # 300 px: the dashboard's .figure box is never lower
    _layout(fig, title, lang, height=max(300, 70 + 34 * len(risen)))
    fig.update_layout(showlegend=False, margin={"b": 40})  # no legend to leave room for
    fig.update_xaxes(rangemode="tozero", autorange="reversed" if lang == "ar" else True)
    fig.update_yaxes(side="right" if lang == "ar" else "left")
    return fig


def _rgba(hex_colour: str, alpha: float) -> str:
    value = hex_colour.lstrip("#")
    r, g, b = (int(value[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def figure_json(fig: go.Figure) -> str:
    """The figure as JSON safe to place inside a ``<script type="application/json">``."""
    return fig.to_json().replace("</", "<\\/")


def as_dict(fig: go.Figure) -> dict[str, Any]:
    """The figure as a plain dict (data, layout)."""
    return fig.to_plotly_json()
