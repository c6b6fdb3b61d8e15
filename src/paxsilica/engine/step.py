"""The month step, written once over the array namespace ``xp`` (NumPy or ``jax.numpy``).

State is kept per (draw, commodity, region). Each month, commodities are handled in
topological layers of the recipe graph (upstream first). Within a region:

* **supply** = capacity (surviving cost tranches + arrived investment, minus outages and the
  seaborne share stranded by a closed chokepoint) x baseline utilisation x expected price **
  supply elasticity, capped at capacity, times the Leontief availability of inputs
  (:mod:`paxsilica.engine.propagation`). Producers expect an exponentially smoothed price
  (:attr:`EngineOptions.supply_adjustment`), which keeps the monthly cobweb stable;
* **trade**: :func:`paxsilica.engine.trade.route` (along baseline routes x expected price,
  restrictions cut and divert, trade-club priority);
* **clearing**: :func:`paxsilica.engine.clearing.clear`; commercial holders release stock as
  the price rises, local producers withhold their own output below the reservation price; a
  price suppression forces the price of the other regions down to its ratio by extra imports
  from the flooding region;
* **exits**: a cost tranche whose unit cost stays above the price for ``exit_months`` leaves
  for good, except the share that a price floor covering its cost keeps alive (the floor is
  paid as a CfD on eligible output);
* **bloc aggregates**: each month the regions are also summed into alliance / restricting /
  others (``RegionView.aggregate``): quantities add up, the price is the baseline-demand
  weighted mean, capability output is the aggregate's consumption over its baseline demand.
  Per-draw outcomes are kept for both (:meth:`MonthStep.finish`).

:class:`MonthStep` is pure in the sense JAX needs: ``step(state, month, view)`` returns the
new state and the month's outputs, and every branch on data is either on compile-time facts
(which shocks and policies exist) or an eager-only shortcut that skips work whose result is
an identity (an inactive shock, a calm month for the club). NumPy drives it in a Python loop
(:mod:`paxsilica.engine.kernel`), JAX under ``jit`` / ``lax.scan``
(:mod:`paxsilica.engine.backend_jax`). The state dict is updated in place under NumPy
(``put``), functionally under JAX.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from paxsilica.engine.behaviour import (blend_price, demand_shift, hoard_prices, next_contract,
                                        ramp_step, spot_price)
from paxsilica.engine.clearing import ClearParams, clear
from paxsilica.engine.levers import TRIGGER_PRICE, Levers
from paxsilica.engine.network import ALLIANCE, Network
from paxsilica.engine.propagation import input_ratio, input_slots
from paxsilica.engine.sampling import CompiledShock
from paxsilica.engine.trade import Club, matvec, pull, route, safe_div, sent_back

__all__ = ["MONTHLY_VARIABLES", "NEGLIGIBLE_DEMAND", "OUTCOMES", "PRICE_VARIABLES", "MonthStep",
           "release_prices"]

#: Per-month outputs of :meth:`MonthStep.step` when paths are kept, (draw, commodity, region).
MONTHLY_VARIABLES = ("price_ratio", "demand", "supply", "consumption", "shortage", "imports",
                     "exports", "stock_commercial", "stock_strategic", "release", "build")
#: Spot and contract price ratios, monthly with paths (both the price where no contracts are
#: modelled: ``EngineOptions.contract_share`` = 0).
PRICE_VARIABLES = ("spot_price_ratio", "contract_price_ratio")
_PRICES = ("price_ratio", *PRICE_VARIABLES)  # averaged, not summed, into the aggregates
#: Per-draw outcomes of :meth:`MonthStep.finish`: bloc aggregates (commodity, segment) and
#: capability loss of the alliance, then the same per region.
OUTCOMES = ("peak_price_ratio", "shortage_share", "stock_out_month", "loss_share",
            "policy_cost_usd", "region_peak_price_ratio", "region_shortage_share",
            "region_stock_out_month", "region_loss_share")
#: Region demand at or below this share of world demand counts as none (see _layer).
NEGLIGIBLE_DEMAND = 1e-9
_TINY = 1e-12
_EXIT_TOL = 1e-9  # a baseline price that is 1 up to rounding is not below cost


def release_prices(options: Any, cap: np.ndarray) -> tuple[np.ndarray | None, float | None]:
    """(price ratio releasing the whole commercial stock per commodity, reservation price).

    None where the option switches the mechanism off: ``inventory_release_price <= 1``
    (stocks are drawn at the baseline price) or ``reservation_price_ratio <= min_price_ratio``.
    """
    r = options.inventory_release_price
    full = None if r <= 1.0 else np.minimum(r, cap)
    res = options.reservation_price_ratio
    return full, (None if res <= options.min_price_ratio else float(res))


def put(a: Any, sl: slice | np.ndarray, value: Any) -> Any:
    """``a`` with commodities ``sl`` (axis 1; a slice or indices) set to ``value``: in place
    for NumPy."""
    if isinstance(a, np.ndarray):
        a[:, sl] = value
        return a
    return a.at[:, sl].set(value)


_OUTAGES = ("supply_outage", "chokepoint_closure")


def _raise(xp: Any, alarm: Any, when: Any, exposed: Any) -> Any:
    """``alarm`` (draw, commodity, G or 1) raised where ``when`` (draw,) meets ``exposed``
    (commodity, G or 1)."""
    warned = when[:, None, None] * exposed[None]
    return warned if alarm is None else xp.maximum(alarm, warned)


def _filled(xp: Any, value: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    """A fresh, writable array of ``shape`` holding ``value`` broadcast. Adding to fresh
    zeros (lazily zeroed pages) is one ufunc pass, several times faster than copying a
    broadcast view."""
    return xp.broadcast_to(value, shape) + xp.zeros(shape, dtype)


def _eager_idle(xp: Any, mask: Any) -> bool:
    """True when NumPy can skip work because ``mask`` selects nothing (never when traced)."""
    return xp is np and not bool(np.any(mask))


class _Tables:
    """The network's and levers' arrays in the backend's namespace and dtype, per view."""

    def __init__(self, net: Network, levers: Levers, xp: Any, dtype: Any,
                 layers: Sequence[slice]) -> None:
        f = lambda a: xp.asarray(np.asarray(a, dtype=float), dtype=dtype)  # noqa: E731
        views = net.views
        for name in ("capacity0", "utilisation0", "demand0", "stock_target", "tranche_share",
                     "tranche_cost", "route0", "aggregate"):
            setattr(self, name, f(np.stack([getattr(v, name) for v in views])))
        n_g = net.n_regions
        self.route_diag = f(np.stack([v.route0[:, np.arange(n_g), np.arange(n_g)]
                                      for v in views]))
        # Weights of the aggregate price (baseline demand) and of the capability fallback
        # (capacity), normalised per (view, commodity, aggregate); 0 where an aggregate has none.
        self.price_weight = f(np.stack([_normalised(v.demand0, v.aggregate) for v in views]))
        self.capacity_weight = f(np.stack([_normalised(v.capacity0, v.aggregate)
                                           for v in views]))
        self.agg_has_demand = f(np.stack([(v.demand0 @ v.aggregate) > 0 for v in views]))
        self.e_s, self.e_d = f(net.supply_elasticity), f(net.demand_elasticity)
        self.adjustment, self.price_usd = f(net.adjustment), f(net.price_usd)
        self.exit_months = xp.asarray(net.exit_months, dtype=xp.int32)
        self.strategic0, self.release_rate = f(levers.strategic0), f(levers.release_rate)
        self.refill_below = f(levers.refill_below)
        self.refill_budget = f(levers.refill_budget_usd)
        self.policy_share = f(levers.policy_share)
        self.floor_ratio = f(levers.floor_ratio)
        self.floor_eligible = f(np.stack(levers.floor_eligible))
        self.floor_eligible_tranche = f(np.stack(levers.floor_eligible_tranche))
        self.invest_capacity, self.invest_cost = (f(levers.invest_capacity),
                                                  f(levers.invest_cost))
        if levers.club_share is not None:
            self.club_share = f(np.stack(levers.club_share))
            self.club_present = f(np.stack(levers.club_present))
            self.club_protect = f(np.stack(levers.club_protect))
        self.params = [self._params(net, levers, sl, f) for sl in layers]
        # capacity of a commodity whose tranches never exit (all alive), summed in the order
        # MonthStep._capacity sums the others, so both give the same floats
        share = self.tranche_share
        whole = share[..., 0]
        for t in range(1, share.shape[-1]):
            whole = whole + share[..., t]
        self.tranche_capacity = whole * self.capacity0
        options = net.options
        # e_long - e_short per commodity (demand, supply) and the most the world may add to
        # a commodity's capacity a month (units, per view and commodity)
        self.demand_gap = f(net.demand_elasticity * (options.long_run_demand_multiple - 1.0))
        self.e_s_gap = f(net.supply_elasticity * (options.long_run_supply_multiple - 1.0))
        self.max_world_add = f(np.stack([v.capacity0.sum(axis=-1, keepdims=True)
                                         for v in views])
                               * options.max_supply_growth_per_year / 12.0)

    @staticmethod
    def _params(net: Network, levers: Levers, sl: slice, f: Any) -> ClearParams:
        e_d = net.demand_elasticity[sl][:, None]
        cap = net.price_cap_ratio[sl][:, None]
        p_min = net.options.min_price_ratio
        price_rule = levers.trigger[sl] == TRIGGER_PRICE
        thr_price = np.where(price_rule, np.maximum(levers.threshold[sl], 1.0), 1.0)
        full, reservation = release_prices(net.options, cap)
        restock = net.options.restock_price_ratio
        backstop = _backstop(net.options, cap, e_d, f)
        return ClearParams(
            restock_price=restock, restock_pow=f(restock ** e_d),
            sell_pow=f((1.0 / restock) ** e_d),
            inv_e_d=f(1.0 / e_d), min_price=p_min,
            floor_pow=f(p_min ** e_d), rebuild_share=1.0 / net.options.rebuild_months,
            price_trigger=price_rule, threshold=f(levers.threshold[sl]),
            threshold_pow=f(thr_price ** e_d), release_full=None if full is None else f(full),
            reservation_pow=None if reservation is None else f(reservation ** e_d),
            **backstop)


