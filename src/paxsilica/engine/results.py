"""Results of a simulation: paths, per-draw outcomes and their summaries across draws.

Blocks of draws write into preallocated arrays at their own offsets (that is the whole of
"chunk merging": placement, so the result does not depend on the chunking). Summaries are
computed once at the end from the per-draw outcomes, which are small (a few bytes per draw
and (commodity, region)), so quantiles are exact however the run was chunked.

Outcomes come twice: for the bloc aggregates (``segment``: alliance, restricting, others) and
for each region of the run's map (``region``); the three-segment map's regions are the
aggregates themselves.

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

from paxsilica.dims import CAPABILITY, COMMODITY, DRAW, MONTH, REGION, SEGMENT, SEGMENTS

__all__ = ["Results", "risk_stats", "summarise", "summarise_regions"]

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
        With regions kept (the default up to :data:`MAX_REGION_OUTCOME_BYTES`), the same
        per region: ``region_peak_price_ratio``, ``region_shortage_share``,
        ``region_stock_out_month`` over (draw, commodity, region) and ``region_loss_share``
        over (draw, capability, region).
    summary : pandas.DataFrame
        One row per (commodity, segment): mean/P5/P50/P95 of the peak price ratio and the
        shortage share, VaR95/CVaR95 of the shortage share, ``stock_out_month_p50`` (NaN if
        stocks never run out in at least half the draws) and ``stock_out_probability``.
    downstream : pandas.DataFrame
        One row per capability: mean/P5/P50/P95/VaR95/CVaR95 of ``loss_share``.
    cost : pandas.DataFrame
        One row: the same statistics of the total policy cost (USD).
    meta : dict
        draws, months, commodities, segments, regions, region_map, capabilities, seed,
        scenario, dataset_hash, block_draws.
    region_summary : pandas.DataFrame or None
        The summary's columns per (commodity, region); None when region outcomes were not
        kept.
    region_downstream : pandas.DataFrame or None
        ``loss_share`` statistics per (capability, region).
    """

    paths: xr.Dataset | None
    outcomes: xr.Dataset
    summary: pd.DataFrame
    downstream: pd.DataFrame
    cost: pd.DataFrame
    meta: Mapping[str, Any] = field(default_factory=dict)
    region_summary: pd.DataFrame | None = None
    region_downstream: pd.DataFrame | None = None


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


#: Coordinate on ``commodity``: the highest price the clearing can set (cap or backstop price).
CEILING = "price_ceiling_ratio"
#: Peaks are stored in float32: a peak within this relative distance of the ceiling reached it.
_CEILING_RTOL = 1e-5


def _share_at(peak: np.ndarray, ceiling: float) -> float:
    """Share of draws whose peak price reached ``ceiling`` (NaN without draws)."""
    if peak.size == 0:
        return math.nan
    return float((peak >= ceiling * (1.0 - _CEILING_RTOL)).mean())


def _cell_rows(outcomes: xr.Dataset, prefix: str, dim: str) -> pd.DataFrame:
    """Summary rows per (commodity, ``dim``) of the ``prefix``-named outcome variables."""
    rows = []
    peak = outcomes[f"{prefix}peak_price_ratio"].values
    share = outcomes[f"{prefix}shortage_share"].values
    stock_out = outcomes[f"{prefix}stock_out_month"].values
    ceiling = outcomes[CEILING].values if CEILING in outcomes.coords else None
    for c, commodity in enumerate(outcomes[COMMODITY].values):
        for g, name in enumerate(outcomes[dim].values):
            months = stock_out[:, c, g]
            ran_out = ~np.isnan(months)
            median = np.quantile(np.where(ran_out, months, np.inf), 0.5, method="lower")
            row = {"commodity": str(commodity), dim: str(name)}
            row |= {k: v for k, v in risk_stats(peak[:, c, g], "peak_price_ratio").items()
                    if not k.endswith(("var95", "cvar95"))}
            row |= risk_stats(share[:, c, g], "shortage_share")
            row["stock_out_month_p50"] = float(median) if np.isfinite(median) else math.nan
            row["stock_out_probability"] = float(ran_out.mean()) if months.size else math.nan
            if ceiling is not None:
                row["price_ceiling_share"] = _share_at(peak[:, c, g], ceiling[c])
            rows.append(row)
    return pd.DataFrame(rows)


def summarise(outcomes: xr.Dataset) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The summary, downstream and cost tables of a Results object's ``outcomes``."""
    loss = outcomes["loss_share"].values
    downstream = pd.DataFrame(
        [{"capability": str(cap)} | risk_stats(loss[:, k], "loss_share")
         for k, cap in enumerate(outcomes[CAPABILITY].values)],
        columns=["capability", *risk_stats(np.zeros(1), "loss_share")])
    cost = pd.DataFrame([risk_stats(outcomes["policy_cost_usd"].values, "policy_cost_usd")])
    return _cell_rows(outcomes, "", SEGMENT), downstream, cost


def summarise_regions(outcomes: xr.Dataset) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """(region summary, region downstream) tables, or Nones without region outcomes."""
    if "region_loss_share" not in outcomes:
        return None, None
    loss = outcomes["region_loss_share"].values
    downstream = pd.DataFrame(
        [{"capability": str(cap), "region": str(region)} | risk_stats(loss[:, k, g],
                                                                       "loss_share")
         for k, cap in enumerate(outcomes[CAPABILITY].values)
         for g, region in enumerate(outcomes[REGION].values)],
        columns=["capability", "region", *risk_stats(np.zeros(1), "loss_share")])
    return _cell_rows(outcomes, "region_", REGION), downstream


