"""Cross-check USGS MCS 2026 production against World Mining Data, country by country.

Reads the USGS world production tables
(``derived/usgs_mcs2026_world_production_reserves_tidy.csv``) and World Mining Data
(``raw/world_mining_data_bmf/world_mining_data_2018_2024_long.csv``) from ``../shared/data``,
maps each USGS chapter/detail to a WMD commodity as declared in
``tools/data_inputs/production_crosscheck.yaml`` (unit factors and what each figure measures),
converts both to one unit and compares every country both report for the same year. Writes
``docs/production-crosscheck.md`` and, when under 100 kB, ``docs/production-crosscheck.csv``.

Usage::

    .venv/bin/python tools/compare_production.py [--shared ../shared/data] [--mapping YAML]
        [--doc docs/production-crosscheck.md] [--csv docs/production-crosscheck.csv]
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = ROOT.parent / "shared" / "data"
DEFAULT_MAPPING = ROOT / "tools" / "data_inputs" / "production_crosscheck.yaml"
DEFAULT_DOC = ROOT / "docs" / "production-crosscheck.md"
DEFAULT_CSV = ROOT / "docs" / "production-crosscheck.csv"
USGS_FILE = Path("derived") / "usgs_mcs2026_world_production_reserves_tidy.csv"
WMD_FILE = Path("raw") / "world_mining_data_bmf" / "world_mining_data_2018_2024_long.csv"
CSV_MAX_BYTES = 100_000
USGS_USABLE_FLAGS = ("numeric", "zero")  # other flags (W, NA, ranges, bounds) are not compared
WMD_FLAG_WORDS = {"r": "reported", "e": "estimated", "p": "provisional"}
NOTE_BOILERPLATE = re.compile(
    r"^(Estimated\s?\.|Reported\.|See Appendix C for resource and reserve definitions and "
    r"information concerning data sources\.)$")
CSV_COLUMNS = ["mapping", "paxsilica", "iso3", "country", "year", "unit", "usgs_value",
               "wmd_value", "ratio", "disagrees", "usgs_is_estimated", "wmd_data_source",
               "reason"]


@dataclass(frozen=True)
class Mapping:
    """One USGS figure and the WMD figure it is compared with, in a common unit.

    ``common value = USGS value x usgs_factor = WMD value x wmd_factor``; ``unit`` names the
    common unit (e.g. ``t Li``) and ``measures`` says what both figures count.
    """

    id: str
    usgs_chapter: str
    usgs_details: tuple[str, ...]
    usgs_unit: str
    usgs_factor: float
    wmd_commodity: str
    wmd_factor: float
    unit: str
    measures: str
    paxsilica: str = ""
    factor_basis: str = ""


@dataclass(frozen=True)
class CrosscheckSpec:
    """The declared mapping file: mappings, threshold, WMD ISO fixes, what is left out."""

    mappings: tuple[Mapping, ...]
    threshold: float
    wmd_iso_fixes: dict[str, str]
    not_compared: tuple[tuple[str, str], ...]


# --------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------

def load_spec(path: Path) -> CrosscheckSpec:
    """Read the mapping YAML; raise ``ValueError`` naming the entry when a field is missing."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    mappings = []
    for number, entry in enumerate(raw["mappings"], start=1):
        try:
            mappings.append(Mapping(
                id=entry["id"], usgs_chapter=entry["usgs_chapter"],
                usgs_details=tuple(entry["usgs_details"]), usgs_unit=entry["usgs_unit"],
                usgs_factor=float(entry["usgs_factor"]), wmd_commodity=entry["wmd_commodity"],
                wmd_factor=float(entry["wmd_factor"]), unit=entry["unit"],
                measures=" ".join(str(entry["measures"]).split()),
                paxsilica=entry.get("paxsilica") or "",
                factor_basis=entry.get("factor_basis") or ""))
        except KeyError as missing:
            raise ValueError(f"{path}: mapping {number} ({entry.get('id', '?')}) lacks field "
                             f"{missing}; see the header of the file for the fields") from None
    ids = [m.id for m in mappings]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: mapping ids repeat: "
                         f"{sorted({i for i in ids if ids.count(i) > 1})}")
    return CrosscheckSpec(
        mappings=tuple(mappings), threshold=float(raw["threshold"]),
        wmd_iso_fixes=dict(raw.get("wmd_iso_fixes") or {}),
        not_compared=tuple((e["what"], e["why"]) for e in raw.get("not_compared") or []))


