"""Results of a simulation: paths, per-draw outcomes and their summaries across draws.

Blocks of draws write into preallocated arrays at their own offsets (that is the whole of
"chunk merging": placement, so the result does not depend on the chunking). Summaries are
computed once at the end from the per-draw outcomes, which are small (a few bytes per draw
and (commodity, segment)), so quantiles are exact however the run was chunked.

Risk measures over draws: P5/P50/P95 by linear interpolation (``numpy.quantile``); VaR95 =
P95 of the loss; CVaR95 = mean of the worst ``ceil(0.05 n)`` draws.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from paxsilica.dims import CAPABILITY, COMMODITY, DRAW, MONTH, SEGMENT, SEGMENTS

__all__ = ["Results", "risk_stats", "summarise"]

NEVER = np.iinfo(np.uint8).max  # stock_out_month sentinel (horizons are <= 240 months)
QUANTILES = (0.05, 0.50, 0.95)


@dataclass(frozen=True)
class Results:
    """A simulation's output.

    Attributes
    ----------
    paths : xarray.Dataset or None
        Variables over (draw, month, commodity, segment): ``price_ratio`` (x baseline),
        ``demand``, ``supply`` (production), ``consumption``, ``shortage``, ``imports``,
        ``exports``, ``stock_commercial``, ``stock_strategic``, ``release``, ``build``
        (units/month, stocks in units); ``output_ratio`` over (draw, month, capability);
        ``policy_cost_usd`` over (draw, month). None when run with ``keep_paths=False``.
    outcomes : xarray.Dataset
        Per-draw scalars: ``peak_price_ratio``, ``shortage_share`` (cumulative shortage /
        cumulative demand), ``stock_out_month`` (NaN = never) over (draw, commodity,
        segment); ``loss_share`` (1 - mean output ratio) over (draw, capability);
        ``policy_cost_usd`` (total) over draw.
    summary : pandas.DataFrame
        One row per (commodity, segment): mean/P5/P50/P95 of the peak price ratio and the
        shortage share, VaR95/CVaR95 of the shortage share, ``stock_out_month_p50`` (NaN if
        stocks never run out in at least half the draws) and ``stock_out_probability``.
    downstream : pandas.DataFrame
        One row per capability: mean/P5/P50/P95/VaR95/CVaR95 of ``loss_share``.
    cost : pandas.DataFrame
        One row: the same statistics of the total policy cost (USD).
    meta : dict
        draws, months, commodities, segments, capabilities, seed, scenario, dataset_hash,
        block_draws.
    """

    paths: xr.Dataset | None
    outcomes: xr.Dataset
    summary: pd.DataFrame
    downstream: pd.DataFrame
    cost: pd.DataFrame
    meta: Mapping[str, Any] = field(default_factory=dict)


def risk_stats(values: np.ndarray, prefix: str) -> dict[str, float]:
    """Mean, P5, P50, P95, VaR95 and CVaR95 of a 1-d sample (NaN when empty)."""
    values = np.asarray(values, dtype=float)
    n = values.size
    if n == 0:
        return {f"{prefix}_{k}": math.nan for k in ("mean", "p5", "p50", "p95", "var95",
                                                   "cvar95")}
    p5, p50, p95 = np.quantile(values, QUANTILES)
    k = math.ceil(0.05 * n)
    tail = np.partition(values, n - k)[n - k:]
    return {f"{prefix}_mean": float(values.mean()), f"{prefix}_p5": float(p5),
            f"{prefix}_p50": float(p50), f"{prefix}_p95": float(p95),
            f"{prefix}_var95": float(p95), f"{prefix}_cvar95": float(tail.mean())}


def summarise(outcomes: xr.Dataset) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The summary, downstream and cost tables of a Results object's ``outcomes``."""
    rows = []
    peak = outcomes["peak_price_ratio"].values
    share = outcomes["shortage_share"].values
    stock_out = outcomes["stock_out_month"].values
    for c, commodity in enumerate(outcomes[COMMODITY].values):
        for g, segment in enumerate(outcomes[SEGMENT].values):
            months = stock_out[:, c, g]
            ran_out = ~np.isnan(months)
            median = np.quantile(np.where(ran_out, months, np.inf), 0.5, method="lower")
            row = {"commodity": str(commodity), "segment": str(segment)}
            row |= {k: v for k, v in risk_stats(peak[:, c, g], "peak_price_ratio").items()
                    if not k.endswith(("var95", "cvar95"))}
            row |= risk_stats(share[:, c, g], "shortage_share")
            row["stock_out_month_p50"] = float(median) if np.isfinite(median) else math.nan
            row["stock_out_probability"] = float(ran_out.mean()) if months.size else math.nan
            rows.append(row)
    loss = outcomes["loss_share"].values
    downstream = pd.DataFrame(
        [{"capability": str(cap)} | risk_stats(loss[:, k], "loss_share")
         for k, cap in enumerate(outcomes[CAPABILITY].values)],
        columns=["capability", *risk_stats(np.zeros(1), "loss_share")])
    cost = pd.DataFrame([risk_stats(outcomes["policy_cost_usd"].values, "policy_cost_usd")])
    return pd.DataFrame(rows), downstream, cost


