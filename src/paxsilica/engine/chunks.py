"""Chunks of whole 4096-draw blocks: the unit that backends and Dask workers compute.

A *chunk* is the half-open block range ``[first, stop)``; it covers draws
``first * 4096 .. min(n, stop * 4096)``. Block ``k`` always draws its random parameters from
the ``k``-th child of ``SeedSequence(seed)`` (:mod:`paxsilica.engine.sampling`), so a draw's
outcome depends only on ``(seed, draw)``, never on which chunk, worker or process ran it.

Chunks return **per-draw outcomes** (a few bytes per draw and cell), not summaries: the client
places them at their draw offsets and computes the summaries once, so quantiles and CVaR are
exact and bit-identical for any chunking (mergeable quantile sketches would be approximate and
depend on the merge order).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from paxsilica.dims import SEGMENTS
from paxsilica.engine.kernel import run_block
from paxsilica.engine.levers import Levers, compile_levers
from paxsilica.engine.network import EngineOptions, Network, compile_network, retune
from paxsilica.engine.results import (
    Results,
    keeps_region_outcomes,
    outcome_arrays,
    outcome_dataset,
    store_outcomes,
    summarise,
    summarise_regions,
)
from paxsilica.model.regions import RegionMap
from paxsilica.engine.sampling import BLOCK_DRAWS, CompiledShock, compile_shocks
from paxsilica.errors import ModelError
from paxsilica.model.dataset import Dataset

__all__ = ["BACKENDS", "PRECISIONS", "Model", "assemble", "chunk_ranges", "compile_model",
           "new_outcomes", "place", "retune_model", "run_chunk"]

BACKENDS = ("numpy", "jax")
PRECISIONS = ("float64", "float32")


@dataclass
class Model:
    """A scenario compiled once (network, shocks, levers): what a worker needs to run chunks.

    ``cache`` holds backend state (e.g. jitted JAX functions); it is local to a process and
    is not pickled, so the model can be scattered to Dask workers.
    """

    net: Network
    shocks: list[CompiledShock]
    levers: Levers
    scenario: str = ""
    dataset_hash: str = ""
    cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["cache"] = {}
        return state


def compile_model(ds: Dataset, scn: Any, options: EngineOptions | None = None,
                  regions: RegionMap | str | None = None) -> Model:
    """Compile ``scn`` against ``ds`` (deterministic; raises ScenarioError/ModelError)."""
    net = compile_network(ds, scn, options, regions)
    return Model(net, compile_shocks(net, scn), compile_levers(ds, net, scn),
                 getattr(scn, "name", ""), ds.content_hash)


def retune_model(model: Model, ds: Dataset, options: EngineOptions) -> Model:
    """``model`` under other behavioural ``options`` and ``ds``'s demand elasticities
    (:func:`paxsilica.engine.network.retune`); shocks and levers do not depend on them."""
    return Model(retune(model.net, ds, options), model.shocks, model.levers, model.scenario,
                 ds.content_hash)


def check_backend(backend: str, precision: str) -> None:
    """Raise ModelError for an unknown backend or precision name."""
    if backend not in BACKENDS:
        raise ModelError(f"backend must be one of {', '.join(BACKENDS)}, got '{backend}'")
    if precision not in PRECISIONS:
        raise ModelError(f"precision must be one of {', '.join(PRECISIONS)}, got '{precision}'")
    if backend == "numpy" and precision != "float64":
        raise ModelError("the numpy backend is the float64 reference; float32 needs "
                         "backend='jax'")


def chunk_ranges(n_draws: int, blocks_per_chunk: int) -> list[tuple[int, int]]:
    """Block ranges ``[(first, stop), ...]`` covering ``n_draws`` draws in whole blocks."""
    n_blocks = math.ceil(n_draws / BLOCK_DRAWS)
    step = max(1, int(blocks_per_chunk))
    return [(first, min(n_blocks, first + step)) for first in range(0, n_blocks, step)]


def run_chunk(model: Model, seed: int, first: int, stop: int, n_draws: int,
              backend: str = "numpy", precision: str = "float64",
              blocks_per_call: int | None = None) -> dict[str, np.ndarray]:
    """Per-draw outcome arrays of blocks ``[first, stop)`` of an ``n_draws`` run.

    Returns the arrays of :func:`paxsilica.engine.results.outcome_arrays` for draws
    ``first * 4096 .. min(n_draws, stop * 4096)`` (float32 values, uint8 stock-out months
    with :data:`NEVER` for never). ``blocks_per_call`` bounds the blocks of one JAX call.
    """
    lo, hi = first * BLOCK_DRAWS, min(n_draws, stop * BLOCK_DRAWS)
    if backend == "jax":
        from paxsilica.engine.backend_jax import run_blocks  # optional dependency

        return run_blocks(model, seed, first, stop, n_draws, precision, blocks_per_call)
    out = new_outcomes(model, hi - lo, n_draws)
    for block in range(first, stop):
        b_lo, b_hi = block * BLOCK_DRAWS, min(n_draws, (block + 1) * BLOCK_DRAWS)
        res = run_block(model.net, model.shocks, model.levers, seed, block, b_hi - b_lo)
        store_outcomes(out, b_lo - lo, res)
    return out


def new_outcomes(model: Model, size: int, n_draws: int) -> dict[str, np.ndarray]:
    """Outcome arrays for ``size`` draws of an ``n_draws`` run: with region outcomes when the
    whole run's fit (:func:`paxsilica.engine.results.keeps_region_outcomes`)."""
    net = model.net
    keep = keeps_region_outcomes(n_draws, net.n_commodities, len(net.capabilities),
                                 net.n_regions)
    return outcome_arrays(size, net.n_commodities, len(net.capabilities),
                          net.n_regions if keep else 0)


def place(total: dict[str, np.ndarray], first: int, part: dict[str, np.ndarray]) -> None:
    """Copy a chunk's outcomes into the run's arrays at the chunk's draw offset (exact merge)."""
    lo = first * BLOCK_DRAWS
    for name, values in part.items():
        total[name][lo:lo + len(values)] = values


def assemble(model: Model, outcomes: dict[str, np.ndarray], n_draws: int, seed: int,
             extra_meta: dict[str, Any] | None = None) -> Results:
    """One Results (no paths) from a whole run's per-draw outcomes."""
    net = model.net
    outcome_ds = outcome_dataset(outcomes, net.commodities, net.capabilities, net.regions,
                                 net.price_ceiling_ratio)
    summary, downstream, cost = summarise(outcome_ds)
    region_summary, region_downstream = summarise_regions(outcome_ds)
    meta = run_meta(net, n_draws, seed, model.scenario, model.dataset_hash,
                    region_summary is not None) | (extra_meta or {})
    return Results(None, outcome_ds, summary, downstream, cost, meta, region_summary,
                   region_downstream)


def run_meta(net: Network, n_draws: int, seed: int, scenario: str, dataset_hash: str,
             region_outcomes: bool) -> dict[str, Any]:
    """The ``Results.meta`` every backend writes."""
    return {"draws": n_draws, "months": net.horizon, "commodities": list(net.commodities),
            "segments": list(SEGMENTS), "regions": list(net.regions),
            "region_segments": {region: SEGMENTS[int(np.argmax(net.views[-1].aggregate[g]))]
                                for g, region in enumerate(net.regions)},
            "region_map": net.region_map.name, "region_outcomes": region_outcomes,
            "capabilities": list(net.capabilities), "seed": seed, "scenario": scenario,
            "dataset_hash": dataset_hash, "block_draws": BLOCK_DRAWS}
