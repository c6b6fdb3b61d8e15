"""Labels in English and Arabic, and digits in Latin or Arabic-Indic, for every rendered view."""

from __future__ import annotations

__all__ = ["DIGITS", "LANGS", "fmt_number", "fmt_share", "label", "localise_digits"]

LANGS = ("en", "ar")
#: Digit styles a reader may pick: Latin (0-9) or Arabic-Indic (٠-٩).
DIGITS = ("latin", "arabic")

_LABELS: dict[str, tuple[str, str]] = {
    "commodity": ("Commodity", "السلعة"),
    "stage": ("Stage", "المرحلة"),
    "hhi": ("HHI", "مؤشر هيرفندال"),
    "top_country": ("Top producer", "أكبر منتج"),
    "top_share": ("Top share", "حصة الأكبر"),
    "top3_share": ("Top 3", "حصة أكبر ٣"),
    "bloc_share": ("Bloc share", "حصة التكتل"),
    "concern_share": ("Of-concern share", "حصة الدول المثيرة للقلق"),
    "supply_risk": ("Supply risk (EU)", "مخاطر الإمداد (الاتحاد الأوروبي)"),
    "reliability": ("Data", "موثوقية البيانات"),
    "risk_title": ("Supply concentration and risk, {bloc} perspective",
                   "تركّز الإمداد ومخاطره من منظور {bloc}"),
    "member_mark": ("* = bloc member", "* = عضو في التكتل"),
    "mining": ("mining", "تعدين"),
    "refining": ("refining", "تكرير"),
    "component": ("component", "مكوّن"),
    "chip": ("chip", "رقاقة"),
    "compute": ("compute", "حوسبة"),
    "manufacturing": ("manufacturing", "تصنيع"),
    "energy": ("energy", "طاقة"),
    "logistics": ("logistics", "لوجستيات"),
    "high": ("high", "عالية"),
    "medium": ("medium", "متوسطة"),
    "low": ("low", "منخفضة"),
    "estimate": ("estimate", "تقدير"),
    # -- trade dependency in the CLI (risk --importer, country); the shared words of country
    # -- profiles (import_reliance, top_supplier, suppliers_title, ...) are further down
    "own_share": ("Own share", "الحصة الذاتية"),
    "imports_of_concern": ("Imports of concern", "الواردات من دول مثيرة للقلق"),
    "risk_legend": ("* = top producer inside the importer; import figures '-' = no bilateral "
                    "trade data for the commodity (pooled world market assumed); import "
                    "reliance alone '-' = its trade codes mix stages (sourcing shares only)",
                    "* = أكبر منتج داخل المستورد؛ '-' في أعمدة الاستيراد = لا بيانات تجارة "
                    "ثنائية للسلعة (يُفترض الشراء من السوق العالمية المجمّعة)؛ '-' في الاعتماد "
                    "على الاستيراد وحده = رموز التجارة تخلط المراحل (حصص المصادر فقط)"),
    "profile_title": ("Country profile: {name} ({iso3})", "ملف الدولة: {name} ({iso3})"),
    "trade_baseline_text": ("CEPII BACI, mean of {period}; {bilateral} of {total} "
                            "commodities have bilateral trade data",
                            "CEPII BACI، متوسط {period}؛ {bilateral} من {total} سلعة لها "
                            "بيانات تجارة ثنائية"),
    "suppliers": ("Suppliers (share of its imports)", "المورّدون (الحصة من وارداتها)"),
    "shown": ("showing {shown} of {total}", "معروض {shown} من {total}"),
    "profile_legend": ("Import reliance = net imports / apparent consumption (production + "
                       "imports - exports), trade {period}; '-' = no bilateral trade data (the "
                       "country is assumed to buy from the world market pro rata), or for "
                       "import reliance alone, trade codes that mix stages; "
                       "† = country of concern",
                       "الاعتماد على الاستيراد = صافي الواردات / الاستهلاك الظاهري (الإنتاج + "
                       "الواردات - الصادرات)، التجارة {period}؛ '-' = لا بيانات تجارة ثنائية "
                       "(يُفترض الشراء من السوق العالمية بنسبة الإنتاج)، أو في الاعتماد على "
                       "الاستيراد وحده رموز تجارة تخلط المراحل؛ † = دولة مثيرة للقلق"),
    # -- dashboard and reports -----------------------------------------------------------
    "app_name": ("paxsilica", "باكس سيليكا"),
    "tagline": ("Supply-chain security for the AI stack, from mineral to compute",
                "أمن سلاسل الإمداد لمنظومة الذكاء الاصطناعي، من المعدن إلى الحوسبة"),
    "nav_overview": ("Overview", "نظرة عامة"),
    "nav_risk": ("Risk table", "جدول المخاطر"),
    "nav_scenarios": ("Scenarios", "السيناريوهات"),
    "nav_runs": ("Runs", "عمليات المحاكاة"),
    "nav_docs": ("API docs", "توثيق الواجهة البرمجية"),
    "other_lang": ("العربية", "English"),
    "digits": ("Digits", "الأرقام"),
    "digits_latin": ("Latin 0-9", "لاتينية 0-9"),
    "digits_arabic": ("Arabic-Indic ٠-٩", "هندية ٠-٩"),
    "producers_title": ("Who produces {commodity}", "من ينتج {commodity}"),
    "world_share": ("Share of world output", "الحصة من الإنتاج العالمي"),
    "country": ("Country", "الدولة"),
    "member": ("{bloc} member", "عضو في {bloc}"),
    "of_concern": ("Country of concern", "دولة مثيرة للقلق"),
    "other_country": ("Other", "أخرى"),
    "show": ("Show", "عرض"),
    "exposure": ("Exposure", "الانكشاف"),
    "scenario": ("Scenario", "السيناريو"),
    "scenarios_title": ("Scenarios: start a simulation", "السيناريوهات: ابدأ محاكاة"),
    "horizon": ("Horizon (months)", "الأفق (أشهر)"),
    "shocks": ("Shocks", "الصدمات"),
    "policies": ("Policies", "السياسات"),
    "draws": ("Draws", "عدد السحبات"),
    "seed": ("Seed", "البذرة"),
    "token": ("Access token (analyst)", "رمز الوصول (محلل)"),
    "token_hint": ("Create one with: paxsilica tokens create --role analyst",
                   "أنشئ رمزاً بالأمر: paxsilica tokens create --role analyst"),
    "start_run": ("Start run", "ابدأ المحاكاة"),
    "status": ("Status", "الحالة"),
    "queued": ("queued", "في الانتظار"),
    "running": ("running", "قيد التشغيل"),
    "simulating": ("simulating", "تجري المحاكاة"),
    "storing": ("storing results", "حفظ النتائج"),
    "complete": ("complete", "مكتملة"),
    "failed": ("failed", "فشلت"),
    "elapsed": ("elapsed", "الوقت المنقضي"),
    "seconds_unit": ("s", "ث"),
    "runs_title": ("Recorded runs", "عمليات المحاكاة المسجّلة"),
    "no_runs": ("No runs yet.", "لا توجد عمليات محاكاة بعد."),
    "run": ("Run", "المحاكاة"),
    "created_at": ("Started", "البدء"),
    "seconds": ("Seconds", "الثواني"),
    "open": ("Open", "فتح"),
    "run_title": ("Run {run_id}: {title}", "المحاكاة {run_id}: {title}"),
    "segment": ("Segment", "الشريحة"),
    "alliance": ("Alliance", "التحالف"),
    "restricting": ("Restricting countries", "الدول المقيِّدة"),
    "others": ("Rest of the world", "بقية العالم"),
    "month": ("Month", "الشهر"),
    "median": ("Median", "الوسيط"),
    "band_90": ("P5 to P95", "من المئين 5 إلى 95"),
    "band_50": ("P25 to P75", "من المئين 25 إلى 75"),
    "fan_price": ("Price of {commodity}, x baseline", "سعر {commodity}، مضاعف سعر الأساس"),
    "fan_shortage": ("Shortage of {commodity}, share of demand",
                     "عجز {commodity}، حصة من الطلب"),
    "fan_stock": ("Stocks of {commodity} left, share of the starting stock",
                  "مخزون {commodity} المتبقي، حصة من مخزون البداية"),
    "downstream_title": ("Lost output of final capabilities over the horizon",
                         "الإنتاج المفقود من القدرات النهائية خلال الأفق"),
    "loss_fan": ("Lost output of {capability}", "الإنتاج المفقود من {capability}"),
    "capability": ("Capability", "القدرة"),
    "loss_p50": ("Loss P50", "الفاقد: الوسيط"),
    "loss_p95": ("Loss P95", "الفاقد: المئين 95"),
    "shortage_p50": ("Shortage P50", "العجز: الوسيط"),
    "shortage_p95": ("Shortage P95", "العجز: المئين 95"),
    "price_p50": ("Peak price P50", "ذروة السعر: الوسيط"),
    "price_p95": ("Peak price P95", "ذروة السعر: المئين 95"),
    "stock_out": ("Stock-out month P50", "شهر نفاد المخزون: الوسيط"),
    "summary_table": ("Alliance: worst-hit commodities", "التحالف: أكثر السلع تضرراً"),
    "members_table": ("Members: who loses what", "الأعضاء: من يخسر ماذا"),
    "member_region": ("Member region", "منطقة العضو"),
    "worst_commodity": ("Worst-hit commodity", "السلعة الأشد تضرراً"),
    "members_note": ("One row per region of the bloc, hardest hit first (largest P95 loss of a "
                     "final capability, then P95 shortage). Capability losses of the upper "
                     "stack differ little between members: chips and data-centre inputs have "
                     "no bilateral trade data and are routed pro rata to demand.",
                     "صف لكل منطقة من مناطق التكتل، الأشد تضرراً أولاً (أكبر فاقد عند المئين "
                     "95 في قدرة نهائية، ثم العجز عند المئين 95). تتقارب خسائر القدرات في "
                     "الطبقات العليا بين الأعضاء: لا بيانات تجارة ثنائية للرقائق ومدخلات "
                     "مراكز البيانات، فتوزَّع تناسبياً مع الطلب."),
    "report_title": ("paxsilica report: {title}", "تقرير باكس سيليكا: {title}"),
    "report_meta": ("Run {run_id} · {draws} draws · seed {seed} · dataset {dataset}",
                    "المحاكاة {run_id} · {draws} سحبة · البذرة {seed} · البيانات {dataset}"),
    "executive_summary": ("Executive summary", "الملخص التنفيذي"),
    "method": ("Method", "المنهجية"),
    "sources": ("Sources of the data", "مصادر البيانات"),
    "figures": ("Figures", "الأشكال"),
    "report_html": ("Report (HTML)", "التقرير (HTML)"),
    "report_pdf": ("Report (PDF)", "التقرير (PDF)"),
    "no_fans": ("This run stored no paths; start it from the service to see fan charts.",
                "لم تحفظ هذه المحاكاة مسارات؛ شغّلها من الخدمة لعرض المخططات المروحية."),
    "no_shortage": ("No commodity in the alliance runs short in this scenario.",
                    "لا تعاني أي سلعة في التحالف من عجز في هذا السيناريو."),
    # -- country profiles, world map, trade flows (dashboard) ------------------------------
    "nav_countries": ("Countries", "الدول"),
    "nav_map": ("World map", "خريطة العالم"),
    "nav_flows": ("Trade flows", "التدفقات التجارية"),
    "pax-silica": ("Pax Silica", "باكس سيليكا"),
    "eu27": ("EU-27", "الاتحاد الأوروبي"),
    "trade-club": ("Trade club", "نادي التجارة"),
    "of-concern": ("Countries of concern", "الدول المثيرة للقلق"),
    "country_profile": ("Country profile", "ملف الدولة"),
    "iso3": ("ISO code", "رمز ISO"),
    "wgi": ("Governance (WGI, {low} to {high})", "الحوكمة (مؤشر WGI من {low} إلى {high})"),
    "blocs": ("Blocs", "التكتلات"),
    "none": ("none", "لا يوجد"),
    "trade_period": ("Trade baseline", "خط الأساس التجاري"),
    "trade_source": ("mean of {period}, CEPII BACI", "متوسط {period}، قاعدة CEPII BACI"),
    "dependencies_title": ("Dependencies, ranked by EU supply risk",
                           "التبعيات مرتبة حسب مخاطر الإمداد (منهجية الاتحاد الأوروبي)"),
    "dependencies_note": ("Supply risk uses this country's own sourcing where trade data "
                          "exist. Import reliance = net imports / apparent consumption. '-': "
                          "no bilateral trade data for the commodity (routes fall back to "
                          "production shares).",
                          "تستخدم مخاطر الإمداد مصادر هذه الدولة الفعلية حيث تتوفر بيانات "
                          "التجارة. الاعتماد على الاستيراد = صافي الواردات / الاستهلاك الظاهري. "
                          "'-': لا بيانات تجارة ثنائية للسلعة (تُقدَّر المسارات بحصص الإنتاج)."),
    "import_reliance": ("Import reliance", "الاعتماد على الاستيراد"),
    "import_concern_share": ("From countries of concern", "من الدول المثيرة للقلق"),
    "top_supplier": ("Top supplier", "أكبر مورّد"),
    "top_supplier_share": ("Top supplier's share", "حصة أكبر مورّد"),
    "imports": ("Imports", "الواردات"),
    "exports": ("Exports", "الصادرات"),
    "production": ("Production", "الإنتاج"),
    "unit": ("Unit (per year)", "الوحدة (سنوياً)"),
    "trade_coverage": ("Trade data", "بيانات التجارة"),
    "bilateral": ("bilateral", "ثنائية"),
    "mixed_stage": ("bilateral, mixed stages (sourcing only)",
                    "ثنائية، مراحل مختلطة (مصادر الاستيراد فقط)"),
    "production_shares": ("production shares", "حصص الإنتاج"),
    "suppliers_title": ("Suppliers per material (top {n} exporters)",
                        "الموردون لكل مادة (أكبر {n} مصدّرين)"),
    "no_suppliers": ("No recorded imports of the commodities with trade data.",
                     "لا واردات مسجلة من السلع التي تتوفر لها بيانات تجارة."),
    "exporter": ("Exporter", "المصدِّر"),
    "quantity": ("Quantity", "الكمية"),
    "share_of_imports": ("Share of its imports", "الحصة من وارداتها"),
    "of_concern_short": ("Of concern", "مثيرة للقلق"),
    "yes": ("yes", "نعم"),
    "holdings_title": ("Layers of the stack it holds", "طبقات المنظومة التي تمتلكها"),
    "no_holdings": ("It produces none of the commodities in the data.",
                    "لا تنتج أياً من السلع الواردة في البيانات."),
    "rank": ("Rank", "الترتيب"),
    "year": ("Year", "السنة"),
    "country_missing": ("No country with the code {code} in the data.",
                        "لا توجد دولة بالرمز {code} في البيانات."),
    "open_profile": ("Open", "فتح"),
    "on_map": ("Import sources on the world map", "مصادر الواردات على خريطة العالم"),
    "map_title": ("World map", "خريطة العالم"),
    "map_view": ("Map", "الخريطة"),
    "view_producers": ("Producers", "المنتجون"),
    "view_sources": ("Import sources", "مصادر الواردات"),
    "importer": ("Importer", "المستورِد"),
    "map_producers": ("Producers of {commodity}: share of world output",
                      "منتجو {commodity}: الحصة من الإنتاج العالمي"),
    "map_sources": ("Where {importer} imports {commodity} from: share of its imports",
                    "من أين يستورد {importer} {commodity}: الحصة من وارداته"),
    "no_data": ("No data", "لا بيانات"),
    "the_importer": ("The importer", "المستورِد"),
    "map_note": ("Outlines: Natural Earth 1:110m (public domain), shipped with paxsilica and "
                 "drawn on the server; nothing is fetched from elsewhere.",
                 "الحدود: Natural Earth بمقياس 1:110m (ملكية عامة)، مضمّنة في باكس سيليكا "
                 "وتُرسم على الخادم؛ لا يُجلب شيء من مصدر خارجي."),
    "no_coverage": ("{commodity} has no bilateral trade data: routes fall back to production "
                    "shares.",
                    "لا تتوفر بيانات تجارة ثنائية لـ«{commodity}»: تُقدَّر المسارات بحصص "
                    "الإنتاج."),
    "fallback_map": ("The map shows producers' shares of world output instead.",
                     "لذا تعرض الخريطة حصص المنتجين من الإنتاج العالمي بدلاً من ذلك."),
    "rest_of_world": ("Rest of world", "بقية العالم"),
    "flows_title": ("Who ships {commodity} to {bloc}", "من يشحن {commodity} إلى {bloc}"),
    "flows_note": ("Baseline {period} (CEPII BACI), {unit} per year. Exporters on the left, "
                   "members on the right; trade between members is left out.",
                   "خط الأساس {period} (قاعدة CEPII BACI)، بوحدة {unit} سنوياً. المصدّرون "
                   "على اليسار والأعضاء على اليمين؛ التجارة بين الأعضاء مستبعدة."),
    "flow_hover": ("{source} to {target}", "من {source} إلى {target}"),
    "other_exporters": ("Other exporters", "مصدّرون آخرون"),
    "member_country": ("Member", "العضو"),
    "share_of_bloc": ("Share of the bloc's imports", "الحصة من واردات التكتل"),
    "bloc": ("Bloc", "التكتل"),
    "download_csv": ("Download CSV", "تنزيل CSV"),
}

