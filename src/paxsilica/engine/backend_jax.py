"""The kernel of :mod:`paxsilica.engine.kernel` as one ``jax.jit`` function (optional extra).

Same math, same order of operations, same random parameters: the shock parameters of every
4096-draw block are drawn by numpy (:func:`paxsilica.engine.sampling.draw_shocks`) on the host
and passed in, so the only differences from the numpy reference are floating-point rounding
(XLA fuses and reorders some operations; float32 if selected). The month loop is a
``lax.scan``; the loops over topological layers, shocks and segments are unrolled at trace
time, so XLA sees one fused program per month. Runs on a GPU when JAX has one, else the CPU.

Stated tolerance against numpy (tested on the CPU): float64 summaries agree within 1e-6
relative (+1e-9 absolute); float32 within 2e-3 relative (+2e-4 absolute) on means and
quantiles. Discrete per-draw outcomes (stock-out month, capacity exits) may differ on a few
knife-edge draws in float32.

Importing this module enables ``jax_enable_x64`` (else float64 silently becomes float32).
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    import jax
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    from paxsilica.errors import ModelError

    raise ModelError("backend 'jax' needs JAX: pip install 'paxsilica[gpu]' "
                     "(or 'jax[cuda12]' for an NVIDIA GPU)") from exc

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402

from paxsilica.engine.chunks import Model, store_block  # noqa: E402
from paxsilica.engine.clearing import NEWTON_STEPS  # noqa: E402
from paxsilica.engine.kernel import NEGLIGIBLE_DEMAND, release_prices  # noqa: E402
from paxsilica.engine.levers import TRIGGER_PRICE  # noqa: E402
from paxsilica.engine.network import ALLIANCE, N_SEG  # noqa: E402
from paxsilica.engine.results import outcome_arrays  # noqa: E402
from paxsilica.engine.sampling import BLOCK_DRAWS, draw_shocks  # noqa: E402

__all__ = ["device_name", "platform", "run_blocks", "shock_arrays"]

_TINY = 1e-12
_EXIT_TOL = 1e-9


def platform() -> str:
    """``gpu``, ``cpu`` or ``tpu``: where JAX computes by default."""
    return str(jax.default_backend())


def device_name() -> str:
    """The device JAX computes on, e.g. ``NVIDIA H100 80GB HBM3`` or ``cpu``."""
    dev = jax.devices()[0]
    return str(getattr(dev, "device_kind", dev.platform))


def run_blocks(model: Model, seed: int, first: int, stop: int, n_draws: int,
               precision: str = "float64", blocks_per_call: int | None = None
               ) -> dict[str, np.ndarray]:
    """Per-draw outcomes of blocks ``[first, stop)`` of an ``n_draws`` run (see run_chunk).

    Blocks go through the jitted kernel ``blocks_per_call`` at a time (default: all),
    always as full blocks (the last block's padding draws are computed and dropped, which
    keeps the compiled shape fixed). Calls are dispatched asynchronously: the host draws the
    next call's shock parameters while the device computes.
    """
    kernel = _kernel(model, precision)
    per = max(1, stop - first if blocks_per_call is None else int(blocks_per_call))
    lo, hi = first * BLOCK_DRAWS, min(n_draws, stop * BLOCK_DRAWS)
    out = outcome_arrays(hi - lo, model.net.n_commodities, len(model.net.capabilities))
    pending: list[tuple[int, Any]] = []
    for b0 in range(first, stop, per):
        pending.append((b0, kernel(*shock_arrays(model, seed, b0, min(stop, b0 + per),
                                                 precision))))
        if len(pending) > 2:  # bound device memory: at most 2 calls in flight
            _collect(out, lo, hi, *pending.pop(0))
    for b0, res in pending:
        _collect(out, lo, hi, b0, res)
    return out


def shock_arrays(model: Model, seed: int, first: int, stop: int,
                 precision: str = "float64") -> tuple[np.ndarray, ...]:
    """(start, end, value, leakage), each ``(shock, draw)``, for full blocks [first, stop)."""
    params = [draw_shocks(model.shocks, model.net.horizon, seed, b, BLOCK_DRAWS)
              for b in range(first, stop)]
    dtype = np.float64 if precision == "float64" else np.float32
    n_s, size = len(model.shocks), (stop - first) * BLOCK_DRAWS

    def stack(name: str, kind: type) -> np.ndarray:
        if n_s == 0:
            return np.zeros((0, size), dtype=kind)
        return np.stack([np.concatenate([getattr(p[s], name) for p in params])
                         for s in range(n_s)]).astype(kind)

    return (stack("start", np.int32), stack("end", np.int32), stack("value", dtype),
            stack("leakage", dtype))


def _collect(out: dict[str, np.ndarray], lo: int, hi: int, b0: int, res: Any) -> None:
    peak, share, stock_out, loss, cost = (np.asarray(a) for a in res)
    offset = b0 * BLOCK_DRAWS - lo
    m = min(len(cost), hi - lo - offset)
    store_block(out, offset, peak[:m], share[:m], stock_out[:m], loss[:m],
                cost[:m].astype(np.float64))


def _kernel(model: Model, precision: str) -> Any:
    key = ("jax", precision)
    if key not in model.cache:
        model.cache[key] = jax.jit(_build(model, jnp.float64 if precision == "float64"
                                          else jnp.float32))
    return model.cache[key]


class _Const:
    """The network's and levers' arrays as constants of one dtype, stacked over views."""

    def __init__(self, model: Model, dtype: Any) -> None:
        net, lev = model.net, model.levers
        f = lambda a: jnp.asarray(np.asarray(a, dtype=float), dtype=dtype)  # noqa: E731
        views = net.views
        for name in ("capacity0", "utilisation0", "demand0", "stock_target", "tranche_share",
                     "tranche_cost"):
            setattr(self, name, f(np.stack([getattr(v, name) for v in views])))
        self.view_of = np.array([net.view_at(m) for m in range(net.horizon)], dtype=np.int32)
        self.e_s = f(net.supply_elasticity)
        self.e_d = f(net.demand_elasticity)
        self.adjustment = f(net.adjustment)
        self.price_usd = f(net.price_usd)
        self.exit_months = jnp.asarray(net.exit_months, dtype=jnp.int32)
        self.strategic0, self.release_rate = f(lev.strategic0), f(lev.release_rate)
        self.refill_below, self.refill_budget = f(lev.refill_below), f(lev.refill_budget_usd)
        self.floor_ratio = f(lev.floor_ratio)
        self.floor_eligible = f(np.stack(lev.floor_eligible))
        self.floor_eligible_tranche = f(np.stack(lev.floor_eligible_tranche))
        self.invest_capacity, self.invest_cost = f(lev.invest_capacity), f(lev.invest_cost)
        if lev.club_share is not None:
            self.club_share = f(np.stack(lev.club_share))
            self.club_present = f(np.stack(lev.club_present))
            self.club_protect = f(np.stack(lev.club_protect))
        e_d = net.demand_elasticity[:, None]
        cap = net.price_cap_ratio[:, None]
        p_min = net.options.min_price_ratio
        price_rule = lev.trigger == TRIGGER_PRICE
        thr_price = np.where(price_rule, np.maximum(lev.threshold, 1.0), 1.0)
        self.inv_e_d, self.cap = f(1.0 / e_d), f(cap)
        self.cap_pow, self.floor_pow = f(cap ** e_d), f(p_min ** e_d)
        self.price_trigger = jnp.asarray(price_rule)
        self.threshold, self.threshold_pow = f(lev.threshold), f(thr_price ** e_d)
        full, reservation = release_prices(net.options, cap)
        self.release_full = None if full is None else f(full)
        self.reservation_pow = None if reservation is None else f(reservation ** e_d)


def _shock_tables(model: Model, dtype: Any) -> list[dict[str, Any]]:
    """Per shock: its type and full-size (view, commodity, ...) geometry (zero elsewhere)."""
    net = model.net
    n_c, out = net.n_commodities, []
    for shock in model.shocks:
        idx = shock.commodities
        entry: dict[str, Any] = {"type": shock.type, "idx": idx}
        if shock.type == "demand_surge":
            full = np.zeros((len(net.views), n_c, N_SEG))
            for v, g in enumerate(shock.geometry):
                full[v, idx] = g[None, :]
        else:
            full = np.zeros((len(net.views), n_c, *shock.geometry[0].shape[1:]))
            for v, g in enumerate(shock.geometry):
                full[v, idx] = g
        entry["geometry"] = jnp.asarray(full, dtype=dtype)
        if shock.type == "price_suppression":
            flooder = np.full((len(net.views), n_c), -1, dtype=np.int32)
            for v, fl in enumerate(shock.flooder):
                flooder[v, idx] = fl
            entry["flooder"] = jnp.asarray(flooder)
            member = np.zeros(n_c, dtype=bool)
            member[idx] = True
            entry["member"] = member
        out.append(entry)
    return out


def _sum3(a: Any) -> Any:
    return a[..., 0] + a[..., 1] + a[..., 2]


def _build(model: Model, dtype: Any) -> Any:  # noqa: C901 - one traced program by design
    net, lev = model.net, model.levers
    k = _Const(model, dtype)
    tables = _shock_tables(model, dtype)
    n_c, horizon = net.n_commodities, net.horizon
    opts = net.options
    has_exits = bool(np.any(net.views[0].tranche_cost > 0))
    has_strategic, has_invest, has_floor = lev.has_strategic, lev.has_investment, lev.has_floor
    has_club = lev.club_share is not None
    has_trade_keep = any(t["type"] == "export_restriction" for t in tables)
    cap_idx = np.asarray(net.capability_index)
    theta = opts.trade_price_elasticity
    p_min = opts.min_price_ratio
    rebuild = 1.0 / opts.rebuild_months
    pads = []
    for inputs in net.layer_inputs:
        pads.append(None if inputs.shape[1] == 0 else np.where(inputs < 0, n_c, inputs))

    def effects(start, end, value, leakage, month, v, b):
        cap_keep = trade_keep = surge = None
        supp = []
        for s, t in enumerate(tables):
            active = (start[s] <= month) & (month < end[s])
            val = jnp.where(active, value[s], 0.0)
            geom = t["geometry"][v]
            if t["type"] in ("supply_outage", "chokepoint_closure"):
                one = 1.0 - val[:, None, None] * geom[None]
                cap_keep = one if cap_keep is None else cap_keep * one
            elif t["type"] == "export_restriction":
                eff = val * (1.0 - jnp.clip(leakage[s], 0.0, 1.0))
                one = 1.0 - eff[:, None, None, None] * geom[None]
                trade_keep = one if trade_keep is None else trade_keep * one
            elif t["type"] == "demand_surge":
                add = val[:, None, None] * geom[None]
                surge = add if surge is None else surge + add
            else:
                supp.append((t, active, value[s], geom, t["flooder"][v]))
        return cap_keep, trade_keep, surge, supp

    def trade(st, v, sl, production, demand1, trade_keep):
        expected = st["expected"][:, sl]
        weight = (expected if theta == 1.0 else expected * expected if theta == 2.0
                  else expected ** theta)
        weight = weight * k.demand0[v][sl]
        total = _sum3(weight)[..., None]
        weight = jnp.where(total > 0, weight / jnp.where(total > 0, total, 1.0), weight)
        if trade_keep is None and not has_club:
            exports = production * (1.0 - weight)
            imports = weight * (_sum3(production)[..., None] - production)
            return exports, imports
        tk = None if trade_keep is None else trade_keep[:, sl]
        flow = []
        for i in range(N_SEG):
            share = [weight[..., j] for j in range(N_SEG)]
            if tk is not None:
                share = [share[j] if j == i else share[j] * tk[:, :, i, j]
                         for j in range(N_SEG)]
            tot = share[0] + share[1] + share[2]
            scale = jnp.where(tot > 0, production[..., i] / jnp.where(tot > 0, tot, 1.0), 0.0)
            flow.append([share[j] * scale for j in range(N_SEG)])
        if has_club:
            flow = prioritise(st, v, sl, flow, demand1)
        exports, imports = [], []
        for i in range(N_SEG):
            o = [j for j in range(N_SEG) if j != i]
            exports.append(flow[i][o[0]] + flow[i][o[1]])
            imports.append(flow[o[0]][i] + flow[o[1]][i])
        return jnp.stack(exports, axis=-1), jnp.stack(imports, axis=-1)

    def prioritise(st, v, sl, flow, demand1):
        # Mask form of kernel._prioritise: the view index is traced, so membership of each
        # segment is a 0/1 factor, not a Python branch.
        present = k.club_present[v]
        pi = k.club_share[v][sl]
        stressed = (st["price"][:, sl] > opts.club_priority_trigger).any(axis=-1)
        need = [present[j] * jnp.maximum(demand1[..., j] - (flow[0][j] + flow[1][j]
                                                             + flow[2][j]), 0.0) * stressed
                for j in range(N_SEG)]
        need_total = need[0] + need[1] + need[2]
        exposed = (1.0 - present)[None, :] * (1.0 - k.club_protect[v][sl])  # (c, G)
        bound = [pi[None, :, i] * sum(exposed[:, m] * flow[i][m] for m in range(N_SEG))
                 for i in range(N_SEG)]
        pool = bound[0] + bound[1] + bound[2]
        fraction = jnp.where(pool > 0, jnp.minimum(need_total, pool)
                             / jnp.where(pool > 0, pool, 1.0), 0.0)
        split = [jnp.where(need_total > 0, n / jnp.where(need_total > 0, need_total, 1.0), 0.0)
                 for n in need]
        out = []
        for i in range(N_SEG):
            cut = fraction * pi[None, :, i]
            moved = fraction * bound[i]
            out.append([flow[i][m] * (1.0 - cut * exposed[:, m]) + moved * split[m]
                        for m in range(N_SEG)])
        return out

    def suppress(supp, sl, demand1, available):
        if not supp:
            return None, None, None
        no_build = jnp.zeros(available.shape, dtype=bool)
        extra = jnp.zeros_like(available)
        flooder_of = jnp.full(available.shape[1], -1, dtype=jnp.int32)
        any_here = False
        for t, active, ratio, mask, flooder in supp:
            member = t["member"][sl]
            if not member.any():
                continue
            any_here = True
            flooder_of = jnp.where(member, flooder[sl], flooder_of)
            forced = active[:, None, None] & (mask[sl][None] > 0)
            ratio_c = jnp.clip(ratio, p_min, None)[:, None, None]
            wanted = demand1 * ratio_c ** k.e_d[sl][None, :, None]
            gap = jnp.where(forced, jnp.maximum(wanted - available, 0.0), 0.0)
            extra = jnp.maximum(extra, gap)
            no_build = no_build | forced
        if not any_here:
            return None, None, None
        return no_build, extra, flooder_of

    def priced_release(release_c, available, demand1, stock, gap, sl):
        """clearing._priced_release: the same Newton steps, masked instead of compressed."""
        full = jnp.broadcast_to(k.release_full[sl], release_c.shape)
        drawing = (gap > 0) & (stock > 0) & (full > 1.0)
        top = jnp.where(drawing, full, 2.0)
        a = available / demand1
        s_ = stock / (demand1 * (top - 1.0))
        e_d = 1.0 / jnp.broadcast_to(k.inv_e_d[sl], release_c.shape)
        interior = top ** e_d - a - s_ * (top - 1.0) < 0.0
        p = jnp.ones_like(a)
        for _ in range(NEWTON_STEPS):
            q = p ** e_d
            f = q - a - s_ * (p - 1.0)
            p = jnp.clip(p - f / (e_d * q / p - s_), 1.0, top)
        share = jnp.where(interior, (p - 1.0) / (top - 1.0), 1.0)
        return jnp.where(drawing, jnp.minimum(stock * share, gap), release_c)

    def clear(available, demand1, stock, target, sl, strategic, release_limit, refill_limit,
              no_build, retained):
        cap_pow, floor_pow = k.cap_pow[sl], k.floor_pow[sl]
        x = available - demand1
        gap = jnp.maximum(-x, 0.0)
        surplus = jnp.maximum(x, 0.0)
        release_c = jnp.minimum(stock, gap)
        if k.release_full is not None:
            release_c = priced_release(release_c, available, demand1, stock, gap, sl)
        room = jnp.maximum(target - stock, 0.0) * rebuild
        build_c = jnp.minimum(surplus, room)
        if no_build is not None:
            build_c = jnp.where(no_build, 0.0, build_c)
        net_q = available + release_c - build_c
        release_s = build_s = jnp.zeros_like(net_q)
        if strategic is not None:
            to_threshold = demand1 * k.threshold_pow[sl] - net_q
            shortfall = demand1 * cap_pow - net_q
            by_shortage = jnp.where(shortfall > k.threshold[sl] * demand1, shortfall, 0.0)
            need = jnp.where(k.price_trigger[sl], to_threshold, by_shortage)
            release_s = jnp.minimum(jnp.clip(jnp.minimum(need, gap - release_c), 0.0, None),
                                    release_limit)
            build_s = jnp.minimum(surplus - build_c, refill_limit)
            if no_build is not None:
                build_s = jnp.where(no_build, 0.0, build_s)
            net_q = net_q + release_s - build_s
        withheld = None
        if k.reservation_pow is not None:
            withheld = jnp.clip(net_q - demand1 * k.reservation_pow[sl], 0.0, retained)
            if no_build is not None:
                withheld = jnp.where(no_build, 0.0, withheld)
            net_q = net_q - withheld
        ratio = jnp.clip(net_q / demand1, cap_pow, floor_pow)
        price = jnp.clip(ratio ** k.inv_e_d[sl], p_min, k.cap[sl])
        demand = jnp.where(ratio >= floor_pow, demand1 * floor_pow,
                           jnp.where(ratio <= cap_pow, demand1 * cap_pow, net_q))
        consumption = jnp.minimum(demand, net_q)
        excess = net_q - consumption
        if withheld is not None:
            excess = excess + withheld
        return dict(price=price, demand=demand, consumption=consumption,
                    shortage=demand - consumption, release_c=release_c, release_s=release_s,
                    build_c=build_c, build_s=build_s, excess=excess)

    def layer(st, new, v, li, sl, planned, demand1_all, tk, supp, out):
        production = planned[:, sl]
        if pads[li] is not None:
            idx = pads[li]
            ratio_in = st["ratio"][:, idx[:, 0], :]
            for m in range(1, idx.shape[1]):
                ratio_in = jnp.minimum(ratio_in, st["ratio"][:, idx[:, m], :])
            production = production * ratio_in
        demand1 = demand1_all[:, sl]
        exports, imports = trade(st, v, sl, production, demand1, tk)
        zero_demand = demand1 <= NEGLIGIBLE_DEMAND * demand1.sum(axis=-1, keepdims=True)
        demand1 = jnp.where(zero_demand, 1.0, demand1)
        available = production - exports + imports
        no_build, extra, flooder = suppress(supp, sl, demand1, available)
        if extra is not None:
            available = available + extra
            imports = imports + extra
            flood = _sum3(extra)
            hot = (flooder[:, None] == jnp.arange(N_SEG)[None, :]) & (flooder[:, None] >= 0)
            production = production + flood[..., None] * hot
            exports = exports + flood[..., None] * hot
        stock = st["stock"][:, sl]
        target = jnp.broadcast_to(k.stock_target[v][sl], stock.shape)
        strategic = release_limit = refill = None
        if has_strategic:
            strategic = st["strategic"][:, sl]
            initial = k.strategic0[sl]
            release_limit = jnp.minimum(strategic, k.release_rate[sl] * initial)
            room = jnp.maximum(initial - strategic, 0.0)
            can_refill = st["price"][:, sl] <= k.refill_below[sl]
            budget_units = st["refill_budget"][:, sl] / (k.price_usd[sl][None, :, None]
                                                         * st["price"][:, sl])
            refill = jnp.minimum(jnp.minimum(room, k.release_rate[sl] * initial), budget_units)
            refill = jnp.where(can_refill, jnp.maximum(refill, 0.0), 0.0)
        retained = jnp.maximum(production - exports, 0.0)
        c = clear(jnp.where(zero_demand, 0.0, available), demand1, stock, target, sl,
                  strategic, release_limit, refill, no_build,
                  jnp.where(zero_demand, 0.0, retained))
        for name in ("demand", "consumption", "shortage", "release_c", "release_s", "build_c",
                     "build_s"):
            c[name] = jnp.where(zero_demand, 0.0, c[name])
        c["price"] = jnp.where(zero_demand, 1.0, c["price"])
        c["excess"] = jnp.where(zero_demand, available, c["excess"])
        curtail = jnp.minimum(c["excess"], retained)
        build_c = c["build_c"] + (c["excess"] - curtail)
        production = production - curtail
        stock = jnp.maximum(stock - c["release_c"] + build_c, 0.0)
        left = stock
        if has_strategic:
            strategic = jnp.maximum(strategic + (c["build_s"] - c["release_s"]), 0.0)
            new["strategic"].append(strategic)
            left = left + strategic
            spend = (c["build_s"] - c["release_s"]) * c["price"] * k.price_usd[sl][None, :, None]
            new["refill_budget"].append(st["refill_budget"][:, sl] - jnp.maximum(spend, 0.0))
            cost = spend
        else:
            cost = jnp.zeros_like(stock)
        if has_floor:
            gap = jnp.maximum(k.floor_ratio[sl][None, :, None] - c["price"], 0.0)
            cost = cost + (gap * k.price_usd[sl][None, :, None] * production
                           * k.floor_eligible[v][sl])
        new["stock"].append(stock)
        new["price"].append(c["price"])
        ratio = jnp.where(c["demand"] > 0, c["consumption"] / jnp.where(c["demand"] > 0,
                                                                       c["demand"], 1.0), 1.0)
        st["ratio"] = st["ratio"].at[:, sl].set(ratio)
        out["shortage"].append(c["shortage"])
        out["demand"].append(c["demand"])
        out["stock_left"].append(left)
        out["cost"].append(cost)
        out["deficit"].append(c["release_c"] + c["release_s"] + c["shortage"]
                              > _TINY * demand1)

    def step(shock_params, carry, xs):
        start, end, value, leakage = shock_params
        month, v = xs
        st = dict(carry)
        b = st["price"].shape[0]
        cap_keep, tk, surge, supp = effects(start, end, value, leakage, month, v, b)
        if has_exits:
            weighted = st["alive"] * k.tranche_share[v]
            capacity = weighted[..., 0]
            for t in range(1, weighted.shape[-1]):
                capacity = capacity + weighted[..., t]
            capacity = capacity * k.capacity0[v]
        else:
            capacity = jnp.broadcast_to(k.capacity0[v], st["price"].shape)
        if has_invest:
            capacity = capacity + k.invest_capacity[month] * st["invest_alive"]
        if cap_keep is not None:
            capacity = capacity * cap_keep
        response = jnp.minimum(st["expected"] ** k.e_s[None, :, None] * k.utilisation0[v], 1.0)
        planned = capacity * response
        demand1 = jnp.broadcast_to(k.demand0[v], planned.shape)
        if surge is not None:
            demand1 = demand1 * (1.0 + surge)
        new = {name: [] for name in ("stock", "price", "strategic", "refill_budget")}
        out = {name: [] for name in ("shortage", "demand", "stock_left", "cost", "deficit")}
        for li, sl in enumerate(net.layers):
            layer(st, new, v, li, sl, planned, demand1, tk, supp, out)
        for name, parts in new.items():
            if parts:
                st[name] = jnp.concatenate(parts, axis=1)
        out = {name: jnp.concatenate(parts, axis=1) for name, parts in out.items()}
        st["expected"] = st["expected"] + k.adjustment[None, :, None] * (st["price"]
                                                                         - st["expected"])
        exits(st, v)
        cost = out["cost"].sum(axis=(1, 2))
        st["peak"] = jnp.maximum(st["peak"], st["price"])
        st["short_sum"] = st["short_sum"] + out["shortage"]
        st["demand_sum"] = st["demand_sum"] + out["demand"]
        out_now = (st["stock_out"] < 0) & out["deficit"] & (out["stock_left"] <= _TINY)
        st["stock_out"] = jnp.where(out_now, month, st["stock_out"])
        st["cap_sum"] = st["cap_sum"] + capability_ratio(st, out, v, b)
        st["cost"] = st["cost"] + cost
        return st, None

    def exits(st, v):
        exit_months = k.exit_months[None, :, None]
        floor = k.floor_ratio[None, :, None]
        if has_exits:
            cost = k.tranche_cost[v][None]
            below = (st["price"][..., None] < cost * (1 - _EXIT_TOL)) & (cost > 0)
            st["below"] = jnp.where(below, st["below"] + 1, 0)
            gone = st["below"] >= exit_months[..., None]
            covered = (floor[..., None] >= cost) * k.floor_eligible_tranche[v][None]
            st["alive"] = jnp.where(gone, jnp.minimum(st["alive"], covered), st["alive"])
        if has_invest:
            cost = k.invest_cost[None]
            below = (st["price"] < cost * (1 - _EXIT_TOL)) & (cost > 0)
            st["invest_below"] = jnp.where(below, st["invest_below"] + 1, 0)
            gone = st["invest_below"] >= exit_months
            covered = (floor >= cost) * k.floor_eligible[v][None]
            st["invest_alive"] = jnp.where(gone, jnp.minimum(st["invest_alive"], covered),
                                           st["invest_alive"])

    def capability_ratio(st, out, v, b):
        if len(cap_idx) == 0:
            return jnp.zeros((b, 0), dtype=dtype)
        d0 = k.demand0[v][cap_idx, ALLIANCE]
        consumption = out["demand"][:, cap_idx, ALLIANCE] - out["shortage"][:, cap_idx, ALLIANCE]
        ratio = jnp.where(d0 > 0, consumption / jnp.where(d0 > 0, d0, 1.0),
                          st["ratio"][:, cap_idx, ALLIANCE])
        return jnp.clip(ratio, 0.0, 1.0)

    def run(start, end, value, leakage):
        b = start.shape[1]  # (shocks, draws); also set when there are no shocks
        shape = (b, n_c, N_SEG)
        ones, zeros = jnp.ones(shape, dtype), jnp.zeros(shape, dtype)
        st = dict(price=ones, expected=ones,
                  stock=jnp.broadcast_to(k.stock_target[0], shape) + zeros,
                  ratio=jnp.ones((b, n_c + 1, N_SEG), dtype), peak=zeros, short_sum=zeros,
                  demand_sum=zeros, stock_out=jnp.full(shape, -1, jnp.int32),
                  cap_sum=jnp.zeros((b, len(cap_idx)), dtype),
                  cost=jnp.full((b,), lev.initial_cost_usd, dtype))
        if has_strategic:
            st["strategic"] = jnp.broadcast_to(k.strategic0, shape) + zeros
            st["refill_budget"] = jnp.broadcast_to(k.refill_budget, shape) + zeros
        if has_exits:
            st["alive"] = jnp.ones((*shape, opts.cost_tranches), dtype)
            st["below"] = jnp.zeros((*shape, opts.cost_tranches), jnp.int32)
        if has_invest:
            st["invest_alive"] = ones
            st["invest_below"] = jnp.zeros(shape, jnp.int32)
        xs = (jnp.arange(horizon, dtype=jnp.int32), jnp.asarray(k.view_of))
        st, _ = lax.scan(lambda c, x: step((start, end, value, leakage), c, x), st, xs)
        share = jnp.where(st["demand_sum"] > 0,
                          st["short_sum"] / jnp.where(st["demand_sum"] > 0, st["demand_sum"],
                                                      1.0), 0.0)
        loss = jnp.clip(1.0 - st["cap_sum"] / horizon, 0.0, 1.0)
        # Cast on the device to the outcome dtypes (float32, int16), as numpy's placement does:
        # round-to-nearest either way, and half the bytes to copy back.
        return (st["peak"].astype(jnp.float32), share.astype(jnp.float32),
                st["stock_out"].astype(jnp.int16), loss.astype(jnp.float32), st["cost"])

    return run

