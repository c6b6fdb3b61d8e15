"""The dashboard and /docs under the service's Content-Security-Policy, offline (issue 14).

Every request the page makes outside the service is aborted, so a CDN dependency shows up as
a failed request; CSP violations show up as console errors.
"""

from __future__ import annotations

from typing import Any

import httpx

PAGES = ("/", "/risk", "/map", "/flows", "/country?iso3=JPN", "/scenarios", "/runs", "/compare",
         "/builder", "/controls")


def _offline(page: Any, base: str) -> list[str]:
    """Abort every request that leaves the service; return the list of those tried."""
    outside: list[str] = []

    def route(request_route: Any) -> None:
        if request_route.request.url.startswith(base):
            request_route.continue_()
        else:
            outside.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    return outside


def test_every_page_satisfies_the_csp_offline(server: dict[str, Any], page: Any) -> None:
    outside = _offline(page, server["url"])
    for path in PAGES:
        response = page.goto(server["url"] + path)
        assert response is not None and response.ok, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        drawn = page.evaluate("document.querySelectorAll('[data-figure]').length")
        if drawn:
            page.wait_for_function(
                "n => document.querySelectorAll('[data-figure][data-drawn=\"1\"]').length === n",
                arg=drawn, timeout=20_000)
    violations = [text for text in page.errors if "Content Security Policy" in text]
    assert violations == [] and page.errors == [], page.errors
    assert outside == []


def test_docs_render_offline_under_the_csp(server: dict[str, Any], page: Any) -> None:
    outside = _offline(page, server["url"])
    page.goto(server["url"] + "/docs")
    page.wait_for_selector(".opblock", timeout=20_000)  # Swagger UI drew the operations
    assert page.locator(".opblock").count() > 10
    assert page.errors == [] and outside == []


def test_plotly_is_the_partial_bundle_and_gzipped(server: dict[str, Any]) -> None:
    raw = httpx.get(server["url"] + "/assets/plotly.js", headers={"Accept-Encoding": "identity"})
    assert raw.status_code == 200 and raw.headers.get("content-encoding") is None
    assert len(raw.content) < 1_600_000  # the full bundle is 4.8 MB
    assert b"core (scatter) + bar + sankey" in raw.content[:300]
    with httpx.Client() as client:
        packed = client.get(server["url"] + "/assets/plotly.js",
                            headers={"Accept-Encoding": "gzip"})
    assert packed.headers.get("content-encoding") == "gzip"
    assert int(packed.headers["content-length"]) < 500_000
    assert packed.content == raw.content  # httpx decoded the gzip body
