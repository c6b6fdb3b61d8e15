"""Run the episodes under a set of behavioural parameters and compare with the bands.

The behavioural parameters are :class:`~paxsilica.engine.EngineOptions` fields (among them
the crisis-behaviour mechanisms of :mod:`paxsilica.engine.behaviour` and the backstop, off as
shipped) and one multiplier on every commodity's demand elasticity (applied to a copy of the
dataset).
:data:`PARAMETERS` declares each with its prior range and the shipped value.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from paxsilica.calibration.episodes import Episode, episode_dataset
from paxsilica.calibration.observables import OBSERVABLES
from paxsilica.engine import EngineOptions, simulate
from paxsilica.model.dataset import Dataset

__all__ = ["PARAMETERS", "Parameter", "coverage", "episode_values", "evaluate",
           "evaluate_posterior", "options_and_dataset", "quantiles", "shipped_values",
           "weighted_quantile"]

#: The market the episodes are fitted on: the engine's default country map (the observables
#: read the bloc aggregates alliance / restricting / others, which every map reports).
CALIBRATION_REGIONS = "countries"

#: The dataset multiplier's name (every commodity's demand elasticity x this).
DEMAND_SCALE = "demand_elasticity_scale"


@dataclass(frozen=True)
class Parameter:
    """A fitted behavioural parameter: uniform prior on ``[low, high]``, the shipped value."""

    name: str
    low: float
    high: float
    shipped: float
    meaning: str


PARAMETERS: tuple[Parameter, ...] = (
    Parameter("trade_price_elasticity", 0.5, 4.0, 2.0,
              "exporters' reallocation toward higher-priced destinations (power of the price "
              "ratio)"),
    Parameter("inventory_release_price", 1.1, 3.0, 1.5,
              "price ratio at which commercial holders release their whole stock in a month"),
    Parameter("reservation_price_ratio", 0.7, 1.0, 0.9,
              "price ratio below which producers withhold home sales"),
    Parameter("rebuild_months", 1.0, 12.0, 3.0,
              "months over which commercial holders close the gap to their target cover"),
    Parameter("restock_price_ratio", 1.0, 1.2, 1.05,
              "price ratio up to which holders refill (and sell down above target to its "
              "inverse)"),
    Parameter(DEMAND_SCALE, 0.25, 4.0, 1.0,
              "multiplier on every commodity's (short-run) demand elasticity"),
    # the crisis-behaviour mechanisms of issue 12 (paxsilica.engine.behaviour; off as shipped)
    Parameter("contract_share", 0.0, 0.9, 0.0,
              "share of volume on contracts whose price follows spot with a lag"),
    Parameter("contract_lag_months", 1.0, 12.0, 3.0,
              "months over which contract prices follow spot (1/lag of the gap a month)"),
    Parameter("long_run_demand_multiple", 1.0, 6.0, 1.0,
              "long-run demand elasticity / short-run (substitution while prices stay high)"),
    Parameter("demand_adjustment_months", 3.0, 36.0, 12.0,
              "months over which demand closes its gap to the long-run curve"),
    Parameter("long_run_supply_multiple", 1.0, 10.0, 1.0,
              "long-run supply elasticity / short-run (capacity ramping outside the "
              "restricting region)"),
    Parameter("supply_ramp_months", 6.0, 36.0, 12.0,
              "months over which capacity closes its gap to the long-run response"),
    Parameter("backstop_multiple", 1.0, 10.0, 1.0,
              "backstop price / price cap (1: the hard cap)"),
    Parameter("backstop_elasticity", -3.0, -0.3, -1.0,
              "demand elasticity above the price cap (demand destruction)"),
    Parameter("front_running", 0.0, 5.0, 0.0,
              "extra weight of restricted routes between announcement and start"),
    Parameter("precaution_cover", 0.0, 2.0, 0.0,
              "share by which holders raise their target cover when alarmed"),
    Parameter("precaution_trigger_price", 1.1, 3.0, 1.5,
              "expected price ratio above which holders are alarmed (precautionary cover, "
              "hoarding)"),
    Parameter("hoard_multiple", 1.0, 10.0, 1.0,
              "factor on holders' restocking and release prices during an outage or a "
              "running price (1: no hoarding)"),
    Parameter("export_quota", 0.0, 1.0, 0.0,
              "share of an export restriction that binds in volume, as a quota or licence "
              "count (0: it cuts route weights, which a price gap pulls back)"),
)


def shipped_values() -> dict[str, float]:
    """The shipped value of every parameter (EngineOptions defaults, scale 1)."""
    return {p.name: p.shipped for p in PARAMETERS}


def options_and_dataset(ds: Dataset, values: Mapping[str, float]
                        ) -> tuple[EngineOptions, Dataset]:
    """EngineOptions with the engine parameters of ``values`` and ``ds`` with the elasticity
    multiplier applied (``ds`` itself at 1). Unknown names raise ``KeyError``."""
    known = {p.name for p in PARAMETERS}
    unknown = sorted(set(values) - known)
    if unknown:
        raise KeyError(f"unknown behavioural parameter(s): {', '.join(unknown)}")
    engine = {k: float(v) for k, v in values.items() if k != DEMAND_SCALE}
    options = dataclasses.replace(EngineOptions(), **engine)
    scale = float(values.get(DEMAND_SCALE, 1.0))
    if scale == 1.0:
        return options, ds
    commodities = ds.tables["commodities"].copy()
    commodities["demand_elasticity"] = commodities["demand_elasticity"].astype(float) * scale
    return options, ds.derive(f"{ds.origin}+{DEMAND_SCALE}={scale:g}", commodities=commodities)


def episode_values(ep: Episode, ds: Dataset, options: EngineOptions,
                   draws: int | None = None) -> dict[str, np.ndarray]:
    """Per-draw values of each observation of ``ep`` (key ``episode/id``) on its own seed."""
    data = episode_dataset(ds, ep)
    res = simulate(data, ep.scenario, draws=draws, seed=ep.scenario.seed, options=options,
                   keep_paths=True, workers=1, regions=CALIBRATION_REGIONS)
    return {o.key: OBSERVABLES[o.observable](res, data, o.args) for o in ep.observations}


def weighted_quantile(x: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``x`` under normalised ``weights`` (inverse of the weighted CDF:
    the smallest ``x`` whose CDF reaches ``q``). A CDF within 1e-9 of ``q`` reaches it: with
    equal weights the CDF hits q = k / n exactly but for rounding, which would otherwise
    pick either neighbour depending on how the weights were written (1 / 120 in memory,
    0.00833333 in the CSV)."""
    order = np.argsort(x, kind="stable")
    cdf = np.cumsum(weights[order]) / weights.sum()
    return float(x[order][min(np.searchsorted(cdf, q - 1e-9), x.size - 1)])


