"""Monte Carlo samples of the bloc's shortages: the data every optimiser is fitted on.

An optimiser never re-implements the market: it runs the engine on the scenario set once,
without the policy it is about to choose, and reads per-draw shortage volumes of the
``alliance`` segment (the bloc). Draws of scenario ``k`` (``n_k`` of them) each carry the
probability ``weight_k / n_k``; scenario weights are the user's probabilities (default equal).

Shortage is valued at ``shortage_cost_ratio`` x the commodity's baseline price per unit short
(default :data:`SHORTAGE_COST_RATIO`, an estimate; see :func:`shortage_value_usd`).

Every expected value computed on such a sample is a Monte Carlo estimate:
:func:`mc_estimate` gives its standard error, stratified by scenario. The value of a lever is
estimated on **paired** draws (common random numbers: the same seed with and without it), so
the standard error is that of the per-draw difference, not of two independent means.
Statistics that are not means (CVaR, an objective that contains it) get a bootstrap standard
error (:func:`bootstrap_se`, draws resampled within each scenario).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from paxsilica.dims import COMMODITY, MONTH, SEGMENT, SEGMENTS
from paxsilica.engine import Results, simulate
from paxsilica.errors import ModelError, NotFoundError
from paxsilica.model.dataset import Dataset
from paxsilica.model.scenario import Scenario, Stockpile

__all__ = [
    "DAYS_PER_MONTH",
    "SHORTAGE_COST_RATIO",
    "MonteCarloEstimate",
    "ShortageSample",
    "alliance_demand",
    "bootstrap_se",
    "check_commodities",
    "draw_shortages",
    "mc_estimate",
    "member_demand",
    "member_losses",
    "scenario_weights",
    "shortage_value_usd",
    "strip_bloc_stockpiles",
    "weighted_cvar",
]

ALLIANCE = SEGMENTS[0]
DAYS_PER_MONTH = 365.25 / 12
#: Cost of one unit short, as a multiple of its baseline price (estimate). The substitution
#: cap (2-5 x price, ``price_cap_ratio``) is where buyers start to give up the unit, so the
#: unit is worth at least that; what a missing unit stops downstream (a 50 US$ magnet in a
#: 30,000 US$ vehicle) is worth far more. 10 x sits between; results scale with it.
SHORTAGE_COST_RATIO = 10.0
#: Resamples of :func:`bootstrap_se` (its own relative error is about 1 / sqrt(2 x 200) = 5%).
BOOTSTRAP_REPS = 200


@dataclass(frozen=True)
class ShortageSample:
    """Per-draw alliance shortages of a scenario set, without the policy being chosen.

    Attributes
    ----------
    commodities : tuple of str
        Commodity ids (columns of ``volume``).
    volume : ndarray, (draw, commodity), units
        Cumulative alliance shortage over the horizon of each draw.
    demand : ndarray, (draw, commodity), units
        Cumulative alliance demand over the horizon of each draw.
    monthly : ndarray or None, (draw, month, commodity), units/month
        Monthly alliance shortage (kept only when asked; months beyond a scenario's horizon
        are 0).
    probability : ndarray, (draw,)
        Probability of each draw (sums to 1).
    scenario : tuple of str
        Scenario name of each draw.
    value_usd : ndarray, (commodity,)
        Cost of one unit short (USD/unit).
    draws, seed : int
        Draws per scenario and the root seed the engine used.
    """

    commodities: tuple[str, ...]
    volume: np.ndarray
    demand: np.ndarray
    monthly: np.ndarray | None
    probability: np.ndarray
    scenario: tuple[str, ...]
    value_usd: np.ndarray
    draws: int
    seed: int

    def cost_usd(self, volume: np.ndarray | None = None) -> np.ndarray:
        """Shortage cost of each draw (USD), from ``volume`` (default: the sample's own)."""
        return (self.volume if volume is None else volume) @ self.value_usd

    def column(self, commodity: str) -> int:
        """Index of ``commodity`` in :attr:`commodities`."""
        try:
            return self.commodities.index(commodity)
        except ValueError:
            raise NotFoundError(f"commodity '{commodity}' is not in the sample") from None


def shortage_value_usd(ds: Dataset, commodities: Sequence[str],
                       ratio: float | Mapping[str, float] = SHORTAGE_COST_RATIO) -> np.ndarray:
    """Cost of one unit short per commodity: ``ratio`` x baseline price (USD/unit).

    ``ratio`` is one multiple for all, or a mapping commodity -> multiple (others get
    :data:`SHORTAGE_COST_RATIO`).
    """
    price = ds.commodities.set_index("id")["price_usd"].astype(float)
    out = np.empty(len(commodities))
    for i, commodity in enumerate(commodities):
        r = ratio.get(commodity, SHORTAGE_COST_RATIO) if isinstance(ratio, Mapping) else ratio
        if not (math.isfinite(float(r)) and float(r) >= 0):
            raise ModelError(f"shortage_cost_ratio for '{commodity}' must be a number >= 0, "
                             f"got {r}")
        out[i] = float(price[commodity]) * float(r)
    return out


def check_commodities(ds: Dataset, commodities: Sequence[str], where: str) -> None:
    """Raise NotFoundError naming ``where`` for the first id not in the commodities table."""
    import difflib

    known = list(ds.commodities["id"])
    for commodity in commodities:
        if commodity not in known:
            close = difflib.get_close_matches(commodity, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise NotFoundError(f"{where}: commodity '{commodity}' is not in the data{hint}")


def scenario_weights(scenarios: Sequence[Scenario],
                     weights: Mapping[str, float] | None = None) -> np.ndarray:
    """Scenario probabilities (sum 1): ``weights`` by name, normalised; default equal."""
    if not scenarios:
        raise ModelError("at least one scenario is needed")
    names = [s.name for s in scenarios]
    if weights is None:
        return np.full(len(names), 1.0 / len(names))
    unknown = sorted(set(weights) - set(names))
    if unknown:
        raise NotFoundError(f"weights name scenarios not in the set: {', '.join(unknown)}")
    w = np.array([float(weights.get(n, 0.0)) for n in names])
    if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
        raise ModelError("scenario weights must be finite, >= 0 and not all 0")
    return w / w.sum()


def strip_bloc_stockpiles(scn: Scenario) -> Scenario:
    """A copy of ``scn`` without the stockpile policies held by its bloc (the thing chosen)."""
    policies = tuple(p for p in scn.policies
                     if not (isinstance(p, Stockpile) and p.holder == scn.bloc))
    return scn.model_copy(update={"policies": policies})


def alliance_demand(ds: Dataset, scn: Scenario) -> np.ndarray:
    """Baseline monthly alliance demand per commodity (units/month), in ``ds`` order.

    Read from a one-draw, shock-free run of ``scn`` at month 0 (price ratio 1).
    """
    calm = scn.model_copy(update={"shocks": (), "policies": (), "horizon_months": 1})
    res = simulate(ds, calm, draws=1, seed=0, keep_paths=True, workers=1)
    demand = res.paths["demand"].isel(draw=0, **{MONTH: 0}).sel({SEGMENT: ALLIANCE})
    return demand.sel({COMMODITY: list(ds.commodities["id"])}).values.astype(float)


def member_demand(ds: Dataset, scn: Scenario) -> tuple[list[str], list[str], np.ndarray]:
    """(regions, member regions, baseline monthly demand ``(commodity, region)`` in ``ds``
    order, units/month) of ``scn``'s region map, from a one-draw, shock-free run. The
    member regions are those holding a member of ``scn.bloc`` (one, ``alliance``, on the
    three-segment map)."""
    calm = scn.model_copy(update={"shocks": (), "policies": (), "horizon_months": 1})
    res = simulate(ds, calm, draws=1, seed=0, keep_paths=False, region_paths=True, workers=1)
    regions = list(res.meta.get("regions") or [])
    kinds = res.meta.get("region_segments") or {}
    members = [r for r in regions if kinds.get(r) == ALLIANCE]
    demand = res.paths["region_demand"].isel(draw=0, **{MONTH: 0})
    demand = demand.sel({COMMODITY: list(ds.commodities["id"])}).transpose(COMMODITY, "region")
    return regions, members, demand.values.astype(float)


def member_losses(ds: Dataset, scn: Scenario, draws: int, seed: int, members: Sequence[str],
                  demand0: np.ndarray, regions: Sequence[str]) -> np.ndarray:
    """Cumulative shortage ``(draw, commodity, member)`` (units) of the member regions
    ``members``: each one's cumulative shortage share (``region_shortage_share``) times its
    baseline demand ``demand0`` ``(commodity, region)`` (units/month, in ``regions`` order)
    over the horizon. Demand that high prices destroy is not shortage."""
    res = simulate(ds, scn, draws=draws, seed=seed, keep_paths=False)
    if "region_shortage_share" not in res.outcomes:
        raise ModelError(f"{draws} draws are too many to keep each region's outcomes "
                         "(results.keeps_region_outcomes); use fewer draws per scenario")
    share = res.outcomes["region_shortage_share"].sel(
        {COMMODITY: list(ds.commodities["id"]), "region": list(members)})
    cols = [list(regions).index(m) for m in members]
    return (share.transpose("draw", COMMODITY, "region").values
            * demand0[None][..., cols] * scn.horizon_months)


def run_alliance(ds: Dataset, scn: Scenario, draws: int, seed: int,
                 monthly: bool) -> tuple[Results, np.ndarray, np.ndarray, np.ndarray | None]:
    """Run ``scn``; return results, cumulative alliance shortage and demand (draw, commodity
    in ``ds`` order) and, when ``monthly``, the (draw, month, commodity) shortage paths."""
    res = simulate(ds, scn, draws=draws, seed=seed, keep_paths=True)
    ids = list(ds.commodities["id"])
    short = res.paths["shortage"].sel({SEGMENT: ALLIANCE, COMMODITY: ids})
    demand = res.paths["demand"].sel({SEGMENT: ALLIANCE, COMMODITY: ids})
    volume = short.sum(MONTH).values
    total = demand.sum(MONTH).values
    paths = short.transpose("draw", MONTH, COMMODITY).values.copy() if monthly else None
    return res, volume, total, paths


def draw_shortages(ds: Dataset, scenarios: Sequence[Scenario], *, draws: int, seed: int,
                   weights: Mapping[str, float] | None = None,
                   shortage_cost_ratio: float | Mapping[str, float] = SHORTAGE_COST_RATIO,
                   monthly: bool = False) -> ShortageSample:
    """Run every scenario (bloc stockpiles removed) and collect alliance shortages.

    Parameters
    ----------
    ds : Dataset
    scenarios : sequence of Scenario
    draws : int
        Draws per scenario.
    seed : int
        Root seed of every scenario's run (common random numbers across policies).
    weights : mapping, optional
        Scenario name -> probability (normalised; default equal).
    shortage_cost_ratio : float or mapping
        See :func:`shortage_value_usd`.
    monthly : bool
        Keep monthly shortage paths (needed by the investment optimiser).
    """
    if draws < 1:
        raise ModelError(f"draws must be at least 1, got {draws}")
    probs = scenario_weights(scenarios, weights)
    ids = tuple(ds.commodities["id"])
    volumes, demands, paths, prob, labels = [], [], [], [], []
    horizon = max(s.horizon_months for s in scenarios)
    for scn, p in zip(scenarios, probs, strict=True):
        _, volume, demand, path = run_alliance(ds, strip_bloc_stockpiles(scn), draws, seed,
                                               monthly)
        volumes.append(volume)
        demands.append(demand)
        if path is not None:
            padded = np.zeros((draws, horizon, len(ids)))
            padded[:, :path.shape[1]] = path
            paths.append(padded)
        prob.append(np.full(draws, p / draws))
        labels += [scn.name] * draws
    return ShortageSample(ids, np.concatenate(volumes), np.concatenate(demands),
                          np.concatenate(paths) if monthly else None, np.concatenate(prob),
                          tuple(labels), shortage_value_usd(ds, ids, shortage_cost_ratio),
                          draws, seed)


def weighted_cvar(loss: np.ndarray, probability: np.ndarray, alpha: float = 0.95) -> float:
    """CVaR_alpha of a discrete loss distribution: the mean of its worst ``1 - alpha`` of
    probability mass (the boundary draw counted in part), i.e. the Rockafellar-Uryasev
    minimum ``min_eta eta + E[(L - eta)+] / (1 - alpha)``."""
    order = np.argsort(-loss, kind="stable")
    tail = 1.0 - alpha
    taken = np.minimum(np.cumsum(probability[order]), tail)
    mass = np.diff(np.concatenate([[0.0], taken]))
    return float(mass @ loss[order] / tail)


@dataclass(frozen=True)
class MonteCarloEstimate:
    """A probability-weighted mean over draws, its standard error and the draws behind it.

    ``mean`` and ``standard_error`` are in the unit of the values (US$ for costs);
    ``draws`` counts all draws (every scenario); ``draws_nonzero`` those with a value other
    than 0 (for a lever: the draws it changed; few of them means a rare-event estimate whose
    standard error is itself rough).
    """

    mean: float
    standard_error: float
    draws: int
    draws_nonzero: int


def mc_estimate(values: np.ndarray, probability: np.ndarray,
                scenario: Sequence[str]) -> MonteCarloEstimate:
    """Mean of ``values`` (draw,) under ``probability`` and its standard error.

    Draws of one scenario are independent and equally likely within it (weight ``w_k`` over
    ``n_k`` draws), so the estimate is stratified:
    ``SE^2 = sum_k w_k^2 s_k^2 / n_k`` with ``s_k^2`` the sample variance (ddof 1) of the
    scenario's values. A scenario with weight and a single draw has no variance estimate:
    the standard error is then NaN. Pass per-draw *differences* (with minus without, on the
    same seed) to get the standard error of a lever's value.
    """
    values = np.asarray(values, dtype=float)
    probability = np.asarray(probability, dtype=float)
    labels = np.asarray(scenario)
    if not values.shape == probability.shape == labels.shape or values.ndim != 1:
        raise ModelError("values, probability and scenario need one entry per draw")
    variance = 0.0
    for name in dict.fromkeys(labels.tolist()):
        mask = labels == name
        weight, n = float(probability[mask].sum()), int(mask.sum())
        if weight == 0:
            continue
        if n < 2:
            variance = float("nan")
            break
        variance += weight ** 2 * float(values[mask].var(ddof=1)) / n
    return MonteCarloEstimate(float(probability @ values), float(np.sqrt(variance)),
                              int(values.size), int(np.count_nonzero(values)))


def bootstrap_se(statistic: Callable[[np.ndarray, np.ndarray], float], values: np.ndarray,
                 probability: np.ndarray, scenario: Sequence[str], *,
                 reps: int = BOOTSTRAP_REPS,
                 rng: int | np.random.Generator = 0) -> float:
    """Bootstrap standard error of ``statistic(values, probability)`` (e.g. CVaR).

    Draws are resampled with replacement within each scenario (stratified, so every
    resample keeps the scenario weights) and keep their probabilities; ``values`` may have
    more than one column, resampled together (paired). ``rng`` seeds the resampling, so the
    result is reproducible. NaN when a scenario has fewer than two draws.
    """
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    labels = np.asarray(scenario)
    groups = [np.flatnonzero(labels == name) for name in dict.fromkeys(labels.tolist())]
    if any(g.size < 2 for g in groups):
        return float("nan")
    stats = np.empty(reps)
    for r in range(reps):
        idx = np.concatenate([gen.choice(g, g.size) for g in groups])
        stats[r] = statistic(values[idx], probability[idx])
    return float(stats.std(ddof=1))
