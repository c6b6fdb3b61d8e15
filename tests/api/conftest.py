"""In-process clients of the service (httpx.ASGITransport), a fresh store per test."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from paxsilica.api.app import create_app
from paxsilica.api.settings import Settings
from paxsilica.store.tokens import TokenStore


class Client:
    """A synchronous face over httpx.AsyncClient + ASGITransport (one event loop per call)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, method: str, url: str, token: str | None = None, **kwargs: Any
                ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"

        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.request(method, url, headers=headers, **kwargs)

        # A worker thread has no running event loop even when the caller's thread has one
        # (Playwright's sync API leaves one running for the session).
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, go()).result()

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def wait(self, run_id: str, timeout: float = 60.0) -> dict[str, Any]:
        """Poll the run until it leaves 'running'."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = self.get(f"/api/runs/{run_id}").json()
            if body["status"] != "running":
                return body
            time.sleep(0.1)
        raise AssertionError(f"run {run_id} did not finish in {timeout} s")


def make_client(tmp_path: Path, **overrides: Any) -> tuple[Client, dict[str, str]]:
    """A service on a fresh store with one analyst and one viewer token. Its runs execute on
    a Dask LocalCluster of threads (``run_processes=False``: starts in well under a second;
    tests/api/test_service_runs.py covers worker processes), and it answers the Host
    ``test`` that the in-process client sends."""
    overrides = {"allowed_hosts": ("test", "localhost"), "run_processes": False,
                 "max_runs_per_token": 8, **overrides}
    settings = Settings(db=tmp_path / "runs.duckdb", **overrides)
    with TokenStore.open(settings.db) as tokens:
        analyst, _ = tokens.create("analyst", "test analyst")
        viewer, _ = tokens.create("viewer", "test viewer")
    app = create_app(settings)
    return Client(app), {"analyst": analyst, "viewer": viewer}


@pytest.fixture
def api(tmp_path: Path) -> Any:
    client, tokens = make_client(tmp_path)
    yield client, tokens
    client.app.state.services.runs.shutdown()
