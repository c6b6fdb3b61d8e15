"""Inline SVG charts for reports: they render the same in a browser and in WeasyPrint's PDF.

Only numbers appear inside the SVG (axis ticks, in the reader's digits); titles, legends and
names are HTML around it, so Arabic is shaped and laid out by the page, right to left.
"""

from __future__ import annotations

import math

import pandas as pd

from paxsilica.report.i18n import fmt_number, fmt_share

__all__ = ["fan_svg"]


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    if not math.isfinite(low) or not math.isfinite(high) or high <= low:
        return [low]
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw),
               default=raw)
    first = math.floor(low / step) * step
    return [first + i * step for i in range(int((high - first) / step) + 2)
            if first + i * step <= high + 1e-12]


def fan_svg(table: pd.DataFrame, colour: str, *, share: bool, digits: str = "latin",
            rtl: bool = False, width: int = 640, height: int = 240) -> str:
    """A fan chart (P5-P95, P25-P75 bands, median) as an inline ``<svg>``.

    Parameters
    ----------
    table : pandas.DataFrame
        Index month (0-based), columns the quantiles 0.05, 0.25, 0.5, 0.75, 0.95.
    share : bool
        Label the y axis as percentages (else as plain ratios with two decimals).
    rtl : bool
        Time runs right to left (Arabic pages).
    """
    if table.empty:
        return ""
    left, right, top, bottom = 56, 16, 10, 28
    if rtl:
        left, right = right, left
    months = table.index.to_numpy(dtype=float) + 1
    low = float(min(table[0.05].min(), 0.0 if share else table[0.05].min()))
    high = float(max(table[0.95].max(), low + (0.01 if share else 0.05)))
    x_span = max(months.max() - months.min(), 1.0)

    def x(m: float) -> float:
        frac = (m - months.min()) / x_span
        return left + (1 - frac if rtl else frac) * (width - left - right)

    def y(v: float) -> float:
        return top + (1 - (v - low) / (high - low)) * (height - top - bottom)

    def band(lo: float, hi: float) -> str:
        upper = [f"{x(m):.1f},{y(v):.1f}" for m, v in zip(months, table[hi], strict=True)]
        lower = [f"{x(m):.1f},{y(v):.1f}" for m, v in zip(months[::-1], table[lo][::-1],
                                                          strict=True)]
        return " ".join(upper + lower)

    fmt = (lambda v: fmt_share(v, 0, digits)) if share else (lambda v: fmt_number(v, 2, digits))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" class="fan" role="img">']
    axis_x = width - right + 4 if rtl else left - 4
    anchor = "start" if rtl else "end"
    for tick in _ticks(low, high):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" '
                     f'y2="{y(tick):.1f}" stroke="#e3e6ee"/>'
                     f'<text x="{axis_x}" y="{y(tick) + 4:.1f}" font-size="10" '
                     f'text-anchor="{anchor}" fill="#556">{fmt(tick)}</text>')
    for m in _ticks(float(months.min()), float(months.max()), 6):
        parts.append(f'<text x="{x(m):.1f}" y="{height - 8}" font-size="10" '
                     f'text-anchor="middle" fill="#556">{fmt_number(m, 0, digits)}</text>')
    parts.append(f'<polygon points="{band(0.05, 0.95)}" fill="{colour}" fill-opacity="0.18"/>')
    parts.append(f'<polygon points="{band(0.25, 0.75)}" fill="{colour}" fill-opacity="0.35"/>')
    median = " ".join(f"{x(m):.1f},{y(v):.1f}" for m, v in zip(months, table[0.5], strict=True))
    parts.append(f'<polyline points="{median}" fill="none" stroke="{colour}" '
                 f'stroke-width="2"/></svg>')
    return "".join(parts)
