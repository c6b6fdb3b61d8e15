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
unit value is more than 10x off the median of its code and year, is re-estimated from the
traded value; ``imputed_share`` says how much of a row's quantity that touched.
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


def repair_quantities(flows: pd.DataFrame, band: float = UNIT_VALUE_BAND) -> pd.DataFrame:
    """Re-estimate missing or implausible tonnages from value / median unit value.

    The median unit value (US$/t) is taken per (hs6, year) over flows with a positive quantity
    and value. A flow is repaired when its quantity is missing or its unit value lies outside
    ``median / band .. median x band``. Returns a copy with ``quantity_t`` repaired and
    ``imputed`` (bool) added; flows of a code-year without any usable unit value keep their
    quantity (missing ones become 0).
    """
    out = flows.copy()
    usable = (out["quantity_t"] > 0) & (out["value_usd"] > 0)
    unit_value = out["value_usd"] / out["quantity_t"].where(usable)
    median = unit_value.groupby([out["hs6"], out["year"]]).transform("median")
    outlier = usable & ((unit_value > median * band) | (unit_value < median / band))
    missing = out["quantity_t"].isna() | ((out["quantity_t"] <= 0) & (out["value_usd"] > 0))
    repair = (outlier | missing) & median.notna()
    out.loc[repair, "quantity_t"] = out.loc[repair, "value_usd"] / median[repair]
    out["quantity_t"] = out["quantity_t"].fillna(0.0)
    out["imputed"] = repair
    return out


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
    rows = []
    for code in codes.itertuples():
        first, last = (int(v) for v in years.loc[code.commodity]) if (
            code.commodity in years.index) else (None, None)
        note = "" if code.commodity in covered else mapping["no_code"].get(code.commodity, "")
        rows.append({"commodity": code.commodity, "hs6": code.hs6, "factor": code.factor,
                     "basis": code.basis, "first_year": first, "last_year": last,
                     "coverage": "bilateral" if code.commodity in covered else
                     "production_shares", "note": note,
                     "source": f"cepii_baci;{code.source}"})
    mapped = set(codes["commodity"])
    for commodity in commodity_ids:
        if commodity in mapped:
            continue
        why = mapping["no_code"].get(commodity, mapping["no_code"]["default"])
        rows.append({"commodity": commodity, "hs6": None, "factor": None, "basis": None,
                     "first_year": None, "last_year": None, "coverage": "production_shares",
                     "note": why, "source": "cepii_baci"})
    return rows


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
