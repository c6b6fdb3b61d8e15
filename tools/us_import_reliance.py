"""Check the United States' import reliance against USGS's published net import reliance.

For every net import reliance (NIR) that USGS Mineral Commodity Summaries 2026 publishes for
the United States in 2024 (``derived/usgs_mcs2026_us_salient_statistics_tidy.csv`` of
``../shared/data``), the declared mapping ``tools/data_inputs/us_nir_mapping.yaml`` says how we
measure the same thing:

* ``package``: a paxsilica commodity with bilateral trade; ours is the embedded package's
  ``dependency_table(ds, "USA")`` (trade 2022-2024, production in its latest year);
* ``baci``: HS92 codes of the CEPII BACI extract, read and repaired with ``build_trade``'s own
  functions; US imports and exports are the 2022-2024 mean, each code times a declared content
  factor, and US production is the 2022-2024 mean of the USGS salient-statistics rows named in
  the mapping (World Mining Data where USGS withholds it);
* ``none``: no HS code in the extract; listed with the reason.

Import reliance is paxsilica's definition (:class:`paxsilica.metrics.dependency.TradeBalance`):
``(imports - exports) / (production + imports - exports)``, clipped to 0..1. We agree with USGS
when ``|ours - USGS| <= 15`` percentage points; for a published bound (``>50``, ``<25``) when ours
lies inside it; ``E`` (net exporter) counts as 0%.

Writes ``docs/us-import-reliance.md`` and ``tests/data/us_import_reliance_usgs2024.csv`` (the
USGS figures compared, so tests can read them without ``../shared``).

Usage::

    .venv/bin/python tools/us_import_reliance.py [--shared ../shared/data]
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

import paxsilica
from paxsilica.metrics.dependency import TradeBalance, dependency_table
from paxsilica.model.dataset import Dataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_trade import BASELINE_YEARS, read_baci, repair_quantities  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = ROOT.parent / "shared" / "data"
DEFAULT_MAPPING = ROOT / "tools" / "data_inputs" / "us_nir_mapping.yaml"
DEFAULT_DOC = ROOT / "docs" / "us-import-reliance.md"
DEFAULT_CSV = ROOT / "tests" / "data" / "us_import_reliance_usgs2024.csv"
SALIENT_FILE = Path("derived") / "usgs_mcs2026_us_salient_statistics_tidy.csv"
WMD_FILE = Path("raw") / "world_mining_data_bmf" / "world_mining_data_2018_2024_long.csv"
USGS_SOURCE = ("U.S. Geological Survey, Mineral Commodity Summaries 2026, salient statistics "
               "(doi:10.5066/P1WKQ63T)")
TO_TONNES = {"metric tons": 1.0, "thousand metric tons": 1e3, "thousand metric dry tons": 1e3,
             "million metric tons": 1e6, "kilograms": 1e-3, "metr. t": 1.0, "kg": 1e-3}
USABLE_FLAGS = ("numeric", "zero")
REPAIR_NOTE_PP = 5.0  # say what the unit-value repair did when it moves ours this much
CSV_COLUMNS = ["name", "usgs_chapter", "usgs_detail", "block", "year", "value_raw", "value_flag",
               "basis", "commodity", "hs6", "source"]


class MappingError(ValueError):
    """The mapping YAML and the USGS rows do not match one to one."""


@dataclass(frozen=True)
class Published:
    """One USGS NIR figure: the text as printed and what it allows (percent, 0..100).

    ``low``/``high`` bound the true value: ``62`` -> 62..62, ``>50`` -> 50..100 (open at 50),
    ``E`` -> 0..0; ``comparable`` is False for NA, W and 's'.
    """

    raw: str
    flag: str
    low: float
    high: float

    @property
    def comparable(self) -> bool:
        return not math.isnan(self.low)

    @property
    def is_bound(self) -> bool:
        return self.flag in ("greater_than", "less_than")

    def agrees(self, ours_pct: float, tolerance_pp: float) -> bool:
        """A number or E: within ``tolerance_pp``; a bound: ours strictly inside it."""
        if self.flag == "greater_than":
            return ours_pct > self.low
        if self.flag == "less_than":
            return ours_pct < self.high
        return abs(ours_pct - self.low) <= tolerance_pp

    def difference(self, ours_pct: float) -> float:
        """ours - USGS in pp; for a bound, the signed distance outside it (0 inside)."""
        if not self.is_bound:
            return ours_pct - self.low
        if self.agrees(ours_pct, 0.0):
            return 0.0
        return ours_pct - (self.high if ours_pct >= self.high else self.low)


def published(raw: object, flag: str) -> Published:
    """Parse a USGS NIR cell (``'62'``, ``'>50'``, ``'<25'``, ``'E'``, NA, ``'W'``, ``'s'``)."""
    text = "" if pd.isna(raw) else str(raw).strip()
    number = re.sub(r"[^0-9.]", "", text)
    if flag == "numeric":
        return Published(text, flag, float(number), float(number))
    if flag == "net_exporter":
        return Published(text, flag, 0.0, 0.0)
    if flag == "greater_than":
        return Published(text, flag, float(number), 100.0)
    if flag == "less_than":
        return Published(text, flag, 0.0, float(number))
    return Published(text or "NA", flag, math.nan, math.nan)


# --------------------------------------------------------------------------------------------
# reading and matching
# --------------------------------------------------------------------------------------------

def nir_rows(salient: pd.DataFrame, year: int) -> pd.DataFrame:
    """USGS's NIR rows of ``year`` with ``block``: 0, 1, ... for rows sharing chapter and label.

    The tidy file drops sub-table headings, so two NIR rows with the same label in one chapter
    (bauxite then alumina; titanium metal then pigment) are told apart only by their order.
    """
    rows = salient[salient["statistics"].str.contains("Net import reliance", na=False)
                   & (salient["year"] == year)].copy()
    rows["block"] = rows.groupby(["mcs_chapter", "statistics_detail"]).cumcount()
    return rows.reset_index(drop=True)


def match(rows: pd.DataFrame, entries: list[dict]) -> list[tuple[dict, pd.Series]]:
    """Pair each NIR row with the one mapping entry that claims it.

    An entry claims the rows of its ``chapter`` narrowed by ``detail`` and ``block`` when given;
    a ``package``/``baci`` entry must claim exactly one row. Raises :class:`MappingError` naming
    unclaimed or doubly claimed rows.
    """
    owner: dict[int, dict] = {}
    for entry in entries:
        hit = rows["mcs_chapter"] == entry["chapter"]
        if "detail" in entry:
            hit &= rows["statistics_detail"] == entry["detail"]
        if "block" in entry:
            hit &= rows["block"] == int(entry["block"])
        index = list(rows.index[hit])
        if not index or (entry["basis"] != "none" and len(index) != 1):
            raise MappingError(f"us_nir_mapping.yaml entry {entry['chapter']!r} "
                               f"({entry.get('detail', '')}) claims {len(index)} NIR rows; "
                               "narrow it with detail/block or fix the chapter name")
        for i in index:
            if i in owner:
                raise MappingError(f"NIR row {rows.loc[i, 'mcs_chapter']!r} "
                                   f"{rows.loc[i, 'statistics_detail']!r} is claimed twice")
            owner[i] = entry
    missing = rows.index.difference(list(owner))
    if len(missing):
        first = rows.loc[missing[0]]
        raise MappingError(f"{len(missing)} USGS NIR rows have no mapping entry, e.g. "
                           f"{first['mcs_chapter']!r} {first['statistics_detail']!r}; add one "
                           "(basis none with a reason if there is no trade code)")
    return [(owner[i], rows.loc[i]) for i in rows.index]


def us_production(salient: pd.DataFrame, wmd: pd.DataFrame, spec: dict | None,
                  years: range) -> tuple[float, str]:
    """Mean US production over ``years`` in the mapping's basis (t), and where it came from.

    ``spec`` names USGS rows (summed each year, times ``usgs_factor``) and optionally a World
    Mining Data commodity used when USGS withholds a year (W, bound, NA). ``None`` means the
    mapping declares no US production of the traded product (0).
    """
    if spec is None:
        return 0.0, "none declared"
    rows = salient[(salient["mcs_chapter"] == spec["chapter"])
                   & salient["statistics_detail"].isin(spec["usgs"])
                   & salient["year"].isin(list(years))]
    if len(rows) != len(spec["usgs"]) * len(years):
        raise MappingError(f"production of {spec['chapter']}: expected {spec['usgs']} once per "
                           f"year {years.start}-{years.stop - 1}, found {len(rows)} rows")
    if rows["value_flag"].isin(USABLE_FLAGS).all():
        tonnes = rows["value"].fillna(0.0) * rows["unit"].map(TO_TONNES)
        return float(tonnes.sum()) / len(years) * spec.get("usgs_factor", 1.0), "USGS"
    if "wmd" not in spec:
        return 0.0, "USGS withheld, taken as 0"
    own = wmd[(wmd["Country_ISO"] == "USA") & (wmd["commodity"] == spec["wmd"])
              & wmd["year"].isin(list(years))]
    if len(own) != len(years):
        raise MappingError(f"World Mining Data has {len(own)} US rows of {spec['wmd']!r} in "
                           f"{years.start}-{years.stop - 1}; expected one a year")
    tonnes = own["production"] * own["unit"].map(TO_TONNES)
    return float(tonnes.sum()) / len(years) * spec.get("wmd_factor", 1.0), "World Mining Data"


def baci_balance(flows: pd.DataFrame, hs6: dict[str, float], production: float,
                 name: str) -> TradeBalance:
    """US imports by exporter and exports by importer, mean of the window, in the basis (t)."""
    factors = pd.Series({str(code): float(f) for code, f in hs6.items()})
    coded = flows[flows["hs6"].isin(factors.index)]
    quantity = coded["quantity_t"] * coded["hs6"].map(factors)
    years = flows["year"].nunique()
    sources = quantity[coded["importer"] == "USA"].groupby(coded["exporter"]).sum() / years
    destinations = quantity[coded["exporter"] == "USA"].groupby(coded["importer"]).sum() / years
    return TradeBalance(name, production, sources, destinations, True,
                        f"{flows['year'].min()}-{flows['year'].max()}")


def baci_window(shared: Path, band: float | None = None) -> pd.DataFrame:
    """BACI flows of the trade baseline's years, tonnages repaired as the package build does.

    ``band=math.inf`` fills missing tonnages only (no unit-value outlier is re-estimated).
    """
    flows = read_baci(shared)
    last = int(flows["year"].max())
    flows = flows[flows["year"] > last - BASELINE_YEARS]
    return repair_quantities(flows) if band is None else repair_quantities(flows, band=band)


# --------------------------------------------------------------------------------------------
# the comparison
# --------------------------------------------------------------------------------------------

def compare(shared: Path, ds: Dataset, mapping: dict) -> pd.DataFrame:
    """One row per USGS NIR of the mapping's year: theirs, ours, agreement and explanation."""
    salient = pd.read_csv(shared / SALIENT_FILE)
    wmd = pd.read_csv(shared / WMD_FILE)
    flows, flows_as_reported = baci_window(shared), baci_window(shared, band=math.inf)
    last = int(flows["year"].max())
    years = range(last - BASELINE_YEARS + 1, last + 1)
    ours_package = dependency_table(ds, "USA").set_index("commodity")["import_reliance"]
    tolerance = float(mapping["tolerance_pp"])
    out = []
    for entry, row in match(nir_rows(salient, int(mapping["year"])), mapping["entries"]):
        theirs = published(row["value_raw"], row["value_flag"])
        basis, ours, notes = entry["basis"], math.nan, []
        if basis == "package":
            ours = 100 * float(ours_package.get(entry["commodity"], math.nan))
        elif basis == "baci":
            spec = entry.get("production")
            if spec is not None:
                spec = {"chapter": entry["chapter"], **spec}
            production, origin = us_production(salient, wmd, spec, years)
            ours = 100 * baci_balance(flows, entry["hs6"], production,
                                      entry["name"]).import_reliance
            raw = 100 * baci_balance(flows_as_reported, entry["hs6"], production,
                                     entry["name"]).import_reliance
            notes.append(f"US production {float(f'{production:.3g}'):,.0f} t ({origin})")
            if abs(raw - ours) >= REPAIR_NOTE_PP:
                notes.append(f"with BACI tonnages as reported (no unit-value repair): {raw:.0f}%")
        compared = basis != "none" and theirs.comparable and not math.isnan(ours)
        agree = theirs.agrees(ours, tolerance) if compared else None
        out.append({
            "name": entry.get("name") or _title(row), "usgs_chapter": row["mcs_chapter"],
            "usgs_detail": row["statistics_detail"], "block": int(row["block"]),
            "year": int(row["year"]), "value_raw": theirs.raw, "value_flag": theirs.flag,
            "basis": basis, "commodity": entry.get("commodity", ""),
            "hs6": " ".join(str(c) for c in entry.get("hs6", {})),
            "ours_pct": ours, "difference_pp": theirs.difference(ours) if compared else math.nan,
            "compared": compared, "agree": agree, "note": _text(entry.get("note")),
            "why_differs": _text(entry.get("why_differs")), "why_none": _text(entry.get("why")),
            "auto_note": "; ".join(notes), "source": USGS_SOURCE,
        })
    return pd.DataFrame(out)


