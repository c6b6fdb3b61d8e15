"""Layout facts of the dashboard in Chromium at 1400x900 and 390x844, in English and Arabic.

Issue 15: no page scrolls sideways on a phone; the supply-chain diagram's labels do not
overlap (bounding boxes) and the diagram is mirrored in Arabic; Arabic-Indic digits (and the
Arabic percent sign) wherever they are selected, chart axes included; chart titles are not
covered by Plotly's toolbar nor cut off; the risk table's numbers sit at the end of their
cells; scenario titles, run titles and API errors read in Arabic.

Screenshots (tests/browser/artifacts/): layout-<page>-{1400,390}-{en,ar}.png, and
overview-{en,ar}.png and overview-390-{en,ar}.png for the README (docs/img/).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from paxsilica.model.scenario import Scenario

from .conftest import ARTIFACTS

FIGURE_TIMEOUT_MS = 20_000
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
LATIN = re.compile("[0-9]")
ARABIC_INDIC = re.compile("[٠-٩]")
SCENARIOS = Path(__file__).parents[2] / "src" / "paxsilica" / "scenarios"


@pytest.fixture(scope="module")
def runs(server: dict[str, Any]) -> list[str]:
    """Two complete runs (the export-control shock, and the same met by a stockpile)."""
    ids = []
    headers = {"Authorization": f"Bearer {server['token']}"}
    for name in ("ree-export-controls", "vault-response"):
        answer = httpx.post(f"{server['url']}/api/runs", headers=headers, timeout=30,
                            json={"scenario": name, "draws": 200, "seed": 11})
        assert answer.status_code in (200, 201, 202), answer.text
        ids.append(answer.json()["run_id"])
    deadline = time.monotonic() + 180
    for run_id in ids:
        status = {"status": "queued"}
        while status["status"] not in ("complete", "failed") and time.monotonic() < deadline:
            time.sleep(0.3)
            status = httpx.get(f"{server['url']}/api/runs/{run_id}", timeout=10).json()
        assert status["status"] == "complete", status
    return ids


@pytest.fixture
def tab(browser: Any, request: pytest.FixtureRequest) -> Any:
    """A page at the viewport given by indirect parametrisation (default: desktop)."""
    viewport = getattr(request, "param", DESKTOP)
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.errors = []
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    ARTIFACTS.mkdir(exist_ok=True)
    yield page
    context.close()


def _open(page: Any, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, url
    count = page.locator("[data-figure]").count()
    page.wait_for_function(
        "n => document.querySelectorAll('[data-figure][data-drawn=\"1\"]').length === n",
        arg=count, timeout=FIGURE_TIMEOUT_MS)


def _localised(path: str, lang: str) -> str:
    sep = "&" if "?" in path else "?"
    return f"{path}{sep}lang=ar&digits=arabic" if lang == "ar" else path


def _pages(runs: list[str]) -> list[tuple[str, str]]:
    return [("overview", "/"), ("overview-hhi", "/?colour=hhi"), ("risk", "/risk"),
            ("scenarios", "/scenarios"), ("runs", "/runs"), ("run", f"/runs/{runs[0]}"),
            ("compare", f"/compare?a={runs[0]}&b={runs[1]}"), ("builder", "/builder"),
            ("controls", "/controls"), ("country", "/country/JPN"), ("map", "/map"),
            ("flows", "/flows")]


# -- phones: nothing scrolls sideways ----------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("tab", [PHONE], indirect=True)
def test_no_page_scrolls_sideways_at_390_px(server, runs, tab, lang) -> None:
    wide = {}
    for stem, path in _pages(runs):
        _open(tab, server["url"] + _localised(path, lang))
        width = tab.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
        if width[0] > width[1]:
            wide[stem] = width
        tab.screenshot(path=str(ARTIFACTS / f"layout-{stem}-390-{lang}.png"), full_page=True)
    assert wide == {}
    assert tab.errors == []


@pytest.mark.parametrize("tab", [PHONE], indirect=True)
def test_the_stack_diagram_scrolls_inside_its_own_box_on_a_phone(server, tab) -> None:
    _open(tab, server["url"] + "/")
    box = tab.evaluate("(() => { const b = document.getElementById('stack-box');"
                       " return [b.scrollWidth, b.clientWidth, innerWidth]; })()")
    assert box[0] > box[1] and box[1] <= box[2]  # wider than the box, the box within the page
    # drawn at its own size: labels as large as on a desktop, not shrunk to fit 390 px
    size = tab.evaluate("parseFloat(getComputedStyle(document.querySelector("
                        "'#stack-diagram .node-label')).fontSize)")
    assert size >= 12
    # and the same chain as a list, readable without scrolling
    tab.click("#stack-list summary")
    items = tab.locator("#stack-list li")
    assert items.count() == tab.locator("#stack-diagram g.node").count()
    assert tab.evaluate("Math.max(...Array.from(document.querySelectorAll('#stack-list li'))"
                        ".map(li => li.getBoundingClientRect().right))") <= PHONE["width"]
    tab.screenshot(path=str(ARTIFACTS / "overview-390-en.png"), full_page=True)


# -- the supply-chain diagram ------------------------------------------------------------------
def _boxes(page: Any, selector: str) -> list[dict[str, Any]]:
    return page.eval_on_selector_all(selector, """nodes => nodes.map(n => {
        const r = n.getBoundingClientRect();
        const g = n.closest('g.node');
        return {id: g ? g.dataset.id : n.textContent, x: r.left, y: r.top,
                right: r.right, bottom: r.bottom}; })""")


def _overlaps(a: dict[str, Any], b: dict[str, Any], slack: float = 0.5) -> bool:
    return (a["x"] < b["right"] - slack and b["x"] < a["right"] - slack
            and a["y"] < b["bottom"] - slack and b["y"] < a["bottom"] - slack)


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("colour", ["concern", "top"])
def test_stack_labels_never_overlap_each_other_or_a_bar(server, tab, lang, colour) -> None:
    _open(tab, server["url"] + _localised(f"/?colour={colour}", lang))
    labels = _boxes(tab, "#stack-diagram text.node-label")
    headers = _boxes(tab, "#stack-diagram text.stage-header")
    bars = _boxes(tab, "#stack-diagram g.node rect")
    assert len(labels) == len(bars) > 30 and len(headers) >= 5
    clashes = [(a["id"], b["id"]) for i, a in enumerate(labels + headers)
               for b in (labels + headers)[i + 1:] if _overlaps(a, b)]
    assert clashes == []
    on_bars = [(label["id"], bar["id"]) for label in labels for bar in bars
               if _overlaps(label, bar)]
    assert on_bars == []
    svg = tab.locator("#stack-diagram").bounding_box()
    assert all(svg["x"] - 0.5 <= b["x"] and b["right"] <= svg["x"] + svg["width"] + 0.5
               for b in labels + headers)
    if colour == "concern":
        tab.screenshot(path=str(ARTIFACTS / f"overview-{lang}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_stack_runs_from_mines_to_data_centres_and_mirrors_in_arabic(server, tab, lang) -> None:
    _open(tab, server["url"] + _localised("/", lang))
    x = {b["id"]: b["x"] for b in _boxes(tab, "#stack-diagram g.node rect")}
    mines = x["rare_earths_mining"]
    data_centres = x["data_centre_capacity"]
    assert (mines < data_centres) if lang == "en" else (mines > data_centres)
    # the stage headers name the stages: mining over the mines' column
    first = tab.locator("#stack-diagram .stage-header[data-column='0']").text_content()
    assert first == ("mining" if lang == "en" else "تعدين")


def _rgb(fill: str) -> tuple[int, int, int]:
    red, green, blue = (int(v) for v in re.findall(r"\d+", fill)[:3])
    return red, green, blue


def test_colourings_show_taiwans_chips_as_concentrated(server, tab) -> None:
    """Taiwan makes 68% of leading-edge logic and 79% of CoWoS packaging (risk table): no
    country of concern, so green by that colouring, but red by top producer and HHI."""
    fills = {}
    for colour in ("concern", "top", "hhi"):
        _open(tab, server["url"] + f"/?colour={colour}")
        fills[colour] = {node: tab.locator(f"#stack-diagram g.node[data-id='{node}'] rect")
                         .get_attribute("fill") for node in ("advanced_packaging",
                                                             "leading_edge_logic")}
        label = tab.locator("#stack-diagram g.node[data-id='advanced_packaging'] .value")
        if colour == "top":
            assert label.text_content() == "Taiwan 79%"
    for node in ("advanced_packaging", "leading_edge_logic"):
        red, green, _ = _rgb(fills["concern"][node])
        assert green > red, node
        red, green, _ = _rgb(fills["top"][node])
        assert red > green, node
    red, green, _ = _rgb(fills["hhi"]["advanced_packaging"])  # HHI 6,288
    assert red > green


# -- risk table ----------------------------------------------------------------------------------
def test_risk_table_has_no_nan_no_fake_zero_shares_and_numbers_at_the_end(server, tab) -> None:
    _open(tab, server["url"] + "/risk")
    text = tab.locator("#risk-table").inner_text()
    assert "nan" not in text.lower()
    for commodity in ("gan_gaas_devices", "vehicles"):
        row = tab.locator(f"#risk-table tr[data-commodity='{commodity}']").inner_text()
        assert "no country split" in row and "0.0%" not in row, row
    gaps = tab.eval_on_selector_all("#risk-table td.num, #risk-table th.num", """cells =>
        cells.filter(c => c.textContent.trim()).map(c => {
          const range = document.createRange(); range.selectNodeContents(c);
          const text = range.getBoundingClientRect(), box = c.getBoundingClientRect();
          const pad = parseFloat(getComputedStyle(c).paddingRight);
          return [box.right - pad - text.right, text.left - box.left]; })""")
    assert gaps and all(end <= 1.5 for end, _ in gaps)  # flush with the end (right) edge
    assert any(start > 10 for _, start in gaps)  # and not stretched across the cell


@pytest.mark.parametrize("tab", [PHONE], indirect=True)
def test_bloc_selector_changes_the_perspective(server, tab) -> None:
    _open(tab, server["url"] + "/risk")
    tab.select_option("#bloc", "eu27")
    tab.wait_for_url(re.compile(r".*bloc=eu27.*"))
    assert "EU-27" in tab.locator("h1").inner_text()


# -- charts: digits, titles, toolbar -------------------------------------------------------------
def _tick_texts(page: Any, figure: str) -> str:
    return " ".join(page.locator(f"#{figure} .xtick text, #{figure} .ytick text")
                    .all_text_contents())


def test_arabic_digit_mode_reaches_every_chart_axis_and_the_diagram(server, runs, tab) -> None:
    _open(tab, server["url"] + "/?lang=ar&digits=arabic")
    ticks = _tick_texts(tab, "fig-producers")
    assert ARABIC_INDIC.search(ticks) and "٪" in ticks
    assert not LATIN.search(ticks) and "%" not in ticks
    diagram = tab.locator("#stack-diagram").text_content()
    assert not LATIN.search(diagram) and "٪" in diagram
    _open(tab, server["url"] + f"/runs/{runs[0]}?lang=ar&digits=arabic")
    for figure in ("fig-fan-price", "fig-fan-shortage", "fig-downstream"):
        ticks = _tick_texts(tab, figure)
        assert ARABIC_INDIC.search(ticks) and not LATIN.search(ticks), (figure, ticks)
        assert "%" not in ticks, (figure, ticks)
    table = tab.locator("#summary-table").inner_text()  # headings ("P95") included
    assert ARABIC_INDIC.search(table) and not LATIN.search(table)
    _open(tab, server["url"] + "/risk?lang=ar&digits=arabic")
    assert not LATIN.search(tab.locator("#risk-table").inner_text())
    _open(tab, server["url"] + "/controls?lang=ar&digits=arabic")
    ticks = _tick_texts(tab, "fig-prices")
    assert ARABIC_INDIC.search(ticks) and not LATIN.search(ticks), ticks


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_chart_titles_are_whole_and_the_toolbar_never_covers_them(server, runs, tab,
                                                                  lang) -> None:
    _open(tab, server["url"] + _localised(f"/runs/{runs[0]}", lang))
    titles = tab.locator("h3.fig-title")
    assert titles.count() >= 4
    for index in range(titles.count()):
        title = titles.nth(index)
        assert title.evaluate("t => t.scrollWidth <= t.clientWidth")  # wraps, never cut
        figure = tab.locator(f"#{title.evaluate('t => t.nextElementSibling.id')}")
        figure.hover()
        bar = figure.locator(".modebar")
        if bar.count() and bar.is_visible():
            box, head = bar.bounding_box(), title.bounding_box()
            assert box["y"] >= head["y"] + head["height"] - 0.5
    # the lost-output chart keeps its capability names inside the chart
    svg = tab.locator("#fig-downstream .main-svg").first.bounding_box()
    for label in _boxes(tab, "#fig-downstream .ytick text"):
        assert svg["x"] - 0.5 <= label["x"] and label["right"] <= svg["x"] + svg["width"] + 0.5
    tab.screenshot(path=str(ARTIFACTS / f"layout-run-1400-{lang}.png"), full_page=True)


@pytest.mark.parametrize("tab", [PHONE], indirect=True)
def test_no_plotly_toolbar_on_a_phone(server, runs, tab) -> None:
    _open(tab, server["url"] + f"/runs/{runs[0]}")
    tab.locator("#fig-fan-price").hover()
    assert tab.locator("#fig-fan-price .modebar-container").count() == 0 or \
        not tab.locator("#fig-fan-price .modebar").is_visible()


# -- Arabic texts --------------------------------------------------------------------------------
def test_scenario_titles_and_descriptions_are_arabic_on_the_arabic_page(server, tab) -> None:
    _open(tab, server["url"] + "/scenarios?lang=ar")
    for file in sorted(SCENARIOS.glob("*.yaml")):
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
        row = tab.locator(f"#scenario-table tr[data-scenario='{document['name']}']")
        assert row.locator(".scenario-title").inner_text() == document["title_ar"]
        assert document["title"] not in row.inner_text()
        option = tab.locator(f"#scenario option[value='{document['name']}']").inner_text()
        assert option == document["title_ar"]


def test_run_title_keeps_its_parts_in_order_in_arabic(server, runs, tab) -> None:
    _open(tab, server["url"] + f"/runs/{runs[0]}?lang=ar")
    title = yaml.safe_load((SCENARIOS / "ree-export-controls.yaml").read_text("utf-8"))
    heading = tab.locator("#run-title")
    assert heading.locator(".scenario-title").inner_text() == title["title_ar"]
    run_id = heading.locator(".run-id").bounding_box()
    # the title's first line box (it may wrap onto more lines)
    scenario = heading.locator(".scenario-title").evaluate(
        "t => { const r = t.getClientRects()[0]; return {x: r.left, right: r.right}; }")
    # right to left: "المحاكاة", then the id, then the title, each whole
    assert run_id["x"] >= scenario["right"] - 1
    assert heading.locator(".run-id").inner_text() == runs[0]


def test_api_errors_read_in_arabic(server, tab) -> None:
    _open(tab, server["url"] + "/scenarios?lang=ar")
    tab.fill("#token", "pxs_not_a_token")
    tab.click("#start-run")
    tab.wait_for_selector("#run-status[data-phase='failed']")
    message = tab.locator("#run-phase .error-main").inner_text()
    assert message == "رمز الوصول مفقود أو غير معروف."
    tab.screenshot(path=str(ARTIFACTS / "layout-scenarios-error-1400-ar.png"), full_page=True)


# -- analyst tools -------------------------------------------------------------------------------
def test_builder_writes_yaml_the_service_accepts_and_names_a_bad_field(server, tab) -> None:
    _open(tab, server["url"] + "/builder?lang=ar")
    tab.fill("#f-title_ar", "الصين تقيّد صادرات الغاليوم")
    tab.select_option("#s-export_restriction-commodities", ["gallium_refining"])
    tab.fill("#token", server["token"])
    text = tab.input_value("#yaml-out")
    scn = Scenario.from_mapping(yaml.safe_load(text))  # valid by the library's own loader
    assert scn.title_ar == "الصين تقيّد صادرات الغاليوم"
    assert scn.shocks[0].commodities == ("gallium_refining",)
    tab.click("#validate-yaml")
    tab.wait_for_selector("#builder-result[data-phase]")
    assert tab.get_attribute("#builder-result", "data-phase") == "complete"
    assert tab.locator("#builder-result").inner_text() == "صالح: تقبل الخدمة هذا السيناريو."
    tab.fill("#s-export_restriction-severity", "2")
    tab.click("#validate-yaml")
    tab.wait_for_selector("#builder-result[data-phase='failed']")
    result = tab.locator("#builder-result")
    assert result.locator(".error-main").inner_text() == "السيناريو غير صالح."
    assert "severity" in result.locator(".error-detail").inner_text()
    tab.screenshot(path=str(ARTIFACTS / "layout-builder-1400-ar.png"), full_page=True)


def test_compare_shows_both_runs_and_their_differences(server, runs, tab) -> None:
    _open(tab, server["url"] + f"/compare?a={runs[0]}&b={runs[1]}")
    assert tab.locator("#compare-a h2").inner_text().endswith(runs[0])
    assert tab.locator("#compare-b h2").inner_text().endswith(runs[1])
    a_box = tab.locator("#compare-a").bounding_box()
    b_box = tab.locator("#compare-b").bounding_box()
    assert abs(a_box["y"] - b_box["y"]) < 1 and a_box["x"] < b_box["x"]  # side by side
    rows = tab.eval_on_selector_all("#compare-table tbody tr", """rows => rows.map(r =>
        Array.from(r.cells).slice(1, 4).map(c => c.dataset.value))""")
    assert rows
    for a, b, delta in rows:
        if a and b:
            assert abs(float(b) - float(a) - float(delta)) < 1e-9


def test_export_controls_timeline_has_dates_countries_and_sources(server, tab) -> None:
    _open(tab, server["url"] + "/controls?commodity=antimony_mining")
    items = tab.locator("#controls-timeline li")
    assert items.count() >= 8
    for index in range(items.count()):
        item = items.nth(index)
        assert re.match(r"https?://", item.locator(".source a").get_attribute("href"))
        assert re.search(r"(19|20)\d\d", item.locator("time").inner_text())
    selected = tab.locator("#controls-timeline li.selected")
    assert {selected.nth(i).get_attribute("data-id") for i in range(selected.count())} == \
        {"chn-sb-2024", "chn-us-ban-2024"}
    # one dashed line per control on antimony, over China's export prices
    lines = tab.evaluate("document.getElementById('fig-prices').layout.shapes.length")
    assert lines == 2


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_numeric_headers_sit_over_their_numbers(server, tab, lang) -> None:
    """Each numeric column's header ends where its numbers end (right in English, left in
    Arabic), on the risk table and on a country's dependency table."""
    for path, table in (("/risk", "risk-table"), ("/country/JPN", "deps-table")):
        _open(tab, server["url"] + _localised(path, lang))
        edges = tab.eval_on_selector_all(f"#{table} thead th.num", """ths => ths.map(th => {
            const text = document.createRange(); text.selectNodeContents(th);
            const box = th.getBoundingClientRect(), t = text.getBoundingClientRect();
            const style = getComputedStyle(th);
            return document.documentElement.dir === 'rtl'
              ? t.left - box.left - parseFloat(style.paddingLeft)
              : box.right - parseFloat(style.paddingRight) - t.right; })""")
        assert len(edges) >= 3, path
        assert all(edge <= 1.5 for edge in edges), (path, edges)
