"""Build the trade tables of the embedded data package from CEPII BACI (HS92).

Called by ``tools/build_data.py``. Reads ``raw/baci_cepii_minerals_hs92`` of ``../shared/data``
and the declared mapping ``tools/data_inputs/trade_codes.yaml`` (commodity -> HS6 codes, each
with a content factor and its source), and returns:

* ``trade``: the baseline, one row per (commodity, exporter, importer): the mean of the
  latest three years (a flow absent in a year counts as 0 that year), in the commodity's unit;
* ``trade_codes``: the mapping as shipped, plus one row per commodity without a code saying
  why its routes fall back to production shares;
* the yearly series (every year, same columns), written as ``trade_series.parquet``.

Quantities pass one check first (:func:`repair_quantities`): a missing tonnage, or one whose
unit value is more than 10x off the median of its code and year (in codes that hold one kind
of product), is re-estimated from the traded value; ``imputed_share`` says how much of a row's
quantity that touched.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pycountry
import yaml

from paxsilica.data.schema import REST_OF_WORLD

BACI_DIR = Path("raw") / "baci_cepii_minerals_hs92"
BACI_FILE = "baci_hs92_minerals_1995_2024.parquet"
BACI_CODES = "baci_country_codes_V202401b.csv"
#: BACI's "Other Asia, nes" is Taiwan (CEPII country documentation).
BACI_SPECIAL = {"S19": "TWN"}
BASELINE_YEARS = 3
SIGNIFICANT_DIGITS = 6
UNIT_VALUE_BAND = 10.0  # a unit value outside 1/10..10x the code-year median is a bad tonnage
MIXED_CODE_RATIO = 3.0  # plain vs tonnage-weighted median unit value: a code of mixed products
TRADE_COLUMNS = ["commodity", "exporter", "importer", "year", "period", "quantity", "value_usd",
                 "imputed_share", "source"]


class TradeBuildError(RuntimeError):
    """The BACI files or the mapping do not hold what the build expects."""


def read_mapping(path: Path) -> dict:
    """The mapping YAML: ``sources``, ``codes`` (list) and ``no_code`` (commodity -> why)."""
    mapping = yaml.safe_load(path.read_text(encoding="utf-8"))
    for i, code in enumerate(mapping["codes"]):
        missing = {"commodity", "hs6", "factor", "basis", "source"} - set(code)
        if missing:
            raise TradeBuildError(f"{path.name} codes[{i}]: missing {sorted(missing)}")
    return mapping


def read_baci(shared: Path) -> pd.DataFrame:
    """BACI flows with ISO3 exporter/importer: year, exporter, importer, hs6, quantity_t, value_usd.

    Codes without an ISO 3166 alpha-3 (historic or aggregate reporters) become ``ROW``; flows
    that then run from ROW to ROW are dropped (they name no country at either end).
    """
    folder = shared / BACI_DIR
    flows = pd.read_parquet(folder / BACI_FILE)
    codes = pd.read_csv(folder / BACI_CODES)
    iso = {int(c): _iso3(str(i)) for c, i in zip(codes["country_code"], codes["country_iso3"],
                                                   strict=True)}
    unknown = (set(flows["exporter_code"]) | set(flows["importer_code"])) - set(iso)
    if unknown:
        raise TradeBuildError(f"BACI country codes without a name: {sorted(unknown)[:5]}")
    out = pd.DataFrame({
        "year": flows["year"].astype(int),
        "exporter": flows["exporter_code"].map(iso),
        "importer": flows["importer_code"].map(iso),
        "hs6": flows["hs6"].astype(str),
        "quantity_t": flows["quantity_t"].astype(float),
        "value_usd": flows["value_kusd"].astype(float) * 1000.0,
    })
    return out[out["exporter"] != out["importer"]].reset_index(drop=True)


def _iso3(code: str) -> str:
    code = BACI_SPECIAL.get(code, code)
    return code if pycountry.countries.get(alpha_3=code) is not None else REST_OF_WORLD


def repair_quantities(flows: pd.DataFrame, band: float = UNIT_VALUE_BAND,
                      mixed_ratio: float = MIXED_CODE_RATIO) -> pd.DataFrame:
    """Re-estimate missing or implausible tonnages from value / a reference unit value.

    Per (hs6, year), over flows with a positive quantity and value, two medians of the unit
    value (US$/t) are taken: the plain median (the typical shipment) and the tonnage-weighted
    median (the typical tonne). Where they differ by more than ``mixed_ratio`` the code holds
    products of very different value per tonne (wet laterite ore beside nickel concentrate,
    crude gypsum beside specialty grades), so no reported tonnage is judged there. Elsewhere a
    flow whose unit value lies outside ``median / band .. median x band`` is treated as a
    mis-reported tonnage. A repaired or missing tonnage becomes value / the exporter's own
    median unit value for that code and year (the code's median if it has none). Returns a copy
    with ``quantity_t`` repaired and ``imputed`` (bool) added.
    """
    out = flows.copy()
    usable = (out["quantity_t"] > 0) & (out["value_usd"] > 0)
    unit_value = out["value_usd"] / out["quantity_t"].where(usable)
    code_year = [out["hs6"], out["year"]]
    median = unit_value.groupby(code_year).transform("median")
    weighted = _weighted_median(unit_value, out["quantity_t"].where(usable), code_year)
    mixed = np.maximum(median / weighted, weighted / median) > mixed_ratio
    outlier = usable & ~mixed & ((unit_value > median * band) | (unit_value < median / band))
    missing = out["quantity_t"].isna() | ((out["quantity_t"] <= 0) & (out["value_usd"] > 0))
    own = unit_value.where(~outlier).groupby([out["exporter"], *code_year]).transform("median")
    reference = own.fillna(median)
    repair = (outlier | missing) & reference.notna()
    out.loc[repair, "quantity_t"] = out.loc[repair, "value_usd"] / reference[repair]
    out["quantity_t"] = out["quantity_t"].fillna(0.0)
    out["imputed"] = repair
    return out


def _weighted_median(values: pd.Series, weights: pd.Series, keys: list[pd.Series]) -> pd.Series:
    """Weighted median of ``values`` per group, broadcast back to the rows (nan where none)."""
    frame = pd.DataFrame({"v": values, "w": weights, "k0": keys[0], "k1": keys[1]}).dropna()
    frame = frame.sort_values(["k0", "k1", "v"])
    cumulative = frame.groupby(["k0", "k1"])["w"].cumsum()
    half = frame.groupby(["k0", "k1"])["w"].transform("sum") / 2
    first = frame[cumulative >= half].groupby(["k0", "k1"])["v"].first()
    index = pd.MultiIndex.from_arrays([keys[0], keys[1]])
    return pd.Series(first.reindex(index).to_numpy(), index=values.index)


def magnet_ree_share(production: list[dict]) -> float:
    """World magnet-REE refining / world rare-earth mine output, each in its latest year."""
    totals = {}
    for commodity in ("rare_earths_refining", "rare_earths_mining"):
        rows = [r for r in production if r["commodity"] == commodity]
        latest = max(r["year"] for r in rows)
        totals[commodity] = sum(r["quantity"] for r in rows if r["year"] == latest)
    return totals["rare_earths_refining"] / totals["rare_earths_mining"]


def resolve_factors(mapping: dict, production: list[dict]) -> pd.DataFrame:
    """The codes of the mapping as a frame with numeric factors."""
    codes = pd.DataFrame(mapping["codes"])
    codes["same_stage"] = codes.get("same_stage", pd.Series(True, index=codes.index)
                                    ).fillna(True).astype(bool)
    named = {"magnet_ree_share": magnet_ree_share(production)}
    codes["factor"] = [named[f] if isinstance(f, str) else float(f) for f in codes["factor"]]
    return codes


def trade_series(flows: pd.DataFrame, codes: pd.DataFrame) -> pd.DataFrame:
    """Yearly flows per (commodity, exporter, importer, year) in the commodity's unit.

    ``quantity`` = sum over the commodity's codes of tonnes x factor; ``imputed_share`` is the
    part of that quantity whose tonnage :func:`repair_quantities` re-estimated.
    """
    joined = flows.merge(codes[["commodity", "hs6", "factor"]], on="hs6", how="inner")
    joined["quantity"] = joined["quantity_t"] * joined["factor"]
    joined["imputed_quantity"] = joined["quantity"].where(joined["imputed"], 0.0)
    keys = ["commodity", "exporter", "importer", "year"]
    series = joined.groupby(keys, as_index=False)[["quantity", "value_usd",
                                                   "imputed_quantity"]].sum()
    series = series[series["quantity"] > 0]
    series["imputed_share"] = (series["imputed_quantity"] / series["quantity"]).clip(0, 1)
    series["period"] = series["year"].astype(str)
    return series.drop(columns="imputed_quantity").sort_values(keys).reset_index(drop=True)


def baseline(series: pd.DataFrame, years: int = BASELINE_YEARS) -> pd.DataFrame:
    """Mean of the latest ``years`` years per flow (absent years count as 0); year = last year.

    The window ends at the latest year of the whole series, not of each commodity, so a
    commodity whose code stopped earlier (germanium, 2016) has no baseline rows.
    """
    last = int(series["year"].max())
    window = series[series["year"] > last - years]
    keys = ["commodity", "exporter", "importer"]
    window = window.assign(imputed=window["imputed_share"] * window["quantity"])
    summed = window.groupby(keys, as_index=False)[["quantity", "value_usd", "imputed"]].sum()
    summed["imputed_share"] = (summed["imputed"] / summed["quantity"]).clip(0, 1)
    summed["quantity"] /= years
    summed["value_usd"] /= years
    summed["year"] = last
    summed["period"] = f"{last - years + 1}-{last}"
    return summed.drop(columns="imputed").sort_values(keys).reset_index(drop=True)


def code_rows(codes: pd.DataFrame, mapping: dict, series: pd.DataFrame,
              base: pd.DataFrame, commodity_ids: list[str]) -> list[dict]:
    """The shipped ``trade_codes`` table: one row per code, one per uncovered commodity."""
    years = series.groupby("commodity")["year"].agg(["min", "max"])
    covered = set(base["commodity"])
    mixed = set(codes.loc[~codes["same_stage"], "commodity"])
    rows = []
    for code in codes.itertuples():
        first, last = (int(v) for v in years.loc[code.commodity]) if (
            code.commodity in years.index) else (None, None)
        note = "" if code.commodity in covered else mapping["no_code"].get(code.commodity, "")
        rows.append({"commodity": code.commodity, "hs6": code.hs6, "factor": code.factor,
                     "basis": code.basis, "same_stage": bool(code.same_stage),
                     "first_year": first, "last_year": last,
                     "coverage": _coverage(code.commodity, covered, mixed), "note": note,
                     "source": f"cepii_baci;{code.source}"})
    mapped = set(codes["commodity"])
    for commodity in commodity_ids:
        if commodity in mapped:
            continue
        why = mapping["no_code"].get(commodity, mapping["no_code"]["default"])
        rows.append({"commodity": commodity, "hs6": None, "factor": None, "basis": None,
                     "same_stage": None, "first_year": None, "last_year": None,
                     "coverage": "production_shares", "note": why, "source": "cepii_baci"})
    return rows


def _coverage(commodity: str, covered: set[str], mixed: set[str]) -> str:
    if commodity not in covered:
        return "production_shares"
    return "mixed_stage" if commodity in mixed else "bilateral"


def build_trade(shared: Path, mapping_path: Path, production: list[dict],
                commodity_ids: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, list[dict], dict]:
    """Everything the data package needs: (baseline, series, trade_codes rows, mapping)."""
    mapping = read_mapping(mapping_path)
    unknown = {c["commodity"] for c in mapping["codes"]} - set(commodity_ids)
    if unknown:
        raise TradeBuildError(f"{mapping_path.name}: unknown commodities {sorted(unknown)}")
    codes = resolve_factors(mapping, production)
    flows = repair_quantities(read_baci(shared))
    missing_codes = set(codes["hs6"]) - set(flows["hs6"])
    if missing_codes:
        raise TradeBuildError(f"HS codes not in the BACI extract: {sorted(missing_codes)}")
    series = trade_series(flows, codes)
    base = baseline(series)
    for frame in (series, base):
        # conversion factors are cited once, in trade_codes; a row cites the data and, where
        # part of its tonnage was re-estimated, the rule that did it
        frame["source"] = np.where(frame["imputed_share"] > 0, "cepii_baci;est_trade_quantity",
                                   "cepii_baci")
        for column in ("quantity", "value_usd"):
            frame[column] = significant(frame[column], SIGNIFICANT_DIGITS)
        frame["imputed_share"] = frame["imputed_share"].round(3)
    rows = code_rows(codes, mapping, series, base, commodity_ids)
    return base[TRADE_COLUMNS], series[TRADE_COLUMNS], rows, mapping


def significant(values: pd.Series, digits: int) -> pd.Series:
    """Round to ``digits`` significant figures (BACI reports to about that precision)."""
    magnitude = np.floor(np.log10(values.abs().where(values != 0, 1.0)))
    scale = 10.0 ** (digits - 1 - magnitude)
    return (values * scale).round() / scale


def write_series(series: pd.DataFrame, path: Path) -> None:
    """The yearly series as Parquet (zstd), rows sorted so the bytes are reproducible."""
    frame = series.copy()
    frame["year"] = frame["year"].astype(np.int16)
    for column in ("quantity", "value_usd", "imputed_share"):
        frame[column] = frame[column].astype(np.float32)  # 7 digits hold the 6 kept
    for column in ("commodity", "exporter", "importer", "period", "source"):
        frame[column] = frame[column].astype("category")
    frame.to_parquet(path, index=False, compression="zstd", compression_level=19)


DOCS_TRADE = """## Bilateral trade (CEPII BACI)

`trade.csv` is the baseline that metrics and the engine use: for every commodity with an HS92
code of its own stage, each exporter -> importer flow averaged over 2022-2024 (a year without
the flow counts as 0), converted to the commodity's unit with the factor of its code.
`trade_series.parquet` holds the same flows year by year, 1995-2024, for back-tests
(`paxsilica.data.package.read_trade_series()`); `trade_codes.csv` declares the mapping and,
for every other commodity, why it has no trade rows. Built by `tools/build_trade.py` from
`../shared/data/raw/baci_cepii_minerals_hs92` and `tools/data_inputs/trade_codes.yaml`.

* **Countries.** BACI's "Other Asia, nes" (code 490) is Taiwan. Historic or aggregate reporters
  without an ISO code (Southern African Customs Union before 2000, "Europe EFTA nes", US
  Pacific islands, Netherlands Antilles) are `ROW`. Every country that trades or produces
  is in `countries.csv`, with CLDR names in English and Arabic.
* **Quantities.** BACI tonnages are partly estimated by CEPII and ~5% are missing. A missing
  tonnage, or, in a code that holds one kind of product, a flow whose unit value is more than
  10x off the code-year median, is re-estimated as value / the exporter's own median unit
  value (`est_trade_quantity`); `imputed_share` says how much of a row's quantity that
  touched. A code is "mixed" in a year when its plain and tonnage-weighted median unit values
  differ more than 3x (nickel ores: wet laterite at ~US$50/t beside concentrates at
  ~US$4,500/t; cobalt intermediates beside metal; rare-earth compounds): there only missing
  tonnages are filled. The largest repair: Papua New Guinea's copper concentrate, reported at
  9.7 Mt a year at US$104/t against a median of ~US$2,000/t.
* **Content factors** (units of the commodity per tonne traded, sources in `trade_codes`):
  stoichiometry for lithium carbonate and hydroxide; unit changes for metals and LNG; stated
  estimates for ore and concentrate grades (copper 25% Cu, antimony 50% Sb, tungsten 65% WO3,
  nickel laterite 1.2% Ni, cobalt hydroxide 35% Co) and for the magnet-REE share of traded
  rare-earth compounds. A uniform factor leaves sourcing shares unchanged; it moves import
  reliance only where a country both produces and trades.
* **Import reliance** = net imports / apparent consumption (production + imports - exports),
  0..1; for a bloc, trade between its members is internal (as in the EU's extra-EU figure).

Limits: ownership is not in the data (a Chinese-owned mine in Indonesia or the DRC counts as
Indonesian or Congolese output). Trade in ores is not trade in refined products: each
commodity is mapped only to codes of its own stage, so the refined stages of copper, nickel,
cobalt, graphite, silicon and magnesium, and gallium, germanium (after 2016), indium, helium,
neon, magnets and everything above them have no trade rows and fall back to production
shares. Production years (2023-2025) and trade years (2022-2024) differ. Production listed by
USGS under "Other countries" is `ROW`, so a small producer reads as producing nothing and its
import reliance is an upper bound (e.g. EU aluminium smelters). Myanmar's mixed rare-earth
carbonates are classified as compounds (284690) and so count as refining-stage trade.

| commodity | HS92 codes | factor | years | flows (2022-2024) | exporters | world trade / yr | re-estimated |
|---|---|---|---|---|---|---|---|
"""


def _amount(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def render_trade_docs(tables: dict[str, list[dict]], units: dict[str, str]) -> str:
    """The docs/data.md section on trade: method, limits, one summary row per commodity."""
    codes = pd.DataFrame(tables["trade_codes"])
    trade = pd.DataFrame(tables["trade"])
    lines = [DOCS_TRADE.rstrip("\n")]
    for commodity, rows in codes[codes["hs6"].notna()].groupby("commodity"):
        flows = trade[trade["commodity"] == commodity]
        total = float(flows["quantity"].sum())
        imputed = float((flows["quantity"] * flows["imputed_share"]).sum()) / total if total else 0
        factors = ", ".join(sorted({f"{f:.4g}" for f in rows["factor"]}))
        years = f"{int(rows['first_year'].min())}-{int(rows['last_year'].max())}"
        lines.append(f"| {commodity} | {', '.join(rows['hs6'])} | {factors} | {years} | "
                     f"{len(flows):,} | {flows['exporter'].nunique()} | "
                     f"{_amount(total)} {units[commodity]} | {imputed:.1%} |")
    lines.append("\nNo trade rows (routes pro rata to production):\n")
    for row in codes[codes["coverage"] == "production_shares"].itertuples():
        lines.append(f"* `{row.commodity}`: {row.note}")
    return "\n".join(lines) + "\n"
