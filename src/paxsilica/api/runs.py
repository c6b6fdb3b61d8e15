"""The service's runs: admission (quotas, memory estimate), a queue, Dask execution, cancel.

A run request is checked **before** it is accepted:

1. its estimated memory (:func:`estimate_run`) must fit ``max_run_memory_mb``, else 422 with
   the largest draws that would fit;
2. its cell-months alone must fit the per-token budget ``max_cell_months``, else 422;
3. the token may have at most ``max_runs_per_token`` runs queued or running and at most
   ``max_cell_months`` cell-months in them, and the queue at most ``max_queue`` runs, else
   429 with ``Retry-After``.

Accepted runs are registered (status ``running``, owner = the token) and wait in a FIFO
queue; the manager submits one to the Dask cluster whenever a worker slot is free
(:mod:`paxsilica.api.executor`), so a cancelled queued run never reaches a worker. Results
come back to this process, which writes them to DuckDB: one process owns the file.

Progress phases: queued -> simulating -> storing -> complete | failed | cancelled.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from paxsilica import workflows
from paxsilica.api.executor import Executor, compute_on_worker, data_arg
from paxsilica.calibration.posterior import DEFAULT_PARAMETERS
from paxsilica.api.settings import Settings
from paxsilica.dims import SEGMENTS
from paxsilica.errors import PaxsilicaError
from paxsilica.model.dataset import Dataset
from paxsilica.model.scenario import Scenario
from paxsilica.store.runs import RunStore

__all__ = ["Progress", "QuotaError", "RunCost", "RunManager", "TooLargeError", "estimate_run"]

#: Measured peak memory of a run that keeps its monthly paths (draws <= FAN_MAX_DRAWS), per
#: cell-month: 90-107 bytes for 200-1,000 draws x 60-240 months (39 commodities, numpy;
#: benchmarks/run_memory_estimate.py, figures in docs/reliability.md). Rounded up.
BYTES_PER_PATH_CELL_MONTH = 110
#: Peak memory per draw and region in flight of a run without paths (chunked by the engine in
#: blocks of 4,096 draws): 160 MiB for 4,000 draws of the 3-segment map at 60 and 240 months
#: (14 kB per draw and segment); 972 MiB for 4,000 draws of the 19-region map at 24 months
#: (12.8 kB), benchmarks/run_memory_estimate.py.
BYTES_PER_DRAW_REGION_IN_FLIGHT = 14_000
BLOCK_DRAWS = 4096
#: A worker's own memory before a run (interpreter, numpy, pandas, the dataset).
WORKER_BASE_BYTES = 200 * 2**20


class QuotaError(PaxsilicaError):
    """A run refused for now (429): the token or the queue is at its limit."""

    def __init__(self, message: str, retry_after_s: int = 10) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class TooLargeError(PaxsilicaError):
    """A run refused outright (422): it can never fit the service's limits as asked."""


@dataclass(frozen=True)
class RunCost:
    """What a run will take: cell-months (draws x commodities x segments x months) and the
    estimated peak memory of the worker computing it, bytes."""

    cell_months: float
    memory_bytes: int
    keeps_paths: bool


def estimate_run(draws: int, months: int, commodities: int,
                 regions: int = len(SEGMENTS)) -> RunCost:
    """Cell-months and estimated peak memory (bytes) of a run, before it starts: the state
    of the draws in flight (per region) plus, for runs that keep fan paths, the paths (kept
    for the bloc aggregates, so per segment)."""
    cells = draws * months * commodities * len(SEGMENTS)
    paths = draws <= workflows.FAN_MAX_DRAWS
    extra = min(draws, BLOCK_DRAWS) * BYTES_PER_DRAW_REGION_IN_FLIGHT * regions
    if paths:
        extra += cells * BYTES_PER_PATH_CELL_MONTH
    return RunCost(float(cells), int(WORKER_BASE_BYTES + extra), paths)


