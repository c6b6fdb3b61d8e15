"""EU supply risk (EC 2017 / Blengini et al. 2017) against hand calculations."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from paxsilica.errors import ModelError
from paxsilica.metrics import hhi_wgi, scaled_wgi, supply_risk


def test_scaled_wgi_end_points_and_direction() -> None:
    # (2.5 - e) / 5 x 10: best governance -> 0, worst -> 10, neutral 0 -> 5
    assert scaled_wgi(2.5) == pytest.approx(0.0)
    assert scaled_wgi(-2.5) == pytest.approx(10.0)
    assert scaled_wgi(0.0) == pytest.approx(5.0)
    assert scaled_wgi(1.2) == pytest.approx(2.6)
    assert scaled_wgi(3.0) == pytest.approx(0.0)  # clipped
    assert math.isnan(scaled_wgi(float("nan")))
    series = pd.Series({"AAA": -1.0, "BBB": None})
    out = scaled_wgi(series)
    assert out["AAA"] == pytest.approx(7.0) and math.isnan(out["BBB"])
    assert series["AAA"] == -1.0  # input untouched


def test_hhi_wgi_hand_calculation_with_trade_factor() -> None:
    shares = pd.Series({"AAA": 0.6, "BBB": 0.3, "ROW": 0.1})
    wgi = {"AAA": 7.0, "BBB": 2.0}
    # 0.36 x 7 + 0.09 x 2 = 2.52 + 0.18 = 2.70 (ROW adds nothing)
    assert hhi_wgi(shares, wgi) == pytest.approx(2.70)
    # with t_AAA = 1.1 (export restriction): 0.36 x 7 x 1.1 + 0.18 = 2.772 + 0.18 = 2.952
    assert hhi_wgi(shares, wgi, {"AAA": 1.1}) == pytest.approx(2.952)


def test_worked_supply_risk_example() -> None:
    # Global shares A .6, B .3, ROW .1; sourcing A .2, B .5, C .3.
    # WGI estimates A -1.0, B 1.5, C 0.5 -> scaled 5 - 2e: A 7, B 2, C 4.
    # t_A = 1.1 (export quota), others 1. IR = 0.6, EoL_RIR = 0.1, SI_SR = 0.8.
    # HHI_WGI,t global   = 0.36 x 7 x 1.1 + 0.09 x 2           = 2.772 + 0.18        = 2.952
    # HHI_WGI,t sourcing = 0.04 x 7 x 1.1 + 0.25 x 2 + 0.09 x 4 = 0.308 + 0.5 + 0.36 = 1.168
    # blend = 2.952 x 0.6/2 + 1.168 x (1 - 0.6/2) = 0.8856 + 0.8176            = 1.7032
    # SR    = 1.7032 x (1 - 0.1) x 0.8                                          = 1.226304
    wgi = scaled_wgi(pd.Series({"A": -1.0, "B": 1.5, "C": 0.5}))
    sr = supply_risk(
        global_shares=pd.Series({"A": 0.6, "B": 0.3, "ROW": 0.1}),
        sourcing_shares=pd.Series({"A": 0.2, "B": 0.5, "C": 0.3}),
        import_reliance=0.6,
        eol_rir=0.1,
        substitution_index=0.8,
        wgi_scaled=wgi,
        trade_factor={"A": 1.1},
    )
    assert sr == pytest.approx(1.226304)


def test_import_reliance_extremes_and_clipping() -> None:
    global_shares, sourcing = pd.Series({"A": 1.0}), pd.Series({"B": 1.0})
    wgi = {"A": 8.0, "B": 2.0}
    # IR = 0 -> sourcing only (2); IR = 1 -> half and half (5); IR < 0 clipped to 0
    assert supply_risk(global_shares, sourcing, 0.0, 0.0, 1.0, wgi) == pytest.approx(2.0)
    assert supply_risk(global_shares, sourcing, 1.0, 0.0, 1.0, wgi) == pytest.approx(5.0)
    assert supply_risk(global_shares, sourcing, -0.4, 0.0, 1.0, wgi) == pytest.approx(2.0)


def test_missing_import_reliance_allowed_only_when_terms_agree() -> None:
    shares, wgi = pd.Series({"A": 0.5, "B": 0.5}), {"A": 8.0, "B": 2.0}
    # pooled market: 0.25 x 8 + 0.25 x 2 = 2.5; x (1 - 0.2) x 0.5 = 1.0
    assert supply_risk(shares, None, None, 0.2, 0.5, wgi) == pytest.approx(1.0)
    assert supply_risk(shares, shares, float("nan"), 0.2, 0.5, wgi) == pytest.approx(1.0)
    with pytest.raises(ModelError, match="import_reliance"):
        supply_risk(shares, pd.Series({"A": 1.0}), None, 0.2, 0.5, wgi)


def test_missing_wgi_rules() -> None:
    shares = pd.Series({"A": 0.5, "B": 0.5})
    wgi = {"A": 8.0, "C": 2.0, "D": 4.0}  # B has no score; median of 8, 2, 4 = 4
    # median: 0.25 x 8 + 0.25 x 4 = 3.0; worst: 0.25 x 8 + 0.25 x 10 = 4.5
    assert hhi_wgi(shares, wgi) == pytest.approx(3.0)
    assert hhi_wgi(shares, wgi, missing_wgi="worst") == pytest.approx(4.5)
    with pytest.raises(ModelError, match="no WGI score for B"):
        hhi_wgi(shares, wgi, missing_wgi="raise")
    with pytest.raises(ModelError, match="no median"):
        hhi_wgi(shares, {})
    # ROW and zero-share producers never need a score
    assert hhi_wgi(pd.Series({"A": 0.5, "ROW": 0.5, "Z": 0.0}), {"A": 8.0},
                   missing_wgi="raise") == pytest.approx(2.0)


@pytest.mark.parametrize("field, args", [
    ("eol_rir", (1.2, 0.5)), ("substitution_index", (0.1, -0.1)),
    ("eol_rir", (float("nan"), 0.5)),
])
def test_rates_outside_unit_interval_raise(field: str, args: tuple[float, float]) -> None:
    with pytest.raises(ModelError, match=field):
        supply_risk(pd.Series({"A": 1.0}), None, None, args[0], args[1], {"A": 5.0})


def test_non_positive_trade_factor_raises() -> None:
    with pytest.raises(ModelError, match="trade_factor"):
        hhi_wgi(pd.Series({"A": 1.0}), {"A": 5.0}, {"A": 0.0})


def test_no_output_gives_nan() -> None:
    assert math.isnan(supply_risk(pd.Series({"A": 0.0}), None, None, 0.0, 1.0, {"A": 5.0}))


def test_inputs_are_not_mutated() -> None:
    shares, wgi, factor = pd.Series({"A": 6.0, "B": 4.0}), pd.Series({"A": 7.0}), pd.Series(
        {"A": 1.1})
    copies = shares.copy(), wgi.copy(), factor.copy()
    supply_risk(shares, shares, 0.5, 0.1, 0.9, wgi, factor)
    for after, before in zip((shares, wgi, factor), copies, strict=True):
        pd.testing.assert_series_equal(after, before)
