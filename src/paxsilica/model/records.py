"""Tables and values as JSON-ready Python: the one conversion the CLI, the API and the
profiles share (NaN/inf -> ``None``, numpy scalars -> Python, timestamps -> ISO text)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["json_records", "json_safe"]


def json_safe(value: Any) -> Any:
    """``value`` with NaN/inf as ``None``, numpy scalars as Python, dates as ISO text;
    dicts, lists and tuples converted element by element."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return json_safe(value.item())
    return value


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as a list of JSON-safe records (one dict per row)."""
    return [json_safe(row) for row in frame.to_dict(orient="records")]