def quantiles(values: np.ndarray, weights: np.ndarray | None = None
              ) -> tuple[float, float, float, float]:
    """(P5, P50, P95, share of draws with a value) ignoring NaN (NaN = never happened).

    ``weights`` (one per value): the quantiles of the weighted distribution
    (:func:`weighted_quantile`) and the weighted share; without them NumPy's interpolated
    quantiles of the values."""
    keep = ~np.isnan(values)
    ok = values[keep]
    if ok.size == 0:
        return math.nan, math.nan, math.nan, 0.0
    if weights is None:
        p5, p50, p95 = np.quantile(ok, (0.05, 0.5, 0.95))
        return float(p5), float(p50), float(p95), ok.size / values.size
    w = weights[keep]
    p5, p50, p95 = (weighted_quantile(ok, w, q) for q in (0.05, 0.5, 0.95))
    return p5, p50, p95, float(w.sum() / weights.sum())


def evaluate(episodes: Sequence[Episode], ds: Dataset, values: Mapping[str, float],
             draws: int | None = None) -> pd.DataFrame:
    """One row per observation: band, model P5/P50/P95, P50 in band, band covered.

    ``covered``: the observed band overlaps the model's P5-P95 range (the observation is
    inside the fan). ``draws`` default: each scenario's own.
    """
    options, data = options_and_dataset(ds, values)
    per_draw: dict[str, np.ndarray] = {}
    for ep in episodes:
        per_draw |= episode_values(ep, data, options, draws)
    return _table(episodes, per_draw)


def _table(episodes: Sequence[Episode], per_draw: Mapping[str, np.ndarray],
           weights: np.ndarray | None = None) -> pd.DataFrame:
    """The evaluation table from per-draw values keyed ``episode/id`` (``weights``: one per
    draw, the same for every observation; see :func:`quantiles`)."""
    rows = []
    for ep in episodes:
        for o in ep.observations:
            p5, p50, p95, share = quantiles(per_draw[o.key], weights)
            rows.append({"key": o.key, "episode": o.episode, "id": o.id, "what": o.what,
                         "role": o.role, "missing": o.missing, "band_low": o.band[0],
                         "band_high": o.band[1], "p5": p5, "p50": p50, "p95": p95,
                         "share_with_value": share,
                         "p50_in_band": bool(o.contains(p50)) if share else False,
                         "covered": bool(share and p5 <= o.band[1] and p95 >= o.band[0])})
    return pd.DataFrame(rows)


def coverage(table: pd.DataFrame, role: str = "training") -> float:
    """Share of ``role`` observations whose band overlaps the model's P5-P95."""
    rows = table[table["role"] == role]
    return float(rows["covered"].mean()) if len(rows) else math.nan


def evaluate_posterior(episodes: Sequence[Episode], ds: Dataset, posterior: pd.DataFrame, *,
                       particles: int | None = 10, draws: int = 20, seed: int = 0
                       ) -> pd.DataFrame:
    """Like :func:`evaluate`, with parameter uncertainty inside the draws.

    ``particles`` parameter sets are drawn from ``posterior`` by weight (a seeded
    ``numpy.random.Generator``); each runs ``draws`` Monte Carlo draws of every episode on the
    episode's seed, and the quantiles are taken over all ``particles x draws`` values. This is
    what a Monte Carlo run sampling the posterior per draw would show.

    ``particles=None``: every particle of ``posterior`` once, each of its draws weighing the
    particle's weight (``seed`` unused). This is the posterior predictive without the noise of
    which particles were drawn: with equal weights, the pooled draws of the whole population.
    ``attrs["particles"]`` of the table: how many parameter sets ran.
    """
    weights = posterior["weight"].to_numpy(dtype=float)
    if particles is None:
        chosen = np.arange(len(posterior))
        per_value = np.repeat(weights, draws)
    else:
        rng = np.random.default_rng(seed)
        chosen = rng.choice(len(posterior), size=particles, p=weights / weights.sum())
        per_value = None
    pooled: dict[str, list[np.ndarray]] = {}
    for row in chosen:
        values = {p.name: float(posterior.iloc[row][p.name]) for p in PARAMETERS}
        options, data = options_and_dataset(ds, values)
        for ep in episodes:
            for key, per_draw in episode_values(ep, data, options, draws).items():
                pooled.setdefault(key, []).append(per_draw)
    table = _table(episodes, {k: np.concatenate(v) for k, v in pooled.items()}, per_value)
    table.attrs["particles"] = len(chosen)
    return table
