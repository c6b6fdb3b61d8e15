"""The single-points-of-failure section, English or Arabic: the N-1 ranking's top nodes and
the recipe graph's single-country inputs, as an HTML fragment or a self-contained document.

The dashboard page ``/spof`` uses the same labels (:func:`spof_label`), so the page and the
report say the same thing in both languages.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from paxsilica.model.dataset import Dataset
from paxsilica.policy.n_minus_one import OutageSweep
from paxsilica.report.figures import commodity_names, country_names
from paxsilica.report.i18n import fmt_number, fmt_share, localise_digits

__all__ = ["SPOF_LABELS", "TOP_NODES", "prose", "spof_label", "spof_section",
           "write_spof_report"]

#: Rows of the ranking the section lists.
TOP_NODES = 10

SPOF_LABELS: dict[str, tuple[str, str]] = {
    "spof_title": ("Single points of failure", "نقاط الإخفاق المنفردة"),
    "spof_intro": (
        "Each node is one country's production of one input. The N-1 sweep removes "
        "{severity} of one node at a time for {months} months from month {start} and "
        "simulates {draws} draws on one seed (common random numbers) against the baseline; "
        "nodes are ranked by what {bloc} loses: capability output first (AI accelerators, "
        "data-centre MW, vehicles), then shortage, then peak price. {nodes} nodes hold at "
        "least {threshold} of world output.",
        "كل عقدة هي إنتاج دولة واحدة لمدخل واحد. يزيل مسح N-1 نسبة {severity} من عقدة واحدة "
        "في كل مرة لمدة {months} أشهر ابتداءً من الشهر {start}، ويحاكي {draws} سحباً بالبذرة "
        "نفسها (أرقام عشوائية مشتركة) مقارنةً بخط الأساس؛ وتُرتَّب العقد بحسب ما يخسره {bloc}: "
        "أولاً إنتاج القدرات (مسرّعات الذكاء الاصطناعي، ميغاواط مراكز البيانات، المركبات)، ثم "
        "العجز، ثم ذروة السعر. تملك {nodes} عقدة ما لا يقل عن {threshold} من الإنتاج العالمي."),
    "rank": ("Rank", "الترتيب"),
    "node": ("Country · input", "الدولة · المدخل"),
    "world_share": ("World share", "الحصة العالمية"),
    "loss": ("Capability loss P50 / P95", "خسارة القدرات P50 / P95"),
    "loss_se": ("Mean ± s.e.", "المتوسط ± الخطأ المعياري"),
    "capability": ("Capability hit", "القدرة المتضررة"),
    "shortage": ("Shortage P50 / P95", "العجز P50 / P95"),
    "peak_price": ("Peak price P50 / P95", "ذروة السعر P50 / P95"),
    "none": ("none", "لا شيء"),
    "spof_note": (
        "Loss: the largest over capabilities of the bloc's lost output over the horizon, "
        "minus the baseline's on the same draw. Shortage: the largest over commodities of "
        "the bloc's unmet share of demand, minus the baseline's. Peak price: the highest "
        "monthly price the bloc pays for any commodity, x baseline. s.e.: the Monte Carlo "
        "standard error of the mean (std / √draws).",
        "الخسارة: أكبر خسارة في إنتاج أي قدرة للتكتل على مدى الأفق، مطروحاً منها خسارة خط "
        "الأساس في السحب نفسه. العجز: أكبر حصة غير ملبّاة من الطلب على أي سلعة، مطروحاً منها "
        "حصة خط الأساس. ذروة السعر: أعلى سعر شهري يدفعه التكتل لأي سلعة، بمضاعفات سعر الأساس. "
        "الخطأ المعياري: خطأ مونت كارلو في المتوسط (الانحراف المعياري / √عدد السحوبات)."),
    "structural_title": ("Inputs that one country supplies", "مدخلات تورّدها دولة واحدة"),
    "structural_intro": (
        "From the recipe graph, without simulation: inputs where the rest of the world makes "
        "{rest} or less of world output, and the capabilities that lose every supply route "
        "when that country's production is lost.",
        "من مخطط الوصفات ومن دون محاكاة: مدخلات يُنتج باقي العالم منها {rest} أو أقل من "
        "الإنتاج العالمي، والقدرات التي تفقد كل مسارات إمدادها عند فقدان إنتاج تلك الدولة."),
    "sole_none": ("No input is supplied by one country alone at this level.",
                  "لا يوجد مدخل تورّده دولة واحدة منفردة عند هذا المستوى."),
    "cuts": ("Capabilities cut", "القدرات المنقطعة"),
    "route": ("Route", "المسار"),
    "months": ("Months each node is lost", "عدد أشهر فقدان كل عقدة"),
    "stack_spof": ("The stack, with the worst single points of failure outlined",
                   "منظومة الإمداد مع إبراز أسوأ نقاط الإخفاق المنفردة"),
    "stack_spof_note": (
        "Colour: the worst node's mean capability loss on each input, relative to the worst "
        "node of all (grey: no country holds {threshold} of it). Outlined: the inputs of the "
        "top {top} nodes, with rank, country and mean loss; hover a box for its nodes.",
        "اللون: متوسط خسارة القدرات لأسوأ عقدة في كل مدخل، نسبةً إلى أسوأ عقدة على الإطلاق "
        "(الرمادي: لا تملك أي دولة {threshold} منه). المحاط بإطار: مدخلات أعلى {top} عقد، "
        "مع الترتيب والدولة ومتوسط الخسارة؛ مرّر المؤشر على أي مربع لعرض عقده."),
    "wall_time": ("{nodes} nodes x {draws} draws in {seconds} s.",
                  "{nodes} عقدة × {draws} سحب في {seconds} ثانية."),
}


def spof_label(key: str, lang: str = "en", **fields: object) -> str:
    """The label ``key`` in ``lang`` ('en' or 'ar'), values filled in."""
    pair = SPOF_LABELS[key]
    text = pair[1] if lang == "ar" else pair[0]
    return text.format(**{k: str(v) for k, v in fields.items()}) if fields else text


def prose(text: str, digits: str) -> str:
    """``text`` with its digits in the chosen digits (separators already formatted stay)."""
    return text.translate(_INDIC) if digits == "arabic" else text


_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _pair(row: Mapping[str, object], measure: str, share: bool, digits: str) -> str:
    fmt = fmt_share if share else fmt_number
    return f"{fmt(row[f'{measure}_p50'], 1, digits)} / {fmt(row[f'{measure}_p95'], 1, digits)}"


def spof_section(sweep: OutageSweep, sole: pd.DataFrame, cuts: pd.DataFrame, ds: Dataset,
                 *, threshold: float, dominance: float, lang: str = "en",
                 digits: str = "latin", top: int = TOP_NODES) -> str:
    """The section as an HTML fragment: heading, method line, the ``top`` worst nodes, and
    the single-country inputs with the capabilities each cuts."""
    names, countries = commodity_names(ds, lang), country_names(ds, lang)
    e = html.escape

    def t(key: str, **fields: object) -> str:
        return e(prose(spof_label(key, lang, **fields), digits))

    intro = t("spof_intro", severity=fmt_share(sweep.outage.severity, 0, digits),
              months=sweep.outage.months, start=sweep.outage.start_month, draws=sweep.draws,
              bloc=sweep.bloc, nodes=len(sweep.table), threshold=fmt_share(threshold, 0, digits))
    head = "".join(f"<th>{t(k)}</th>" for k in ("rank", "node", "world_share", "loss",
                                                  "loss_se", "capability", "shortage",
                                                  "peak_price"))
    lines = []
    for row in sweep.table.head(top).to_dict("records"):
        cap = row["capability"]
        lines.append(
            f"<tr data-node='{e(str(row['iso3']))}:{e(str(row['commodity']))}'>"
            f"<td class='num'>{localise_digits(str(row['rank']), digits)}</td>"
            f"<td>{e(countries.get(row['iso3'], row['iso3']))} · "
            f"{e(names.get(row['commodity'], row['commodity']))}</td>"
            f"<td class='num'>{fmt_share(row['share'], 0, digits)}</td>"
            f"<td class='num'>{_pair(row, 'loss', True, digits)}</td>"
            f"<td class='num'>{fmt_share(row['loss_mean'], 1, digits)} ± "
            f"{fmt_share(row['loss_se'], 2, digits)}</td>"
            f"<td>{e(names.get(cap, cap)) if isinstance(cap, str) else t('none')}</td>"
            f"<td class='num'>{_pair(row, 'shortage', True, digits)}</td>"
            f"<td class='num'>{_pair(row, 'peak_price', False, digits)}</td></tr>")
    parts = [f"<section id='spof'><h2>{t('spof_title')}</h2><p>{intro}</p>",
             f"<table class='spof'><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}"
             f"</tbody></table><p class='muted'>{t('spof_note')}</p>",
             f"<h3>{t('structural_title')}</h3>",
             f"<p>{t('structural_intro', rest=fmt_share(1 - dominance, 0, digits))}</p>",
             _structural(sole, cuts, names, countries, lang, digits), "</section>"]
    return "\n".join(parts)


def _structural(sole: pd.DataFrame, cuts: pd.DataFrame, names: Mapping[str, str],
                countries: Mapping[str, str], lang: str, digits: str) -> str:
    e = html.escape
    if sole.empty:
        return f"<p>{e(prose(spof_label('sole_none', lang), digits))}</p>"
    items = []
    for row in sole.to_dict("records"):
        hit = cuts[(cuts["iso3"] == row["iso3"]) & (cuts["commodity"] == row["commodity"])]
        caps = "، ".join if lang == "ar" else ", ".join
        arrow = " ← " if lang == "ar" else " → "  # the route reads right to left in Arabic
        routes = caps(e(arrow.join(names.get(c, c) for c in path)) for path in hit["path"])
        items.append(
            f"<li data-node='{e(row['iso3'])}:{e(row['commodity'])}'><b>"
            f"{e(names.get(row['commodity'], row['commodity']))}</b>: "
            f"{e(countries.get(row['iso3'], row['iso3']))} "
            f"{fmt_share(row['share'], 0, digits)}"
            + (f"<br><small>{e(spof_label('cuts', lang))}: {routes}</small>" if routes else "")
            + "</li>")
    return "<ul class='sole'>" + "".join(items) + "</ul>"


def write_spof_report(sweep: OutageSweep, sole: pd.DataFrame, cuts: pd.DataFrame,
                      ds: Dataset, path: Path, *, threshold: float, dominance: float,
                      lang: str = "en", digits: str = "latin") -> Path:
    """Write the section as a self-contained HTML document (written beside ``path`` and
    renamed, so a reader never sees half a file)."""
    section = spof_section(sweep, sole, cuts, ds, threshold=threshold, dominance=dominance,
                           lang=lang, digits=digits, top=len(sweep.table))
    font = ('"Noto Sans Arabic", "DejaVu Sans", sans-serif' if lang == "ar"
            else '"Noto Sans", "DejaVu Sans", sans-serif')
    style = (f"body{{font-family:{font};max-width:1100px;margin:2em auto;padding:0 1em;"
             "color:#1d2330;line-height:1.45}table{border-collapse:collapse;width:100%;"
             "font-size:.9em}th,td{border-bottom:1px solid #e3e6ee;padding:.35em .5em;"
             "text-align:start}td.num{text-align:end;white-space:nowrap}"
             "thead th{background:#f3f5fa}.muted{color:#667}")
    title = html.escape(spof_label("spof_title", lang))
    direction = "rtl" if lang == "ar" else "ltr"
    document = (f'<!DOCTYPE html><html lang="{lang}" dir="{direction}"><head>'
                f'<meta charset="utf-8"><title>paxsilica · {title}</title><style>{style}'
                f"</style></head><body><h1>paxsilica · {title}</h1>{section}</body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_text(document, encoding="utf-8")
    partial.replace(path)
    return path
