"""The EU critical-raw-materials supply-risk indicator (SR).

Method: European Commission (2017), *Methodology for establishing the EU list of critical raw
materials* (guidelines), and Blengini et al. (2017), *Assessment of the methodology for
establishing the EU list of critical raw materials*, JRC EUR 28654 EN, doi:10.2760/73303::

    SR = [HHI_WGI,t(global) x IR/2 + HHI_WGI,t(sourcing) x (1 - IR/2)] x (1 - EoL_RIR) x SI_SR

    HHI_WGI,t = sum_i  s_i^2 x WGI_i x t_i

* ``s_i`` are fractions (0..1), so HHI_WGI,t and SR lie on a 0..10 scale (x max ``t``).
* ``WGI_i`` is the World Bank Worldwide Governance Indicators estimate rescaled to 0..10 with
  higher = worse governance: ``WGI_scaled = (2.5 - estimate) / 5 x 10 = 5 - 2 x estimate``
  (:func:`scaled_wgi`). The package's ``countries.wgi`` is the mean of the six WGI estimates.
* ``t_i`` is the trade-related variable, default 1. The EC (2017) guidelines raise it for a
  country applying an export tax, export quota or export prohibition on the material and lower
  it where an EU trade agreement covers the material. We could not retrieve the guidelines'
  table of values, so paxsilica ships none: every ``t`` is 1 unless the caller passes a
  per-country mapping through ``trade_factor`` (countries not in it get 1).
* ``IR`` is import reliance = net imports / apparent consumption, clipped to 0..1 (a net
  exporter has IR 0, as in the EC method). The global term gets weight IR/2 and the sourcing
  term (the importer's actual suppliers, domestic production included) weight 1 - IR/2.
* ``EoL_RIR`` is the end-of-life recycling input rate and ``SI_SR`` the supply-risk substitution
  index (1 = no substitute), both 0..1.

Conventions
-----------
* **Normalisation** and **rest of world** follow :mod:`paxsilica.metrics.concentration`:
  shares are divided by their listed total, and ``ROW`` counts in that total but adds nothing to
  the sum (fragmented into many small producers). ``ROW`` therefore needs no WGI score.
* **Missing WGI.** A producer with a positive share but no score gets, by default, the median
  of the scores supplied (``missing_wgi="median"``): a neutral value that neither hides nor
  inflates the country's weight; ``"worst"`` uses 10 (the cautious bound) and ``"raise"``
  refuses. Every sovereign state has a WGI score, so this mostly concerns territories.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from paxsilica.data.schema import REST_OF_WORLD
from paxsilica.errors import ModelError
from paxsilica.metrics.concentration import normalised_shares

__all__ = ["hhi_wgi", "scaled_wgi", "supply_risk"]

MissingWgi = Literal["median", "worst", "raise"]

WGI_ESTIMATE_RANGE = (-2.5, 2.5)
WGI_SCALED_WORST = 10.0


def scaled_wgi(estimate: float | pd.Series) -> float | pd.Series:
    """WGI estimate (-2.5 weak .. 2.5 strong) rescaled to 0..10, higher = worse governance.

    ``scaled = (2.5 - estimate) / 5 x 10``; estimates outside -2.5..2.5 (rare) are clipped.
    Missing values stay missing.

    Parameters
    ----------
    estimate : float or pandas.Series
        WGI estimate(s), -2.5 (weak) .. 2.5 (strong governance).

    Returns
    -------
    float or pandas.Series
        0 (best) .. 10 (worst); same shape as the input (a new object).

    Examples
    --------
    >>> scaled_wgi(2.5), scaled_wgi(0.0), scaled_wgi(-2.5)
    (0.0, 5.0, 10.0)
    """
    low, high = WGI_ESTIMATE_RANGE
    if isinstance(estimate, pd.Series):
        values = pd.to_numeric(estimate, errors="coerce").astype("float64").clip(low, high)
        return (high - values) / (high - low) * WGI_SCALED_WORST
    value = float(estimate)
    if math.isnan(value):
        return math.nan
    return (high - min(max(value, low), high)) / (high - low) * WGI_SCALED_WORST


def hhi_wgi(
    shares: pd.Series,
    wgi_scaled: pd.Series | Mapping[str, float],
    trade_factor: pd.Series | Mapping[str, float] | None = None,
    missing_wgi: MissingWgi = "median",
) -> float:
    """Governance-weighted concentration ``sum_i s_i^2 x WGI_i x t_i`` (0..10 x max ``t``).

    Parameters
    ----------
    shares : pandas.Series
        Index = ISO3 (``ROW`` allowed); fractions or quantities, normalised to their total.
    wgi_scaled : pandas.Series or mapping
        ISO3 -> scaled WGI (0..10, see :func:`scaled_wgi`). May hold more countries.
    trade_factor : pandas.Series or mapping, optional
        ISO3 -> ``t`` (> 0); countries not listed get 1.
    missing_wgi : {"median", "worst", "raise"}
        What a producer without a score gets: the median of the supplied scores, 10, or an error.

    Returns
    -------
    float
        ``nan`` when the shares total 0 or only ``ROW`` has output.

    Examples
    --------
    >>> round(hhi_wgi(pd.Series({"AAA": 0.5, "BBB": 0.5}), {"AAA": 8.0, "BBB": 2.0}), 6)
    2.5
    """
    fractions = normalised_shares(shares)
    if fractions.empty or fractions.isna().any():
        return math.nan
    producers = fractions.drop(REST_OF_WORLD, errors="ignore")
    producers = producers[producers > 0]
    if producers.empty:  # only a lumped remainder: no country-level data
        return math.nan
    scores = _scores_for(producers.index, wgi_scaled, missing_wgi)
    factors = _factors_for(producers.index, trade_factor)
    return float((producers**2 * scores * factors).sum())


def supply_risk(
    global_shares: pd.Series,
    sourcing_shares: pd.Series | None,
    import_reliance: float | None,
    eol_rir: float,
    substitution_index: float,
    wgi_scaled: pd.Series | Mapping[str, float],
    trade_factor: pd.Series | Mapping[str, float] | None = None,
    missing_wgi: MissingWgi = "median",
) -> float:
    """EU supply risk SR (0..10 scale; see the module docstring for the formula).

    Parameters
    ----------
    global_shares : pandas.Series
        World production shares by ISO3 (fractions or quantities).
    sourcing_shares : pandas.Series or None
        The importer's supply mix by ISO3 (its own production plus imports by exporter).
        ``None`` = same as ``global_shares`` (buying from the pooled world market).
    import_reliance : float or None
        Net imports / apparent consumption; clipped to 0..1. ``None`` or ``nan`` is accepted
        only when both HHI terms are equal, because the blend then does not depend on it.
    eol_rir : float
        End-of-life recycling input rate, 0..1.
    substitution_index : float
        SI_SR, 0..1 (1 = no substitute).
    wgi_scaled, trade_factor, missing_wgi
        As in :func:`hhi_wgi`.

    Returns
    -------
    float
        SR; ``nan`` when the global shares total 0.

    Raises
    ------
    ModelError
        For a rate outside 0..1, or a missing IR when the two HHI terms differ.
    """
    _check_fraction("eol_rir", eol_rir)
    _check_fraction("substitution_index", substitution_index)
    global_term = hhi_wgi(global_shares, wgi_scaled, trade_factor, missing_wgi)
    if sourcing_shares is None:
        sourcing_term = global_term
    else:
        sourcing_term = hhi_wgi(sourcing_shares, wgi_scaled, trade_factor, missing_wgi)
    blend = _blend(global_term, sourcing_term, import_reliance)
    return blend * (1.0 - eol_rir) * substitution_index


def _blend(global_term: float, sourcing_term: float, import_reliance: float | None) -> float:
    if import_reliance is None or math.isnan(import_reliance):
        if math.isnan(global_term) or math.isnan(sourcing_term):
            return math.nan
        if math.isclose(global_term, sourcing_term, rel_tol=1e-12, abs_tol=1e-12):
            return global_term
        raise ModelError(
            "supply_risk: import_reliance is missing but the global and sourcing HHI_WGI differ "
            f"({global_term:.4g} vs {sourcing_term:.4g}); give a value in 0..1"
        )
    half_ir = min(max(float(import_reliance), 0.0), 1.0) / 2.0
    return global_term * half_ir + sourcing_term * (1.0 - half_ir)


def _scores_for(
    codes: pd.Index, wgi_scaled: pd.Series | Mapping[str, float], missing_wgi: MissingWgi
) -> pd.Series:
    supplied = pd.Series(wgi_scaled, dtype="float64")
    scores = supplied.reindex(codes)
    gaps = scores.index[scores.isna()]
    if len(gaps) == 0:
        return scores
    if missing_wgi == "raise":
        raise ModelError(f"hhi_wgi: no WGI score for {', '.join(map(str, gaps))}")
    if missing_wgi == "worst":
        return scores.fillna(WGI_SCALED_WORST)
    if missing_wgi != "median":
        raise ModelError(f"missing_wgi '{missing_wgi}': expected 'median', 'worst' or 'raise'")
    known = supplied.dropna()
    if known.empty:
        raise ModelError("hhi_wgi: no WGI scores supplied, so there is no median to fill "
                         f"{', '.join(map(str, gaps))} with")
    return scores.fillna(float(np.median(known)))


def _factors_for(
    codes: pd.Index, trade_factor: pd.Series | Mapping[str, float] | None
) -> pd.Series:
    if trade_factor is None:
        return pd.Series(1.0, index=codes)
    factors = pd.Series(trade_factor, dtype="float64").reindex(codes).fillna(1.0)
    if (factors <= 0).any():
        bad = ", ".join(map(str, factors.index[factors <= 0]))
        raise ModelError(f"trade_factor: {bad} must be > 0 (1 = no trade measure)")
    return factors


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 <= float(value) <= 1.0:  # also rejects nan
        raise ModelError(f"supply_risk: {name} = {value}; expected a fraction in 0..1")
