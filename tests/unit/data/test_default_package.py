"""Tests of the embedded default data package (src/paxsilica/data/default/*.csv).

Three kinds of expectation: invariants of a usable package, figures recomputed here from the
shared source files (skipped when ../shared/data is absent), and published figures written
below with their citation.
"""

from __future__ import annotations

import filecmp
import re
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import load_script

from paxsilica.data.package import read_package
from paxsilica.data.schema import REST_OF_WORLD, STAGES, TABLES

ROOT = Path(__file__).resolve().parents[3]
DEFAULT = ROOT / "src" / "paxsilica" / "data" / "default"
SHARED = ROOT.parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(),
                                  reason="../shared/data (the source files) is not available")
REQUIRED_MATERIALS = {"gallium", "germanium", "rare_earths", "lithium", "cobalt", "nickel",
                      "graphite", "copper", "helium", "tungsten", "antimony", "silicon",
                      "magnesium"}
LB_PER_T = 2204.62


@pytest.fixture(scope="module")
def pkg() -> dict[str, pd.DataFrame]:
    return read_package(DEFAULT)


def latest_shares(pkg: dict[str, pd.DataFrame], commodity: str) -> pd.Series:
    """Country shares of world output in the commodity's latest year (ROW counted in world)."""
    prod = pkg["production"]
    rows = prod[prod["commodity"] == commodity]
    rows = rows[rows["year"] == rows["year"].max()]
    return rows.groupby("iso3")["quantity"].sum() / rows["quantity"].sum()  # tranches summed


# -- invariants ------------------------------------------------------------------------------

def test_every_table_of_the_build_is_present(pkg):
    expected = {"sources", "countries", "blocs", "commodities", "production", "recipes",
                "stockpiles", "inventories", "chokepoints", "trade", "trade_codes"}
    assert expected <= set(pkg)
    for name in expected:
        assert list(pkg[name].columns) == list(TABLES[name].column_names)


def test_commodity_list_covers_the_required_materials(pkg):
    com = pkg["commodities"]
    assert len(com) >= 25
    assert REQUIRED_MATERIALS <= set(com["material"])
    assert set(com["stage"]) <= set(STAGES)
    for row in com.itertuples():  # ids are <material>_<stage> for the minerals
        if row.stage in ("mining", "refining"):
            assert row.id == f"{row.material}_{row.stage}"


def test_capabilities_are_compute_data_centres_and_vehicles(pkg):
    caps = set(pkg["commodities"].loc[pkg["commodities"]["is_capability"], "id"])
    assert 2 <= len(caps) <= 4
    assert {"ai_accelerators", "data_centre_capacity", "vehicles"} <= caps


def test_every_source_reference_exists(pkg):
    known = set(pkg["sources"]["id"])
    for name, frame in pkg.items():
        if name == "sources" or "source" not in frame:
            continue
        for cell in frame["source"]:
            missing = set(cell.split(";")) - known
            assert not missing, f"{name}: unknown source ids {missing}"


def test_estimates_say_why(pkg):
    est = pkg["sources"][pkg["sources"]["kind"] == "estimate"]
    assert len(est) >= 10
    assert est["note"].str.len().min() > 40


def test_every_commodity_reference_exists(pkg):
    known = set(pkg["commodities"]["id"])
    refs = {("production", "commodity"), ("recipes", "output"), ("recipes", "input"),
            ("stockpiles", "commodity"), ("inventories", "commodity"),
            ("chokepoints", "commodity")}
    for table, field in refs:
        assert set(pkg[table][field]) <= known, (table, field)


def test_every_country_is_declared(pkg):
    known = set(pkg["countries"]["iso3"])
    used = set(pkg["production"]["iso3"]) | set(pkg["blocs"]["iso3"])
    used |= set(pkg["chokepoints"]["iso3"]) | set(pkg["stockpiles"]["holder"])
    assert used <= known
    row = pkg["countries"].set_index("iso3").loc[REST_OF_WORLD]
    assert row["name_en"] == "Rest of world" and row["name_ar"] == "بقية العالم"
    assert pd.isna(row["wgi"])
    arabic = re.compile(r"[\u0600-\u06FF]")
    assert pkg["countries"]["name_ar"].map(lambda s: bool(arabic.search(s))).all()


def test_every_commodity_has_production(pkg):
    assert set(pkg["commodities"]["id"]) == set(pkg["production"]["commodity"])


def test_input_shares_sum_to_at_most_one(pkg):
    sums = pkg["recipes"].groupby("input")["input_share"].sum()
    assert (sums <= 1 + 1e-9).all(), sums[sums > 1]


