"""Reports as a reader gets them: PDFs rendered to PNG pages (pdftoppm), their text and word
positions (pdftotext), their fonts, and the tables in the HTML they come from.

Two real runs: Taiwan Strait (chips short, a capability loss above its own shortage) and
rare-earth export controls, each in English and in Arabic with Arabic-Indic digits.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from paxsilica import workflows
from paxsilica.engine import simulate
from paxsilica.report.document import render_report, write_report
from paxsilica.report.pdf import MIN_LAST_PAGE_FILL
from paxsilica.report.view import RunView, view_from_results
from tests.unit.report.pdf_inspect import embedded_fonts, page_texts, png_pages, words

SCENARIOS = ("taiwan-strait", "ree-export-controls")
CASES = [(name, lang) for name in SCENARIOS for lang in ("en", "ar")]
HEADINGS = {"en": ["Executive summary", "Alliance: worst-hit commodities", "Figures",
                   "Method", "Sources of the data"],
            # pdftotext writes lam-alef out of order (STACK-NOTES.md 8): headings without it
            "ar": ["الملخص التنفيذي", "المنهجية", "مصادر البيانات"]}
BIDI_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e"))


@pytest.fixture(scope="module")
def views() -> dict[str, tuple[RunView, object]]:
    ds = workflows.load()
    out = {}
    for name in SCENARIOS:
        scn = workflows.load_scenario(name, ds)
        results = simulate(ds, scn, draws=200, seed=5, keep_paths=True)
        out[name] = view_from_results(scn.model_dump(mode="json"), results, "r1", 0.1)
    return out, ds


@pytest.fixture(scope="module")
def pdfs(views, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    runs, ds = views
    folder = tmp_path_factory.mktemp("reports")
    return {(name, lang): write_report(runs[name], ds, folder / f"{name}-{lang}.pdf", lang,
                                       "arabic" if lang == "ar" else "latin")
            for name, lang in CASES}


def _ink_share(png: Path) -> float:
    """Share of the page's pixel rows holding anything darker than near-white."""
    image = Image.open(png).convert("L")
    width, height = image.size
    pixels = image.load()
    rows = sum(1 for y in range(height) if any(pixels[x, y] < 200 for x in range(0, width, 2)))
    return rows / height


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_pages_render_with_headings_and_no_straggling_last_page(pdfs, tmp_path: Path,
                                                                name: str, lang: str) -> None:
    pdf = pdfs[(name, lang)]
    pages = png_pages(pdf, tmp_path / "png")
    texts = [t.translate(BIDI_MARKS) for t in page_texts(pdf)]
    assert len(pages) == len(texts) and 2 <= len(pages) <= 8
    joined = "\n".join(texts)
    positions = [joined.find(heading) for heading in HEADINGS[lang]]
    assert -1 not in positions and positions == sorted(positions), positions
    # the last page carries more than a line or two: the page is A4 with 16 mm margins, so
    # content rows cover MIN_LAST_PAGE_FILL of the body's 265 mm at least partly in ink
    assert _ink_share(pages[-1]) >= MIN_LAST_PAGE_FILL * 0.25, len(texts[-1].splitlines())
    assert len([line for line in texts[-1].splitlines() if line.strip()]) >= 4


