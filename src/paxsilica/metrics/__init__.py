"""Risk metrics: concentration, EU supply risk and a bloc's exposure (pure functions, no I/O).

Every function takes data (a ``pandas.Series`` of shares, or a ``Dataset``) and returns new
objects; inputs are never modified.
"""

from paxsilica.metrics.concentration import hhi, normalised_shares, top_country, top_shares
from paxsilica.metrics.exposure import risk_table
from paxsilica.metrics.supply_risk import hhi_wgi, scaled_wgi, supply_risk

__all__ = [
    "hhi",
    "hhi_wgi",
    "normalised_shares",
    "risk_table",
    "scaled_wgi",
    "supply_risk",
    "top_country",
    "top_shares",
]
