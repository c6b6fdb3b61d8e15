"""Helpers the web pages need on top of :mod:`paxsilica.workflows` (presentation only)."""

from __future__ import annotations

import pandas as pd

__all__ = ["exposure_map"]


def exposure_map(risk: pd.DataFrame) -> dict[str, float]:
    """Commodity -> share of world supply from countries of concern, from the risk table."""
    if risk.empty or "concern_share" not in risk:
        return {}
    values = risk.groupby("commodity")["concern_share"].max()
    return {str(k): float(v) for k, v in values.items() if v == v}
