"""The NumPy driver: :class:`paxsilica.engine.step.MonthStep` run eagerly, month by month.

The model itself lives in :mod:`paxsilica.engine.step` (written once over the array
namespace); this module draws a block's shock parameters, loops over months and writes the
optional monthly paths. :mod:`paxsilica.engine.backend_jax` runs the same step under
``jax.jit`` / ``lax.scan``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from paxsilica.engine.levers import Levers
from paxsilica.engine.network import Network
from paxsilica.engine.sampling import CompiledShock, draw_shocks, stack_draws
from paxsilica.engine.step import MONTHLY_VARIABLES, MonthStep

__all__ = ["BlockOutcome", "PATH_VARIABLES", "run_block"]

PATH_VARIABLES = MONTHLY_VARIABLES


@dataclass
class BlockOutcome:
    """Per-draw outcomes of one block (all arrays start with the draw axis)."""

    peak_price_ratio: np.ndarray  # (draw, commodity, segment)
    shortage_share: np.ndarray  # cumulative shortage / cumulative demand
    stock_out_month: np.ndarray  # first month stocks were exhausted in a deficit; -1 never
    loss_share: np.ndarray  # (draw, capability): 1 - mean output ratio over the horizon
    policy_cost_usd: np.ndarray  # (draw,) total over the horizon


def run_block(net: Network, shocks: Sequence[CompiledShock], levers: Levers, seed: int,
              block: int, n_draws: int,
              paths: Mapping[str, np.ndarray] | None = None,
              capability_paths: np.ndarray | None = None,
              cost_paths: np.ndarray | None = None) -> BlockOutcome:
    """Simulate the first ``n_draws`` draws of block ``block`` over the horizon.

    ``paths`` (optional) maps some of :data:`PATH_VARIABLES` to writable
    ``(n_draws, month, commodity, segment)`` arrays; ``capability_paths`` is
    ``(n_draws, month, capability)`` and ``cost_paths`` ``(n_draws, month)``.
    """
    keep = paths is not None or capability_paths is not None
    step = MonthStep(net, shocks, levers, np, np.float64, paths=keep)
    params = stack_draws(draw_shocks(shocks, net.horizon, seed, block, n_draws), n_draws)
    state = step.init(n_draws)
    if cost_paths is not None:
        cost_paths[:, 0] += levers.initial_cost_usd
    for month in range(net.horizon):
        state, monthly = step.step(params, state, month, net.view_at(month))
        if cost_paths is not None:
            cost_paths[:, month] += monthly["cost"]
        if capability_paths is not None:
            capability_paths[:, month] = monthly["capability"]
        if paths is not None:
            for name, path in paths.items():
                path[:, month] = monthly[name]
    peak, share, stock_out, loss, cost = step.finish(state)
    return BlockOutcome(peak, share, stock_out.astype(np.int16), loss, cost)
