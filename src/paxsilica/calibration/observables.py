"""What an episode reads from a simulation: one number per Monte Carlo draw.

Each observable is a function ``(results, dataset, **args) -> ndarray of shape (draw,)`` over
the monthly paths of :class:`paxsilica.engine.Results` (``keep_paths=True``). NaN means "did
not happen in this draw" (a stock that never ran out). Prices are ratios to the baseline
price and read the *spot* price (``spot_price_ratio``): every price observation of the
episodes is a market quote (Fastmarkets, Argus, SMM, Asian Metal), which is a spot price;
where the engine models no contracts the spot price is the one price. Months are 0-based
simulation months; segments are named (``alliance``, ``restricting``, ``others``).
:data:`OBSERVABLES` names each one with the arguments it takes; episode files
(``paxsilica/scenarios/episodes``) refer to them by that name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from paxsilica.model.dataset import Dataset

__all__ = ["OBSERVABLES", "SEGMENT_INDEX", "WEEKS_PER_MONTH", "Observable", "capacity_idled",
           "stock_out_weeks", "weeks_to_stock_out"]

WEEKS_PER_MONTH = 365.25 / 7 / 12  # 4.35 weeks
SEGMENT_INDEX = {"alliance": 0, "restricting": 1, "others": 2}


def _path(res: Any, var: str, commodity: str) -> np.ndarray:
    """(draw, month, segment) array of one path variable for one commodity."""
    return np.asarray(res.paths[var].sel(commodity=commodity).values, dtype=float)


def _quote(res: Any, commodity: str) -> np.ndarray:
    """(draw, month, segment) spot price ratio: the quoted price (the price where no contracts
    are modelled and the run kept no spot path)."""
    name = "spot_price_ratio" if "spot_price_ratio" in res.paths else "price_ratio"
    return _path(res, name, commodity)


def price(res: Any, ds: Dataset, *, commodity: str, segment: str, month: int) -> np.ndarray:
    """Spot price ratio (x baseline) of ``segment`` in ``month``."""
    return _quote(res, commodity)[:, month, SEGMENT_INDEX[segment]]


def price_split(res: Any, ds: Dataset, *, commodity: str, months: list[int]) -> np.ndarray:
    """Median over months ``[first, last]`` of alliance / restricting spot price."""
    p = _quote(res, commodity)[:, months[0]:months[1] + 1]
    return np.median(p[..., 0] / p[..., 1], axis=1)


def price_change(res: Any, ds: Dataset, *, commodity: str, segment: str,
                 months: list[int]) -> np.ndarray:
    """Spot price ratio of ``segment`` in month ``last`` / in month ``first`` (a fall below 1:
    how far a price came back from a level)."""
    p = _quote(res, commodity)[:, :, SEGMENT_INDEX[segment]]
    return p[:, months[1]] / p[:, months[0]]


def peak_price(res: Any, ds: Dataset, *, commodity: str, segment: str,
               months: list[int]) -> np.ndarray:
    """Highest spot price ratio of ``segment`` over months ``[first, last]``."""
    p = _quote(res, commodity)[:, months[0]:months[1] + 1, SEGMENT_INDEX[segment]]
    return p.max(axis=1)


def export_ratio(res: Any, ds: Dataset, *, commodity: str, segment: str, month: int,
                 base_month: int) -> np.ndarray:
    """Exports of ``segment`` in ``month`` / its exports in ``base_month`` (a pre-shock month)."""
    exports = _path(res, "exports", commodity)[..., SEGMENT_INDEX[segment]]
    base = exports[:, base_month]
    return np.divide(exports[:, month], base, out=np.full_like(base, np.nan), where=base > 0)


def capacity_idled(res: Any, ds: Dataset, *, commodity: str, segment: str,
                   month: int) -> np.ndarray:
    """Share of the segment's month-0 production no longer produced in ``month``."""
    supply = _path(res, "supply", commodity)[..., SEGMENT_INDEX[segment]]
    base = supply[:, 0]
    return np.divide(base - supply[:, month], base, out=np.zeros_like(base), where=base > 0)


def shortage_share(res: Any, ds: Dataset, *, commodity: str, segment: str) -> np.ndarray:
    """Cumulative shortage / cumulative demand of ``segment`` over the horizon."""
    short = _path(res, "shortage", commodity)[..., SEGMENT_INDEX[segment]].sum(axis=1)
    demand = _path(res, "demand", commodity)[..., SEGMENT_INDEX[segment]].sum(axis=1)
    return np.divide(short, demand, out=np.zeros_like(short), where=demand > 0)


