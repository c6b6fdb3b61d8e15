"""The Monte Carlo disruption engine: ``simulate(ds, scn) -> Results``.

Modules: ``network`` (Dataset + Scenario -> arrays), ``sampling`` (random shock parameters
per block of draws), ``levers`` (policies -> arrays), ``clearing`` (closed-form monthly
clearing), ``propagation`` (Leontief availability), ``kernel`` (the month loop),
``results`` (Results and summaries), ``simulate`` (orchestration).
"""

from paxsilica.engine.network import EngineOptions
from paxsilica.engine.results import Results
from paxsilica.engine.simulate import simulate

__all__ = ["EngineOptions", "Results", "simulate"]
