"""Market concentration of one commodity's producers: HHI and top-n shares.

Conventions
-----------
* **Input.** A ``pandas.Series`` of production shares, index = ISO3 code, values = fractions of
  world output (0..1). Quantities work too: every function normalises first.
* **Normalisation.** Shares are divided by their listed total before use. Publishers round world
  totals (USGS), so listed shares sum to 1 within a few percent; normalising to the listed total
  is the usual practice and makes the functions insensitive to the unit. A total of 0 (no
  recorded output) gives ``nan`` for :func:`hhi` and no top country.
* **Rest of world.** ``ROW`` (:data:`paxsilica.data.schema.REST_OF_WORLD`) is the publisher's
  lumped remainder ("Other countries"). It counts in the denominator (it is part of world
  output) but it is *not one producer*: by default it adds nothing to the sum of squares, i.e.
  it is treated as infinitely fragmented. This gives a lower bound; ``rest_of_world="single"``
  counts it as one producer and gives the upper bound. The true HHI lies between the two.
  ``ROW`` is never the top country and does not count in top-n shares.
"""

from __future__ import annotations

import math
from typing import Literal

import pandas as pd

from paxsilica.data.schema import REST_OF_WORLD
from paxsilica.errors import ModelError

__all__ = ["hhi", "normalised_shares", "top_country", "top_shares"]

RestOfWorld = Literal["exclude", "single"]

#: HHI of a monopoly when shares are fractions: (100 %)^2.
HHI_SCALE = 10_000.0


def normalised_shares(shares: pd.Series) -> pd.Series:
    """Shares divided by their total (``ROW`` included); a new Series, the input is untouched.

    Parameters
    ----------
    shares : pandas.Series
        Index = ISO3 code (or ``ROW``); values = shares or quantities, >= 0.

    Returns
    -------
    pandas.Series
        Fractions summing to 1 (float), same index; all ``nan`` if the total is 0.

    Raises
    ------
    ModelError
        If a value is negative or missing, or an ISO3 code appears twice.
    """
    values = pd.Series(shares, dtype="float64", copy=True)
    if values.index.has_duplicates:
        dup = sorted(set(values.index[values.index.duplicated()]))
        raise ModelError(f"shares: country codes appear more than once: {', '.join(dup)}")
    if values.isna().any():
        bad = sorted(map(str, values.index[values.isna()]))
        raise ModelError(f"shares: missing value for {', '.join(bad)}; expected a number >= 0")
    if (values < 0).any():
        bad = sorted(map(str, values.index[values < 0]))
        raise ModelError(f"shares: negative value for {', '.join(bad)}; expected >= 0")
    total = float(values.sum())
    if total <= 0:
        return values * math.nan
    return values / total


def hhi(shares: pd.Series, rest_of_world: RestOfWorld = "exclude") -> float:
    """Herfindahl-Hirschman index on the 0..10,000 scale.

    ``HHI = 10,000 x sum_i s_i^2`` with ``s_i`` the normalised share of producer ``i``.

    Parameters
    ----------
    shares : pandas.Series
        Index = ISO3 (``ROW`` allowed); values = fractions or quantities (normalised first).
    rest_of_world : {"exclude", "single"}
        ``"exclude"`` (default): ``ROW`` is in the denominator but adds nothing to the sum
        (fragmented; lower bound). ``"single"``: ``ROW`` counts as one producer (upper bound).

    Returns
    -------
    float
        HHI in [0, 10,000] (dimensionless); ``nan`` when the total is 0 or, with
        ``"exclude"``, when only ``ROW`` is recorded (no country-level data).

    Examples
    --------
    >>> round(hhi(pd.Series({"AAA": 0.5, "BBB": 0.3, "CCC": 0.2})), 6)
    3800.0
    >>> round(hhi(pd.Series({"AAA": 0.5, "ROW": 0.5})), 6)
    2500.0
    """
    fractions = normalised_shares(shares)
    if fractions.empty or fractions.isna().any():  # no recorded output: undefined, not 0
        return math.nan
    if rest_of_world == "exclude":
        fractions = fractions.drop(REST_OF_WORLD, errors="ignore")
        if fractions.empty:  # only a lumped remainder: no country-level data, not "no risk"
            return math.nan
    elif rest_of_world != "single":
        raise ModelError(f"rest_of_world '{rest_of_world}': expected 'exclude' or 'single'")
    return HHI_SCALE * float((fractions**2).sum())


def top_shares(shares: pd.Series, n: int = 3) -> pd.Series:
    """The ``n`` largest producers' normalised shares, largest first, ``ROW`` left out.

    Parameters
    ----------
    shares : pandas.Series
        Index = ISO3; values = fractions or quantities (normalised to the total incl. ``ROW``).
    n : int
        How many producers (>= 1). Fewer are returned when fewer exist.

    Returns
    -------
    pandas.Series
        Fractions, index = ISO3, sorted by share descending then code ascending (ties are
        broken by code so the result is deterministic). ``.sum()`` is the top-n share.
    """
    if n < 1:
        raise ModelError(f"top_shares: n = {n}; expected an integer >= 1")
    fractions = normalised_shares(shares).drop(REST_OF_WORLD, errors="ignore")
    fractions = fractions[fractions > 0]
    order = sorted(fractions.index, key=lambda code: (-fractions[code], str(code)))
    return fractions.loc[order[:n]]


def top_country(shares: pd.Series) -> tuple[str | None, float]:
    """The largest named producer and its normalised share; ``ROW`` is never the top.

    Returns
    -------
    tuple of (str or None, float)
        ISO3 code and share (0..1); ``(None, nan)`` when no named country produces.
    """
    top = top_shares(shares, 1)
    if top.empty:
        return None, math.nan
    return str(top.index[0]), float(top.iloc[0])
