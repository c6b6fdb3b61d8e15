"""The trade pages in Chromium: a country's profile, the world map and the flows to a bloc, in
English and Arabic; tables sort numerically and download as CSV; nothing is fetched from
outside the service; nothing overflows a phone's width.

Screenshots (tests/browser/artifacts/): country-{en,ar}.png, map-producers-{en,ar}.png,
map-sources-{en,ar}.png, flows-{en,ar}.png, and the same pages at 390 px as *-390-{en,ar}.png.
"""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlparse

import pytest

from paxsilica import workflows

from .conftest import ARTIFACTS

FIGURE_TIMEOUT_MS = 20_000
#: The new pages, each as (screenshot stem, path).
PAGES = [("country", "/country/JPN"), ("map-producers", "/map"),
         ("map-sources", "/map?view=sources&importer=JPN&commodity=rare_earths_refining"),
         ("flows", "/flows?commodity=rare_earths_refining&bloc=pax-silica")]


@pytest.fixture(scope="module")
def names() -> dict[str, dict[str, str]]:
    """Country names in both languages, from the data the server uses."""
    countries = workflows.load().countries.set_index("iso3")
    return {"en": countries["name_en"].to_dict(), "ar": countries["name_ar"].to_dict()}


def _localised(path: str, lang: str) -> str:
    sep = "&" if "?" in path else "?"
    return f"{path}{sep}lang=ar&digits=arabic" if lang == "ar" else path


def _wait_for_figures(page: Any) -> None:
    count = page.locator("[data-figure]").count()
    page.wait_for_function(
        "n => document.querySelectorAll('[data-figure][data-drawn=\"1\"]').length === n",
        arg=count, timeout=FIGURE_TIMEOUT_MS)


def _column(page: Any, table: str, index: int) -> list[str]:
    return page.eval_on_selector_all(
        f"#{table} tbody tr",
        f"rows => rows.map(r => r.cells[{index}].dataset.value ?? r.cells[{index}].textContent)")


def _header_index(page: Any, table: str, key: str) -> int:
    keys = page.eval_on_selector_all(f"#{table} thead th", "ths => ths.map(t => t.dataset.col)")
    return keys.index(key)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_country_page_shows_identity_dependencies_suppliers_and_holdings(
        server, page, names, lang) -> None:
    response = page.goto(server["url"] + _localised("/country/JPN", lang))
    assert response is not None and response.ok
    assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
    heading = page.locator("#country-name").inner_text()
    assert names[lang]["JPN"] in heading and "JPN" in heading
    if lang == "ar":
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
        assert "Japan" not in heading
        cells = " ".join(page.locator("#deps-table td.num").all_inner_texts())
        assert any("٠" <= ch <= "٩" for ch in cells) and not any(ch.isascii() and ch.isdigit()
                                                                  for ch in cells)
        # the first column sits at the right edge in a right-to-left table
        first = page.locator("#deps-table thead th").first.bounding_box()
        last = page.locator("#deps-table thead th").last.bounding_box()
        assert first["x"] > last["x"]
    assert page.locator("#deps-table tbody tr").count() > 10
    assert page.locator("#suppliers-table tbody tr").count() > 5
    assert page.locator("#holdings-table tbody tr").count() > 0
    assert page.locator("#country-blocs a").count() >= 1  # Japan is in pax-silica
    # ranked by EU supply risk: the first rows' risk is the largest
    risk = [float(v) for v in _column(page, "deps-table", 2) if v]
    assert risk == sorted(risk, reverse=True)
    assert "/country" in page.locator("nav a[aria-current]").get_attribute("href")
    page.screenshot(path=str(ARTIFACTS / f"country-{lang}.png"), full_page=True)
    assert page.errors == []


def test_country_selector_and_unknown_code(server, page, names) -> None:
    page.goto(server["url"] + "/country/JPN?lang=ar")
    with page.expect_navigation():
        page.select_option("#iso3", "USA")
    assert "/country/USA" in page.url and "lang=ar" in page.url
    assert names["ar"]["USA"] in page.locator("#country-name").inner_text()
    response = page.goto(server["url"] + "/country/XXZ")
    assert response is not None and response.status == 404
    assert "XXZ" in page.locator("#missing").inner_text()
    assert page.locator("#iso3 option").count() > 100  # a selector to pick a real one
    # names in the risk table link to the country pages
    page.goto(server["url"] + "/risk")
    link = page.locator("#risk-table tbody a[href*='/country/']").first
    with page.expect_navigation():
        link.click()
    assert page.locator("#deps-table").count() == 1


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_world_map_draws_countries_from_the_shipped_topology_offline(server, page, lang) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    local = urlparse(server["url"]).netloc
    for stem, path in PAGES[1:3]:
        response = page.goto(server["url"] + _localised(path, lang))
        assert response is not None and response.ok
        page.wait_for_load_state("networkidle")
        shapes = page.locator("#world-map path.land")
        assert shapes.count() > 100
        box = page.locator("#world-map").bounding_box()
        assert box["width"] > 600 and box["height"] > 250
        coloured = page.eval_on_selector_all(
            "#world-map path.land", "ps => ps.filter(p => p.getAttribute('fill') !== '#e6e8ee')"
                                    ".map(p => p.dataset.iso3)")
        if stem == "map-producers":
            assert "CHN" in coloured  # the largest refiner of magnet rare earths
        else:
            assert "CHN" in coloured and page.locator("#world-map .importer").count() == 1
        title = page.locator("#world-map path[data-iso3='CHN'] title").text_content()
        assert ("٪" if lang == "ar" else "%") in title
        assert page.locator("#map-table tbody tr").count() > 3
        page.screenshot(path=str(ARTIFACTS / f"{stem}-{lang}.png"), full_page=True)
    outside = [url for url in requested if urlparse(url).netloc != local
               and not url.startswith(("data:", "blob:"))]
    assert requested and outside == []
    assert page.errors == []


