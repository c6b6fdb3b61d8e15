"""The trade pages in-process: a country's profile, the world map and the flows to a bloc render
in English and Arabic, from the shipped topology, with raw numbers for sorting and CSV."""

from __future__ import annotations

import re

from paxsilica import workflows

ARABIC_INDIC = re.compile("[٠-٩]")
EXTERNAL = re.compile(r'<(script|link|img|iframe)[^>]+(src|href)="(https?:)?//')
NEW_PAGES = ("/country/JPN", "/map", "/map?view=sources&importer=JPN", "/flows")


def test_new_pages_render_in_both_languages_with_nothing_from_outside(api) -> None:
    client, _ = api
    for url in NEW_PAGES:
        for params in ({}, {"lang": "ar", "digits": "arabic"}):
            page = client.get(url, params=params)
            assert page.status_code == 200, (url, params)
            assert not EXTERNAL.search(page.text), url
            lang = "ar" if params else "en"
            assert f'<html lang="{lang}" dir="{"rtl" if params else "ltr"}"' in page.text, url
    nav = client.get("/").text
    for path in ("/country?", "/map?", "/flows?"):
        assert f'href="{path}' in nav


def test_country_page_shows_names_blocs_and_ranked_dependencies(api) -> None:
    client, _ = api
    ds = workflows.load()
    japan = ds.countries.set_index("iso3").loc["JPN"]
    text = client.get("/country/jpn").text
    assert f'<h1 id="country-name">{japan["name_en"]}' in text
    assert japan["name_ar"] in text  # the other language's name under the heading
    assert "Pax Silica" in text and 'id="deps-table"' in text
    arabic = client.get("/country/JPN", params={"lang": "ar", "digits": "arabic"}).text
    assert f'<h1 id="country-name">{japan["name_ar"]}' in arabic
    assert "باكس سيليكا" in arabic
    body = arabic.split('id="deps-table"')[1].split("</table>")[0]
    shown = re.findall(r'<td class="num" data-value="([^"]*)">([^<]*)</td>', body)
    assert shown and all(not re.search("[0-9]", text) for _, text in shown)
    assert any(ARABIC_INDIC.search(text) for _, text in shown)
    assert all(value == "" or float(value) == float(value) for value, _ in shown)  # raw
    risk = [float(v) for v in re.findall(r'<td>[^<]*</td>\s*<td>[^<]*</td>\s*'
                                         r'<td class="num" data-value="([^"]+)"', body)]
    assert len(risk) > 10 and risk == sorted(risk, reverse=True)


def test_unknown_country_is_a_404_page_with_a_selector(api) -> None:
    client, _ = api
    for code in ("XXZ", "pax-silica", "ROW", "%3Cscript%3E"):
        page = client.get(f"/country/{code}")
        assert page.status_code == 404, code
        assert 'id="missing"' in page.text and 'id="iso3"' in page.text
        assert "<script>" not in page.text.split('id="missing"')[1]
    moved = client.get("/country", params={"iso3": "usa", "lang": "ar"})
    assert moved.status_code == 303
    assert moved.headers["location"].startswith("/country/USA?lang=ar")


def test_map_draws_the_shipped_outlines_coloured_by_share(api) -> None:
    client, _ = api
    text = client.get("/map", params={"commodity": "rare_earths_refining"}).text
    paths = re.findall(r'<path d="[^"]+" fill="(#[0-9a-f]{6})" class="land[^"]*" '
                       r'data-iso3="([A-Z]*)"', text)
    assert len(paths) > 150
    fills = dict((code, fill) for fill, code in paths)
    assert fills["CHN"] != "#e6e8ee" and fills["BRA"] == "#e6e8ee"
    sources = client.get("/map", params={"view": "sources", "importer": "JPN",
                                         "commodity": "rare_earths_refining"}).text
    assert 'class="land importer"' in sources and "Where Japan imports" in sources
    bloc = client.get("/map", params={"view": "sources", "importer": "pax-silica"}).text
    assert bloc.count('class="land importer') >= 5  # the members, in the importer's colour


def test_commodities_without_trade_data_say_so(api) -> None:
    client, _ = api
    for url in ("/map?view=sources&commodity=gallium_refining",
                "/flows?commodity=gallium_refining"):
        text = client.get(url).text
        assert 'id="no-coverage"' in text and "routes fall back to production shares" in text
    arabic = client.get("/flows", params={"commodity": "gallium_refining", "lang": "ar"}).text
    assert "حصص الإنتاج" in arabic and 'id="fig-flows"' not in arabic


def test_flows_page_embeds_a_sankey_with_china_to_the_members(api) -> None:
    client, _ = api
    text = client.get("/flows", params={"commodity": "rare_earths_refining"}).text
    assert '"type":"sankey"' in text and '"China"' in text
    assert re.search(r'<td><a href="/country/CHN[^"]*">China</a></td>\s*'
                     r'<td><a href="/country/(USA|JPN)', text)
    unknown = client.get("/flows", params={"commodity": "nope", "bloc": "nope"})
    assert unknown.status_code == 200 and "Pax Silica" in unknown.text  # the defaults


def test_risk_table_links_countries_and_carries_raw_numbers(api) -> None:
    client, _ = api
    text = client.get("/risk").text
    assert re.search(r'<a href="/country/CHN\?lang=en&amp;digits=latin">China</a>', text)
    assert 'data-csv-for="risk-table"' in text and 'class="data sortable"' in text


def test_every_label_the_templates_name_exists_in_english_and_arabic() -> None:
    from paxsilica.api.app import HERE
    from paxsilica.api.labels import _LABELS as DASHBOARD
    from paxsilica.report.i18n import _LABELS as SHARED

    _LABELS = {**SHARED, **DASHBOARD}

    keys = set()
    for template in (HERE / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        keys |= set(re.findall(r"page\.t\('([a-z0-9_-]+)'[,)]", text))
    keys |= {f"view_{v}" for v in ("producers", "sources")}
    keys |= {"bilateral", "production_shares", "pax-silica", "eu27", "trade-club", "of-concern"}
    missing = sorted(k for k in keys if k not in _LABELS)
    assert missing == []
    for key in keys:
        english, arabic = _LABELS[key]
        assert english and arabic and english != arabic or key == "app_name", key
