"""Invariants of the risk metrics (hypothesis)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from paxsilica.metrics import hhi, supply_risk, top_shares
from tests.conftest import FUZZ_PROFILE

TOL = 1e-9

weights = st.lists(st.floats(min_value=1e-6, max_value=1e6, allow_nan=False), min_size=1,
                   max_size=30)
unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


def _shares(values: list[float]) -> pd.Series:
    codes = [f"C{i:02d}" for i in range(len(values))]
    series = pd.Series(values, index=codes, dtype="float64")
    return series / series.sum()


@given(weights)
def test_hhi_between_equal_split_and_monopoly(values: list[float]) -> None:
    n = len(values)
    value = hhi(_shares(values))
    assert 10_000 / n - TOL * 10_000 <= value <= 10_000 + TOL * 10_000


@given(st.integers(min_value=0, max_value=20))
def test_monopoly_is_10000_whatever_the_zeros(n_zero: int) -> None:
    shares = pd.Series([1.0] + [0.0] * n_zero, index=[f"C{i}" for i in range(n_zero + 1)])
    assert abs(hhi(shares) - 10_000) < 1e-6


@given(weights)
def test_equal_split_reaches_the_lower_bound(values: list[float]) -> None:
    n = len(values)
    assert abs(hhi(_shares([1.0] * n)) - 10_000 / n) < 1e-6


@given(weights, st.floats(min_value=0.0, max_value=1e6, allow_nan=False))
def test_top1_le_top3_le_one(values: list[float], rest: float) -> None:
    shares = _shares(values)
    with_row = pd.concat([shares, pd.Series({"ROW": rest})])
    for series in (shares, with_row):
        top1, top3 = top_shares(series, 1).sum(), top_shares(series, 3).sum()
        assert 0 < top1 <= top3 + TOL <= 1 + 2 * TOL


@given(weights, st.floats(min_value=0.0, max_value=1e6, allow_nan=False))
def test_rest_of_world_bounds(values: list[float], rest: float) -> None:
    shares = pd.concat([_shares(values), pd.Series({"ROW": rest})])
    assert hhi(shares) <= hhi(shares, rest_of_world="single") + TOL * 10_000


@settings(max_examples=60, derandomize=FUZZ_PROFILE != "long")
@given(weights, weights, unit, unit, unit, unit, unit,
       st.lists(st.floats(min_value=0.0, max_value=10.0), min_size=30, max_size=30))
def test_supply_risk_monotone_in_si_and_eol(
    global_values: list[float], sourcing_values: list[float], ir: float,
    si_a: float, si_b: float, eol_a: float, eol_b: float, scores: list[float],
) -> None:
    wgi = pd.Series(scores, index=[f"C{i:02d}" for i in range(30)])
    global_shares, sourcing = _shares(global_values), _shares(sourcing_values)
    si_low, si_high = sorted((si_a, si_b))
    eol_low, eol_high = sorted((eol_a, eol_b))

    def sr(si: float, eol: float) -> float:
        return supply_risk(global_shares, sourcing, ir, eol, si, wgi)

    assert sr(si_low, eol_a) <= sr(si_high, eol_a) + TOL  # non-decreasing in SI
    assert sr(si_a, eol_high) <= sr(si_a, eol_low) + TOL  # non-increasing in EoL_RIR
    assert 0.0 <= sr(si_high, eol_low) <= 10.0 + TOL  # 0..10 scale with t = 1
