"""A real ``paxsilica serve`` (its own process, a Dask LocalCluster of worker processes) and
the CLI next to it on the same database (issue 14).

First release: runs computed in threads of the web process, and while the service ran,
``paxsilica runs list``, ``report RUN --db <same file>`` and ``tokens ...`` failed on DuckDB's
lock, so revoking a token needed downtime.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from paxsilica.cli.main import app
from paxsilica.store.endpoint import endpoint_path
from paxsilica.store.tokens import TokenStore
from tests.conftest import free_port


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("shared")
    db = folder / "runs.duckdb"
    with TokenStore.open(db) as tokens:
        analyst, _ = tokens.create("analyst", "analyst A")
    port = free_port()
    log = (folder / "serve.log").open("w")
    code = "from paxsilica.cli.main import app; app()"
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", "--port", str(port),
                             "--db", str(db)], stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "PAXSILICA_RUN_WORKERS": "1"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                time.sleep(1.0)  # the endpoint file is written during start-up
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        proc.terminate()
        raise RuntimeError((folder / "serve.log").read_text())
    yield {"url": url, "db": db, "analyst": analyst, "pid": proc.pid, "folder": folder}
    proc.terminate()
    proc.wait(timeout=30)
    log.close()
    assert not endpoint_path(db).exists()  # the service removes its endpoint on the way out


def _wait(url: str, run_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = httpx.get(f"{url}/api/runs/{run_id}", timeout=30).json()
        if run["status"] != "running":
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish")


def test_runs_compute_in_a_worker_process_not_the_web_process(service: dict[str, Any]) -> None:
    answer = httpx.post(f"{service['url']}/api/runs", timeout=60,
                        headers={"Authorization": f"Bearer {service['analyst']}"},
                        json={"scenario": "ree-export-controls", "draws": 50, "seed": 4})
    assert answer.status_code == 202, answer.text
    run = _wait(service["url"], answer.json()["run_id"])
    assert run["status"] == "complete", run
    service["run_id"] = answer.json()["run_id"]  # for the CLI test
    worker = run["meta"]["worker"]
    assert int(worker.rsplit(":", 1)[1]) != service["pid"]


def test_the_endpoint_file_is_private(service: dict[str, Any]) -> None:
    mode = stat.S_IMODE(endpoint_path(service["db"]).stat().st_mode)
    assert mode == 0o600
    data = json.loads(endpoint_path(service["db"]).read_text())
    assert data["url"] == service["url"] and data["admin_key"].startswith("pxa_")
    # the admin key manages tokens but cannot start runs
    admin = {"Authorization": f"Bearer {data['admin_key']}"}
    assert httpx.post(f"{service['url']}/api/runs", headers=admin,
                      json={"scenario": "baseline"}).status_code == 403


def test_the_cli_works_while_the_service_owns_the_database(service: dict[str, Any]) -> None:
    runner = CliRunner()
    db, url = str(service["db"]), service["url"]
    run_id = service.get("run_id")
    if run_id is None:
        pytest.skip("needs the run of the first test")
    listed = runner.invoke(app, ["runs", "list", "--db", db, "--format", "json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [r["run_id"] for r in rows] == [run_id] and rows[0]["owner"] == "analyst A"
    shown = runner.invoke(app, ["runs", "show", run_id, "--db", db, "--format", "json"])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["metrics"]
    out = service["folder"] / "report.html"
    report = runner.invoke(app, ["report", run_id, "--db", db, "--out", str(out)])
    assert report.exit_code == 0, report.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

    made = runner.invoke(app, ["tokens", "create", "--role", "viewer", "--name", "guest",
                               "--expires-in", "2", "--db", db])
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[-1]
    reader = {"Authorization": f"Bearer {secret}"}
    assert httpx.get(f"{url}/api/session", headers=reader).status_code == 200
    listing = runner.invoke(app, ["tokens", "list", "--db", db])
    line = next(row for row in listing.stdout.splitlines() if row.endswith("guest"))
    token_id = line.split()[0]
    assert " live " in line
    signed = httpx.post(f"{url}/api/session", json={"token": secret})
    assert signed.status_code == 200
    revoked = runner.invoke(app, ["tokens", "revoke", token_id, "--db", db])
    assert revoked.exit_code == 0, revoked.output
    # at once, without a restart: the token and the session opened with it are refused
    reader_runs = httpx.post(f"{url}/api/session", json={"token": secret})
    assert reader_runs.status_code == 401
    assert httpx.get(f"{url}/api/session", cookies=signed.cookies).json() == {
        "signed_in": False}


def test_serve_warns_on_every_interface_and_passes_tls_to_uvicorn(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    for key in ("PAXSILICA_ALLOWED_HOSTS", "PAXSILICA_SERVICE_URL", "PAXSILICA_SECURE_COOKIES",
                "PAXSILICA_DB", "PAXSILICA_OPEN_READ"):
        monkeypatch.delenv(key, raising=False)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    result = CliRunner().invoke(app, [
        "serve", "--host", "0.0.0.0", "--db", str(tmp_path / "r.duckdb"),
        "--allowed-host", "pax.example.org", "--ssl-certfile", str(cert),
        "--ssl-keyfile", str(key)])
    assert result.exit_code == 0, result.output
    assert "every network interface" in result.output
    assert seen["ssl_certfile"] == str(cert) and seen["ssl_keyfile"] == str(key)
    assert os.environ["PAXSILICA_SECURE_COOKIES"] == "1"
    assert "pax.example.org" in os.environ["PAXSILICA_ALLOWED_HOSTS"].split(",")
    assert os.environ["PAXSILICA_SERVICE_URL"].startswith("https://127.0.0.1:")
    half = CliRunner().invoke(app, ["serve", "--ssl-certfile", str(cert),
                                    "--db", str(tmp_path / "r.duckdb")])
    assert half.exit_code == 2 and "both" in half.output
    quiet = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "r.duckdb")])
    assert "every network interface" not in quiet.output and seen["ssl_certfile"] is None


def test_cancelling_a_computing_run_restarts_its_worker(service: dict[str, Any]) -> None:
    url, auth = service["url"], {"Authorization": f"Bearer {service['analyst']}"}
    first = httpx.post(f"{url}/api/runs", headers=auth, timeout=60,
                       json={"scenario": "baseline", "draws": 20, "seed": 1}).json()
    before = _wait(url, first["run_id"])["meta"]["worker"]
    long = httpx.post(f"{url}/api/runs", headers=auth, timeout=60,
                      json={"scenario": "ree-export-controls", "draws": 6000, "seed": 2})
    assert long.status_code == 202, long.text
    run_id = long.json()["run_id"]
    deadline = time.monotonic() + 60
    while httpx.get(f"{url}/api/runs/{run_id}").json()["progress"]["phase"] != "simulating":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(0.5)
    cancelled = httpx.delete(f"{url}/api/runs/{run_id}", headers=auth, timeout=60)
    assert cancelled.json()["status"] == "cancelled"
    after = httpx.post(f"{url}/api/runs", headers=auth, timeout=60,
                       json={"scenario": "baseline", "draws": 20, "seed": 3}).json()
    run = _wait(url, after["run_id"])
    assert run["status"] == "complete"
    assert run["meta"]["worker"] != before  # a fresh worker process took over
    assert httpx.get(f"{url}/api/runs/{run_id}").json()["status"] == "cancelled"
