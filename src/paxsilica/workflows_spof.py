"""Single points of failure (``paxsilica spof``): the N-1 sweep and the structural view.

One use case shared by the CLI, the dashboard page and the report: load the data, list the
nodes above a share threshold (:mod:`paxsilica.metrics.spof`), run the N-1 sweep against the
built-in ``baseline`` (:mod:`paxsilica.policy.n_minus_one`) and read the recipe graph for
inputs and capabilities that one country controls.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from paxsilica.metrics.spof import (
    DEFAULT_DOMINANCE,
    DEFAULT_THRESHOLD,
    capability_cuts,
    outage_nodes,
    sole_sources,
)
from paxsilica.model.dataset import Dataset
from paxsilica.policy.n_minus_one import (
    DEFAULT_DRAWS,
    DEFAULT_MONTHS,
    Outage,
    OutageSweep,
    run_outage_sweep,
)
from paxsilica.report.spof import write_spof_report as write_section
from paxsilica.workflows import Scale, load, load_scenario, resolve_seed

__all__ = ["BASE_SCENARIO", "SpofRequest", "SpofResult", "spof", "spof_payload",
           "write_spof_report"]

#: The reference run every node's outage is added to.
BASE_SCENARIO = "baseline"


@dataclass(frozen=True)
class SpofRequest:
    """What ``paxsilica spof`` asks: the bloc measured, which nodes, how each is lost, and
    the Monte Carlo size (draws per node; one seed for all: common random numbers)."""

    bloc: str = "pax-silica"
    threshold: float = DEFAULT_THRESHOLD
    months: int = DEFAULT_MONTHS
    severity: float = 1.0
    start_month: int = 0
    draws: int = DEFAULT_DRAWS
    seed: int | None = None
    dominance: float = DEFAULT_DOMINANCE


@dataclass(frozen=True)
class SpofResult:
    """The sweep (ranked nodes), the structural view and the sweep's wall time (s)."""

    request: SpofRequest
    sweep: OutageSweep
    sole_sources: pd.DataFrame
    capability_cuts: pd.DataFrame
    dataset_hash: str
    seconds: float


def spof(request: SpofRequest | None = None, *, data: str | Path | None = None,
         ds: Dataset | None = None, scale: Scale | None = None) -> SpofResult:
    """Rank the single points of failure of ``request.bloc`` and read the recipe graph.

    Raises
    ------
    NotFoundError
        An unknown bloc.
    ModelError
        A threshold or dominance outside (0, 1], fewer than 2 draws.
    ScenarioError
        An outage that does not fit the baseline (severity outside 0..1, months < 1, a start
        month at or after its horizon).
    """
    request = request or SpofRequest()
    ds = ds if ds is not None else load(data)
    ds.members(request.bloc)  # an unknown bloc fails here, listing the known ones
    base = load_scenario(BASE_SCENARIO, ds).model_copy(update={"bloc": request.bloc})
    nodes = outage_nodes(ds, request.threshold)
    structural = (sole_sources(ds, request.dominance), capability_cuts(ds, request.dominance))
    scale = scale or Scale()
    started = time.perf_counter()
    sweep = run_outage_sweep(
        ds, base, nodes, outage=Outage(request.months, request.severity, request.start_month),
        draws=request.draws, seed=resolve_seed(request.seed, base), processes=scale.workers,
        scheduler=scale.scheduler, backend=scale.backend, precision=scale.precision)
    return SpofResult(request, sweep, *structural, ds.content_hash,
                      time.perf_counter() - started)


def spof_payload(result: SpofResult, limit: int | None = None) -> dict[str, object]:
    """The ``spof --format json`` document: settings, the ranking (first ``limit`` rows) and
    the structural view."""
    sweep, request = result.sweep, result.request
    ranking = sweep.table if limit is None else sweep.table.head(limit)
    cuts = result.capability_cuts.assign(path=[list(p) for p in result.capability_cuts["path"]])
    return {
        "bloc": sweep.bloc, "base": sweep.base, "threshold": request.threshold,
        "months": sweep.outage.months, "severity": sweep.outage.severity,
        "start_month": sweep.outage.start_month, "draws": sweep.draws, "seed": sweep.seed,
        "dominance": request.dominance, "nodes": len(sweep.table),
        "dataset_hash": result.dataset_hash, "seconds": round(result.seconds, 3),
        "ranking": ranking.astype(object).where(ranking.notna(), None).to_dict("records"),
        "sole_sources": result.sole_sources.to_dict("records"),
        "capability_cuts": cuts.to_dict("records"),
    }


def write_spof_report(result: SpofResult, out: str | Path, lang: str = "en",
                      digits: str = "latin", data: str | Path | None = None,
                      ds: Dataset | None = None) -> Path:
    """Write the sweep's ranking and the structural view as a self-contained HTML report."""
    ds = ds if ds is not None else load(data)
    return write_section(result.sweep, result.sole_sources, result.capability_cuts, ds,
                         Path(out), threshold=result.request.threshold,
                         dominance=result.request.dominance, lang=lang, digits=digits)
