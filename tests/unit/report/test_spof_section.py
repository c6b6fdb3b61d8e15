"""The single-points-of-failure report section: top nodes in rank order, the structural list
with its routes, English and Arabic (right to left, Arabic names and digits)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from paxsilica.policy.n_minus_one import Outage, OutageSweep
from paxsilica.report.spof import spof_section, write_spof_report
from paxsilica.workflows import load


def sweep() -> OutageSweep:
    rows = []
    for rank, (iso3, commodity, loss) in enumerate(
            [("CHN", "gallium_refining", 0.067), ("TWN", "ai_accelerators", 0.163),
             ("JPN", "photoresist", 0.0)], start=1):
        rows.append({"rank": rank, "iso3": iso3, "commodity": commodity, "share": 0.9,
                     "loss_p50": loss, "loss_p95": loss + 0.01, "loss_mean": loss,
                     "loss_se": 0.001, "shortage_p50": 0.07, "shortage_p95": 0.08,
                     "shortage_mean": 0.07, "shortage_se": 0.0, "peak_price_p50": 5.0,
                     "peak_price_p95": 5.0, "peak_price_mean": 5.0, "peak_price_se": 0.0,
                     "capability": "ai_accelerators" if loss else None,
                     "worst_commodity": commodity})
    return OutageSweep(pd.DataFrame(rows), "pax-silica", Outage(), 200, 1, "baseline")


SOLE = pd.DataFrame([{"commodity": "gallium_refining", "iso3": "CHN", "share": 0.99,
                      "rest_share": 0.01}])
CUTS = pd.DataFrame([{"capability": "ai_accelerators", "iso3": "CHN",
                      "commodity": "gallium_refining", "share": 0.99,
                      "path": ("gallium_refining", "gan_gaas_devices", "ai_accelerators")}])


def test_section_lists_the_top_nodes_in_rank_order_with_p50_p95_and_se() -> None:
    html = spof_section(sweep(), SOLE, CUTS, load(), threshold=0.05, dominance=0.9, top=2)
    nodes = re.findall(r"<tr data-node='([A-Z]{3}:[a-z_]+)'>", html)
    assert nodes == ["CHN:gallium_refining", "TWN:ai_accelerators"]  # top=2 of 3
    first = html.split("<tr data-node='CHN:gallium_refining'>")[1].split("</tr>")[0]
    assert "6.7% / 7.7%" in first and "6.7% ± 0.10%" in first and "5.0 / 5.0" in first
    assert "200 draws" in html and "at least 5% of world output" in html
    sole = html.split("<ul class='sole'>")[1]
    assert "Gallium" in sole and "China 99%" in sole and " → " in sole


def test_arabic_section_and_document_read_right_to_left(tmp_path: Path) -> None:
    out = write_spof_report(sweep(), SOLE, CUTS, load(), tmp_path / "spof.html",
                            threshold=0.05, dominance=0.9, lang="ar", digits="arabic")
    text = out.read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl">' in text and "نقاط الإخفاق المنفردة" in text
    assert "الصين" in text and "٪" in text and "٢٠٠" in text
    assert " ← " in text and " → " not in text  # routes read right to left
    assert not re.search(r"<td class='num'>[^<]*[0-9]", text)  # no Latin digits in figures
    assert not (tmp_path / "spof.html.part").exists()
