"""Dashboard pages of issue 15, in-process: the supply-chain diagram (columns, label slots,
mirroring, colourings), the risk table's rows without a country split, the bloc selector,
Arabic scenario texts and digits, and the analyst pages (builder, compare, export controls)."""

from __future__ import annotations

import re

import pytest

from paxsilica import workflows


def _recipes(rows: list[tuple[str, str, float]]):
    import pandas as pd

    return pd.DataFrame(rows, columns=["output", "input", "input_share"])


def test_stack_puts_each_commodity_right_of_its_inputs_in_stage_columns() -> None:
    from paxsilica.api.stack import layout_stack

    recipes = _recipes([("b", "a", 1.0), ("c", "b", 0.5), ("c", "x", 0.5), ("d", "c", 1.0)])
    stages = {"a": "mining", "b": "refining", "x": "mining", "c": "chip", "d": "compute"}
    diagram = layout_stack(recipes, stages, {}, {}, {}, {}, {})
    column = {n.id: n.column for n in diagram.nodes}
    # mining 0, refining 1, chip 3 (its stage), compute 4
    assert column == {"a": 0, "x": 0, "b": 1, "c": 3, "d": 4}
    assert [text for _col, _x, text in diagram.headers] == [
        ("mining",), ("refining",), ("chip",), ("compute",)]


def test_stack_slots_fit_their_labels_so_labels_cannot_overlap() -> None:
    from paxsilica.api.stack import LINE, layout_stack

    names = {f"n{i}": "a rather long commodity name that needs several lines" for i in range(6)}
    recipes = _recipes([("out", f"n{i}", 0.01) for i in range(6)])
    stages = {**{f"n{i}": "mining" for i in range(6)}, "out": "chip"}
    diagram = layout_stack(recipes, stages, names, {}, {}, {}, {})
    column = sorted((n for n in diagram.nodes if n.column == 0), key=lambda n: n.y)
    assert len(column[0].lines) >= 3  # wrapped
    for upper, lower in zip(column, column[1:], strict=False):
        label_bottom = upper.y + LINE * (len(upper.lines) + 1)
        assert lower.y >= label_bottom and lower.y >= upper.y + upper.height


def test_stack_mirrors_in_arabic() -> None:
    from paxsilica.api.stack import layout_stack

    recipes = _recipes([("b", "a", 1.0)])
    stages = {"a": "mining", "b": "refining"}
    ltr = {n.id: n for n in layout_stack(recipes, stages, {}, {}, {}, {}, {}).nodes}
    rtl_diagram = layout_stack(recipes, stages, {}, {}, {}, {}, {}, rtl=True)
    rtl = {n.id: n for n in rtl_diagram.nodes}
    assert ltr["a"].x < ltr["b"].x and rtl["a"].x > rtl["b"].x
    assert rtl["a"].x + 12 == rtl_diagram.width - ltr["a"].x  # exact mirror of the bar
    assert rtl["a"].label_x < rtl["a"].x  # labels on the bar's left in Arabic


def test_stack_colour_runs_green_to_red_and_grey_for_no_data() -> None:
    from paxsilica.api.stack import colour

    assert colour(0.0) == "rgba(46,125,50,1.0)" and colour(1.0) == "rgba(198,40,40,1.0)"
    assert colour(None) == colour(float("nan")) == "rgba(150,150,160,1.0)"


def test_overview_colourings_print_each_commodity_figure(api) -> None:
    client, _ = api
    ds = workflows.load()
    risk = workflows.risk(ds, bloc="pax-silica").set_index("commodity")
    packaging = risk.loc["advanced_packaging"]
    text = client.get("/", params={"colour": "top"}).text
    node = text.split('data-id="advanced_packaging"')[1].split("</g>")[0]
    assert f"Taiwan {100 * packaging['top_share']:.0f}%" in node
    text = client.get("/", params={"colour": "hhi"}).text
    node = text.split('data-id="advanced_packaging"')[1].split("</g>")[0]
    assert f"HHI {packaging['hhi']:,.0f}" in node
    assert client.get("/", params={"colour": "reds"}).status_code == 422


def test_risk_rows_without_a_country_split_say_so(api) -> None:
    client, _ = api
    text = client.get("/risk").text
    for commodity in ("gan_gaas_devices", "vehicles"):
        row = text.split(f'data-commodity="{commodity}"')[1].split("</tr>")[0]
        assert "no country split" in row and "0.0%" not in row and "nan" not in row.lower()
    assert 'id="no-split-note"' in text


def test_bloc_selector_lists_every_bloc_and_an_unknown_bloc_falls_back(api) -> None:
    client, _ = api
    ds = workflows.load()
    text = client.get("/risk", params={"bloc": "eu27"}).text
    options = re.findall(r'<option value="([a-z0-9-]+)" ?(selected)?>', text.split('id="bloc"')[1]
                         .split("</select>")[0])
    assert sorted(o for o, _ in options) == sorted(ds.bloc_names())
    assert [o for o, chosen in options if chosen] == ["eu27"]
    assert 'value="pax-silica" selected' in client.get("/risk", params={"bloc": "nope"}).text


def test_every_builtin_scenario_has_arabic_title_and_description() -> None:
    arabic = re.compile("[\u0600-\u06ff]")
    for row in workflows.builtin_scenarios():
        scn = workflows.load_scenario(str(row["name"]))
        assert arabic.search(scn.title_ar) and arabic.search(scn.description_ar), scn.name
        assert not re.search(r"\b(the|and|of)\b", scn.title_ar + scn.description_ar), scn.name


