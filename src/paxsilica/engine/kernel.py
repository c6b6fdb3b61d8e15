"""The month loop for one block of draws: supply, trade, clearing, stocks, exits, propagation.

State is kept per (draw, commodity, segment); the Python loop runs over months and, inside a
month, over topological layers of the recipe graph (upstream first). Within a segment:

* **supply** = capacity (surviving cost tranches + arrived investment, minus outages and the
  seaborne share stranded by a closed chokepoint) x
  baseline utilisation x expected price ** supply elasticity, capped at capacity, times the
  Leontief availability of inputs. Producers expect an exponentially smoothed price
  (:attr:`EngineOptions.supply_adjustment`), which keeps the monthly cobweb stable;
* **trade**: every segment's output is pooled; each destination gets a share proportional to
  its baseline demand x its expected (smoothed) price ratio ** trade elasticity. Export
  restrictions cut flows (exporter's share x severity x
  (1 - leakage)); the cut volume is diverted to the remaining destinations, the exporting
  segment included, pro rata to their shares. Under trade-club priority, club members' output goes only
  to segments holding club members while one of those is above its baseline price;
* **clearing**: :func:`paxsilica.engine.clearing.clear`; commercial holders release stock
  as the price rises (none at the baseline price, all of it at
  :attr:`EngineOptions.inventory_release_price`), and local producers withhold (curtail,
  then stockpile) their own output rather than sell it below
  :attr:`EngineOptions.reservation_price_ratio`; a price suppression forces the price
  of the other segments down to its ratio by extra imports from the flooding segment (no
  withholding there);
* **exits**: a cost tranche whose unit cost stays above the price for ``exit_months`` leaves
  for good, except the share that a price floor covering its cost keeps alive (the floor is
  paid as a CfD on eligible output).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from paxsilica.engine.clearing import ClearParams, clear
from paxsilica.engine.levers import TRIGGER_PRICE, Levers
from paxsilica.engine.network import ALLIANCE, N_SEG, Network
from paxsilica.engine.propagation import input_ratio, padded_ratio
from paxsilica.engine.sampling import CompiledShock, ShockDraws, draw_shocks

__all__ = ["BlockOutcome", "PATH_VARIABLES", "run_block"]

PATH_VARIABLES = ("price_ratio", "demand", "supply", "consumption", "shortage", "imports",
                  "exports", "stock_commercial", "stock_strategic", "release", "build")
_TINY = 1e-12
_EXIT_TOL = 1e-9  # a baseline price that is 1 up to rounding is not below cost


@dataclass
class BlockOutcome:
    """Per-draw outcomes of one block (all arrays start with the draw axis)."""

    peak_price_ratio: np.ndarray  # (draw, commodity, segment)
    shortage_share: np.ndarray  # cumulative shortage / cumulative demand
    stock_out_month: np.ndarray  # first month stocks were exhausted in a deficit; -1 never
    loss_share: np.ndarray  # (draw, capability): 1 - mean output ratio over the horizon
    policy_cost_usd: np.ndarray  # (draw,) total over the horizon


@dataclass
class _State:
    price: np.ndarray
    expected: np.ndarray
    stock: np.ndarray
    strategic: np.ndarray | None
    refill_budget: np.ndarray | None
    ratio: np.ndarray
    alive: np.ndarray | None  # (draw, c, g, tranche): surviving share of each cost tranche
    below: np.ndarray | None  # months in a row below cost, per tranche
    invest_alive: np.ndarray | None
    invest_below: np.ndarray | None


@dataclass
class _Shocks:
    """This month's shock effects (None = no effect anywhere)."""

    capacity_keep: np.ndarray | None
    trade_keep: np.ndarray | None  # (draw, c, i, j)
    surge: np.ndarray | None
    suppression: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]


