"""Where the service's runs compute: Dask workers, never the web process.

A LocalCluster started by the service (``run_workers`` processes, one thread each) or, with
``Settings.scheduler``, the workers of a running Dask scheduler (``tcp://host:8786``). The
worker runs :func:`paxsilica.workflows.compute_run` (the same engine call path as the CLI) and
sends back the summaries and fans; the service process writes them to DuckDB, because only
one process may open the file read-write (docs/reliability.md).

Why processes: a run in a thread of the web process shares its GIL with every request, and
under 20 readers a 0.3 s run took 29 s (issue 14). A worker process gets its own share of the
CPUs from the operating system, whatever the readers do.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from paxsilica import workflows
from paxsilica.calibration.posterior import DEFAULT_PARAMETERS
from paxsilica.errors import StoreError
from paxsilica.model.dataset import Dataset
from paxsilica.model.scenario import Scenario

__all__ = ["Executor", "compute_on_worker", "data_arg"]

#: Datasets a worker process has loaded, by data path ("" = the embedded package): loading
#: takes about a second, and a worker serves many runs of the same service.
_WORKER_DATASETS: dict[str, Dataset] = {}
_WORKER_LOCK = threading.Lock()


def _worker_dataset(data: str | None) -> Dataset:
    with _WORKER_LOCK:
        key = data or ""
        if key not in _WORKER_DATASETS:
            _WORKER_DATASETS[key] = workflows.load(data)
        return _WORKER_DATASETS[key]


def compute_on_worker(scn: Scenario, draws: int, seed: int, data: str | None,
                      dataset_hash: str,
                      parameters: str = DEFAULT_PARAMETERS) -> tuple[str, Any]:
    """The task a Dask worker runs: ``("ok", ComputedRun)`` or ``("failed", reason)``.

    Failures come back as text, not as exceptions: a paxsilica error with extra fields may
    not survive pickling, and the reason is all the store keeps. ``dataset_hash`` is the
    service's; a worker whose data differ (another machine, another package) refuses.
    ``parameters``: the run's behavioural parameters (:mod:`paxsilica.calibration.posterior`).
    """
    try:
        ds = _worker_dataset(data)
        if ds.content_hash != dataset_hash:
            return "failed", ("the Dask worker's data package differs from the service's "
                              f"(hash {ds.content_hash[:12]} vs {dataset_hash[:12]})")
        _results, computed = workflows.compute_run(scn, draws, seed, ds,
                                                   parameters=parameters)
        meta = {**computed.meta, "worker": f"{socket.gethostname()}:{os.getpid()}"}
        return "ok", workflows.ComputedRun(computed.metrics, computed.fans, meta,
                                           computed.seconds)
    except Exception as exc:  # noqa: BLE001 - every failure is reported, as text
        return "failed", f"{type(exc).__name__}: {exc}"


class Executor:
    """A Dask client to the service's cluster, started on first use (thread-safe)."""

    def __init__(self, scheduler: str | None, workers: int, processes: bool) -> None:
        self.scheduler, self.workers, self.processes = scheduler, max(1, workers), processes
        self._lock = threading.Lock()
        self._cluster: Any = None
        self._client: Any = None

    def client(self) -> Any:
        """The ``distributed.Client`` (starts the LocalCluster the first time)."""
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def slots(self) -> int:
        """Runs that can compute at once: worker threads known to the scheduler."""
        if self.scheduler is None:
            return self.workers
        info = self.client().scheduler_info(n_workers=-1)
        return max(1, sum(int(w.get("nthreads", 1)) for w in info["workers"].values()))

    def submit(self, key: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Submit ``fn(*args)`` under ``key`` (the run id); a Future."""
        return self.client().submit(fn, *args, key=key, pure=False)

    def stop_task(self, future: Any) -> None:
        """Cancel a future; if it is computing, restart the worker process running it, which
        is the only way to stop an engine call midway (a LocalCluster's nanny starts a fresh
        worker; a thread worker cannot be stopped and finishes, its result dropped)."""
        client = self.client()
        busy = [address for address, keys in client.processing().items()
                if future.key in keys]
        future.cancel()
        if busy and self.processes:
            try:
                client.restart_workers(busy, raise_for_error=False)
            except Exception:  # noqa: BLE001 - a worker that cannot restart is replaced by dask
                logging.getLogger(__name__).warning("could not restart Dask worker %s", busy)

    def close(self) -> None:
        """Close the client and the LocalCluster (if the service started one)."""
        with self._lock:
            for thing in (self._client, self._cluster):
                if thing is not None:
                    try:
                        thing.close()
                    except Exception:  # noqa: BLE001 - closing on shutdown, best effort
                        pass
            self._client = self._cluster = None

    def _connect(self) -> Any:
        import dask
        import distributed

        if self.scheduler is not None:
            try:
                return distributed.Client(self.scheduler, timeout=30)
            except (OSError, TimeoutError) as exc:
                raise StoreError(f"cannot reach the Dask scheduler at '{self.scheduler}' "
                                 f"(expected tcp://HOST:PORT of a running scheduler): "
                                 f"{exc}") from None
        # Dask's default MALLOC_TRIM_THRESHOLD_ slows the kernel 2.6x (engine/distributed.py)
        config = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
        # The scheduler's HTTP server: loopback, a free port (None still binds :8787 on every
        # interface, and warns when another cluster holds it).
        with dask.config.set(config):
            self._cluster = distributed.LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=self.processes,
                dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR, timeout=60)
        return distributed.Client(self._cluster)


def data_arg(data: Path | None) -> str | None:
    """The data path as workers get it (absolute: they may start in another folder)."""
    return None if data is None else str(Path(data).resolve())
