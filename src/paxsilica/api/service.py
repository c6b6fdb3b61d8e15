"""Helpers the web pages need on top of :mod:`paxsilica.workflows` (presentation only)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from paxsilica.report.view import RunView

__all__ = ["exposure_map", "run_summary_records"]


def exposure_map(risk: pd.DataFrame) -> dict[str, float]:
    """Commodity -> share of world supply from countries of concern, from the risk table."""
    if risk.empty or "concern_share" not in risk:
        return {}
    values = risk.groupby("commodity")["concern_share"].max()
    return {str(k): float(v) for k, v in values.items() if v == v}


def run_summary_records(view: RunView) -> dict[str, Any]:
    """Summary and downstream as JSON-ready records."""
    return {"summary": view.summary.to_dict(orient="records"),
            "downstream": view.downstream.to_dict(orient="records")}
