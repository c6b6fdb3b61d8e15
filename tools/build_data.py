"""Build the embedded default data package (src/paxsilica/data/default/*.csv).

Reads the sourced files in ``../shared/data`` (USGS MCS 2026, IEA Critical Minerals Data Explorer
2024, World Bank WGI 2023, the hand-collected ``*_sourced.csv`` files) and the hand-entered inputs
in ``tools/data_inputs/manual.yaml``, and writes one CSV per table of
:data:`paxsilica.data.schema.TABLES` (trade is omitted). Output is deterministic: rows are sorted
by the table key and floats are written with a fixed format, so running it twice gives identical
bytes.

Usage::

    .venv/bin/python tools/build_data.py [--shared ../shared/data] [--out DIR] [--inputs YAML]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import re
import sys
from collections import defaultdict
from pathlib import Path

import babel
import pandas as pd
import pycountry
import yaml

from paxsilica.data.citations import citation_problems
from paxsilica.data.schema import REST_OF_WORLD, TABLES

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_trade import build_trade, read_mapping, render_trade_docs, write_series  # noqa: E402
from build_lithium import apply_cost_tranches, docs_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "src" / "paxsilica" / "data" / "default"
DEFAULT_INPUTS = ROOT / "tools" / "data_inputs" / "manual.yaml"
OUTPUT_TABLES = ("sources", "countries", "blocs", "commodities", "production", "recipes",
                 "stockpiles", "inventories", "chokepoints", "trade", "trade_codes", "regions",
                 "final_demand")
DEFAULT_TRADE_CODES = ROOT / "tools" / "data_inputs" / "trade_codes.yaml"
DEFAULT_CONTROLS = ROOT / "tools" / "data_inputs" / "export_controls.yaml"
LI_PER_LI2CO3 = 2 * 6.941 / 73.89  # t Li per t Li2CO3 (molar masses)
LI_PER_LI2O = 2 * 6.941 / (2 * 6.941 + 15.999)  # t Li per t Li2O
REF_FILES = {
    "ai": "ai_stack_shares_sourced.csv",
    "mp": "model_parameters_sourced.csv",
    "rp": "refining_processing_shares_sourced.csv",
}


class BuildError(RuntimeError):
    """A shared file or the inputs file does not hold what the build expects."""


# --------------------------------------------------------------------------------------------
# reading the shared files
# --------------------------------------------------------------------------------------------

def read_shared(shared: Path) -> dict[str, pd.DataFrame]:
    """Read every shared file the build uses, keyed by a short name."""
    derived = shared / "derived"
    frames = {
        "world": pd.read_csv(derived / "usgs_mcs2026_world_production_reserves_tidy.csv"),
        "salient": pd.read_csv(derived / "usgs_mcs2026_us_salient_statistics_tidy.csv"),
        "iea": pd.read_csv(derived / "iea_2024_mining_refining_supply_by_country_tidy.csv"),
        "wgi": pd.read_csv(derived / "wgi_2023_estimates_wide.csv"),
        "crosswalk": pd.read_csv(derived / "country_name_crosswalk.csv"),
    }
    for prefix, name in REF_FILES.items():
        frames[prefix] = pd.read_csv(shared / name).set_index("id")
    frames["world"] = apply_usgs_errata(frames["world"])
    return frames


def apply_usgs_errata(world: pd.DataFrame) -> pd.DataFrame:
    """Apply the USGS MCS 2026 revision-history errata (v1.1-v1.3) that the CSV predates.

    Rare earths: Brazil reserves 11,000,000 t (CSV 21,000,000); world reserves >75,000,000 t
    (CSV >85,000,000). Raises if the rows are not found as published, so a corrected upstream
    file is noticed instead of being silently patched twice.
    """
    world = world.copy()
    ree = (world["mcs_chapter"] == "RARE EARTHS") & (world["statistics"] == "Reserves")
    brazil = ree & (world["iso3"] == "BRA")
    total = ree & world["is_world_total"].astype(bool)
    if brazil.sum() != 1 or float(world.loc[brazil, "value"].iloc[0]) != 21_000_000:
        raise BuildError("USGS erratum: expected one RARE EARTHS reserves row for BRA = 21,000,000")
    if total.sum() != 1 or world.loc[total, "value_raw"].iloc[0] != ">85,000,000":
        raise BuildError("USGS erratum: expected RARE EARTHS world reserves '>85,000,000'")
    world.loc[brazil, ["value", "value_low", "value_high"]] = 11_000_000.0
    world.loc[brazil, "value_raw"] = "11,000,000"
    world.loc[total, ["value", "value_low"]] = 75_000_000.0
    world.loc[total, "value_raw"] = ">75,000,000"
    print("errata: USGS MCS2026 rare earths reserves BRA 21,000,000 -> 11,000,000 t; "
          "world >85,000,000 -> >75,000,000 t", file=sys.stderr)
    return world


def number(text: object) -> float:
    """Parse a sourced value such as '~80', '>75', '45–54', '1,991' or '610-645' (midpoint)."""
    s = str(text).strip().replace(",", "").replace("~", "").replace(">", "").replace("<", "")
    parts = re.split(r"\s*[–-]\s*(?=\d)", s)
    try:
        values = [float(p) for p in parts if p]
    except ValueError as exc:
        raise BuildError(f"cannot read a number from {text!r}") from exc
    if not values:
        raise BuildError(f"cannot read a number from {text!r}")
    return sum(values) / len(values)


def ref_row(frames: dict[str, pd.DataFrame], ref: str) -> pd.Series:
    """The row of a sourced CSV referenced as 'ai:N', 'mp:N' or 'rp:N'."""
    prefix, _, row_id = ref.partition(":")
    return frames[prefix].loc[int(row_id)]


def ref_value(frames: dict[str, pd.DataFrame], ref: str) -> float:
    return number(ref_row(frames, ref)["value"])


# --------------------------------------------------------------------------------------------
# sources
# --------------------------------------------------------------------------------------------

DEFAULT_SOURCE_REVIEW = ROOT / "tools" / "data_inputs" / "source_review.yaml"
_URL = re.compile(r"(https?://[^\s;,)]+|doi:10\.\S+)")


class SourceBook:
    """Collects the sources rows: manual entries plus every referenced row of the sourced CSVs,
    the latter corrected by ``source_review.yaml`` (one stable url, kind, reason)."""

    def __init__(self, manual: list[dict], frames: dict[str, pd.DataFrame],
                 review_path: Path = DEFAULT_SOURCE_REVIEW) -> None:
        self.rows = {s["id"]: dict(s) for s in manual}
        self.frames = frames
        self.reviews = read_source_review(review_path)

    def cite(self, ids: str) -> str:
        """Register every id in a ';'-separated list and return the list sorted and unique."""
        out = sorted({i.strip() for i in str(ids).split(";") if i.strip()})
        for source_id in out:
            self._register(source_id)
        return ";".join(out)

    def _register(self, source_id: str) -> None:
        if source_id in self.rows:
            return
        match = re.fullmatch(r"(ai|mp|rp)_(\d+)", source_id)
        if not match:
            raise BuildError(f"source id {source_id!r} is neither in manual.yaml nor a row ref")
        prefix, row_id = match.groups()
        row = self.frames[prefix].loc[int(row_id)]
        self.rows[source_id] = reviewed(_citation_from_row(prefix, int(row_id), row),
                                        self.reviews.get(source_id, {}))

    def table(self) -> list[dict]:
        """The rows sorted by id; refuses rows that break paxsilica.data.citations' rules."""
        rows = [self.rows[k] for k in sorted(self.rows)]
        problems = citation_problems(pd.DataFrame(rows))
        if problems:
            raise BuildError("sources break the citation rules (fix them in "
                             "tools/data_inputs/source_review.yaml or manual.yaml):\n  "
                             + "\n  ".join(problems))
        return rows


