"""Self-contained HTML reports (no external scripts, styles or fonts)."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from paxsilica.model.dataset import Dataset
from paxsilica.report.i18n import fmt_number, fmt_share

__all__ = ["bar_chart_svg", "write_stress_report"]

#: Shares below this print as 0.0%: such commodities are left out of the charts.
_NOTHING = 0.0005

_STYLE = """
body{font-family:"Noto Sans","DejaVu Sans",sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#1d2330;line-height:1.45}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccd;padding-bottom:.2em}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border-bottom:1px solid #e3e6ee;padding:.35em .5em;text-align:right}
th:first-child,td:first-child,td.text{text-align:left}
thead th{background:#f3f5fa}.muted{color:#667}.bar{fill:#c0392b}.axis{stroke:#99a}
"""


def bar_chart_svg(labels: Sequence[str], values: Sequence[float], title: str,
                  width: int = 640, axis_title: str = "") -> str:
    """A horizontal bar chart as inline SVG; values are shares 0..1.

    ``axis_title`` (what the bars measure, with its unit) is written under the bars.
    """
    height = 24 * len(labels) + 30 + (18 if axis_title else 0)
    top = max([v for v in values if math.isfinite(v)] + [1e-9])
    parts = [f'<svg role="img" aria-label="{html.escape(title)}" width="{width}" '
             f'height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f'<title>{html.escape(title)}</title>']
    for i, (name, value) in enumerate(zip(labels, values, strict=True)):
        y = 10 + 24 * i
        length = 0 if not math.isfinite(value) else (width - 260) * value / top
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{html.escape(name)}</text>'
                     f'<rect class="bar" x="200" y="{y}" width="{length:.1f}" height="16"/>'
                     f'<text x="{205 + length:.1f}" y="{y + 13}" font-size="11">'
                     f'{fmt_share(value)}</text>')
    if axis_title:
        parts.append(f'<text x="200" y="{height - 6}" font-size="11" fill="#445">'
                     f"{html.escape(axis_title)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def write_stress_report(report: Mapping[str, Any], outcomes: Mapping[str, Any], ds: Dataset,
                        path: Path) -> Path:
    """Write the stress-test report: executive summary, table, per-scenario detail, method,
    sources. The file is written next to ``path`` and renamed, so a reader never sees half."""
    names = dict(zip(ds.commodities["id"], ds.commodities["name_en"], strict=True))
    rows = report["rows"]
    body = [f"<h1>paxsilica stress test: {html.escape(report['bloc'])}</h1>",
            f'<p class="muted">{date.today().isoformat()} · dataset {report["dataset_hash"][:12]}'
            f" · {len(rows)} scenarios · behavioural parameters: "
            f"{html.escape(str(report.get('parameters', 'shipped')))}</p>", "<h2>Executive summary</h2>", _summary(rows, names),
            "<h2>Results by scenario</h2>", _table(rows, names), _LOSS_NOTE,
            *_members(rows, names)]
    for row in rows:
        results = outcomes[row["scenario"]].results
        alliance = results.summary[results.summary["segment"] == "alliance"]
        alliance = alliance[alliance["shortage_share_p95"] >= _NOTHING]
        alliance = alliance.sort_values("shortage_share_p95", ascending=False).head(8)
        body.append(f"<h2>{html.escape(row['title'] or row['scenario'])}</h2>")
        if alliance.empty:  # a chart of zero-length bars says nothing
            body.append("<p>No commodity in the alliance runs short in this scenario "
                        f"(P95 shortage below {fmt_share(2 * _NOTHING)}).</p>")
            continue
        body.append(bar_chart_svg([names.get(c, c) for c in alliance["commodity"]],
                                  alliance["shortage_share_p95"].tolist(),
                                  "P95 shortage share in the alliance",
                                  axis_title="Shortage P95, % of the alliance's demand over "
                                             "the horizon"))
    body += ["<h2>Method</h2>", _METHOD, "<h2>Sources of the data</h2>", _sources(ds)]
    document = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
                f"<title>paxsilica stress test</title><style>{_STYLE}</style></head><body>"
                + "\n".join(body) + "</body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_text(document, encoding="utf-8")
    partial.replace(path)
    return path


_METHOD = (
    "<p>Each scenario is simulated month by month over many Monte Carlo draws. Each market "
    "region (on the default map the members that matter for the stack, China, the EU and the "
    "rest) clears with iso-elastic demand and supply within capacity, drawing on commercial "
    "inventories and any strategic stockpile, up to a price ceiling (the substitution price "
    "cap, or a backstop price above it). Crisis behaviour (contract and spot prices, "
    "front-running, precautionary buying and hoarding, export quotas, demand and supply "
    "adjusting over months) follows parameters fitted to real episodes; unless the run fixed "
    "them, each draw's parameters are sampled from the fit's posterior, so the spread across "
    "draws includes what the episodes leave uncertain. What cannot be bought at the ceiling "
    "is shortage; shortages propagate down the bill of materials (Leontief) to final "
    "capabilities. Shares are of baseline demand over the horizon; P50 and P95 are across "
    "draws.</p>")


_LOSS_NOTE = (
    '<p class="muted">Why a capability loss can exceed the shortages beside it: shortage is '
    "the part of a commodity's demand at the going price that cannot be bought; capability "
    "loss is measured against baseline output, so it also counts purchases given up because "
    "the price rose, and each month a capability's output follows its scarcest input "
    "(Leontief: the minimum over inputs of available input / coefficient), so when different "
    "inputs bind in different months the loss can exceed the shortage of any one input.</p>")


def _summary(rows: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> str:
    worst = max(rows, key=lambda r: r["shortage_share_p95"], default=None)
    if worst is None:
        return "<p>No scenarios were run.</p>"
    hit = ", ".join(names.get(c, c) for c in worst["worst_hit"]) or "none"
    return (f"<p>The most damaging scenario is <b>{html.escape(worst['title'])}</b>: in one draw "
            f"in twenty the alliance loses at least {fmt_share(worst['shortage_share_p95'])} of its "
            f"demand for its worst-hit commodity (worst hit: {html.escape(hit)}), and prices "
            f"peak at {fmt_number(worst['peak_price_ratio_p95'], 1)}x baseline.</p>")


def _table(rows: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> str:
    head = ("<table><thead><tr><th>Scenario</th><th>Worst hit</th><th>Shortage P50</th>"
            "<th>Shortage P95</th><th>Peak price P50</th><th>Stock-out month P50</th>"
            "<th>Capability loss P50 / P95</th></tr></thead><tbody>")
    lines = []
    for row in rows:
        hit = ", ".join(names.get(c, c) for c in row["worst_hit"]) or "-"
        loss = f"{fmt_share(row['loss_share_p50'])} / {fmt_share(row['loss_share_p95'])}"
        lines.append(
            f"<tr><td>{html.escape(row['scenario'])}</td><td class='text'>{html.escape(hit)}</td>"
            f"<td>{fmt_share(row['shortage_share_p50'])}</td><td>{fmt_share(row['shortage_share_p95'])}</td>"
            f"<td>{fmt_number(row['peak_price_ratio_p50'])}</td>"
            f"<td>{fmt_number(row['stock_out_month_p50'], 0)}</td><td>{loss}</td></tr>")
    return head + "".join(lines) + "</tbody></table>"


def _members(rows: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> list[str]:
    """Which member is hit hardest under each threat, and the next three."""
    lines = []
    for row in rows:
        members = row.get("members") or []
        if not members:
            continue
        top = members[0]
        hardest = row["hardest_label"]
        loss = f"{fmt_share(top['loss_share_p50'])} / {fmt_share(top['loss_share_p95'])}"
        capability = names.get(top["capability"], top["capability"] or "-")
        lines.append(
            f"<tr><td>{html.escape(row['scenario'])}</td><td class='text'>{html.escape(hardest)}"
            f"</td><td class='text'>{html.escape(capability)}</td><td>{loss}</td>"
            f"<td class='text'>{html.escape(names.get(top['commodity'], top['commodity']))}</td>"
            f"<td>{fmt_share(top['shortage_share_p95'])}</td>"
            f"<td>{fmt_number(top['stock_out_month_p50'], 0)}</td><td class='text'>"
            f"{html.escape(', '.join(m['region'] for m in members[1:4]))}</td></tr>")
    if not lines:
        return []
    head = ("<table><thead><tr><th>Scenario</th><th>Hardest-hit member</th><th>Capability</th>"
            "<th>Loss P50 / P95</th><th>Worst commodity</th><th>Shortage P95</th>"
            "<th>Stock-out month P50</th><th>Next</th></tr></thead><tbody>")
    return ["<h2>Members: who is hit hardest</h2>", head + "".join(lines) + "</tbody></table>",
            '<p class="muted">Per member region of the bloc; hardest hit = largest P95 loss of '
            "a final capability, then P95 shortage. Members the data do not tell apart tie "
            "(upper-stack inputs and magnets have no bilateral trade data and are routed pro "
            "rata to demand).</p>"]


def _sources(ds: Dataset) -> str:
    items = [f"<li><b>{html.escape(str(r.id))}</b> ({html.escape(str(r.kind))}): "
             f"{html.escape(str(r.citation))}</li>" for r in ds.sources.itertuples(index=False)]
    return "<ul>" + "".join(items) + "</ul>"