def outcome_arrays(n_draws: int, n_commodities: int, n_capabilities: int) -> dict[str, np.ndarray]:
    """Preallocated per-draw outcome arrays (float32/uint8 keep 10^6 draws small)."""
    shape = (n_draws, n_commodities, len(SEGMENTS))
    return {
        "peak_price_ratio": np.zeros(shape, dtype=np.float32),
        "shortage_share": np.zeros(shape, dtype=np.float32),
        "stock_out_month": np.full(shape, NEVER, dtype=np.uint8),
        "loss_share": np.zeros((n_draws, n_capabilities), dtype=np.float32),
        "policy_cost_usd": np.zeros(n_draws),
    }


def outcome_dataset(arrays: Mapping[str, np.ndarray], commodities: tuple[str, ...],
                    capabilities: tuple[str, ...]) -> xr.Dataset:
    """Wrap the per-draw outcome arrays with named dimensions."""
    n = arrays["policy_cost_usd"].shape[0]
    months = arrays["stock_out_month"].astype(np.float32)
    months[arrays["stock_out_month"] == NEVER] = np.nan
    cell = (DRAW, COMMODITY, SEGMENT)
    return xr.Dataset(
        {"peak_price_ratio": (cell, arrays["peak_price_ratio"]),
         "shortage_share": (cell, arrays["shortage_share"]),
         "stock_out_month": (cell, months),
         "loss_share": ((DRAW, CAPABILITY), arrays["loss_share"]),
         "policy_cost_usd": ((DRAW,), arrays["policy_cost_usd"])},
        coords={DRAW: np.arange(n), COMMODITY: list(commodities), SEGMENT: list(SEGMENTS),
                CAPABILITY: list(capabilities)},
    )


def path_dataset(paths: Mapping[str, np.ndarray], capability_paths: np.ndarray,
                 cost_paths: np.ndarray, commodities: tuple[str, ...],
                 capabilities: tuple[str, ...]) -> xr.Dataset:
    """Wrap the path arrays with named dimensions."""
    n, months = cost_paths.shape
    cell = (DRAW, MONTH, COMMODITY, SEGMENT)
    data = {name: (cell, value) for name, value in paths.items()}
    data["output_ratio"] = ((DRAW, MONTH, CAPABILITY), capability_paths)
    data["policy_cost_usd"] = ((DRAW, MONTH), cost_paths)
    return xr.Dataset(data, coords={DRAW: np.arange(n), MONTH: np.arange(months),
                                    COMMODITY: list(commodities), SEGMENT: list(SEGMENTS),
                                    CAPABILITY: list(capabilities)})