_METHOD = (
    "Each scenario is simulated month by month over many Monte Carlo draws. Countries are "
    "grouped into three market segments (the alliance, the restricting countries, the rest); "
    "each segment's market clears with iso-elastic demand and supply within capacity, drawing "
    "on commercial inventories and any strategic stockpile, up to a substitution price cap. "
    "What cannot be bought at the cap is shortage; shortages propagate down the bill of "
    "materials (Leontief) to final capabilities. Shares are of demand; P50 is the median and "
    "P95 the level exceeded in one draw in twenty.",
    "تُحاكى كل حالة شهراً بشهر عبر عدد كبير من سحبات مونت كارلو. تُجمع الدول في ثلاث شرائح "
    "سوقية (التحالف، والدول المقيِّدة للتصدير، وبقية العالم)، ويتوازن سوق كل شريحة بطلب ذي "
    "مرونة ثابتة وعرض في حدود الطاقة الإنتاجية، مع السحب من المخزون التجاري وأي مخزون "
    "استراتيجي، حتى سقف سعري يحدده الإحلال. ما لا يمكن شراؤه عند السقف يُعدّ عجزاً، وينتقل "
    "العجز عبر قائمة المواد (نموذج ليونتيف) إلى القدرات النهائية. الحصص من الطلب؛ والوسيط هو "
    "المئين 50، والمئين 95 هو المستوى الذي يُتجاوز في سحبة واحدة من كل عشرين.",
)
_LABELS["method_text"] = _METHOD

