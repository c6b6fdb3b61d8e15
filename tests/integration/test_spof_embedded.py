"""`spof` on the embedded data ranks real nodes: the expectation comes from the production and
recipe tables read here directly, not from the ranking code."""

from __future__ import annotations

import pandas as pd
import pytest

from paxsilica import workflows_spof
from paxsilica.workflows import load

DRAWS = 4  # the ranking is by means; a few draws suffice to check its direction


@pytest.fixture(scope="module")
def result():
    return workflows_spof.spof(workflows_spof.SpofRequest(draws=DRAWS))


def shares_from_tables() -> pd.DataFrame:
    """(iso3, commodity) -> share of world output in the latest year, by hand from the CSV
    rows (tranches summed), and whether the commodity feeds a capability."""
    ds = load()
    prod = ds.production[["commodity", "iso3", "year", "quantity"]]
    prod = prod[prod["year"] == prod.groupby("commodity")["year"].transform("max")]
    per = prod.groupby(["commodity", "iso3"], as_index=False)["quantity"].sum()
    per["share"] = per["quantity"] / per.groupby("commodity")["quantity"].transform("sum")
    capabilities = set(ds.commodities.loc[ds.commodities["is_capability"].astype(bool), "id"])
    feeds = set(capabilities)
    while True:  # every input of anything that feeds a capability feeds it too
        more = set(ds.recipes.loc[ds.recipes["output"].isin(feeds), "input"]) - feeds
        if not more:
            break
        feeds |= more
    per["feeds_capability"] = per["commodity"].isin(feeds)
    return per[per["iso3"] != "ROW"]


def test_dominant_chinese_gallium_or_rare_earths_are_in_the_top_ten(result) -> None:
    shares = shares_from_tables()
    dominant = shares[(shares["share"] > 0.9) & shares["feeds_capability"]]
    expected = {("CHN", "gallium_refining"), ("CHN", "rare_earths_refining")}
    assert expected <= set(zip(dominant["iso3"], dominant["commodity"], strict=True))
    table = result.sweep.table
    top = set(zip(table["iso3"].head(10), table["commodity"].head(10), strict=True))
    assert top & expected
    # most of the >90% suppliers that feed a capability rank in the top ten
    in_top = top & set(zip(dominant["iso3"], dominant["commodity"], strict=True))
    assert len(in_top) >= len(dominant) / 2


def test_the_ranking_follows_concentration_not_the_node_list_order(result) -> None:
    table = result.sweep.table
    shares = shares_from_tables().set_index(["iso3", "commodity"])["share"]
    assert len(table) == int((shares >= 0.05).sum())  # every node above the threshold ran
    top = table.head(10)
    assert (top["loss_p50"] > 0).all() and (top["loss_p95"] >= top["loss_p50"]).all()
    assert top["share"].mean() > table["share"].mean() + 0.2
    small = set(shares[shares < 0.10].index)
    assert not small & set(zip(top["iso3"], top["commodity"], strict=True))
    assert table.iloc[0]["share"] > 0.5


def test_json_payload_carries_standard_errors_and_the_structural_view(result) -> None:
    body = workflows_spof.spof_payload(result, limit=10)
    assert len(body["ranking"]) == 10 and body["draws"] == DRAWS
    assert all(row["loss_se"] >= 0 for row in body["ranking"])
    sole = {(r["iso3"], r["commodity"]) for r in body["sole_sources"]}
    assert ("CHN", "gallium_refining") in sole  # 99% of world output in the data
    ga_routes = [c["path"] for c in body["capability_cuts"]
                 if (c["iso3"], c["commodity"]) == ("CHN", "gallium_refining")]
    assert ["gallium_refining", "gan_gaas_devices", "ai_accelerators"] in ga_routes