def run_block(net: Network, shocks: Sequence[CompiledShock], levers: Levers, seed: int,
              block: int, n_draws: int,
              paths: Mapping[str, np.ndarray] | None = None,
              capability_paths: np.ndarray | None = None,
              cost_paths: np.ndarray | None = None) -> BlockOutcome:
    """Simulate the first ``n_draws`` draws of block ``block`` over the horizon.

    ``paths`` (optional) maps each of :data:`PATH_VARIABLES` to a writable
    ``(n_draws, month, commodity, segment)`` array; ``capability_paths`` is
    ``(n_draws, month, capability)`` and ``cost_paths`` ``(n_draws, month)``.
    """
    draws = draw_shocks(shocks, net.horizon, seed, block, n_draws)
    n_c, horizon = net.n_commodities, net.horizon
    shape = (n_draws, n_c, N_SEG)
    state = _initial_state(net, levers, shape)
    peak = np.zeros(shape)
    short_sum = np.zeros(shape)
    demand_sum = np.zeros(shape)
    stock_out = np.full(shape, -1, dtype=np.int16)
    cap_ratio_sum = np.zeros((n_draws, len(net.capabilities)))
    cost = np.zeros(n_draws)
    cost += levers.initial_cost_usd
    if cost_paths is not None:
        cost_paths[:, 0] += levers.initial_cost_usd
    for month in range(horizon):
        view = net.views[net.view_at(month)]
        effects = _shock_effects(net, shocks, draws, month, n_draws)
        monthly = _month(net, levers, view, state, effects, month, paths)
        np.maximum(peak, state.price, out=peak)
        short_sum += monthly["shortage"]
        demand_sum += monthly["demand"]
        out_now = (stock_out < 0) & monthly["deficit"] & (monthly["stock_left"] <= _TINY)
        stock_out[out_now] = month
        cap_ratio = _capability_ratio(net, view, monthly, state)
        cap_ratio_sum += cap_ratio
        cost += monthly["cost"]
        if capability_paths is not None:
            capability_paths[:, month] = cap_ratio
        if cost_paths is not None:
            cost_paths[:, month] += monthly["cost"]
    share = np.divide(short_sum, demand_sum, out=np.zeros(shape), where=demand_sum > 0)
    loss = 1.0 - cap_ratio_sum / horizon
    return BlockOutcome(peak, share, stock_out, np.clip(loss, 0.0, 1.0), cost)


def _initial_state(net: Network, levers: Levers, shape: tuple[int, int, int]) -> _State:
    view = net.views[0]
    has_exits = bool(np.any(view.tranche_cost > 0))
    k_n = net.options.cost_tranches
    return _State(
        price=np.ones(shape),
        expected=np.ones(shape),
        stock=np.broadcast_to(view.stock_target, shape).copy(),
        strategic=(np.broadcast_to(levers.strategic0, shape).copy()
                   if levers.has_strategic else None),
        refill_budget=(np.broadcast_to(levers.refill_budget_usd, shape).copy()
                       if levers.has_strategic else None),
        ratio=padded_ratio(shape[0], shape[1], shape[2]),
        alive=np.ones((*shape, k_n)) if has_exits else None,
        below=np.zeros((*shape, k_n), dtype=np.int32) if has_exits else None,
        invest_alive=np.ones(shape) if levers.has_investment else None,
        invest_below=np.zeros(shape, dtype=np.int32) if levers.has_investment else None,
    )


def _shock_effects(net: Network, shocks: Sequence[CompiledShock], draws: Sequence[ShockDraws],
                   month: int, n_draws: int) -> _Shocks:
    shape = (n_draws, net.n_commodities, N_SEG)
    v = net.view_at(month)
    capacity_keep = trade_keep = surge = None
    suppression = []
    for shock, drawn in zip(shocks, draws, strict=True):
        active = drawn.active(month)
        if not active.any():
            continue
        idx, geometry = shock.commodities, shock.geometry[v]
        value = np.where(active, drawn.value, 0.0)
        if shock.type in ("supply_outage", "chokepoint_closure"):
            # A closed sea route strands the seaborne share of the exporter's output for every
            # buyer, its own segment's included (Qatar's LNG to Japan is lost to the alliance
            # too), so it acts as an outage of transit share x severity, not a trade barrier.
            capacity_keep = _ones(capacity_keep, shape)
            capacity_keep[:, idx] *= 1.0 - value[:, None, None] * geometry[None]
        elif shock.type == "export_restriction":
            trade_keep = _ones(trade_keep, (*shape, N_SEG))
            effective = value * (1.0 - np.clip(drawn.leakage, 0.0, 1.0))
            trade_keep[:, idx] *= 1.0 - effective[:, None, None, None] * geometry[None]
        elif shock.type == "demand_surge":
            surge = np.zeros(shape) if surge is None else surge
            surge[:, idx] += value[:, None, None] * geometry[None, None, :]
        else:
            suppression.append((idx, active, drawn.value, geometry, shock.flooder[v]))
    return _Shocks(capacity_keep, trade_keep, surge, suppression)


