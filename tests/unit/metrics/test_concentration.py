"""HHI and top-n shares against hand calculations."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from paxsilica.errors import ModelError
from paxsilica.metrics import hhi, normalised_shares, top_country, top_shares


def test_hhi_hand_calculation() -> None:
    # 10,000 x (0.5^2 + 0.3^2 + 0.2^2) = 10,000 x (0.25 + 0.09 + 0.04) = 3,800
    assert hhi(pd.Series({"AAA": 0.5, "BBB": 0.3, "CCC": 0.2})) == pytest.approx(3800.0)


def test_hhi_of_monopoly_and_equal_split() -> None:
    assert hhi(pd.Series({"AAA": 1.0})) == pytest.approx(10_000.0)
    # four equal producers: 4 x 0.25^2 x 10,000 = 2,500
    assert hhi(pd.Series(0.25, index=["A", "B", "C", "D"])) == pytest.approx(2500.0)


def test_hhi_normalises_to_the_listed_total() -> None:
    # USGS-like rounding: listed shares sum to 1.04; normalised = 0.52/1.04 = 0.5 etc.
    rounded = pd.Series({"AAA": 0.52, "BBB": 0.312, "CCC": 0.208})
    assert hhi(rounded) == pytest.approx(3800.0)
    # quantities give the same answer as fractions
    assert hhi(pd.Series({"AAA": 50.0, "BBB": 30.0, "CCC": 20.0})) == pytest.approx(3800.0)


def test_rest_of_world_counts_in_total_but_not_as_a_producer() -> None:
    shares = pd.Series({"AAA": 0.6, "BBB": 0.2, "ROW": 0.2})
    # default: ROW fragmented -> 10,000 x (0.36 + 0.04) = 4,000 (not normalised to 0.8)
    assert hhi(shares) == pytest.approx(4000.0)
    # upper bound: ROW as one producer -> 10,000 x (0.36 + 0.04 + 0.04) = 4,400
    assert hhi(shares, rest_of_world="single") == pytest.approx(4400.0)


def test_rest_of_world_is_never_top_and_not_in_top3() -> None:
    shares = pd.Series({"ROW": 0.7, "AAA": 0.2, "BBB": 0.1})
    assert top_country(shares) == ("AAA", pytest.approx(0.2))
    assert list(top_shares(shares, 3).index) == ["AAA", "BBB"]
    assert top_shares(shares, 3).sum() == pytest.approx(0.3)


def test_top3_hand_calculation_and_ties() -> None:
    shares = pd.Series({"EEE": 0.05, "DDD": 0.15, "CCC": 0.2, "BBB": 0.2, "AAA": 0.4})
    top3 = top_shares(shares, 3)
    # ties (BBB, CCC at 0.2) broken by code
    assert list(top3.index) == ["AAA", "BBB", "CCC"]
    assert top3.sum() == pytest.approx(0.8)
    assert top_shares(shares, 1).sum() == pytest.approx(0.4)


def test_no_output_gives_nan_and_no_top() -> None:
    assert math.isnan(hhi(pd.Series({"AAA": 0.0, "BBB": 0.0})))
    assert math.isnan(hhi(pd.Series(dtype=float)))
    code, share = top_country(pd.Series({"ROW": 1.0}))
    assert code is None and math.isnan(share)


@pytest.mark.parametrize("bad", [{"AAA": -0.1, "BBB": 1.1}, {"AAA": float("nan"), "BBB": 1.0}])
def test_bad_shares_raise_model_error_naming_the_country(bad: dict) -> None:
    with pytest.raises(ModelError, match="AAA"):
        hhi(pd.Series(bad))


def test_duplicate_codes_raise() -> None:
    with pytest.raises(ModelError, match="more than once"):
        hhi(pd.Series([0.5, 0.5], index=["AAA", "AAA"]))


def test_bad_options_raise() -> None:
    with pytest.raises(ModelError, match="rest_of_world"):
        hhi(pd.Series({"AAA": 1.0}), rest_of_world="half")  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="n = 0"):
        top_shares(pd.Series({"AAA": 1.0}), 0)


def test_inputs_are_not_mutated() -> None:
    shares = pd.Series({"AAA": 5.0, "BBB": 3.0, "ROW": 2.0})
    before = shares.copy()
    hhi(shares)
    top_shares(shares, 2)
    top_country(shares)
    normalised_shares(shares)
    pd.testing.assert_series_equal(shares, before)


def test_only_rest_of_world_is_unknown_not_zero_risk() -> None:
    from paxsilica.metrics import hhi_wgi

    only_row = pd.Series({"ROW": 1.0})
    assert math.isnan(hhi(only_row))
    assert hhi(only_row, rest_of_world="single") == 10_000
    assert math.isnan(hhi_wgi(only_row, {}))