_SUMMARY = (
    "In the scenario “{title}”, the worst-hit commodity in the alliance is {commodity}: in the "
    "median draw the alliance goes without {short50} of its demand for it, and in one draw in "
    "twenty without {short95}; its price peaks at {price50} times baseline (P50). The largest "
    "loss of a final capability is {capability}: {loss50} (P50), {loss95} (P95).",
    "في سيناريو «{title}»، السلعة الأكثر تضرراً في التحالف هي {commodity}: في السحبة الوسيطة "
    "يفتقد التحالف {short50} من طلبه عليها، وفي سحبة من كل عشرين يفتقد {short95}، ويبلغ سعرها "
    "ذروته عند {price50} ضعف سعر الأساس (الوسيط). وأكبر خسارة في القدرات النهائية تصيب "
    "{capability}: {loss50} (الوسيط) و{loss95} (المئين 95).",
)
_LABELS["summary_text"] = _SUMMARY

# -- reports: why a loss can exceed a shortage, empty tables, axis titles ------------------
_LABELS.update({
    "loss_exceeds_shortage": (
        "Why {capability} loses {loss50} of its output while its own shortage is {own50} "
        "(P50): shortage is the part of demand at the going price that cannot be bought, while "
        "lost output is measured against baseline output, so it also counts purchases given "
        "up because the price rose; and each month output follows its scarcest input "
        "(Leontief: output = the minimum over inputs of available input / coefficient), so "
        "when different inputs bind in different months the loss can exceed the shortage of "
        "any one input.",
        "لماذا تفقد {capability} {loss50} من إنتاجها بينما عجزها نفسه {own50} (الوسيط): العجز "
        "هو جزء الطلب بالسعر السائد الذي لا يمكن شراؤه، أما الإنتاج المفقود فيُقاس مقابل "
        "إنتاج الأساس، فيشمل أيضاً المشتريات التي تُركت لارتفاع السعر؛ ويتبع الإنتاج كل شهر "
        "أندر مدخلاته (ليونتيف: الإنتاج = أدنى قيمة بين المدخلات للمتاح من المدخل مقسوماً "
        "على معامله)، فإذا اختلف المدخل المقيِّد من شهر لآخر أمكن أن تتجاوز الخسارة عجز أي "
        "مدخل منفرد."),
    "no_loss": ("No final capability loses output in this scenario (all below {threshold}).",
                "لا تفقد أي قدرة نهائية شيئاً من إنتاجها في هذا السيناريو (كلها دون {threshold})."),
    "rows_left_out": ("{count} more commodities show no shortage and no price rise "
                      "(below {threshold}).",
                      "{count} سلع أخرى بلا عجز ولا ارتفاع في السعر (دون {threshold})."),
    "capabilities_left_out": ("{names}: no lost output (below {threshold}).",
                              "{names}: لا إنتاج مفقود (دون {threshold})."),
    "axis_month": ("Month since the scenario starts", "الشهر منذ بدء السيناريو"),
    "axis_price": ("Price, x baseline", "السعر، مضاعف سعر الأساس"),
    "axis_shortage": ("Shortage, % of demand", "العجز، ٪ من الطلب"),
    "axis_stock": ("Stock left, % of the starting stock", "المخزون المتبقي، ٪ من مخزون البداية"),
    "axis_loss": ("Lost output, % of baseline output (bar: P50, then up to P95)",
                  "الإنتاج المفقود، ٪ من إنتاج الأساس (الشريط: الوسيط ثم حتى المئين 95)"),
})

