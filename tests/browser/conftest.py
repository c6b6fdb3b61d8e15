"""A real server (uvicorn on 127.0.0.1, a free port) and Debian's Chromium driven by Playwright.

Skipped, with the reason, only when /usr/bin/chromium is absent (``.ci/run`` installs it with
apt-get; Playwright never downloads a browser here). Screenshots go to tests/browser/artifacts/.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from paxsilica.store.tokens import TokenStore
from tests.conftest import free_port

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]

if not CHROMIUM.exists():
    pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} "
                "(apt-get install -y chromium)", allow_module_level=True)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Start ``uvicorn paxsilica.api.app:app_from_env`` and yield its URL and a token."""
    folder = tmp_path_factory.mktemp("server")
    db = folder / "runs.duckdb"
    with TokenStore.open(db) as tokens:
        analyst, _ = tokens.create("analyst", "browser test")
    port = free_port()
    env = {**os.environ, "PAXSILICA_DB": str(db), "PAXSILICA_OPEN_READ": "1"}
    log = (folder / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "paxsilica.api.app:app_from_env", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        proc.terminate()
        raise RuntimeError(f"server did not start: {(folder / 'server.log').read_text()}")
    try:
        yield {"url": url, "token": analyst}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that records console errors and uncaught exceptions in ``page.errors``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.errors = errors
    ARTIFACTS.mkdir(exist_ok=True)
    yield tab
    context.close()