def test_map_says_when_a_commodity_has_no_trade_data(server, page) -> None:
    page.goto(server["url"] + "/map?view=sources&commodity=gallium_refining&importer=JPN")
    assert "production shares" in page.locator("#no-coverage").inner_text()
    assert page.locator("#world-map path.land").count() > 100  # producers' map instead
    page.goto(server["url"] + "/flows?commodity=gallium_refining&lang=ar")
    assert page.locator("#no-coverage").count() == 1 and page.locator("#fig-flows").count() == 0


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_flow_view_shows_china_shipping_rare_earths_to_the_bloc(server, page, names,
                                                                 lang) -> None:
    page.goto(server["url"] + _localised(PAGES[3][1], lang))
    _wait_for_figures(page)
    nodes = page.locator("#fig-flows .sankey-node").all_text_contents()
    china = names[lang]["CHN"]
    assert any(china in node for node in nodes)
    assert any(names[lang]["JPN"] in node for node in nodes)  # a member on the right
    first = page.locator("#flows-table tbody tr").first
    assert china in first.locator("td").first.inner_text()
    assert first.locator("td.flag").get_attribute("data-value") == "true"  # of concern
    page.screenshot(path=str(ARTIFACTS / f"flows-{lang}.png"), full_page=True)
    assert page.errors == []


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_header_click_sorts_numerically_in_both_directions(server, page, lang) -> None:
    page.goto(server["url"] + _localised(PAGES[3][1], lang))
    column = _header_index(page, "flows-table", "quantity")
    header = page.locator("#flows-table thead th").nth(column)
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"  # numbers: largest first
    values = [float(v) for v in _column(page, "flows-table", column)]
    assert values == sorted(values, reverse=True)
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    values = [float(v) for v in _column(page, "flows-table", column)]
    assert values == sorted(values)
    texts = [str(v) for v in values]
    assert texts != sorted(texts)  # the order is numeric, not that of the text
    # a text column sorts by name; missing values stay last
    page.goto(server["url"] + _localised("/country/JPN", lang))
    reliance = _header_index(page, "deps-table", "import_reliance")
    page.locator("#deps-table thead th").nth(reliance).locator("button").click()
    cells = _column(page, "deps-table", reliance)
    present = [float(v) for v in cells if v]
    assert present == sorted(present, reverse=True)
    assert cells[:len(present)] == [v for v in cells if v]  # blanks at the end
    assert page.errors == []


def test_csv_download_holds_the_table_rows_with_raw_numbers(server, page, tmp_path) -> None:
    page.goto(server["url"] + "/country/JPN?lang=ar&digits=arabic")
    quantity = _header_index(page, "suppliers-table", "quantity")
    page.locator("#suppliers-table thead th").nth(quantity).locator("button").click()
    with page.expect_download() as download_info:
        page.click("button[data-csv-for='suppliers-table']")
    download = download_info.value
    assert download.suggested_filename == "JPN-suppliers.csv"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    text = target.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = page.eval_on_selector_all("#suppliers-table thead th",
                                       "ths => ths.map(t => t.dataset.col)")
    assert rows[0] == header == ["commodity", "exporter", "quantity", "unit", "share",
                                 "of_concern"]
    shown = page.eval_on_selector_all(
        "#suppliers-table tbody tr",
        "rows => rows.map(r => Array.from(r.cells).map(c => c.dataset.value ?? "
        "c.textContent.trim()))")
    assert rows[1:] == shown and len(shown) > 5
    numbers = [float(row[quantity]) for row in rows[1:]]  # raw, Latin, full precision
    assert numbers == sorted(numbers, reverse=True)
    assert any("الصين" in row[1] for row in rows[1:])  # names as the page shows them


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_no_horizontal_overflow_at_390_px(server, browser, lang) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        tab = context.new_page()
        for stem, path in PAGES:
            tab.goto(server["url"] + _localised(path, lang))
            if tab.locator("[data-figure]").count():
                _wait_for_figures(tab)
            overflow = tab.evaluate("document.documentElement.scrollWidth - "
                                    "document.documentElement.clientWidth")
            assert overflow <= 0, (stem, lang, overflow)
            if stem in ("country", "map-producers", "flows"):
                tab.screenshot(path=str(ARTIFACTS / f"{stem}-390-{lang}.png"), full_page=True)
    finally:
        context.close()