def _backstop(options: Any, cap: np.ndarray, e_d: np.ndarray, f: Any) -> dict[str, Any]:
    """ClearParams fields of the backstop: the top price (cap x backstop_multiple), its
    demand ratio and the kink at the cap; only ``cap`` and ``cap_pow`` without one."""
    m = options.backstop_multiple
    if m <= 1.0:
        return dict(cap=f(cap), cap_pow=f(cap ** e_d))
    e_b = options.backstop_elasticity
    return dict(cap=f(cap * m), cap_pow=f(cap ** e_d * m ** e_b), kink=f(cap),
                kink_pow=f(cap ** e_d), inv_e_b=1.0 / e_b)


def _normalised(values: np.ndarray, aggregate: np.ndarray) -> np.ndarray:
    """``(commodity, region, aggregate)``: each region's share of its aggregate's ``values``."""
    weighted = values[:, :, None] * aggregate[None]
    total = weighted.sum(axis=1, keepdims=True)
    return np.divide(weighted, total, out=np.zeros_like(weighted), where=total > 0)


def _shock_tables(net: Network, shocks: Sequence[CompiledShock], xp: Any,
                  dtype: Any) -> list[dict[str, Any]]:
    """Per shock: its type and full-size (view, commodity, ...) geometry (zero elsewhere)."""
    n_c, n_v, out = net.n_commodities, len(net.views), []
    for shock in shocks:
        idx = shock.commodities
        tail = ((net.n_regions,) if shock.type == "demand_surge"
                else shock.geometry[0].shape[1:])
        full = np.zeros((n_v, n_c, *tail))
        for v, g in enumerate(shock.geometry):
            full[v, idx] = g[None, :] if shock.type == "demand_surge" else g
        entry: dict[str, Any] = {"type": shock.type, "geometry": xp.asarray(full, dtype=dtype)}
        if shock.type == "export_restriction":
            # (view, n, G, G) for the shock's own commodities only: a full-size
            # (draw, commodity, G, G) factor per month would dominate the month's work
            entry["idx"] = np.asarray(idx)
            entry["small"] = xp.asarray(np.stack(shock.geometry), dtype=dtype)
            entry["announce"] = getattr(shock.source, "announce_month", None)
            # (view, commodity, G): 1 where a region imports on a restricted route
            entry["exposed"] = xp.asarray(full.max(axis=2) > 0, dtype=dtype)
            # (view, commodity, G): 1 where a region exports on a restricted route
            entry["exporter"] = xp.asarray(full.max(axis=3) > 0, dtype=dtype)
        if shock.type in _OUTAGES:
            # (view, commodity, 1): a lost supply alarms every region buying the commodity
            entry["exposed"] = xp.asarray(full.max(axis=-1, keepdims=True) > 0, dtype=dtype)
        if shock.type == "price_suppression":
            flooder = np.full((n_v, n_c), -1, dtype=np.int32)
            for v, fl in enumerate(shock.flooder):
                flooder[v, idx] = fl
            entry["flooder"] = xp.asarray(flooder)
            member = np.zeros(n_c, dtype=bool)
            member[idx] = True
            entry["member"] = member
        out.append(entry)
    return out


