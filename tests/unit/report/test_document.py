"""Reports in English and Arabic from a small real run: sections, direction, PDF pages."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from paxsilica import workflows
from paxsilica.engine import simulate
from paxsilica.report.document import render_report, write_report
from paxsilica.report.view import view_from_results


@pytest.fixture(scope="module")
def run():
    ds = workflows.load()
    scn = workflows.load_scenario("ree-export-controls", ds)
    results = simulate(ds, scn, draws=200, seed=5, keep_paths=True)
    return view_from_results(scn.model_dump(mode="json"), results, "r1", 0.1), ds


def test_english_report_has_every_section(run) -> None:
    view, ds = run
    text = render_report(view, ds, "en")
    for heading in ("Executive summary", "Method", "Sources of the data", "Figures"):
        assert f">{heading}</h2>" in text
    assert text.count("<svg") >= 3 and "<script" not in text
    assert not re.search(r'(src|href)="https?://', text)  # nothing fetched
    assert "United States Geological Survey" in text or "USGS" in text


def test_arabic_report_is_rtl_and_uses_arabic_names_and_digits(run) -> None:
    view, ds = run
    text = render_report(view, ds, "ar", "arabic")
    assert '<html lang="ar" dir="rtl">' in text and '"Noto Sans Arabic"' in text
    name = ds.commodities.set_index("id").loc[view.worst_commodity(), "name_ar"]
    assert name in text and "٪" in text


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_pdf_report_renders(run, tmp_path: Path, lang: str) -> None:
    view, ds = run
    path = write_report(view, ds, tmp_path / f"report-{lang}.pdf", lang)
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and not (tmp_path / f"report-{lang}.pdf.part").exists()
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
        pages = int(next(line.split()[-1] for line in info.splitlines()
                         if line.startswith("Pages:")))
        assert 2 <= pages <= 12
