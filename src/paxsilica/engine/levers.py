"""The scenario's policies compiled to arrays (stockpiles, floors, club priority, investment).

Policies are deterministic (only shocks carry distributions). Membership changes are handled
in :mod:`paxsilica.engine.network` as region views; the arrays here that depend on who is in
which region or bloc are kept per view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from paxsilica.engine.network import ALLIANCE, Network, RegionView, production_share
from paxsilica.errors import ScenarioError
from paxsilica.model.dataset import Dataset
from paxsilica.model.scenario import (
    CapacityInvestment,
    MembershipChange,
    PriceFloor,
    Stockpile,
    TradeClubPriority,
)

__all__ = ["Levers", "POLICY_COMPILERS", "TRIGGER_PRICE", "TRIGGER_SHORTAGE", "compile_levers",
           "serving_share"]

TRIGGER_PRICE, TRIGGER_SHORTAGE = 1, 2


@dataclass(frozen=True)
class Levers:
    """Policy arrays; ``(commodity, region)`` unless noted, quantities per month or units."""

    strategic0: np.ndarray  # initial strategic holdings (units)
    trigger: np.ndarray  # int: TRIGGER_PRICE or TRIGGER_SHORTAGE
    threshold: np.ndarray  # price ratio or shortage share
    release_rate: np.ndarray  # max monthly release as share of initial holdings
    refill_below: np.ndarray  # refill when last price ratio <= this (-inf: never)
    refill_budget_usd: np.ndarray  # total refill budget
    initial_cost_usd: float  # purchases at month 0 and capex
    floor_ratio: np.ndarray  # (commodity,) floor / baseline price, 0 = none
    floor_eligible: tuple[np.ndarray, ...]  # per view: eligible share of region capacity
    floor_eligible_tranche: tuple[np.ndarray, ...]  # per view: (c, g, tranche)
    club_share: tuple[np.ndarray, ...] | None  # per view: club members' capacity share
    club_present: tuple[np.ndarray, ...] | None  # per view: (G,) region holds a club member
    club_protect: tuple[np.ndarray, ...] | None  # per view: (c, g) demand serving the club
    invest_capacity: np.ndarray  # (month, c, g): cumulative added monthly capacity
    invest_cost: np.ndarray  # (c, g): capacity-weighted unit cost ratio of added capacity
    #: share of the strategic holdings the scenario's policies put there; the rest are state
    #: reserves of the data (China's germanium), whose trades are not a policy cost
    policy_share: np.ndarray

    @property
    def has_strategic(self) -> bool:
        return bool(np.any(self.strategic0 > 0))

    @property
    def has_floor(self) -> bool:
        return bool(np.any(self.floor_ratio > 0))

    @property
    def has_investment(self) -> bool:
        return bool(np.any(self.invest_capacity > 0))


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        value = obj.get(name, default)
    else:
        value = getattr(obj, name, default)
    return default if value is None else value


def holder_weights(net: Network, scn: Any, holder: str) -> np.ndarray:
    """Where a holder's strategic stock sits, ``(commodity, region)``, rows summing to 1.

    A country's stock sits in its region. A bloc's (the Vault) is spread over the regions of
    its members at month 0 in proportion to their baseline demand of each commodity (equally
    where none of them uses it): a shared stock, drawn where it is needed.
    """
    view = net.views[0]
    if holder == scn.bloc:
        regions = view.aggregate[:, ALLIANCE]
    else:
        regions = net.region_mask([holder], "holder")
    weight = view.demand0 * regions[None, :]
    total = weight.sum(axis=1, keepdims=True)
    even = np.broadcast_to(regions / max(regions.sum(), 1.0), weight.shape)
    return np.where(total > 0, weight / np.where(total > 0, total, 1.0), even)


def compile_levers(ds: Dataset, net: Network, scn: Any) -> Levers:
    """Compile the scenario's policies (and the data's stockpiles) against ``net``."""
    n_c, opts = net.n_commodities, net.options
    shape = (n_c, net.n_regions)
    strategic0, cost = np.zeros(shape), 0.0
    trigger = np.full(shape, TRIGGER_SHORTAGE)
    threshold = np.zeros(shape)
    rate = np.full(shape, opts.default_release_share)
    refill_below = np.full(shape, -np.inf)
    refill_budget = np.zeros(shape)
    for holder, commodity, quantity in zip(ds.stockpiles["holder"], ds.stockpiles["commodity"],
                                           ds.stockpiles["quantity"].astype(float), strict=True):
        if commodity in net.commodity_index:
            c = net.commodity_index[commodity]
            strategic0[c] += quantity * holder_weights(net, scn, holder)[c]
    reserves = strategic0.copy()
    acc = _Accumulated(floor_ratio=np.zeros(n_c),
                       invest=np.zeros((net.horizon, n_c, net.n_regions)),
                       invest_cost_w=np.zeros(shape))
    arrays = (strategic0, trigger, threshold, rate, refill_below, refill_budget)
    for pos, policy in enumerate(scn.resolved().policies):
        compile_policy = POLICY_COMPILERS.get(type(policy))
        if compile_policy is None:
            raise ScenarioError(f"unknown policy type '{policy.type}'",
                                field=f"policies[{pos}].type")
        cost += compile_policy(net, scn, policy, f"policies[{pos}]", acc, arrays)
    floor_ratio, floor_countries, club = acc.floor_ratio, acc.floor_countries, acc.club
    invest, invest_cost_w = acc.invest, acc.invest_cost_w
    elig = tuple(_floor_share(view.share_of, floor_countries, shape) for view in net.views)
    elig_t = tuple(_floor_share(view.tranche_share_of, floor_countries,
                                (*shape, opts.cost_tranches)) for view in net.views)
    club_share = club_present = club_protect = None
    if club is not None:
        club_share = tuple(view.share_of(club) for view in net.views)
        club_present = tuple(np.array([any(view.region_of.get(c) == g for c in club)
                                       for g in range(net.n_regions)], float)
                             for view in net.views)
        club_protect = tuple(serving_share(view, net.use_share, present)
                             for view, present in zip(net.views, club_present, strict=True))
    invest_cost = np.divide(invest_cost_w, invest[-1], out=np.zeros(shape),
                            where=invest[-1] > 0)
    policy_share = np.divide(strategic0 - reserves, strategic0, out=np.zeros(shape),
                             where=strategic0 > 0)
    return Levers(strategic0, trigger, threshold, rate, refill_below, refill_budget, cost,
                  floor_ratio, elig, elig_t, club_share, club_present, club_protect, invest,
                  invest_cost, policy_share)


def serving_share(view: RegionView, use_share: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Share of each region's baseline demand that ends up in club regions downstream.

    ``(commodity, region)``, 0..1. Helium bought by a non-member region that makes chips
    the club imports serves the club: trade-club priority must not take it away (it would
    starve the club's own suppliers). Walks the recipe graph from outputs to inputs (the
    commodity order is topological): a unit of ``p`` ends with the club if it is sold to a
    club region, or sold to a non-member region whose use of ``p`` serves the club; every
    exporter sells to destinations pro rata to baseline demand (routes are not followed
    here: an approximation). Club regions' own entries are 0 (they are not cut).
    """
    demand = view.demand0
    world = view.supply0.sum(axis=1)
    made = production_share(view.supply0)  # (c, g)
    to_dest = np.divide(demand, demand.sum(axis=1, keepdims=True),
                        out=np.zeros_like(demand), where=demand.sum(axis=1, keepdims=True) > 0)
    serving = np.zeros_like(demand)
    reaches = np.zeros(len(world))  # share of each commodity's output ending with the club
    for c in reversed(range(len(world))):
        derived = world[c] * (use_share[c] * reaches) @ made  # (g,) demand serving the club
        serving[c] = np.divide(derived, demand[c], out=np.zeros(demand.shape[1]),
                               where=demand[c] > 0)
        np.clip(serving[c], 0.0, 1.0, out=serving[c])
        serving[c] *= 1.0 - present
        reaches[c] = to_dest[c] @ (present + serving[c])
    return serving