#: Region outcomes are kept when they need at most this many bytes (about 9 bytes per draw,
#: commodity and region): 10^6 draws of the 19-region map would need 7 GB, so such runs keep
#: the bloc aggregates only (``Results.meta["region_outcomes"]`` says which).
MAX_REGION_OUTCOME_BYTES = 512 * 2**20


def keeps_region_outcomes(n_draws: int, n_commodities: int, n_capabilities: int,
                          n_regions: int) -> bool:
    """Whether a run of this size keeps per-region outcomes (see the constant above)."""
    size = n_draws * n_regions * (9 * n_commodities + 4 * n_capabilities)
    return size <= MAX_REGION_OUTCOME_BYTES


def outcome_arrays(n_draws: int, n_commodities: int, n_capabilities: int,
                   n_regions: int = 0) -> dict[str, np.ndarray]:
    """Preallocated per-draw outcome arrays (float32/uint8 keep 10^6 draws small); region
    arrays only when ``n_regions`` > 0."""
    shape = (n_draws, n_commodities, len(SEGMENTS))
    out = {
        "peak_price_ratio": np.zeros(shape, dtype=np.float32),
        "shortage_share": np.zeros(shape, dtype=np.float32),
        "stock_out_month": np.full(shape, NEVER, dtype=np.uint8),
        "loss_share": np.zeros((n_draws, n_capabilities), dtype=np.float32),
        "policy_cost_usd": np.zeros(n_draws),
    }
    if n_regions:
        cell = (n_draws, n_commodities, n_regions)
        out |= {"region_peak_price_ratio": np.zeros(cell, dtype=np.float32),
                "region_shortage_share": np.zeros(cell, dtype=np.float32),
                "region_stock_out_month": np.full(cell, NEVER, dtype=np.uint8),
                "region_loss_share": np.zeros((n_draws, n_capabilities, n_regions),
                                              dtype=np.float32)}
    return out


def store_outcomes(out: dict[str, np.ndarray], offset: int,
                   values: Mapping[str, np.ndarray]) -> None:
    """Write one block's outcomes (:meth:`MonthStep.finish`) at draw ``offset`` into the
    arrays ``out`` keeps (stock-out month -1 becomes :data:`NEVER`)."""
    n = len(values["policy_cost_usd"])
    for name, array in out.items():
        value = np.asarray(values[name])[:n]
        if name.endswith("stock_out_month"):
            value = np.where(value < 0, NEVER, value)
        array[offset:offset + n] = value


def outcome_dataset(arrays: Mapping[str, np.ndarray], commodities: tuple[str, ...],
                    capabilities: tuple[str, ...],
                    regions: tuple[str, ...] = (),
                    price_ceiling: np.ndarray | None = None) -> xr.Dataset:
    """Wrap the per-draw outcome arrays with named dimensions.

    ``price_ceiling`` (per commodity, x baseline; :attr:`Network.price_ceiling_ratio`) becomes
    the coordinate ``price_ceiling_ratio`` on ``commodity``, from which the summaries count
    the draws whose peak price reached it.
    """
    n = arrays["policy_cost_usd"].shape[0]

    def months(name: str) -> np.ndarray:
        values = arrays[name].astype(np.float32)
        values[arrays[name] == NEVER] = np.nan
        return values

    cell = (DRAW, COMMODITY, SEGMENT)
    data = {"peak_price_ratio": (cell, arrays["peak_price_ratio"]),
            "shortage_share": (cell, arrays["shortage_share"]),
            "stock_out_month": (cell, months("stock_out_month")),
            "loss_share": ((DRAW, CAPABILITY), arrays["loss_share"]),
            "policy_cost_usd": ((DRAW,), arrays["policy_cost_usd"])}
    coords = {DRAW: np.arange(n), COMMODITY: list(commodities), SEGMENT: list(SEGMENTS),
              CAPABILITY: list(capabilities)}
    if price_ceiling is not None:
        coords[CEILING] = (COMMODITY, np.asarray(price_ceiling, dtype=float))
    if "region_loss_share" in arrays:
        region_cell = (DRAW, COMMODITY, REGION)
        data |= {"region_peak_price_ratio": (region_cell, arrays["region_peak_price_ratio"]),
                 "region_shortage_share": (region_cell, arrays["region_shortage_share"]),
                 "region_stock_out_month": (region_cell, months("region_stock_out_month")),
                 "region_loss_share": ((DRAW, CAPABILITY, REGION),
                                       arrays["region_loss_share"])}
        coords[REGION] = list(regions)
    return xr.Dataset(data, coords=coords)


def path_dataset(paths: Mapping[str, np.ndarray], capability_paths: np.ndarray,
                 cost_paths: np.ndarray, commodities: tuple[str, ...],
                 capabilities: tuple[str, ...],
                 region_paths: Mapping[str, np.ndarray] | None = None,
                 regions: tuple[str, ...] = ()) -> xr.Dataset:
    """Wrap the path arrays with named dimensions (region paths prefixed ``region_``)."""
    n, months = cost_paths.shape
    cell = (DRAW, MONTH, COMMODITY, SEGMENT)
    data = {name: (cell, value) for name, value in paths.items()}
    data |= {f"region_{name}": ((DRAW, MONTH, COMMODITY, REGION), value)
             for name, value in (region_paths or {}).items()}
    data["output_ratio"] = ((DRAW, MONTH, CAPABILITY), capability_paths)
    data["policy_cost_usd"] = ((DRAW, MONTH), cost_paths)
    coords = {DRAW: np.arange(n), MONTH: np.arange(months), COMMODITY: list(commodities),
              SEGMENT: list(SEGMENTS), CAPABILITY: list(capabilities)}
    if region_paths:
        coords[REGION] = list(regions)
    return xr.Dataset(data, coords=coords)
