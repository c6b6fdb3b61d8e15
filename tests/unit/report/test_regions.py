"""Per-region tables of a run view against hand-built rows (report/regions.py)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from paxsilica.report.figures import region_price_figure
from paxsilica.report.regions import (compare_commodities, compare_losses, has_region_view,
                                      region_commodities, regions_members_first)
from paxsilica.report.view import RunView


def _view(region_map: str = "countries") -> RunView:
    """Three regions, three commodities. JPN and KOR differ on gallium by 0.2 of shortage
    and on lithium by a price of 2 against 1 (log 2 = 0.69); cobalt is the same everywhere."""
    cells = {  # (commodity, region): (shortage P50, peak price P50)
        ("gallium", "JPN"): (0.3, 1.0), ("gallium", "KOR"): (0.1, 1.0),
        ("gallium", "CHN"): (0.0, 1.0),
        ("lithium", "JPN"): (0.0, 2.0), ("lithium", "KOR"): (0.0, 1.0),
        ("lithium", "CHN"): (0.0, 1.0),
        ("cobalt", "JPN"): (0.05, 1.5), ("cobalt", "KOR"): (0.05, 1.5),
        ("cobalt", "CHN"): (0.05, 1.5)}
    summary = pd.DataFrame([
        {"commodity": c, "region": r, "shortage_share_p50": s, "shortage_share_p95": s * 2,
         "peak_price_ratio_p50": p, "peak_price_ratio_p95": p + 1,
         "stock_out_month_p50": float("nan")} for (c, r), (s, p) in cells.items()])
    losses = pd.DataFrame([
        {"capability": "cars", "region": r, "loss_share_p50": v, "loss_share_p95": v * 3}
        for r, v in (("JPN", 0.01), ("KOR", 0.02), ("CHN", 0.0))])
    meta = {"region_map": region_map,
            "region_segments": {"CHN": "restricting", "JPN": "alliance", "KOR": "alliance"}}
    return RunView({"name": "t"}, meta, pd.DataFrame(), pd.DataFrame(),
                   region_summary=summary, region_downstream=losses)


def test_members_come_first_and_the_segments_map_has_no_region_view() -> None:
    assert regions_members_first(_view()) == ["JPN", "KOR", "CHN"]
    assert has_region_view(_view())
    assert not has_region_view(_view("segments"))
    assert not has_region_view(RunView({}, {}, pd.DataFrame(), pd.DataFrame()))


def test_region_table_is_that_regions_rows_worst_first() -> None:
    table = region_commodities(_view(), "KOR")
    # P95 shortage: gallium 0.2, cobalt 0.1, lithium 0
    assert list(table["commodity"]) == ["gallium", "cobalt", "lithium"]
    assert table.set_index("commodity").loc["gallium", "shortage_share_p50"] == 0.1
    assert region_commodities(_view(), "XXX").empty


def test_comparison_ranks_by_shortage_range_plus_log_price_range() -> None:
    table = compare_commodities(_view(), ["JPN", "KOR"])
    # lithium: log 2 = 0.693 > gallium: 0.3 - 0.1 = 0.2; cobalt does not differ
    assert list(table["commodity"]) == ["lithium", "gallium"]
    assert math.isclose(table.iloc[0]["difference"], math.log(2))
    assert table.iloc[1][("shortage_share_p50", "JPN")] == 0.3
    assert table.iloc[1][("shortage_share_p50", "KOR")] == 0.1
    assert list(compare_commodities(_view(), ["JPN", "KOR"], top=1)["commodity"]) == ["lithium"]
    losses = compare_losses(_view(), ["KOR", "CHN"])
    assert losses.iloc[0][("loss_share_p95", "KOR")] == 0.06
    assert losses.iloc[0][("loss_share_p50", "CHN")] == 0.0


def test_price_chart_shows_risen_prices_dearest_on_top_with_p5_p95_whiskers() -> None:
    rows = pd.DataFrame({"commodity": ["flat", "cheap", "dear"],
                         "peak_price_ratio_p5": [1.0, 1.0, 1.5],
                         "peak_price_ratio_p50": [1.0, 1.2, 2.0],
                         "peak_price_ratio_p95": [1.0, 1.4, 3.0]})
    fig = region_price_figure(rows, {"dear": "Dear"}, "t", "en")
    assert fig is not None
    bars = fig.data[0]
    assert list(bars.y) == ["cheap", "Dear"]  # Plotly's first bar is the bottom one
    assert list(bars.x) == [1.2, 2.0]
    assert list(bars.error_x.array) == pytest.approx([0.2, 1.0])
    assert list(bars.error_x.arrayminus) == pytest.approx([0.2, 0.5])
    assert region_price_figure(rows.iloc[:1], {}, "t", "en") is None
