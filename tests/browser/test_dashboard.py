"""The dashboard in Chromium: pages load cleanly, a run started from the page completes and
its fan chart appears, and the Arabic page is right to left with Arabic labels."""

from __future__ import annotations

import re

from .conftest import ARTIFACTS

FIGURE_TIMEOUT_MS = 20_000


def _wait_for_figures(page) -> int:
    """Wait until every embedded figure has been drawn; return how many there are."""
    count = page.locator("[data-figure]").count()
    page.wait_for_function(
        "n => document.querySelectorAll('[data-figure][data-drawn=\"1\"]').length === n",
        arg=count, timeout=FIGURE_TIMEOUT_MS)
    return count


def test_dashboard_pages_load_without_console_errors(server, page) -> None:
    shots = {"/": "overview-en.png", "/risk": "risk-en.png", "/scenarios": "scenarios-en.png"}
    for path, shot in shots.items():
        response = page.goto(server["url"] + path)
        assert response is not None and response.ok, path
        drawn = _wait_for_figures(page)
        if path == "/":
            assert drawn == 1  # the producers bar (the supply chain is SVG from the server)
            assert page.locator("#stack-diagram g.node").count() > 30
            assert page.locator("#fig-producers .bars path").count() > 0
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    assert page.locator("#risk-table").count() == 0  # we are on /scenarios now
    assert page.errors == []


def test_a_run_started_from_the_page_completes_and_shows_its_fan_chart(server, page) -> None:
    page.goto(server["url"] + "/scenarios")
    page.select_option("#scenario", "ree-export-controls")
    page.fill("#draws", "200")
    page.fill("#seed", "7")
    page.fill("#token", server["token"])
    page.click("#start-run")
    page.wait_for_url(re.compile(r".*/runs/[0-9a-f]{12}\?.*"), timeout=60_000)
    _wait_for_figures(page)
    fan = page.locator("#fig-fan-price")
    assert fan.locator(".main-svg").count() > 0
    # bands (filled areas) and the median line are drawn
    assert fan.locator(".scatterlayer .trace").count() == 5
    assert page.locator("#run-meta").get_attribute("data-status") == "complete"
    page.screenshot(path=str(ARTIFACTS / "run-en.png"), full_page=True)
    run_url = page.url
    page.goto(run_url.replace("lang=en", "lang=ar").replace("digits=latin", "digits=arabic"))
    _wait_for_figures(page)
    ticks = " ".join(page.locator("#fig-fan-price .xtick text").all_text_contents())
    assert re.search("[٠-٩]", ticks) and not re.search("[0-9]", ticks)
    page.screenshot(path=str(ARTIFACTS / "run-ar.png"), full_page=True)
    assert page.errors == []


def test_the_arabic_page_is_rtl_with_arabic_labels(server, page) -> None:
    page.goto(server["url"] + "/?lang=ar&digits=arabic")
    _wait_for_figures(page)
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    nav = page.locator("nav").inner_text()
    assert "نظرة عامة" in nav and "السيناريوهات" in nav
    assert "Overview" not in nav
    assert "من ينتج" in page.locator("#fig-producers-title").text_content()
    page.screenshot(path=str(ARTIFACTS / "overview-ar.png"), full_page=True)
    page.goto(server["url"] + "/risk?lang=ar&digits=arabic")
    header = page.locator("#risk-table thead").inner_text()
    assert "السلعة" in header
    # the first column sits at the right edge in a right-to-left table
    first = page.locator("#risk-table thead th").first.bounding_box()
    last = page.locator("#risk-table thead th").last.bounding_box()
    assert first["x"] > last["x"]
    page.screenshot(path=str(ARTIFACTS / "risk-ar.png"), full_page=True)
    assert page.errors == []
