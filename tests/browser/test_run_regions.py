"""The run page's region selector in Chromium: choosing another region shows its table."""

from __future__ import annotations

import re
import time

import httpx

from paxsilica import workflows

from .conftest import ARTIFACTS


def _countries_run(server) -> str:
    """A small complete run of the REE controls on the countries region map."""
    headers = {"Authorization": f"Bearer {server['token']}"}
    answer = httpx.post(f"{server['url']}/api/runs", headers=headers, timeout=30, json={
        "scenario": "ree-export-controls", "draws": 40, "seed": 5, "regions": "countries"})
    assert answer.status_code == 202, answer.text
    run_id = answer.json()["run_id"]
    deadline, status = time.monotonic() + 120, "running"
    while status == "running" and time.monotonic() < deadline:
        time.sleep(0.3)
        status = httpx.get(f"{server['url']}/api/runs/{run_id}", timeout=10).json()["status"]
    assert status == "complete"
    return run_id


def _cells(page) -> list[str]:
    return page.locator("#region-table tbody td.num").evaluate_all(
        "cells => cells.map(cell => cell.dataset.value)")


def test_switching_the_region_selector_shows_that_regions_table(server, page) -> None:
    run_id = _countries_run(server)
    names = workflows.load().countries.set_index("iso3")["name_en"]
    page.goto(f"{server['url']}/runs/{run_id}?lang=en&digits=latin&region=JPN")
    table = page.locator("#region-table")
    assert table.get_attribute("data-region") == "JPN"
    assert page.locator("#region option:checked").inner_text() == names["JPN"]
    japan = _cells(page)
    page.select_option("#region", "CHN")  # app.js submits the form on change
    page.wait_for_url(re.compile(r".*[?&]region=CHN.*"), timeout=20_000)
    assert page.locator("#region-table").get_attribute("data-region") == "CHN"
    assert names["CHN"] in page.locator("#region-view").inner_text()
    china = _cells(page)
    page.wait_for_selector('#fig-region-price[data-drawn="1"]', timeout=20_000)
    assert page.locator("#fig-region-price .bars path").count() > 0
    assert len(china) == len(japan) and china != japan
    # the comparison kept its members, and the page kept its language
    assert page.locator("#compare-table thead th[data-region]").count() >= 2
    assert "lang=en" in page.url
    page.screenshot(path=str(ARTIFACTS / "run-regions-en.png"), full_page=True)
    arabic = workflows.load().countries.set_index("iso3")["name_ar"]
    page.goto(page.url.replace("lang=en", "lang=ar") + "#region-view")
    assert page.locator("#region option:checked").inner_text() == arabic["CHN"]
    assert page.evaluate("getComputedStyle(document.querySelector('#region-table')).direction"
                         ) == "rtl"
    page.locator("#region-view").screenshot(path=str(ARTIFACTS / "run-regions-ar.png"))
    assert page.errors == []
