"""Lithium mine cost tranches from the Busch et al. (2024) deposit data (used by build_data.py).

``../shared/data/raw/busch2024_lithium_deposits/Deposit.csv`` (PROVENANCE.md section 11) gives,
per deposit, extraction costs and production rates. This module turns it into cost tranches of
the ``lithium_mining`` rows of ``production``: each country's USGS quantity is split over a few
tranches, each with a unit cost in the commodity's unit (US$ per t Li at the mine gate).

Unit reading
------------
``cost1..cost3`` and ``cost1_noTax..cost3_noTax`` are **US$ (2022) per tonne of lithium
contained, on a lithium-carbonate basis**, not US$ per tonne of LCE. The replication code that
writes the file (pmbusch/Critical-Minerals-EV, ``Scripts/Supply Model/Prepare Deposit
Data/01-LoadDepositData.R`` and ``02-DepositParameters.R``) computes ``USD_pertonne_LCE`` from
the reported cost (spodumene concentrate: cost / Li2O grade x 0.404 + 2,500 US$/t LCE of
conversion; LiOH x 1.135), then ``USD_pertonne_Li = USD_pertonne_LCE x 5.323``, inflates to
2022 dollars and uses that as ``cost1`` ("# USD/ton Li"); its figures divide by 5.323 to show
US$/t LCE. The numbers agree: read as US$/t LCE, ``cost1_noTax`` of the producing deposits
would be 17,000-47,000 US$/t LCE, above the 2025 carbonate price (9,000 US$/t LCE) for every
one of them, and ``cost1`` 45,000-70,000; read as US$/t Li they are 3,200-8,800 US$/t LCE
(SQM Atacama 3,990), the range of reported cash costs.

Which cost
----------
* ``cost1_noTax``: tier 1 is the cost of reserves, where current output comes from (tiers 2
  and 3 are demonstrated and inferred resources, mined later in the paper's model). The
  "with tax" columns add royalties and income tax computed at an assumed 20,000 US$/t LCE
  price, not a cash cost at today's prices; royalties are left out (costs read low by a few
  per cent of revenue), and so is 2022 -> 2025 inflation (no deflator in the shared data).
* Hard rock sells concentrate, and ``lithium_mining`` is priced as spodumene (SC6, mp_37):
  the paper's own 2,500 US$/t LCE conversion (x 5.3233 t LCE per t Li) is taken off, giving
  the mine-gate cost per t Li contained (Greenbushes 233 US$/t SC6 equivalent, Pilgangoora
  939).
* Brine operations sell carbonate: their cost is set against the carbonate price (the
  ``lithium_refining`` price) and written in mine-price units, cost x mine price / carbonate
  price, so that the engine's cost / price ratio is the producer's cost / carbonate price.

Tranches
--------
Deposits with a 2025 production rate in the paper (``prod_rate2025`` > 0: producing, or under
construction with 2025 capacity) are grouped per country at the largest rises of their cost
(:func:`paxsilica.engine.network.cost_groups`, at most ``max_tranches``); each tranche's share of
the country's USGS quantity is its share of those rates and its unit cost the rate-weighted
mean. The country total stays the USGS figure (the last tranche takes the rounding remainder).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from paxsilica.engine.network import cost_groups

__all__ = ["LCE_PER_LI", "apply_cost_tranches", "country_tranches", "docs_table",
           "mine_gate_costs", "read_deposits", "split_rows"]

LCE_PER_LI = 5.3233  # t Li2CO3 per t Li (73.89 / (2 x 6.941)), as the package's prices use
HARD_ROCK, BRINE = "Hard Rock", "Brine"
#: Tranches of the last build, for docs/data.md (filled by :func:`apply_cost_tranches`).
LAST_TRANCHES: list[pd.DataFrame] = []


def read_deposits(path: Path) -> pd.DataFrame:
    """Deposit.csv with the columns used here; raises if one is missing."""
    frame = pd.read_csv(path)
    needed = {"Country", "Deposit_Name", "Resource_Type", "prod_rate2025", "cost1_noTax"}
    missing = needed - set(frame.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    return frame


def mine_gate_costs(deposits: pd.DataFrame, cost_column: str, conversion_usd_per_t_lce: float,
                    mine_price: float, carbonate_price: float) -> pd.Series:
    """Unit cost per deposit in US$ per t Li at the mine gate (see the module docstring).

    Hard rock: cost - conversion x 5.3233; brine (and any other type, which sells chemicals):
    cost x mine price / carbonate price. Never below 0.
    """
    cost = deposits[cost_column].astype(float)
    hard = deposits["Resource_Type"] == HARD_ROCK
    out = np.where(hard, cost - conversion_usd_per_t_lce * LCE_PER_LI,
                   cost * mine_price / carbonate_price)
    return pd.Series(np.maximum(out, 0.0), index=deposits.index, name="unit_cost")


def country_tranches(iso3: pd.Series, unit_cost: pd.Series, weight: pd.Series,
                     names: pd.Series, max_tranches: int) -> pd.DataFrame:
    """Cost tranches per country: one row per (iso3, tranche) with share and unit cost.

    Deposits with weight <= 0 are left out. ``share`` is the tranche's part of its country's
    weight, ``unit_cost`` the weight-weighted mean, ``deposits`` the names, cheapest first.
    """
    frame = pd.DataFrame({"iso3": iso3, "unit_cost": unit_cost.astype(float),
                          "weight": weight.astype(float), "name": names})
    frame = frame[frame["weight"] > 0]
    rows = []
    for country, part in frame.groupby("iso3", sort=True):
        part = part.assign(tranche=cost_groups(part["unit_cost"].to_numpy(), max_tranches))
        total = part["weight"].sum()
        for k, group in part.sort_values(["unit_cost", "name"]).groupby("tranche", sort=True):
            w = group["weight"]
            rows.append({"iso3": country, "tranche": int(k), "share": float(w.sum() / total),
                         "unit_cost": float((group["unit_cost"] * w).sum() / w.sum()),
                         "deposits": "; ".join(group["name"])})
    return pd.DataFrame(rows, columns=["iso3", "tranche", "share", "unit_cost", "deposits"])


def split_rows(rows: Sequence[dict], tranches: pd.DataFrame, commodity: str, year: int,
               extra_source: str) -> list[dict]:
    """``rows`` with each (commodity, year) country row that has tranches split over them.

    Quantities are the country's quantity x share; the last tranche takes the remainder so the
    tranches add up to the country's figure exactly. Unit costs are rounded to whole US$.
    """
    by_country = {iso3: part.sort_values("tranche") for iso3, part in tranches.groupby("iso3")}
    out: list[dict] = []
    for row in rows:
        part = by_country.get(row["iso3"])
        if row["commodity"] != commodity or row["year"] != year or part is None:
            out.append(row)
            continue
        left = float(row["quantity"])
        for n, t in enumerate(part.itertuples()):
            quantity = left if n == len(part) - 1 else float(row["quantity"]) * t.share
            left -= quantity
            out.append(dict(row, tranche=int(t.tranche), quantity=quantity,
                            unit_cost=float(round(t.unit_cost)),
                            source=";".join([row["source"], extra_source])))
    return out


def apply_cost_tranches(rows: list[dict], shared: Path, spec: Mapping,
                        commodities: Sequence[Mapping], crosswalk: pd.DataFrame,
                        book) -> list[dict]:
    """Split the ``spec['commodity']`` rows of ``spec['year']`` into cost tranches.

    ``spec`` is the ``lithium_costs`` entry of manual.yaml; ``commodities`` the built
    commodity rows (for the mine and carbonate prices); ``crosswalk`` the shared country-name
    crosswalk (the paper uses USGS-style English names); ``book`` registers the source ids.
    """
    country_iso3 = dict(zip(crosswalk["source_country_name"], crosswalk["iso3"], strict=True))
    deposits = read_deposits(shared / spec["deposits"])
    price = {c["id"]: float(c["price_usd"]) for c in commodities}
    cost = mine_gate_costs(deposits, spec["cost_column"], float(spec["conversion_usd_per_t_lce"]),
                           price[spec["commodity"]], price[spec["carbonate_price_of"]])
    unknown = sorted(set(deposits.loc[deposits[spec["weight_column"]] > 0, "Country"])
                     - set(country_iso3))
    if unknown:
        raise ValueError(f"Deposit.csv: no ISO3 code for {unknown}")
    tranches = country_tranches(deposits["Country"].map(country_iso3), cost,
                                deposits[spec["weight_column"]], deposits["Deposit_Name"],
                                int(spec["max_tranches"]))
    listed = {r["iso3"] for r in rows
              if r["commodity"] == spec["commodity"] and r["year"] == spec["year"]}
    tranches = tranches[tranches["iso3"].isin(listed)].reset_index(drop=True)
    LAST_TRANCHES[:] = [tranches.assign(price=price[spec["commodity"]])]
    return split_rows(rows, tranches, spec["commodity"], int(spec["year"]),
                      book.cite(spec["source"]))


def docs_table() -> str:
    """Markdown table of the last build's tranches (for docs/data.md)."""
    if not LAST_TRANCHES:
        return ""
    lines = ["| country | tranche | share of output | unit cost US$/t Li | x mine price | "
             "deposits (Busch et al. 2024) |", "|---|---|---|---|---|---|"]
    for t in LAST_TRANCHES[0].itertuples():
        lines.append(f"| {t.iso3} | {t.tranche} | {t.share:.1%} | {t.unit_cost:,.0f} | "
                     f"{t.unit_cost / t.price:.2f} | {t.deposits} |")
    return "\n".join(lines)
