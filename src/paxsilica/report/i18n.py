"""Labels in English and Arabic, and digits in Latin or Arabic-Indic, for every rendered view."""

from __future__ import annotations

__all__ = ["LANGS", "label", "localise_digits"]

LANGS = ("en", "ar")

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
    "energy": ("energy", "طاقة"),
    "logistics": ("logistics", "لوجستيات"),
    "high": ("high", "عالية"),
    "medium": ("medium", "متوسطة"),
    "low": ("low", "منخفضة"),
    "estimate": ("estimate", "تقدير"),
}

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
