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
2. a surplus refills commercial inventory (at most ``rebuild_share`` of its gap), then the
   strategic stock when its refill rule allows;
3. local producers do not sell their own output below their reservation price: they withhold
   (curtail or stockpile) up to their ``retained`` output to hold the price there, except in
   markets under a forced low price (``no_build``).

The price then solves ``D(p) = available + release - build - withheld`` in closed form,
``p = (net / D1) ** (1 / e_d)``, clipped to ``[min_price, cap]``. At the cap the market
cannot clear: ``shortage = D(cap) - consumption``. The unsold ``excess`` (withheld output
included) is returned to the caller (curtailed production or involuntary stock).

:func:`clear_loop` is the commercial-stock step at the baseline price (``release_price = 1``,
no reservation price) written as a plain Python loop over draws, commodities and segments:
the reference for tests and the benchmark.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["NEWTON_STEPS", "ClearParams", "Cleared", "clear", "clear_loop"]


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


def clear(available: np.ndarray, demand1: np.ndarray, stock: np.ndarray, target: np.ndarray,
          params: ClearParams, strategic: np.ndarray | None = None,
          release_limit: np.ndarray | None = None, refill_limit: np.ndarray | None = None,
          no_build: np.ndarray | None = None, retained: np.ndarray | None = None) -> Cleared:
    """Clear every market at once.

    Parameters
    ----------
    available : ndarray, (draw, commodity, segment), units/month
        Retained production plus imports.
    demand1 : ndarray, units/month
        Demand at the baseline price (baseline demand x (1 + surge)); must be > 0.
    stock, target : ndarray, units
        Commercial inventory and its target level.
    params : ClearParams
    strategic, release_limit, refill_limit : ndarray or None, units
        Strategic stock, the most it may release this month, the most it may buy.
    no_build : ndarray of bool or None
        Markets where stocks must not build (a forced low price).
    retained : ndarray or None, units/month
        Local producers' output sold at home, which they withhold below the reservation
        price (``params.reservation_pow``); None: no reservation price.

    Returns
    -------
    Cleared
    """
    x = available - demand1
    gap = np.maximum(-x, 0.0)
    surplus = np.maximum(x, 0.0)
    release_c = np.minimum(stock, gap)
    if params.release_full is not None:
        _priced_release(release_c, available, demand1, stock, gap, params)
    room = np.maximum(target - stock, 0.0)
    room *= params.rebuild_share
    build_c = np.minimum(surplus, room)
    if no_build is not None:
        build_c = np.where(no_build, 0.0, build_c)
    net = available + release_c
    net -= build_c
    release_s = build_s = _zero_like(net)
    if strategic is not None:
        release_s = _strategic_release(net, demand1, gap - release_c, params, release_limit)
        build_s = np.minimum(surplus - build_c, refill_limit)
        if no_build is not None:
            build_s = np.where(no_build, 0.0, build_s)
        net += release_s
        net -= build_s
    withheld = None
    if retained is not None and params.reservation_pow is not None:
        withheld = net - demand1 * params.reservation_pow
        np.clip(withheld, 0.0, retained, out=withheld)
        if no_build is not None:
            withheld[no_build] = 0.0
        net -= withheld
    ratio = net / demand1
    np.clip(ratio, params.cap_pow, params.floor_pow, out=ratio)
    price = ratio ** params.inv_e_d
    np.clip(price, params.min_price, params.cap, out=price)
    short = ratio <= params.cap_pow
    glut = ratio >= params.floor_pow
    demand = net.copy()
    np.copyto(demand, demand1 * params.cap_pow, where=short)
    np.copyto(demand, demand1 * params.floor_pow, where=glut)
    consumption = np.minimum(demand, net)
    shortage = demand - consumption
    excess = net - consumption
    if withheld is not None:
        excess += withheld
    return Cleared(price, demand, consumption, shortage, release_c, release_s, build_c, build_s,
                   excess)


NEWTON_STEPS = 6  # from p = 1; monotone, quadratic near the root


def _priced_release(release: np.ndarray, available: np.ndarray, demand1: np.ndarray,
                    stock: np.ndarray, gap: np.ndarray, params: ClearParams) -> None:
    """Overwrite ``release`` where a stock is drawn with the price-responsive release R(p).

    With a = available / D1 and s = stock / (D1 (p_full - 1)), the price solves
    f(p) = p**e_d - a - s (p - 1) = 0 on (1, p_full); f is convex and decreasing with
    f(1) = gap / D1 > 0, so Newton steps from p = 1 rise monotonically to the root. Where
    f(p_full) >= 0 the whole stock is released (the price is then >= p_full).
    """
    full = np.broadcast_to(params.release_full, release.shape)
    drawing = (gap > 0) & (stock > 0) & (full > 1.0)
    if not drawing.any():
        return
    where = np.nonzero(drawing)
    d1 = demand1[where]
    a = available[where] / d1
    top = full[where]
    s = stock[where] / (d1 * (top - 1.0))
    e_d = 1.0 / np.broadcast_to(params.inv_e_d, release.shape)[where]
    interior = top ** e_d - a - s * (top - 1.0) < 0.0
    p = np.ones_like(a)
    for _ in range(NEWTON_STEPS):
        q = p ** e_d
        f = q - a - s * (p - 1.0)
        p -= f / (e_d * q / p - s)
        np.clip(p, 1.0, top, out=p)
    share = np.where(interior, (p - 1.0) / (top - 1.0), 1.0)
    release[where] = np.minimum(stock[where] * share, gap[where])


def _zero_like(a: np.ndarray) -> np.ndarray:
    return np.zeros_like(a)


def _strategic_release(net: np.ndarray, demand1: np.ndarray, gap_left: np.ndarray,
                       params: ClearParams, limit: np.ndarray) -> np.ndarray:
    """Strategic release: price rule brings the price down to its threshold; shortage rule
    fills the shortage once it exceeds the threshold share. Never more than the gap left."""
    to_threshold = demand1 * params.threshold_pow - net
    shortfall = demand1 * params.cap_pow - net
    by_shortage = np.where(shortfall > params.threshold * demand1, shortfall, 0.0)
    need = np.where(params.price_trigger, to_threshold, by_shortage)
    out = np.minimum(need, gap_left)
    np.clip(out, 0.0, None, out=out)
    return np.minimum(out, limit, out=out)


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
