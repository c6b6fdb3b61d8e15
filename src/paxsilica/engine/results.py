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


_RISK = ("mean", "p5", "p50", "p95", "var95", "cvar95")


def risk_arrays(values: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`risk_stats` of every cell of ``values`` ``(draw, ...)`` at once: arrays of
    the trailing shape, keyed mean, p5, p50, p95, var95, cvar95 (NaN without draws). Each
    cell's draws are reduced contiguously, so the numbers are a 1-d sample's."""
    cells = np.ascontiguousarray(np.moveaxis(np.asarray(values, dtype=float), 0, -1))
    n = cells.shape[-1]
    if n == 0:
        return dict.fromkeys(_RISK, np.full(cells.shape[:-1], math.nan))
    p5, p50, p95 = np.quantile(cells, QUANTILES, axis=-1)
    k = math.ceil(0.05 * n)
    tail = np.partition(cells, n - k, axis=-1)[..., n - k:]
    return {"mean": cells.mean(axis=-1), "p5": p5, "p50": p50, "p95": p95, "var95": p95,
            "cvar95": tail.mean(axis=-1)}


def risk_stats(values: np.ndarray, prefix: str) -> dict[str, float]:
    """Mean, P5, P50, P95, VaR95 and CVaR95 of a 1-d sample (NaN when empty)."""
    return {f"{prefix}_{k}": float(v) for k, v in risk_arrays(values).items()}


#: Coordinate on ``commodity``: the highest price the clearing can set (cap or backstop price).
CEILING = "price_ceiling_ratio"
#: Peaks are stored in float32: a peak within this relative distance of the ceiling reached it.
_CEILING_RTOL = 1e-5


def _cell_rows(outcomes: xr.Dataset, prefix: str, dim: str) -> pd.DataFrame:
    """Summary rows per (commodity, ``dim``) of the ``prefix``-named outcome variables, all
    cells reduced at once (a run of the country map has hundreds)."""
    peak = outcomes[f"{prefix}peak_price_ratio"].values
    stock_out = outcomes[f"{prefix}stock_out_month"].values
    commodities, names = outcomes[COMMODITY].values, outcomes[dim].values
    columns: dict[str, np.ndarray] = {
        "commodity": np.repeat(commodities.astype(str), len(names)),
        dim: np.tile(names.astype(str), len(commodities))}
    columns |= {f"peak_price_ratio_{k}": v for k, v in risk_arrays(peak).items()
                if k not in ("var95", "cvar95")}
    columns |= {f"shortage_share_{k}": v for k, v in
                risk_arrays(outcomes[f"{prefix}shortage_share"].values).items()}
    ran_out = ~np.isnan(stock_out)
    if stock_out.shape[0]:
        median = np.quantile(np.where(ran_out, stock_out, np.inf), 0.5, method="lower", axis=0)
        columns["stock_out_month_p50"] = np.where(np.isfinite(median), median,
                                                  math.nan).astype(float)
        columns["stock_out_probability"] = ran_out.mean(axis=0)
    else:
        columns["stock_out_month_p50"] = columns["stock_out_probability"] = \
            np.full(stock_out.shape[1:], math.nan)
    if CEILING in outcomes.coords:
        # a peak within _CEILING_RTOL of the ceiling reached it (peaks are float32)
        ceiling = outcomes[CEILING].values[:, None] * (1.0 - _CEILING_RTOL)
        columns["price_ceiling_share"] = (peak >= ceiling).mean(axis=0) if peak.shape[0] \
            else np.full(peak.shape[1:], math.nan)
    return pd.DataFrame({k: np.asarray(v).reshape(-1) if k not in ("commodity", dim) else v
                         for k, v in columns.items()})


def _loss_rows(loss: np.ndarray, keys: dict[str, np.ndarray]) -> pd.DataFrame:
    """``loss_share`` statistics per cell of ``loss`` ``(draw, ...)``, the cells named by
    ``keys`` (flattened in C order)."""
    stats = {f"loss_share_{k}": v.reshape(-1) for k, v in risk_arrays(loss).items()}
    return pd.DataFrame(keys | stats, columns=[*keys, *stats])


def summarise(outcomes: xr.Dataset) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The summary, downstream and cost tables of a Results object's ``outcomes``."""
    downstream = _loss_rows(outcomes["loss_share"].values,
                            {"capability": outcomes[CAPABILITY].values.astype(str)})
    cost = pd.DataFrame([risk_stats(outcomes["policy_cost_usd"].values, "policy_cost_usd")])
    return _cell_rows(outcomes, "", SEGMENT), downstream, cost


def summarise_regions(outcomes: xr.Dataset) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """(region summary, region downstream) tables, or Nones without region outcomes."""
    if "region_loss_share" not in outcomes:
        return None, None
    capabilities = outcomes[CAPABILITY].values.astype(str)
    regions = outcomes[REGION].values.astype(str)
    downstream = _loss_rows(outcomes["region_loss_share"].values,
                            {"capability": np.repeat(capabilities, len(regions)),
                             "region": np.tile(regions, len(capabilities))})
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
