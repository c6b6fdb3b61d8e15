"""Where a run's chunks are computed: one interface, whatever the backend.

Every run is planned the same way (:func:`plan`: whole 4096-draw blocks cut into chunks,
:func:`paxsilica.engine.chunks.chunk_ranges`) and every executor answers the same call,
:meth:`Executor.run`: per-draw outcome arrays of each :class:`Job`, each chunk computed by
:func:`~paxsilica.engine.chunks.run_chunk` and placed at its draw offset. A draw's outcome
depends only on ``(seed, draw)``, so every executor gives bit-identical arrays for the
NumPy backend (tested); the JAX backend runs as one pipelined pass per job.

* :class:`Inline`: chunks one after another in this process (the reference);
* :class:`Threads`: chunks of all jobs on a thread pool (NumPy releases the GIL in the
  array work; what ``simulate`` uses for its blocks when it keeps paths);
* :class:`Dask`: chunks of all jobs on a Dask cluster, a ``LocalCluster`` of processes or a
  scheduler address (:mod:`paxsilica.engine.distributed`).

:func:`executor_for` picks one from the user's flags (``--workers``, ``--scheduler``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np

from paxsilica.engine.chunks import Model, chunk_ranges, new_outcomes, place, run_chunk
from paxsilica.engine.sampling import BLOCK_DRAWS
from paxsilica.errors import ModelError

__all__ = ["JAX_BLOCKS_PER_CALL", "Dask", "Executor", "Inline", "Job", "Threads",
           "executor_for", "plan"]

T = TypeVar("T")
Outcomes = dict[str, np.ndarray]

#: Blocks per JAX call when no chunk size is given: 64 x 4096 = 262,144 draws on a GPU (the
#: H200 needs >= 2^18 draws per call to be busy); 2 on a CPU (memory ~ draws per call:
#: 25 blocks at once took 3 GB peak RSS for no speed gain).
JAX_BLOCKS_PER_CALL = {"gpu": 64, "cpu": 2}


@dataclass(frozen=True)
class Job:
    """One run to compute: a compiled model, its seed and its number of draws."""

    model: Model
    seed: int
    draws: int


def plan(draws: int, chunk_size: int | None, default_blocks: int | None = None
         ) -> list[tuple[int, int]]:
    """The chunks ``[(first block, stop block), ...]`` of a ``draws``-draw run.

    ``chunk_size`` draws per chunk, rounded up to whole blocks; without it,
    ``default_blocks`` blocks per chunk (default: the whole run in one chunk).
    """
    n_blocks = math.ceil(draws / BLOCK_DRAWS)
    per = (max(1, math.ceil(chunk_size / BLOCK_DRAWS)) if chunk_size
           else default_blocks or n_blocks)
    return chunk_ranges(draws, per)


class Executor(Protocol):
    """Computes the per-draw outcomes of jobs (see the module docstring)."""

    def run(self, jobs: Sequence[Job], *, chunk_size: int | None = None,
            backend: str = "numpy", precision: str = "float64") -> list[Outcomes]: ...


def _jax_pass(job: Job, chunk_size: int | None, precision: str) -> Outcomes:
    """A job on the JAX backend: one pipelined pass, ``chunk_size`` draws per device call."""
    from paxsilica.engine.backend_jax import platform

    n_blocks = math.ceil(job.draws / BLOCK_DRAWS)
    per = (max(1, math.ceil(chunk_size / BLOCK_DRAWS)) if chunk_size
           else JAX_BLOCKS_PER_CALL.get(platform(), 2))
    return run_chunk(job.model, job.seed, 0, n_blocks, job.draws, "jax", precision, per)


def _chunks(jobs: Sequence[Job], chunk_size: int | None) -> list[tuple[int, int, int]]:
    return [(j, first, stop) for j, job in enumerate(jobs)
            for first, stop in plan(job.draws, chunk_size)]


@dataclass(frozen=True)
class Inline:
    """Every chunk in this process, one after another."""

    def map(self, fn: Callable[[Any], T], items: Iterable[Any]) -> list[T]:
        """``[fn(item) for item in items]``, in order."""
        return [fn(item) for item in items]

    def run(self, jobs: Sequence[Job], *, chunk_size: int | None = None,
            backend: str = "numpy", precision: str = "float64") -> list[Outcomes]:
        return _run_in_process(self, jobs, chunk_size, backend, precision)


@dataclass(frozen=True)
class Threads:
    """Chunks on ``workers`` threads of this process (results placed in order)."""

    workers: int = 2

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ModelError(f"workers must be at least 1, got {self.workers}")

    def map(self, fn: Callable[[Any], T], items: Iterable[Any]) -> list[T]:
        """``fn`` over ``items`` on the pool; results in the order of ``items``."""
        items = list(items)
        if self.workers == 1 or len(items) < 2:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.workers, len(items))) as pool:
            return list(pool.map(fn, items))

    def run(self, jobs: Sequence[Job], *, chunk_size: int | None = None,
            backend: str = "numpy", precision: str = "float64") -> list[Outcomes]:
        return _run_in_process(self, jobs, chunk_size, backend, precision)


def _run_in_process(executor: Inline | Threads, jobs: Sequence[Job], chunk_size: int | None,
                    backend: str, precision: str) -> list[Outcomes]:
    if backend == "jax":  # JAX parallelises inside its own calls
        return [_jax_pass(job, chunk_size, precision) for job in jobs]
    out = [new_outcomes(job.model, job.draws, job.draws) for job in jobs]

    def one(task: tuple[int, int, int]) -> tuple[int, int, Outcomes]:
        j, first, stop = task
        job = jobs[j]
        return j, first, run_chunk(job.model, job.seed, first, stop, job.draws, backend,
                                   precision)

    for j, first, part in executor.map(one, _chunks(jobs, chunk_size)):
        place(out[j], first, part)
    return out


@dataclass(frozen=True)
class Dask:
    """Chunks of all jobs on a Dask cluster: a new ``LocalCluster`` of ``processes`` worker
    processes (default 2), or the running scheduler at ``scheduler``."""

    processes: int | None = None
    scheduler: str | None = None

    def run(self, jobs: Sequence[Job], *, chunk_size: int | None = None,
            backend: str = "numpy", precision: str = "float64") -> list[Outcomes]:
        from paxsilica.engine.distributed import connect, run_jobs

        with connect(self.processes, self.scheduler) as client:
            return run_jobs(client, jobs, chunk_size=chunk_size, backend=backend,
                            precision=precision)

    @property
    def label(self) -> str | int:
        """What a run's meta records as its workers."""
        return "scheduler" if self.scheduler is not None else int(self.processes or 1)


def executor_for(processes: int | None = None, scheduler: str | None = None,
                 threads: int | None = None) -> Inline | Threads | Dask:
    """The executor the flags ask for: Dask for a scheduler or more than one process,
    else threads when ``threads > 1``, else inline."""
    if processes is not None and processes < 1:
        raise ModelError(f"workers must be at least 1, got {processes}")
    if scheduler is not None or (processes is not None and processes > 1):
        return Dask(processes, scheduler)
    if threads is not None and threads > 1:
        return Threads(threads)
    return Inline()
