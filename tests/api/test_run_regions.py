"""The run page's region selector and member comparison, checked against the store's own rows.

One small run of the embedded data on the ``countries`` region map (and one on ``segments``)
serves the module; every number the page shows is compared with the ``metrics`` rows read
straight from the DuckDB file, not through the code that renders the page.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from paxsilica import workflows
from tests.api.conftest import make_client

SCENARIO, DRAWS, SEED = "ree-export-controls", 40, 11
REGION_COLUMNS = ["peak_price_ratio_p5", "peak_price_ratio_p50", "peak_price_ratio_p95",
                  "shortage_share_p5", "shortage_share_p50", "shortage_share_p95",
                  "stock_out_month_p50"]
LOSS_COLUMNS = ["loss_share_p5", "loss_share_p50", "loss_share_p95"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A service with one complete run per region map (40 draws of the REE controls)."""
    folder = tmp_path_factory.mktemp("regions")
    client, tokens = make_client(folder)
    ids = {}
    for regions in ("countries", "segments"):
        answer = client.post("/api/runs", token=tokens["analyst"], json={
            "scenario": SCENARIO, "draws": DRAWS, "seed": SEED, "regions": regions})
        assert answer.status_code == 202, answer.text
        ids[regions] = answer.json()["run_id"]
        assert client.wait(ids[regions])["status"] == "complete"
    yield {"client": client, "ids": ids, "db": folder / "runs.duckdb"}
    client.app.state.services.runs.shutdown()


def stored(db: Path, run_id: str, scope: str, region: str) -> dict[str, dict[str, float]]:
    """item -> metric -> value of one region's rows, read from the file with plain SQL."""
    con = duckdb.connect(str(db))
    try:
        rows = con.execute("SELECT item, metric, value FROM metrics WHERE run_id = ? AND "
                           "scope = ? AND segment = ?", [run_id, scope, region]).fetchall()
    finally:
        con.close()
    out: dict[str, dict[str, float]] = {}
    for item, metric, value in rows:
        out.setdefault(item, {})[metric] = value
    return out


def stored_regions(db: Path, run_id: str) -> set[str]:
    con = duckdb.connect(str(db))
    try:
        rows = con.execute("SELECT DISTINCT segment FROM metrics WHERE run_id = ? AND "
                           "scope = 'commodity_region'", [run_id]).fetchall()
    finally:
        con.close()
    return {row[0] for row in rows}


def table(text: str, table_id: str) -> str:
    return text.split(f'id="{table_id}"')[1].split("</table>")[0]


def body_rows(text: str, table_id: str, key: str) -> dict[str, list[float | None]]:
    """row key (data-``key``) -> the raw numbers (data-value) of its cells."""
    out = {}
    body = table(text, table_id).split("<tbody>")[1]
    for name, cells in re.findall(rf'<tr data-{key}="([^"]+)"[^>]*>(.*?)</tr>', body, re.S):
        out[name] = [float(v) if v else None for v in re.findall(r'data-value="([^"]*)"', cells)]
    return out


def close(shown: float | None, expected: float | None) -> bool:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return shown is None
    return shown is not None and math.isclose(shown, expected, rel_tol=1e-9, abs_tol=1e-12)


def options(text: str) -> list[tuple[str, str]]:
    select = text.split('<select id="region"')[1].split("</select>")[0]
    return [(code, html.unescape(name).strip()) for code, name in
            re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)</option>', select)]


