"""The /spof page on the mini package: the ranking, the stack with the worst nodes marked, the
single-country inputs, in English and Arabic; one sweep per (bloc, months)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.api.conftest import make_client


@pytest.fixture
def mini_api(tmp_path: Path, mini_package: Path):
    client, tokens = make_client(tmp_path, data=mini_package)
    yield client
    client.app.state.services.runs.shutdown()


def test_page_ranks_nodes_and_marks_their_inputs_on_the_stack(mini_api) -> None:
    text = mini_api.get("/spof").text
    table = text.split('id="spof-table"')[1].split("</table>")[0]
    order = re.findall(r'<tr data-node="([A-Z]{3}:[a-z_]+)"', table)
    # mini package: GaN devices only in the USA (the capability itself), gallium CHN 60%, USA 30%
    assert order == ["USA:gan_devices", "CHN:gallium_refining", "USA:gallium_refining"]
    svg = text.split('id="spof-diagram"')[1].split("</svg>")[0]
    marked = dict(re.findall(r'data-id="([a-z_]+)" data-column="\d+" data-rank="(\d+)"', svg))
    assert marked == {"gan_devices": "1", "gallium_refining": "2"}
    node = svg.split('data-id="gallium_refining"')[1].split("</g>")[0]
    assert "#2 CHN" in node and "#3 United States" in node  # hover text lists both nodes
    assert 'href="/spof?lang=en&amp;digits=latin" aria-current="page"' in text


def test_structural_list_names_the_single_supplier_and_the_route(mini_api) -> None:
    text = mini_api.get("/spof").text
    structural = text.split('id="structural"')[1]
    # dominance 0.9: only the USA's GaN devices (100%) have no supplier outside one country
    assert re.findall(r'<li data-node="([A-Z]{3}:[a-z_]+)"', structural) == ["USA:gan_devices"]


def test_arabic_page_is_rtl_with_arabic_names_and_digits(mini_api) -> None:
    text = mini_api.get("/spof", params={"lang": "ar", "digits": "arabic"}).text
    assert 'dir="rtl"' in text and "نقاط الإخفاق المنفردة" in text
    table = text.split('id="spof-table"')[1].split("</table>")[0]
    assert "الغاليوم" in table and "الصين" in table
    assert "٪" in table and not re.search(r">[^<]*\d+\.\d+%", table)


def test_one_sweep_per_bloc_and_months_and_bad_months_refused(mini_api) -> None:
    services = mini_api.app.state.services
    mini_api.get("/spof")
    first = services.spof("pax-silica", 6)
    mini_api.get("/spof", params={"lang": "ar"})
    assert services.spof("pax-silica", 6) is first
    assert mini_api.get("/spof", params={"months": 0}).status_code == 422
    shorter = mini_api.get("/spof", params={"months": 2}).text
    assert 'value="2"' in shorter and services.spof("pax-silica", 2) is not first