def read_usgs(shared: Path) -> pd.DataFrame:
    """USGS production rows of named countries (no world totals or 'Other countries')."""
    frame = pd.read_csv(shared / USGS_FILE)
    keep = (frame["statistics"] == "Production") & frame["iso3"].notna()
    return frame[keep].reset_index(drop=True)


def read_wmd(shared: Path, iso_fixes: dict[str, str]) -> pd.DataFrame:
    """WMD country rows (its 'Total' rows dropped), with ``iso_fixes`` applied by country name."""
    frame = pd.read_csv(shared / WMD_FILE)
    frame = frame[frame["Country"] != "Total"].copy()
    fixed = frame["Country"].map(iso_fixes)
    frame["Country_ISO"] = fixed.fillna(frame["Country_ISO"])
    return frame.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# figures in the common unit
# --------------------------------------------------------------------------------------------

def rounding_step(value_raw: str) -> float:
    """Place value of the last significant digit of a USGS figure, in the figure's own unit.

    Trailing zeros of an integer are ambiguous, so at least two significant digits are assumed
    (USGS rounds estimates to two or three): ``"12,900"`` -> 100, ``"20,000"`` -> 1,000,
    ``"447"`` -> 1, ``"7"`` -> 1, ``"0.5"`` -> 0.1; 0.0 when the text is not a plain number.
    """
    text = str(value_raw).replace(",", "").strip()
    if not re.fullmatch(r"\d+(\.\d+)?", text):
        return 0.0
    if "." in text:
        return 10.0 ** -len(text.split(".")[1])
    digits = text.lstrip("0") or "0"
    trailing = len(digits) - len(digits.rstrip("0")) if digits != "0" else 0
    return 10.0 ** max(0, min(trailing, len(digits) - 2))


def note_parts(notes: object) -> list[str]:
    """The informative parts of a USGS row note ('Estimated.' and boilerplate removed)."""
    if not isinstance(notes, str):
        return []
    parts = [p.strip() for p in notes.split("--")]
    return [p for p in parts if p and not NOTE_BOILERPLATE.match(p)]


def revised_countries(other_notes: pd.Series) -> str:
    """The sentence of a chapter note that names countries whose 2024 production was revised."""
    for text in other_notes.dropna().unique():
        for sentence in re.split(r"(?<=\.)\s+", str(text)):
            if "2024" in sentence and "production" in sentence and "revis" in sentence:
                return sentence
    return ""


def is_named_in(country: str, sentence: str) -> bool:
    """Whether a USGS country name appears in ``sentence`` ('Korea, Republic of' as written too)."""
    if not sentence:
        return False
    names = {country}
    if ", " in country:  # "Korea, Republic of" -> "Republic of Korea"
        head, tail = country.split(", ", 1)
        names.add(f"{tail} {head}")
    return any(name in sentence for name in names)


