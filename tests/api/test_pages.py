"""Dashboard pages in-process: they render, in Arabic right to left, with no CDN."""

from __future__ import annotations

import re

from paxsilica import workflows

ARABIC_INDIC = re.compile("[٠-٩]")
LATIN_DIGIT = re.compile("[0-9]")


def test_every_page_renders_and_loads_plotly_locally(api) -> None:
    client, _ = api
    for url in ("/", "/risk", "/scenarios", "/runs", "/?commodity=gallium_refining"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert '<script src="/assets/plotly.js">' in page.text
        assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', page.text), url
    plotly = client.get("/assets/plotly.js")
    assert plotly.status_code == 200 and b"plotly" in plotly.content[:2000].lower()
    assert client.get("/static/app.js").status_code == 200


def test_overview_embeds_the_producers_bar_and_the_stack_diagram(api) -> None:
    client, _ = api
    ds = workflows.load()
    text = client.get("/", params={"commodity": "rare_earths_refining"}).text
    assert '"type":"bar"' in text and 'id="stack-diagram"' in text
    assert "Who produces" in text
    drawn = set(re.findall(r'<g class="node" data-id="([a-z0-9_]+)"', text))
    assert drawn == set(ds.recipes["input"]) | set(ds.recipes["output"])


def test_arabic_page_is_rtl_with_arabic_names(api) -> None:
    client, _ = api
    ds = workflows.load()
    text = client.get("/risk", params={"lang": "ar"}).text
    assert '<html lang="ar" dir="rtl"' in text
    china = ds.countries.set_index("iso3").loc["CHN", "name_ar"]
    gallium = ds.commodities.set_index("id").loc["gallium_refining", "name_ar"]
    assert china in text and gallium in text
    assert "Gallium" not in text.split("<tbody>")[1]  # no English names in the table


def test_digits_switch_between_latin_and_arabic_indic(api) -> None:
    client, _ = api
    cells = re.compile(r'<td class="num"[^>]*>([^<]*)</td>')
    latin = cells.findall(client.get("/risk", params={"lang": "ar"}).text)
    arabic = cells.findall(client.get("/risk", params={"lang": "ar", "digits": "arabic"}).text)
    assert latin and len(latin) == len(arabic)
    assert all(not ARABIC_INDIC.search(c) for c in latin)
    assert all(not LATIN_DIGIT.search(c) for c in arabic)
    assert any(ARABIC_INDIC.search(c) for c in arabic)


def test_run_page_shows_fans_downstream_and_report_links(api) -> None:
    client, tokens = api
    run_id = client.post("/api/runs", token=tokens["analyst"],
                         json={"scenario": "ree-export-controls", "draws": 200}).json()["run_id"]
    client.wait(run_id)
    text = client.get(f"/runs/{run_id}").text
    for element in ("fig-fan-price", "fig-fan-shortage", "fig-fan-stock", "fig-downstream"):
        assert f'id="{element}"' in text
    assert f"/api/runs/{run_id}/report?format=pdf" in text
    # the members table, read back from the store: one row per member region of the bloc
    table = text.split('id="members-table"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>([A-Z]{3})</td>", table)
    ds = workflows.load()
    regions = ds.region_map()
    members = {regions.region_of(c) for c in ds.members("pax-silica")}
    assert sorted(rows) == sorted(members) and "QAT" in rows
    arabic = client.get(f"/runs/{run_id}", params={"lang": "ar"}).text
    assert 'dir="rtl"' in arabic and "التحالف" in arabic and "الأعضاء" in arabic
    assert run_id in client.get("/runs").text
    missing = client.get("/runs/000000000000")  # a friendly page, not a crash
    assert missing.status_code == 404 and "000000000000" in missing.text  # issue 14: was 200