class _Tables(HTMLParser):
    """Rows of every <table> as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


ZERO = re.compile(r"^(0(\.0+)?%|[٠](٫[٠]+)?٪|1\.00|١٫٠٠|-)$")


@pytest.mark.parametrize(("name", "lang"), CASES)
def test_no_table_row_is_all_zeros(views, name: str, lang: str) -> None:
    runs, ds = views
    parser = _Tables()
    parser.feed(render_report(runs[name], ds, lang, "arabic" if lang == "ar" else "latin"))
    rows = [row for table in parser.tables for row in table if row]
    assert len(rows) >= 2
    for row in rows:  # first cell: the name; the rest: shares, price ratios, months, bars
        figures = [cell for cell in row[1:] if cell]
        assert figures and not all(ZERO.match(cell) for cell in figures), row


def test_english_summary_reads_as_a_sentence_and_explains_a_loss_above_the_shortage(
        views) -> None:
    runs, ds = views
    view = runs["taiwan-strait"]
    text = render_report(view, ds, "en")
    title = view.scenario["title"]
    assert f"In the scenario “{title}”, the worst-hit commodity" in text
    assert "Under " not in text
    alliance = view.summary[view.summary["segment"] == "alliance"].set_index("commodity")
    loss = view.downstream.set_index("capability")["loss_share_p50"]
    top = loss.idxmax()
    assert loss[top] > alliance.loc[top, "shortage_share_p50"] + 0.001  # the case at issue
    assert f"Why {ds.commodities.set_index('id').loc[top, 'name_en']} loses" in text
    assert "Leontief: output = the minimum over inputs" in text
    calm = render_report(runs["ree-export-controls"], ds, "en")
    down = runs["ree-export-controls"].downstream.set_index("capability")["loss_share_p50"]
    own = runs["ree-export-controls"].summary.set_index(["commodity", "segment"])
    explained = "Leontief: output = the minimum" in calm
    top = down.idxmax()
    assert explained == (down[top] - own.loc[(top, "alliance"), "shortage_share_p50"] >= 0.0005)


def test_fan_charts_carry_axis_titles(views) -> None:
    runs, ds = views
    for lang, month, price in (("en", "Month since the scenario starts", "Price, x baseline"),
                               ("ar", "الشهر منذ بدء السيناريو", "السعر، مضاعف سعر الأساس")):
        text = render_report(runs["taiwan-strait"], ds, lang)
        figures = re.findall(r"<figure>.*?</figure>", text, re.S)
        assert len(figures) >= 3
        for figure in figures:
            assert "class='axis y'" in figure and f"class='axis x'>{month}<" in figure
        assert f"class='axis y'>{price}<" in text


def test_arabic_pdf_embeds_an_arabic_font_and_keeps_the_shaped_text(pdfs) -> None:
    data = pdfs[("taiwan-strait", "ar")].read_bytes()
    assert any("Arabic" in font for font in embedded_fonts(data)), embedded_fonts(data)
    text = "\n".join(page_texts(pdfs[("taiwan-strait", "ar")])).translate(BIDI_MARKS)
    # logical order back from the glyphs: shaping kept the letters and their order
    for phrase in ("الملخص التنفيذي", "مصادر البيانات", "السحبة الوسيطة"):
        assert phrase in text, phrase
    assert "٪" in text and re.search("[٠-٩]", text)


def test_arabic_run_details_read_right_to_left(views, tmp_path: Path) -> None:
    """Draws, seed, dataset hash and date, in that reading order from the right: the hash
    (Latin) and the date must not merge into one left-to-right run and swap places."""
    runs, ds = views
    pdf = write_report(runs["taiwan-strait"], ds, tmp_path / "ar.pdf", "ar", "latin")
    found = words(pdf, 1)
    dataset_hash = str(runs["taiwan-strait"].meta["dataset_hash"])[:12]
    (hash_x, hash_y), = [(x, y) for w, x, y in found if w == dataset_hash]
    # one line: pdftotext's word tops differ by a few points between Latin and Arabic glyphs
    line = [(w, x) for w, x, y in found if abs(y - hash_y) < 6]
    date_x = next(x for w, x in line if re.fullmatch(r"\d{4}-\d\d-\d\d", w))
    seed_x = next(x for w, x in line if w == "5")
    draws_x = next(x for w, x in line if w == "200")
    assert date_x < hash_x < seed_x < draws_x, line


def test_stress_report_charts_have_axis_titles_and_no_zero_bars(tmp_path: Path) -> None:
    report = workflows.stress_test(runs=64, db=tmp_path / "runs.duckdb",
                                   out=tmp_path / "stress.html")
    text = (tmp_path / "stress.html").read_text(encoding="utf-8")
    charts = re.findall(r"<svg.*?</svg>", text, re.S)
    quiet = [row for row in report["rows"] if row["shortage_share_p95"] < 0.0005]
    assert quiet and len(charts) == len(report["rows"]) - len(quiet)  # baseline has none
    assert text.count("No commodity in the alliance runs short") == len(quiet)
    for chart in charts:
        assert "Shortage P95, % of the alliance&#x27;s demand over the horizon" in chart
        assert not re.search(r">0\.0%</text>", chart)  # every bar drawn has a length
    assert "Leontief: the minimum over inputs" in text
