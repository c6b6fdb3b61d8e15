"""What a report or a dashboard page shows of one run, whether fresh or read back from the store.

A :class:`RunView` holds plain tables: the summary per (commodity, segment), the downstream
losses per capability, and the fans (per-month percentiles across draws) of the path
variables. It is built either from engine ``Results`` (:func:`view_from_results`) or from a
stored run record plus its fans (:func:`view_from_record`).

Fan variables
-------------
price_ratio     price / baseline price (x baseline), per commodity and segment
shortage_share  shortage / demand in the month (0..1), per commodity and segment
stock_share     commercial + strategic stock / the same at the start (before month 0's trade),
                per commodity and segment (0..1; above 1 only while a stockpile is topped up)
loss_share      1 - output_ratio of a final capability (0..1); segment is None
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from paxsilica.dims import CAPABILITY, COMMODITY, DRAW, MONTH, REGION, SEGMENT

__all__ = ["FAN_PATHS", "FAN_QUANTILES", "FAN_VARIABLES", "RunView", "fan_frame",
           "member_table", "view_from_record", "view_from_results"]

#: Percentiles drawn in fan charts: P5, P25, P50, P75, P95.
FAN_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
FAN_VARIABLES: tuple[str, ...] = ("price_ratio", "shortage_share", "stock_share", "loss_share")
#: The engine paths the fans are computed from (with the capabilities' output_ratio).
FAN_PATHS: tuple[str, ...] = ("price_ratio", "shortage", "demand", "stock_commercial",
                              "stock_strategic", "release", "build")


@dataclass(frozen=True)
class RunView:
    """One run as plain tables (see the module docstring)."""

    scenario: Mapping[str, Any]
    meta: Mapping[str, Any]
    summary: pd.DataFrame
    downstream: pd.DataFrame
    fans: pd.DataFrame = field(default_factory=lambda: _empty_fans())
    run_id: str | None = None
    status: str = "complete"
    #: the summary's columns per (commodity, region); empty without region outcomes
    region_summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: loss_share statistics per (capability, region)
    region_downstream: pd.DataFrame = field(default_factory=pd.DataFrame)

    def fan(self, variable: str, item: str, segment: str | None) -> pd.DataFrame:
        """Month x quantile table of one fan (empty if not stored)."""
        rows = self.fans[(self.fans["variable"] == variable) & (self.fans["item"] == item)]
        if segment is not None:
            rows = rows[rows["segment"] == segment]
        if rows.empty:
            return pd.DataFrame()
        return rows.pivot_table(index="month", columns="quantile", values="value")

    def worst_commodity(self, segment: str = "alliance") -> str | None:
        """The commodity with the largest P95 shortage share (then P50 peak price) in ``segment``."""
        rows = self.summary[self.summary[SEGMENT] == segment]
        if rows.empty:
            return None
        keys = [c for c in ("shortage_share_p95", "peak_price_ratio_p50") if c in rows]
        return str(rows.sort_values(keys, ascending=False).iloc[0][COMMODITY])


def _empty_fans() -> pd.DataFrame:
    return pd.DataFrame(columns=["variable", "item", "segment", "quantile", "month", "value"])


def _ratio(numerator: Any, denominator: Any) -> Any:
    """numerator / denominator, 0 where the denominator is not positive (x / inf = 0: one
    pass, no NaN to skip later)."""
    return numerator / denominator.where(denominator > 0, np.inf)


def _percentiles(da: Any, quantiles: Sequence[float]) -> Any:
    """``da``'s quantiles over draws. Items (commodities, capabilities) that are the same in
    every draw (the markets a scenario cannot move: most of them) are their value at every
    quantile, without the sort."""
    item = COMMODITY if COMMODITY in da.dims else CAPABILITY
    others = [d for d in da.dims if d not in (DRAW, item)]
    varies = (da.max(DRAW) > da.min(DRAW)).any(others).values
    # skipna=False: the inputs hold no NaN (see _ratio), and numpy's NaN-skipping quantile
    # runs one Python call per series (90 s of a 2,000-draw stress-test)
    moving = da.isel({item: np.flatnonzero(varies)}).quantile(list(quantiles), dim=DRAW,
                                                               skipna=False)
    still = da.isel({item: np.flatnonzero(~varies), DRAW: 0}, drop=True)
    still = still.expand_dims(quantile=list(quantiles)).astype(moving.dtype)
    both = xr.concat([moving, still.transpose(*moving.dims)], dim=item)
    return both.sel({item: da[item].values})


def _quantiles(da: Any, variable: str, quantiles: Sequence[float]) -> pd.DataFrame:
    q = _percentiles(da, quantiles)
    frame = q.to_dataframe(name="value").reset_index()
    item = COMMODITY if COMMODITY in frame else CAPABILITY
    frame = frame.rename(columns={item: "item"})
    if SEGMENT not in frame:
        frame[SEGMENT] = None
    frame["variable"] = variable
    frame[MONTH] = frame[MONTH].astype(int)
    return frame[["variable", "item", SEGMENT, "quantile", MONTH, "value"]]


def fan_frame(paths: Any, quantiles: Sequence[float] = FAN_QUANTILES) -> pd.DataFrame:
    """Per-month percentiles across draws of the fan variables (module docstring).

    Parameters
    ----------
    paths : xarray.Dataset
        ``Results.paths`` with at least :data:`FAN_PATHS` over (draw, month, commodity,
        segment) and output_ratio over (draw, month, capability).

    Returns
    -------
    pandas.DataFrame
        Columns variable, item, segment, quantile, month, value.
    """
    parts = [_quantiles(paths["price_ratio"], "price_ratio", quantiles),
             _quantiles(_ratio(paths["shortage"], paths["demand"]), "shortage_share", quantiles)]
    stock = paths["stock_commercial"] + paths["stock_strategic"]
    first = {MONTH: 0}
    start = stock.isel(first) + paths["release"].isel(first) - paths["build"].isel(first)
    parts.append(_quantiles(_ratio(stock, start), "stock_share", quantiles))
    if "output_ratio" in paths:
        loss = (1.0 - paths["output_ratio"]).clip(min=0.0)
        parts.append(_quantiles(loss, "loss_share", quantiles))
    frame = pd.concat(parts, ignore_index=True)
    frame["value"] = frame["value"].astype(float).round(6)
    return frame


def view_from_results(scenario: Mapping[str, Any], results: Any, run_id: str | None = None,
                      seconds: float | None = None) -> RunView:
    """A view of fresh engine ``Results`` (fans only when it kept its paths)."""
    paths = getattr(results, "paths", None)
    fans = fan_frame(paths) if paths is not None else _empty_fans()
    meta = {**dict(results.meta), "run_id": run_id, "seconds": seconds}
    regions = getattr(results, "region_summary", None)
    losses = getattr(results, "region_downstream", None)
    return RunView(scenario, meta, results.summary.copy(), results.downstream.copy(), fans,
                   run_id, region_summary=pd.DataFrame() if regions is None else regions.copy(),
                   region_downstream=pd.DataFrame() if losses is None else losses.copy())


def _wide(metrics: pd.DataFrame, scope: str, keys: list[str]) -> pd.DataFrame:
    rows = metrics[metrics["scope"] == scope]
    if rows.empty:
        return pd.DataFrame(columns=keys)
    rows = rows.rename(columns={"item": keys[0]})
    index = keys if len(keys) > 1 else keys[:1]
    wide = rows.pivot_table(index=index, columns="metric", values="value", dropna=False)
    wide.columns.name = None
    return wide.reset_index()


def view_from_record(record: Mapping[str, Any], fans: pd.DataFrame | None = None) -> RunView:
    """A view of a stored run (``workflows.show_run``'s record) and its stored fans."""
    metrics = record.get("metrics")
    metrics = metrics if isinstance(metrics, pd.DataFrame) else pd.DataFrame(
        columns=["scope", "item", "segment", "metric", "value"])
    summary = _wide(metrics, "commodity", [COMMODITY, SEGMENT])
    downstream = _wide(metrics, "capability", [CAPABILITY])
    doc = record.get("scenario_doc") or {"name": record.get("scenario")}
    meta = {key: _plain(value) for key, value in record.items()
            if key not in ("metrics", "scenario_doc", "meta")}
    meta.update({k: v for k, v in (record.get("meta") or {}).items() if k not in meta})
    regions = _wide(metrics, "commodity_region", [COMMODITY, SEGMENT])
    losses = _wide(metrics, "capability_region", [CAPABILITY, SEGMENT])
    return RunView(doc, meta, summary, downstream,
                   fans if fans is not None and not fans.empty else _empty_fans(),
                   str(record.get("run_id")), str(record.get("status", "complete")),
                   regions.rename(columns={SEGMENT: REGION}),
                   losses.rename(columns={SEGMENT: REGION}))


def member_table(view: RunView, segment: str = "alliance") -> pd.DataFrame:
    """Which region of ``segment`` (default: the bloc's members) loses what, worst first.

    One row per region: the capability with the largest P95 loss and its P50/P95, the
    commodity with the largest P95 shortage share and its P50/P95, the P95 peak price of that
    commodity, and the earliest P50 month a stock runs out (NaN: never in half the draws).
    Empty when the run kept no region outcomes.
    """
    columns = ["region", "capability", "loss_share_p50", "loss_share_p95", "commodity",
               "shortage_share_p50", "shortage_share_p95", "peak_price_ratio_p95",
               "stock_out_month_p50"]
    summary, losses = view.region_summary, view.region_downstream
    if summary.empty or REGION not in summary:
        return pd.DataFrame(columns=columns)
    where = dict(view.meta.get("region_segments") or {})
    regions = [r for r in dict.fromkeys(summary[REGION]) if where.get(r, segment) == segment]
    rows = []
    for region in regions:
        cells = summary[summary[REGION] == region]
        worst = cells.sort_values(["shortage_share_p95", "peak_price_ratio_p95"],
                                  ascending=False).iloc[0]
        loss = losses[losses[REGION] == region].sort_values(
            ["loss_share_p95", "loss_share_p50"], ascending=False)
        top = loss.iloc[0] if not loss.empty else None
        rows.append({
            "region": region,
            "capability": None if top is None else top[CAPABILITY],
            "loss_share_p50": 0.0 if top is None else float(top["loss_share_p50"]),
            "loss_share_p95": 0.0 if top is None else float(top["loss_share_p95"]),
            "commodity": worst[COMMODITY],
            "shortage_share_p50": float(worst["shortage_share_p50"]),
            "shortage_share_p95": float(worst["shortage_share_p95"]),
            "peak_price_ratio_p95": float(worst["peak_price_ratio_p95"]),
            "stock_out_month_p50": float(cells["stock_out_month_p50"].min()),
        })
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["loss_share_p95", "shortage_share_p95", "loss_share_p50"],
                             ascending=False, ignore_index=True)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value