def outside_supply_gain(res: Any, ds: Dataset, *, commodity: str, month: int) -> np.ndarray:
    """Supply outside the restricting segment gained by ``month``, as a share of month-0
    world supply (rare earths after 2010: +4% of the market a year)."""
    supply = _path(res, "supply", commodity)
    outside = supply[..., 0] + supply[..., 2]
    world = supply[:, 0].sum(axis=1)
    gain = outside[:, month] - outside[:, 0]
    return np.divide(gain, world, out=np.zeros_like(gain), where=world > 0)


def stock_out_weeks(res: Any, commodity: str, demand_elasticity: float, segment: int = 0,
                    from_month: int = 0) -> np.ndarray:
    """Weeks from the start of ``from_month`` until commercial stock is exhausted (NaN = never).

    Within the month of exhaustion the stock is taken to run down evenly, so the time is
    (months before + stock at its start / that month's deficit at the baseline price) x 4.35
    weeks. Demand at the baseline price is cleared demand / price ** ``demand_elasticity``
    (the iso-elastic demand curve of paxsilica.engine.clearing). ``segment`` is an index.
    """
    elasticity = min(demand_elasticity, -1e-3)
    months = slice(from_month, None)
    stock = _path(res, "stock_commercial", commodity)[:, months, segment]  # end of month
    release = _path(res, "release", commodity)[:, months, segment]
    build = _path(res, "build", commodity)[:, months, segment]
    initial = stock[:, 0] + release[:, 0] - build[:, 0]  # the stock at the month's start
    available = (_path(res, "supply", commodity) - _path(res, "exports", commodity)
                 + _path(res, "imports", commodity))[:, months, segment]
    price_ratio = _path(res, "price_ratio", commodity)[:, months, segment]
    deficit = _path(res, "demand", commodity)[:, months, segment] / price_ratio ** elasticity \
        - available
    out = np.full(stock.shape[0], np.nan)
    for d in np.flatnonzero(initial > 0):
        hits = np.flatnonzero((stock[d] <= 1e-9 * initial[d]) & (release[d] > 0))
        if hits.size:
            m = hits[0]
            start = initial[d] if m == 0 else stock[d, m - 1]
            out[d] = (m + min(start / max(deficit[d, m], start), 1.0)) * WEEKS_PER_MONTH
    return out


def weeks_to_stock_out(res: Any, ds: Dataset, *, commodity: str, segment: str = "alliance",
                       from_month: int = 0) -> np.ndarray:
    """:func:`stock_out_weeks` with the commodity's demand elasticity from ``ds``."""
    elasticity = float(ds.commodity(commodity)["demand_elasticity"])
    return stock_out_weeks(res, commodity, elasticity, SEGMENT_INDEX[segment], from_month)


@dataclass(frozen=True)
class Observable:
    """A named observable: its function, required and optional arguments, and its unit."""

    function: Callable[..., np.ndarray]
    required: frozenset[str]
    optional: frozenset[str]
    unit: str

    def __call__(self, res: Any, ds: Dataset, args: Mapping[str, Any]) -> np.ndarray:
        """Per-draw values of the observable (shape ``(draw,)``)."""
        return np.asarray(self.function(res, ds, **dict(args)), dtype=float)


def _obs(function: Callable[..., np.ndarray], required: str, optional: str = "",
         unit: str = "") -> Observable:
    return Observable(function, frozenset(required.split()), frozenset(optional.split()), unit)


OBSERVABLES: Mapping[str, Observable] = {
    "price": _obs(price, "commodity segment month", unit="x baseline"),
    "price_split": _obs(price_split, "commodity months", unit="alliance / restricting price"),
    "price_change": _obs(price_change, "commodity segment months",
                         unit="price in the last month / in the first"),
    "peak_price": _obs(peak_price, "commodity segment months", unit="x baseline"),
    "export_ratio": _obs(export_ratio, "commodity segment month base_month",
                         unit="x base-month exports"),
    "capacity_idled": _obs(capacity_idled, "commodity segment month",
                           unit="share of month-0 output"),
    "shortage_share": _obs(shortage_share, "commodity segment", unit="share of demand"),
    "outside_supply_gain": _obs(outside_supply_gain, "commodity month",
                                unit="share of month-0 world supply"),
    "weeks_to_stock_out": _obs(weeks_to_stock_out, "commodity", "segment from_month",
                               unit="weeks"),
}
