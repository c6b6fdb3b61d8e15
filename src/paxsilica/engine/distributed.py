"""Run chunks of draws on a Dask cluster: a ``LocalCluster`` of processes or a scheduler address.

How a run is split and merged:

* the compiled :class:`~paxsilica.engine.chunks.Model` is scattered once to every worker;
* draws are cut into chunks of whole 4096-draw blocks (:func:`chunk_ranges`), submitted with
  ``client.map``; each worker returns its chunk's **per-draw outcomes**;
* the client places each chunk at its draw offset as it arrives (``as_completed``, so futures
  are released early) and computes the summaries once from the full arrays. This exact merge
  keeps quantiles and CVaR bit-identical for any worker count and chunk size; mergeable
  sketches (t-digest, KLL) would make them approximate and merge-order dependent. The cost is
  small: about ``commodities x segments x 9`` bytes per draw come back (about 1 KiB for the
  embedded data), against roughly 0.5 ms of computation per draw.

Failures: Dask retries a task whose worker died (the nanny restarts the worker) up to
``distributed.scheduler.allowed-failures`` times (default 3); past that, or when the scheduler
goes away, the run raises :class:`~paxsilica.errors.ModelError` and no Results is returned. The
client checks that every block arrived before it assembles a Results, so a partial run can
never look complete.

``LocalCluster`` starts worker processes with ``multiprocessing`` *spawn*, which re-imports the
caller's ``__main__``: the ``paxsilica`` console script, ``python -m`` and pytest are guarded,
and user scripts must call :func:`paxsilica.simulate` under ``if __name__ == "__main__":``
(Dask's own requirement). Calling it from a spawned child is refused with a clear message.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from paxsilica.engine.chunks import chunk_ranges, new_outcomes, place, run_chunk
from paxsilica.engine.executors import Job
from paxsilica.engine.sampling import BLOCK_DRAWS
from paxsilica.errors import ModelError, PaxsilicaError

__all__ = ["Job", "connect", "run_jobs"]

#: Chunks per worker when no chunk size is given. A block costs ~0.5 s on the embedded data
#: and a task ~1 ms of scheduling, so small chunks cost nothing and balance the last round:
#: 25 blocks on 2 workers in chunks of 4 would leave one worker 16 blocks (1.56x at best).
CHUNKS_PER_WORKER = 64


def _dask() -> Any:
    try:
        import dask
        import distributed
    except ImportError as exc:  # pragma: no cover - dask is a declared dependency
        raise ModelError("running on several workers needs dask.distributed: "
                         "pip install 'dask[distributed]'") from exc
    return dask, distributed


@contextmanager
def connect(processes: int | None = None, scheduler: str | None = None,
            timeout_s: float = 30.0) -> Iterator[Any]:
    """A ``distributed.Client``: to ``scheduler`` when given, else to a new LocalCluster.

    Parameters
    ----------
    processes : int, optional
        Worker processes of the LocalCluster (one thread each; default 2).
    scheduler : str, optional
        Address of a running scheduler, e.g. ``tcp://10.0.0.5:8786``.
    timeout_s : float
        Seconds to wait for the scheduler or for the cluster's workers.

    Raises
    ------
    ModelError
        The scheduler cannot be reached or the cluster cannot start.
    """
    dask, distributed = _dask()
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout=timeout_s)
        except (OSError, TimeoutError) as exc:
            raise ModelError(f"cannot reach the Dask scheduler at '{scheduler}' "
                             f"(expected tcp://HOST:PORT of a running scheduler): {exc}") from None
        with client:
            yield client
        return
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise ModelError("a Dask cluster was started while a worker process imported the "
                         "main script: put the call under `if __name__ == \"__main__\":`")
    n = int(processes or 2)
    if n < 1:
        raise ModelError(f"workers must be at least 1, got {n}")
    # Dask's default MALLOC_TRIM_THRESHOLD_=65536 disables glibc's adaptive mmap threshold,
    # so every multi-MB numpy temporary of the kernel is mmapped and page-faulted afresh:
    # measured 2.6x slower here. Unset it (None) for our workers.
    settings = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
    # The scheduler's HTTP server on loopback and a free port: None still binds :8787, and
    # fails the start where another cluster (a second run beside this one) holds it.
    try:
        with dask.config.set(settings):
            cluster = distributed.LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True,
                dashboard_address="127.0.0.1:0",
                silence_logs=logging.CRITICAL, timeout=timeout_s)
    except (OSError, TimeoutError, RuntimeError, AssertionError) as exc:
        raise ModelError(f"could not start a local Dask cluster of {n} workers ({exc}); a "
                         "script must start it under `if __name__ == \"__main__\":`") from None
    with cluster, distributed.Client(cluster) as client:
        yield client


def run_jobs(client: Any, jobs: Sequence[Job], *, chunk_size: int | None = None,
             backend: str = "numpy", precision: str = "float64") -> list[dict[str, np.ndarray]]:
    """Per-draw outcome arrays of every job, computed as chunks on ``client``'s workers.

    Parameters
    ----------
    client : distributed.Client
    jobs : sequence of Job
        All chunks of all jobs are submitted at once (a sweep keeps every worker busy).
    chunk_size : int, optional
        Draws per chunk, rounded up to whole 4096-draw blocks (default: about
        :data:`CHUNKS_PER_WORKER` chunks per worker). No effect on the numbers.
    backend, precision : str
        Kernel each worker runs (see :func:`paxsilica.engine.chunks.run_chunk`).

    Raises
    ------
    ModelError
        A worker died more often than the scheduler allows, or the cluster went away.
    """
    _, distributed = _dask()
    n_workers = max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))
    tasks: list[tuple[int, int, int]] = []  # (job, first block, stop block)
    models = client.scatter([job.model for job in jobs], broadcast=True, hash=False)
    for j, job in enumerate(jobs):
        n_blocks = math.ceil(job.draws / BLOCK_DRAWS)
        per = (max(1, math.ceil(chunk_size / BLOCK_DRAWS)) if chunk_size
               else max(1, math.ceil(n_blocks / (CHUNKS_PER_WORKER * n_workers))))
        tasks += [(j, first, stop) for first, stop in chunk_ranges(job.draws, per)]
    futures = client.map(
        run_chunk, [models[j] for j, _, _ in tasks], [jobs[j].seed for j, _, _ in tasks],
        [first for _, first, _ in tasks], [stop for _, _, stop in tasks],
        [jobs[j].draws for j, _, _ in tasks], backend=backend, precision=precision,
        pure=False)
    index = {f.key: t for f, t in zip(futures, tasks, strict=True)}
    out = [new_outcomes(job.model, job.draws, job.draws) for job in jobs]
    done = [np.zeros(math.ceil(job.draws / BLOCK_DRAWS), dtype=bool) for job in jobs]
    try:
        for future, part in distributed.as_completed(futures, with_results=True):
            j, first, stop = index[future.key]
            place(out[j], first, part)
            done[j][first:stop] = True
            future.release()
    except PaxsilicaError:
        client.cancel(futures)
        raise
    except (distributed.KilledWorker, distributed.comm.CommClosedError, OSError,
            TimeoutError) as exc:
        client.cancel(futures)
        raise ModelError(f"the distributed run failed and was abandoned ({type(exc).__name__}: "
                         f"{exc}); no partial result was kept") from None
    finally:
        client.cancel(models)
    for j, flags in enumerate(done):
        if not flags.all():  # never assemble a partial run
            missing = int((~flags).sum())
            raise ModelError(f"the distributed run of '{jobs[j].model.scenario}' is missing "
                             f"{missing} of {flags.size} blocks; no result was kept")
    return out
