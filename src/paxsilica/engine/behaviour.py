"""Crisis behaviour over months (issue 12): contract and spot prices, demand adjusting toward
its long-run elasticity, supply ramping toward its long-run response.

Each mechanism is a small pure function over the array namespace ``xp`` (NumPy or
``jax.numpy``), applied per (draw, commodity, region) cell by
:class:`paxsilica.engine.step.MonthStep`. Every one is off at the
:class:`~paxsilica.engine.network.EngineOptions` defaults, where the step skips it (so the
shipped engine's numbers are unchanged); the episode calibration switches them on
(``docs/calibration.md``). Prices are ratios to the baseline price.

* **Contracts.** A share ``s`` of volume is sold on contracts whose price follows the spot
  price with a lag; users pay the blend ``b = s * contract + (1 - s) * spot``. The clearing
  solves for the blend (what demand responds to), so the spot price is what the marginal,
  uncontracted volume must pay: ``spot = (b - s * contract) / (1 - s)``. A thin spot market
  therefore quotes far above what most buyers pay (Rotterdam gallium, Dy oxide FOB).
* **Demand adjustment** (Nerlove partial adjustment). Short-run demand ``D1 * z * p**e_s``
  carries a shift ``z`` that moves toward ``p**(e_l - e_s)``, where the short-run curve meets
  the long-run one ``p**e_l`` at the last price: substitution while a shock lasts, recovery
  after it, by ``1 / months`` of the gap a month and never faster than a stated share of
  demand a year (after 2010: about 10% of rare-earth demand a year, episodes.md section 8).
* **Supply ramp.** Capacity carries a multiplier ``y`` that moves toward
  ``max(expected price, 1)**(e_long - e_short)`` by ``1 / months`` of the gap a month, so that
  output, capacity x y x expected price**e_short below full utilisation, reaches the long-run
  response expected price**e_long (growth only: a depressed price builds nothing); the world's
  additions of a commodity are at most a stated share of the world market a year (after
  2010: non-China rare-earth supply +4% of the market a year, Sprecher et al. 2017). A region
  whose price is held down (the restricting one) does not expand.
* **Hoarding.** While a supply outage of the commodity lasts or the expected price is
  already running (above the precaution trigger), holders value their stock
  ``hoard_multiple`` times higher: their restocking and full-release prices are multiplied
  by it, so they keep bidding for cover up to that price, also in a shortage, and release
  only above it. Their bids are what drive a thin spot market far above its physical
  shortfall (China's neon quote, 8-9x within three weeks of the 2022 invasion); once they
  hold their cover, or the alarm ends, the price falls back to what the physical market
  sets. A licensing announcement alone does not set it off (gallium rose 55% in the month
  the 2023 controls bit, with stocks drawn).
"""

from __future__ import annotations

from typing import Any

__all__ = ["blend_price", "demand_shift", "hoard_prices", "next_contract", "ramp_step",
           "spot_price"]


def spot_price(blend: Any, contract: Any, share: float, min_price: float, xp: Any) -> Any:
    """Spot price ratio behind the blended price ``blend`` users pay, given the contract price
    and the contract ``share`` (0 <= share < 1) of volume; never below ``min_price``."""
    return xp.maximum((blend - share * contract) / (1.0 - share), min_price)


def blend_price(spot: Any, contract: Any, share: float) -> Any:
    """The blended price users pay when uncontracted volume trades at ``spot`` and a
    ``share`` of volume at ``contract`` (the inverse of :func:`spot_price`)."""
    return share * contract + (1.0 - share) * spot


def next_contract(contract: Any, spot: Any, lag_months: float) -> Any:
    """Next month's contract price: it closes ``1 / lag_months`` of its gap to this month's
    spot price (an exponential lag with a mean of about ``lag_months`` months)."""
    return contract + (spot - contract) / lag_months


def hoard_prices(restock: Any, release_full: Any, multiple: float, hoarding: Any,
                 xp: Any) -> tuple[Any, Any]:
    """Holders' (restocking price, full-release price) ``(draw, commodity, region)``: both x
    ``multiple`` where ``hoarding`` (bool), unchanged elsewhere. ``release_full`` None (stocks
    drawn from the restocking price on) stays None."""
    factor = xp.where(hoarding, multiple, 1.0)
    return restock * factor, None if release_full is None else release_full * factor


def demand_shift(shift: Any, price: Any, gap_exponent: Any, months: float, max_step: float,
                 xp: Any) -> Any:
    """Next month's demand shift ``z`` (multiplies baseline demand).

    ``gap_exponent`` is ``e_long - e_short`` per commodity (negative where demand is more
    elastic in the long run), so the target ``price ** gap_exponent`` is below 1 above the
    baseline price (substitution) and 1 at it (recovery). ``z`` closes ``1 / months`` of the
    gap a month, at most ``max_step`` (a share of baseline demand) either way.
    """
    target = price ** gap_exponent
    return shift + xp.clip((target - shift) / months, -max_step, max_step)


def ramp_step(ramp: Any, expected: Any, gap_exponent: Any, months: float, capacity0: Any,
              max_world_step: Any, xp: Any) -> Any:
    """Next month's capacity multiplier ``y`` (multiplies each cell's capacity).

    ``y`` closes ``1 / months`` of its gap to ``max(expected, 1) ** gap_exponent`` a month
    (``gap_exponent`` = e_long - e_short of supply, per commodity: capacity makes up what the
    short-run response lacks of the long-run one; no region grows at a depressed price). Additions are scaled
    down pro rata so that each commodity's world capacity grows by at most
    ``max_world_step`` (units a month, per commodity) a month; retirements are not limited.
    ``capacity0`` is ``(commodity, region)``, the rest ``(draw, commodity, region)``.
    """
    target = xp.maximum(expected, 1.0) ** gap_exponent
    step = (target - ramp) / months
    added = xp.maximum(step, 0.0) * capacity0
    total = added.sum(axis=-1, keepdims=True)
    scale = xp.minimum(1.0, max_world_step / xp.where(total > 0, total, 1.0))
    return ramp + xp.where(step > 0, step * scale, step)
