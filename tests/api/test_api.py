"""Every JSON endpoint in-process: answers, access control (401/403), validation (422), 413."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paxsilica import workflows
from paxsilica.cli.main import app as cli_app
from paxsilica.data.yaml_lines import list_builtin
from paxsilica.engine import simulate

from tests.unit.report.pdf_inspect import embedded_fonts, page_texts

from .conftest import make_client

DRAWS = 200


def _start(client, token, **body):
    return client.post("/api/runs", token=token, json={"draws": DRAWS, "seed": 3, **body})


# -- reading ---------------------------------------------------------------------------------
def test_health_is_open_and_names_no_file(api, tmp_path: Path) -> None:
    # issue 14: it used to answer the database's absolute path to anyone
    client, _ = api
    answer = client.get("/api/health")
    body = answer.json()
    assert body["status"] == "ok"
    assert "db" not in body and str(tmp_path) not in answer.text


def test_risk_returns_the_same_objects_as_the_cli_json(tmp_path: Path) -> None:
    """GET /api/risk and ``paxsilica risk --format json`` agree record for record."""
    cli = CliRunner().invoke(cli_app, ["risk", "--format", "json", "--material", "gallium"])
    assert cli.exit_code == 0, cli.output
    expected = json.loads(cli.stdout)
    client, _ = make_client(tmp_path)
    answer = client.get("/api/risk", params={"material": "gallium"})
    assert answer.status_code == 200
    assert answer.json() == expected
    assert expected and {row["material"] for row in expected} == {"gallium"}


def test_scenarios_list_the_builtin_library(api) -> None:
    client, _ = api
    names = [row["name"] for row in client.get("/api/scenarios").json()]
    assert names == list_builtin()
    assert "ree-export-controls" in names


def test_one_scenario_and_the_schema(api) -> None:
    client, _ = api
    scn = client.get("/api/scenarios/ree-export-controls").json()
    assert scn["name"] == "ree-export-controls" and scn["shocks"]
    schema = client.get("/api/scenarios/schema").json()
    assert "horizon_months" in json.dumps(schema)
    missing = client.get("/api/scenarios/no-such-scenario")
    assert missing.status_code == 404 and missing.json()["error"] == "NotFoundError"


def test_openapi_docs_are_served(api) -> None:
    client, _ = api
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/health", "/api/risk", "/api/scenarios", "/api/runs", "/api/runs/{run_id}"):
        assert path in paths


# -- access control --------------------------------------------------------------------------
def test_starting_a_run_needs_an_analyst_token(api) -> None:
    client, tokens = api
    missing = _start(client, None, scenario="baseline")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = _start(client, "pxs_not-a-token", scenario="baseline")
    assert wrong.status_code == 401
    viewer = _start(client, tokens["viewer"], scenario="baseline")
    assert viewer.status_code == 403
    assert client.get("/api/runs").json() == []  # nothing was started


def test_uploads_need_an_analyst_token(api) -> None:
    client, tokens = api
    assert client.post("/api/scenarios/validate", content="name: x").status_code == 401
    assert client.post("/api/scenarios/validate", content="name: x",
                       token=tokens["viewer"]).status_code == 403
    assert client.post("/api/data/validate", content=b"PK").status_code == 401
    assert client.post("/api/data/validate", content=b"PK",
                       token=tokens["viewer"]).status_code == 403


def test_closed_reads_need_a_token_from_header_or_session(tmp_path: Path) -> None:
    client, tokens = make_client(tmp_path, open_read=False)
    assert client.get("/api/health").status_code == 200  # liveness stays open
    for url in ("/api/risk", "/api/scenarios", "/api/runs", "/"):
        assert client.get(url).status_code == 401, url
    assert client.get("/api/scenarios", token="pxs_wrong").status_code == 401
    assert client.get("/api/scenarios", token=tokens["viewer"]).status_code == 200
    # issue 14: a token in a cookie written by JavaScript is no longer accepted at all
    raw = client.get("/api/scenarios", headers={"Cookie": f"paxsilica_token={tokens['viewer']}"})
    assert raw.status_code == 401
    signed = client.post("/api/session", json={"token": tokens["analyst"]})
    cookies = {c.name: c.value for c in signed.cookies.jar}
    jar = "; ".join(f"{k}={v}" for k, v in cookies.items())
    assert client.get("/api/scenarios", headers={"Cookie": jar}).status_code == 200
    # a session cookie alone never authorises a write: the CSRF header must match
    post = client.post("/api/runs", json={"scenario": "baseline"}, headers={"Cookie": jar})
    assert post.status_code == 403
    forged = client.post("/api/runs", json={"scenario": "baseline"},
                         headers={"Cookie": jar, "X-CSRF-Token": "guess"})
    assert forged.status_code == 403


# -- runs --------------------------------------------------------------------------------------
def test_a_run_completes_in_the_background_with_summaries_and_fans(api) -> None:
    client, tokens = api
    started = _start(client, tokens["analyst"], scenario="ree-export-controls")
    assert started.status_code == 202
    run_id = started.json()["run_id"]
    run = client.wait(run_id)
    assert run["status"] == "complete", run
    assert run["meta"]["draws"] == DRAWS and run["meta"]["seed"] == 3
    assert run["progress"]["phase"] == "complete"
    commodities = {row["commodity"] for row in run["summary"]}
    assert len(run["summary"]) == 3 * len(commodities)  # one row per commodity x segment
    alliance = {row["commodity"]: row for row in run["summary"] if row["segment"] == "alliance"}
    assert alliance["rare_earths_refining"]["peak_price_ratio_p50"] > 1.0
    assert {row["capability"] for row in run["downstream"]}
    listed = client.get("/api/runs").json()
    assert [row["run_id"] for row in listed] == [run_id]
    fans = client.get(f"/api/runs/{run_id}/fans", params={
        "variable": "price_ratio", "item": "rare_earths_refining"}).json()
    horizon = client.get("/api/scenarios/ree-export-controls").json()["horizon_months"]
    assert fans["months"] == list(range(1, horizon + 1))
    q = fans["quantiles"]
    for p05, p25, p50, p75, p95 in zip(q["p05"], q["p25"], q["p50"], q["p75"], q["p95"],
                                       strict=True):
        assert p05 <= p25 <= p50 <= p75 <= p95
    assert max(q["p95"]) > 1.0  # the restriction lifts the alliance price at some point


def test_the_same_seed_gives_the_same_summary(api) -> None:
    client, tokens = api
    first = client.wait(_start(client, tokens["analyst"], scenario="ga-ge-ban").json()["run_id"])
    second = client.wait(_start(client, tokens["analyst"], scenario="ga-ge-ban").json()["run_id"])
    assert first["summary"] == second["summary"]


def test_a_run_samples_the_posterior_unless_told_otherwise(api) -> None:
    # the run records its behavioural parameters; shipped is the engine at its defaults
    client, tokens = api
    runs = {}
    for choice in ("posterior", "shipped", "median", None):
        body = {"scenario": "ga-ge-ban"} | ({} if choice is None else {"parameters": choice})
        started = _start(client, tokens["analyst"], **body)
        assert started.status_code == 202 and started.json()["parameters"] == (
            choice or "posterior")
        runs[choice] = client.wait(started.json()["run_id"])
    assert [runs[c]["meta"]["parameters"] for c in ("posterior", "shipped", "median", None)] \
        == ["posterior", "shipped", "median", "posterior"]
    assert runs[None]["summary"] == runs["posterior"]["summary"]  # the default, same seed
    peak = {c: {(r["commodity"], r["segment"]): r["peak_price_ratio_p50"]
                for r in runs[c]["summary"]} for c in runs}
    assert peak["shipped"] != peak["posterior"] != peak["median"]
    plain = simulate(workflows.load(), workflows.load_scenario("ga-ge-ban"), draws=DRAWS,
                     seed=3, keep_paths=False)
    expected = plain.summary.set_index(["commodity", "segment"])["peak_price_ratio_p50"]
    for key, value in peak["shipped"].items():
        assert value == pytest.approx(expected.loc[key], rel=1e-9)
    bad = _start(client, tokens["analyst"], scenario="ga-ge-ban", parameters="mean")
    assert bad.status_code == 422


def test_reports_of_a_run_in_english_and_arabic(api) -> None:
    client, tokens = api
    run_id = _start(client, tokens["analyst"], scenario="ree-export-controls").json()["run_id"]
    client.wait(run_id)
    english = client.get(f"/api/runs/{run_id}/report").text
    assert '<html lang="en" dir="ltr">' in english
    for heading in ("Executive summary", "Method", "Sources of the data", "Figures"):
        assert heading in english
    assert "<script" not in english and "<svg" in english  # self-contained, inline figures
    arabic = client.get(f"/api/runs/{run_id}/report", params={"lang": "ar",
                                                                "digits": "arabic"}).text
    assert '<html lang="ar" dir="rtl">' in arabic and "الملخص التنفيذي" in arabic
    pdf = client.get(f"/api/runs/{run_id}/report", params={"format": "pdf", "lang": "ar"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    fonts = embedded_fonts(pdf.content)  # read from the PDF itself: no tool needed
    assert any("Arabic" in font for font in fonts), fonts
    assert client.get(f"/api/runs/{run_id}/report", params={"lang": "fr"}).status_code == 422


def test_arabic_pdf_report_text_is_shaped(api, tmp_path: Path) -> None:
    """The Arabic PDF's text comes back from its glyphs in logical order (pdftotext; skips,
    saying so, without Poppler)."""
    client, tokens = api
    run_id = _start(client, tokens["analyst"], scenario="ga-ge-ban").json()["run_id"]
    client.wait(run_id)
    pdf = client.get(f"/api/runs/{run_id}/report", params={"format": "pdf", "lang": "ar"})
    path = tmp_path / "report-ar.pdf"
    path.write_bytes(pdf.content)
    text = "".join(page_texts(path)).translate(dict.fromkeys(range(0x200E, 0x202F)))
    assert "الملخص التنفيذي" in text and "مصادر البيانات" in text


def test_a_failing_run_is_marked_failed(api, monkeypatch: pytest.MonkeyPatch) -> None:
    from paxsilica import workflows

    def broken(*_args, **_kwargs):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(workflows, "simulate_with_parameters", broken)
    client, tokens = api
    run = client.wait(_start(client, tokens["analyst"], scenario="baseline").json()["run_id"])
    assert run["status"] == "failed"
    assert "engine exploded" in run["meta"]["error"]
    assert "engine exploded" in run["progress"]["error"]


def test_unknown_run_is_404(api) -> None:
    client, _ = api
    _start(client, api[1]["analyst"], scenario="baseline")  # the store exists
    answer = client.get("/api/runs/000000000000")
    assert answer.status_code == 404 and answer.json()["error"] == "NotFoundError"


# -- validation ------------------------------------------------------------------------------
def test_posted_yaml_errors_are_422_with_line_and_field(api) -> None:
    client, tokens = api
    document = "name: mine\ntitle: Mine\nhorizon_months: 500\n"
    answer = _start(client, tokens["analyst"], yaml=document)
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == "ScenarioError"
    assert (body["file"], body["line"], body["field"]) == ("upload.yaml", 3, "horizon_months")


def test_posted_yaml_with_an_unknown_commodity_names_the_field(api) -> None:
    client, tokens = api
    document = ("name: mine\ntitle: Mine\nrestricting: [CHN]\nshocks:\n"
                "  - type: export_restriction\n    commodities: [galium_refining]\n"
                "    severity: 0.5\n")
    body = client.post("/api/scenarios/validate", content=document,
                       token=tokens["analyst"]).json()
    assert body["error"] == "ScenarioError"
    assert body["field"] == "shocks[0].commodities[0]" and body["line"] == 6
    assert "gallium_refining" in body["message"]  # did you mean


def test_posted_yaml_syntax_and_unsafe_tags_are_422(api) -> None:
    client, tokens = api
    # the unclosed list is detected at the end of input (line 2), the tag on line 1
    for document, line in (("name: [unclosed\n", 2), ("name: !!python/object:os.system x\n", 1)):
        answer = client.post("/api/scenarios/validate", content=document,
                             token=tokens["analyst"])
        assert answer.status_code == 422
        assert answer.json()["error"] == "ScenarioError" and answer.json()["line"] == line


def test_a_valid_posted_scenario_runs(api) -> None:
    client, tokens = api
    document = ("name: my-test\ntitle: My test\nrestricting: [CHN]\nhorizon_months: 12\n"
                "shocks:\n  - type: export_restriction\n    commodities: [gallium_refining]\n"
                "    severity: 0.8\n")
    assert client.post("/api/scenarios/validate", content=document,
                       token=tokens["analyst"]).json()["valid"] is True
    run = client.wait(_start(client, tokens["analyst"], yaml=document).json()["run_id"])
    assert run["status"] == "complete" and run["scenario"]["name"] == "my-test"


def test_request_body_rules_are_422(api) -> None:
    client, tokens = api
    both = _start(client, tokens["analyst"], scenario="baseline", yaml="name: x")
    assert both.status_code == 422
    neither = client.post("/api/runs", json={"draws": 5}, token=tokens["analyst"])
    assert neither.status_code == 422
    too_many = client.post("/api/runs", json={"scenario": "baseline", "draws": 10**6},
                           token=tokens["analyst"])
    assert too_many.status_code == 422 and "limit" in too_many.json()["message"]
    bad_bloc = _start(client, tokens["analyst"], scenario="baseline", bloc="no-such-bloc")
    assert bad_bloc.status_code == 404


def test_bodies_over_the_limit_are_413(tmp_path: Path) -> None:
    client, tokens = make_client(tmp_path, max_body_bytes=2_000)
    big = "# " + "x" * 3_000 + "\nname: x\n"
    answer = client.post("/api/scenarios/validate", content=big, token=tokens["analyst"])
    assert answer.status_code == 413 and answer.json()["error"] == "PayloadTooLarge"

    async def chunks():  # no content-length: counted while streaming
        for _ in range(4):
            yield b"x" * 1_000

    streamed = client.post("/api/scenarios/validate", content=chunks(), token=tokens["analyst"])
    assert streamed.status_code == 413


# -- data uploads ------------------------------------------------------------------------------
def _zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.glob("*.csv")):
            archive.write(path, f"pkg/{path.name}")
    return buffer.getvalue()


def test_data_package_upload_is_validated(api, mini_package: Path) -> None:
    client, tokens = api
    good = client.post("/api/data/validate", content=_zip(mini_package),
                       token=tokens["analyst"])
    assert good.status_code == 200, good.text
    assert good.json()["rows"]["production"] == 4  # the mini package's rows
    (mini_package / "production.csv").write_text(
        "commodity,iso3,year,quantity,capacity,unit_cost,reliability,source\n"
        "gallium_refining,CHN,2025,-5,,,high,usgs\n", encoding="utf-8")
    bad = client.post("/api/data/validate", content=_zip(mini_package), token=tokens["analyst"])
    assert bad.status_code == 422
    assert bad.json()["error"] == "DataError" and bad.json()["file"] == "production.csv"
    junk = client.post("/api/data/validate", content=b"not a zip", token=tokens["analyst"])
    assert junk.status_code == 422


def test_workflows_and_api_share_the_store(api, tmp_path: Path) -> None:
    client, tokens = api
    run_id = _start(client, tokens["analyst"], scenario="baseline").json()["run_id"]
    client.wait(run_id)
    record = workflows.show_run(run_id, tmp_path / "runs.duckdb")
    assert record["status"] == "complete" and record["draws"] == DRAWS
