"""Scale-out runs: the same draws on Dask workers and/or through the JAX kernel, one Results.

``simulate(..., processes=N | scheduler=ADDR | backend="jax")`` lands here. Every path computes
per-draw outcomes chunk by chunk (:mod:`paxsilica.engine.chunks`) and summarises them once, so

* numpy on 1, 2, 3 workers, any chunk size -> bit-identical summaries to ``simulate``;
* the JAX backend agrees with numpy within the tolerance stated in
  :mod:`paxsilica.engine.backend_jax` (float64: 1e-6 relative on the summaries).

Paths (``keep_paths=True``) are not collected on scaled runs: 10^6 draws of paths do not fit in
memory and are not what a scale-out run is for.
"""

from __future__ import annotations

import math
from typing import Any

from paxsilica.engine.chunks import (
    Model,
    assemble,
    check_backend,
    chunk_ranges,
    compile_model,
    new_outcomes,
    place,
    run_chunk,
)
from paxsilica.engine.network import EngineOptions
from paxsilica.engine.results import Results
from paxsilica.model.regions import RegionMap
from paxsilica.engine.sampling import BLOCK_DRAWS
from paxsilica.errors import ModelError
from paxsilica.model.dataset import Dataset

__all__ = ["run_local", "simulate_scaled"]

#: Blocks per JAX call when no chunk size is given: 64 x 4096 = 262,144 draws on a GPU (the
#: H200 needs >= 2^18 draws per call to be busy); 2 on a CPU (memory ~ draws per call:
#: 25 blocks at once took 3 GB peak RSS for no speed gain).
JAX_BLOCKS_PER_CALL = {"gpu": 64, "cpu": 2}


def simulate_scaled(ds: Dataset, scn: Any, *, draws: int, seed: int,
                    chunk_size: int | None = None, keep_paths: bool = False,
                    options: EngineOptions | None = None, backend: str = "numpy",
                    precision: str = "float64", processes: int | None = None,
                    scheduler: str | None = None,
                    regions: RegionMap | str | None = None) -> Results:
    """Run ``draws`` draws of ``scn`` on Dask workers and/or the JAX kernel.

    Parameters are those of :func:`paxsilica.engine.simulate`; ``draws`` and ``seed`` are
    already resolved. Raises ModelError for ``keep_paths=True`` and for bad settings.
    """
    check_backend(backend, precision)
    if keep_paths:
        raise ModelError("paths are not kept on Dask or JAX runs (they would not fit in "
                         "memory at scale); call simulate(..., keep_paths=False)")
    if processes is not None and processes < 1:
        raise ModelError(f"workers must be at least 1, got {processes}")
    model = compile_model(ds, scn, options, regions)
    meta = {"backend": backend, "precision": precision}
    if scheduler is not None or (processes is not None and processes > 1):
        from paxsilica.engine.distributed import Job, connect, run_jobs

        with connect(processes, scheduler) as client:
            outcomes = run_jobs(client, [Job(model, seed, draws)], chunk_size=chunk_size,
                                backend=backend, precision=precision)[0]
        meta["workers"] = "scheduler" if scheduler is not None else int(processes or 1)
    else:
        outcomes = run_local(model, seed, draws, chunk_size=chunk_size, backend=backend,
                             precision=precision)
    return assemble(model, outcomes, draws, seed, meta)


def run_local(model: Model, seed: int, draws: int, *, chunk_size: int | None = None,
              backend: str = "numpy", precision: str = "float64") -> dict:
    """Per-draw outcomes of a whole run in this process, chunk by chunk."""
    n_blocks = math.ceil(draws / BLOCK_DRAWS)
    per = max(1, math.ceil(chunk_size / BLOCK_DRAWS)) if chunk_size else None
    if backend == "jax":  # one pipelined pass; chunk_size = draws per device call
        from paxsilica.engine.backend_jax import platform

        return run_chunk(model, seed, 0, n_blocks, draws, backend, precision,
                         per or JAX_BLOCKS_PER_CALL.get(platform(), 2))
    out = new_outcomes(model, draws, draws)
    for first, stop in chunk_ranges(draws, per or n_blocks):
        place(out, first, run_chunk(model, seed, first, stop, draws, backend, precision))
    return out
