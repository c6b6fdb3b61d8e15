"""Use case of ``paxsilica calibrate`` (same layer as :mod:`paxsilica.workflows`): load the
episodes, score the shipped parameters, fit by ABC-SMC, score the fit, write the result.

The fit's output is two CSV files shipped with the data package, in ``data/calibrated`` (beside
``data/default``, whose files tools/build_data.py re-derives from the shared data):

* ``calibrated_parameters.csv``: one row per behavioural parameter: prior range, shipped
  value, posterior P5/P50/P95, ``source`` = ``calibrated``, the fitted and held-out
  observations, seed and settings;
* ``calibrated_posterior.csv``: the last ABC-SMC population (one row per particle, with its
  ``weight``: pyabc's importance weight, or 1 / particles under the replenishment sampler),
  the sample a Monte Carlo run can draw parameters from.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from paxsilica.calibration.episodes import Episode, load_episodes
from paxsilica.calibration.evaluate import (CALIBRATION_REGIONS, coverage, evaluate,
                                            shipped_values)
from paxsilica.calibration.fit import FitResult, fit
from paxsilica.calibration.posterior import (PARAMETERS_FILE, POSTERIOR_FILE, calibrated_values,
                                             read_calibrated)
from paxsilica.engine.distributed import connect
from paxsilica.model.dataset import Dataset
from paxsilica.workflows import load

__all__ = ["PARAMETERS_FILE", "POSTERIOR_FILE", "CalibrationOutcome", "calibrate",
           "calibrated_values", "read_calibrated"]



@dataclass(frozen=True)
class CalibrationOutcome:
    """Before/after tables (one row per observation), the fit, and the files written."""

    before: pd.DataFrame
    after: pd.DataFrame
    result: FitResult
    parameters: pd.DataFrame
    seconds: float
    written: tuple[Path, ...]


#: How the ``method`` column names each sampler.
METHOD_NAMES = {"pyabc": "ABC-SMC (pyabc)",
                "replenish": "ABC-SMC with MCMC moves (replenishment, Drovandi and Pettitt 2011)"}


def parameter_rows(result: FitResult, episodes: list[Episode]) -> pd.DataFrame:
    """The ``calibrated_parameters.csv`` table of a fit."""
    heldout = sorted(o.key for ep in episodes for o in ep.observations if o.role == "heldout")
    table = result.summary()
    table["source"] = "calibrated"
    table["fitted_to"] = ";".join(result.observations)
    table["heldout"] = ";".join(heldout)
    final = f"{result.epsilons[-1]:.4g}" if result.epsilons else "none (no generation ran)"
    table["method"] = (f"{METHOD_NAMES[result.method]}, seed {result.seed}, "
                       f"{len(result.posterior)} particles, {len(result.epsilons)} generations, "
                       f"{result.simulations} simulations, {result.draws} draws per episode on "
                       f"the {CALIBRATION_REGIONS} map, final epsilon {final}, "
                       f"effective sample size {result.effective_sample_size:.2g}")
    return table


def calibrate(*, population: int = 40, generations: int = 6, draws: int = 30, seed: int = 12,
              out: Path | None = None, ds: Dataset | None = None,
              max_simulations: int | None = None, workers: int | None = None,
              scheduler: str | None = None, method: str = "replenish") -> CalibrationOutcome:
    """Fit the behavioural parameters to the shipped episodes; write the CSVs to ``out``.

    ``workers`` > 1 runs each particle's episodes on a Dask LocalCluster of that many
    processes, ``scheduler`` on a running Dask scheduler; neither changes the result.
    ``method``: the sampler (:data:`paxsilica.calibration.fit.METHODS`).

    The before/after tables use each episode's own draws (200) and seed: before at the
    shipped values, after at the posterior P50 of each parameter.
    """
    started = time.perf_counter()
    ds = ds if ds is not None else load()
    episodes = load_episodes(ds=ds)
    before = evaluate(episodes, ds, shipped_values())
    with _client(workers, scheduler) as client:
        result = fit(episodes, ds, population=population, generations=generations,
                     draws=draws, seed=seed, max_simulations=max_simulations, client=client,
                     method=method)
    parameters = parameter_rows(result, episodes)
    after = evaluate(episodes, ds, dict(zip(parameters["parameter"], parameters["p50"],
                                            strict=True)))
    written: tuple[Path, ...] = ()
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        parameters.to_csv(out / PARAMETERS_FILE, index=False, float_format="%.6g")
        result.posterior.to_csv(out / POSTERIOR_FILE, index=False, float_format="%.6g")
        written = (out / PARAMETERS_FILE, out / POSTERIOR_FILE)
    return CalibrationOutcome(before=before, after=after, result=result, parameters=parameters,
                              seconds=time.perf_counter() - started, written=written)


@contextmanager
def _client(workers: int | None, scheduler: str | None) -> Iterator[Any]:
    """A Dask client when asked for one (``workers`` > 1 or a ``scheduler``), else None."""
    if scheduler is None and (workers is None or workers <= 1):
        yield None
        return
    with connect(processes=workers, scheduler=scheduler) as client:
        yield client


def coverage_line(table: pd.DataFrame) -> str:
    """'training a/b overlapping P5-P95, P50 in band c/d; held out ...' for one evaluation."""
    parts = []
    for role in ("training", "heldout"):
        rows = table[table["role"] == role]
        parts.append(f"{role}: {int(rows['covered'].sum())}/{len(rows)} bands overlapping P5-P95 "
                     f"({coverage(table, role):.0%}), P50 in band {int(rows['p50_in_band'].sum())}"
                     f"/{len(rows)}")
    return "; ".join(parts)