def _largest_draws(months: int, commodities: int, limit_bytes: int,
                   regions: int = len(SEGMENTS)) -> int:
    """Most draws (with paths kept) whose estimate fits ``limit_bytes``."""
    per_draw = (months * commodities * len(SEGMENTS) * BYTES_PER_PATH_CELL_MONTH
                + BYTES_PER_DRAW_REGION_IN_FLIGHT * regions)
    return max(0, (limit_bytes - WORKER_BASE_BYTES) // per_draw)


@dataclass
class Progress:
    """Live state of one run started by this process, with the seconds spent per phase."""

    phase: str = "queued"
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    error: str | None = None
    entered: float = field(default_factory=time.monotonic)
    spent: dict[str, float] = field(default_factory=dict)

    def enter(self, phase: str, error: str | None = None) -> None:
        """Move to ``phase`` (a final one also stops the clock)."""
        now = time.monotonic()
        self.spent[self.phase] = self.spent.get(self.phase, 0.0) + now - self.entered
        self.phase, self.entered, self.error = phase, now, error
        if phase in ("complete", "failed", "cancelled"):
            self.finished = now

    def as_dict(self) -> dict[str, Any]:
        end = self.finished if self.finished is not None else time.monotonic()
        order = ("queued", "simulating", "storing", "complete")
        step = order.index(self.phase) if self.phase in order else len(order) - 1
        spent = dict(self.spent)
        if self.finished is None:
            spent[self.phase] = spent.get(self.phase, 0.0) + end - self.entered
        return {"phase": self.phase, "elapsed_s": round(end - self.started, 2),
                "fraction": round(step / (len(order) - 1), 2), "error": self.error,
                "phase_s": {name: round(value, 2) for name, value in spent.items()}}


@dataclass
class _Job:
    run_id: str
    owner: str
    scn: Scenario
    draws: int
    seed: int
    cost: RunCost
    parameters: str = DEFAULT_PARAMETERS
    future: Any = None


class RunManager:
    """Admits, queues, executes (on Dask), stores and cancels the service's runs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = settings.db
        # One connection held for the service's life keeps DuckDB's database instance alive,
        # so the short-lived connections of requests and the storer all join it instead of
        # racing to create and tear down instances (seen: 'pandas_scan does not exist').
        self._anchor = ExitStack()
        self._anchor.enter_context(RunStore.open(settings.db))
        self.executor = Executor(settings.scheduler, settings.run_workers,
                                 settings.run_processes)
        # Results are written by one thread: DuckDB serialises writers anyway, and Dask's
        # callback thread must not block on the store.
        self._storer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paxsilica-store")
        self._lock = threading.Lock()
        # check + register + enqueue as one step: two requests of one token at once must not
        # both pass the quota check before either is counted
        self._admission = threading.Lock()
        self._queue: deque[_Job] = deque()
        self._active: dict[str, _Job] = {}  # queued or computing, by run id
        self._progress: dict[str, Progress] = {}
        self._closed = False
        self._hash: str | None = None  # the service dataset's, sent with each run

    # -- admission ---------------------------------------------------------------------------
    def check(self, owner: str, scn: Scenario, draws: int, ds: Dataset) -> RunCost:
        """The run's cost if it may start now; TooLargeError (422) or QuotaError (429)."""
        settings = self.settings
        months, commodities = scn.horizon_months, len(ds.commodities)
        regions = len(ds.region_map(scn.regions).regions)
        cost = estimate_run(draws, months, commodities, regions)
        limit = settings.max_run_memory_mb * 2**20
        if cost.memory_bytes > limit:
            fit = _largest_draws(months, commodities, limit, regions)
            raise TooLargeError(
                f"this run needs about {cost.memory_bytes / 2**20:,.0f} MiB ({draws:,} draws x "
                f"{months} months x {commodities} commodities x {regions} regions, "
                f"monthly paths kept for fan charts), over this service's limit of "
                f"{settings.max_run_memory_mb:,} MiB per run: ask for at most {fit:,} draws "
                f"at {months} months, or a shorter horizon")
        if cost.cell_months > settings.max_cell_months:
            fit = int(settings.max_cell_months // (months * commodities * len(SEGMENTS)))
            raise TooLargeError(
                f"this run is {cost.cell_months:.3g} cell-months (draws x commodities x "
                f"segments x months), over this service's limit of "
                f"{settings.max_cell_months:.3g} per token: ask for at most {fit:,} draws at "
                f"{months} months, or run it with the CLI (paxsilica simulate --workers N)")
        with self._lock:
            mine = [job for job in self._active.values() if job.owner == owner]
            if len(mine) >= settings.max_runs_per_token:
                raise QuotaError(f"this token already has {len(mine)} runs queued or running "
                                 f"(the limit is {settings.max_runs_per_token}); wait for one "
                                 "to finish or cancel one (DELETE /api/runs/{run_id})")
            busy = sum(job.cost.cell_months for job in mine)
            if busy + cost.cell_months > settings.max_cell_months:
                raise QuotaError(f"this token's queued and running runs hold {busy:.3g} "
                                 f"cell-months; this run's {cost.cell_months:.3g} would pass "
                                 f"the limit of {settings.max_cell_months:.3g}: wait for them "
                                 "to finish")
            if len(self._queue) >= settings.max_queue:
                raise QuotaError(f"{len(self._queue)} runs are waiting for a worker (the "
                                 f"limit is {settings.max_queue}); try again shortly", 30)
        return cost

    def submit(self, scn: Scenario, draws: int, seed: int, ds: Dataset,
               owner: tuple[str, str],
               parameters: str = DEFAULT_PARAMETERS) -> tuple[str, RunCost]:
        """:meth:`check` then :meth:`start`, atomically per service; (run id, cost)."""
        with self._admission:
            cost = self.check(owner[0], scn, draws, ds)
            return self.start(scn, draws, seed, ds, owner=owner, cost=cost,
                              parameters=parameters), cost

    def start(self, scn: Scenario, draws: int, seed: int, ds: Dataset,
              owner: tuple[str, str] | None = None, cost: RunCost | None = None,
              parameters: str = DEFAULT_PARAMETERS) -> str:
        """Register the run (so its id exists at once) and queue it; return the id.

        ``owner`` is the (token id, name) that asked; ``cost`` from :meth:`check`;
        ``parameters`` the behavioural parameters (:mod:`paxsilica.calibration.posterior`).
        """
        cost = cost or estimate_run(draws, scn.horizon_months, len(ds.commodities),
                                    len(ds.region_map(scn.regions).regions))
        run_id = workflows.begin_run(scn, draws, seed, ds, self.db, owner=owner)
        job = _Job(run_id, owner[0] if owner else "", scn, draws, seed, cost, parameters)
        with self._lock:
            self._progress[run_id] = Progress()
            self._active[run_id] = job
            self._queue.append(job)
        self._dispatch(ds.content_hash)
        return run_id

    # -- reading -----------------------------------------------------------------------------
    def progress(self, run_id: str) -> dict[str, Any] | None:
        """This process's view of a run, or None if it did not start it."""
        with self._lock:
            state = self._progress.get(run_id)
            if state is None:
                return None
            view = state.as_dict()
            if state.phase == "queued":
                view["queue_position"] = next(
                    (k + 1 for k, job in enumerate(self._queue) if job.run_id == run_id), None)
            return view

    def wait(self, run_id: str, timeout: float = 60.0) -> str:
        """Block until a run finishes (for tests and the CLI); its final phase."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.progress(run_id)
            if state is None or state["phase"] in ("complete", "failed", "cancelled"):
                return "unknown" if state is None else str(state["phase"])
            time.sleep(0.05)
        return "timeout"

    # -- cancel ------------------------------------------------------------------------------
    def cancel(self, run_id: str, who: str) -> str:
        """Cancel a queued or running run; its status afterwards.

        A queued run leaves the queue; a computing one is stopped on its worker. A run that
        has already finished keeps its status (the answer says which).
        """
        with self._lock:
            job = self._active.pop(run_id, None)
            if job is not None and job in self._queue:
                self._queue.remove(job)
            state = self._progress.get(run_id)
            if job is not None and state is not None:
                state.enter("cancelled", f"cancelled by {who}")
        if job is not None and job.future is not None and job.future is not _PENDING:
            self.executor.stop_task(job.future)  # (a run being submitted is dropped on return)
        with RunStore.open(self.db) as store:
            changed = store.cancel_run(run_id, f"cancelled by {who}")
            status = "cancelled" if changed else store.owner(run_id)[1]
        if job is not None:
            self._dispatch(None)
        return status

    def owner_of(self, run_id: str) -> tuple[str | None, str]:
        """(owner token id, store status) of a stored run; NotFoundError if unknown."""
        with RunStore.open(self.db, create=False) as store:
            return store.owner(run_id)

    def shutdown(self) -> None:
        """Stop taking runs; runs still queued or computing are marked failed in the store."""
        with self._lock:
            self._closed = True
            left = list(self._active)
            self._active.clear()
            self._queue.clear()
        self.executor.close()
        self._storer.shutdown(wait=True)
        if left:
            with RunStore.open(self.db) as store:
                for run_id in left:
                    store.fail_run(run_id, "the service stopped before the run finished")
        self._anchor.close()

    # -- internals ---------------------------------------------------------------------------
    def _dispatch(self, dataset_hash: str | None) -> None:
        """Submit queued runs while a worker slot is free."""
        if dataset_hash is not None:
            self._hash = dataset_hash
        slots = self.executor.slots()
        while True:
            with self._lock:
                computing = sum(1 for job in self._active.values() if job.future is not None)
                if self._closed or not self._queue or computing >= slots:
                    return
                job = self._queue.popleft()
                self._progress[job.run_id].enter("simulating")
                # reserve the slot before submitting: another thread may dispatch meanwhile
                job.future = _PENDING
            try:
                future = self.executor.submit(
                    f"run-{job.run_id}", compute_on_worker, job.scn, job.draws, job.seed,
                    data_arg(self.settings.data), self._hash, job.parameters)
            except Exception as exc:  # noqa: BLE001 - the cluster could not take it
                self._finish(job, "failed", f"{type(exc).__name__}: {exc}")
                continue
            with self._lock:
                job.future = future
            future.add_done_callback(lambda done, job=job: self._storer.submit(
                self._collect, job, done))

    def _collect(self, job: _Job, future: Any) -> None:
        """A worker finished (or the future was cancelled): store the outcome."""
        with self._lock:
            if self._active.get(job.run_id) is not job:
                return  # cancelled meanwhile: the store already says so
        try:
            status, payload = future.result()
        except Exception as exc:  # noqa: BLE001 - worker lost, cluster closed, ...
            status, payload = "failed", f"{type(exc).__name__}: {exc}"
        if status == "ok":
            with self._lock:
                self._progress[job.run_id].enter("storing")
            try:
                workflows.store_computed_run(job.run_id, payload, self.db)
            except PaxsilicaError as exc:
                status, payload = "failed", f"{type(exc).__name__}: {exc}"
        self._finish(job, "complete" if status == "ok" else "failed",
                     None if status == "ok" else str(payload))

    def _finish(self, job: _Job, phase: str, error: str | None) -> None:
        with self._lock:
            if self._active.pop(job.run_id, None) is None:
                return
            self._progress[job.run_id].enter(phase, error)
        if phase == "failed":
            try:
                with RunStore.open(self.db) as store:
                    store.fail_run(job.run_id, error or "failed")
            except PaxsilicaError:
                pass  # the next open marks the orphan failed once this process has ended
        self._dispatch(None)


#: Placeholder future of a job being submitted (counts as computing).
_PENDING = object()

