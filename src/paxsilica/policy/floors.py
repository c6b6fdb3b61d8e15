"""Price-floor evaluator: what a contract-for-difference floor costs and what it buys.

A floor ``F`` (US$/unit) on commodity ``c`` pays eligible producers ``(F - market price)+``
per unit they sell (the engine's :class:`~paxsilica.model.scenario.PriceFloor`). The evaluator
runs every scenario with and without the floor on the same draws (common random numbers) and
reports, probability-weighted over scenarios and draws:

* ``expected_cost_usd``: the CfD payments over the horizon;
* ``capacity_retained``: extra output (units/yr, in the final month) of ``c`` outside the
  dominant supplier's segment, i.e. capacity the floor kept from exiting;
* ``shortage_avoided``: the bloc's cumulative shortage of ``c`` avoided (units and US$ at the
  shortage cost ratio).

Unless a scenario already suppresses ``c``'s price, a stylised stress is added
(:func:`floor_stress_scenario`): the dominant producer floods the market for 18 months, then
restricts exports to the bloc for 12. The worked example (:func:`worked_example`) is the hand
calculation at the baseline price: (floor - price) x eligible output x years.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from paxsilica.data.schema import REST_OF_WORLD
from paxsilica.dims import COMMODITY, MONTH, SEGMENT, SEGMENTS
from paxsilica.engine import simulate
from paxsilica.errors import ModelError, NotFoundError
from paxsilica.model.dataset import Dataset
from paxsilica.model.scenario import PriceFloor, PriceSuppression, Scenario
from paxsilica.policy.sample import (
    SHORTAGE_COST_RATIO,
    check_commodities,
    scenario_weights,
    shortage_value_usd,
)

__all__ = ["FloorEvaluation", "evaluate_floor", "floor_stress_scenario", "worked_example"]

ALLIANCE, RESTRICTING = SEGMENTS[0], SEGMENTS[1]


@dataclass(frozen=True)
class FloorEvaluation:
    """Result of :func:`evaluate_floor` (money in US$, volumes in the commodity's unit)."""

    commodity: str
    floor_usd: float
    eligible: tuple[str, ...]
    expected_cost_usd: float
    capacity_retained: float
    shortage_avoided: float
    shortage_avoided_usd: float
    per_scenario: tuple[Mapping[str, Any], ...]
    worked_example: Mapping[str, Any]
    assumptions: Mapping[str, Any] = field(default_factory=dict)


def eligible_countries(ds: Dataset, eligible: str | Sequence[str]) -> tuple[str, ...]:
    """ISO3 codes of ``eligible`` (a bloc id or ISO3 codes); NotFoundError for unknown ids."""
    names = [eligible] if isinstance(eligible, str) else list(eligible)
    blocs = set(ds.bloc_names())
    known = set(ds.countries["iso3"]) | set(ds.production["iso3"])
    out: set[str] = set()
    for name in names:
        if name in blocs:
            out |= ds.members(name)
        elif name in known:
            out.add(name)
        else:
            raise NotFoundError(f"eligible: '{name}' is neither a bloc nor a country in the data;"
                                f" blocs: {', '.join(sorted(blocs))}")
    return tuple(sorted(out))


def worked_example(ds: Dataset, commodity: str, floor_usd: float, eligible: Sequence[str],
                   horizon_months: int = 36, market_usd: float | None = None) -> dict[str, Any]:
    """The floor's cost by hand: (floor - market)+ x eligible output x years.

    ``market_usd`` defaults to the baseline price; eligible output is the eligible countries'
    latest-year production in the data (units/yr).
    """
    check_commodities(ds, [commodity], "commodity")
    price = float(ds.commodity(commodity)["price_usd"]) if market_usd is None else market_usd
    prod = ds.latest_production()
    rows = prod[(prod["commodity"] == commodity) & prod["iso3"].isin(list(eligible))]
    volume = float(rows["quantity"].sum())
    gap = max(floor_usd - price, 0.0)
    years = horizon_months / 12.0
    return {"commodity": commodity, "unit": str(ds.commodity(commodity)["unit"]),
            "floor_usd": floor_usd, "market_usd": price, "gap_usd": gap,
            "eligible_output_per_year": volume,
            "eligible_producers": {str(k): float(v) for k, v in
                                   zip(rows["iso3"], rows["quantity"], strict=True)},
            "cost_per_year_usd": gap * volume, "years": years,
            "cost_usd": gap * volume * years}


def floor_stress_scenario(ds: Dataset, commodity: str, bloc: str = "pax-silica",
                          seed: int = 20250710) -> Scenario:
    """Suppression then restriction by ``commodity``'s largest producer (stylised stress).

    Months 0-17: its exports hold the price outside its segment at 0.5-0.8 x baseline
    (triangular, mode 0.65, the range of the 2023-24 lithium and NdPr slumps); months 18-29:
    it cuts 30-90% of its exports to ``bloc``. Horizon 36 months.
    """
    prod = ds.latest_production()
    rows = prod[(prod["commodity"] == commodity) & (prod["iso3"] != REST_OF_WORLD)]
    if rows.empty:
        raise ModelError(f"no producer of '{commodity}' in the data to stress")
    top = str(rows.sort_values("quantity", ascending=False)["iso3"].iloc[0])
    return Scenario.from_mapping({
        "name": f"{commodity.replace('_', '-')}-floor-stress"[:64],
        "title": f"{top} floods then restricts {commodity}", "bloc": bloc,
        "restricting": [top], "horizon_months": 36, "seed": seed,
        "shocks": [
            {"type": "price_suppression", "commodities": [commodity],
             "price_ratio": {"dist": "triangular", "low": 0.5, "mode": 0.65, "high": 0.8},
             "start_month": 0, "duration_months": 18},
            {"type": "export_restriction", "commodities": [commodity],
             "severity": {"dist": "triangular", "low": 0.3, "mode": 0.6, "high": 0.9},
             "start_month": 18, "duration_months": 12}]})


def with_unit_cost(ds: Dataset, commodity: str, countries: Sequence[str],
                   unit_cost_usd: float) -> Dataset:
    """A copy of ``ds`` whose ``countries`` make ``commodity`` at ``unit_cost_usd``.

    Every cost tranche of those countries gets this cost (replacing the data's, if any).
    """
    if not np.isfinite(unit_cost_usd) or unit_cost_usd < 0:
        raise ModelError(f"eligible unit cost must be >= 0 (US$ per unit), got {unit_cost_usd:g}")
    prod = ds.production.copy()
    rows = (prod["commodity"] == commodity) & prod["iso3"].isin(list(countries))
    prod.loc[rows, "unit_cost"] = float(unit_cost_usd)
    return Dataset.from_tables(dict(ds.tables) | {"production": prod},
                               origin=f"{ds.origin}+unit_cost:{commodity}")


def _suppresses(scn: Scenario, commodity: str) -> bool:
    return any(isinstance(s, PriceSuppression) and commodity in s.commodities
               for s in scn.shocks)


def _run(ds: Dataset, scn: Scenario, commodity: str, draws: int, seed: int) -> dict[str, Any]:
    res = simulate(ds, scn, draws=draws, seed=seed, keep_paths=True)
    cell = res.paths.sel({COMMODITY: commodity})
    outside = [g for g in SEGMENTS if g != RESTRICTING]
    return {"cost": res.outcomes["policy_cost_usd"].values,
            "shortage": cell["shortage"].sel({SEGMENT: ALLIANCE}).sum(MONTH).values,
            "output": cell["supply"].sel({SEGMENT: outside}).sum(SEGMENT)
                      .isel({MONTH: -1}).values * 12.0}


def evaluate_floor(ds: Dataset, scenarios: Sequence[Scenario], commodity: str, floor_usd: float,
                   *, eligible: str | Sequence[str] | None = None, draws: int = 500,
                   seed: int = 20250710, weights: Mapping[str, float] | None = None,
                   shortage_cost_ratio: float = SHORTAGE_COST_RATIO,
                   add_stress: bool = True,
                   eligible_unit_cost_usd: float | None = None) -> FloorEvaluation:
    """Cost and benefit of a CfD floor on ``commodity`` (see the module docstring).

    Parameters
    ----------
    ds : Dataset
    scenarios : sequence of Scenario
        Their bloc is the one protected; ``eligible`` defaults to it.
    commodity : str
    floor_usd : float
        Floor price (US$ per commodity unit; NdPr oxide at 110 US$/kg is 110,000 US$/t).
    eligible : str or sequence of str, optional
        A bloc id or ISO3 codes of the producers paid.
    draws, seed : int
        Draws per scenario and root seed (same draws with and without the floor).
    weights : mapping, optional
        Scenario probabilities by name; the added stress scenario gets the mean weight.
    add_stress : bool
        Add :func:`floor_stress_scenario` unless a scenario already suppresses the price.
    eligible_unit_cost_usd : float, optional
        Unit cost (US$/unit) of the eligible producers, replacing the data's (applied to a
        copy of ``ds``). Without it the data's ``unit_cost`` rows are used: lithium mines have
        cost tranches (Busch et al. 2024); producers without a unit cost never exit, so for
        them ``capacity_retained`` is 0 by construction.
    """
    check_commodities(ds, [commodity], "commodity")
    if not np.isfinite(floor_usd) or floor_usd <= 0:
        raise ModelError(f"floor must be a price > 0 (US$ per unit), got {floor_usd:g}")
    if not scenarios:
        raise ModelError("at least one scenario is needed")
    bloc = scenarios[0].bloc
    countries = eligible_countries(ds, bloc if eligible is None else eligible)
    if eligible_unit_cost_usd is not None:
        ds = with_unit_cost(ds, commodity, countries, eligible_unit_cost_usd)
    scns = list(scenarios)
    if add_stress and not any(_suppresses(s, commodity) for s in scns):
        scns.append(floor_stress_scenario(ds, commodity, bloc))
        if weights is not None:
            weights = dict(weights) | {scns[-1].name: float(np.mean(list(weights.values())))}
    probs = scenario_weights(scns, weights)
    value = float(shortage_value_usd(ds, [commodity], shortage_cost_ratio)[0])
    floor = PriceFloor(type="price_floor", commodity=commodity, floor_usd=floor_usd,
                       eligible=countries)
    rows = []
    for scn, p in zip(scns, probs, strict=True):
        without = _run(ds, scn, commodity, draws, seed)
        with_floor = _run(ds, scn.model_copy(update={"policies": (*scn.policies, floor)}),
                          commodity, draws, seed)
        avoided = float(np.mean(without["shortage"] - with_floor["shortage"]))
        rows.append({"scenario": scn.name, "probability": float(p),
                     "cost_usd": float(np.mean(with_floor["cost"] - without["cost"])),
                     "capacity_retained": float(np.mean(with_floor["output"]
                                                        - without["output"])),
                     "shortage_avoided": avoided, "shortage_avoided_usd": avoided * value})
    total = {k: float(sum(r["probability"] * r[k] for r in rows))
             for k in ("cost_usd", "capacity_retained", "shortage_avoided",
                       "shortage_avoided_usd")}
    example = worked_example(ds, commodity, floor_usd, countries,
                             max(s.horizon_months for s in scns))
    return FloorEvaluation(commodity, floor_usd, countries, total["cost_usd"],
                           total["capacity_retained"], total["shortage_avoided"],
                           total["shortage_avoided_usd"], tuple(rows), example,
                           {"draws_per_scenario": draws, "seed": seed, "bloc": bloc,
                            "shortage_cost_ratio": shortage_cost_ratio,
                            "eligible_unit_cost_usd": eligible_unit_cost_usd,
                            "capacity_retained_unit": "units/yr (final month, outside the "
                                                      "restricting segment)"})