_ARABIC_INDIC = str.maketrans("0123456789.", "٠١٢٣٤٥٦٧٨٩٫")


def label(key: str, lang: str = "en", **fields: str) -> str:
    """The label for ``key`` in ``lang`` ('en' or 'ar'); unknown keys come back unchanged."""
    pair = _LABELS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "ar" else pair[0]
    return text.format(**fields) if fields else text


def localise_digits(text: str, digits: str = "latin") -> str:
    """Rewrite Latin digits (and the decimal point) as Arabic-Indic when ``digits='arabic'``."""
    return text.translate(_ARABIC_INDIC) if digits == "arabic" else text


def fmt_number(value: object, decimals: int = 2, digits: str = "latin") -> str:
    """``value`` with ``decimals`` places in the chosen digits; '-' for None or NaN."""
    if not isinstance(value, int | float) or value != value or value in (float("inf"),
                                                                          float("-inf")):
        return "-"
    text = f"{value:,.{decimals}f}"
    return localise_digits(text.replace(",", "٬") if digits == "arabic" else text, digits)


def fmt_share(value: object, decimals: int = 1, digits: str = "latin") -> str:
    """A 0..1 share as a percentage in the chosen digits (Arabic percent sign with ٠-٩)."""
    if not isinstance(value, int | float) or value != value:
        return "-"
    text = localise_digits(f"{100 * value:.{decimals}f}", digits)
    return text + ("٪" if digits == "arabic" else "%")