def test_selector_lists_the_runs_regions_members_first_by_country_name(runs) -> None:
    client, run_id, db = runs["client"], runs["ids"]["countries"], runs["db"]
    ds = workflows.load()
    names = ds.countries.set_index("iso3")
    regions = ds.region_map("countries")
    members = {regions.region_of(c) for c in ds.members("pax-silica")}
    for lang, column in (("en", "name_en"), ("ar", "name_ar")):
        listed = options(client.get(f"/runs/{run_id}", params={"lang": lang}).text)
        codes = [code for code, _ in listed]
        assert set(codes) == stored_regions(db, run_id) and len(codes) == len(set(codes))
        assert set(codes[:len(members)]) == members  # members first
        shown = dict(listed)
        for code in ("JPN", "KOR", "QAT", "CHN"):
            assert shown[code] == names.loc[code, column], (lang, code)
    assert "Japan" not in dict(options(client.get(f"/runs/{run_id}?lang=ar").text)).values()


def test_region_query_shows_that_regions_stored_rows(runs) -> None:
    client, run_id, db = runs["client"], runs["ids"]["countries"], runs["db"]
    pages = {code: client.get(f"/runs/{run_id}", params={"region": code}).text
             for code in ("JPN", "CHN")}
    for code, text in pages.items():
        assert f'<option value="{code}" selected>' in text
        shown = body_rows(text, "region-table", "commodity")
        expected = stored(db, run_id, "commodity_region", code)
        assert set(shown) == set(expected) and len(shown) > 10
        for commodity, cells in shown.items():
            wanted = [expected[commodity].get(column) for column in REGION_COLUMNS]
            assert all(close(s, w) for s, w in zip(cells, wanted, strict=True)), commodity
        losses = body_rows(text, "region-loss-table", "capability")
        expected = stored(db, run_id, "capability_region", code)
        assert set(losses) == set(expected) and losses
        for capability, cells in losses.items():
            wanted = [expected[capability][column] for column in LOSS_COLUMNS]
            assert all(close(s, w) for s, w in zip(cells, wanted, strict=True)), capability
    # the chart: the P50 peak price of the commodities whose P95 price rose, dearest first
    names = workflows.load().commodities.set_index("id")["name_en"]
    for code, text in pages.items():
        figure = json.loads(text.split('id="region-price-json">')[1].split("</script>")[0])
        bars = figure["data"][0]
        expected = stored(db, run_id, "commodity_region", code)
        risen = sorted((c for c, m in expected.items() if m["peak_price_ratio_p95"] > 1 + 1e-9),
                       key=lambda c: (-expected[c]["peak_price_ratio_p50"],
                                      -expected[c]["peak_price_ratio_p95"], c))[:10]
        assert risen and bars["y"] == [names[c] for c in reversed(risen)]
        assert all(close(x, expected[c]["peak_price_ratio_p50"])
                   for x, c in zip(bars["x"], reversed(risen), strict=True))
        # the restricting country's market is not Japan's: switching region changes the numbers
    assert (body_rows(pages["JPN"], "region-table", "commodity")
            != body_rows(pages["CHN"], "region-table", "commodity"))
    lower = client.get(f"/runs/{run_id}", params={"region": "jpn"})
    assert lower.status_code == 200 and '<option value="JPN" selected>' in lower.text


def differences(db: Path, run_id: str, codes: list[str]) -> dict[str, float]:
    """Range of the P50 shortage share + range of the log P50 peak price across ``codes``."""
    rows = {code: stored(db, run_id, "commodity_region", code) for code in codes}
    out = {}
    for commodity in rows[codes[0]]:
        shortage = [rows[c][commodity]["shortage_share_p50"] for c in codes]
        price = [math.log(rows[c][commodity]["peak_price_ratio_p50"]) for c in codes]
        out[commodity] = max(shortage) - min(shortage) + max(price) - min(price)
    return out


@pytest.mark.parametrize("query", ["compare=JPN,KOR,USA,CHN",
                                   "compare=JPN&compare=KOR&compare=usa,CHN"])
