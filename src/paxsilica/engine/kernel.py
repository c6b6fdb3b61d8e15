"""The NumPy driver: :class:`paxsilica.engine.step.MonthStep` run eagerly, month by month.

The model itself lives in :mod:`paxsilica.engine.step` (written once over the array
namespace); this module draws a block's shock parameters, loops over months and writes the
optional monthly paths. :mod:`paxsilica.engine.backend_jax` runs the same step under
``jax.jit`` / ``lax.scan``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import numpy as np

from paxsilica.engine.levers import Levers
from paxsilica.engine.network import Network
from paxsilica.engine.sampling import CompiledShock, draw_shocks, stack_draws
from paxsilica.engine.step import MONTHLY_VARIABLES, OUTCOMES, PRICE_VARIABLES, MonthStep

__all__ = ["OUTCOMES", "PATH_VARIABLES", "run_block"]

#: Every monthly path variable; ``keep_paths=True`` keeps the spot and contract prices only
#: where contracts are modelled (elsewhere they equal ``price_ratio``).
PATH_VARIABLES = MONTHLY_VARIABLES + PRICE_VARIABLES


def run_block(net: Network, shocks: Sequence[CompiledShock], levers: Levers, seed: int,
              block: int, n_draws: int,
              paths: Mapping[str, np.ndarray] | None = None,
              capability_paths: np.ndarray | None = None,
              cost_paths: np.ndarray | None = None,
              region_paths: Mapping[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Simulate the first ``n_draws`` draws of block ``block`` over the horizon.

    Returns the per-draw outcomes of :meth:`MonthStep.finish` (:data:`OUTCOMES`).
    ``paths`` (optional) maps some of :data:`PATH_VARIABLES` to writable
    ``(n_draws, month, commodity, segment)`` arrays for the bloc aggregates,
    ``region_paths`` to ``(n_draws, month, commodity, region)`` arrays; ``capability_paths``
    is ``(n_draws, month, capability)`` (the alliance) and ``cost_paths`` ``(n_draws, month)``.
    """
    keep = paths is not None or capability_paths is not None or region_paths is not None
    step = MonthStep(net, shocks, levers, np, np.float64, paths=keep)
    params = stack_draws(draw_shocks(shocks, net.horizon, seed, block, n_draws), n_draws)
    state = step.init(n_draws)
    if cost_paths is not None:
        cost_paths[:, 0] += levers.initial_cost_usd
    for month in range(net.horizon):
        v = net.view_at(month)
        state, monthly = step.step(params, state, month, v)
        if cost_paths is not None:
            cost_paths[:, month] += monthly["cost"]
        if capability_paths is not None:
            capability_paths[:, month] = monthly["capability"]
        for name, path in (paths or {}).items():
            path[:, month] = step.aggregate(name, monthly[name], v)
        for name, path in (region_paths or {}).items():
            path[:, month] = monthly[name]
    return step.finish(state)
