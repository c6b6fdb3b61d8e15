"""paxsilica: supply-chain security analytics for the AI stack, from mineral to compute.

>>> import paxsilica as ps
>>> ds = ps.load()                       # the embedded, sourced data package
>>> table = ps.risk(ds, bloc="pax-silica")

Importing the package reads no files and starts nothing: names resolve on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "DataError",
    "Dataset",
    "ModelError",
    "NotFoundError",
    "PaxsilicaError",
    "ScenarioError",
    "StoreError",
    "__version__",
    "load",
    "risk",
]

_LAZY = {
    "Dataset": "paxsilica.model.dataset",
    "load": "paxsilica.workflows",
    "risk": "paxsilica.workflows",
    "DataError": "paxsilica.errors",
    "ModelError": "paxsilica.errors",
    "NotFoundError": "paxsilica.errors",
    "PaxsilicaError": "paxsilica.errors",
    "ScenarioError": "paxsilica.errors",
    "StoreError": "paxsilica.errors",
}

if TYPE_CHECKING:  # pragma: no cover
    from paxsilica.errors import (DataError, ModelError, NotFoundError, PaxsilicaError,
                                  ScenarioError, StoreError)
    from paxsilica.model.dataset import Dataset
    from paxsilica.workflows import load, risk


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'paxsilica' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
