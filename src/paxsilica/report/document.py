"""One run's report, English or Arabic: self-contained HTML (inline SVG) or PDF (WeasyPrint).

Sections: executive summary, the worst-hit commodities, figures (fans of price, shortage and
stocks; downstream losses), the method, and the sources of the data used. Nothing is fetched:
styles are inline and fonts are named (Noto Sans Arabic for Arabic; WeasyPrint finds it in
the system's fontconfig, a browser falls back to any Arabic font).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from paxsilica.model.dataset import Dataset
from paxsilica.report.figures import commodity_names
from paxsilica.report.i18n import fmt_number, fmt_share, label, localise_digits
from paxsilica.report.pdf import TAIL_SLOT, pdf_bytes
from paxsilica.report.svg import fan_svg
from paxsilica.report.view import RunView, member_table

__all__ = ["pdf_bytes", "render_report", "write_report"]

_STYLE = """
@page { size: A4; margin: 16mm 14mm; }
body { font-family: %(font)s; line-height: 1.5; color: #1d2330; max-width: 1000px;
       margin: 1.5em auto; padding: 0 1em; font-size: 11pt; }
h1 { font-size: 18pt; line-height: 1.3; margin: 0 0 .3em; }
h2 { font-size: 14pt; line-height: 1.3; margin: 1.4em 0 .4em; border-bottom: 1px solid #ccd;
     page-break-after: avoid; }
