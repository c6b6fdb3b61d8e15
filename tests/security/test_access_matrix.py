"""Access control on every route, generated from the app's own route list.

Ownership model (docs/reliability.md): runs belong to the alliance, not to a user. Any reader
may read any run; only analyst tokens, presented in the Authorization header, may write
(start runs, upload scenarios or data); no route changes or deletes a stored run. So "another
user's run" is readable by every valid token and writable by none.

Routes come from ``app.openapi()`` plus the dashboard routes hidden from it, and the test
fails if a route is neither classified as a read nor as a write, so a new route cannot be
forgotten.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import make_client

#: Routes anyone may call, whatever the read setting (liveness and static assets).
PUBLIC = {("GET", "/api/health"), ("GET", "/assets/plotly.js"), ("GET", "/favicon.ico"),
          ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"),
          ("GET", "/redoc")}
SAMPLE = {"run_id": "RUNID", "name": "baseline", "iso3": "JPN"}
#: Query parameters a route requires (it answers 422 without them).
REQUIRED = {"/api/trade/flows": {"commodity": "graphite_mining"},
            "/api/production": {"commodity": "graphite_mining"}}


def _routes(app: Any) -> list[tuple[str, str]]:
    found = set()
    for path, methods in app.openapi()["paths"].items():
        found |= {(m.upper(), path) for m in methods}
    pending = list(app.routes)  # pages are include_in_schema=False: walk the routers too
    while pending:
        route = pending.pop()
        included = getattr(route, "original_router", None)  # FastAPI's included routers
        if included is not None:
            pending += included.routes
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD" and isinstance(getattr(route, "path", None), str):
                found.add((method, route.path))
    return sorted(found)


def _url(path: str, run_id: str) -> str:
    return (path.replace("{run_id}", run_id).replace("{name}", SAMPLE["name"])
            .replace("{iso3}", SAMPLE["iso3"]))


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A service with closed reads, one complete run started by analyst A."""
    client, tokens = make_client(tmp_path_factory.mktemp("closed"), open_read=False)
    started = client.post("/api/runs", token=tokens["analyst"],
                          json={"scenario": "baseline", "draws": 20, "seed": 1})
    run_id = started.json()["run_id"]
    assert client.app.state.services.runs.wait(run_id, 120) == "complete"
    yield client, tokens, run_id
    client.app.state.services.runs.shutdown()


def test_every_route_is_classified(closed: Any) -> None:
    client, _, _ = closed
    for method, path in _routes(client.app):
        assert method in ("GET", "POST"), f"{method} {path}: a new kind of route needs a rule"
        assert path.startswith(("/api/", "/static")) or (method, path) in PUBLIC \
            or method == "GET", f"{method} {path} is not classified"
    paths = {path for _, path in _routes(client.app)}
    assert {"/", "/runs/{run_id}", "/api/runs/{run_id}/report"} <= paths  # pages and API


def _body(path: str) -> dict[str, Any]:
    if path == "/api/runs":
        return {"json": {"scenario": "baseline", "draws": 5, "seed": 1}}
    if path == "/api/scenarios/validate":
        return {"content": b"name: x\ntitle: y\n"}
    return {"content": b"PK\x05\x06" + b"\0" * 18}  # an empty zip


def test_no_route_answers_without_a_valid_token_when_reads_are_closed(closed: Any) -> None:
    client, tokens, run_id = closed
    for method, path in _routes(client.app):
        if (method, path) in PUBLIC or path.startswith("/static"):
            continue
        url = _url(path, run_id)
        extra = _body(path) if method == "POST" else {}
        for token in (None, "pxs_wrong", "", tokens["analyst"] + "x", "Basic abc"):
            answer = client.request(method, url, token=token, **extra)
            assert answer.status_code == 401, (method, path, token, answer.status_code)
        if method == "POST":
            viewer = client.request(method, url, token=tokens["viewer"], **extra)
            assert viewer.status_code == 403, (path, viewer.status_code)
            cookie = client.request(method, url, headers={"cookie":
                                                          f"paxsilica_token={tokens['analyst']}"},
                                    **extra)
            assert cookie.status_code == 401, (path, "a cookie never authorises a write")
        else:
            for who in ("viewer", "analyst"):
                ok = client.request(method, url, token=tokens[who],
                                    params={"format": "html"} if "report" in path
                                    else REQUIRED.get(path))
                assert ok.status_code < 400, (method, path, who, ok.status_code, ok.text[:200])


def test_writes_need_an_analyst_even_when_reads_are_open(tmp_path: Path) -> None:
    client, tokens = make_client(tmp_path, open_read=True)
    try:
        posts = [p for m, p in _routes(client.app) if m == "POST"]
        assert set(posts) == {"/api/runs", "/api/scenarios/validate", "/api/data/validate"}
        for path in posts:
            assert client.post(path, **_body(path)).status_code == 401
            assert client.post(path, token="pxs_wrong", **_body(path)).status_code == 401
            assert client.post(path, token=tokens["viewer"], **_body(path)).status_code == 403
    finally:
        client.app.state.services.runs.shutdown()


def test_a_run_is_shared_and_no_token_can_change_it(closed: Any, tmp_path: Path) -> None:
    """Analyst B reads analyst A's run; no method other than GET reaches a run's URL."""
    from paxsilica.store.tokens import TokenStore

    client, _, run_id = closed
    with TokenStore.open(client.app.state.services.settings.db) as store:
        other, _ = store.create("analyst", "analyst B")
    assert client.get(f"/api/runs/{run_id}", token=other).json()["status"] == "complete"
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        answer = client.request(method, f"/api/runs/{run_id}", token=other)
        assert answer.status_code == 405, (method, answer.status_code)
    with TokenStore.open(client.app.state.services.settings.db) as store:
        revoked, info = store.create("analyst", "revoked")
        store.revoke(info.token_id)
    assert client.get("/api/runs", token=revoked).status_code == 401