def usgs_figures(usgs: pd.DataFrame, mapping: Mapping) -> pd.DataFrame:
    """One row per (iso3, year): the USGS figure in the mapping's common unit.

    Columns: iso3, country, year, usgs_value (common unit), usgs_step (USGS rounding step in the
    common unit), usgs_is_estimated, usgs_note, usgs_revised (chapter note says revised),
    usgs_skip (the value flag when a matched row is W/NA/a range/a bound, else '').
    """
    rows = usgs[(usgs["mcs_chapter"] == mapping.usgs_chapter)
                & usgs["statistics_detail"].isin(mapping.usgs_details)]
    units = set(rows["unit"])
    if units - {mapping.usgs_unit}:
        raise ValueError(f"mapping {mapping.id}: USGS unit {sorted(units)} is not the declared "
                         f"{mapping.usgs_unit!r}; fix usgs_unit/usgs_factor in the mapping file")
    revised = revised_countries(usgs.loc[usgs["mcs_chapter"] == mapping.usgs_chapter,
                                         "other_notes"])
    # a note every matched row carries states the table's basis, not a country's reason
    row_parts = [set(note_parts(n)) for n in rows["notes"]]
    shared = set.intersection(*row_parts) if len(row_parts) > 1 else set()
    out = []
    for (iso3, year), group in rows.groupby(["iso3", "year"], sort=True):
        bad = sorted(set(group["value_flag"]) - set(USGS_USABLE_FLAGS))
        country = str(group["country"].iloc[0])
        out.append({
            "iso3": iso3, "country": country, "year": int(year),
            "usgs_value": float(group["value"].sum()) * mapping.usgs_factor if not bad else
            math.nan,
            "usgs_step": max(rounding_step(v) for v in group["value_raw"]) * mapping.usgs_factor,
            "usgs_is_estimated": bool(group["is_estimated"].astype(bool).any()),
            "usgs_note": " ".join(dict.fromkeys(
                part for n in group["notes"] for part in note_parts(n) if part not in shared)),
            "usgs_revised": int(year) == 2024 and is_named_in(country, revised),
            "usgs_skip": ",".join(bad),
        })
    return pd.DataFrame(out, columns=["iso3", "country", "year", "usgs_value", "usgs_step",
                                      "usgs_is_estimated", "usgs_note", "usgs_revised",
                                      "usgs_skip"])


def wmd_figures(wmd: pd.DataFrame, mapping: Mapping) -> pd.DataFrame:
    """One row per (iso3, year): the WMD figure in the common unit and its r/e/p flag."""
    rows = wmd[wmd["commodity"] == mapping.wmd_commodity]
    if rows.empty:
        raise ValueError(f"mapping {mapping.id}: WMD has no commodity "
                         f"{mapping.wmd_commodity!r}; check the spelling in the mapping file")
    if rows.duplicated(["Country_ISO", "year"]).any():
        dup = rows[rows.duplicated(["Country_ISO", "year"], keep=False)]
        raise ValueError(f"mapping {mapping.id}: WMD repeats country-years "
                         f"{sorted(set(zip(dup['Country'], dup['year'])))[:4]}; add the wrongly "
                         "coded country to wmd_iso_fixes")
    return pd.DataFrame({
        "iso3": rows["Country_ISO"].to_numpy(), "year": rows["year"].astype(int).to_numpy(),
        "wmd_value": rows["production"].to_numpy(dtype=float) * mapping.wmd_factor,
        "wmd_data_source": rows["data_source"].fillna("").to_numpy(),
    })


# --------------------------------------------------------------------------------------------
# comparison
# --------------------------------------------------------------------------------------------

def ratio_of(usgs_value: float, wmd_value: float) -> float:
    """USGS / WMD (dimensionless); inf when only WMD is zero, NaN when both are zero."""
    if wmd_value == 0:
        return math.nan if usgs_value == 0 else math.inf
    return usgs_value / wmd_value


def disagrees(ratio: float, threshold: float) -> bool:
    """Whether the larger figure exceeds the smaller by more than ``threshold`` (0.2 = 20%).

    Symmetric: ratio 1.25 and ratio 0.8 both disagree at 20%; ratio 0 or inf (one source zero)
    disagrees; NaN (both zero) does not.
    """
    if math.isnan(ratio):
        return False
    if ratio == 0 or math.isinf(ratio):
        return True
    return max(ratio, 1 / ratio) > 1 + threshold