def _ones(a: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    return np.ones(shape) if a is None else a


def _capacity(net: Network, levers: Levers, view, state: _State, effects: _Shocks,
              month: int) -> np.ndarray:
    if state.alive is not None:
        weighted = state.alive * view.tranche_share
        capacity = weighted[..., 0].copy()
        for k in range(1, weighted.shape[-1]):  # explicit adds: short-axis sums are slow
            capacity += weighted[..., k]
        capacity *= view.capacity0
    else:
        capacity = np.broadcast_to(view.capacity0, state.price.shape).copy()
    if state.invest_alive is not None:
        capacity += levers.invest_capacity[month] * state.invest_alive
    if effects.capacity_keep is not None:
        capacity *= effects.capacity_keep
    return capacity


def _month(net: Network, levers: Levers, view, state: _State, effects: _Shocks, month: int,
           paths: Mapping[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    opts = net.options
    capacity = _capacity(net, levers, view, state, effects, month)
    response = state.expected ** net.supply_elasticity[None, :, None]
    response *= view.utilisation0
    np.minimum(response, 1.0, out=response)
    planned = capacity * response
    demand1 = np.broadcast_to(view.demand0, planned.shape)
    if effects.surge is not None:
        demand1 = demand1 * (1.0 + effects.surge)
    out = {k: np.empty_like(planned) for k in ("shortage", "demand", "stock_left", "cost")}
    out["deficit"] = np.zeros(planned.shape, dtype=bool)
    for layer, inputs in zip(net.layers, net.layer_inputs, strict=True):
        _layer(net, levers, view, state, effects, layer, inputs, planned, demand1, out,
               month, paths)
    state.expected += net.adjustment[None, :, None] * (state.price - state.expected)
    _exits(net, levers, view, state, month)
    out["cost"] = out["cost"].sum(axis=(1, 2))
    return out


def _trade(net: Network, levers: Levers, view, state: _State, effects: _Shocks, sl: slice,
           production: np.ndarray, demand1: np.ndarray,
           v: int) -> tuple[np.ndarray, np.ndarray]:
    """Exports and imports per (draw, c, segment) of the layer ``sl``.

    Loops over the three exporting segments on (draw, c) arrays: NumPy reductions over a
    length-3 axis are several times slower than three explicit adds.
    """
    theta = net.options.trade_price_elasticity
    expected = state.expected[:, sl]
    weight = (expected if theta == 1.0 else expected * expected if theta == 2.0
              else expected ** theta)
    weight = weight * view.demand0[sl]
    total = _sum3(weight)
    np.divide(weight, total[..., None], out=weight, where=total[..., None] > 0)
    trade_keep = None if effects.trade_keep is None else effects.trade_keep[:, sl]
    if trade_keep is None and levers.club_share is None:
        exports = production * (1.0 - weight)
        imports = weight * (_sum3(production)[..., None] - production)
        return exports, imports
    flow = _flows(production, weight, trade_keep)
    if levers.club_share is not None:
        _prioritise(flow, levers, state, sl, demand1, v, net.options.club_priority_trigger)
    exports = np.empty_like(production)
    imports = np.empty_like(production)
    for i in range(N_SEG):
        others = [j for j in range(N_SEG) if j != i]
        exports[..., i] = flow[i][others[0]] + flow[i][others[1]]
        imports[..., i] = flow[others[0]][i] + flow[others[1]][i]
    return exports, imports


def _sum3(a: np.ndarray) -> np.ndarray:
    return a[..., 0] + a[..., 1] + a[..., 2]


def _flows(production: np.ndarray, weight: np.ndarray,
           trade_keep: np.ndarray | None) -> list[list[np.ndarray]]:
    """Volume from exporter i to destination j (own segment included), (draw, c) each.

    Every exporter sells pro rata to the destinations' weights; volume an export restriction
    cuts from some destinations is sold to the others (own segment included): the exporter
    diverts, it does not destroy.
    """
    flow = []
    for i in range(N_SEG):
        share = [weight[..., j] for j in range(N_SEG)]
        if trade_keep is not None:
            share = [share[j] if j == i else share[j] * trade_keep[:, :, i, j]
                     for j in range(N_SEG)]
        total = share[0] + share[1] + share[2]
        scale = np.divide(production[..., i], total, out=np.zeros_like(total), where=total > 0)
        flow.append([share[j] * scale for j in range(N_SEG)])
    return flow


def _prioritise(flow: list[list[np.ndarray]], levers: Levers, state: _State, sl: slice,
                demand1: np.ndarray, v: int, trigger: float) -> None:
    """Trade-club priority, in place: members serve members first, up to members' need.

    While some segment's last price is above ``trigger`` x baseline, the club's volume
    bound for non-members (club members' capacity share of each exporter) is redirected to
    member segments, but only as much as covers their shortfall against reference demand
    (``demand1`` minus what the ordinary allocation brings them); the rest keeps flowing to
    non-members. Each exporter gives up the same fraction of its redirectable volume; members
    receive it pro rata to their shortfall. Volume a non-member buys to make what the club
    imports downstream (``levers.club_protect``) is not redirected: taking TSMC's helium would
    cost the club its chips (the segment still rations what it gets pro rata to all users).
    """
    present = levers.club_present[v]
    pi = levers.club_share[v][sl]  # (c, G)
    exposed = 1.0 - levers.club_protect[v][sl]  # (c, G): demand not serving the club
    stressed = (state.price[:, sl] > trigger).any(axis=-1)  # (draw, c)
    if not stressed.any():
        return
    members = [j for j in range(N_SEG) if present[j]]
    others = [k for k in range(N_SEG) if not present[k]]
    need = {}
    for j in members:
        arrived = flow[0][j] + flow[1][j] + flow[2][j]
        need[j] = np.maximum(demand1[..., j] - arrived, 0.0) * stressed
    need_total = sum(need.values())
    bound = [pi[None, :, i] * sum(flow[i][k] * exposed[:, k] for k in others)
             for i in range(N_SEG)]
    pool = bound[0] + bound[1] + bound[2]
    fraction = np.divide(np.minimum(need_total, pool), pool, out=np.zeros_like(pool),
                         where=pool > 0)
    for j in members:
        np.divide(need[j], need_total, out=need[j], where=need_total > 0)  # -> member split
    for i in range(N_SEG):
        cut = fraction * pi[None, :, i]
        for k in others:
            flow[i][k] = flow[i][k] * (1.0 - cut * exposed[:, k])
        moved = fraction * bound[i]
        for j in members:
            flow[i][j] = flow[i][j] + moved * need[j]


def _layer(net: Network, levers: Levers, view, state: _State, effects: _Shocks, sl: slice,
           inputs: np.ndarray, planned: np.ndarray, demand1_all: np.ndarray,
           out: dict[str, np.ndarray], month: int,
           paths: Mapping[str, np.ndarray] | None) -> None:
    v = net.view_at(month)
    production = planned[:, sl]
    ratio_in = input_ratio(state.ratio, inputs)
    if ratio_in is not None:
        production = production * ratio_in
    demand1 = demand1_all[:, sl]
    exports, imports = _trade(net, levers, view, state, effects, sl, production, demand1, v)
    # A segment whose demand is a rounding error of the world's has no market of its own:
    # clearing it would amplify float noise by 1/|elasticity| into spurious price moves.
    zero_demand = demand1 <= NEGLIGIBLE_DEMAND * demand1.sum(axis=-1, keepdims=True)
    demand1 = np.where(zero_demand, 1.0, demand1)
    available = production - exports + imports
    no_build, extra, flooder = _suppress(net, effects, sl, demand1, available)
    if extra is not None:
        available = available + extra
        imports = imports + extra
        flood = extra.sum(axis=-1)  # (draw, c): shipped by the flooding segment
        production, exports = production.copy(), exports.copy()
        local = np.flatnonzero(flooder >= 0)
        production[:, local, flooder[local]] += flood[:, local]
        exports[:, local, flooder[local]] += flood[:, local]
    stock = state.stock[:, sl]
    target = np.broadcast_to(view.stock_target[sl], stock.shape)
    strategic, release_limit, refill_limit = _strategic_limits(net, levers, state, sl,
                                                                view, demand1)
    retained = np.maximum(production - exports, 0.0)
    cleared = clear(np.where(zero_demand, 0.0, available), demand1, stock, target,
                    _params(net, levers, sl), strategic, release_limit, refill_limit, no_build,
                    np.where(zero_demand, 0.0, retained))
    _zero_demand_fix(cleared, zero_demand, available)
    curtail = np.minimum(cleared.excess, retained)
    cleared.build_commercial += cleared.excess - curtail
    production = production - curtail
    stock -= cleared.release_commercial  # a view: updates the state in place
    stock += cleared.build_commercial
    np.maximum(stock, 0.0, out=stock)
    left = stock.copy()
    if strategic is not None:
        strategic += cleared.build_strategic - cleared.release_strategic
        np.maximum(strategic, 0.0, out=strategic)
        state.strategic[:, sl] = strategic
        left += strategic
        spend = (cleared.build_strategic - cleared.release_strategic) * cleared.price
        spend *= net.price_usd[sl][None, :, None]
        state.refill_budget[:, sl] -= np.maximum(spend, 0.0)
        out["cost"][:, sl] = spend
    else:
        out["cost"][:, sl] = 0.0
    if levers.has_floor:
        gap = np.maximum(levers.floor_ratio[sl][None, :, None] - cleared.price, 0.0)
        out["cost"][:, sl] += (gap * net.price_usd[sl][None, :, None] * production
                               * levers.floor_eligible[v][sl])
    state.price[:, sl] = cleared.price
    state.ratio[:, sl] = np.divide(cleared.consumption, cleared.demand,
                                   out=np.ones_like(cleared.demand), where=cleared.demand > 0)
    out["shortage"][:, sl] = cleared.shortage
    out["demand"][:, sl] = cleared.demand
    out["stock_left"][:, sl] = left
    out["deficit"][:, sl] = cleared.release_commercial + cleared.release_strategic \
        + cleared.shortage > _TINY * demand1
    if paths is not None:
        release = cleared.release_commercial + cleared.release_strategic
        build = cleared.build_commercial + cleared.build_strategic
        values = dict(price_ratio=cleared.price, demand=cleared.demand, supply=production,
                      consumption=cleared.consumption, shortage=cleared.shortage,
                      imports=imports, exports=exports, stock_commercial=stock,
                      stock_strategic=(state.strategic[:, sl] if strategic is not None
                                       else np.zeros_like(stock)),
                      release=release, build=build)
        for name, value in values.items():
            paths[name][:, month, sl] = value


#: Segment demand at or below this share of world demand counts as none (see _layer).
NEGLIGIBLE_DEMAND = 1e-9


def _zero_demand_fix(cleared, zero_demand: np.ndarray, available: np.ndarray) -> None:
    """Segments without demand: price 1, nothing consumed, everything available is excess."""
    if not zero_demand.any():
        return
    for name in ("demand", "consumption", "shortage", "release_commercial",
                 "release_strategic", "build_commercial", "build_strategic"):
        np.copyto(getattr(cleared, name), 0.0, where=zero_demand)
    np.copyto(cleared.price, 1.0, where=zero_demand)
    np.copyto(cleared.excess, available, where=zero_demand)


def _suppress(net: Network, effects: _Shocks, sl: slice, demand1: np.ndarray,
              available: np.ndarray):
    """Forced low prices: extra imports that bring each suppressed market to its price ratio.

    Returns (no_build mask, extra imports, flooding segment per commodity of the layer or -1).
    """
    if not effects.suppression:
        return None, None, None
    no_build = np.zeros(available.shape, dtype=bool)
    extra = np.zeros_like(available)
    flooder_of = np.full(available.shape[1], -1, dtype=np.intp)
    e_d = net.demand_elasticity
    for idx, active, ratio, mask, flooder in effects.suppression:
        keep = (idx >= sl.start) & (idx < sl.stop)
        if not keep.any():
            continue
        local = idx[keep] - sl.start
        flooder_of[local] = flooder[keep]
        forced = active[:, None, None] & (mask[keep][None] > 0)  # (draw, n, g)
        ratio_c = np.clip(ratio, net.options.min_price_ratio, None)[:, None, None]
        wanted = demand1[:, local] * ratio_c ** e_d[idx[keep]][None, :, None]
        gap = np.where(forced, np.maximum(wanted - available[:, local], 0.0), 0.0)
        extra[:, local] = np.maximum(extra[:, local], gap)
        no_build[:, local] |= forced
    return no_build, extra, flooder_of


def _strategic_limits(net: Network, levers: Levers, state: _State, sl: slice, view,
                      demand1: np.ndarray):
    if state.strategic is None:
        return None, None, None
    strategic = state.strategic[:, sl]
    initial = levers.strategic0[sl]
    release_limit = np.minimum(strategic, levers.release_rate[sl] * initial)
    room = np.maximum(initial - strategic, 0.0)
    can_refill = state.price[:, sl] <= levers.refill_below[sl]
    budget_units = state.refill_budget[:, sl] / (net.price_usd[sl][None, :, None]
                                                 * state.price[:, sl])
    refill = np.minimum(np.minimum(room, levers.release_rate[sl] * initial), budget_units)
    refill = np.where(can_refill, np.maximum(refill, 0.0), 0.0)
    return strategic, release_limit, refill


def _params(net: Network, levers: Levers, sl: slice) -> ClearParams:
    e_d = net.demand_elasticity[sl][:, None]
    cap = net.price_cap_ratio[sl][:, None]
    p_min = net.options.min_price_ratio
    threshold = levers.threshold[sl]
    price_rule = levers.trigger[sl] == TRIGGER_PRICE
    thr_price = np.where(price_rule, np.maximum(threshold, 1.0), 1.0)
    full, reservation = release_prices(net.options, cap)
    return ClearParams(inv_e_d=1.0 / e_d, cap=cap, min_price=p_min, cap_pow=cap ** e_d,
                       floor_pow=p_min ** e_d, rebuild_share=1.0 / net.options.rebuild_months,
                       price_trigger=price_rule, threshold=threshold,
                       threshold_pow=thr_price ** e_d, release_full=full,
                       reservation_pow=None if reservation is None else reservation ** e_d)


def release_prices(options, cap: np.ndarray) -> tuple[np.ndarray | None, float | None]:
    """(price ratio releasing the whole commercial stock per commodity, reservation price).

    None where the option switches the mechanism off: ``inventory_release_price <= 1``
    (stocks are drawn at the baseline price) or ``reservation_price_ratio <= min_price_ratio``.
    """
    r = options.inventory_release_price
    full = None if r <= 1.0 else np.minimum(r, cap)
    res = options.reservation_price_ratio
    return full, (None if res <= options.min_price_ratio else float(res))


def _exits(net: Network, levers: Levers, view, state: _State, month: int) -> None:
    """Advance below-cost counters; tranches past ``exit_months`` leave (floors protect)."""
    exit_months = net.exit_months[None, :, None]
    v = net.view_at(month)
    floor = levers.floor_ratio[None, :, None]
    if state.alive is not None:
        cost = view.tranche_cost[None]
        below = (state.price[..., None] < cost * (1 - _EXIT_TOL)) & (cost > 0)
        state.below = np.where(below, state.below + 1, 0)
        gone = state.below >= exit_months[..., None]
        covered = (floor[..., None] >= cost) * levers.floor_eligible_tranche[v][None]
        np.copyto(state.alive, np.minimum(state.alive, covered), where=gone)
    if state.invest_alive is not None:
        cost = levers.invest_cost[None]
        below = (state.price < cost * (1 - _EXIT_TOL)) & (cost > 0)
        state.invest_below = np.where(below, state.invest_below + 1, 0)
        gone = state.invest_below >= exit_months
        covered = (floor >= cost) * levers.floor_eligible[v][None]
        np.copyto(state.invest_alive, np.minimum(state.invest_alive, covered), where=gone)


def _capability_ratio(net: Network, view, monthly: Mapping[str, np.ndarray],
                      state: _State) -> np.ndarray:
    """Alliance output ratio of each capability: consumption over baseline demand (<= 1),
    or, where the alliance has no baseline demand, the Leontief availability of inputs."""
    idx = net.capability_index
    if len(idx) == 0:
        return np.zeros((state.price.shape[0], 0))
    d0 = view.demand0[idx, ALLIANCE]
    consumption = monthly["demand"][:, idx, ALLIANCE] - monthly["shortage"][:, idx, ALLIANCE]
    ratio = np.divide(consumption, d0, out=state.ratio[:, idx, ALLIANCE].copy(),
                      where=d0 > 0)
    return np.clip(ratio, 0.0, 1.0)
