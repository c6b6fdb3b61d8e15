"""One test per finding of issue 14 that the in-process client can show (each failed on the
first release: see the comment on each). Runs here execute on a Dask LocalCluster of
threads (tests/api/conftest.py), so a monkeypatched engine call is seen by the worker.

The real-process findings (runs in worker processes, the CLI while the service runs) are in
tests/api/test_service_shared.py; the browser ones (CSP, offline docs) in
tests/browser/test_csp.py.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from paxsilica import workflows
from paxsilica.errors import ScenarioError
from tests.api.conftest import make_client


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Runs block in the worker until the event is set (then compute for real)."""
    release = threading.Event()
    real = workflows.simulate_with_parameters

    def held(*args: Any, **kwargs: Any) -> Any:
        release.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(workflows, "simulate_with_parameters", held)
    yield release
    release.set()


def _service(tmp_path: Path, **overrides: Any) -> Any:
    client, tokens = make_client(tmp_path, **overrides)
    return client, tokens


def _run(client: Any, token: str, **body: Any) -> httpx.Response:
    return client.post("/api/runs", token=token,
                       json={"scenario": "baseline", "draws": 20, "seed": 1, **body})


def test_yaml_parsing_does_not_hold_the_event_loop(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # first release: /api/scenarios/validate parsed on the event loop; a 683 kB document
    # held /api/health for 1.2 s. Here the parse blocks until health has answered.
    client, tokens = _service(tmp_path)
    parsing, answered = threading.Event(), threading.Event()
    released: list[bool] = []

    def slow(text: str, ds: Any, file: str = "upload.yaml") -> Any:
        parsing.set()
        # on the event loop this wait cannot end early: health is not answered meanwhile
        released.append(answered.wait(3))
        raise ScenarioError("stopped by the test", file=file)

    monkeypatch.setattr(workflows, "scenario_from_text", slow)

    async def both() -> tuple[int, float, int]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            upload = asyncio.create_task(http.post(
                "/api/scenarios/validate", content="name: x\n",
                headers={"Authorization": f"Bearer {tokens['analyst']}"}))
            while not parsing.is_set():
                await asyncio.sleep(0.01)
            started = time.perf_counter()
            health = await asyncio.wait_for(http.get("/api/health"), 5)
            took = time.perf_counter() - started
            answered.set()
            return health.status_code, took, (await upload).status_code

    try:
        status, took, upload = asyncio.run(both())
    finally:
        answered.set()
        client.app.state.services.runs.shutdown()
    assert released == [True], "health was not answered while the upload was parsed"
    assert status == 200 and took < 2.0
    assert upload == 422


def test_a_burst_of_runs_is_limited_per_token(tmp_path: Path, gate: threading.Event) -> None:
    # first release: 30 POST /api/runs in a burst were all accepted
    client, tokens = _service(tmp_path, max_runs_per_token=2)
    try:
        answers = [_run(client, tokens["analyst"], seed=k) for k in range(5)]
        assert [a.status_code for a in answers] == [202, 202, 429, 429, 429]
        refused = answers[2]
        assert refused.json()["error"] == "QuotaError" and int(refused.headers["Retry-After"]) > 0
        assert "cancel" in refused.json()["message"]
        assert len(client.get("/api/runs").json()) == 2  # nothing refused was registered
        from paxsilica.store.tokens import TokenStore

        with TokenStore.open(client.app.state.services.settings.db) as store:
            other, _ = store.create("analyst", "analyst B")
        assert _run(client, other).status_code == 202  # the limit is per token
    finally:
        gate.set()
        client.app.state.services.runs.shutdown()


def test_a_run_too_large_for_memory_is_refused_up_front_with_what_fits(tmp_path: Path) -> None:
    # first release: 20,000 draws x 240 months was accepted (minutes, several GB)
    # a small memory limit, so that the run the advice names is quick to compute here
    client, tokens = _service(tmp_path, max_draws=50_000, max_run_memory_mb=300)
    document = "name: long\ntitle: Long\nhorizon_months: 240\n"
    try:
        large = client.post("/api/runs", token=tokens["analyst"],
                            json={"yaml": document, "draws": 20_000, "seed": 1})
        assert large.status_code == 422
        body = large.json()
        assert body["error"] == "TooLargeError" and "at most" in body["message"]
        memory = client.post("/api/runs", token=tokens["analyst"],
                             json={"yaml": document, "draws": 4_000, "seed": 1})
        assert memory.status_code == 422 and "MiB" in memory.json()["message"]
        # the advice is right: the largest draws it names are accepted
        fit = int(memory.json()["message"].split("at most ")[1].split(" draws")[0]
                  .replace(",", ""))
        assert 0 < fit < 4_000
        accepted = client.post("/api/runs", token=tokens["analyst"],
                               json={"yaml": document, "draws": fit, "seed": 1})
        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["estimated_memory_mib"] <= 300
        over = client.post("/api/runs", token=tokens["analyst"],
                           json={"yaml": document, "draws": fit + 1, "seed": 1})
        assert over.status_code == 422
        assert [r["draws"] for r in client.get("/api/runs").json()] == [fit]
    finally:
        client.app.state.services.runs.shutdown()


def test_runs_can_be_cancelled_by_their_owner_and_record_it(tmp_path: Path,
                                                             gate: threading.Event) -> None:
    # first release: DELETE /api/runs/{id} answered 405 and no run recorded who started it
    client, tokens = _service(tmp_path, run_workers=1)
    try:
        first = _run(client, tokens["analyst"]).json()["run_id"]
        second = _run(client, tokens["analyst"], seed=2).json()["run_id"]
        progress = client.get(f"/api/runs/{second}").json()["progress"]
        assert progress["phase"] == "queued" and progress["queue_position"] == 1
        listed = {r["run_id"]: r for r in client.get("/api/runs").json()}
        assert listed[first]["owner"] == "test analyst"
        assert client.request("DELETE", f"/api/runs/{second}",
                              token=tokens["viewer"]).status_code == 403
        queued = client.request("DELETE", f"/api/runs/{second}", token=tokens["analyst"])
        assert queued.status_code == 200 and queued.json()["status"] == "cancelled"
        running = client.request("DELETE", f"/api/runs/{first}", token=tokens["analyst"])
        assert running.json()["status"] == "cancelled"
        gate.set()
        time.sleep(0.5)  # a finished computation must not overwrite the cancel
        for run_id in (first, second):
            run = client.get(f"/api/runs/{run_id}").json()
            assert run["status"] == "cancelled" and run["progress"]["phase"] == "cancelled"
        record = client.get(f"/api/runs/{first}/record").json()
        assert record["owner_name"] == "test analyst" and "cancelled by" in record["error"]
        # the quota is free again: the token may start two more
        assert _run(client, tokens["analyst"], seed=3).status_code == 202
        unknown = client.request("DELETE", "/api/runs/000000000000", token=tokens["analyst"])
        assert unknown.status_code == 404
    finally:
        gate.set()
        client.app.state.services.runs.shutdown()


def test_no_answer_names_a_file_system_path(tmp_path: Path) -> None:
    # first release: /api/health and 404 messages showed the database's absolute path
    client, tokens = _service(tmp_path)
    try:
        answers = [client.get("/api/health"), client.get("/api/runs/000000000000"),
                   client.get("/api/runs/000000000000/fans"),
                   client.get("/api/runs/000000000000/record"),
                   client.get("/runs/000000000000"), client.get("/nowhere"),
                   client.post("/api/data/validate", token=tokens["analyst"],
                               content=b"not a zip")]
        for answer in answers:
            assert str(tmp_path) not in answer.text and "duckdb" not in answer.text, answer.text
        assert answers[1].status_code == 404 and answers[4].status_code == 404
    finally:
        client.app.state.services.runs.shutdown()


def test_security_headers_and_host_allowlist(tmp_path: Path) -> None:
    # first release: no CSP, X-Frame-Options, nosniff or Referrer-Policy; any Host accepted
    client, _ = _service(tmp_path)
    try:
        for url in ("/", "/api/health", "/docs", "/static/app.js"):
            headers = client.get(url).headers
            csp = headers["content-security-policy"]
            assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, url
            assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
            assert headers["x-frame-options"] == "DENY"
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "no-referrer"
        rebound = client.get("/api/runs", headers={"Host": "attacker.example"})
        assert rebound.status_code == 400 and rebound.json()["error"] == "BadHost"
        assert client.get("/api/health", headers={"Host": "localhost:8000"}).status_code == 200
    finally:
        client.app.state.services.runs.shutdown()


def test_sessions_are_http_only_cookies_set_by_the_server(tmp_path: Path) -> None:
    # first release: the token sat in localStorage and in a cookie written by JavaScript
    client, tokens = _service(tmp_path, open_read=False)
    try:
        assert client.post("/api/session", json={"token": "pxs_wrong"}).status_code == 401
        signed = client.post("/api/session", json={"token": tokens["analyst"]})
        cookies = signed.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("paxsilica_session="))
        assert "HttpOnly" in session and "SameSite=strict" in session
        assert tokens["analyst"] not in " ".join(cookies)  # the cookie is not the token
        csrf = next(c for c in cookies if c.startswith("paxsilica_csrf="))
        jar = "; ".join(c.split(";")[0] for c in cookies)
        value = csrf.split(";")[0].split("=", 1)[1]
        who = client.get("/api/session", headers={"Cookie": jar}).json()
        assert who["signed_in"] and who["role"] == "analyst"
        started = client.post("/api/runs", json={"scenario": "baseline", "draws": 5},
                              headers={"Cookie": jar, "X-CSRF-Token": value})
        assert started.status_code == 202, started.text
        out = client.request("DELETE", "/api/session", headers={"Cookie": jar})
        assert out.status_code == 200
        assert client.get("/api/runs", headers={"Cookie": jar}).status_code == 401
        app_js = client.get("/static/app.js").text
        assert "localStorage" not in app_js and "Bearer" not in app_js
    finally:
        client.app.state.services.runs.shutdown()


