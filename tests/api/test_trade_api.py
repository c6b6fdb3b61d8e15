"""Trade-dependency endpoints in-process: /api/countries, /api/countries/{iso3},
/api/trade/flows, /api/production and /api/risk?importer=, against the CLI and by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from paxsilica import workflows
from paxsilica.cli.main import app as cli_app
from tests.cli.test_country_command import FLOWS

from .conftest import make_client


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Any:
    client, _ = make_client(tmp_path_factory.mktemp("trade-api"))
    yield client
    client.app.state.services.runs.shutdown()


def _cli(*args: str) -> Any:
    result = CliRunner().invoke(cli_app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("query", [{}, {"lang": "ar", "limit": "3"}])
def test_country_profile_is_the_cli_json(service: Any, query: dict[str, str]) -> None:
    args = [f"--{key}={value}" for key, value in query.items()]
    expected = _cli("country", "JPN", "--format", "json", *args)
    answer = service.get("/api/countries/jpn", params=query)
    assert answer.status_code == 200
    assert answer.json() == expected


@pytest.mark.parametrize("importer", ["JPN", "eu27", "pax-silica"])
def test_risk_by_importer_is_the_cli_json(service: Any, importer: str) -> None:
    expected = _cli("risk", "--importer", importer, "--material", "graphite", "--format", "json")
    answer = service.get("/api/risk", params={"importer": importer, "material": "graphite"})
    assert answer.status_code == 200 and answer.json() == expected
    assert {row["bloc"] for row in expected} == {importer}
    graphite = next(row for row in expected if row["commodity"] == "graphite_mining")
    assert graphite["trade_coverage"] == "bilateral"
    assert 0 <= graphite["import_reliance"] <= 1


def test_unknown_country_is_404_naming_the_fix(service: Any) -> None:
    for code, hint in (("JPX", "did you mean 'JPN' (Japan)?"), ("germany", "'DEU'"),
                       ("' OR 1=1 --", "ISO 3166")):
        answer = service.get(f"/api/countries/{quote(code, safe='')}")
        assert answer.status_code == 404, code
        body = answer.json()
        assert body["error"] == "NotFoundError" and hint in body["message"], body
        assert "/work" not in answer.text and ".csv" not in answer.text
        assert "Traceback" not in answer.text


def test_countries_list_names_and_coverage(service: Any) -> None:
    rows = {row["iso3"]: row for row in service.get("/api/countries").json()}
    assert "ROW" not in rows
    japan = rows["JPN"]
    assert (japan["name_en"], japan["name_ar"]) == ("Japan", "اليابان")
    assert japan["produces"] and japan["trades"] and -2.5 <= japan["wgi"] <= 2.5
    assert all(set(row) == {"iso3", "name_en", "name_ar", "wgi", "produces", "trades"}
               for row in rows.values())


def test_trade_flows_into_the_bloc(service: Any) -> None:
    body = service.get("/api/trade/flows", params={"commodity": "graphite_mining",
                                                   "importer": "pax-silica"}).json()
    ds = workflows.load()
    members = ds.members("pax-silica")
    assert body["members"] == sorted(members) and body["is_bloc"]
    assert body["coverage"] == "bilateral" and "250410" in {c["hs6"] for c in body["codes"]}
    flows = body["flows"]
    assert all(f["importer"] in members and f["exporter"] not in members for f in flows)
    assert sum(f["share"] for f in flows) == pytest.approx(1.0)
    assert sum(f["quantity"] for f in flows) == pytest.approx(body["total_quantity"])
    assert flows[0]["exporter"] == "CHN" and flows[0]["of_concern"]
    # the same baseline as Japan's profile: China -> Japan, tonnes per year
    profile = service.get("/api/countries/JPN").json()
    china = next(row for row in profile["suppliers"]
                 if row["commodity"] == "graphite_mining" and row["exporter"] == "CHN")
    to_japan = next(f for f in flows if f["exporter"] == "CHN" and f["importer"] == "JPN")
    assert to_japan["quantity"] == pytest.approx(china["quantity"])
    arabic = service.get("/api/trade/flows", params={"commodity": "graphite_mining",
                                                     "importer": "JPN", "lang": "ar"}).json()
    assert arabic["members"] == ["JPN"] and arabic["flows"][0]["exporter_name"] == "الصين"


def test_a_commodity_without_trade_data_says_so(service: Any) -> None:
    body = service.get("/api/trade/flows", params={"commodity": "gallium_refining"}).json()
    assert body["coverage"] == "production_shares" and body["flows"] == []
    assert body["coverage_note"]  # why: no HS code of its own


def test_production_shares(service: Any) -> None:
    rows = service.get("/api/production", params={"commodity": "graphite_mining",
                                                  "lang": "ar"}).json()
    assert rows[0]["iso3"] == "CHN" and rows[0]["name"] == "الصين"
    assert sum(row["share"] for row in rows) == pytest.approx(1.0)
    assert [row["share"] for row in rows] == sorted((row["share"] for row in rows),
                                                    reverse=True)


def test_bad_queries_are_4xx(service: Any) -> None:
    assert service.get("/api/production").status_code == 422  # commodity is required
    assert service.get("/api/trade/flows").status_code == 422
    unknown = service.get("/api/production", params={"commodity": "galium_refining"})
    assert unknown.status_code == 404 and "gallium_refining" in unknown.json()["message"]
    assert service.get("/api/countries/JPN", params={"lang": "fr"}).status_code == 422
    assert service.get("/api/trade/flows", params={"commodity": "graphite_mining",
                                                   "importer": "nato"}).status_code == 404
    assert service.get("/api/risk", params={"importer": "XYZ"}).status_code == 404


def test_a_hand_built_package_by_hand(tmp_path: Path, mini_tables: dict) -> None:
    """Served from --data: the USA's gallium reliance is (80 - 25) / (300 + 80 - 25)."""
    from tests.conftest import write_package

    mini_tables["trade"] = [{"commodity": "gallium_refining", "exporter": e, "importer": i,
                             "year": "2024", "period": "2022-2024", "quantity": str(q),
                             "source": "usgs"} for e, i, q in FLOWS]
    client, _ = make_client(tmp_path, data=write_package(tmp_path / "pkg", mini_tables))
    try:
        body = client.get("/api/countries/USA").json()
        gallium = next(row for row in body["dependencies"]
                       if row["commodity"] == "gallium_refining")
        assert gallium["import_reliance"] == pytest.approx(55 / 355)
        flows = client.get("/api/trade/flows", params={"commodity": "gallium_refining"}).json()
        # pax-silica = USA + AUS: only China's 50 + 40 t come from outside
        assert [(f["exporter"], f["importer"], f["quantity"]) for f in flows["flows"]] == [
            ("CHN", "USA", 50.0), ("CHN", "AUS", 40.0)]
    finally:
        client.app.state.services.runs.shutdown()