class MonthStep:
    """One month of the market for a block of draws, over namespace ``xp`` and ``dtype``.

    ``paths=True`` makes :meth:`step` also return :data:`MONTHLY_VARIABLES` and the
    alliance's capability output ratio for the month (for ``keep_paths`` runs).
    With the three-segment map the regions are the aggregates, and nothing is summed twice.
    """

    def __init__(self, net: Network, shocks: Sequence[CompiledShock], levers: Levers,
                 xp: Any = np, dtype: Any = np.float64, paths: bool = False,
                 full: bool = False) -> None:
        self.net, self.levers, self.xp, self.dtype, self.paths = net, levers, xp, dtype, paths
        # the layers' commodities this scenario can move (network.active_commodities): the rest
        # keep the baseline month's values (self._calm), so the step skips them
        self.layers = net.layers if full else net.active_layers
        self.k = _Tables(net, levers, xp, dtype, self.layers)
        self.tables = _shock_tables(net, shocks, xp, dtype)
        self.slots = [input_slots(inputs[:sl.stop - sl.start], net.n_commodities)
                      for inputs, sl in zip(net.layer_inputs, self.layers, strict=True)]
        # per layer, the commodities whose routes differ by exporter (observed trade routes);
        # the rest sell pro rata and route by dot products (trade.matvec)
        spread = np.stack([np.ptp(v.route0, axis=1).max(axis=-1) for v in net.views]).max(0)
        self.full = [np.flatnonzero(spread[sl] > 0) for sl in self.layers]
        self.calm = None if self.layers == net.layers else self._calm(shocks, levers)
        self.has_exits = bool(np.any(net.views[0].tranche_cost > 0))
        costed = np.stack([v.tranche_cost for v in net.views]) > 0  # (view, c, G, tranche)
        self.exit_idx = np.flatnonzero(costed.any(axis=(0, 2, 3)))
        self.cap_idx = np.asarray(net.capability_index)
        self.n_g = net.n_regions
        self.same = net.region_map.by_scenario  # regions are the aggregates
        self.price_names = PRICE_VARIABLES if net.options.contracts and paths else ()

    # -- state ------------------------------------------------------------------------------

    def init(self, n_draws: int) -> dict[str, Any]:
        """The state at month 0: baseline prices, stocks at target, everything alive."""
        xp, dtype, k, lev = self.xp, self.dtype, self.k, self.levers
        shape = (n_draws, self.net.n_commodities, self.n_g)
        zeros = xp.zeros(shape, dtype)
        n_cap = len(self.cap_idx)
        st = dict(price=xp.ones(shape, dtype), expected=xp.ones(shape, dtype),
                  stock=xp.broadcast_to(k.stock_target[0], shape) + zeros,
                  ratio=xp.ones((n_draws, self.net.n_commodities + 1, self.n_g), dtype),
                  peak=xp.zeros(shape, dtype), short_sum=xp.zeros(shape, dtype),
                  demand_sum=xp.zeros(shape, dtype),
                  stock_out=xp.full(shape, -1, xp.int32),
                  cap_sum=xp.zeros((n_draws, n_cap, self.n_g), dtype),
                  cost=xp.full((n_draws,), lev.initial_cost_usd, dtype))
        if not self.same:
            agg = (n_draws, self.net.n_commodities, 3)
            st |= dict(agg_peak=xp.zeros(agg, dtype), agg_short=xp.zeros(agg, dtype),
                       agg_demand=xp.zeros(agg, dtype), agg_stock_out=xp.full(agg, -1, xp.int32),
                       agg_cap=xp.zeros((n_draws, n_cap), dtype))
        if lev.has_strategic:
            st["strategic"] = xp.broadcast_to(k.strategic0, shape) + zeros
            st["refill_budget"] = xp.broadcast_to(k.refill_budget, shape) + zeros
        if self.has_exits:
            # only commodities with costed tranches can lose one: their state alone is held
            tranches = (n_draws, len(self.exit_idx), self.n_g, self.net.options.cost_tranches)
            st["alive"] = xp.ones(tranches, dtype)
            st["below"] = xp.zeros(tranches, xp.int32)
        if lev.has_investment:
            st["invest_alive"] = xp.ones(shape, dtype)
            st["invest_below"] = xp.zeros(shape, xp.int32)
        options = self.net.options
        for key, on in (("contract", options.contracts), ("shift", options.adjusts_demand),
                        ("ramp", options.ramps_supply)):
            if on:
                st[key] = xp.ones(shape, dtype)
        return st

    def finish(self, st: dict[str, Any]) -> dict[str, Any]:
        """Per-draw outcomes (:data:`OUTCOMES`): peak price ratio, shortage share (cumulative
        shortage / cumulative demand), first stock-out month (-1 never), capability loss
        (1 - mean output ratio) and policy cost US$; aggregates and per region."""
        xp = self.xp

        def share(short: Any, demand: Any) -> Any:
            return xp.where(demand > 0, short / xp.where(demand > 0, demand, 1.0), 0.0)

        def loss(cap_sum: Any) -> Any:
            return xp.clip(1.0 - cap_sum / self.net.horizon, 0.0, 1.0)

        region = dict(region_peak_price_ratio=st["peak"],
                      region_shortage_share=share(st["short_sum"], st["demand_sum"]),
                      region_stock_out_month=st["stock_out"],
                      region_loss_share=loss(st["cap_sum"]))
        if self.same:
            agg = dict(peak_price_ratio=region["region_peak_price_ratio"],
                       shortage_share=region["region_shortage_share"],
                       stock_out_month=st["stock_out"],
                       loss_share=region["region_loss_share"][..., ALLIANCE])
        else:
            agg = dict(peak_price_ratio=st["agg_peak"],
                       shortage_share=share(st["agg_short"], st["agg_demand"]),
                       stock_out_month=st["agg_stock_out"], loss_share=loss(st["agg_cap"]))
        return agg | {"policy_cost_usd": st["cost"]} | region

    # -- one month --------------------------------------------------------------------------

    def step(self, shock_params: tuple[Any, Any, Any, Any], st: dict[str, Any], month: Any,
             v: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """Advance ``st`` by one month; ``v`` is the month's membership view.

        ``shock_params`` is (start, end, value, leakage), each ``(shock, draw)``.
        Returns the new state and the month's outputs (``cost`` per draw, and with
        ``paths`` the monthly variables and ``capability``).
        """
        xp = self.xp
        st = dict(st)
        out = self._advance(st, shock_params, month, v)
        cost = out["cost"].sum(axis=(1, 2))
        cap_ratio = self._capability_ratio(st, out, v)  # (draw, capability, region)
        st["peak"] = xp.maximum(st["peak"], st["price"])
        st["short_sum"] = st["short_sum"] + out["shortage"]
        st["demand_sum"] = st["demand_sum"] + out["demand"]
        out_now = (st["stock_out"] < 0) & out["deficit"] & (out["stock_left"] <= _TINY)
        st["stock_out"] = xp.where(out_now, month, st["stock_out"])
        st["cap_sum"] = st["cap_sum"] + cap_ratio
        st["cost"] = st["cost"] + cost
        if self.same:
            bloc_cap = cap_ratio[..., ALLIANCE]
        else:
            bloc_cap = self._accumulate_aggregates(st, out, month, v)
        monthly = {"cost": cost}
        if self.paths:
            monthly |= {name: out[name] for name in MONTHLY_VARIABLES + self.price_names} | {
                "capability": bloc_cap}
            if not self.price_names:  # one price: spot and contract are the price
                monthly |= dict.fromkeys(PRICE_VARIABLES, out["price_ratio"])
        return st, monthly

    def _advance(self, st: dict[str, Any], shock_params: tuple[Any, Any, Any, Any],
                 month: Any, v: Any) -> dict[str, Any]:
        """Supply, trade, clearing, stocks and exits of one month (``st`` updated); returns
        the month's per-cell outputs."""
        xp, k = self.xp, self.k
        effects = self._effects(shock_params, month, v)
        capacity = self._capacity(st, effects["capacity_keep"], month, v)
        demand1 = xp.broadcast_to(k.demand0[v], capacity.shape)
        if effects["surge"] is not None:
            demand1 = demand1 * (1.0 + effects["surge"])
        if "shift" in st:
            demand1 = demand1 * st["shift"]
        names = ("shortage", "demand", "stock_left", "cost", "deficit") + (
            tuple(n for n in MONTHLY_VARIABLES + self.price_names
                  if n not in ("shortage", "demand")) if self.paths else ())
        if self.calm is None:
            out = {name: xp.zeros(capacity.shape, bool if name == "deficit" else self.dtype)
                   for name in names}
        else:  # skipped commodities keep the baseline month's values
            out = {name: _filled(xp, self.calm[name], capacity.shape,
                                 bool if name == "deficit" else self.dtype) for name in names}
        for li, sl in enumerate(self.layers):
            if sl.stop > sl.start:
                self._layer(st, out, effects, li, sl, capacity, demand1, v)
        st["expected"] = st["expected"] + k.adjustment[None, :, None] * (st["price"]
                                                                         - st["expected"])
        self._exits(st, v)
        self._adjust(st, v)
        return out

    def _adjust(self, st: dict[str, Any], v: Any) -> None:
        """Next month's demand shift and capacity ramp (:mod:`paxsilica.engine.behaviour`)."""
        xp, k, options = self.xp, self.k, self.net.options
        if "shift" in st:
            st["shift"] = demand_shift(st["shift"], st["price"], k.demand_gap[None, :, None],
                                       options.demand_adjustment_months,
                                       options.max_substitution_per_year / 12.0, xp)
        if "ramp" in st:
            st["ramp"] = ramp_step(st["ramp"], st["expected"], k.e_s_gap[None, :, None],
                                   options.supply_ramp_months, k.capacity0[v],
                                   k.max_world_add[v][None], xp)

    def _calm(self, shocks: Sequence[CompiledShock], levers: Levers) -> dict[str, Any]:
        """Every cell's outputs in a month without shocks at the baseline state
        ``(commodity, region)``, from the full step run once on one draw (NumPy)."""
        calm = MonthStep(self.net, shocks, levers, np, np.float64, paths=True, full=True)
        n_s = len(shocks)
        quiet = (np.zeros((n_s, 1), np.int32), np.zeros((n_s, 1), np.int32),
                 np.zeros((n_s, 1)), np.zeros((n_s, 1)))
        out = calm._advance(calm.init(1), quiet, 0, 0)
        return {name: self.xp.asarray(value[0], dtype=bool if name == "deficit"
                                      else self.dtype) for name, value in out.items()}

    def aggregate(self, name: str, values: Any, v: Any) -> Any:
        """A monthly variable ``(draw, commodity, region)`` summed into the aggregates
        ``(draw, commodity, 3)``; the price as the baseline-demand weighted mean (1 where an
        aggregate has no demand)."""
        xp, k = self.xp, self.k
        if self.same:
            return values
        if name in _PRICES:
            w = k.price_weight[v]  # (c, g, a)
            if xp is np:  # batched BLAS over commodities
                mean = np.matmul(values.transpose(1, 0, 2), w).transpose(1, 0, 2)
            else:
                mean = xp.einsum("dcg,cga->dca", values, w)
            return xp.where(k.agg_has_demand[v][None] > 0, mean, 1.0)
        return values @ k.aggregate[v]

    def _accumulate_aggregates(self, st: dict[str, Any], out: dict[str, Any], month: Any,
                               v: Any) -> Any:
        """Update the aggregate accumulators; return the alliance's capability output ratio."""
        xp, k = self.xp, self.k
        price = self.aggregate("price_ratio", st["price"], v)
        st["agg_peak"] = xp.maximum(st["agg_peak"], price)
        st["agg_short"] = st["agg_short"] + self.aggregate("shortage", out["shortage"], v)
        st["agg_demand"] = st["agg_demand"] + self.aggregate("demand", out["demand"], v)
        deficit = self.aggregate("deficit", out["deficit"].astype(self.dtype), v) > 0
        left = self.aggregate("stock_left", out["stock_left"], v)
        out_now = (st["agg_stock_out"] < 0) & deficit & (left <= _TINY)
        st["agg_stock_out"] = xp.where(out_now, month, st["agg_stock_out"])
        idx = self.cap_idx
        if len(idx) == 0:
            return xp.zeros((st["price"].shape[0], 0), self.dtype)
        alliance = k.aggregate[v][:, ALLIANCE]
        d0 = (k.demand0[v][idx] * alliance).sum(axis=-1)
        consumed = ((out["demand"][:, idx] - out["shortage"][:, idx]) * alliance).sum(axis=-1)
        fallback = (st["ratio"][:, idx] * k.capacity_weight[v][idx][..., ALLIANCE]).sum(axis=-1)
        ratio = xp.clip(xp.where(d0 > 0, consumed / xp.where(d0 > 0, d0, 1.0), fallback),
                        0.0, 1.0)
        st["agg_cap"] = st["agg_cap"] + ratio
        return ratio

    def _effects(self, shock_params: tuple[Any, Any, Any, Any], month: Any,
                 v: Any) -> dict[str, Any]:
        """This month's shock effects; None where no shock of that kind acts."""
        xp = self.xp
        start, end, value, leakage = shock_params
        cap_keep = surge = alarm = outage = ahead = pulled = None
        restrictions = []
        suppression = []
        options = self.net.options
        for s, table in enumerate(self.tables):
            active = (start[s] <= month) & (month < end[s])
            warned = active
            if table.get("announce") is not None:
                announced = (table["announce"] <= month) & (month < start[s]) \
                    & (start[s] < end[s])
                warned = announced | active
                if options.front_running > 0 and not _eager_idle(xp, announced):
                    restrictions.append((table["idx"], 1.0 + options.front_running
                                         * announced[:, None, None, None]
                                         * table["small"][v][None]))
                    pulled = _raise(xp, pulled, announced, table["exposed"][v])
                if options.ship_stock_ahead > 0 and not _eager_idle(xp, announced):
                    ahead = _raise(xp, ahead, announced, table["exporter"][v])
            if options.alarms and "exposed" in table:
                if table["type"] in _OUTAGES:
                    outage = _raise(xp, outage, active, table["exposed"][v])
                else:
                    alarm = _raise(xp, alarm, warned, table["exposed"][v])
            if _eager_idle(xp, active):
                continue
            val = xp.where(active, value[s], 0.0)
            geometry = table["geometry"][v]
            kind = table["type"]
            if kind in _OUTAGES:
                # A closed sea route strands the seaborne share of the exporter's output for
                # every buyer, its own segment's included (Qatar's LNG to Japan is lost to the
                # alliance too): an outage of transit share x severity, not a trade barrier.
                one = 1.0 - val[:, None, None] * geometry[None]
                cap_keep = one if cap_keep is None else cap_keep * one
            elif kind == "export_restriction":
                effective = val * (1.0 - xp.clip(leakage[s], 0.0, 1.0))
                small = table["small"][v]  # (n, G, G)
                restrictions.append((table["idx"],
                                     1.0 - effective[:, None, None, None] * small[None]))
            elif kind == "demand_surge":
                add = val[:, None, None] * geometry[None]
                surge = add if surge is None else surge + add
            else:
                suppression.append((table, active, value[s], geometry, table["flooder"][v]))
        return dict(capacity_keep=cap_keep, restrictions=restrictions, surge=surge,
                    suppression=suppression, alarm=alarm, outage=outage, ahead=ahead,
                    pulled=pulled)

    def _capacity(self, st: dict[str, Any], capacity_keep: Any, month: Any, v: Any) -> Any:
        xp, k = self.xp, self.k
        if self.has_exits:
            # only commodities with costed tranches can lose one (see _exits)
            idx = self.exit_idx
            weighted = st["alive"] * k.tranche_share[v][idx]
            moving = weighted[..., 0]
            for t in range(1, weighted.shape[-1]):  # explicit adds: short-axis sums are slow
                moving = moving + weighted[..., t]
            capacity = put(_filled(xp, k.tranche_capacity[v], st["price"].shape, self.dtype),
                           idx, moving * k.capacity0[v][idx])
        else:
            capacity = xp.broadcast_to(k.capacity0[v], st["price"].shape)
        if "ramp" in st:
            capacity = capacity * st["ramp"]
        if self.levers.has_investment:
            capacity = capacity + k.invest_capacity[month] * st["invest_alive"]
        if capacity_keep is not None:
            capacity = capacity * capacity_keep
        return capacity

    def _club(self, st: dict[str, Any], sl: slice, v: Any) -> Club | None:
        if self.levers.club_share is None:
            return None
        k = self.k
        stressed = (st["price"][:, sl] > self.net.options.club_priority_trigger).any(axis=-1)
        return Club(k.club_present[v], k.club_share[v][sl], k.club_protect[v][sl], stressed)

    def _layer(self, st: dict[str, Any], out: dict[str, Any], effects: dict[str, Any], li: int,
               sl: slice, capacity: Any, demand1_all: Any, v: Any) -> None:
        xp, k, lev = self.xp, self.k, self.levers
        # producers run their capacity at the utilisation their expected price calls for
        response = xp.minimum(st["expected"][:, sl] ** k.e_s[sl][None, :, None]
                              * k.utilisation0[v][sl], 1.0)
        production = capacity[:, sl] * response
        ratio_in = input_ratio(st["ratio"], self.slots[li], xp)
        if ratio_in is not None:
            production = production * ratio_in
        demand1 = demand1_all[:, sl]
        stock = st["stock"][:, sl]
        target = xp.broadcast_to(k.stock_target[v][sl], stock.shape)
        params = self._clear_params(st, li, sl)
        options = self.net.options
        if options.alarms:
            running, alarmed = self._alarms(st, effects, sl)
            target = target * (1.0 + options.precaution_cover * alarmed)
            if options.hoard_multiple > 1.0:
                params = self._hoarding(params, running, sl)
        offered = pull_limit = None
        if effects["ahead"] is not None:
            offered = self._shipped_ahead(effects["ahead"][:, sl], stock, target)
            production = production + offered
            stock = stock - offered
        weight = pull(st["expected"][:, sl], self.net.options.trade_price_elasticity)
        if effects["pulled"] is not None:
            pull_limit = self._pull_limit(effects["pulled"][:, sl], stock, target, offered,
                                          weight, v, li)
        restricted = self._trade_keep(effects["restrictions"], sl)
        routed = route(production, weight, k.route0[v][sl], k.route_diag[v][sl], restricted,
                       self._club(st, sl, v), demand1, xp, self.full[li],
                       self.net.options.export_quota, pull_limit)
        exports, imports = routed.exports, routed.imports
        # A region whose demand is a rounding error of the world's has no market of its own:
        # clearing it would amplify float noise by 1/|elasticity| into spurious price moves.
        zero_demand = demand1 <= NEGLIGIBLE_DEMAND * demand1.sum(axis=-1, keepdims=True)
        demand1 = xp.where(zero_demand, 1.0, demand1)
        available = production - exports + imports
        no_build, extra, flooder = self._suppress(effects["suppression"], sl, demand1, available)
        if extra is not None:
            available = available + extra
            imports = imports + extra
            flood = extra.sum(axis=-1)  # (draw, c): shipped by the flooding region
            hot = self._hot(flooder)
            production = production + flood[..., None] * hot
            exports = exports + flood[..., None] * hot
        strategic, release_limit, refill = self._strategic_limits(st, sl)
        retained = xp.maximum(production - exports, 0.0)
        c = clear(xp.where(zero_demand, 0.0, available), demand1, stock, target, params,
                  strategic, release_limit, refill, no_build,
                  xp.where(zero_demand, 0.0, retained), xp=xp)
        # Regions without demand: price 1, nothing consumed, everything available is excess.
        for name in ("demand", "consumption", "shortage", "release_commercial",
                     "release_strategic", "build_commercial", "build_strategic"):
            setattr(c, name, xp.where(zero_demand, 0.0, getattr(c, name)))
        c.price = xp.where(zero_demand, 1.0, c.price)
        c.excess = xp.where(zero_demand, available, c.excess)
        curtail = xp.minimum(c.excess, retained)
        production = production - curtail
        unsold = c.excess - curtail  # imports nobody takes even at the lowest price
        if not _eager_idle(xp, unsold > 0):
            production, exports, imports = self._send_back(routed, unsold, imports, production,
                                                           exports, extra, flooder)
        build_c = c.build_commercial
        release_c = c.release_commercial
        if offered is not None:
            # what was offered and not sold (curtailed or sent back) returns to the stock;
            # what was sold is a release from it, not output
            sold = xp.minimum(offered, production)
            production = production - sold
            release_c = release_c + sold
            stock = stock + (offered - sold)
        stock = xp.maximum(stock - c.release_commercial + build_c, 0.0)
        st["stock"] = put(st["stock"], sl, stock)
        left = stock
        price_usd = k.price_usd[sl][None, :, None]
        if strategic is not None:
            strategic = xp.maximum(strategic + (c.build_strategic - c.release_strategic), 0.0)
            st["strategic"] = put(st["strategic"], sl, strategic)
            left = left + strategic
            spend = (c.build_strategic - c.release_strategic) * c.price * price_usd
            st["refill_budget"] = put(st["refill_budget"], sl,
                                      st["refill_budget"][:, sl] - xp.maximum(spend, 0.0))
            cost = spend * k.policy_share[sl]
        else:
            cost = xp.zeros_like(stock)
        if lev.has_floor:
            gap = xp.maximum(k.floor_ratio[sl][None, :, None] - c.price, 0.0)
            cost = cost + gap * price_usd * production * k.floor_eligible[v][sl]
        st["price"] = put(st["price"], sl, c.price)
        prices = self._spot(st, sl, c.price) if "contract" in st else {}
        ratio = xp.where(c.demand > 0, c.consumption / xp.where(c.demand > 0, c.demand, 1.0),
                         1.0)
        st["ratio"] = put(st["ratio"], sl, ratio)
        values = dict(shortage=c.shortage, demand=c.demand, stock_left=left, cost=cost,
                      deficit=(c.release_commercial + c.release_strategic + c.shortage
                               > _TINY * demand1))
        if self.paths:
            values |= dict(
                price_ratio=c.price, supply=production, consumption=c.consumption,
                imports=imports, exports=exports, stock_commercial=stock,
                stock_strategic=xp.zeros_like(stock) if strategic is None else strategic,
                release=release_c + c.release_strategic,
                build=build_c + c.build_strategic) | prices
        for name, value in values.items():
            out[name] = put(out[name], sl, value)

    def _shipped_ahead(self, ahead: Any, stock: Any, target: Any) -> Any:
        """Stock that holders in the exporting regions (``ahead`` 1, ``(draw, c, G)``) sell
        ahead of announced controls this month: a share ``ship_stock_ahead`` of their stock,
        at most what buyers elsewhere take into their (precautionary) cover this month, their
        gap to the target over ``rebuild_months``, shared among the exporters by stock: the
        stock the restriction would trap at home goes as far as buyers want it, not beyond."""
        xp, options = self.xp, self.net.options
        own = ahead * stock
        wanted = self._cover_wanted(1.0 - ahead, stock, target)[..., None]
        share = safe_div(own, own.sum(axis=-1, keepdims=True), xp)
        return xp.minimum(options.ship_stock_ahead * own, wanted * share)

    def _cover_wanted(self, buyers: Any, stock: Any, target: Any) -> Any:
        """What the ``buyers`` (1, ``(draw, c, G)``) take into cover this month, ``(draw,
        c)``: their gap to the (precautionary) target over ``rebuild_months``, the most
        holders refill in a month."""
        return (buyers * self.xp.maximum(target - stock, 0.0)).sum(axis=-1) \
            / self.net.options.rebuild_months

    def _pull_limit(self, pulled: Any, stock: Any, target: Any, offered: Any, weight: Any,
                    v: Any, li: int) -> Any:
        """The most volume (``(draw, c)``) that buyers on routes opened by front-running
        (``pulled`` 1, ``(draw, c, G)``) take above their usual imports this month
        (:meth:`_cover_wanted`), less what of the stock sold ahead (``offered``) goes abroad at the usual shares (it
        fills the same want first)."""
        xp, k = self.xp, self.k
        wanted = self._cover_wanted(pulled, stock, target)
        if offered is not None:
            sl = self.layers[li]
            home = safe_div(k.route_diag[v][sl][None] * weight,
                            matvec(k.route0[v][sl], weight, xp, self.full[li]), xp)
            wanted = wanted - (offered * (1.0 - home)).sum(axis=-1)
        return xp.maximum(wanted, 0.0)

    def _clear_params(self, st: dict[str, Any], li: int, sl: slice) -> ClearParams:
        """The layer's clearing parameters this month. Under contracts the reservation price
        holds the *spot* price (producers withhold uncontracted sales below it; contract
        volume is sold at the contract price whatever spot does), so the blend it floors is
        ``blend_price(reservation, contract)``, which moves with the contract price."""
        params = self.k.params[li]
        if "contract" not in st or params.reservation_pow is None:
            return params
        options = self.net.options
        floor = blend_price(options.reservation_price_ratio, st["contract"][:, sl],
                            options.contract_share)
        return replace(params, reservation_pow=floor ** self.k.e_d[sl][None, :, None])

    def _alarms(self, st: dict[str, Any], effects: dict[str, Any], sl: slice
                ) -> tuple[Any, Any]:
        """(running, alarmed), bool ``(draw, c, G)``. ``running`` (sets off hoarding): a
        supply outage of the commodity lasts or the region's expected price is above the
        trigger; ``alarmed`` (raises the target cover): also where a restriction aimed at the
        region is announced or in force."""
        running = st["expected"][:, sl] > self.net.options.precaution_trigger_price
        if effects["outage"] is not None:
            running = running | (effects["outage"][:, sl] > 0)
        if effects["alarm"] is None:
            return running, running
        return running, running | (effects["alarm"][:, sl] > 0)

    def _hoarding(self, params: ClearParams, hoarding: Any, sl: slice) -> ClearParams:
        """``params`` with the price schedule of holders where ``hoarding`` (bool,
        ``(draw, c, G)``) x ``hoard_multiple`` (:func:`paxsilica.engine.behaviour.hoard_prices`)."""
        restock, full = hoard_prices(params.restock_price, params.release_full,
                                     self.net.options.hoard_multiple, hoarding, self.xp)
        return replace(params, restock_price=restock,
                       restock_pow=restock ** self.k.e_d[sl][None, :, None], release_full=full)

    def _spot(self, st: dict[str, Any], sl: slice, blend: Any) -> dict[str, Any]:
        """This month's spot and contract prices behind the blended ``blend`` (the contract
        price then moves toward spot for next month)."""
        options = self.net.options
        contract = st["contract"][:, sl].copy()  # a NumPy view would see the update below
        spot = spot_price(blend, contract, options.contract_share, options.min_price_ratio,
                          self.xp)
        st["contract"] = put(st["contract"], sl,
                             next_contract(contract, spot, options.contract_lag_months))
        return dict(spot_price_ratio=spot, contract_price_ratio=contract)

    def _trade_keep(self, restrictions: list, sl: slice) -> tuple[np.ndarray, Any] | None:
        """(layer-local indices of the restricted commodities, the share of each route's
        weight the restrictions leave ``(draw, n, i, j)``); None when no active restriction
        covers the layer."""
        parts = []
        for idx, one in restrictions:
            inside = np.flatnonzero((idx >= sl.start) & (idx < sl.stop))
            if inside.size:
                parts.append((idx[inside] - sl.start, one[:, inside]))
        if not parts:
            return None
        local = np.unique(np.concatenate([p[0] for p in parts]))
        keep = None
        for idx, one in parts:
            # each shock's factor on the union's positions (1 where it does not act)
            pos = np.searchsorted(local, idx)
            factor = one if len(idx) == len(local) and (pos == np.arange(len(local))).all() \
                else self._spread(one, pos, len(local))
            keep = factor if keep is None else keep * factor
        return local, keep

    def _spread(self, one: Any, pos: np.ndarray, n: int) -> Any:
        """``one`` ``(draw, k, i, j)`` placed at positions ``pos`` of an all-ones ``n``."""
        xp = self.xp
        full = xp.ones((one.shape[0], n, *one.shape[2:]), self.dtype)
        if isinstance(full, np.ndarray):
            full[:, pos] = one
            return full
        return full.at[:, pos].set(one)

    def _send_back(self, routed: Any, unsold: Any, imports: Any, production: Any, exports: Any,
                   extra: Any, flooder: Any) -> tuple[Any, Any, Any]:
        """Imports a region cannot sell go back to their exporters, who curtail them: the
        exporter's own market is unchanged (output and exports fall alike), the importer's
        stock never fills with volume nobody buys."""
        xp = self.xp
        share = xp.where(imports > 0, xp.minimum(unsold, imports)
                         / xp.where(imports > 0, imports, 1.0), 0.0)
        back = sent_back(routed, share, xp)
        if extra is not None:  # the flooding region's extra shipments go back to it
            flood_back = (extra * share).sum(axis=-1)
            back = back + flood_back[..., None] * self._hot(flooder)
        # an exporter that takes back all it shipped ends at 0 up to rounding: never at -1e-17
        return (production - back, xp.maximum(exports - back, 0.0),
                imports - xp.minimum(unsold, imports))

    def _hot(self, flooder: Any) -> Any:
        """(c, G) 1 at each commodity's flooding region (none where flooder is -1)."""
        xp = self.xp
        return (flooder[:, None] == xp.arange(self.n_g)[None, :]) & (flooder[:, None] >= 0)

    def _suppress(self, suppression: list, sl: slice, demand1: Any,
                  available: Any) -> tuple[Any, Any, Any]:
        """Forced low prices: extra imports that bring each suppressed market to its price
        ratio. Returns (no_build mask, extra imports, flooding region per commodity or -1),
        or Nones where no suppression covers the layer."""
        xp = self.xp
        no_build = extra = flooder_of = None
        for table, active, ratio, mask, flooder in suppression:
            member = table["member"][sl]
            if not member.any():
                continue
            if extra is None:
                no_build = xp.zeros(available.shape, dtype=bool)
                extra = xp.zeros_like(available)
                flooder_of = xp.full(available.shape[1], -1, dtype=xp.int32)
            flooder_of = xp.where(member, flooder[sl], flooder_of)
            forced = active[:, None, None] & (mask[sl][None] > 0)
            ratio_c = xp.clip(ratio, self.net.options.min_price_ratio, None)[:, None, None]
            wanted = demand1 * ratio_c ** self.k.e_d[sl][None, :, None]
            extra = xp.maximum(extra, xp.where(forced, xp.maximum(wanted - available, 0.0),
                                               0.0))
            no_build = no_build | forced
        return no_build, extra, flooder_of

    def _strategic_limits(self, st: dict[str, Any], sl: slice) -> tuple[Any, Any, Any]:
        """(strategic stock, most it may release, most it may buy) this month, or Nones."""
        if not self.levers.has_strategic:
            return None, None, None
        xp, k = self.xp, self.k
        strategic = st["strategic"][:, sl]
        initial = k.strategic0[sl]
        release_limit = xp.minimum(strategic, k.release_rate[sl] * initial)
        room = xp.maximum(initial - strategic, 0.0)
        can_refill = st["price"][:, sl] <= k.refill_below[sl]
        budget_units = st["refill_budget"][:, sl] / (k.price_usd[sl][None, :, None]
                                                     * st["price"][:, sl])
        refill = xp.minimum(xp.minimum(room, k.release_rate[sl] * initial), budget_units)
        return strategic, release_limit, xp.where(can_refill, xp.maximum(refill, 0.0), 0.0)

    def _exits(self, st: dict[str, Any], v: Any) -> None:
        """Advance below-cost counters; tranches past ``exit_months`` leave (floors protect)."""
        xp, k = self.xp, self.k
        exit_months = k.exit_months[None, :, None]
        floor = k.floor_ratio[None, :, None]
        if self.has_exits:
            # only commodities with costed tranches can exit: the rest never change
            idx = self.exit_idx
            cost = k.tranche_cost[v][idx][None]
            below = (st["price"][:, idx][..., None] < cost * (1 - _EXIT_TOL)) & (cost > 0)
            counted = xp.where(below, st["below"] + 1, 0)
            gone = counted >= exit_months[:, idx][..., None]
            covered = (floor[:, idx][..., None] >= cost) * k.floor_eligible_tranche[v][idx][None]
            st["below"] = counted
            st["alive"] = xp.where(gone, xp.minimum(st["alive"], covered), st["alive"])
        if self.levers.has_investment:
            cost = k.invest_cost[None]
            below = (st["price"] < cost * (1 - _EXIT_TOL)) & (cost > 0)
            st["invest_below"] = xp.where(below, st["invest_below"] + 1, 0)
            gone = st["invest_below"] >= exit_months
            covered = (floor >= cost) * k.floor_eligible[v][None]
            st["invest_alive"] = xp.where(gone, xp.minimum(st["invest_alive"], covered),
                                          st["invest_alive"])

    def _capability_ratio(self, st: dict[str, Any], out: dict[str, Any], v: Any) -> Any:
        """Each region's output ratio of each capability ``(draw, capability, region)``:
        consumption over baseline demand (<= 1), or, where the region has no baseline demand,
        the Leontief availability of inputs."""
        xp, idx = self.xp, self.cap_idx
        if len(idx) == 0:
            return xp.zeros((st["price"].shape[0], 0, self.n_g), self.dtype)
        d0 = self.k.demand0[v][idx]
        consumption = out["demand"][:, idx] - out["shortage"][:, idx]
        ratio = xp.where(d0 > 0, consumption / xp.where(d0 > 0, d0, 1.0), st["ratio"][:, idx])
        return xp.clip(ratio, 0.0, 1.0)