def test_tokens_expire_and_a_revoked_token_ends_its_sessions(tmp_path: Path) -> None:
    # first release: tokens never expired
    from paxsilica.store.tokens import TokenStore

    client, _ = _service(tmp_path, open_read=False)
    db = client.app.state.services.settings.db
    try:
        with TokenStore.open(db) as store:
            brief, _ = store.create("viewer", "brief", lifetime_days=1 / 86400)  # one second
            kept, info = store.create("viewer", "kept")
        assert client.get("/api/runs", token=brief).status_code == 200
        time.sleep(1.2)
        assert client.get("/api/runs", token=brief).status_code == 401
        signed = client.post("/api/session", json={"token": kept})
        jar = "; ".join(c.split(";")[0] for c in signed.headers.get_list("set-cookie"))
        assert client.get("/api/runs", headers={"Cookie": jar}).status_code == 200
        with TokenStore.open(db) as store:
            store.revoke(info.token_id)
        assert client.get("/api/runs", headers={"Cookie": jar}).status_code == 401
    finally:
        client.app.state.services.runs.shutdown()


def test_answers_are_gzipped_and_docs_need_no_cdn(tmp_path: Path) -> None:
    # first release: /docs loaded Swagger UI from a CDN; 4.8 MB of plotly.js uncompressed
    client, _ = _service(tmp_path)
    try:
        docs = client.get("/docs").text
        assert "cdn" not in docs.lower() and "<script>" not in docs  # no inline script
        for src in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css",
                    "/static/docs.js"):
            assert src in docs and client.get(src).status_code == 200
        assert client.get("/docs/assets/..%2F..%2Fapp.py").status_code == 404
        plotly = client.get("/assets/plotly.js", headers={"Accept-Encoding": "gzip"})
        assert plotly.headers["content-encoding"] == "gzip"
        assert len(plotly.content) < 1_600_000  # decoded size: the partial bundle
    finally:
        client.app.state.services.runs.shutdown()


def test_runs_go_to_an_existing_dask_scheduler(tmp_path: Path) -> None:
    # --scheduler tcp://HOST:PORT: the service submits to a cluster it did not start
    import distributed

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  protocol="tcp", host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0") as cluster:
        client, tokens = _service(tmp_path, scheduler=cluster.scheduler_address)
        try:
            assert client.app.state.services.runs.executor.slots() == 1
            run_id = _run(client, tokens["analyst"]).json()["run_id"]
            run = client.wait(run_id)
            assert run["status"] == "complete", run
            assert run["progress"]["phase_s"]["simulating"] > 0
        finally:
            client.app.state.services.runs.shutdown()
        assert cluster.scheduler_address  # the service left the cluster running
        assert len(cluster.workers) == 1
