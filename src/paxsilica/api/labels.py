"""Labels that only the dashboard uses, in English and Arabic.

The shared vocabulary (table headings, stages, run states) lives in
:mod:`paxsilica.report.i18n`; :func:`dash_label` looks here first and falls back to it, so a
page never needs to know which module holds a word.
"""

from __future__ import annotations

from paxsilica.report.i18n import label

__all__ = ["ERROR_LABELS", "dash_label"]

_LABELS: dict[str, tuple[str, str]] = {
    # -- overview: the stack diagram -----------------------------------------------------
    "stack_title": ("From mineral to compute: the supply chain of the AI stack",
                    "من المعدن إلى الحوسبة: سلسلة إمداد منظومة الذكاء الاصطناعي"),
    "colour_by": ("Colour by", "التلوين حسب"),
    "colour_concern": ("Share from countries of concern", "الحصة من الدول المثيرة للقلق"),
    "colour_hhi": ("Concentration (HHI)", "التركّز (مؤشر هيرفندال)"),
    "colour_top": ("Top producer's share", "حصة أكبر منتج"),
    "colour_bloc_gap": ("Share from outside the bloc", "الحصة من خارج التكتل"),
    "stack_note": ("Band width: the input's share in the output (recipes). Columns run from "
                   "mines to data centres; hover a box for its figures.",
                   "عرض الشريط: حصة المدخل في المنتج (الوصفات). تمتد الأعمدة من المناجم إلى "
                   "مراكز البيانات؛ مرّر المؤشر على أي مربع لعرض أرقامه."),
    "scale_low": ("low", "منخفض"),
    "scale_high": ("high", "مرتفع"),
    "no_split": ("no country split", "لا توزيع حسب الدول"),
    "no_split_note": ("No country split in the data: these are made from the inputs shown, "
                      "not produced by named countries.",
                      "لا توزيع حسب الدول في البيانات: تُصنع هذه من المدخلات المعروضة ولا "
                      "تُنسب إلى دول منتجة بعينها."),
    "stack_list": ("The same chain as a list, stage by stage",
                   "السلسلة نفسها في قائمة، مرحلة بعد مرحلة"),
    "made_from": ("made from", "يُصنع من"),
    # -- risk table ------------------------------------------------------------------------
    "risk_no_split_note": ("'no country split': the data hold no producing countries for "
                           "these (devices and vehicles are made from the inputs in the "
                           "overview), so no share or concentration is shown.",
                           "«لا توزيع حسب الدول»: لا تحدد البيانات دولاً منتجة لهذه السلع "
                           "(تُصنع الأجهزة والمركبات من المدخلات المعروضة في النظرة العامة)، "
                           "لذا لا تُعرض لها حصص ولا مؤشر تركّز."),
    # -- scenarios, builder, compare -------------------------------------------------------
    "description": ("Description", "الوصف"),
    "nav_compare": ("Compare", "مقارنة"),
    "nav_builder": ("Scenario builder", "منشئ السيناريوهات"),
    "nav_controls": ("Export controls", "ضوابط التصدير"),
    "nav_spof": ("Single points of failure", "نقاط الإخفاق المنفردة"),
    "compare_title": ("Two runs side by side", "محاكاتان جنباً إلى جنب"),
    "compare_pick": ("Pick two recorded runs", "اختر محاكاتين مسجّلتين"),
    "run_a": ("Run A", "المحاكاة أ"),
    "run_b": ("Run B", "المحاكاة ب"),
    "compare": ("Compare", "قارن"),
    "compare_need": ("Record at least one complete run to compare (Scenarios page).",
                     "سجّل محاكاة مكتملة واحدة على الأقل للمقارنة (صفحة السيناريوهات)."),
    "difference": ("B minus A", "ب ناقص أ"),
    "builder_title": ("Scenario builder", "منشئ السيناريوهات"),
    "builder_intro": ("Fill in the form; the YAML below updates as you type and the service "
                      "checks it against the scenario schema and the data. Save it as a "
                      ".yaml file and run it with paxsilica simulate.",
                      "املأ النموذج؛ يتحدث نص YAML أدناه أثناء الكتابة، وتتحقق الخدمة منه "
                      "وفق مخطط السيناريو والبيانات. احفظه في ملف ‎.yaml‎ وشغّله بالأمر "
                      "paxsilica simulate."),
    "shock": ("Shock", "الصدمة"),
    "shock_type": ("Shock type", "نوع الصدمة"),
    "commodities": ("Commodities", "السلع"),
    "validate": ("Check with the service", "تحقق عبر الخدمة"),
    "download_yaml": ("Download YAML", "تنزيل YAML"),
    "valid": ("Valid: the service accepts this scenario.", "صالح: تقبل الخدمة هذا السيناريو."),
    "title_en": ("Title (English)", "العنوان (بالإنجليزية)"),
    "title_ar": ("Title (Arabic)", "العنوان (بالعربية)"),
    "name": ("Name (id)", "الاسم (المعرّف)"),
    "restricting_ids": ("Restricting countries or blocs", "الدول أو التكتلات المقيِّدة"),
    "start_month": ("Start month", "شهر البدء"),
    "duration": ("Duration (months)", "المدة (أشهر)"),
    "severity": ("Severity (share cut)", "الشدة (الحصة المقطوعة)"),
    "target": ("Target bloc", "التكتل المستهدف"),
    # -- export controls ---------------------------------------------------------------------
    "controls_title": ("Export controls on the stack's materials",
                       "ضوابط التصدير على مواد المنظومة"),
    "controls_note": ("Real measures, each with its source. The chart shows the restricting "
                      "country's yearly export unit value (CEPII BACI: traded value / tonnes) "
                      "where trade data exist; dashed lines mark when a control took effect.",
                      "إجراءات فعلية، لكل منها مصدره. يعرض المخطط متوسط قيمة وحدة صادرات الدولة "
                      "المقيِّدة سنوياً (قاعدة CEPII BACI: القيمة المتداولة / الأطنان) حيث "
                      "تتوفر بيانات التجارة؛ وتشير الخطوط المتقطعة إلى بدء سريان الضابط."),
    "announced": ("Announced", "الإعلان"),
    "effective": ("In force", "السريان"),
    "ended": ("Ended", "الانتهاء"),
    "imposer": ("Imposed by", "الجهة المفروضة منها"),
    "targets": ("Applies to", "تنطبق على"),
    "measure": ("Measure", "الإجراء"),
    "source": ("Source", "المصدر"),
    "all_destinations": ("all destinations", "جميع الوجهات"),
    "price_history": ("{exporter}'s export unit value of {commodity} (US$ per {unit})",
                      "متوسط قيمة وحدة صادرات {exporter} من {commodity} (دولار أمريكي لكل "
                      "{unit})"),
    "no_price_history": ("No trade series for this commodity: no price history to show.",
                         "لا توجد سلسلة تجارية لهذه السلعة: لا تاريخ أسعار لعرضه."),
    "in_force": ("in force", "ساري"),
    # -- run page: one region, members side by side ------------------------------------------
    "region_title": ("By region", "حسب المنطقة"),
    "region_pick": ("Region", "المنطقة"),
    "region_members": ("Members", "الأعضاء"),
    "region_others": ("Other regions", "مناطق أخرى"),
    "region_commodities": ("{region}: commodities, worst hit first",
                           "{region}: السلع، الأشد تضرراً أولاً"),
    "region_price_chart": ("{region}: peak price of the dearest commodities, x baseline "
                           "(P50, whiskers P5 to P95)",
                           "{region}: ذروة سعر أغلى السلع، مضاعف سعر الأساس (الوسيط، "
                           "والخطوط من المئين 5 إلى 95)"),
    "region_losses": ("{region}: lost output of final capabilities",
                      "{region}: الإنتاج المفقود من القدرات النهائية"),
    "region_note": ("The run's own figures for this region's market, percentiles across draws: "
                    "peak price as a multiple of the baseline price, shortage as the worst "
                    "month's share of demand, and the median first month a stock runs out "
                    "('-': not in half the draws).",
                    "أرقام المحاكاة نفسها لسوق هذه المنطقة، مئينات عبر السحبات: ذروة السعر "
                    "مضاعفاً لسعر الأساس، والعجز حصةً من الطلب في أسوأ شهر، والشهر الوسيط "
                    "الذي ينفد فيه المخزون أول مرة («-»: لا ينفد في نصف السحبات)."),
    "no_regions": ("This run kept no outcomes per country region (it ran on the three-segment "
                   "map, or was too large to keep them): start it with the countries region "
                   "map to see each member.",
                   "لم تحفظ هذه المحاكاة نتائج لكل منطقة قُطرية (شُغّلت على خريطة الشرائح "
                   "الثلاث، أو كانت أكبر من أن تحفظها): شغّلها بخريطة مناطق الدول لعرض كل "
                   "عضو."),
    "price_p5": ("Peak price P5", "ذروة السعر: المئين 5"),
    "shortage_p5": ("Shortage P5", "العجز: المئين 5"),
    "loss_p5": ("Loss P5", "الفاقد: المئين 5"),
    "compare_members": ("Members side by side", "الأعضاء جنباً إلى جنب"),
    "compare_members_pick": ("Pick two or more regions", "اختر منطقتين أو أكثر"),
    "compare_measure": ("Measure", "المقياس"),
    "compare_table": ("{regions}: where they differ, and what each loses",
                      "{regions}: أين تختلف، وماذا تخسر كل منها"),
    "list_separator": (", ", "، "),
    "compare_members_note": ("The commodities where these regions differ most (range of the "
                             "P50 shortage share plus range of the log P50 peak price), "
                             "then every final capability's lost output.",
                             "السلع التي تختلف فيها هذه المناطق أكثر من غيرها (مدى العجز "
                             "الوسيط مضافاً إليه مدى لوغاريتم ذروة السعر الوسيطة)، ثم "
                             "الإنتاج المفقود من كل قدرة نهائية."),
    "compare_same": ("These regions' P50 shortage and peak price are the same for every "
                     "commodity.",
                     "العجز الوسيط وذروة السعر الوسيطة متطابقان في هذه المناطق لكل سلعة."),
    "region_missing": ("Region '{code}' is not in run {run_id}. Its regions: {known}.",
                       "المنطقة «{code}» ليست ضمن المحاكاة {run_id}. مناطقها: {known}."),
    "compare_too_few": ("Pick at least two different regions to compare (got {count}).",
                        "اختر منطقتين مختلفتين على الأقل للمقارنة (المختار: {count})."),
    "back_to_run": ("Back to the run", "العودة إلى المحاكاة"),
    "region_EU": ("EU (the other 26)", "الاتحاد الأوروبي (الدول الـ26 الأخرى)"),
}

