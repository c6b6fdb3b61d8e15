"""Membership value: how much a country's joining would lower the bloc's shortage risk.

For each candidate the scenarios are run twice on the same draws: with the bloc as it is and
with the candidate added (:meth:`Dataset.with_member`). A member already in the bloc (Qatar,
by default) is evaluated "as if not yet a member": the bloc without it against the bloc with
it, so its own contribution (helium, LNG) shows.

The bloc grows when a country joins, and so does its demand; to compare like with like the
value is measured for the **original** members: they face the (pooled) segment's shortage
share, so their shortage after joining is ``share_joined x their cumulative demand``. Then

    risk_reduction_usd = E[ sum_c value_c (shortage_c - share_joined_c x demand_c) ]

over scenario-weighted draws (shares from the engine's outcomes; value_c: cost of a unit short, :data:`SHORTAGE_COST_RATIO` x
price). ``concern_share_change`` is the change in the mean, over commodities the bloc uses,
of the share of its supply that comes from countries of concern: (net imports / demand) x
(of-concern share of non-bloc output), from the data's latest production; negative is better.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from paxsilica.data.schema import REST_OF_WORLD
from paxsilica.dims import COMMODITY, SEGMENT, SEGMENTS
from paxsilica.engine import simulate
from paxsilica.errors import ModelError, NotFoundError
from paxsilica.model.dataset import Dataset
from paxsilica.model.scenario import Scenario, TradeClubPriority
from paxsilica.policy.sample import (
    SHORTAGE_COST_RATIO,
    alliance_demand,
    run_alliance,
    scenario_weights,
    shortage_value_usd,
    strip_bloc_stockpiles,
)

__all__ = ["DEFAULT_CANDIDATES", "MemberValue", "default_candidates", "member_values",
           "without_member"]

#: Countries the issue names as likely invitees (trade club, minerals producers), plus Qatar.
DEFAULT_CANDIDATES = ("SAU", "IND", "THA", "CAN", "CHL", "COD", "IDN", "QAT")


@dataclass(frozen=True)
class MemberValue:
    """One candidate's value to the bloc (US$ over the horizon, shares 0..1)."""

    iso3: str
    already_member: bool
    risk_reduction_usd: float
    concern_share_before: float
    concern_share_after: float
    #: (commodity, US$ of risk reduction), largest in absolute value first; negative = the
    #: country brings exposure (e.g. Qatar's LNG and helium sit behind Hormuz)
    top_commodities: tuple[tuple[str, float], ...]

    @property
    def concern_share_change(self) -> float:
        return self.concern_share_after - self.concern_share_before


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


def _base_runs(ds: Dataset, scenarios: Sequence[Scenario], draws: int,
               seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shortage shares and cumulative demand, (scenario, draw, commodity)."""
    ids = list(ds.commodities["id"])
    shares, dems = [], []
    for scn in scenarios:
        res, _, demand, _ = run_alliance(ds, scn, draws, seed, monthly=False)
        share = res.outcomes["shortage_share"].sel({SEGMENT: SEGMENTS[0], COMMODITY: ids})
        shares.append(share.values.astype(float))  # the same rounding as the joined runs
        dems.append(demand)
    return np.stack(shares), np.stack(dems)


def _joined_shares(ds: Dataset, scenarios: Sequence[Scenario], draws: int,
                   seed: int) -> np.ndarray:
    ids = list(ds.commodities["id"])
    out = []
    for scn in scenarios:
        res = simulate(ds, scn, draws=draws, seed=seed, keep_paths=False)
        share = res.outcomes["shortage_share"].sel({SEGMENT: SEGMENTS[0], COMMODITY: ids})
        out.append(share.values.astype(float))
    return np.stack(out)


def _prepared(scn: Scenario, bloc: str, priority: bool) -> Scenario:
    scn = strip_bloc_stockpiles(scn).model_copy(update={"bloc": bloc})
    if priority and not any(isinstance(p, TradeClubPriority) for p in scn.policies):
        club = TradeClubPriority(type="trade_club_priority", club=bloc)
        scn = scn.model_copy(update={"policies": (*scn.policies, club)})
    return scn


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
        ISO3 codes (default :func:`default_candidates`); members are evaluated as if not yet
        members.
    draws, seed : int
        Draws per scenario and root seed (shared by every run: common random numbers).
    priority : bool
        Members serve members first under stress (a ``trade_club_priority`` policy with the
        bloc as the club, in every run): what membership commits a country to. Without it the
        engine's pooled world market makes membership change little but whom export
        restrictions target.

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
    scns = [_prepared(s, bloc, priority) for s in scenarios]
    probs = scenario_weights(scns, weights)
    ids = list(ds.commodities["id"])
    value = shortage_value_usd(ds, ids, shortage_cost_ratio)
    base_cache: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    out = []
    for iso3 in candidates:
        already = iso3 in members
        base_ds = without_member(ds, bloc, iso3) if already else ds
        joined_ds = ds if already else ds.with_member(bloc, iso3)
        key = base_ds.content_hash
        if key not in base_cache:
            volume, demand = _base_runs(base_ds, scns, draws, seed)
            base_cache[key] = (volume, demand, alliance_demand(base_ds, scns[0]))
        volume, demand, monthly = base_cache[key]
        share = _joined_shares(joined_ds, scns, draws, seed)
        saved = (volume - share) * demand  # (scenario, draw, commodity) units
        per_c = np.einsum("k,kdc->c", probs / draws, saved) * value
        ranked = np.argsort(-np.abs(per_c))[:top]
        after = concern_share(joined_ds, bloc, alliance_demand(joined_ds, scns[0]))
        out.append(MemberValue(iso3, already, float(per_c.sum()),
                               concern_share(base_ds, bloc, monthly), after,
                               tuple((ids[i], float(per_c[i])) for i in ranked
                                     if per_c[i] != 0)))
    return sorted(out, key=lambda m: -m.risk_reduction_usd)