def compare(usgs_fig: pd.DataFrame, wmd_fig: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Join the two sources on (iso3, year) and flag disagreements.

    Only pairs with a usable USGS figure (not W/NA/bounds) and not both zero are kept. Adds
    ``ratio`` (USGS / WMD, dimensionless) and ``disagrees`` (see :func:`disagrees`).
    """
    pairs = usgs_fig.merge(wmd_fig, on=["iso3", "year"], how="inner", validate="one_to_one")
    pairs = pairs[pairs["usgs_value"].notna()]
    pairs = pairs[(pairs["usgs_value"] != 0) | (pairs["wmd_value"] != 0)].copy()
    pairs["ratio"] = [ratio_of(u, w) for u, w in zip(pairs["usgs_value"], pairs["wmd_value"])]
    pairs["disagrees"] = [disagrees(r, threshold) for r in pairs["ratio"]]
    return pairs.reset_index(drop=True)


def likely_reasons(row: pd.Series, median_ratio: float, threshold: float) -> str:
    """Reasons evident in the data for one pair, '; '-joined ('' when none is evident).

    Looks at: a commodity-wide offset (median ratio itself off by more than ``threshold``),
    one source zero, USGS rounding that covers the gap, the USGS estimate flag and chapter
    revision note, the WMD e/p flag, and any informative USGS row note.
    """
    reasons = []
    if disagrees(median_ratio, threshold):
        reasons.append(f"basis: median ratio for this commodity is {median_ratio:.2f}")
    if row["usgs_value"] == 0:
        reasons.append("USGS reports zero")
    elif row["wmd_value"] == 0:
        reasons.append("WMD reports zero")
    if abs(row["usgs_value"] - row["wmd_value"]) <= row["usgs_step"] / 2:
        reasons.append("within USGS rounding")
    if row["usgs_is_estimated"]:
        reasons.append("USGS estimate")
    if row["usgs_revised"]:
        reasons.append("USGS revised its 2024 figure (chapter note)")
    if row["wmd_data_source"] in ("e", "p"):
        reasons.append(f"WMD {WMD_FLAG_WORDS[row['wmd_data_source']]} ({row['wmd_data_source']})")
    if row["usgs_note"]:
        reasons.append(f"USGS note: {row['usgs_note']}")
    return "; ".join(reasons)


def crosscheck(usgs: pd.DataFrame, wmd: pd.DataFrame, spec: CrosscheckSpec
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compare every mapping; return (pairs, summary).

    ``pairs``: one row per mapping x country x year both report, values in the mapping's unit.
    ``summary``: per mapping, countries compared, disagreements, median/min/max ratio, and
    countries reported by one source only or skipped (USGS W/NA/bounds) in the common years.
    """
    all_pairs, summary = [], []
    for mapping in spec.mappings:
        usgs_fig, wmd_fig = usgs_figures(usgs, mapping), wmd_figures(wmd, mapping)
        common_years = sorted(set(usgs_fig["year"]) & set(wmd_fig["year"]))
        usgs_fig = usgs_fig[usgs_fig["year"].isin(common_years)]
        wmd_fig = wmd_fig[wmd_fig["year"].isin(common_years)]
        pairs = compare(usgs_fig, wmd_fig, spec.threshold)
        finite = pairs["ratio"][pairs["ratio"].map(lambda r: 0 < r < math.inf)]
        median = float(finite.median()) if len(finite) else math.nan
        pairs["reason"] = [likely_reasons(row, median, spec.threshold) if row["disagrees"]
                           else "" for _, row in pairs.iterrows()]
        pairs.insert(0, "mapping", mapping.id)
        pairs.insert(1, "paxsilica", mapping.paxsilica)
        pairs.insert(2, "unit", mapping.unit)
        all_pairs.append(pairs)
        usgs_keys = set(zip(usgs_fig["iso3"], usgs_fig["year"]))
        wmd_keys = set(zip(wmd_fig["iso3"], wmd_fig["year"]))
        summary.append({
            "mapping": mapping.id, "paxsilica": mapping.paxsilica,
            "years": ",".join(map(str, common_years)), "compared": len(pairs),
            "disagree": int(pairs["disagrees"].sum()), "median_ratio": median,
            "min_ratio": float(finite.min()) if len(finite) else math.nan,
            "max_ratio": float(finite.max()) if len(finite) else math.nan,
            "usgs_only": len(usgs_keys - wmd_keys), "wmd_only": len(wmd_keys - usgs_keys),
            "usgs_skipped": int((usgs_fig["usgs_skip"] != "").sum()),
        })
    return pd.concat(all_pairs, ignore_index=True), pd.DataFrame(summary)


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------

def fmt_number(value: float) -> str:
    """A figure for the tables: thousands separators, at most 3 decimals, trailing zeros cut."""
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "inf"
    text = f"{value:,.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def fmt_ratio(value: float) -> str:
    """A ratio with 2 decimals ('inf', '' for NaN)."""
    if math.isnan(value):
        return ""
    return "inf" if math.isinf(value) else f"{value:.2f}"


def md_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table ('|' in cells escaped)."""
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"
    return "\n".join([line(header), line(["---"] * len(header))] + [line(r) for r in rows])


def severity(ratio: float) -> float:
    """How far a ratio is from 1 on a symmetric scale (|ln ratio|; inf for 0 or inf)."""
    return math.inf if ratio == 0 or math.isinf(ratio) else abs(math.log(ratio))


def render_doc(spec: CrosscheckSpec, pairs: pd.DataFrame, summary: pd.DataFrame,
               csv_note: str) -> str:
    """The Markdown report: method, mapping table, per-commodity summary, every disagreement."""
    pct = round(spec.threshold * 100)
    bad = pairs[pairs["disagrees"]].copy()
    bad["severity"] = bad["ratio"].map(severity)
    shipped = {m.id for m in spec.mappings if m.paxsilica}
    bad["shipped"] = bad["mapping"].isin(shipped)
    bad = bad.sort_values(["shipped", "mapping", "severity", "iso3"],
                          ascending=[False, True, False, True])
    years = sorted(set(pairs["year"]))
    n_ship = int(pairs["mapping"].isin(shipped).sum())
    n_ship_bad = int(bad["shipped"].sum())
    out = [
        "# Production cross-check: USGS MCS 2026 vs World Mining Data",
        "",
        "<!-- Generated by tools/compare_production.py; do not edit by hand. -->",
        "",
        "Generated file. Regenerate with `.venv/bin/python tools/compare_production.py` "
        "(reads `../shared/data`; `--shared DIR` to point elsewhere). The mapping is declared in "
        "`tools/data_inputs/production_crosscheck.yaml`.",
        "",
        "## Method",
        "",
        "- **Sources.** USGS: world production tables of the Mineral Commodity Summaries 2026 "
        f"data release (`{USGS_FILE.as_posix()}`, 2024 and 2025). World Mining Data (WMD, "
        f"Austrian Federal Ministry of Finance, Reichl & Schatz; `{WMD_FILE.as_posix()}`, "
        "2018-2024; flags r reported, e estimated, p provisional). See "
        "`../shared/data/PROVENANCE.md` sections 2 and 10.",
        f"- **Years.** Every year both report: {', '.join(map(str, years))}.",
        "- **Pairs.** Each USGS chapter/detail is mapped to one WMD commodity (table below); "
        "both figures are converted to a common unit with the declared factors. A pair is one "
        "mapping x country (ISO3) x year that both sources list. Left out: USGS aggregates "
        "(World total, Other countries), WMD 'Total' rows, USGS figures that are withheld (W), "
        "not available, ranges or bounds, and pairs where both report zero.",
        f"- **Ratio** = USGS / WMD in the common unit. A pair **disagrees** when the larger "
        f"figure exceeds the smaller by more than {pct}% (ratio above {1 + spec.threshold:.2f} "
        f"or below 1/{1 + spec.threshold:.2f} = {1 / (1 + spec.threshold):.3f}), or when one "
        "source reports zero and the other does not. Neither source is taken as the truth.",
        "- **Likely reason** lists what the data show, not a verdict: a commodity-wide offset "
        f"(median ratio itself off by more than {pct}%, pointing at a basis difference), one "
        "source reporting zero, a gap within USGS rounding (half the place value of the last "
        "significant digit of the USGS figure), the USGS 'Estimated' flag, a USGS chapter note "
        "that the country's 2024 figure was revised, the WMD e/p flag, and the USGS row note.",
        "- WMD quirk fixed in the mapping file: "
        + ", ".join(f"{k} is coded {v}" for k, v in spec.wmd_iso_fixes.items())
        + " (the file's own code for it is wrong).",
        "",
        "## Result in brief",
        "",
        f"{len(pairs)} country-commodity-year pairs compared across {len(summary)} mappings; "
        f"{len(bad)} disagree by more than {pct}%. For the commodities paxsilica ships: "
        f"{n_ship} pairs, {n_ship_bad} disagree. {csv_note}",
        "",
        "## Mapping",
        "",
        "Common value = USGS value x USGS factor = WMD value x WMD factor.",
        "",
    ]
    out.append(md_table(
        ["id", "paxsilica", "USGS chapter: detail", "USGS unit", "USGS factor",
         "WMD commodity", "WMD factor", "common unit", "what both measure"],
        [[m.id, m.paxsilica, f"{m.usgs_chapter}: {' + '.join(m.usgs_details)}", m.usgs_unit,
          f"{m.usgs_factor:,.6g}", m.wmd_commodity, f"{m.wmd_factor:,.6g}", m.unit,
          m.measures + (f" ({m.factor_basis})" if m.factor_basis else "")]
         for m in spec.mappings]))
    out += ["", "### Not compared", ""]
    out += [f"- **{what}**: {why}" for what, why in spec.not_compared]
    out += ["", "## Summary per commodity", "",
            "Compared: pairs both report. Ratios: USGS / WMD over pairs where neither is zero. "
            "USGS only / WMD only: country-years listed by one source only (WMD lists many "
            "small producers USGS folds into 'Other countries'). USGS skipped: W, NA, ranges, "
            "bounds.", ""]
    summary_rows = summary.sort_values(["paxsilica", "mapping"],
                                       key=lambda s: s.eq("") if s.name == "paxsilica" else s)
    out.append(md_table(
        ["mapping", "paxsilica", "years", "compared", "disagree > " + f"{pct}%",
         "median ratio", "min ratio", "max ratio", "USGS only", "WMD only", "USGS skipped"],
        [[r.mapping, r.paxsilica, r.years, str(r.compared), str(r.disagree),
          fmt_ratio(r.median_ratio), fmt_ratio(r.min_ratio), fmt_ratio(r.max_ratio),
          str(r.usgs_only), str(r.wmd_only), str(r.usgs_skipped)]
         for r in summary_rows.itertuples()]))
    out += ["", f"## Disagreements over {pct}%", "",
            f"{len(bad)} pairs; shipped commodities first, then by commodity and by how far the "
            "ratio is from 1. Values in the common unit of the mapping.", ""]
    out.append(md_table(
        ["commodity", "country", "ISO3", "year", "unit", "USGS", "WMD", "ratio",
         "WMD flag", "likely reason"],
        [[r.mapping, r.country, r.iso3, str(r.year), r.unit, fmt_number(r.usgs_value),
          fmt_number(r.wmd_value), fmt_ratio(r.ratio), r.wmd_data_source,
          r.reason or "none evident"]
         for r in bad.itertuples()]))
    return "\n".join(out) + "\n"


def csv_text(pairs: pd.DataFrame) -> str:
    """The pairs as CSV (values in the common unit, ratio to 4 decimals), sorted, fixed format."""
    frame = pairs.sort_values(["mapping", "iso3", "year"])[CSV_COLUMNS].copy()
    frame["usgs_value"] = frame["usgs_value"].map(lambda v: f"{v:.6g}")
    frame["wmd_value"] = frame["wmd_value"].map(lambda v: f"{v:.6g}")
    frame["ratio"] = frame["ratio"].map(lambda v: "inf" if math.isinf(v) else f"{v:.4f}")
    return frame.to_csv(index=False, lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--mapping", type=Path, default=DEFAULT_MAPPING)
    parser.add_argument("--doc", type=Path, default=DEFAULT_DOC)
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV,
                        help=f"written only when under {CSV_MAX_BYTES:,} bytes ('-' to skip)")
    args = parser.parse_args(argv)
    spec = load_spec(args.mapping)
    pairs, summary = crosscheck(read_usgs(args.shared),
                                read_wmd(args.shared, spec.wmd_iso_fixes), spec)
    text = csv_text(pairs)
    size = len(text.encode("utf-8"))
    if str(args.csv) != "-" and size < CSV_MAX_BYTES:
        args.csv.write_text(text, encoding="utf-8")
        csv_note = f"Every pair is in `{args.csv.name}` next to this file."
    else:
        csv_note = f"The per-pair CSV ({size:,} bytes) is not written."
    args.doc.write_text(render_doc(spec, pairs, summary, csv_note), encoding="utf-8")
    print(f"{len(pairs)} pairs compared, {int(pairs['disagrees'].sum())} disagree by more than "
          f"{spec.threshold:.0%}; wrote {args.doc}" + (f" and {args.csv}" if "Every" in csv_note
                                                        else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