def test_recipes_have_no_cycle(pkg):
    edges = defaultdict(set)
    indegree: dict[str, int] = defaultdict(int)
    for r in pkg["recipes"].itertuples():
        if r.output not in edges[r.input]:
            edges[r.input].add(r.output)
            indegree[r.output] += 1
    nodes = set(edges) | set(indegree)
    ready = [n for n in nodes if indegree[n] == 0]
    seen = 0
    while ready:  # Kahn: every node is emitted only if the graph is acyclic
        node = ready.pop()
        seen += 1
        for nxt in edges[node]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    assert seen == len(nodes)


def test_every_mine_feeds_its_refinery(pkg):
    ids = set(pkg["commodities"]["id"])
    links = set(zip(pkg["recipes"]["input"], pkg["recipes"]["output"], strict=True))
    for cid in ids:
        if cid.endswith("_mining") and cid.replace("_mining", "_refining") in ids:
            assert (cid, cid.replace("_mining", "_refining")) in links


def test_chains_reach_the_capabilities(pkg):
    links = set(zip(pkg["recipes"]["input"], pkg["recipes"]["output"], strict=True))
    for chain in (["rare_earths_mining", "rare_earths_refining", "ndfeb_magnets", "vehicles"],
                  ["gallium_refining", "gan_gaas_devices", "data_centre_capacity"],
                  ["polysilicon_refining", "silicon_wafers", "leading_edge_logic",
                   "ai_accelerators", "data_centre_capacity"],
                  ["lithium_refining", "battery_cells", "vehicles"]):
        for upstream, downstream in zip(chain, chain[1:], strict=False):
            assert (upstream, downstream) in links


def test_coefficients_match_input_shares_at_world_scale(pkg):
    """coefficient x world output = input_share x world input (latest years)."""
    prod = pkg["production"]
    latest = prod[prod["year"] == prod.groupby("commodity")["year"].transform("max")]
    world = latest.groupby("commodity")["quantity"].sum()
    for r in pkg["recipes"].itertuples():
        assert r.coefficient * world[r.output] == pytest.approx(r.input_share * world[r.input],
                                                                rel=1e-6)


def test_index_layers_sum_to_one_hundred(pkg):
    com = pkg["commodities"].set_index("id")
    prod = pkg["production"]
    for cid in com.index[com["unit"].str.startswith("index")]:
        rows = prod[prod["commodity"] == cid]
        rows = rows[rows["year"] == rows["year"].max()]
        assert rows["quantity"].sum() == pytest.approx(100.0)


def test_blocs(pkg):
    blocs = pkg["blocs"]
    pax = blocs[blocs["bloc"] == "pax-silica"].set_index("iso3")
    assert set(pax.index) == {"USA", "JPN", "KOR", "SGP", "NLD", "GBR", "ARE", "AUS", "ISR",
                              "QAT"}
    assert str(pax.loc["QAT", "joined"])[:10] == "2026-01-12"
    assert pax.loc[["NLD", "ARE"], "note"].str.contains("disagree").all()
    club = blocs[blocs["bloc"] == "trade-club"]
    assert set(club["iso3"]) == {"USA", "AUS", "JPN", "KOR", "SAU", "THA"}
    concern = blocs[blocs["bloc"] == "of-concern"]
    assert list(concern["iso3"]) == ["CHN"] and list(concern["role"]) == ["of_concern"]


# -- published figures ------------------------------------------------------------------------

def test_china_share_of_primary_gallium():
    """USGS MCS 2026: China 900,000 of 900,000 kg low-purity primary gallium in 2025 (~99-100%)."""
    shares = latest_shares(read_package(DEFAULT), "gallium_refining")
    assert 0.98 <= shares["CHN"] <= 1.0


def test_qatar_share_of_helium(pkg):
    """USGS MCS 2026 (2025e): Qatar 63 of 190 million m3 = 33.2% of world helium."""
    assert latest_shares(pkg, "helium_refining")["QAT"] == pytest.approx(0.332, abs=0.015)


def test_china_share_of_magnet_rare_earth_refining(pkg):
    """IEA Critical Minerals Data Explorer 2024: China 92% of refined magnet REEs in 2023."""
    assert latest_shares(pkg, "rare_earths_refining")["CHN"] >= 0.9


def test_taiwan_share_of_leading_edge_logic(pkg):
    """TrendForce 2023: Taiwan 68% of 16/14 nm-and-below foundry capacity."""
    assert latest_shares(pkg, "leading_edge_logic")["TWN"] == pytest.approx(0.68)


def test_netherlands_share_of_lithography(pkg):
    """CSET/ETO (TechInsights 2025): Netherlands 81.5% of lithography-tool sales."""
    assert latest_shares(pkg, "lithography_tools")["NLD"] == pytest.approx(0.815)


