"""``simulate``: compile, run the blocks of draws (threads over blocks), assemble Results."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from paxsilica.dims import SEGMENTS
from paxsilica.engine.chunks import Model, compile_model, new_outcomes, run_meta
from paxsilica.engine.executors import Threads, plan
from paxsilica.engine.kernel import PATH_VARIABLES, run_block
from paxsilica.engine.step import PRICE_VARIABLES
from paxsilica.engine.network import EngineOptions
from paxsilica.engine.results import (
    Results,
    outcome_dataset,
    path_dataset,
    store_outcomes,
    summarise,
    summarise_regions,
)
from paxsilica.engine.sampling import BLOCK_DRAWS
from paxsilica.engine.scale import is_scaled, simulate_scaled
from paxsilica.errors import ModelError
from paxsilica.model.dataset import Dataset
from paxsilica.model.regions import RegionMap

__all__ = ["IN_FLIGHT_STATE_BYTES", "MAX_PATH_BYTES", "block_threads", "path_variables",
           "simulate", "simulate_model"]

#: keep_paths=True refuses runs whose paths would exceed this (use keep_paths=False).
MAX_PATH_BYTES = 4 * 2**30
#: Blocks run at once (one per thread) hold at most about this much month-step state, unless
#: the caller sets ``workers``. A block holds about :data:`STATE_ARRAYS` arrays of
#: (4,096 draws x commodities x regions) float64: measured 0.5 GB on the 19-region map (so
#: one block at a time there; 10^6 draws then stream in 1.75 GiB), 0.08 GB on the three
#: segments (two at a time on 2 cores).
IN_FLIGHT_STATE_BYTES = 768 * 2**20
STATE_ARRAYS = 22


def block_threads(workers: int | None, widest_chunk: int, n_commodities: int,
                  n_regions: int) -> int:
    """Threads running blocks: ``workers`` when given, else one per core within
    :data:`IN_FLIGHT_STATE_BYTES`; never more than the blocks of the widest chunk."""
    if workers is None:
        per_block = STATE_ARRAYS * BLOCK_DRAWS * n_commodities * n_regions * 8
        workers = min(os.cpu_count() or 1, max(1, IN_FLIGHT_STATE_BYTES // per_block))
    return max(1, min(workers, widest_chunk))


def path_variables(keep_paths: bool | Sequence[str],
                   options: EngineOptions | None = None) -> tuple[str, ...]:
    """The path variables ``keep_paths`` asks for (ModelError naming an unknown one); True:
    all, the spot and contract prices only where ``options`` model contracts."""
    if keep_paths is True:
        if options is not None and options.contracts:
            return PATH_VARIABLES
        return tuple(v for v in PATH_VARIABLES if v not in PRICE_VARIABLES)
    if not keep_paths:
        return ()
    unknown = sorted(set(keep_paths) - set(PATH_VARIABLES))
    if unknown:
        raise ModelError(f"unknown path variable(s) {', '.join(unknown)}; choose from "
                         f"{', '.join(PATH_VARIABLES)}")
    return tuple(v for v in PATH_VARIABLES if v in keep_paths)


def simulate(ds: Dataset, scn: Any, *, draws: int | None = None, seed: int | None = None,
             chunk_size: int | None = None, keep_paths: bool | Sequence[str] = True,
             options: EngineOptions | None = None, workers: int | None = None,
             backend: str = "numpy", precision: str = "float64",
             processes: int | None = None, scheduler: str | None = None,
             regions: RegionMap | str | None = None,
             region_paths: bool | Sequence[str] = False,
             path_precision: str = "float64") -> Results:
    """Run the Monte Carlo disruption model of ``scn`` on ``ds``.

    Parameters
    ----------
    ds : Dataset
    scn : Scenario
    draws : int, optional
        Number of Monte Carlo draws (default ``scn.draws``).
    seed : int, optional
        Root seed (default ``scn.seed``). Draw ``n`` belongs to block ``n // 4096``, whose
        random numbers come from the block-th child of ``SeedSequence(seed)``.
    chunk_size : int, optional
        Draws held in memory at once, rounded up to whole blocks (default: all). The result
        does not depend on it.
    keep_paths : bool or sequence of str
        Keep monthly paths of the bloc aggregates (``Results.paths``, dimension
        ``segment``): True all of :data:`PATH_VARIABLES`, a sequence only those (plus
        ``output_ratio`` and ``policy_cost_usd``); False keeps only per-draw outcomes and
        summaries, which lets 10^6 draws stream in bounded memory.
    regions : RegionMap or str, optional
        Region map to clear (a map id of the data package, e.g. ``countries``, or
        ``segments``; default: the scenario's ``regions``, else the package's default).
    region_paths : bool or sequence of str
        Also keep these path variables per region (``region_<name>``, dimension
        ``region``); memory grows with the number of regions.
    path_precision : {"float64", "float32"}
        How the kept paths are stored: the engine computes in float64 either way; float32
        halves their memory (e.g. for fan-chart percentiles, kept to 6 digits).
    options : EngineOptions, optional
        Model constants (documented assumptions).
    workers : int, optional
        Threads running blocks in parallel (default: one per core, as many as
        :data:`IN_FLIGHT_STATE_BYTES` of state allows). No effect on the numbers.
    backend : {"numpy", "jax"}
        Kernel implementation; numpy is the reference, jax (optional extra) runs the same
        math under ``jax.jit`` on a GPU when present. See :mod:`paxsilica.engine.scale`.
    precision : {"float64", "float32"}
        Floating-point precision of the jax backend (numpy is always float64).
    processes : int, optional
        Dask worker processes of a LocalCluster (used when > 1). No effect on the numbers.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://HOST:PORT``) to run the chunks on.

    Returns
    -------
    Results
    """
    n = int(scn.draws if draws is None else draws)
    root = seed if seed is not None else scn.seed
    root = int(np.random.SeedSequence().entropy if root is None else root)
    if n < 1:
        raise ModelError(f"draws must be at least 1, got {n}")
    # Scale-out (issue 5): Dask and/or the JAX kernel; the default path below is unchanged.
    if is_scaled(backend, precision, processes, scheduler):
        return simulate_scaled(ds, scn, draws=n, seed=root, chunk_size=chunk_size,
                               keep_paths=keep_paths or region_paths, options=options,
                               backend=backend, precision=precision, processes=processes,
                               scheduler=scheduler, regions=regions)
    return simulate_model(compile_model(ds, scn, options, regions), draws=n, seed=root,
                          chunk_size=chunk_size, keep_paths=keep_paths, workers=workers,
                          region_paths=region_paths, path_precision=path_precision)


def simulate_model(model: Model, *, draws: int, seed: int, chunk_size: int | None = None,
                   keep_paths: bool | Sequence[str] = True, workers: int | None = None,
                   region_paths: bool | Sequence[str] = False,
                   path_precision: str = "float64") -> Results:
    """:func:`simulate` of an already compiled ``model`` in this process (NumPy), ``draws``
    and ``seed`` resolved: a run that samples behavioural parameters compiles the scenario
    once and retunes it per parameter set (:func:`paxsilica.engine.chunks.retune_model`).
    """
    n, root = int(draws), int(seed)
    net, shocks, levers = model.net, model.shocks, model.levers
    n_c, months, caps, n_g = net.n_commodities, net.horizon, net.capabilities, net.n_regions
    paths = cap_paths = cost_paths = by_region = None
    variables = path_variables(keep_paths, net.options)
    regional = path_variables(region_paths, net.options)
    if variables or regional:
        if path_precision not in ("float64", "float32"):
            raise ModelError(f"path_precision must be float64 or float32, got "
                             f"'{path_precision}'")
        width = np.dtype(path_precision).itemsize
        size = n * months * n_c * width * (len(SEGMENTS) * len(variables)
                                           + n_g * len(regional))
        if size > MAX_PATH_BYTES:
            raise ModelError(f"paths of {n} draws x {months} months x {n_c} commodities need "
                             f"{size / 2**30:.1f} GiB; keep fewer draws or variables, or "
                             "none (keep_paths=False, region_paths=False)")
        paths = {k: np.zeros((n, months, n_c, len(SEGMENTS)), path_precision)
                 for k in variables}
        by_region = {k: np.zeros((n, months, n_c, n_g), path_precision)
                     for k in regional} or None
        cap_paths = np.zeros((n, months, len(caps)))
        cost_paths = np.zeros((n, months))
    outcomes = new_outcomes(model, n, n)
    chunks = plan(n, chunk_size)
    # blocks write their paths in place, so they run on threads of this process
    pool = Threads(block_threads(workers, max(b - a for a, b in chunks), n_c, n_g))

    def one(block: int) -> None:
        lo, hi = block * BLOCK_DRAWS, min(n, (block + 1) * BLOCK_DRAWS)
        out = run_block(
            net, shocks, levers, root, block, hi - lo,
            None if paths is None else {k: v[lo:hi] for k, v in paths.items()},
            None if cap_paths is None else cap_paths[lo:hi],
            None if cost_paths is None else cost_paths[lo:hi],
            None if by_region is None else {k: v[lo:hi] for k, v in by_region.items()})
        store_outcomes(outcomes, lo, out)

    for first, stop in chunks:
        pool.map(one, range(first, stop))
    outcome_ds = outcome_dataset(outcomes, net.commodities, caps, net.regions,
                                 net.price_ceiling_ratio)
    summary, downstream, cost = summarise(outcome_ds)
    region_summary, region_downstream = summarise_regions(outcome_ds)
    meta = run_meta(net, n, root, model.scenario, model.dataset_hash,
                    region_summary is not None)
    path_ds = None
    if paths is not None:
        path_ds = path_dataset(paths, cap_paths, cost_paths, net.commodities, caps, by_region,
                               net.regions)
    return Results(path_ds, outcome_ds, summary, downstream, cost, meta, region_summary,
                   region_downstream)
