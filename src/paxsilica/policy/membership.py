"""Membership value: how much a country's membership lowers the bloc's shortage risk.

Membership is evaluated as the alliance's policy, not as a relabelling of the pooled world
market: members serve members first under stress. Every run carries one
``trade_club_priority`` policy whose club is the bloc (any other club priority in a scenario is
replaced: the engine applies one club). For each candidate the scenarios are run on the same
draws (common random numbers) twice, both with that priority:

* **without**: the bloc as it is (for a current member, e.g. Qatar: a copy of the data without
  its membership row, :func:`without_member`);
* **with**: the bloc with the candidate (:meth:`Dataset.with_member`; for a current member the
  data as it is).

The difference isolates the candidate's contribution under member priority. The bloc grows
when a country joins, and so does its demand; to compare like with like the value is measured
for the members of the "without" bloc only.

On a region map with the members as regions (the default ``countries`` map) each of them is
measured in its own region: its cumulative shortage share times its baseline demand over the
horizon (:func:`~paxsilica.policy.sample.member_losses`), summed over the "without" members.
A candidate that shares a region (a country of ``ROW``, or of ``EU``) is first given a region
of its own (:meth:`Dataset.with_own_region`, on both sides), so that it joins alone. Then

    risk_reduction_usd = E[ sum_c value_c sum_m (short_without_{c,m} - short_with_{c,m}) ]

over scenario-weighted draws (value_c: cost of a unit short, :data:`SHORTAGE_COST_RATIO` x
price). Both sides run on the same seed, so the value is a mean of per-draw differences and
its standard error (:func:`~paxsilica.policy.sample.mc_estimate`, stratified by scenario) is
that of the paired difference; it is reported with the draws behind it and how many of them
the candidate changed at all (shortages are rare events: a value resting on a handful of
draws has a rough standard error too). On the three-segment map the bloc is one region:
the "without" members face the segment's shortage share, so their shortage with the
candidate is ``share_with x their cumulative demand``, and the sum over ``m`` is that
product.

Members-first priority cuts both ways: a candidate that brings supply of what the bloc is
short of (Malaysia's rare-earth refining under China's controls) spares the members
shortage; one that brings mostly demand into the priority pool (data-centre capacity and
accelerators when Taiwan's supply is cut) takes a share of the scarce volume the members
were served first, and its value is negative.

``concern_share_change`` is the change in the mean, over commodities the bloc uses, of
the share of its supply that comes from countries of concern: (net imports / demand) x
(of-concern share of non-bloc output), from the data's latest production; negative is better.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from paxsilica.data.schema import REST_OF_WORLD
from paxsilica.dims import COMMODITY, MONTH, SEGMENT, SEGMENTS
from paxsilica.engine import simulate
from paxsilica.errors import ModelError, NotFoundError
from paxsilica.model.dataset import Dataset
from paxsilica.model.scenario import Scenario, TradeClubPriority
from paxsilica.policy.sample import (
    SHORTAGE_COST_RATIO,
    MonteCarloEstimate,
    alliance_demand,
    mc_estimate,
    member_demand,
    member_losses,
    scenario_weights,
    shortage_value_usd,
    strip_bloc_stockpiles,
)

__all__ = ["DEFAULT_CANDIDATES", "MemberValue", "concern_share", "default_candidates",
           "member_values", "membership_pair", "with_priority", "without_member"]

#: Countries the issue names as likely invitees (trade club, minerals producers), plus Qatar.
DEFAULT_CANDIDATES = ("SAU", "IND", "THA", "CAN", "CHL", "COD", "IDN", "QAT")


@dataclass(frozen=True)
class MemberValue:
    """One candidate's value to the bloc (US$ over the horizon, shares 0..1).

    ``estimate`` is the Monte Carlo estimate behind ``risk_reduction_usd`` (its mean):
    standard error of the paired difference (US$), draws (all scenarios) and draws changed.
    """

    iso3: str
    already_member: bool
    risk_reduction_usd: float
    concern_share_before: float
    concern_share_after: float
    #: (commodity, US$ of risk reduction), largest in absolute value first; negative = the
    #: country brings exposure (e.g. Qatar's LNG and helium sit behind Hormuz)
    top_commodities: tuple[tuple[str, float], ...]
    estimate: MonteCarloEstimate
    #: standard error (US$) of each ``top_commodities`` line, in the same order
    top_commodities_se_usd: tuple[float, ...]

    @property
    def concern_share_change(self) -> float:
        return self.concern_share_after - self.concern_share_before

    @property
    def standard_error_usd(self) -> float:
        return self.estimate.standard_error


def without_member(ds: Dataset, bloc: str, iso3: str) -> Dataset:
    """A copy of ``ds`` in which ``iso3`` is not a member of ``bloc``."""
    blocs = ds.blocs
    keep = ~((blocs["bloc"] == bloc) & (blocs["iso3"] == iso3))
    return Dataset.from_tables(dict(ds.tables) | {"blocs": blocs[keep]},
                               origin=f"{ds.origin}-{bloc}:{iso3}")


def default_candidates(ds: Dataset, bloc: str) -> list[str]:
    """:data:`DEFAULT_CANDIDATES` and trade-club members, as far as the data knows them."""
    known = set(ds.countries["iso3"]) | set(ds.production["iso3"])
    club = ds.members("trade-club") if "trade-club" in ds.bloc_names() else frozenset()
    members = ds.members(bloc)
    extra = sorted(c for c in club if c not in members)
    return [c for c in dict.fromkeys([*DEFAULT_CANDIDATES, *extra]) if c in known]


def concern_share(ds: Dataset, bloc: str, demand_per_month: np.ndarray,
                  concern_bloc: str = "of-concern") -> float:
    """Mean over commodities the bloc uses of (net import share) x (of-concern share of the
    rest of the world's output); ``demand_per_month`` in ``ds.commodities`` order."""
    members, concern = ds.members(bloc), ds.members(concern_bloc)
    prod = ds.latest_production()
    values = []
    for c, demand in zip(ds.commodities["id"], demand_per_month, strict=True):
        if demand <= 0:
            continue
        rows = prod[prod["commodity"] == c]
        own = float(rows.loc[rows["iso3"].isin(members), "quantity"].sum()) / 12.0
        outside = rows[~rows["iso3"].isin(members)]
        total_out = float(outside["quantity"].sum())
        bad = float(outside.loc[outside["iso3"].isin(concern), "quantity"].sum())
        imports = max(demand - own, 0.0) / demand
        values.append(imports * (bad / total_out if total_out > 0 else 0.0))
    return float(np.mean(values)) if values else float("nan")


def _runs(ds: Dataset, scenarios: Sequence[Scenario], draws: int, seed: int,
          with_demand: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Alliance shortage shares and (when asked) cumulative demand, (scenario, draw,
    commodity) in ``ds`` order; both sides of a comparison go through here."""
    ids = list(ds.commodities["id"])
    shares, dems = [], []
    for scn in scenarios:
        res = simulate(ds, scn, draws=draws, seed=seed, keep_paths=with_demand)
        share = res.outcomes["shortage_share"].sel({SEGMENT: SEGMENTS[0], COMMODITY: ids})
        shares.append(share.values.astype(float))
        if with_demand:
            demand = res.paths["demand"].sel({SEGMENT: SEGMENTS[0], COMMODITY: ids})
            dems.append(demand.sum(MONTH).values)
    return np.stack(shares), (np.stack(dems) if with_demand else None)


def with_priority(scn: Scenario, bloc: str, priority: bool = True) -> Scenario:
    """``scn`` for ``bloc``, bloc stockpiles removed and, when ``priority``, exactly one
    ``trade_club_priority`` policy with the bloc as the club (others are dropped: the engine
    applies a single club)."""
    scn = strip_bloc_stockpiles(scn).model_copy(update={"bloc": bloc})
    policies = tuple(p for p in scn.policies if not isinstance(p, TradeClubPriority))
    if priority:
        policies = (*policies, TradeClubPriority(type="trade_club_priority", club=bloc))
    return scn.model_copy(update={"policies": policies})


def membership_pair(ds: Dataset, bloc: str, iso3: str) -> tuple[Dataset, Dataset]:
    """(data without, data with) ``iso3`` in ``bloc``; for a current member the first is a
    copy without its membership row, for a candidate the second has it added."""
    if iso3 in ds.members(bloc):
        return without_member(ds, bloc, iso3), ds
    return ds, ds.with_member(bloc, iso3)


def member_values(ds: Dataset, scenarios: Sequence[Scenario], *, bloc: str | None = None,
                  candidates: Sequence[str] | None = None, draws: int = 300,
                  seed: int = 20260112, weights: Mapping[str, float] | None = None,
                  shortage_cost_ratio: float | Mapping[str, float] = SHORTAGE_COST_RATIO,
                  top: int = 3, priority: bool = True) -> list[MemberValue]:
    """Rank candidate members by the drop in the bloc's expected shortage cost.

    Parameters
    ----------
    ds : Dataset
    scenarios : sequence of Scenario
        Threat scenarios (their ``bloc`` is replaced by ``bloc``; bloc stockpiles removed).
    bloc : str, optional
        Bloc id (default: the first scenario's).
    candidates : sequence of str, optional
        ISO3 codes (default :func:`default_candidates`); a current member is evaluated as
        the bloc without it against the bloc with it (:func:`membership_pair`).
    draws, seed : int
        Draws per scenario and root seed (shared by every run: common random numbers).
    priority : bool
        Members serve members first under stress: one ``trade_club_priority`` policy with
        the bloc as the club in every run, on both sides of each comparison
        (:func:`with_priority`). ``False`` compares in the engine's pooled world market, where
        membership changes little but whom export restrictions target (diagnostics only).

    Returns
    -------
    list of MemberValue
        Sorted by ``risk_reduction_usd``, largest first.
    """
    if not scenarios:
        raise ModelError("at least one scenario is needed")
    bloc = bloc or scenarios[0].bloc
    members = ds.members(bloc)
    candidates = list(default_candidates(ds, bloc) if candidates is None else candidates)
    known = set(ds.countries["iso3"]) | set(ds.production["iso3"])
    for iso3 in candidates:
        if iso3 not in known or iso3 == REST_OF_WORLD:
            raise NotFoundError(f"candidates: country '{iso3}' is not in the data")
    scns = [with_priority(s, bloc, priority) for s in scenarios]
    probs = scenario_weights(scns, weights)
    ids = list(ds.commodities["id"])
    value = shortage_value_usd(ds, ids, shortage_cost_ratio)
    regional = len(member_demand(ds, scns[0])[1]) > 1
    base_cache: dict[str, Any] = {}
    out = []
    for iso3 in candidates:
        if regional:
            saved, before, joined_ds = _saved_by_region(ds, scns, bloc, iso3, draws, seed,
                                                        base_cache)
        else:
            saved, before, joined_ds = _saved_in_segment(ds, scns, bloc, iso3, draws, seed,
                                                         base_cache)
        per_c = np.einsum("k,kdc->c", probs / draws, saved) * value
        ranked = [i for i in np.argsort(-np.abs(per_c))[:top] if per_c[i] != 0]
        after = concern_share(joined_ds, bloc, alliance_demand(joined_ds, scns[0]))
        saved_usd = saved * value
        total = _paired(saved_usd, probs)
        out.append(MemberValue(iso3, iso3 in members, total.mean, before, after,
                               tuple((ids[i], float(per_c[i])) for i in ranked), total,
                               tuple(_paired(saved_usd, probs, i).standard_error
                                     for i in ranked)))
    return sorted(out, key=lambda m: -m.risk_reduction_usd)


def _saved_by_region(ds: Dataset, scns: Sequence[Scenario], bloc: str, iso3: str,
                     draws: int, seed: int, cache: dict[str, Any]
                     ) -> tuple[np.ndarray, float, Dataset]:
    """Shortage the "without" members are spared ``(scenario, draw, commodity)`` (units):
    the sum over their own regions, with and without ``iso3``, on a map where ``iso3`` is a
    region of its own (:meth:`Dataset.with_own_region`: a country of the rest region joins
    alone, not with everyone it shared the region with)."""
    own_ds, name = ds.with_own_region(iso3, scns[0].regions)
    runs = [s.model_copy(update={"regions": name}) for s in scns]
    base_ds, joined_ds = membership_pair(own_ds, bloc, iso3)
    regions, members, demand0 = member_demand(base_ds, runs[0])

    def volumes(data: Dataset) -> np.ndarray:
        return np.stack([member_losses(data, s, draws, seed, members, demand0,
                                       regions).sum(axis=2) for s in runs])

    key = f"{base_ds.content_hash}:{name}"
    if key not in cache:
        cache[key] = (volumes(base_ds),
                      concern_share(base_ds, bloc, alliance_demand(base_ds, runs[0])))
    lost0, before = cache[key]
    return lost0 - volumes(joined_ds), before, joined_ds


def _saved_in_segment(ds: Dataset, scns: Sequence[Scenario], bloc: str, iso3: str,
                      draws: int, seed: int, cache: dict[str, Any]
                      ) -> tuple[np.ndarray, float, Dataset]:
    """The same on a map whose bloc is one region (the three segments): the "without"
    members face the segment's shortage share, valued on their cumulative demand."""
    base_ds, joined_ds = membership_pair(ds, bloc, iso3)
    key = base_ds.content_hash
    if key not in cache:
        share0, demand = _runs(base_ds, scns, draws, seed, with_demand=True)
        before = concern_share(base_ds, bloc, alliance_demand(base_ds, scns[0]))
        cache[key] = ((share0, demand), before)
    (share0, demand), before = cache[key]
    share1, _ = _runs(joined_ds, scns, draws, seed, with_demand=False)
    return (share0 - share1) * demand, before, joined_ds


def _paired(saved_usd: np.ndarray, probs: np.ndarray,
            commodity: int | None = None) -> MonteCarloEstimate:
    """Estimate over the paired per-draw savings (scenario, draw, commodity) US$: of one
    commodity's line, or of the total when ``commodity`` is None."""
    k_n, d_n, _ = saved_usd.shape
    per_draw = saved_usd.sum(axis=2) if commodity is None else saved_usd[:, :, commodity]
    return mc_estimate(per_draw.reshape(-1), np.repeat(probs / d_n, d_n),
                       np.repeat(np.arange(k_n), d_n).astype(str))
