"""Known attacks on the service, each refused with a 4xx and no side effect.

Path traversal in every file-like name (scenario names, run ids, report paths, zip member
names), files of the server's working directory named as scenarios, YAML bombs and unsafe
tags posted as scenarios, zip bombs, oversized bodies (declared and streamed), and SQL
injection in every query and path parameter.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from paxsilica.store.runs import RunStore
from tests.api.conftest import make_client

TRAVERSAL = ["../../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "/etc/passwd", "....//....//etc",
             "..\\..\\windows\\win.ini", "pyproject.toml", "README.md", "paxsilica.duckdb",
             "runs.duckdb", "baseline.yaml", "%00baseline", "baseline\x00.yaml"]
SQL = ["' OR '1'='1", "x'; DROP TABLE runs; --", "1; DELETE FROM tokens", "\" OR 1=1 --",
       "' UNION SELECT token_sha256 FROM tokens --", "%' --", "1' AND sleep(5) --"]


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Any:
    client, tokens = make_client(tmp_path_factory.mktemp("attacks"), max_body_bytes=200_000)
    started = client.post("/api/runs", token=tokens["analyst"],
                          json={"scenario": "baseline", "draws": 10, "seed": 1})
    run_id = started.json()["run_id"]
    assert client.app.state.services.runs.wait(run_id, 120) == "complete"
    yield client, tokens, run_id
    client.app.state.services.runs.shutdown()


def _refused(answer: Any) -> None:
    assert 400 <= answer.status_code < 500, (answer.request.url, answer.status_code,
                                             answer.text[:200])
    assert "root:" not in answer.text and "[project]" not in answer.text


def test_traversal_in_scenario_names_and_run_ids(svc: Any, monkeypatch: Any) -> None:
    client, tokens, _ = svc
    monkeypatch.chdir(Path(__file__).resolve().parents[2])  # a cwd full of readable files
    for name in TRAVERSAL:
        quoted = quote(name, safe="")
        _refused(client.get(f"/api/scenarios/{quoted}"))
        _refused(client.post("/api/runs", token=tokens["analyst"],
                             json={"scenario": name, "draws": 5}))
        for suffix in ("", "/fans", "/report"):
            _refused(client.get(f"/api/runs/{quoted}{suffix}"))
        page = client.get(f"/runs/{quoted}")
        assert page.status_code in (200, 404, 422) and "root:" not in page.text


def test_zip_members_cannot_escape_and_bombs_are_bounded(svc: Any, tmp_path: Path) -> None:
    client, tokens, _ = svc
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("../../../../tmp/paxsilica-escaped.csv", "id\n1\n")
        archive.writestr("/tmp/paxsilica-absolute.csv", "id\n1\n")
    _refused(client.post("/api/data/validate", token=tokens["analyst"],
                         content=buffer.getvalue()))
    assert not Path("/tmp/paxsilica-escaped.csv").exists()
    assert not Path("/tmp/paxsilica-absolute.csv").exists()
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sources.csv", b"0" * 100 * 2**20)  # 100 MiB -> ~100 kB
    assert len(bomb.getvalue()) < 200_000
    answer = client.post("/api/data/validate", token=tokens["analyst"], content=bomb.getvalue())
    _refused(answer)
    assert "expands to over" in answer.json()["message"]


def test_yaml_bombs_and_unsafe_tags_are_refused(svc: Any) -> None:
    client, tokens, _ = svc
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    documents = [laughs, "name: !!python/object/apply:os.system ['touch /tmp/pwned']\n",
                 "!!python/name:subprocess.Popen\n", "x: !!binary aGVsbG8=\n",
                 "[" * 10_000, "a: &a [*a]\n"]
    for text in documents:
        for url, kwargs in (("/api/scenarios/validate", {"content": text.encode()}),
                            ("/api/runs", {"json": {"yaml": text, "draws": 5}})):
            answer = client.post(url, token=tokens["analyst"], **kwargs)
            assert answer.status_code == 422, (text[:40], answer.status_code)
    assert not Path("/tmp/pwned").exists()


def test_oversized_bodies_declared_or_streamed(svc: Any) -> None:
    client, tokens, _ = svc
    big = b"a" * 300_000
    for url in ("/api/runs", "/api/scenarios/validate", "/api/data/validate"):
        assert client.post(url, token=tokens["analyst"], content=big).status_code == 413

        async def chunks():  # no content-length: the limit applies while streaming
            for _ in range(30):
                yield b"b" * 10_000

        streamed = client.post(url, token=tokens["analyst"], content=chunks())
        assert streamed.status_code == 413, (url, streamed.status_code)


def test_sql_injection_in_every_parameter(svc: Any) -> None:
    client, tokens, run_id = svc
    db = client.app.state.services.settings.db
    with RunStore.open(db) as store:
        before = len(store.list_runs(1000))
    for text in SQL:
        quoted = quote(text, safe="")
        for params in ({"bloc": text}, {"material": text}, {"stage": text}, {"importer": text}):
            _refused(client.get("/api/risk", params=params))
        _refused(client.get(f"/api/countries/{quoted}"))
        for params in ({"commodity": text}, {"commodity": "graphite_mining", "importer": text},
                       {"commodity": "graphite_mining", "lang": text}):
            _refused(client.get("/api/trade/flows", params=params))
        _refused(client.get("/api/production", params={"commodity": text}))
        _refused(client.get("/api/runs", params={"limit": text}))
        _refused(client.get(f"/api/runs/{quoted}"))
        _refused(client.get(f"/api/runs/{run_id}/fans", params={"item": text}))
        _refused(client.get(f"/api/runs/{run_id}/fans", params={"variable": text}))
        _refused(client.get(f"/api/runs/{run_id}/report", params={"lang": text}))
        _refused(client.get(f"/api/scenarios/{quoted}"))
        _refused(client.post("/api/runs", token=tokens["analyst"],
                             json={"scenario": "baseline", "bloc": text, "draws": 5}))
    with RunStore.open(db) as store:
        assert len(store.list_runs(1000)) == before  # nothing added, nothing dropped
    assert client.get("/api/runs", token=tokens["viewer"]).status_code == 200
    assert client.get(f"/api/runs/{run_id}").json()["status"] == "complete"