def test_prices_convert_usgs_units(pkg):
    """USGS MCS 2026, 2025 prices: copper LME 440 US cents/lb, gallium US$580/kg."""
    price = pkg["commodities"].set_index("id")["price_usd"]
    assert price["copper_refining"] == pytest.approx(4.40 * LB_PER_T, rel=1e-4)
    assert price["gallium_refining"] == pytest.approx(580_000.0)
    assert price["cobalt_refining"] == pytest.approx(15 * LB_PER_T, rel=1e-4)


# -- against the shared source files ----------------------------------------------------------

@needs_shared
@pytest.mark.parametrize(("commodity", "chapter", "detail", "factor"), [
    ("copper_refining", "COPPER", "Refinery production", 1000.0),
    ("lithium_mining", "LITHIUM", "Mine production", 1.0),
    ("gallium_refining", "GALLIUM", "Primary production", 0.001),
    ("rare_earths_mining", "RARE EARTHS", "Mine production", 1.0),
    ("helium_refining", "HELIUM AND RARE GASES", "Helium Production", 1.0),
])
def test_usgs_rows_match_the_release(pkg, commodity, chapter, detail, factor):
    tidy = pd.read_csv(SHARED / "derived" / "usgs_mcs2026_world_production_reserves_tidy.csv")
    sel = tidy[(tidy["mcs_chapter"] == chapter) & (tidy["statistics_detail"] == detail)
               & (tidy["value_flag"] == "numeric") & (tidy["value"] > 0)
               & ~tidy["is_world_total"].astype(bool)]
    expected = {(REST_OF_WORLD if c == "Other countries" else i, int(y)): v * factor
                for c, i, y, v in zip(sel["country"], sel["iso3"], sel["year"], sel["value"],
                                      strict=True)}
    prod = pkg["production"][pkg["production"]["commodity"] == commodity]
    per_country = prod.groupby(["iso3", "year"])["quantity"].sum()  # cost tranches summed
    got = {(i, int(y)): q for (i, y), q in per_country.items()}
    assert got == pytest.approx(expected)


@needs_shared
def test_iea_refining_rows_match_the_workbook(pkg):
    iea = pd.read_csv(SHARED / "derived" / "iea_2024_mining_refining_supply_by_country_tidy.csv")
    row = iea[(iea["mineral"] == "Magnet rare earth elements") & (iea["stage"] == "Refining")
              & (iea["year"] == 2023) & (iea["iso3"] == "CHN")]
    prod = pkg["production"].set_index(["commodity", "iso3", "year"])["quantity"]
    assert prod[("rare_earths_refining", "CHN", 2023)] == pytest.approx(
        row["value_kt"].iloc[0] * 1000)


@needs_shared
def test_wgi_is_the_mean_of_the_six_estimates(pkg):
    wide = pd.read_csv(SHARED / "derived" / "wgi_2023_estimates_wide.csv").set_index("iso3")
    cols = ["va_estimate", "pv_estimate", "ge_estimate", "rq_estimate", "rl_estimate",
            "cc_estimate"]
    for row in pkg["countries"].itertuples():
        if row.iso3 in wide.index:
            assert row.wgi == pytest.approx(wide.loc[row.iso3, cols].mean())
        else:
            assert pd.isna(row.wgi)  # e.g. New Caledonia has no WGI entry
    assert pd.isna(pkg["countries"].set_index("iso3").loc["NCL", "wgi"])


def _build_module():
    return load_script("tools/build_data.py")


@needs_shared
def test_usgs_rare_earth_errata_are_applied():
    """USGS revision history v1.1-v1.3: Brazil REE reserves 11,000,000 t; world >75,000,000 t."""
    build = _build_module()
    world = build.read_shared(SHARED)["world"]
    ree = world[(world["mcs_chapter"] == "RARE EARTHS") & (world["statistics"] == "Reserves")]
    assert ree.loc[ree["iso3"] == "BRA", "value"].iloc[0] == 11_000_000
    assert ree.loc[ree["is_world_total"].astype(bool), "value_raw"].iloc[0] == ">75,000,000"


@needs_shared
def test_build_is_deterministic(tmp_path):
    build = _build_module()
    build.build(SHARED, tmp_path, build.DEFAULT_INPUTS)
    names = sorted(p.name for p in [*tmp_path.glob("*.csv"), *tmp_path.glob("*.parquet")])
    assert names == sorted(p.name for p in [*DEFAULT.glob("*.csv"), *DEFAULT.glob("*.parquet")])
    match, mismatch, errors = filecmp.cmpfiles(tmp_path, DEFAULT, names, shallow=False)
    assert not mismatch and not errors