def _stockpile(net: Network, scn: Any, policy: Any, where: str, strategic0: np.ndarray,
               trigger: np.ndarray, threshold: np.ndarray, rate: np.ndarray,
               refill_below: np.ndarray, refill_budget: np.ndarray) -> float:
    where_held = holder_weights(net, scn, _get(policy, "holder", scn.bloc))
    holdings = dict(_get(policy, "holdings", {}) or {})
    budget = float(_get(policy, "budget_usd", 0.0))
    for commodity, share in (_get(policy, "allocation", {}) or {}).items():
        c = int(net.index([commodity], f"{where}.allocation")[0])
        holdings[commodity] = holdings.get(commodity, 0.0) + budget * share / net.price_usd[c]
    release = _get(policy, "release")
    kind = _get(release, "trigger", "shortage")
    if kind not in ("price", "shortage"):
        raise ScenarioError(f"release trigger '{kind}' is not price or shortage",
                            field=f"{where}.release.trigger")
    refill = _get(policy, "refill")
    cost = 0.0
    for commodity, quantity in holdings.items():
        c = int(net.index([commodity], f"{where}.holdings")[0])
        w = where_held[c]
        seg = w > 0
        strategic0[c] += float(quantity) * w
        cost += float(quantity) * net.price_usd[c]
        trigger[c, seg] = TRIGGER_PRICE if kind == "price" else TRIGGER_SHORTAGE
        threshold[c, seg] = float(_get(release, "threshold", 0.0))
        rate[c, seg] = float(_get(policy, "max_release_share", 1.0 / 6.0))
        if refill is not None:
            refill_below[c, seg] = float(_get(refill, "below_price_ratio", 1.1))
            share = float(quantity) / max(sum(float(q) for q in holdings.values()), 1e-300)
            refill_budget[c] += float(_get(refill, "budget_usd", np.inf)) * share * w
    return cost


