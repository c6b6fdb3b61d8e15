"""Monthly market clearing of one segment market, vectorised over draws.

Each (draw, commodity, segment) market has ``available`` supply (retained production plus
imports) and iso-elastic demand ``D(p) = D1 * p**e_d`` where ``D1`` is baseline demand times
any surge.

1. a deficit ``D1 - available > 0`` is met from commercial inventory first: holders release
   ``R(p) = stock * min((p - 1) / (p_full - 1), 1)``, nothing at the baseline price and the
   whole stock once the price reaches ``p_full = min(release_price, cap)``, so prices rise
   while stocks are still drawn (``release_price = 1`` releases at the baseline price). The
   price where ``D(p) = available + R(p)`` is found by a few Newton steps from ``p = 1``
   (monotone: the residual is convex and decreasing), only in markets drawing a stock;
   then (when the holder's rule triggers) strategic stock, up to the rule's monthly limit;
2. without a deficit, commercial holders move toward their target by at most
   ``rebuild_share`` of the gap a month: below it they refill while the price stays at or
   below the restocking price (``restock_pow`` = its demand ratio; bidding the price a little
   above baseline is how producers see the restocking), above it they sell down to the
   inverse price (``sell_pow``); then the strategic stock refills out of what surplus is left
   when its rule allows;
3. local producers do not sell their own output below their reservation price: they withhold
   (curtail) up to their ``retained`` output to hold the price there, except in markets under
   a forced low price (``no_build``).

The price then solves ``D(p) = available + release - build - withheld`` in closed form,
``p = (net / D1) ** (1 / e_d)``, clipped to ``[min_price, cap]``. At the cap the market
cannot clear: ``shortage = D(cap) - consumption``. With a backstop (issue 12) the commodity's
cap is a kink instead: above it demand falls with the backstop elasticity up to the backstop
price (``cap`` in :class:`ClearParams`; :func:`price_at`), so the price stays finite and is
set by the model, while the quantities are those of the hard cap: what buyers wanted at the
cap and gave up is shortage, and reaches downstream output. The unsold ``excess`` (withheld output
included) is returned to the caller: local output is curtailed, and imports nobody buys even
at the lowest price go back to their exporters (:mod:`paxsilica.engine.step`), so stocks
never rise above target.

:func:`clear_loop` is the commercial-stock step at the baseline price (``release_price = 1``,
no reservation price) written as a plain Python loop over draws, commodities and segments:
the reference for tests and the benchmark.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["NEWTON_STEPS", "ClearParams", "Cleared", "clear", "clear_loop", "price_at",
           "priced_release", "release_share"]


@dataclass(frozen=True)
class ClearParams:
    """Per-(commodity, segment) constants of the clearing, broadcastable to ``(draw, c, g)``.

    ``inv_e_d`` is 1/demand elasticity; ``cap_pow``, ``floor_pow`` and ``threshold_pow`` are
    ``cap**e_d``, ``min_price**e_d`` and ``threshold**e_d`` (the demand ratio at those prices).
    """

    inv_e_d: np.ndarray
    cap: np.ndarray
    min_price: float
    cap_pow: np.ndarray
    floor_pow: np.ndarray
    rebuild_share: float
    price_trigger: np.ndarray | None = None  # bool: strategic rule is a price trigger
    threshold: np.ndarray | None = None  # shortage share of the shortage trigger
    threshold_pow: np.ndarray | None = None  # price trigger's demand ratio
    release_full: np.ndarray | None = None  # price ratio (> 1) releasing the whole stock
    reservation_pow: np.ndarray | None = None  # demand ratio at producers' reservation price
    restock_price: Any = 1.0  # holders refill up to it and release only above it
    restock_pow: Any = 1.0  # demand ratio at the restocking price (1: refill from surplus)
    sell_pow: Any = 1.0  # demand ratio at the price holders sell over-target stock down to
    # The backstop (None: a hard cap): above ``kink`` (the commodity's price cap) demand
    # falls with elasticity 1 / inv_e_b up to ``cap`` (the backstop price); kink_pow = kink**e_d
    kink: Any = None
    kink_pow: Any = None
    inv_e_b: Any = None


@dataclass
class Cleared:
    """Outcome arrays of one clearing step (same shape as the inputs)."""

    price: np.ndarray
    demand: np.ndarray
    consumption: np.ndarray
    shortage: np.ndarray
    release_commercial: np.ndarray
    release_strategic: np.ndarray
    build_commercial: np.ndarray
    build_strategic: np.ndarray
    excess: np.ndarray


def clear(available: Any, demand1: Any, stock: Any, target: Any, params: ClearParams,
          strategic: Any = None, release_limit: Any = None, refill_limit: Any = None,
          no_build: Any = None, retained: Any = None, xp: Any = np) -> Cleared:
    """Clear every market at once (pure: returns new arrays, never writes its inputs).

    Parameters
    ----------
    available : array, (draw, commodity, segment), units/month
        Retained production plus imports.
    demand1 : array, units/month
        Demand at the baseline price (baseline demand x (1 + surge)); must be > 0.
    stock, target : array, units
        Commercial inventory and its target level.
    params : ClearParams
    strategic, release_limit, refill_limit : array or None, units
        Strategic stock, the most it may release this month, the most it may buy.
    no_build : array of bool or None
        Markets where stocks must not build (a forced low price).
    retained : array or None, units/month
        Local producers' output sold at home, which they withhold below the reservation
        price (``params.reservation_pow``); None: no reservation price.
    xp : module
        The array namespace: ``numpy`` (eager) or ``jax.numpy`` (traced).

    Returns
    -------
    Cleared
    """
    x = available - demand1
    gap = xp.maximum(-x, 0.0)
    surplus = xp.maximum(x, 0.0)
    slack = available - demand1 * params.restock_pow  # supply left at the restocking price
    calm = slack >= 0.0
    release_c = xp.minimum(stock, gap)
    if params.release_full is not None:
        release_c = priced_release(release_c, available, demand1, stock, -slack, params, xp)
    # Without a deficit at the restocking price, holders move toward their target: refill up
    # to that price (a little above baseline: producers must see the restocking), sell an
    # over-target stock down to its inverse. Each closes at most rebuild_share of the gap a
    # month, so stocks come back to target and never pass it.
    room = xp.maximum(target - stock, 0.0) * params.rebuild_share
    build_c = xp.where(calm, xp.clip(xp.minimum(room, slack), 0.0, None), 0.0)
    over = xp.maximum(stock - target, 0.0) * params.rebuild_share
    sell = xp.where(calm, xp.clip(xp.minimum(over, demand1 * params.sell_pow - available),
                                  0.0, None), 0.0)
    if no_build is not None:
        build_c = xp.where(no_build, 0.0, build_c)
        sell = xp.where(no_build, 0.0, sell)
    release_c = release_c + sell
    net = available + release_c - build_c
    release_s = build_s = xp.zeros_like(net)
    if strategic is not None:
        release_s = _strategic_release(net, demand1, gap - release_c, params, release_limit,
                                       xp)
        build_s = xp.minimum(xp.maximum(surplus - build_c, 0.0), refill_limit)
        if no_build is not None:
            build_s = xp.where(no_build, 0.0, build_s)
        net = net + release_s - build_s
    withheld = None
    if retained is not None and params.reservation_pow is not None:
        withheld = xp.clip(net - demand1 * params.reservation_pow, 0.0, retained)
        if no_build is not None:
            withheld = xp.where(no_build, 0.0, withheld)
        net = net - withheld
    ratio = xp.clip(net / demand1, params.cap_pow, params.floor_pow)
    price = xp.clip(price_at(ratio, params, xp), params.min_price, params.cap)
    # Above the cap (hard or a backstop's kink) what buyers wanted at the cap and did not get
    # is shortage: under a backstop the price rises on, but the units given up are lost to
    # their users (and to downstream output), as under the hard cap.
    short_pow = _short_pow(params)
    demand = xp.where(ratio >= params.floor_pow, demand1 * params.floor_pow,
                      xp.where(ratio <= short_pow, demand1 * short_pow, net))
    consumption = xp.minimum(demand, net)
    excess = net - consumption
    if withheld is not None:
        excess = excess + withheld
    return Cleared(price, demand, consumption, demand - consumption, release_c, release_s,
                   build_c, build_s, excess)


def _short_pow(params: ClearParams) -> Any:
    """Demand ratio at the price above which unmet demand is shortage: the cap (a backstop's
    kink)."""
    return params.cap_pow if params.kink is None else params.kink_pow


def price_at(ratio: Any, params: ClearParams, xp: Any = np) -> Any:
    """The price ratio at which demand is ``ratio`` x baseline demand (ratio > 0).

    Iso-elastic up to the kink; above it (with a backstop) demand falls with the backstop
    elasticity, so the price stays finite and rises faster than the short-run curve would
    have it only where buyers still hold on: ``p = kink * (ratio / kink_pow) ** inv_e_b``.
    """
    short_run = ratio ** params.inv_e_d
    if params.kink is None:
        return short_run
    above = params.kink * (ratio / params.kink_pow) ** params.inv_e_b
    return xp.where(ratio >= params.kink_pow, short_run, above)


NEWTON_STEPS = 6  # from p = 1; monotone, quadratic near the root


def priced_release(release: Any, available: Any, demand1: Any, stock: Any, gap: Any,
                   params: ClearParams, xp: Any = np) -> Any:
    """``release`` with the price-responsive release R(p) where a stock is drawn.

    Holders release nothing up to the restocking price p0 and the whole stock at p_full:
    R(p) = stock (p - p0) / (p_full - p0). With a = available / D1 and
    s = stock / (D1 (p_full - p0)), the price solves f(p) = p**e_d - a - s (p - p0) = 0 on
    (p0, p_full); f is convex and decreasing with f(p0) = gap / D1 > 0 (``gap``: the deficit
    at p0), so Newton steps from p0 rise monotonically to the root. Where f(p_full) >= 0 the
    whole stock is released (the price is then >= p_full).

    NumPy solves only the markets drawing a stock (few, and powers are costly); a traced
    backend solves every market with a harmless stand-in where none is drawn (shapes must
    stay static). Both run :func:`release_share`, so the numbers are the same.
    """
    p0 = params.restock_price
    if np.ndim(p0):  # per market while holders hoard
        p0 = xp.broadcast_to(p0, release.shape)
    full = xp.broadcast_to(params.release_full, release.shape)
    e_d = 1.0 / xp.broadcast_to(params.inv_e_d, release.shape)
    drawing = (gap > 0) & (stock > 0) & (full > p0)
    if xp is np:
        if not drawing.any():
            return np.where(gap > 0, release, 0.0)
        where = np.nonzero(drawing)
        share = release_share(available[where] / demand1[where], stock[where],
                              demand1[where], e_d[where], full[where],
                              p0[where] if np.ndim(p0) else p0, xp)
        out = np.where(gap > 0, release, 0.0)
        out[where] = np.minimum(stock[where] * share, gap[where])
        return out
    top = xp.where(drawing, full, p0 + 1.0)
    share = release_share(available / demand1, stock, demand1, e_d, top, p0, xp)
    return xp.where(drawing, xp.minimum(stock * share, gap), xp.where(gap > 0, release, 0.0))


def release_share(a: Any, stock: Any, d1: Any, e_d: Any, top: Any, p0: Any = 1.0,
                  xp: Any = np) -> Any:
    """Share of the commercial stock released: (p - p0) / (p_full - p0) at the clearing price,
    1 where even p_full leaves a gap (``a`` = available / D1, ``top`` = p_full > p0)."""
    s = stock / (d1 * (top - p0))
    interior = top ** e_d - a - s * (top - p0) < 0.0
    p = xp.ones_like(a) * p0
    for _ in range(NEWTON_STEPS):
        q = p ** e_d
        f = q - a - s * (p - p0)
        p = xp.clip(p - f / (e_d * q / p - s), p0, top)
    return xp.where(interior, (p - p0) / (top - p0), 1.0)


def _strategic_release(net: Any, demand1: Any, gap_left: Any, params: ClearParams,
                       limit: Any, xp: Any) -> Any:
    """Strategic release: price rule brings the price down to its threshold; shortage rule
    fills the shortage once it exceeds the threshold share. Never more than the gap left."""
    to_threshold = demand1 * params.threshold_pow - net
    shortfall = demand1 * _short_pow(params) - net
    by_shortage = xp.where(shortfall > params.threshold * demand1, shortfall, 0.0)
    need = xp.where(params.price_trigger, to_threshold, by_shortage)
    out = xp.clip(xp.minimum(need, gap_left), 0.0, None)
    return xp.minimum(out, limit)


def clear_loop(available: np.ndarray, demand1: np.ndarray, stock: np.ndarray,
               target: np.ndarray, e_d: np.ndarray, cap: np.ndarray, min_price: float,
               rebuild_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Reference: the commercial-stock clearing as a plain loop, one scalar market at a time.

    Arrays are ``(draw, commodity, segment)``; ``e_d`` and ``cap`` are ``(commodity,)``.
    Returns (price, shortage). Used to check :func:`clear` and as the benchmark's baseline.
    """
    n_d, n_c, n_g = available.shape
    price = np.empty_like(available)
    shortage = np.empty_like(available)
    for d in range(n_d):
        for c in range(n_c):
            elasticity, ceiling = float(e_d[c]), float(cap[c])
            for g in range(n_g):
                q, d1 = float(available[d, c, g]), float(demand1[d, c, g])
                s = float(stock[d, c, g])
                x = q - d1
                release = min(s, -x) if x < 0 else 0.0
                build = min(x, rebuild_share * max(float(target[d, c, g]) - s, 0.0)) if x > 0 else 0.0
                net = q + release - build
                ratio = min(max(net / d1, ceiling ** elasticity), min_price ** elasticity)
                p = min(max(ratio ** (1.0 / elasticity), min_price), ceiling)
                demand = d1 * ceiling ** elasticity if ratio <= ceiling ** elasticity else net
                price[d, c, g] = p
                shortage[d, c, g] = max(demand - net, 0.0) if not math.isnan(demand) else 0.0
    return price, shortage
