"""Report building blocks against hand calculations: digits, fans, stored-run views, SVG."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from paxsilica.dims import CAPABILITY, COMMODITY, DRAW, MONTH, SEGMENT
from paxsilica.report.i18n import fmt_number, fmt_share, label
from paxsilica.report.svg import _ticks, fan_svg
from paxsilica.report.view import fan_frame, view_from_record


def test_digits_and_shares() -> None:
    assert fmt_share(0.125, 1) == "12.5%"
    assert fmt_share(0.125, 1, "arabic") == "١٢٫٥٪"
    assert fmt_number(1234.5, 1, "arabic") == "١٬٢٣٤٫٥"
    assert fmt_number(float("nan")) == "-" and fmt_share(None) == "-"
    assert label("summary_text", "ar") != label("summary_text", "en")


def _paths(draws: int = 5, months: int = 3) -> xr.Dataset:
    """Draw d has price 1 + d/10 in every month; shortage = d, demand = 10; stocks start at
    1 + 1 and halve every month, month 0's included (its release of 1 is what tells)."""
    d = np.arange(draws, dtype=float)[:, None, None, None] * np.ones((draws, months, 1, 1))
    stock = np.ones((draws, months, 1, 1)) * (0.5 ** np.arange(1, months + 1))[None, :, None,
                                                                                None]
    release = 2 * stock  # both stocks together lose what is left of them each month
    coords = {DRAW: range(draws), MONTH: range(months), COMMODITY: ["ga"], SEGMENT: ["alliance"]}
    dims = (DRAW, MONTH, COMMODITY, SEGMENT)
    return xr.Dataset({
        "price_ratio": (dims, 1 + d / 10), "shortage": (dims, d),
        "demand": (dims, np.full_like(d, 10.0)), "stock_commercial": (dims, stock),
        "stock_strategic": (dims, stock), "release": (dims, release),
        "build": (dims, np.zeros_like(d)),
        "output_ratio": ((DRAW, MONTH, CAPABILITY), 1 - d[:, :, 0, :] / 20)},
        coords={**coords, CAPABILITY: ["cars"]})


def test_fan_frame_quantiles_by_hand() -> None:
    fans = fan_frame(_paths())
    pick = fans.set_index(["variable", "quantile", "month"])["value"]
    # draws 0..4: the median draw is 2, P5 interpolates 0.2 of the way from draw 0 to draw 1
    assert pick[("price_ratio", 0.5, 0)] == pytest.approx(1.2)
    assert pick[("price_ratio", 0.05, 1)] == pytest.approx(1.02)
    assert pick[("shortage_share", 0.95, 2)] == pytest.approx(0.38)  # 3.8 / 10
    assert pick[("stock_share", 0.5, 0)] == pytest.approx(0.5)       # of the start, not of
    assert pick[("stock_share", 0.5, 2)] == pytest.approx(0.125)     # month 0's end
    assert pick[("loss_share", 0.5, 0)] == pytest.approx(0.1)        # 2 / 20
    assert set(fans["variable"]) == {"price_ratio", "shortage_share", "stock_share",
                                     "loss_share"}


def test_fans_of_markets_that_do_not_move_are_their_value_and_the_rest_unchanged() -> None:
    # "ge" is the same in every draw (a market the scenario cannot move): its percentiles
    # are skipped, not sorted; they must still be its value, and "ga"'s the by-hand ones.
    one = _paths()
    still = one.assign_coords({COMMODITY: ["ge"]})
    for name in ("price_ratio", "shortage", "stock_commercial"):
        still[name] = still[name].isel({DRAW: 3}, drop=True).broadcast_like(still[name]).transpose(
            *still[name].dims)
    both = xr.concat([still, one], dim=COMMODITY, data_vars="minimal", coords="minimal",
                     compat="override")
    fans = fan_frame(both).set_index(["variable", "item", "quantile", "month"])["value"]
    assert list(dict.fromkeys(fan_frame(both)["item"].dropna())) == ["ge", "ga", "cars"]
    assert fans[("price_ratio", "ge", 0.05, 1)] == pytest.approx(1.3)   # draw 3's value
    assert fans[("price_ratio", "ge", 0.95, 1)] == pytest.approx(1.3)
    assert fans[("shortage_share", "ge", 0.5, 2)] == pytest.approx(0.3)
    assert fans[("price_ratio", "ga", 0.05, 1)] == pytest.approx(1.02)
    assert fans[("shortage_share", "ga", 0.95, 2)] == pytest.approx(0.38)


def test_view_from_record_pivots_the_long_metrics() -> None:
    metrics = pd.DataFrame([
        ("commodity", "ga", "alliance", "shortage_share_p95", 0.3),
        ("commodity", "ga", "alliance", "peak_price_ratio_p50", 2.0),
        ("commodity", "ge", "alliance", "shortage_share_p95", 0.1),
        ("commodity", "ge", "alliance", "peak_price_ratio_p50", 3.0),
        ("capability", "cars", None, "loss_share_p50", 0.05)],
        columns=["scope", "item", "segment", "metric", "value"])
    view = view_from_record({"run_id": "abc", "status": "complete", "scenario": "s",
                             "scenario_doc": {"name": "s", "title": "S"}, "meta": {"x": 1},
                             "metrics": metrics, "draws": 10})
    assert view.summary.set_index(COMMODITY).loc["ga", "peak_price_ratio_p50"] == 2.0
    assert view.downstream.set_index(CAPABILITY).loc["cars", "loss_share_p50"] == 0.05
    assert view.worst_commodity() == "ga"  # larger P95 shortage wins over higher price
    assert view.meta["draws"] == 10 and view.meta["x"] == 1


def test_ticks_cover_the_range_with_round_steps() -> None:
    assert _ticks(0.0, 1.0) == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert _ticks(1.0, 36.0, 6)[0] == 0.0 and _ticks(1.0, 36.0, 6)[-1] <= 36.0


def test_fan_svg_mirrors_time_in_rtl() -> None:
    table = pd.DataFrame({q: [0.0, 1.0] for q in (0.05, 0.25, 0.5, 0.75, 0.95)},
                         index=[0, 1])
    ltr = fan_svg(table, "#000", share=True)
    rtl = fan_svg(table, "#000", share=True, rtl=True, digits="arabic")
    median = lambda svg: svg.split('<polyline points="')[1].split('"')[0].split()  # noqa: E731
    (x0, _), (x1, _) = (map(float, p.split(",")) for p in median(ltr))
    assert x0 < x1  # month 1 on the left
    (x0, _), (x1, _) = (map(float, p.split(",")) for p in median(rtl))
    assert x0 > x1  # month 1 on the right
    assert "١٠٠٪" in rtl and "100%" in ltr


def test_stress_report_bar_chart_names_its_axis() -> None:
    from paxsilica.report.html import bar_chart_svg

    svg = bar_chart_svg(["Gallium"], [0.25], "P95 shortage", axis_title="Shortage P95, % of demand")
    assert ">Shortage P95, % of demand</text>" in svg and "25.0%" in svg
    assert "Shortage P95, % of demand" not in bar_chart_svg(["Gallium"], [0.25], "P95 shortage")