#: The API's error names (``error`` in its JSON bodies) as the Arabic dashboard shows them;
#: the page passes these to app.js, which prefers them to the English ``message``.
ERROR_LABELS: dict[str, tuple[str, str]] = {
    "Unauthorized": ("Missing or unknown access token.", "رمز الوصول مفقود أو غير معروف."),
    "Forbidden": ("This token may not do that (an analyst token is needed).",
                  "لا يسمح هذا الرمز بهذا الإجراء (يلزم رمز محلل)."),
    "NotFound": ("Not found.", "غير موجود."),
    "Conflict": ("Conflict with the current state.", "تعارض مع الحالة الحالية."),
    "PayloadTooLarge": ("The request is too large.", "الطلب أكبر من المسموح."),
    "Unprocessable": ("Some fields are not valid.", "بعض الحقول غير صالحة."),
    "ScenarioError": ("The scenario is not valid.", "السيناريو غير صالح."),
    "DataError": ("The data package is not valid.", "حزمة البيانات غير صالحة."),
    "NotFoundError": ("Not found.", "غير موجود."),
    "StoreError": ("The run store is unavailable; try again later.",
                   "مخزن المحاكاة غير متاح؛ حاول لاحقاً."),
    "TooManyRequests": ("Too many requests; wait a moment.", "طلبات كثيرة جداً؛ انتظر قليلاً."),
    "HTTPError": ("The request failed.", "تعذّر تنفيذ الطلب."),
    "network": ("The service could not be reached.", "تعذّر الوصول إلى الخدمة."),
}


def dash_label(key: str, lang: str = "en", **fields: str) -> str:
    """The label for ``key`` in ``lang`` ('en' or 'ar'), from this module or the shared one."""
    pair = _LABELS.get(key)
    if pair is None:
        return label(key, lang, **fields)
    text = pair[1] if lang == "ar" else pair[0]
    return text.format(**fields) if fields else text
