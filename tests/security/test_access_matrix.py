"""Access control on every route, generated from the app's own route list.

Ownership model (docs/reliability.md): runs belong to the alliance, and each records the token
that started it. Any reader may read any run; only analysts may write (start runs, upload
scenarios or data), by bearer token or by a server-set session plus its CSRF header; only the
analyst who started a run may cancel it (DELETE); no route changes a stored run's results.
Token management answers the service's local admin key only.

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
          ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/assets/{name}"),
          ("POST", "/api/session"), ("GET", "/api/session"), ("DELETE", "/api/session")}
#: Routes only the local admin key may call (the CLI's token management).
ADMIN = {("GET", "/api/admin/tokens"), ("POST", "/api/admin/tokens"),
         ("DELETE", "/api/admin/tokens/{token_id}")}
#: Writes: an analyst only.
WRITES = {("POST", "/api/runs"), ("POST", "/api/scenarios/validate"),
          ("POST", "/api/data/validate"), ("DELETE", "/api/runs/{run_id}")}
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
            .replace("{iso3}", SAMPLE["iso3"]).replace("{token_id}", "deadbeef"))


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
        route = (method, path)
        assert route in PUBLIC | ADMIN | WRITES or method == "GET", \
            f"{method} {path}: a new kind of route needs a rule"
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
        if (method, path) in ADMIN:
            for who in ("viewer", "analyst"):
                answer = client.request(method, url, token=tokens[who], **extra)
                assert answer.status_code == 401, (method, path, who, answer.status_code)
        elif (method, path) in WRITES:
            viewer = client.request(method, url, token=tokens["viewer"], **extra)
            assert viewer.status_code == 403, (path, viewer.status_code)
            cookie = client.request(method, url, headers={"cookie":
                                                          f"paxsilica_token={tokens['analyst']}"},
                                    **extra)
            assert cookie.status_code == 401, (path, "a token in a cookie is not accepted")
        else:
            for who in ("viewer", "analyst"):
                ok = client.request(method, url, token=tokens[who],
                                    params={"format": "html"} if "report" in path
                                    else REQUIRED.get(path))
                assert ok.status_code < 400, (method, path, who, ok.status_code, ok.text[:200])


def test_writes_need_an_analyst_even_when_reads_are_open(tmp_path: Path) -> None:
    client, tokens = make_client(tmp_path, open_read=True)
    try:
        writes = {(m, p) for m, p in _routes(client.app) if m != "GET"} - PUBLIC - ADMIN
        assert writes == WRITES
        for method, path in sorted(writes):
            url, extra = _url(path, "000000000000"), _body(path) if method == "POST" else {}
            assert client.request(method, url, **extra).status_code == 401
            assert client.request(method, url, token="pxs_wrong", **extra).status_code == 401
            viewer = client.request(method, url, token=tokens["viewer"], **extra)
            assert viewer.status_code == 403, (method, path)
    finally:
        client.app.state.services.runs.shutdown()


def test_a_run_is_shared_and_only_its_owner_can_cancel_it(closed: Any, tmp_path: Path) -> None:
    """Analyst B reads analyst A's run but cannot cancel it; no other method reaches it."""
    from paxsilica.store.tokens import TokenStore

    client, tokens, run_id = closed
    with TokenStore.open(client.app.state.services.settings.db) as store:
        other, _ = store.create("analyst", "analyst B")
    run = client.get(f"/api/runs/{run_id}", token=other).json()
    assert run["status"] == "complete"
    for method in ("PUT", "PATCH", "POST"):
        answer = client.request(method, f"/api/runs/{run_id}", token=other)
        assert answer.status_code == 405, (method, answer.status_code)
    assert client.request("DELETE", f"/api/runs/{run_id}", token=other).status_code == 403
    owner = client.request("DELETE", f"/api/runs/{run_id}", token=tokens["analyst"])
    assert owner.status_code == 200 and owner.json()["status"] == "complete"  # already done
    with TokenStore.open(client.app.state.services.settings.db) as store:
        revoked, info = store.create("analyst", "revoked")
        store.revoke(info.token_id)
    assert client.get("/api/runs", token=revoked).status_code == 401
