"""One run's outcomes per market region, and members side by side.

These read the per-region summaries a :class:`~paxsilica.report.view.RunView` carries (the
store's ``commodity_region`` and ``capability_region`` rows): nothing is recomputed, so a page
shows exactly what the run stored.

Units: ``peak_price_ratio_*`` is the run's highest monthly price / baseline price (x baseline),
``shortage_share_*`` the worst month's shortage / demand (0..1), ``stock_out_month_p50`` the
median first month a stock runs out (NaN: not in half the draws), ``loss_share_*`` the lost
share of a capability's output (0..1). ``_p5``/``_p50``/``_p95`` are percentiles across draws.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from paxsilica.dims import CAPABILITY, COMMODITY, REGION, SEGMENTS
from paxsilica.model.regions import SEGMENTS_MAP
from paxsilica.report.view import RunView

__all__ = ["COMPARE_TOP", "LOSS_COLUMNS", "REGION_COLUMNS", "compare_commodities",
           "compare_losses", "has_region_view", "region_commodities", "region_losses",
           "regions_members_first"]

#: Columns of :func:`region_commodities` after ``commodity``.
REGION_COLUMNS: tuple[str, ...] = (
    "peak_price_ratio_p5", "peak_price_ratio_p50", "peak_price_ratio_p95",
    "shortage_share_p5", "shortage_share_p50", "shortage_share_p95", "stock_out_month_p50")
#: Columns of :func:`region_losses` after ``capability``.
LOSS_COLUMNS: tuple[str, ...] = ("loss_share_p5", "loss_share_p50", "loss_share_p95")
#: Commodities a member comparison shows (those where the members differ most).
COMPARE_TOP = 10


def has_region_view(view: RunView) -> bool:
    """Whether the run stored outcomes per region of a map of countries.

    False for runs that kept no region outcomes (very large runs) and for the ``segments``
    map, whose three "regions" are the bloc aggregates the rest of the page already shows.
    """
    summary = view.region_summary
    if summary.empty or REGION not in summary:
        return False
    if view.meta.get("region_map") == SEGMENTS_MAP:
        return False
    return not set(summary[REGION]) <= set(SEGMENTS)


def regions_members_first(view: RunView, segment: str = "alliance") -> list[str]:
    """The run's regions: those of ``segment`` (the bloc's members) first, each group in the
    run's own region order."""
    regions = list(dict.fromkeys(view.region_summary[REGION])) if REGION in \
        view.region_summary else []
    where = dict(view.meta.get("region_segments") or {})
    members = [r for r in regions if where.get(r) == segment]
    return members + [r for r in regions if r not in members]


def region_commodities(view: RunView, region: str) -> pd.DataFrame:
    """Per commodity, ``region``'s peak price, shortage and stock-out (module docstring),
    hardest hit first (P95 shortage share, then P50 peak price). Empty for an unknown region.
    """
    rows = view.region_summary[view.region_summary[REGION] == region]
    columns = [COMMODITY, *REGION_COLUMNS]
    rows = rows.reindex(columns=columns)
    return rows.sort_values(["shortage_share_p95", "peak_price_ratio_p50", COMMODITY],
                            ascending=[False, False, True], ignore_index=True)


def region_losses(view: RunView, region: str) -> pd.DataFrame:
    """Per final capability, ``region``'s lost output share (P5/P50/P95), largest P95 first."""
    losses = view.region_downstream
    if losses.empty or REGION not in losses:
        return pd.DataFrame(columns=[CAPABILITY, *LOSS_COLUMNS])
    rows = losses[losses[REGION] == region].reindex(columns=[CAPABILITY, *LOSS_COLUMNS])
    return rows.sort_values(["loss_share_p95", "loss_share_p50", CAPABILITY],
                            ascending=[False, False, True], ignore_index=True)


def compare_commodities(view: RunView, regions: Sequence[str],
                        top: int = COMPARE_TOP) -> pd.DataFrame:
    """The commodities where ``regions`` differ most, with each region's P50 shortage share
    and P50 peak price ratio.

    The difference of a commodity is the range across the regions of the P50 shortage share
    plus the range of the log of the P50 peak price ratio: both are shares of the baseline
    (a 10-point shortage gap weighs about as much as a 10 % price gap). Commodities where the
    regions do not differ at all are left out.

    Returns
    -------
    pandas.DataFrame
        One row per commodity, most different first: ``commodity``, ``difference`` and one
        column per region and measure, named ``(measure, region)`` with measure
        ``shortage_share_p50`` or ``peak_price_ratio_p50``.
    """
    rows = view.region_summary[view.region_summary[REGION].isin(list(regions))]
    measures = ["shortage_share_p50", "peak_price_ratio_p50"]
    wide = rows.pivot_table(index=COMMODITY, columns=REGION, values=measures)
    wide = wide.reindex(columns=pd.MultiIndex.from_product([measures, list(regions)]))
    shortage = wide["shortage_share_p50"]
    price = np.log(wide["peak_price_ratio_p50"].clip(lower=1e-12))
    difference = ((shortage.max(axis=1) - shortage.min(axis=1))
                  + (price.max(axis=1) - price.min(axis=1)))
    order = difference[difference > 0].sort_values(ascending=False, kind="stable")
    picked = wide.loc[order.index[:top]]
    picked.columns = list(picked.columns)
    picked.insert(0, "difference", order.iloc[:top])
    return picked.reset_index()


def compare_losses(view: RunView, regions: Sequence[str]) -> pd.DataFrame:
    """Per capability, each region's P50 and P95 lost output share: columns ``capability``
    and ``(measure, region)`` with measure ``loss_share_p50`` or ``loss_share_p95``; the
    capability with the largest P95 loss in any of the regions first."""
    losses = view.region_downstream
    measures = ["loss_share_p50", "loss_share_p95"]
    if losses.empty or REGION not in losses:
        return pd.DataFrame(columns=[CAPABILITY])
    rows = losses[losses[REGION].isin(list(regions))]
    wide = rows.pivot_table(index=CAPABILITY, columns=REGION, values=measures)
    wide = wide.reindex(columns=pd.MultiIndex.from_product([measures, list(regions)]))
    worst = wide["loss_share_p95"].max(axis=1).sort_values(ascending=False, kind="stable")
    wide = wide.loc[worst.index]
    wide.columns = list(wide.columns)
    return wide.reset_index()