h3 { font-size: 11.5pt; line-height: 1.3; margin: 1em 0 .2em; page-break-after: avoid; }
p, li { line-height: 1.5; }
.muted { color: #667; font-size: 9.5pt; }
table { border-collapse: collapse; width: 100%%; font-size: 9.5pt; }
th, td { border-bottom: 1px solid #e3e6ee; padding: .3em .45em; text-align: start;
         line-height: 1.35; }
td.num { text-align: end; white-space: nowrap; }
thead th { background: #f3f5fa; }
figure { margin: .4em 0 1em; page-break-inside: avoid; }
figcaption { font-size: 9.5pt; color: #445; }
.bars td.bar { width: 55%%; }
.bar span { display: inline-block; height: .8em; background: #c0392b; }
.bar span.p50 { background: #e67e22; }
ul.sources li { font-size: 9pt; margin-bottom: .2em; }
.axis { font-size: 8.5pt; color: #445; }
.axis.x { text-align: center; }
figure svg { display: block; }
.keep { break-inside: avoid; }
"""

#: Shares below this print as nothing happening (the tables show one decimal of a percent).
NOTHING = 0.0005

_COLOURS = {"price_ratio": "#c0392b", "shortage_share": "#8e44ad", "stock_share": "#1f7a4d"}


def render_report(view: RunView, ds: Dataset, lang: str = "en", digits: str = "latin") -> str:
    """The report as one self-contained HTML document."""
    names = commodity_names(ds, lang)
    title = _scenario_title(view, lang)
    font = ('"Noto Sans Arabic", "Noto Naskh Arabic", "DejaVu Sans", sans-serif'
            if lang == "ar" else '"Noto Sans", "DejaVu Sans", sans-serif')
    body = [f"<h1>{_e(_t(digits, 'report_title', lang, title=title))}</h1>",
            f'<p class="muted run-meta">{_run_line(view, lang, digits)}</p>',
            f"<h2>{_e(_t(digits, 'executive_summary', lang))}</h2>",
            *(f"<p>{_e(text)}</p>" for text in _summary_text(view, names, title, lang, digits)),
            f"<h2>{_e(_t(digits, 'summary_table', lang))}</h2>",
            _summary_table(view, names, lang, digits),
            *_members(view, names, lang, digits),
            f"<h2>{_e(_t(digits, 'figures', lang))}</h2>", _figures(view, names, lang, digits),
            f"<h2>{_e(_t(digits, 'method', lang))}</h2>",
            f"<p>{_e(_t(digits, 'method_text', lang))}</p>",
            f"<h2 class='sources'>{_e(_t(digits, 'sources', lang))}</h2>", _sources(view, ds)]
    direction = "rtl" if lang == "ar" else "ltr"
    return (f'<!DOCTYPE html><html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
            f"<title>{_e(_t(digits, 'report_title', lang, title=title))}</title>"
            f"<style>{_STYLE % {'font': font}}</style>{TAIL_SLOT}"
            "</head><body>"
            + "\n".join(body) + "</body></html>")


def write_report(view: RunView, ds: Dataset, path: str | Path, lang: str = "en",
                 digits: str = "latin") -> Path:
    """Write the report to ``path``: ``.pdf`` through WeasyPrint, anything else as HTML.

    The file is written beside ``path`` and renamed, so a reader never sees half a report.
    """
    path = Path(path)
    document = render_report(view, ds, lang, digits)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    if path.suffix.lower() == ".pdf":
        partial.write_bytes(pdf_bytes(document))
    else:
        partial.write_text(document, encoding="utf-8")
    partial.replace(path)
    return path


def _t(digits: str, key: str, lang: str, **fields: str) -> str:
    """A label in the reader's digits (Arabic-Indic ones too in "P95", "2.5D", "16/14 nm")."""
    return localise_digits(label(key, lang, **fields), digits)


def _e(text: object) -> str:
    return html.escape(str(text))


def _num(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if out == out else None


def _alliance(view: RunView) -> pd.DataFrame:
    summary = view.summary
    if summary.empty or "segment" not in summary:
        return summary
    rows = summary[summary["segment"] == "alliance"]
    keys = [c for c in ("shortage_share_p95", "peak_price_ratio_p50") if c in rows]
    return rows.sort_values(keys, ascending=False)


def _run_line(view: RunView, lang: str, digits: str) -> str:
    """Run id, draws, seed, dataset hash and date, each item isolated for the bidi algorithm.

    In an Arabic paragraph two Latin items joined by a neutral separator (the dataset hash
    and the date) would form one left-to-right run and swap places; a right-to-left mark
    on each side of every separator keeps the items in reading order, right to left.
    """
    meta = view.meta
    text = label("report_meta", lang, run_id=str(view.run_id or "-"),
                 draws=fmt_number(_num(meta.get("draws")), 0, digits),
                 seed=localise_digits(str(meta.get("seed", "-")), digits),
                 dataset=str(meta.get("dataset_hash") or "")[:12])
    items = [*text.split(" · "), localise_digits(date.today().isoformat(), digits)]
    separator = " \u200f·\u200f " if lang == "ar" else " · "
    return separator.join(_e(item) for item in items)


def _scenario_title(view: RunView, lang: str) -> str:
    """The scenario's title in ``lang`` (``title_ar`` where the scenario has one)."""
    doc = view.scenario
    return str(doc.get(f"title_{lang}") or doc.get("title") or doc.get("name") or "")


def _summary_text(view: RunView, names: Mapping[str, str], title: str, lang: str,
                  digits: str) -> list[str]:
    """The executive summary's paragraphs: the worst-hit commodity and the largest loss of
    a final capability, and why that loss exceeds the capability's own shortage if it does."""
    rows = _alliance(view)
    if rows.empty or (rows["shortage_share_p95"].max() <= 1e-6
                      and rows["peak_price_ratio_p50"].max() <= 1.01):
        return [_t(digits, "no_shortage", lang)]
    worst = rows.iloc[0]
    down = view.downstream.sort_values("loss_share_p50", ascending=False) \
        if not view.downstream.empty else view.downstream
    capability = str(down.iloc[0]["capability"]) if not down.empty else "-"
    loss50 = _num(down.iloc[0]["loss_share_p50"]) if not down.empty else None
    paragraphs = [_t(
        digits, "summary_text", lang, title=title,
        commodity=names.get(str(worst["commodity"]), str(worst["commodity"])),
        short50=fmt_share(_num(worst["shortage_share_p50"]), 1, digits),
        short95=fmt_share(_num(worst["shortage_share_p95"]), 1, digits),
        price50=fmt_number(_num(worst["peak_price_ratio_p50"]), 2, digits),
        capability=names.get(capability, capability),
        loss50=fmt_share(loss50, 1, digits),
        loss95=fmt_share(_num(down.iloc[0]["loss_share_p95"]) if not down.empty else None, 1,
                         digits))]
    own = rows.loc[rows["commodity"] == capability, "shortage_share_p50"]
    own50 = _num(own.iloc[0]) if not own.empty else None
    if loss50 is not None and own50 is not None and loss50 - own50 >= NOTHING:
        paragraphs.append(_t(digits, "loss_exceeds_shortage", lang,
                                capability=names.get(capability, capability),
                                loss50=fmt_share(loss50, 1, digits),
                                own50=fmt_share(own50, 1, digits)))
    return paragraphs


def _moves(rows: pd.DataFrame) -> pd.Series:
    """Rows with a shortage or a price rise that shows at one decimal of a percent."""
    short = rows["shortage_share_p95"].fillna(0.0) >= NOTHING
    price = rows["peak_price_ratio_p95"].fillna(1.0) - 1.0 >= NOTHING
    return short | price


def _summary_table(view: RunView, names: Mapping[str, str], lang: str, digits: str) -> str:
    """The worst-hit commodities (at most ten); those with no shortage and no price rise are
    counted under the table, not listed as rows of zeros."""
    rows = _alliance(view)
    if rows.empty:
        return f"<p>{_e(_t(digits, 'no_shortage', lang))}</p>"
    moved = rows[_moves(rows)]
    if moved.empty:
        return f"<p>{_e(_t(digits, 'no_shortage', lang))}</p>"
    head = "".join(f"<th>{_e(_t(digits, k, lang))}</th>" for k in (
        "commodity", "shortage_p50", "shortage_p95", "price_p50", "price_p95", "stock_out"))
    lines = []
    for row in moved.head(10).itertuples(index=False):
        item = row._asdict()
        stock_out = _num(item.get("stock_out_month_p50"))
        lines.append(
            f"<tr><td>{_e(names.get(item['commodity'], item['commodity']))}</td>"
            f"<td class='num'>{fmt_share(_num(item.get('shortage_share_p50')), 1, digits)}</td>"
            f"<td class='num'>{fmt_share(_num(item.get('shortage_share_p95')), 1, digits)}</td>"
            f"<td class='num'>{fmt_number(_num(item.get('peak_price_ratio_p50')), 2, digits)}</td>"
            f"<td class='num'>{fmt_number(_num(item.get('peak_price_ratio_p95')), 2, digits)}</td>"
            f"<td class='num'>{fmt_number(stock_out, 0, digits)}</td></tr>")
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"
    quiet = len(rows) - len(moved)
    if quiet:
        note = _t(digits, "rows_left_out", lang, count=fmt_number(quiet, 0, digits),
                     threshold=fmt_share(0.001, 1, digits))
        table += f'<p class="muted">{_e(note)}</p>'
    return f"<div class='keep'>{table}</div>"


def _members(view: RunView, names: Mapping[str, str], lang: str, digits: str) -> list[str]:
    """The member regions, hardest hit first (:func:`member_table`); nothing without region
    outcomes."""
    table = member_table(view)
    if table.empty:
        return []
    head = "".join(f"<th>{_e(_t(digits, k, lang))}</th>" for k in (
        "member_region", "capability", "loss_p50", "loss_p95", "worst_commodity", "shortage_p95",
        "price_p95", "stock_out"))
    lines = []
    for row in table.itertuples(index=False):
        lines.append(
            f"<tr><td>{_e(row.region)}</td>"
            f"<td>{_e(names.get(row.capability, row.capability or '-'))}</td>"
            f"<td class='num'>{fmt_share(_num(row.loss_share_p50), 1, digits)}</td>"
            f"<td class='num'>{fmt_share(_num(row.loss_share_p95), 1, digits)}</td>"
            f"<td>{_e(names.get(row.commodity, row.commodity))}</td>"
            f"<td class='num'>{fmt_share(_num(row.shortage_share_p95), 1, digits)}</td>"
            f"<td class='num'>{fmt_number(_num(row.peak_price_ratio_p95), 2, digits)}</td>"
            f"<td class='num'>{fmt_number(_num(row.stock_out_month_p50), 0, digits)}</td></tr>")
    return [f"<h2>{_e(_t(digits, 'members_table', lang))}</h2>",
            f"<div class='keep'><table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}"
            f"</tbody></table><p class='muted'>{_e(_t(digits, 'members_note', lang))}</p></div>"]


_AXES = {"price_ratio": "axis_price", "shortage_share": "axis_shortage",
         "stock_share": "axis_stock"}


def _figures(view: RunView, names: Mapping[str, str], lang: str, digits: str) -> str:
    parts = []
    rows = _alliance(view)
    rows = rows[_moves(rows)] if not rows.empty else rows
    commodities = rows["commodity"].head(2).tolist() if not rows.empty else []
    if view.fans.empty:
        parts.append(f'<p class="muted">{_e(_t(digits, "no_fans", lang))}</p>')
    for commodity in commodities:
        name = names.get(commodity, commodity)
        for variable, key in (("price_ratio", "fan_price"), ("shortage_share", "fan_shortage"),
                              ("stock_share", "fan_stock")):
            svg = fan_svg(view.fan(variable, commodity, "alliance"), _COLOURS[variable],
                          share=variable != "price_ratio", digits=digits, rtl=lang == "ar",
                          height=180)
            if svg:
                caption = " · ".join([
                    _t(digits, key, lang, commodity=name), _t(digits, "alliance", lang),
                    ", ".join(_t(digits, k, lang) for k in ("band_90", "band_50", "median"))])
                y_title = _e(_t(digits, _AXES[variable], lang))
                x_title = _e(_t(digits, "axis_month", lang))
                parts.append(f"<figure><div class='axis y'>{y_title}</div>{svg}"
                             f"<div class='axis x'>{x_title}</div>"
                             f"<figcaption>{_e(caption)}</figcaption></figure>")
    parts.append(f"<h3>{_e(_t(digits, 'downstream_title', lang))}</h3>")
    parts.append(_loss_bars(view.downstream, names, lang, digits))
    return "\n".join(parts)


def _loss_bars(downstream: pd.DataFrame, names: Mapping[str, str], lang: str,
               digits: str) -> str:
    """Lost output per final capability with a bar (P50, then on to P95); capabilities that
    lose nothing are named in one line under the table instead of as rows of zeros."""
    if downstream.empty:
        return ""
    rows = downstream.sort_values("loss_share_p95", ascending=False)
    losing = rows["loss_share_p95"].fillna(0.0) >= NOTHING
    threshold = fmt_share(0.001, 1, digits)
    if not losing.any():
        return f"<p>{_e(_t(digits, 'no_loss', lang, threshold=threshold))}</p>"
    top = max(float(rows["loss_share_p95"].max()), 1e-9)
    lines = []
    for row in rows[losing].itertuples(index=False):
        p50, p95 = _num(row.loss_share_p50) or 0.0, _num(row.loss_share_p95) or 0.0
        lines.append(
            f"<tr><td>{_e(names.get(row.capability, row.capability))}</td>"
            f"<td class='num'>{fmt_share(p50, 1, digits)}</td>"
            f"<td class='num'>{fmt_share(p95, 1, digits)}</td>"
            f"<td class='bar'><span class='p50' style='width:{60 * p50 / top:.1f}%'></span>"
            f"<span style='width:{60 * max(p95 - p50, 0) / top:.1f}%'></span></td></tr>")
    head = "".join(f"<th>{_e(_t(digits, k, lang))}</th>" for k in ("capability", "loss_p50",
                                                               "loss_p95"))
    out = (f"<table class='bars'><thead><tr>{head}<th class='axis'>"
           f"{_e(_t(digits, 'axis_loss', lang))}</th></tr></thead>"
           f"<tbody>{''.join(lines)}</tbody></table>")
    quiet = [names.get(c, c) for c in rows.loc[~losing, "capability"]]
    if quiet:
        note = _t(digits, "capabilities_left_out", lang, names=", ".join(quiet),
                  threshold=threshold)
        out += f'<p class="muted">{_e(note)}</p>'
    return f"<div class='keep'>{out}</div>"


def _sources(view: RunView, ds: Dataset) -> str:
    """Unique citations behind the run's commodities (commodities, production, recipes,
    inventories rows) and the scenario's own sources."""
    used = set(view.summary["commodity"]) if "commodity" in view.summary else set()
    ids: set[str] = set(map(str, view.scenario.get("sources") or ()))
    for name, column in (("commodities", "id"), ("production", "commodity"),
                         ("recipes", "output"), ("inventories", "commodity")):
        frame = ds.tables[name]
        if frame.empty or "source" not in frame:
            continue
        cited = frame.loc[frame[column].isin(used) if used else slice(None), "source"]
        for value in cited.dropna():
            ids.update(part.strip() for part in str(value).split(";") if part.strip())
    sources = ds.sources[ds.sources["id"].isin(ids)]
    seen: dict[str, tuple[str, int]] = {}
    for row in sources.itertuples(index=False):
        citation = str(row.citation)
        url = str(row.url) if isinstance(row.url, str) else ""
        key = citation.split(",")[0:2]
        text = ", ".join(key)
        previous = seen.get(text)
        seen[text] = (url.split(" ")[0] if previous is None else previous[0],
                      1 if previous is None else previous[1] + 1)
    items = [f"<li>{_e(text)}{' · ' + _e(url) if url else ''}"
             f"{f' ({count})' if count > 1 else ''}</li>"
             for text, (url, count) in sorted(seen.items())]
    return f"<ul class='sources' dir='ltr'>{''.join(items)}</ul>"
