"""The Vault across members: who holds what, where, and how much each member's loss falls.

:func:`~paxsilica.policy.stockpile.plan_vault` sizes the Vault for the bloc as a whole (how
much of each commodity). This module places those holdings in the members' regions of the
run's region map and measures, with the engine, what each member stands to lose:

* **by_demand**: each commodity's holding split over the member regions in proportion to
  their baseline demand of it. This is the engine's placement of a bloc-held stock
  (:func:`paxsilica.engine.levers.holder_weights`): a shared stock, drawn where it is used.
* **by_exposure**: split in proportion to each member's expected shortage cost of the
  commodity *without* the Vault (the same scenarios and draws); where no member runs short
  of a commodity it falls back to demand. Stock sits where the loss falls.

Every placement runs on the same seed as the run without the Vault (common random numbers),
so each member's saving is a mean of per-draw differences with its standard error
(:func:`~paxsilica.policy.sample.mc_estimate`, stratified by scenario).

A member's loss in a draw is ``sum_c value_c x shortage_share[c, g] x demand0[c, g] x H``:
its cumulative shortage share of each commodity (the engine's ``region_shortage_share``)
valued on its baseline demand over the horizon ``H`` months, at
``shortage_cost_ratio x price`` per unit (:func:`~paxsilica.policy.sample.shortage_value_usd`).
Demand that high prices destroy is not counted as shortage, on either side of a comparison.
The recommended placement is the one with the lower expected total member loss on these
draws (an in-sample choice; both are reported).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from paxsilica.errors import ModelError
from paxsilica.model.dataset import Dataset
from paxsilica.model.scenario import Release, Scenario
from paxsilica.policy.sample import (
    SHORTAGE_COST_RATIO,
    MonteCarloEstimate,
    mc_estimate,
    member_demand,
    member_losses,
    scenario_weights,
    shortage_value_usd,
    strip_bloc_stockpiles,
)
from paxsilica.policy.stockpile import DEFAULT_RELEASE, stockpile_policy

__all__ = ["PLACEMENTS", "MemberHolding", "MemberLoss", "MemberVault", "plan_member_vault",
           "split_holdings"]

PLACEMENTS = ("by_demand", "by_exposure")


@dataclass(frozen=True)
class MemberHolding:
    """What one member region holds of one commodity under a placement."""

    placement: str
    member: str  # region id of the run's map (a member's ISO3 on the countries map)
    commodity: str
    units: float
    unit: str
    usd: float  # at baseline price


@dataclass(frozen=True)
class MemberLoss:
    """One member's expected shortage cost (US$ over the horizon, scenario-weighted).

    ``saving[placement]`` is the paired Monte Carlo estimate of ``without - with`` the
    Vault placed that way (mean and standard error, US$).
    """

    member: str
    without_usd: float
    with_usd: dict[str, float]
    saving: dict[str, MonteCarloEstimate]


@dataclass(frozen=True)
class MemberVault:
    """The Vault's holdings placed across members, and each member's loss with and without.

    ``recommended`` is the placement with the lower expected total member loss.
    """

    region_map: str
    members: tuple[str, ...]
    holdings: tuple[MemberHolding, ...]
    losses: tuple[MemberLoss, ...]  # largest loss without the Vault first
    total_without_usd: float
    total_with_usd: dict[str, float]
    total_saving: dict[str, MonteCarloEstimate]
    recommended: str
    draws: int
    seed: int

    def holders(self, placement: str | None = None) -> list[MemberHolding]:
        """The holdings of ``placement`` (default: the recommended one), units > 0."""
        chosen = placement or self.recommended
        return [h for h in self.holdings if h.placement == chosen and h.units > 0]


def split_holdings(holdings: Mapping[str, float], weights: Mapping[str, np.ndarray],
                   members: Sequence[str]) -> dict[str, dict[str, float]]:
    """member -> commodity -> units: each commodity's ``holdings`` (units) split over
    ``members`` by ``weights[commodity]`` ``(member,)`` (>= 0; evenly when they sum to 0)."""
    out: dict[str, dict[str, float]] = {m: {} for m in members}
    for commodity, units in holdings.items():
        w = np.asarray(weights[commodity], dtype=float)
        total = float(w.sum())
        share = w / total if total > 0 else np.full(len(members), 1.0 / len(members))
        for member, s in zip(members, share, strict=True):
            if units * s > 0:
                out[member][commodity] = float(units * s)
    return out


def _with_stocks(scn: Scenario, per_member: Mapping[str, Mapping[str, float]],
                 release: Release) -> Scenario:
    """``scn`` without bloc stockpiles, with one stockpile per member holding something."""
    base = strip_bloc_stockpiles(scn)
    policies = [stockpile_policy(held, member, release) for member, held in per_member.items()]
    extra = tuple(p for p in policies if p is not None)
    return base.model_copy(update={"policies": (*base.policies, *extra)}) if extra else base


def plan_member_vault(ds: Dataset, scenarios: Sequence[Scenario],
                      holdings: Mapping[str, float], *, draws: int = 300,
                      seed: int = 20260202, weights: Mapping[str, float] | None = None,
                      shortage_cost_ratio: float | Mapping[str, float] = SHORTAGE_COST_RATIO,
                      release: Release = DEFAULT_RELEASE) -> MemberVault:
    """Place the Vault's ``holdings`` (commodity -> units) across the bloc's member regions
    and measure each member's expected shortage cost without it and with each placement.

    Parameters
    ----------
    ds : Dataset
    scenarios : sequence of Scenario
        The threats, all of one bloc and on one region map with the members as regions
        (the default ``countries`` map); bloc stockpiles in them are removed.
    holdings : mapping
        Commodity id -> units the Vault holds (e.g. ``StockpilePlan.holdings()``).
    draws, seed : int
        Draws per scenario and the root seed shared by every run (common random numbers).
    weights : mapping, optional
        Scenario probabilities by name (default equal).
    shortage_cost_ratio : float or mapping
        Cost of a unit short / its baseline price (default 10, an estimate).
    release : Release
        Each member's release rule (default: as soon as it runs short).
    """
    if draws < 2:
        raise ModelError(f"draws must be at least 2 (a standard error needs two), got {draws}")
    if {s.bloc for s in scenarios} != {scenarios[0].bloc} or \
            {s.regions for s in scenarios} != {scenarios[0].regions}:
        raise ModelError("all scenarios must study one bloc on one region map")
    ids = list(ds.commodities["id"])
    unknown = sorted(set(holdings) - set(ids))
    if unknown:
        raise ModelError(f"holdings name commodities not in the data: {', '.join(unknown)}")
    regions, members, demand0 = member_demand(ds, scenarios[0])
    if len(members) < 2:  # e.g. the three segments: the whole bloc is one region
        raise ModelError(f"placing the Vault across members needs a region map with the "
                         f"members as regions; map '{scenarios[0].regions}' has "
                         f"{len(members)} member region(s) (use regions: countries)")
    value = shortage_value_usd(ds, ids, shortage_cost_ratio)
    probs = scenario_weights(scenarios, weights)
    labels = np.repeat([s.name for s in scenarios], draws)
    prob = np.repeat(probs / draws, draws)

    def losses(per_member: Mapping[str, Mapping[str, float]]) -> np.ndarray:
        return np.concatenate([
            member_losses(ds, _with_stocks(s, per_member, release), draws, seed, members,
                          demand0, regions) for s in scenarios]) * value[None, :, None]

    without = losses({})  # (draw, commodity, member)
    expected = np.einsum("d,dcm->cm", prob, without)
    cols = [regions.index(m) for m in members]
    placed = {"by_demand": {c: demand0[ids.index(c), cols] for c in holdings}}
    placed["by_exposure"] = {c: (expected[ids.index(c)] if expected[ids.index(c)].sum() > 0
                                 else demand0[ids.index(c), cols]) for c in holdings}
    table = ds.commodities.set_index("id")
    rows, with_loss = [], {}
    for placement in PLACEMENTS:
        split = split_holdings(holdings, placed[placement], members)
        with_loss[placement] = losses(split).sum(axis=1)  # (draw, member)
        rows += [MemberHolding(placement, m, c, u, str(table.at[c, "unit"]),
                               u * float(table.at[c, "price_usd"]))
                 for m in members for c, u in split[m].items()]
    return _summarise(members, without.sum(axis=1), with_loss, prob, labels, rows,
                      str(scenarios[0].regions or "countries"), draws, seed)


def _summarise(members: Sequence[str], without: np.ndarray, with_loss: dict[str, np.ndarray],
               prob: np.ndarray, labels: np.ndarray, rows: list[MemberHolding],
               region_map: str, draws: int, seed: int) -> MemberVault:
    per_member = []
    for k, member in enumerate(members):
        saving = {p: mc_estimate(without[:, k] - loss[:, k], prob, labels)
                  for p, loss in with_loss.items()}
        per_member.append(MemberLoss(member, float(prob @ without[:, k]),
                                     {p: float(prob @ loss[:, k]) for p, loss in
                                      with_loss.items()}, saving))
    per_member.sort(key=lambda m: -m.without_usd)
    total_with = {p: float(prob @ loss.sum(axis=1)) for p, loss in with_loss.items()}
    total_saving = {p: mc_estimate(without.sum(axis=1) - loss.sum(axis=1), prob, labels)
                    for p, loss in with_loss.items()}
    recommended = min(PLACEMENTS, key=lambda p: total_with[p])
    return MemberVault(region_map, tuple(members), tuple(rows), tuple(per_member),
                       float(prob @ without.sum(axis=1)), total_with, total_saving,
                       recommended, draws, seed)