def _investment(net: Network, policy: Any, where: str, invest: np.ndarray,
                invest_cost_w: np.ndarray) -> float:
    c = int(net.index([policy.commodity], f"{where}.commodity")[0])
    lead = _get(policy, "lead_time_months", None)
    arrival = int(net.lead_time_months[c] if lead is None else lead)
    capacity = float(policy.capacity) / 12.0
    if arrival < net.horizon:
        seg = net.views[net.view_at(arrival)].region_of.get(policy.country, net.rest_index)
        invest[arrival:, c, seg] += capacity
        unit_cost = _get(policy, "unit_cost", None)
        ratio = 0.0 if unit_cost is None else min(float(unit_cost) / net.price_usd[c], 1.0)
        invest_cost_w[c, seg] += capacity * ratio
    return float(_get(policy, "capex_usd", 0.0))


def _floor_share(share_of: Any, floor_countries: dict[int, frozenset[str]],
                 shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape)
    for c, countries in floor_countries.items():
        out[c] = share_of(countries)[c]
    return out


@dataclass
class _Accumulated:
    """What policies add up to besides the stockpile arrays (see compile_levers)."""

    floor_ratio: np.ndarray  # (commodity,)
    invest: np.ndarray  # (month, c, g)
    invest_cost_w: np.ndarray  # (c, g)
    floor_countries: dict[int, frozenset[str]] = field(default_factory=dict)
    club: frozenset[str] | None = None


def _add_stockpile(net: Network, scn: Any, policy: Stockpile, where: str, acc: _Accumulated,
                   arrays: tuple[np.ndarray, ...]) -> float:
    return _stockpile(net, scn, policy, where, *arrays)


def _add_floor(net: Network, scn: Any, policy: PriceFloor, where: str, acc: _Accumulated,
               arrays: tuple[np.ndarray, ...]) -> float:
    c = int(net.index([policy.commodity], f"{where}.commodity")[0])
    acc.floor_ratio[c] = float(policy.floor_usd) / net.price_usd[c]
    acc.floor_countries[c] = net.countries(policy.eligible)  # resolved: a tuple of ids
    return 0.0


def _add_club(net: Network, scn: Any, policy: TradeClubPriority, where: str,
              acc: _Accumulated, arrays: tuple[np.ndarray, ...]) -> float:
    acc.club = net.countries([policy.club])
    return 0.0


def _add_investment(net: Network, scn: Any, policy: CapacityInvestment, where: str,
                    acc: _Accumulated, arrays: tuple[np.ndarray, ...]) -> float:
    return _investment(net, policy, where, acc.invest, acc.invest_cost_w)


def _membership(net: Network, scn: Any, policy: MembershipChange, where: str,
                acc: _Accumulated, arrays: tuple[np.ndarray, ...]) -> float:
    return 0.0  # compiled as the network's membership views (engine.network)


#: One compile function per policy class of :mod:`paxsilica.model.scenario`: the only place
#: the engine dispatches on a policy's kind.
POLICY_COMPILERS: dict[type, Callable[..., float]] = {
    Stockpile: _add_stockpile,
    PriceFloor: _add_floor,
    TradeClubPriority: _add_club,
    CapacityInvestment: _add_investment,
    MembershipChange: _membership,
}