def test_compare_shows_one_column_per_member_where_they_differ_most(runs, query) -> None:
    client, run_id, db = runs["client"], runs["ids"]["countries"], runs["db"]
    codes = ["JPN", "KOR", "USA", "CHN"]
    answer = client.get(f"/runs/{run_id}?{query}")
    assert answer.status_code == 200
    head = table(answer.text, "compare-table").split("</thead>")[0]
    assert re.findall(r'data-region="([^"]+)"', head) == codes
    rows = re.findall(r'<tr data-item="([^"]+)"( class="capability-row")?[^>]*>(.*?)</tr>',
                      table(answer.text, "compare-table"), re.S)
    values = {code: stored(db, run_id, "commodity_region", code) for code in codes}
    losses = {code: stored(db, run_id, "capability_region", code) for code in codes}
    commodities, capabilities = [], []
    for item, capability, cells in rows:
        numbers = [float(v) for v in re.findall(r'data-value="([^"]*)"', cells)]
        assert len(numbers) == len(codes)
        measure = re.findall(r"<td>([^<]*)</td>", cells)[1]
        if capability:
            capabilities.append(item)
            metric = "loss_share_p50" if "P50" in measure else "loss_share_p95"
            wanted = [losses[c][item][metric] for c in codes]
        else:
            commodities.append(item)
            metric = "shortage_share_p50" if "Shortage" in measure else "peak_price_ratio_p50"
            wanted = [values[c][item][metric] for c in codes]
        assert all(close(s, w) for s, w in zip(numbers, wanted, strict=True)), (item, measure)
    gaps = differences(db, run_id, codes)
    differing = {c for c in gaps if gaps[c] > 0}
    shown = list(dict.fromkeys(commodities))
    assert differing, "the restricting country's prices should differ from the members'"
    # the ten largest differences, largest first (ties may come in either order)
    assert set(shown) <= differing and len(shown) == min(10, len(differing))
    assert all(gaps[a] >= gaps[b] - 1e-12 for a, b in zip(shown, shown[1:]))
    assert all(gaps[c] <= gaps[shown[-1]] + 1e-12 for c in differing - set(shown))
    assert set(capabilities) == set(losses["JPN"])


def test_unknown_codes_and_a_single_member_give_clear_errors(runs) -> None:
    client, run_id = runs["client"], runs["ids"]["countries"]
    for query, status, words in (("region=XYZ", 404, ["XYZ", "JPN", "QAT"]),
                                 ("compare=JPN,ATLANTIS", 404, ["ATLANTIS", run_id]),
                                 ("compare=JPN", 400, ["at least two"]),
                                 ("compare=JPN,jpn", 400, ["at least two"])):
        answer = client.get(f"/runs/{run_id}?{query}")
        assert answer.status_code == status, query
        message = html.unescape(answer.text.split('id="missing">')[1].split("</h1>")[0])
        assert all(word in message for word in words), (query, message)
        assert "Traceback" not in answer.text
    arabic = client.get(f"/runs/{run_id}?region=XYZ&lang=ar")
    assert arabic.status_code == 404 and "ليست ضمن المحاكاة" in arabic.text


def test_segments_run_shows_a_note_instead_of_the_selector(runs) -> None:
    client, run_id = runs["client"], runs["ids"]["segments"]
    text = client.get(f"/runs/{run_id}").text
    assert 'id="no-regions"' in text and '<select id="region"' not in text
    assert 'id="compare-table"' not in text
    assert 'id="no-regions"' not in client.get(f"/runs/{runs['ids']['countries']}").text


def test_without_a_query_the_hardest_hit_members_are_shown(runs) -> None:
    client, run_id = runs["client"], runs["ids"]["countries"]
    text = client.get(f"/runs/{run_id}").text
    hardest = re.findall(r"<tr><td>([A-Z]{3})</td>", table(text, "members-table"))
    assert re.search(r'id="region-table" data-region="([^"]+)"', text).group(1) == hardest[0]
    head = table(text, "compare-table").split("</thead>")[0]
    assert re.findall(r'data-region="([^"]+)"', head) == hardest[:3]
    checked = re.findall(r'name="compare" value="([^"]+)" checked', text)
    assert sorted(checked) == sorted(hardest[:3])