def test_arabic_pages_show_arabic_scenario_titles_in_the_chosen_digits(api) -> None:
    client, _ = api
    scn = workflows.load_scenario("ga-ge-ban")
    text = client.get("/scenarios", params={"lang": "ar", "digits": "arabic"}).text
    assert scn.title_ar.replace("12", "١٢") in text
    assert scn.title not in text
    english = client.get("/scenarios").text
    assert scn.title in english and scn.title_ar not in english


def test_prose_localises_numbers_but_not_full_stops(api) -> None:
    from starlette.requests import Request

    from paxsilica.api.pages import Page

    request = Request({"type": "http", "path": "/", "query_string": b"", "headers": []})
    page = Page(request, "ar", "arabic")
    assert page.prose("نحو 98.9% في 2024. وبلغ 5,000 دولار.") == \
        "نحو ٩٨٫٩٪ في ٢٠٢٤. وبلغ ٥٬٠٠٠ دولار."
    assert Page(request, "ar", "latin").prose("98.9%") == "98.9%"


def test_builder_form_follows_the_scenario_schema() -> None:
    from paxsilica.api.analyst_pages import BUILDER_SHOCKS, builder_fields
    from paxsilica.model.scenario import scenario_json_schema

    schema = scenario_json_schema()
    fields = builder_fields()
    scenario = {f["name"]: f for f in fields["scenario"]}
    assert set(scenario) <= set(schema["properties"])
    assert scenario["title"]["required"] and not scenario["title_ar"]["required"]
    assert scenario["horizon_months"]["min"] == 1 and scenario["horizon_months"]["max"] == 240
    assert scenario["title_ar"]["help"] == schema["properties"]["title_ar"]["description"]
    assert scenario["horizon_months"]["help"].startswith("Months simulated")  # docstring
    for shock, names in BUILDER_SHOCKS.items():
        assert [f["name"] for f in fields[shock]] == list(names)
        assert all(f["help"] for f in fields[shock]), shock
    severity = next(f for f in fields["export_restriction"] if f["name"] == "severity")
    assert severity["required"] and severity["kind"] == "number"
    assert "share 0..1" in severity["help"]


def test_builder_page_renders_a_field_per_schema_entry(api) -> None:
    client, _ = api
    text = client.get("/builder", params={"lang": "ar"}).text
    for name in ("name", "title", "title_ar", "description_ar", "horizon_months"):
        assert f'id="f-{name}"' in text
    assert 'id="s-export_restriction-severity"' in text and 'id="yaml-out"' in text


def test_compare_rows_are_the_difference_of_the_two_runs() -> None:
    import pandas as pd

    from paxsilica.api.analyst_pages import compare_rows
    from paxsilica.report.view import RunView

    def view(short: float, price: float) -> RunView:
        summary = pd.DataFrame({"commodity": ["ga", "ga"], "segment": ["alliance", "others"],
                                "shortage_share_p95": [short, 0.9],
                                "peak_price_ratio_p50": [price, 9.0]})
        return RunView({}, {}, summary, pd.DataFrame())

    (row,) = compare_rows(view(0.10, 2.0), view(0.04, 1.5), "alliance")
    assert row["shortage_share_p95_a"] == 0.10 and row["shortage_share_p95_b"] == 0.04
    assert row["shortage_share_p95_delta"] == pytest.approx(-0.06)
    assert row["peak_price_ratio_p50_delta"] == pytest.approx(-0.5)


def test_compare_page_without_runs_says_what_to_do(api) -> None:
    client, _ = api
    text = client.get("/compare").text
    assert 'id="compare-empty"' in text


def test_export_prices_are_value_over_quantity_per_year() -> None:
    import pandas as pd

    from paxsilica.api.analyst_pages import export_prices

    series = pd.DataFrame({
        "commodity": ["sb", "sb", "sb", "sb", "w"], "exporter": ["CHN", "CHN", "CHN", "USA",
                                                                  "CHN"],
        "importer": ["USA", "JPN", "USA", "CHN", "USA"], "year": [2023, 2023, 2024, 2024, 2024],
        "quantity": [10.0, 30.0, 5.0, 1.0, 1.0], "value_usd": [100.0, 500.0, 90.0, 7.0, 3.0]})
    prices = export_prices(series, "sb", "CHN")
    assert prices.to_dict() == {2023: 600.0 / 40.0, 2024: 18.0}
    assert export_prices(series, "ga", "CHN").empty


def test_controls_page_lists_every_control_with_its_source(api) -> None:
    from paxsilica.data.controls import read_export_controls

    client, _ = api
    table = read_export_controls()
    text = client.get("/controls", params={"commodity": "antimony_mining"}).text
    assert text.count('<li data-id="') == len(table)
    for url in table["url"]:
        assert f'href="{url}"' in text
    assert 'id="fig-prices"' in text
    arabic = client.get("/controls", params={"lang": "ar", "commodity": "nope"}).text
    assert table.set_index("id").loc["chn-ga-ge-2023", "measure_ar"].split("؛")[0] in arabic
    assert "3 يوليو 2023" in arabic


def test_compare_charts_share_one_loss_axis() -> None:
    import plotly.graph_objects as go

    from paxsilica.api.analyst_pages import shared_scale

    charts = {"a": go.Figure(go.Bar(x=[0.01, 0.02], y=["p", "q"], orientation="h")),
              "b": go.Figure(go.Bar(x=[0.08], y=["p"], orientation="h"))}
    scaled = shared_scale(charts, "en")
    assert [tuple(f.layout.xaxis.range) for f in scaled.values()] == [(0.0, 0.084)] * 2
    mirrored = shared_scale(charts, "ar")
    assert tuple(mirrored["a"].layout.xaxis.range) == (0.084, 0.0)
