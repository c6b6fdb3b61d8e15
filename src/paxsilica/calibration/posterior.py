"""Monte Carlo runs with the calibrated behavioural parameters (issue 12 part 2).

A calibration (``paxsilica calibrate``) ships two tables in ``paxsilica/data/calibrated``: the
posterior summary and the posterior sample (the last ABC-SMC population, particles with
weights). :func:`simulate_with_parameters` runs a scenario under one of three choices:

* ``shipped``: the engine's defaults (:class:`~paxsilica.engine.EngineOptions`, the dataset's
  elasticities): what every run used before the calibration;
* ``median``: every parameter at its posterior P50 (one point estimate);
* ``posterior``: parameter uncertainty inside the fan. The draws are split into
  ``particles`` groups of (nearly) equal size; each group runs under one particle drawn from
  the posterior by weight, on its own seed, and the groups' per-draw outcomes are pooled.
  The choice of particles and every group's seed follow from the run's seed, so a seed
  reproduces the run. On Dask or JAX the groups are jobs of one executor (one cluster).

``posterior`` is the default of the workflows, the CLI and the service
(:data:`DEFAULT_PARAMETERS`); ``median`` fixes the parameters at the posterior P50.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from paxsilica.calibration.evaluate import PARAMETERS, options_and_dataset
from paxsilica.dims import DRAW
from paxsilica.engine import simulate
from paxsilica.engine.chunks import compile_model, retune_model
from paxsilica.engine.results import Results, summarise, summarise_regions
from paxsilica.engine.scale import Group, is_scaled, simulate_scaled_groups
from paxsilica.engine.simulate import simulate_model
from paxsilica.errors import DataError, ModelError
from paxsilica.model.dataset import Dataset

__all__ = ["DEFAULT_PARAMETERS", "PARAMETERS_FILE", "PARAMETER_CHOICES", "POSTERIOR_FILE",
           "POSTERIOR_PARTICLES", "calibrated_values", "read_calibrated",
           "simulate_with_parameters"]

PARAMETERS_FILE = "calibrated_parameters.csv"
POSTERIOR_FILE = "calibrated_posterior.csv"
ParameterChoice = Literal["shipped", "median", "posterior"]
PARAMETER_CHOICES: tuple[str, ...] = ("shipped", "median", "posterior")
#: What a Monte Carlo run of the workflows samples unless told otherwise: the posterior
#: (docs/calibration.md section 4.3: 80% of the training observations inside P5-P95).
DEFAULT_PARAMETERS: ParameterChoice = "posterior"
#: Posterior particles a ``posterior`` run uses (fewer when it has fewer draws).
POSTERIOR_PARTICLES = 20


def read_calibrated(folder: Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(parameters, posterior) tables of a calibration (default: the shipped data package).

    Raises
    ------
    DataError
        A file is missing or lacks a parameter's column or row.
    """
    base = Path(str(resources.files("paxsilica") / "data" / "calibrated")) if folder is None \
        else folder
    try:
        parameters = pd.read_csv(base / PARAMETERS_FILE)
        posterior = pd.read_csv(base / POSTERIOR_FILE)
    except FileNotFoundError as exc:
        raise DataError(f"no calibration in {base}: run `paxsilica calibrate --out {base}`",
                        file=Path(exc.filename).name) from None
    for p in PARAMETERS:
        if p.name not in set(parameters.get("parameter", [])):
            raise DataError(f"parameter '{p.name}' has no row", file=PARAMETERS_FILE,
                            field="parameter")
        if p.name not in posterior.columns:
            raise DataError(f"parameter '{p.name}' has no column", file=POSTERIOR_FILE,
                            field=p.name)
    return parameters, posterior


def calibrated_values(folder: Path | None = None) -> Mapping[str, float]:
    """The posterior P50 of each behavioural parameter (the point estimate)."""
    parameters, _ = read_calibrated(folder)
    return {str(k): float(v) for k, v in zip(parameters["parameter"], parameters["p50"],
                                               strict=True)}


def _group_sizes(draws: int, groups: int) -> list[int]:
    """``draws`` split into ``groups`` sizes differing by at most one (larger first)."""
    base, extra = divmod(draws, groups)
    return [base + (k < extra) for k in range(groups)]


