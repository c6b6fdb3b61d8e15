"""Background runs: a thread pool inside the service process, and their live progress.

Why threads, not processes: DuckDB lets only one process open the results file read-write,
and the service must keep reading while a run writes. All store access therefore stays in
this process: each step opens its own short-lived connection to the same file (DuckDB shares
one database instance between connections of one process). NumPy releases the GIL in the
kernels, so requests stay responsive while a run computes.

One DuckDB instance: the manager holds a connection open for the service's life (see
``__init__``), which every other connection in the process joins.

The store knows ``running``, ``complete`` and ``failed``; this tracker adds the finer phase
(queued, simulating, storing) and the elapsed time for runs started by this process.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paxsilica import workflows
from paxsilica.model.dataset import Dataset
from paxsilica.model.scenario import Scenario
from paxsilica.store.runs import RunStore

__all__ = ["Progress", "RunManager"]


@dataclass
class Progress:
    """Live state of one run started by this process."""

    phase: str = "queued"
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        end = self.finished if self.finished is not None else time.monotonic()
        order = ("queued", "simulating", "storing", "complete")
        step = order.index(self.phase) if self.phase in order else len(order) - 1
        return {"phase": self.phase, "elapsed_s": round(end - self.started, 2),
                "fraction": round(step / (len(order) - 1), 2), "error": self.error}


class RunManager:
    """Starts runs in background threads and remembers their progress."""

    def __init__(self, db: Path, workers: int = 1) -> None:
        self.db = db
        # One connection held for the service's life keeps DuckDB's database instance alive,
        # so the short-lived connections of requests and run threads all join it instead of
        # racing to create and tear down instances (seen: 'pandas_scan does not exist').
        self._anchor = ExitStack()
        self._anchor.enter_context(RunStore.open(db))
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers),
                                        thread_name_prefix="paxsilica-run")
        self._progress: dict[str, Progress] = {}
        self._lock = threading.Lock()

    def start(self, scn: Scenario, draws: int, seed: int, ds: Dataset) -> str:
        """Register the run (so its id exists at once) and queue it; return the id."""
        run_id = workflows.begin_run(scn, draws, seed, ds, self.db)
        with self._lock:
            self._progress[run_id] = Progress()
        self._pool.submit(self._execute, run_id, scn, draws, seed, ds)
        return run_id

    def progress(self, run_id: str) -> dict[str, Any] | None:
        """This process's view of a run, or None if it did not start it."""
        with self._lock:
            state = self._progress.get(run_id)
            return None if state is None else state.as_dict()

    def wait(self, run_id: str, timeout: float = 60.0) -> str:
        """Block until a run leaves the queue and finishes (for tests and the CLI)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.progress(run_id)
            if state is None or state["phase"] in ("complete", "failed"):
                return "unknown" if state is None else str(state["phase"])
            time.sleep(0.05)
        return "timeout"

    def shutdown(self) -> None:
        """Stop taking runs; runs still queued are marked failed in the store."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            queued = [rid for rid, state in self._progress.items() if state.phase == "queued"]
        if queued:
            with RunStore.open(self.db) as store:
                for run_id in queued:
                    store.fail_run(run_id, "the service stopped before the run started")
        self._anchor.close()

    def _set(self, run_id: str, phase: str, error: str | None = None) -> None:
        with self._lock:
            state = self._progress[run_id]
            state.phase = phase
            state.error = error
            if phase in ("complete", "failed"):
                state.finished = time.monotonic()

    def _execute(self, run_id: str, scn: Scenario, draws: int, seed: int, ds: Dataset) -> None:
        try:
            workflows.execute_run(run_id, scn, draws, seed, ds, self.db,
                                  phase=lambda name, error=None: self._set(run_id, name, error))
        except Exception:  # execute_run has reported the failure and stored it
            pass
        else:
            self._set(run_id, "complete")
