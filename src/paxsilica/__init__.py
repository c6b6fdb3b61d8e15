"""paxsilica: supply-chain security analytics for the AI stack, from mineral to compute.

>>> import paxsilica as ps
>>> ds = ps.load()                       # the embedded, sourced data package
>>> table = ps.risk(ds, bloc="pax-silica")
>>> japan = ps.country_profile(ds, "JPN")   # dependencies, suppliers, layers held
>>> results = ps.simulate("ga-ge-ban", runs=200, seed=1)   # unstored; see paxsilica.workflows

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
    "country_profile",
    "load",
    "risk",
    "simulate",
]

_LAZY = {
    "Dataset": "paxsilica.model.dataset",
    "country_profile": "paxsilica.workflows",
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
    from paxsilica.engine import Results
    from paxsilica.workflows import country_profile, load, risk


def simulate(scenario: Any, runs: int | None = None, seed: int | None = None,
             data: Any = None, parameters: str = "posterior") -> Results:
    """Simulate a scenario (built-in name, YAML path or Scenario) without storing it.

    ``parameters``: ``posterior`` (behavioural parameters sampled from the calibration's
    posterior), ``median`` or ``shipped`` (:mod:`paxsilica.calibration.posterior`).
    Returns the engine's ``Results`` (``summary``, ``downstream``, ``cost``, ``meta``). Use
    :func:`paxsilica.workflows.simulate_scenario` to record the run in the DuckDB store.
    """
    from paxsilica.workflows import simulate_scenario

    return simulate_scenario(scenario, runs=runs, seed=seed, data=data, store=False,
                             parameters=parameters).results


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'paxsilica' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