def _pooled(runs: list[Results], seed: int, meta: Mapping[str, Any]) -> Results:
    """One Results from groups of draws run apart: outcomes (and paths) concatenated along
    ``draw`` and renumbered, every summary recomputed on the pool."""
    def concat(parts: list[xr.Dataset]) -> xr.Dataset:
        pooled = xr.concat(parts, dim=DRAW, data_vars="all", coords="minimal",
                           compat="override", join="override")
        return pooled.assign_coords({DRAW: np.arange(pooled.sizes[DRAW])})

    outcomes = concat([r.outcomes for r in runs])
    paths = None if any(r.paths is None for r in runs) else concat([r.paths for r in runs])
    summary, downstream, cost = summarise(outcomes)
    region_summary, region_downstream = summarise_regions(outcomes)
    pooled_meta = dict(runs[0].meta) | {"draws": int(outcomes.sizes[DRAW]), "seed": seed} \
        | dict(meta)
    return Results(paths, outcomes, summary, downstream, cost, pooled_meta, region_summary,
                   region_downstream)


def simulate_with_parameters(ds: Dataset, scn: Any, *, parameters: str = "shipped",
                             draws: int | None = None, seed: int | None = None,
                             particles: int = POSTERIOR_PARTICLES,
                             folder: Path | None = None, **engine: Any) -> Results:
    """:func:`paxsilica.engine.simulate` under the ``shipped``, ``median`` or ``posterior``
    behavioural parameters (see the module docstring).

    ``engine`` is passed to every simulate call (``keep_paths``, ``regions``, backends...),
    except ``options``, which the calibrated parameters replace. ``meta`` of the result
    records ``parameters`` and, for the posterior, the particles used.

    Raises
    ------
    ModelError
        An unknown choice or ``particles`` < 1.
    DataError
        No calibration in ``folder`` (default: the shipped one).
    """
    if parameters not in PARAMETER_CHOICES:
        raise ModelError(f"parameters must be one of {', '.join(PARAMETER_CHOICES)}, got "
                         f"'{parameters}'")
    n = int(scn.draws if draws is None else draws)
    root = seed if seed is not None else scn.seed
    root = int(np.random.SeedSequence().entropy if root is None else root)
    if parameters == "shipped":
        res = simulate(ds, scn, draws=n, seed=root, **engine)
        return _with_meta(res, {"parameters": "shipped"})
    engine.pop("options", None)
    if parameters == "median":
        options, data = options_and_dataset(ds, calibrated_values(folder))
        res = simulate(data, scn, draws=n, seed=root, options=options, **engine)
        return _with_meta(res, {"parameters": "median", "dataset_hash": ds.content_hash})
    if particles < 1:
        raise ModelError(f"particles must be at least 1, got {particles}")
    _, posterior = read_calibrated(folder)
    weights = posterior["weight"].to_numpy(dtype=float)
    rng = np.random.default_rng(np.random.SeedSequence([root, 12]))
    sizes = _group_sizes(n, min(particles, n))
    chosen = rng.choice(len(posterior), size=len(sizes), p=weights / weights.sum())
    groups = []
    for k, (row, size) in enumerate(zip(chosen, sizes, strict=True)):
        options, data = options_and_dataset(
            ds, {p.name: float(posterior.iloc[row][p.name]) for p in PARAMETERS})
        groups.append((data, options, size,
                       int(np.random.SeedSequence([root, k]).generate_state(1)[0])))
    runs = _run_groups(groups, scn, engine)
    return _pooled(runs, root, {"parameters": "posterior", "dataset_hash": ds.content_hash,
                                "particles": [int(r) for r in chosen],
                                "particle_draws": sizes})


def _run_groups(groups: list[Group], scn: Any, engine: dict[str, Any]) -> list[Results]:
    """Each group (dataset, options, draws, seed) of a posterior run: on Dask or JAX as jobs
    of one executor, else in this process (which keeps paths) on one compiled network
    retuned per group."""
    scaled = {k: engine[k] for k in ("backend", "precision", "processes", "scheduler")
              if engine.get(k) is not None}
    if is_scaled(**scaled):
        # simulate's defaults: paths asked for (refused at scale) unless keep_paths=False
        rest = {k: v for k, v in engine.items() if k not in ("workers", "path_precision",
                                                             "region_paths", "keep_paths")}
        keep = engine.get("keep_paths", True) or engine.get("region_paths", False)
        return simulate_scaled_groups(groups, scn, keep_paths=bool(keep), **rest)
    run = {k: v for k, v in engine.items()
           if k not in ("regions", "backend", "precision", "processes", "scheduler")}
    base = compile_model(groups[0][0], scn, groups[0][1], engine.get("regions"))
    return [simulate_model(retune_model(base, data, options), draws=size, seed=seed, **run)
            for data, options, size, seed in groups]


def _with_meta(res: Results, meta: Mapping[str, Any]) -> Results:
    return dataclasses.replace(res, meta=dict(res.meta) | dict(meta))
