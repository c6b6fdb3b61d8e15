"""/spof in Chromium on the embedded data: the marked stack, no sideways scroll on a phone, no
console errors, in English and Arabic. Screenshots: artifacts/spof-{1400,390}-{en,ar}.png."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import ARTIFACTS


@pytest.fixture(scope="module")
def warm(server: dict[str, Any]) -> str:
    """The page once, so the service's N-1 sweep (tens of seconds on 2 cores) is cached
    before the browser, with its 30 s navigation timeout, asks for it."""
    answer = httpx.get(f"{server['url']}/spof", timeout=300)
    assert answer.status_code == 200
    return server["url"]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_spof_page_marks_the_top_nodes_on_the_stack_and_fits_a_phone(warm, browser,
                                                                     lang) -> None:
    query = "?lang=ar&digits=arabic" if lang == "ar" else ""
    for width, height in ((1400, 900), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height})
        tab = context.new_page()
        errors: list[str] = []
        tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        assert tab.goto(f"{warm}/spof{query}").ok
        marked = tab.locator("#spof-diagram g.spof-mark")
        assert 1 <= marked.count() <= 10
        ranks = sorted(int(r) for r in marked.evaluate_all(
            "nodes => nodes.map(n => n.dataset.rank)"))
        assert ranks[0] == 1  # the worst node's input is outlined
        outline = marked.first.locator("rect").first.bounding_box()
        assert outline is not None and outline["height"] > 0
        scroll = tab.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
        assert scroll[0] <= scroll[1], f"{lang} {width}px scrolls sideways: {scroll}"
        tab.screenshot(path=str(ARTIFACTS / f"spof-{width}-{lang}.png"), full_page=True)
        assert errors == []
        context.close()