def _title(row: pd.Series) -> str:
    chapter = str(row["mcs_chapter"]).capitalize()
    detail = str(row["statistics_detail"])
    return f"{chapter}: {detail.rsplit(': ', 1)[1]}" if ": " in detail else chapter


def _text(value: object) -> str:
    return " ".join(str(value).split()) if value else ""


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------

def md_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table ('|' in cells escaped)."""
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"
    return "\n".join([line(header), line(["---"] * len(header))] + [line(r) for r in rows])


def other_years_only(salient: pd.DataFrame, year: int) -> list[str]:
    """Chapters with an NIR row in some year of the file but none in ``year``."""
    nir = salient[salient["statistics"].str.contains("Net import reliance", na=False)]
    return sorted(set(nir["mcs_chapter"]) - set(nir.loc[nir["year"] == year, "mcs_chapter"]))


def render_doc(table: pd.DataFrame, mapping: dict, elsewhere: list[str]) -> str:
    """The Markdown report: method, the comparison table, counts, what is not compared.

    ``elsewhere``: chapters whose NIR USGS gives for other years only (named, not compared).
    """
    tol = float(mapping["tolerance_pp"])
    done = table[table["compared"]]
    n_agree = int(done["agree"].sum())
    rows = []
    for r in done.sort_values(["agree", "basis", "name"], ascending=[True, False, True]
                              ).itertuples():
        theirs = r.value_raw + (" (net exporter = 0)" if r.value_flag == "net_exporter" else "")
        diff = (("inside the bound" if r.agree else f"{abs(r.difference_pp):.0f} pp outside")
                if r.value_flag in ("greater_than", "less_than") else f"{r.difference_pp:+.1f}")
        basis = (f"package `{r.commodity}`" if r.basis == "package" else f"BACI-direct HS {r.hs6}")
        explain = r.why_differs if not r.agree else r.note
        auto = f" [{r.auto_note}]" if r.auto_note else ""
        rows.append([r.name, theirs, f"{r.ours_pct:.0f}", diff, "yes" if r.agree else "**no**",
                     basis, explain + auto])
    nofig = table[(table["basis"] != "none") & ~table["compared"]]
    nocode = table[table["basis"] == "none"]
    return "\n".join([
        "# United States import reliance: ours vs USGS",
        "",
        "<!-- Generated by tools/us_import_reliance.py; do not edit by hand. -->",
        "",
        "Generated file. Regenerate with `.venv/bin/python tools/us_import_reliance.py` (reads "
        "`../shared/data`; `--shared DIR` to point elsewhere). What is compared with what, and "
        "every content factor, is declared in `tools/data_inputs/us_nir_mapping.yaml`; the USGS "
        "figures compared are also in `tests/data/us_import_reliance_usgs2024.csv`, which "
        "`tests/integration/test_us_import_reliance.py` reads.",
        "",
        "## Method",
        "",
        f"- **Independent figure.** USGS Mineral Commodity Summaries 2026 (doi:10.5066/P1WKQ63T), "
        f"salient statistics of the United States (`{SALIENT_FILE.as_posix()}`): every 'Net import "
        f"reliance' row of {mapping['year']}. USGS defines it as imports - exports +/- stock "
        "changes, as a share of apparent consumption.",
        "- **Which row.** Where a chapter has several NIR rows, the one for the product we "
        "measure is compared (zinc ores and concentrates, not refined zinc; rare-earth compounds "
        "and metals, not mineral concentrates; feldspar, not nepheline syenite; bauxite, the "
        "first of the chapter's two tables, not alumina) and the others are listed under *Not "
        "compared*.",
        f"- **Year.** {mapping['year']}: our trade baseline is the mean of 2022-2024 and 2024 is "
        "its last year; USGS's 2025 figures are estimates for a year BACI does not cover, and a "
        "mean of USGS's 2022-2024 figures is not defined for bounds such as '>50'.",
        "- **Ours.** paxsilica's import reliance, (imports - exports) / (production + imports - "
        "exports), clipped to 0..100% (`paxsilica.metrics.dependency`). *package*: the embedded "
        "data package's `dependency_table(ds, 'USA')` (BACI 2022-2024 mean; US production in the "
        "package's latest year). *BACI-direct*: the same BACI extract, read and repaired by "
        "`tools/build_trade.py` (`read_baci`, `repair_quantities`), US imports and exports the "
        "2022-2024 mean of the HS92 codes named, each times a declared content factor; US "
        "production the 2022-2024 mean of the named USGS salient-statistics rows, or World Mining "
        "Data's where USGS withholds it (W or a bound).",
        f"- **Agreement.** A figure (or E, counted as 0%) agrees when |ours - USGS| <= {tol:.0f} "
        "percentage points; a bound ('>50', '<25') agrees when ours lies inside it (no "
        "tolerance). *Difference* is ours - USGS, or the distance outside a bound.",
        "- **Explanation.** For a row that agrees: what it measures and its caveats. For one that "
        "does not: why the two differ. Bracketed notes are computed: the US production used and "
        "where it came from, and ours with BACI tonnages as reported when `repair_quantities` "
        f"moves ours by {REPAIR_NOTE_PP:.0f} pp or more.",
        "",
        "## Result",
        "",
        f"{len(done)} USGS figures compared: **{n_agree} agree**, {len(done) - n_agree} do not "
        f"(package: {int(done[done['basis'] == 'package']['agree'].sum())} of "
        f"{int((done['basis'] == 'package').sum())}; BACI-direct: "
        f"{int(done[done['basis'] == 'baci']['agree'].sum())} of "
        f"{int((done['basis'] == 'baci').sum())}). {len(nocode)} USGS figures have no trade code "
        f"in the extract; {len(nofig)} with a code {'has' if len(nofig) == 1 else 'have'} no USGS "
        "figure to compare.",
        "",
        md_table(["commodity", f"USGS {mapping['year']} (published, %)", "ours (%)",
                  "difference (pp)", "agree?", "basis", "explanation"], rows),
        "",
        "## Not compared",
        "",
        "USGS publishes no figure (NA, W or 's'), or ours is not computed (the note says why):",
        "",
        md_table(["commodity", "USGS", "ours (%)", "basis", "note"],
                 [[r.name, r.value_raw, "" if math.isnan(r.ours_pct) else f"{r.ours_pct:.0f}",
                   f"BACI-direct HS {r.hs6}" if r.basis == "baci" else r.basis, r.note]
                  for r in nofig.itertuples()]),
        "",
        "No trade code in the BACI extract:",
        "",
        md_table(["commodity", f"USGS {mapping['year']} (%)", "why"],
                 [[r.name, r.value_raw, r.why_none] for r in nocode.itertuples()]),
        "",
        f"USGS gives a net import reliance for other years but not {mapping['year']} for: "
        f"{', '.join(c.capitalize() for c in elsewhere) or 'none'}.",
        "",
    ])


def write_usgs_csv(table: pd.DataFrame, path: Path) -> None:
    """The USGS figures compared (the independent side only), for tests without ../shared."""
    done = table[table["compared"]].sort_values(["usgs_chapter", "usgs_detail", "block"])
    path.parent.mkdir(parents=True, exist_ok=True)
    done[CSV_COLUMNS].to_csv(path, index=False, lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--mapping", type=Path, default=DEFAULT_MAPPING)
    parser.add_argument("--doc", type=Path, default=DEFAULT_DOC)
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    args = parser.parse_args(argv)
    mapping = yaml.safe_load(args.mapping.read_text(encoding="utf-8"))
    table = compare(args.shared, paxsilica.load(), mapping)
    elsewhere = other_years_only(pd.read_csv(args.shared / SALIENT_FILE), int(mapping["year"]))
    args.doc.write_text(render_doc(table, mapping, elsewhere), encoding="utf-8")
    write_usgs_csv(table, args.csv)
    done = table[table["compared"]]
    print(f"{len(done)} compared, {int(done['agree'].sum())} agree; wrote {args.doc}, {args.csv}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
