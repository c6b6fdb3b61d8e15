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

from collections.abc import Sequence
from typing import Any

from paxsilica.engine.chunks import Model, assemble, check_backend, compile_model
from paxsilica.engine.executors import Dask, Inline, Job, executor_for
from paxsilica.engine.network import EngineOptions
from paxsilica.engine.results import Results
from paxsilica.model.regions import RegionMap
from paxsilica.errors import ModelError
from paxsilica.model.dataset import Dataset

__all__ = ["Group", "is_scaled", "run_local", "simulate_scaled", "simulate_scaled_groups"]

#: One run of a scenario among several (:func:`simulate_scaled_groups`): its dataset, engine
#: options, draws and root seed.
Group = tuple[Dataset, EngineOptions | None, int, int]


def is_scaled(backend: str = "numpy", precision: str = "float64", processes: int | None = None,
              scheduler: str | None = None) -> bool:
    """Whether :func:`paxsilica.engine.simulate` runs these flags here (Dask or JAX)."""
    return (backend != "numpy" or precision != "float64" or scheduler is not None
            or (processes is not None and processes > 1))


def simulate_scaled(ds: Dataset, scn: Any, *, draws: int, seed: int,
                    chunk_size: int | None = None, keep_paths: bool = False,
                    options: EngineOptions | None = None, backend: str = "numpy",
                    precision: str = "float64", processes: int | None = None,
                    scheduler: str | None = None,
                    regions: RegionMap | str | None = None) -> Results:
    """Run ``draws`` draws of ``scn`` on the executor the flags ask for
    (:func:`paxsilica.engine.executors.executor_for`) and/or the JAX kernel.

    Parameters are those of :func:`paxsilica.engine.simulate`; ``draws`` and ``seed`` are
    already resolved. Raises ModelError for ``keep_paths=True`` and for bad settings.
    """
    [res] = simulate_scaled_groups([(ds, options, draws, seed)], scn, chunk_size=chunk_size,
                                   keep_paths=keep_paths, backend=backend,
                                   precision=precision, processes=processes,
                                   scheduler=scheduler, regions=regions)
    return res


def simulate_scaled_groups(groups: Sequence[Group], scn: Any, *, chunk_size: int | None = None,
                           keep_paths: bool = False, backend: str = "numpy",
                           precision: str = "float64", processes: int | None = None,
                           scheduler: str | None = None,
                           regions: RegionMap | str | None = None) -> list[Results]:
    """One Results per group (dataset, options, draws, seed) of ``scn``, all groups' chunks
    jobs of one executor: a run sampling behavioural parameters (one group per parameter
    set) starts one Dask cluster, not one per group. Parameters as :func:`simulate_scaled`.
    """
    check_backend(backend, precision)
    if keep_paths:
        raise ModelError("paths are not kept on Dask or JAX runs (they would not fit in "
                         "memory at scale); call simulate(..., keep_paths=False)")
    executor = executor_for(processes, scheduler)
    models = [compile_model(ds, scn, options, regions) for ds, options, _, _ in groups]
    meta: dict[str, Any] = {"backend": backend, "precision": precision}
    if isinstance(executor, Dask):
        meta["workers"] = executor.label
    jobs = [Job(model, seed, draws) for model, (_, _, draws, seed) in zip(models, groups,
                                                                         strict=True)]
    outcomes = executor.run(jobs, chunk_size=chunk_size, backend=backend, precision=precision)
    return [assemble(job.model, out, job.draws, job.seed, meta)
            for job, out in zip(jobs, outcomes, strict=True)]


def run_local(model: Model, seed: int, draws: int, *, chunk_size: int | None = None,
              backend: str = "numpy", precision: str = "float64") -> dict:
    """Per-draw outcomes of a whole run in this process, chunk by chunk (:class:`Inline`)."""
    [out] = Inline().run([Job(model, seed, draws)], chunk_size=chunk_size, backend=backend,
                         precision=precision)
    return out