def read_source_review(path: Path) -> dict[str, dict]:
    """Source id -> the review fields that apply to it (url, kind, reason, citation, note)."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))["reviews"]
    out: dict[str, dict] = {}
    for entry in entries:
        fields = {k: v for k, v in entry.items() if k != "ids"}
        unknown = set(fields) - {"url", "kind", "reason", "citation", "note"}
        if unknown:
            raise BuildError(f"{path.name}: unknown fields {sorted(unknown)} for {entry['ids']}")
        for source_id in entry["ids"]:
            if source_id in out:
                raise BuildError(f"{path.name}: {source_id} is reviewed twice")
            out[source_id] = fields
    return out


def reviewed(row: dict, review: dict) -> dict:
    """A cited row with one address in ``url`` (the review's, else the first one found);
    other addresses and any review note are appended to the note."""
    found = _URL.findall(str(row.get("url") or ""))
    url = review.get("url") or (found[0] if found else "")
    others = [u for u in found if u.rstrip("/") != url.rstrip("/")]
    notes = [str(row.get("note") or "")]
    if others:
        notes.append("Also: " + " ; ".join(u for u in others if not _IP.search(u)) + ".")
    if review.get("note"):
        notes.append(str(review["note"]))
    out = {**row, "url": url, "note": " ".join(n for n in notes if n and n != "Also: .")}
    for key in ("kind", "reason", "citation"):
        if review.get(key):
            out[key] = review[key]
    return out


_IP = re.compile(r"//(\d{1,3}\.){3}\d{1,3}")


def _citation_from_row(prefix: str, row_id: int, row: pd.Series) -> dict:
    title = row.get("source_title", "")
    year = row.get("source_year", row.get("source_pub_year"))
    url = row.get("source_url_or_doi", "")
    quote = row.get("source_quote_or_location", row.get("source_location_or_quote", ""))
    what = row.get("item", row.get("parameter", row.get("metric", "")))
    who = row.get("country_or_company", row.get("country_or_scope", row.get("scope", "")))
    org = str(row["source_org"])
    primary = any(k in org for k in ("Geological Survey", "USGS", "Energy Information"))
    licence = "public domain (US Government work)" if primary else ""
    if "CSET" in org:
        licence = "CC BY-NC 4.0 (CSET/ETO dataset)"
    elif org.startswith("IEA"):
        licence = "CC BY 4.0"
    note = (f"{REF_FILES[prefix]} id {row_id}: {what}; {who}; value {row['value']} {row['unit']}; "
            f"data year {row['data_year']}; reliability {row['reliability']}. "
            f"Quote/location: {_clip(quote, 300)}")
    return {"id": f"{prefix}_{row_id}", "citation": f"{org}, {title}", "url": _clip(url, 300),
            "license": licence, "year": _int_or_blank(year),
            "kind": "primary" if primary else "secondary", "note": note}


def _clip(text: object, n: int) -> str:
    s = "" if pd.isna(text) else " ".join(str(text).split())
    return s if len(s) <= n else s[: n - 3] + "..."


def _int_or_blank(value: object) -> object:
    try:
        return int(float(str(value)[:4]))
    except (TypeError, ValueError):
        return ""


# --------------------------------------------------------------------------------------------
# production
# --------------------------------------------------------------------------------------------

def usgs_production(frames: dict, spec: dict, book: SourceBook) -> list[dict]:
    """Country rows of one USGS world production table for 2024 and 2025."""
    world = frames["world"]
    sel = world[(world["mcs_chapter"] == spec["chapter"]) & (world["statistics"] == "Production")
                & (world["statistics_detail"] == spec["detail"])
                & ~world["is_world_total"].astype(bool)]
    if sel.empty:
        raise BuildError(f"USGS table not found: {spec['chapter']} / {spec['detail']}")
    if "group" in spec:  # several gases share one label: keep the n-th occurrence per country
        sel = sel.assign(_n=sel.groupby(["year", "country"]).cumcount())
        sel = sel[sel["_n"] == spec["group"]]
    source = book.cite(";".join(["usgs_mcs2026", spec.get("extra_src", "")]))
    rows = []
    for r in sel.itertuples():
        if r.value_flag != "numeric" or not r.value > 0:
            continue  # zero, withheld (W), 's' (< half a unit): no row is invented
        iso3 = REST_OF_WORLD if r.country == "Other countries" else r.iso3
        rows.append({"commodity": spec["commodity"], "iso3": iso3, "year": int(r.year),
                     "quantity": r.value * spec["times"],
                     "reliability": "medium" if r.is_estimated else "high", "source": source})
    return rows


def iea_production(frames: dict, spec: dict, book: SourceBook) -> list[dict]:
    """Country and rest-of-world rows of IEA sheet 2 for the 2023 base year (kt -> t)."""
    iea = frames["iea"]
    sel = iea[(iea["mineral"] == spec["mineral"]) & (iea["stage"] == spec["stage"])
              & (iea["year"] == 2023) & iea["row_kind"].isin(["country", "rest_of_world"])]
    if sel.empty:
        raise BuildError(f"IEA rows not found: {spec['mineral']} / {spec['stage']}")
    source = book.cite("iea_cmde2024")
    return [{"commodity": spec["commodity"],
             "iso3": REST_OF_WORLD if r.row_kind == "rest_of_world" else r.iso3,
             "year": 2023, "quantity": r.value_kt * 1000.0, "reliability": "high",
             "source": source}
            for r in sel.itertuples() if r.value_kt > 0]


def share_production(frames: dict, spec: dict, book: SourceBook) -> list[dict]:
    """Rows from country shares: share x world total (100 for index units); residual -> ROW."""
    world = 100.0 if spec["world"] == "index" else float(spec["world"])
    rows, listed = [], 0.0
    for item in spec["rows"]:
        share = ref_value(frames, item["ref"]) / 100.0
        listed += share
        ids = ";".join([item["ref"].replace(":", "_"), str(spec.get("world_src", "")),
                        str(spec.get("extra_src", ""))])
        rows.append({"commodity": spec["commodity"], "iso3": item["iso3"], "year": spec["year"],
                     "quantity": share * world, "reliability": spec["reliability"],
                     "source": book.cite(ids)})
    if listed > 1.0 + 1e-9:
        raise BuildError(f"{spec['commodity']}: listed shares sum to {listed:.3f} > 1")
    residual = 1.0 - listed
    if residual > 5e-4:
        ids = ";".join([str(spec.get("world_src", "")), "est_regions"]
                       + [i["ref"].replace(":", "_") for i in spec["rows"]])
        rows.append({"commodity": spec["commodity"], "iso3": REST_OF_WORLD, "year": spec["year"],
                     "quantity": residual * world,
                     "reliability": "estimate" if not spec["rows"] else spec["reliability"],
                     "source": book.cite(ids)})
    return rows


def build_production(frames: dict, inputs: dict, book: SourceBook) -> list[dict]:
    rows = []
    for spec in inputs["usgs_production"]:
        rows += usgs_production(frames, spec, book)
    for spec in inputs["iea_production"]:
        rows += iea_production(frames, spec, book)
    for spec in inputs["share_production"]:
        rows += share_production(frames, spec, book)
    return rows


def world_latest(production: list[dict]) -> dict[str, float]:
    """World quantity of each commodity in its latest year (sum over countries and ROW)."""
    latest: dict[str, int] = {}
    for r in production:
        latest[r["commodity"]] = max(latest.get(r["commodity"], 0), r["year"])
    totals: dict[str, float] = defaultdict(float)
    for r in production:
        if r["year"] == latest[r["commodity"]]:
            totals[r["commodity"]] += r["quantity"]
    return dict(totals)


# --------------------------------------------------------------------------------------------
# commodities
# --------------------------------------------------------------------------------------------

def usgs_price(frames: dict, spec: dict) -> float:
    sal = frames["salient"]
    sel = sal[(sal["mcs_chapter"] == spec["chapter"]) & (sal["statistics"] == "Price")
              & (sal["statistics_detail"] == spec["detail"])
              & (sal["year"].astype(str) == str(spec["year"]))]
    if len(sel) != 1 or pd.isna(sel["value"].iloc[0]):
        raise BuildError(f"USGS price not found: {spec}")
    return float(sel["value"].iloc[0]) * float(spec["times"])


def formula_price(frames: dict, name: str) -> float:
    if name == "spodumene_sc6":  # US$/t of 6% Li2O concentrate -> US$/t Li contained
        return ref_value(frames, "mp:37") / (0.06 * LI_PER_LI2O)
    if name == "gpu_unit_value":  # NVIDIA data-centre GPU revenue / units, 2023
        row = ref_row(frames, "ai:231")
        revenue = float(re.search(r"\$([\d.]+) bn", str(row["notes"])).group(1)) * 1e9
        units = float(re.search(r"shipped ([\d.]+) million", str(row["source_quote_or_location"]))
                      .group(1)) * 1e6
        return revenue / units
    raise BuildError(f"unknown price formula {name!r}")


def build_commodities(frames: dict, inputs: dict, book: SourceBook) -> list[dict]:
    defaults = inputs["stage_defaults"]
    rows = []
    for c in inputs["commodities"]:
        d = defaults["energy" if c["stage"] == "logistics" else c["stage"]]
        if "usgs_price" in c:
            price, price_src = usgs_price(frames, c["usgs_price"]), "usgs_mcs2026"
        elif "price_formula" in c:
            price, price_src = formula_price(frames, c["price_formula"]), c["price_source"]
        else:
            price, price_src = float(c["price"]), c["price_source"]
        ids = [price_src, c.get("extra_src", ""), c.get("elasticity_src", "est_elasticity"),
               c["eol_src"], "est_substitution", "est_price_cap", "est_lead_time", "est_exit"]
        rows.append({
            "id": c["id"], "material": c["material"], "stage": c["stage"],
            "name_en": c["name_en"], "name_ar": c["name_ar"], "unit": c["unit"],
            "price_usd": price,
            "demand_elasticity": c.get("demand_elasticity", d["demand_elasticity"]),
            "supply_elasticity": c.get("supply_elasticity", d["supply_elasticity"]),
            "eol_recycling_rate": c["eol"], "substitution_index": c["si"],
            "price_cap_ratio": c["cap"], "lead_time_months": d["lead_time_months"],
            "exit_months": d["exit_months"], "is_capability": bool(c.get("capability", False)),
            "source": book.cite(";".join(ids)),
        })
    return rows


# --------------------------------------------------------------------------------------------
# recipes
# --------------------------------------------------------------------------------------------

def iea_battery_share(shared: Path, mineral: str) -> float:
    """(EV + grid storage) / total demand, 2023, IEA sheet 1 (Stated Policies)."""
    sheet = pd.read_excel(shared / "raw" / "iea_critical_minerals_data_explorer_2024"
                          / "CM_Data_Explorer_May2024.xlsx",
                          sheet_name="1 Total demand for key minerals", header=None)
    labels = sheet[0].astype(str).str.strip()
    start = labels[labels == mineral].index
    if len(start) != 1:
        raise BuildError(f"IEA demand block {mineral!r} not found")
    block = sheet.loc[start[0] + 1: start[0] + 12]
    block = block.assign(label=block[0].astype(str).str.strip())

    def pick(label: str) -> float:
        hit = block[block["label"] == label]
        return float(hit[1].iloc[0]) if len(hit) else 0.0

    total = pick("Total demand")
    if total <= 0:
        raise BuildError(f"IEA demand block {mineral!r} has no total")
    return (pick("Electric vehicles") + pick("Grid battery storage")) / total


def build_recipes(shared: Path, inputs: dict, world: dict[str, float],
                  book: SourceBook) -> list[dict]:
    """Coefficients calibrated so that baseline derived demand = input_share x world input."""
    rows = []
    for r in inputs["recipes"]:
        w_in, w_out = world[r["input"]], world[r["output"]]
        if "coefficient" in r:
            coef = float(r["coefficient"])
            share = coef * w_out / w_in
        elif "coefficient_formula" in r:
            f = r["coefficient_formula"]
            na_2024 = f["na_dc_copper_t_2020"] + 0.4 * (f["na_dc_copper_t_2030"]
                                                         - f["na_dc_copper_t_2020"])
            coef = na_2024 / f["us_dc_mw_2024"]
            share = coef * w_out / w_in
        else:
            share = (iea_battery_share(shared, r["iea_share"]) if "iea_share" in r
                     else float(r["input_share"]))
            coef = share * w_in / w_out
        rows.append({"output": r["output"], "input": r["input"], "coefficient": coef,
                     "input_share": share, "source": book.cite(r["source"])})
        RECIPE_WHY[(r["output"], r["input"])] = (share, r.get("why", ""))
    return rows


# --------------------------------------------------------------------------------------------
# blocs, stockpiles, inventories, chokepoints
# --------------------------------------------------------------------------------------------

def build_blocs(inputs: dict, book: SourceBook) -> list[dict]:
    return [{"bloc": b["bloc"], "iso3": b["iso3"], "role": b["role"],
             "joined": b["joined"].isoformat() if isinstance(b.get("joined"), dt.date) else "",
             "note": b.get("note", ""), "source": book.cite(b["source"])}
            for b in inputs["blocs"]]


def build_stockpiles(inputs: dict, book: SourceBook) -> list[dict]:
    rows = []
    for s in inputs["stockpiles"]:
        qty = s["li2co3_t"] * LI_PER_LI2CO3 if "li2co3_t" in s else float(s["quantity"])
        rows.append({"holder": s["holder"], "commodity": s["commodity"], "quantity": qty,
                     "source": book.cite(s["source"])})
    return rows


def build_inventories(frames: dict, inputs: dict, book: SourceBook) -> list[dict]:
    given = {i["commodity"]: i for i in inputs["inventories"]}
    defaults = inputs["stage_defaults"]
    rows = []
    for c in inputs["commodities"]:
        item = given.get(c["id"])
        if item and "ref" in item:
            days, src = ref_value(frames, item["ref"]), item["ref"].replace(":", "_")
        elif item:
            days, src = float(item["days"]), item.get("source", "est_inventory")
        else:
            stage = "energy" if c["stage"] == "logistics" else c["stage"]
            days, src = float(defaults[stage]["days_of_cover"]), "est_inventory"
        rows.append({"commodity": c["id"], "days_of_cover": days, "source": book.cite(src)})
    return rows


def build_regions(inputs: dict, book: SourceBook) -> list[dict]:
    return [{"map": m["map"], "region": region, "iso3": iso3, "source": book.cite(m["source"])}
            for m in inputs["region_maps"] for region, members in m["regions"].items()
            for iso3 in members]


def build_final_demand(inputs: dict, book: SourceBook) -> list[dict]:
    return [{"iso3": r["iso3"], "share": float(r["share"]), "source": book.cite(r["source"])}
            for r in inputs["final_demand"]]


def build_chokepoints(inputs: dict, book: SourceBook) -> list[dict]:
    return [{k: c[k] for k in ("route", "iso3", "commodity", "transit_share")}
            | {"source": book.cite(c["source"])} for c in inputs["chokepoints"]]


# --------------------------------------------------------------------------------------------
# countries
# --------------------------------------------------------------------------------------------

def build_countries(frames: dict, codes: set[str], book: SourceBook) -> list[dict]:
    """Names from CLDR (babel) via pycountry alpha-2; wgi = mean of the six 2023 estimates."""
    wgi = frames["wgi"].set_index("iso3")["wgi_mean_estimate"]
    en, ar = babel.Locale("en").territories, babel.Locale("ar").territories
    rows = [{"iso3": REST_OF_WORLD, "name_en": "Rest of world", "name_ar": "بقية العالم",
             "wgi": "", "source": book.cite("cldr_babel")}]
    for iso3 in sorted(codes - {REST_OF_WORLD}):
        country = pycountry.countries.get(alpha_3=iso3)
        if country is None:
            raise BuildError(f"iso3 {iso3!r} is not an ISO 3166-1 code")
        has_wgi = iso3 in wgi.index and pd.notna(wgi.get(iso3))
        rows.append({"iso3": iso3, "name_en": en[country.alpha_2], "name_ar": ar[country.alpha_2],
                     "wgi": float(wgi[iso3]) if has_wgi else "",
                     "source": book.cite("cldr_babel;wb_wgi2024" if has_wgi else "cldr_babel")})
    return rows


# --------------------------------------------------------------------------------------------
# checks and writing
# --------------------------------------------------------------------------------------------

def check_package(tables: dict[str, list[dict]]) -> None:
    """Referential integrity, input shares <= 1 per input, acyclic recipes."""
    commodity_ids = {c["id"] for c in tables["commodities"]}
    source_ids = {s["id"] for s in tables["sources"]}
    for name, rows in tables.items():
        for i, row in enumerate(rows):
            for field in ("commodity", "input", "output"):
                if field in row and row[field] not in commodity_ids:
                    raise BuildError(f"{name} row {i}: unknown commodity {row[field]!r}")
            for sid in str(row.get("source", "")).split(";"):
                if name != "sources" and sid and sid not in source_ids:
                    raise BuildError(f"{name} row {i}: unknown source {sid!r}")
    shares: dict[str, float] = defaultdict(float)
    for r in tables["recipes"]:
        shares[r["input"]] += r["input_share"]
    over = {k: v for k, v in shares.items() if v > 1 + 1e-9}
    if over:
        raise BuildError(f"input_share sums exceed 1: {over}")
    graph = defaultdict(list)
    for r in tables["recipes"]:
        graph[r["input"]].append(r["output"])
    state: dict[str, int] = {}

    def visit(node: str) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                raise BuildError(f"recipe cycle through {node!r} -> {nxt!r}")
            if nxt not in state:
                visit(nxt)
        state[node] = 2

    for node in list(graph):
        if node not in state:
            visit(node)


def fmt(value: object) -> str:
    """Fixed text form: floats with 12 significant digits, bools lower-case, None blank."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(value, ".12g")
    return str(value)


def write_table(out: Path, name: str, rows: list[dict]) -> None:
    table = TABLES[name]
    columns = table.column_names
    keyed = sorted(rows, key=lambda r: tuple(fmt(r.get(k)) for k in table.key))
    keys = [tuple(fmt(r.get(k)) for k in table.key) for r in keyed]
    if len(set(keys)) != len(keys):
        dup = sorted({k for k in keys if keys.count(k) > 1})
        raise BuildError(f"{name}: duplicate keys {dup[:5]}")
    with open(out / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for r in keyed:
            writer.writerow([fmt(r.get(c)) for c in columns])



# --------------------------------------------------------------------------------------------
# docs/data.md
# --------------------------------------------------------------------------------------------

DOCS_PATH = ROOT / "docs" / "data.md"
DOCS_INTRO = """# The embedded default data package

Generated by `tools/build_data.py` from `../shared/data` and `tools/data_inputs/manual.yaml`; do
not edit by hand (edit the YAML or the script and rerun it). The package lives in
`src/paxsilica/data/default/`, one CSV per table; `paxsilica.data.package.read_package()` reads
and checks it. Provenance of the shared files: `../shared/data/PROVENANCE.md`.
"""
DOCS_METHOD = """## How the figures were built

* **Minerals.** USGS MCS 2026 world production tables, 2024 and 2025 (2025 mostly USGS
  estimates, reliability `medium`; 2024 `high`). The publisher's "Other countries" row is `ROW`.
  Zero ("—"), withheld ("W") and "less than half a unit" cells give no row; where the rounded
  USGS world total exceeds the sum of rows, no row is invented (so shares computed here can
  differ from USGS's by rounding, e.g. gallium China 900/909 = 99.0% vs 900/900). Refining of
  cobalt, lithium chemicals, nickel, battery-grade graphite and magnet rare earths comes from
  the IEA Critical Minerals Data Explorer 2024 (2023 base year, top countries + Rest of world).
  Note the IEA nickel-refining rows sum to 3,932 kt while the IEA total row says 3,796 kt; the
  rows are kept.
* **Stage choices.** `gallium_refining` is USGS low-purity primary production (there is no
  gallium mine stage). `germanium_refining` uses the secondary rows (China 59.2%, MINING.COM;
  world ~152 t derived from Project Blue's "100 t = 66% of annual production"; reliability low).
  `rare_earths_mining` is total REO (USGS); `rare_earths_refining` is the four magnet REEs
  (IEA), so its recipe coefficient (~5.1 t REO per t) carries the whole REO mix. **Helium** is
  one commodity at stage `refining` (`helium_refining`): it is separated and liquefied from
  natural gas at gas-processing plants (e.g. Ras Laffan in Qatar), so there is no separate mine
  stage; the USGS "Helium Production" table (million m3) is that plant output, and the
  chokepoint that matters (Qatar via Hormuz) is on the refined, liquefied product.
  `neon_refining` is the first of the three rare-gas groups that USGS prints under one label
  (world 800 million litres; identified as neon by the US 110 of 800 million litres figure).
* **Layers known only as shares.** quantity = share x a sourced world total when one exists
  (equipment and lithography sales in USD million, LNG Mt, data-centre TWh and MW, GPU units,
  polysilicon t), otherwise an index where world = 100 (unit `index (world=100)`). The residual
  of the listed shares, and any regional row (Europe, Americas, GCC...), goes to `ROW`.
  Company-headquarter shares are used only where the source ties them to a location (TSMC
  CoWoS is all in Taiwan; NVIDIA/AMD GPUs are fabricated by TSMC).
* **Recipes.** `input_share` is the share of the input's world use going into the output
  (IEA 2023 demand shares for lithium, cobalt and nickel into battery cells; otherwise an
  estimate). The `coefficient` is calibrated so that baseline derived demand equals
  input_share x world supply: coefficient = input_share x world input / world output, each in
  its latest year. Two coefficients are physical instead (silicon metal -> polysilicon 1 t/t;
  copper -> data-centre MW from CDA figures) and their input_share is computed the other way.
  Base years differ between layers (2019-2025), so coefficients mix vintages.
* **Prices.** USGS MCS 2026 salient statistics, 2025, converted to USD per commodity unit:
  US cents/lb x 22.0462 = USD/t; USD/lb x 2204.62; USD/kg x 1000; lithium carbonate x 5.3233
  t Li2CO3 per t Li; tungsten USD/mtu WO3 x 100 / 0.79297; tantalum USD/kg Ta2O5 x 1000 /
  0.81896; spodumene SC6 (Argus, US$610-645/t) / (0.06 x 0.46457) for lithium at the mine.
  Mine-stage copper, nickel and cobalt apply an estimated payable fraction. Helium uses the
  newest USGS price found (2020, US$7.57/m3).
"""
DOCS_LITHIUM = """## Lithium mine cost tranches

`lithium_mining` 2025 rows are split into cost tranches (`tranche` 0 = cheapest) by
`tools/build_lithium.py` from Busch et al. (2024) deposit data (`busch2024_deposits`,
`est_lithium_costs`). The paper's costs are US$ (2022) per t of lithium contained, on a
carbonate basis (its code: US$/t LCE x 5.323), not per t LCE. Unit cost = `cost1_noTax`
(reserves, without royalties and income tax); hard rock less the paper's 2,500 US$/t LCE
conversion (mine-gate concentrate, the basis of the SC6 price); brine x mine price /
carbonate price. Each tranche's quantity = the country's USGS 2025 quantity x its share of the
paper's 2025 production rates, so country totals are unchanged. "x mine price" is the
unit cost over the baseline `lithium_mining` price; the engine caps it at 1 (a producer above
the baseline price is marginal and exits when the price stays below baseline).

"""


DOCS_CHECKS = """## Checks against independent figures

* The trade data against USGS: the United States' import reliance, ours vs USGS MCS 2026's
  published net import reliance (2024), with each difference explained:
  [us-import-reliance.md](us-import-reliance.md) (`tools/us_import_reliance.py`).
* USGS production against World Mining Data for the same country and year, with every
  disagreement over 20% listed: [production-crosscheck.md](production-crosscheck.md)
  (`tools/compare_production.py`).
"""
DOCS_ERRATA = """## Errata applied

`apply_usgs_errata()` patches the USGS MCS 2026 data release in memory (the raw file is left
untouched) and fails loudly if the rows no longer read as first published:

| table | field | CSV value | corrected | authority |
|---|---|---|---|---|
| RARE EARTHS reserves | Brazil | 21,000,000 t | 11,000,000 t | USGS revision history v1.1-v1.3 |
| RARE EARTHS reserves | World total | >85,000,000 t | >75,000,000 t | same |

The package does not carry reserves yet (no column in the schema), so the errata change no
number in the CSVs today; they protect any future reserves-based indicator.
"""
DOCS_GAPS = """## Known gaps

* No vehicle production by country and no GaN/GaAs device shares in the shared data: both are
  one `ROW` row (index 100, reliability `estimate`), so they join recipes but never
  concentration measures.
* Upper-layer shares mix years (2019 wafers, 2021 magnets, 2023 logic/DRAM, 2025 equipment);
  DRAM is by fab location for 2023 (Korea 64%, China 14%); HBM is not separated from DRAM.
* Per-mineral elasticities, substitution indices, price caps and refinery lead times are
  estimates (listed above); `capacity` is never filled and `unit_cost` only for lithium mines
  (below); other commodities have no cost curve, so their capacity never exits.
* EU CRM 2023 end-of-life recycling rates come from a secondary compilation (reliability low).
* Strategic stockpiles: only three quantities could be sourced (two are planned US DLA
  purchases, one is hearsay about China's germanium); Japan's 60/180-day and Korea's 100-day
  targets are days of consumption, not quantities, and are left to scenarios.
* Prices of index-unit layers, LNG, electricity and data-centre capacity are unverified
  order-of-magnitude estimates (`est_price_stack`).
* Chokepoint transit shares other than Hormuz LNG are geographic estimates.
"""


def render_docs(tables: dict[str, list[dict]]) -> str:
    """docs/data.md: schema tables, method, estimates, errata and gaps."""
    parts = [DOCS_INTRO, "## Tables and columns\n"]
    counts = {name: len(rows) for name, rows in tables.items()}
    for name, table in TABLES.items():
        shipped = f"{counts[name]} rows" if name in counts else "not shipped"
        parts.append(f"### {name} ({shipped})\n\n{table.description} Key: "
                     f"{', '.join(table.key)}.\n\n| column | type | unit | required | meaning |\n"
                     "|---|---|---|---|---|")
        for col in table.columns:
            req = "yes" if col.required else "no"
            parts.append(f"| {col.name} | {col.dtype} | {col.unit} | {req} | "
                         f"{col.description} |")
        parts.append("")
    parts.append("## Commodities\n\n| id | stage | unit | capability |\n|---|---|---|---|")
    for c in sorted(tables["commodities"], key=lambda r: (STAGE_ORDER[r["stage"]], r["id"])):
        parts.append(f"| {c['id']} | {c['stage']} | {c['unit']} | "
                     f"{'yes' if c['is_capability'] else ''} |")
    parts.append("")
    parts.append(DOCS_METHOD)
    parts.append(DOCS_LITHIUM + docs_table() + "\n")
    parts.append("## Sourced vs estimated\n\nSources of kind `primary`, `secondary` or "
                 "`derived` are publisher data or cited rows of `../shared/data` "
                 "(ids `ai_N`, `mp_N`, `rp_N` are rows of `ai_stack_shares_sourced.csv`, "
                 "`model_parameters_sourced.csv` and `refining_processing_shares_sourced.csv`).\n"
                 "These are the estimate rows and why they exist:\n")
    for s in tables["sources"]:
        if s["kind"] == "estimate":
            parts.append(f"* **{s['id']}**: {s['note']}")
    parts.append("\nRecipe input shares and their reasoning (the `source` column of recipes.csv says which are\nsourced and which are estimates):\n\n"
                 "| output | input | input_share | why |\n|---|---|---|---|")
    for r in sorted(RECIPE_WHY):
        parts.append(f"| {r[0]} | {r[1]} | {RECIPE_WHY[r][0]:.3g} | {RECIPE_WHY[r][1]} |")
    parts.append("")
    units = {c["id"]: c["unit"] for c in tables["commodities"]}
    parts.append(render_trade_docs(tables, units))
    parts.append(DOCS_CHECKS)
    parts.append(DOCS_ERRATA)
    parts.append(DOCS_GAPS)
    return "\n".join(parts)


STAGE_ORDER = {stage: i for i, stage in enumerate(
    ("mining", "refining", "component", "chip", "compute", "manufacturing", "energy",
     "logistics"))}
RECIPE_WHY: dict[tuple[str, str], tuple[float, str]] = {}


def build(shared: Path, out: Path, inputs_path: Path,
          trade_codes_path: Path = DEFAULT_TRADE_CODES) -> dict[str, list[dict]]:
    """Build every table and write the CSVs (and trade_series.parquet) into ``out``."""
    inputs = yaml.safe_load(inputs_path.read_text(encoding="utf-8"))
    frames = read_shared(shared)
    book = SourceBook(inputs["sources"] + read_mapping(trade_codes_path)["sources"], frames)
    tables: dict[str, list[dict]] = {}
    tables["commodities"] = build_commodities(frames, inputs, book)
    tables["production"] = build_production(frames, inputs, book)
    tables["production"] = apply_cost_tranches(
        tables["production"], shared, inputs["lithium_costs"], tables["commodities"],
        frames["crosswalk"], book)
    tables["recipes"] = build_recipes(shared, inputs, world_latest(tables["production"]), book)
    tables["blocs"] = build_blocs(inputs, book)
    tables["stockpiles"] = build_stockpiles(inputs, book)
    tables["inventories"] = build_inventories(frames, inputs, book)
    tables["chokepoints"] = build_chokepoints(inputs, book)
    tables["regions"] = build_regions(inputs, book)
    tables["final_demand"] = build_final_demand(inputs, book)
    trade, series, tables["trade_codes"], _ = build_trade(
        shared, trade_codes_path, tables["production"], [c["id"] for c in tables["commodities"]])
    tables["trade"] = _cited(trade, book)
    for row in tables["trade_codes"]:
        row["source"] = book.cite(row["source"])
    codes = {r["iso3"] for t in ("production", "blocs", "chokepoints") for r in tables[t]}
    codes |= {r["holder"] for r in tables["stockpiles"] if len(r["holder"]) == 3}
    codes |= {r["iso3"] for t in ("regions", "final_demand") for r in tables[t]}
    codes |= set(series["exporter"]) | set(series["importer"])
    tables["countries"] = build_countries(frames, codes, book)
    tables["sources"] = book.table()
    check_package(tables)
    out.mkdir(parents=True, exist_ok=True)
    for name in OUTPUT_TABLES:
        write_table(out, name, tables[name])
    write_series(series, out / "trade_series.parquet")
    write_export_controls(DEFAULT_CONTROLS, out, tables)
    return tables


# -- export controls (the dashboard's timeline; not part of a Dataset) ---------------------
def build_export_controls(inputs_path: Path, commodities: set[str],
                          countries: set[str]) -> list[dict]:
    """Rows of ``export_controls.csv`` from the input YAML: lists joined with ';', every id
    checked, every row with a citation and a URL (the schema requires both)."""
    from paxsilica.data.schema import EXPORT_CONTROLS

    rows = []
    for entry in yaml.safe_load(inputs_path.read_text(encoding="utf-8"))["controls"]:
        row = {key: entry.get(key) for key in EXPORT_CONTROLS.column_names}
        for key in ("commodities", "targets"):
            value = row[key]
            row[key] = ";".join(value) if isinstance(value, list) else value
        unknown = [c for c in str(row["commodities"]).split(";") if c not in commodities]
        places = [row["imposer"]] + ([] if row["targets"] == "all"
                                     else str(row["targets"]).split(";"))
        unknown += [c for c in places if c not in countries]
        missing = [c.name for c in EXPORT_CONTROLS.columns if c.required and not row[c.name]]
        if unknown or missing:
            raise BuildError(f"export control {row['id']}: unknown ids {unknown}, "
                             f"missing {missing}")
        rows.append(row)
    return rows


def write_export_controls(inputs_path: Path, out: Path, tables: dict[str, list[dict]]) -> None:
    """Write ``export_controls.csv`` (sorted by date, then id) into ``out``."""
    from paxsilica.data.schema import EXPORT_CONTROLS

    rows = build_export_controls(inputs_path, {r["id"] for r in tables["commodities"]},
                                 {r["iso3"] for r in tables["countries"]})
    with open(out / f"{EXPORT_CONTROLS.name}.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(EXPORT_CONTROLS.column_names)
        for row in sorted(rows, key=lambda r: (fmt(r["announced"]), r["id"])):
            writer.writerow([fmt(row[c]) for c in EXPORT_CONTROLS.column_names])


def _cited(frame: pd.DataFrame, book: SourceBook) -> list[dict]:
    rows = frame.to_dict("records")
    cited = {s: book.cite(s) for s in frame["source"].unique()}
    for row in rows:
        row["source"] = cited[row["source"]]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--inputs", type=Path, default=DEFAULT_INPUTS)
    parser.add_argument("--docs", type=Path, default=DOCS_PATH,
                        help="where to write data.md ('-' to skip)")
    args = parser.parse_args(argv)
    tables = build(args.shared, args.out, args.inputs)
    if str(args.docs) != "-":
        args.docs.write_text(render_docs(tables), encoding="utf-8")
    for name in OUTPUT_TABLES:
        print(f"{name}: {len(tables[name])} rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
