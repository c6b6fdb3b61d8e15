"""The DuckDB results store: one record per run, so every number can be traced and re-run.

A run is first registered as ``running`` (committed), then its summaries and the status
``complete`` are written in one transaction. A process killed in between leaves no partial
summaries, only a ``running`` record, which :meth:`RunStore.open` marks ``failed`` when the
process that owned it is gone.

Tables
------
runs     : run_id, created_at, status, scenario, scenario_doc (JSON), seed, draws, months,
           dataset_hash, code_version, seconds, meta (JSON), error, pid, host, owner_id,
           owner_name (the token that started the run through the service; NULL from the CLI)

Statuses: ``running`` (registered, queued or computing), ``complete``, ``failed`` and
``cancelled`` (stopped by its owner through ``DELETE /api/runs/{id}``).
metrics  : run_id, scope ('commodity' | 'capability' | 'run'), item, segment, metric, value
run_fans : run_id, variable, item, segment, quantile (0..1), month (0-based), value: per-month
           percentiles of a run's paths across draws, for fan charts (optional per run)
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from paxsilica.errors import NotFoundError, StoreError

__all__ = ["FAN_COLUMNS", "RunStore", "default_db_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL,
    scenario VARCHAR NOT NULL,
    scenario_doc VARCHAR,
    seed BIGINT,
    draws BIGINT,
    months INTEGER,
    dataset_hash VARCHAR,
    code_version VARCHAR,
    seconds DOUBLE,
    meta VARCHAR,
    error VARCHAR,
    pid INTEGER,
    host VARCHAR,
    owner_id VARCHAR,
    owner_name VARCHAR
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    item VARCHAR NOT NULL,
    segment VARCHAR,
    metric VARCHAR NOT NULL,
    value DOUBLE
);
CREATE TABLE IF NOT EXISTS run_fans (
    run_id VARCHAR NOT NULL,
    variable VARCHAR NOT NULL,
    item VARCHAR NOT NULL,
    segment VARCHAR,
    quantile DOUBLE NOT NULL,
    month INTEGER NOT NULL,
    value DOUBLE
);
"""

# Stores written before owners were recorded gain the columns (NULL: unknown owner).
_MIGRATE = """
ALTER TABLE runs ADD COLUMN IF NOT EXISTS owner_id VARCHAR;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS owner_name VARCHAR;
"""
#: Files this process has migrated: every request opens the store, and a schema change per
#: open would serialise them.
_MIGRATED: set[str] = set()

#: Columns of a fan frame (see :meth:`RunStore.complete_run`).
FAN_COLUMNS = ["variable", "item", "segment", "quantile", "month", "value"]


def default_db_path() -> Path:
    """``$PAXSILICA_DB`` or ``./paxsilica.duckdb``."""
    return Path(os.environ.get("PAXSILICA_DB", "paxsilica.duckdb"))


class RunStore:
    """A results store in one DuckDB file. Use :meth:`open` as a context manager."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        self._con = con
        self.path = path

    # -- opening ------------------------------------------------------------------------------
    @classmethod
    @contextmanager
    def open(cls, path: str | Path | None = None, create: bool = True) -> Iterator[RunStore]:
        """Open the store at ``path`` (creating it unless ``create=False``); closes on exit.

        Connections are always read-write: DuckDB refuses a read-only and a read-write
        connection to one file inside one process, and the service reads while it writes.
        """
        path = Path(path) if path is not None else default_db_path()
        if not create and not path.exists():
            raise StoreError(f"results store '{path}' does not exist; run a simulation first")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(path))
        except (duckdb.Error, OSError) as exc:
            raise StoreError(f"cannot open results store '{path}': {_first_line(exc)}") from None
        store = cls(con, path)
        try:
            store._execute(_SCHEMA)
            key = f"{path.resolve()}:{path.stat().st_ino}"  # a file made anew is new
            if key not in _MIGRATED:
                store._execute(_MIGRATE)
                _MIGRATED.add(key)
            store._fail_orphans()
            yield store
        finally:
            con.close()

    # -- writing ------------------------------------------------------------------------------
    def begin_run(self, scenario: str, scenario_doc: Mapping[str, Any], seed: int, draws: int,
                  months: int, dataset_hash: str, code_version: str,
                  owner: tuple[str, str] | None = None) -> str:
        """Register a run as ``running`` and return its id; ``owner`` is (token id, name)."""
        run_id = uuid.uuid4().hex[:12]
        owner_id, owner_name = owner if owner is not None else (None, None)
        self._execute(
            "INSERT INTO runs (run_id, created_at, status, scenario, scenario_doc, seed, draws, "
            "months, dataset_hash, code_version, pid, host, owner_id, owner_name) "
            "VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, datetime.now(timezone.utc).replace(tzinfo=None), scenario,
             json.dumps(scenario_doc, default=str), seed, draws, months, dataset_hash,
             code_version, os.getpid(), socket.gethostname(), owner_id, owner_name],
        )
        return run_id

    def complete_run(self, run_id: str, metrics: pd.DataFrame, seconds: float,
                     meta: Mapping[str, Any], fans: pd.DataFrame | None = None) -> None:
        """Write a run's metrics (and fans) and mark it complete, in one transaction.

        ``metrics`` has columns scope, item, segment, metric, value; ``fans`` has
        :data:`FAN_COLUMNS`. A crash before the commit leaves neither, and the run ``running``.
        """
        frames = {"metrics": metrics[["scope", "item", "segment", "metric", "value"]]}
        if fans is not None:
            frames["run_fans"] = fans[FAN_COLUMNS]
        try:
            self._con.execute("BEGIN TRANSACTION")
            for table, frame in frames.items():
                rows = frame.copy()
                rows.insert(0, "run_id", run_id)
                self._con.register("incoming_rows", rows)
                self._con.execute(f"INSERT INTO {table} SELECT * FROM incoming_rows")
                self._con.unregister("incoming_rows")
            self._con.execute(
                "UPDATE runs SET status = 'complete', seconds = ?, meta = ? WHERE run_id = ?",
                [seconds, json.dumps(meta, default=str), run_id])
            self._con.execute("COMMIT")
        except duckdb.Error as exc:
            self._rollback()
            raise StoreError(f"cannot write run {run_id} to results store '{self.path}': "
                             f"{_first_line(exc)}") from None

    def fail_run(self, run_id: str, error: str) -> None:
        """Mark a run failed with the reason (a run already cancelled stays cancelled)."""
        self._execute("UPDATE runs SET status = 'failed', error = ? "
                      "WHERE run_id = ? AND status <> 'cancelled'", [error[:2000], run_id])

    def cancel_run(self, run_id: str, reason: str) -> bool:
        """Mark a ``running`` run cancelled; False when it had already finished."""
        row = self._query("SELECT status FROM runs WHERE run_id = ?", [run_id])
        if row.empty:
            raise NotFoundError(f"run '{run_id}' is not in the results store")
        if row.iloc[0]["status"] != "running":
            return False
        self._execute("UPDATE runs SET status = 'cancelled', error = ? WHERE run_id = ?",
                      [reason[:2000], run_id])
        return True

    def owner(self, run_id: str) -> tuple[str | None, str]:
        """(owner token id or None, status) of a run; NotFoundError for an unknown id."""
        row = self._query("SELECT owner_id, status FROM runs WHERE run_id = ?", [run_id])
        if row.empty:
            raise NotFoundError(f"run '{run_id}' is not in the results store")
        owner = row.iloc[0]["owner_id"]
        return (None if owner is None or pd.isna(owner) else str(owner)), str(
            row.iloc[0]["status"])

    # -- reading ------------------------------------------------------------------------------
    def list_runs(self, limit: int = 50) -> pd.DataFrame:
        """Most recent runs first."""
        return self._query(
            "SELECT run_id, created_at, status, scenario, seed, draws, months, seconds, "
            "dataset_hash, owner_name AS owner FROM runs ORDER BY created_at DESC LIMIT ?",
            [limit])

    def get_run(self, run_id: str) -> dict[str, Any]:
        """One run's record with its metrics (a DataFrame under ``metrics``)."""
        rows = self._query("SELECT * FROM runs WHERE run_id = ?", [run_id])
        if rows.empty:
            # the message names no file: it reaches API clients (issue 14)
            raise NotFoundError(f"run '{run_id}' is not in the results store")
        record = rows.iloc[0].to_dict()
        for key in ("scenario_doc", "meta"):
            record[key] = json.loads(record[key]) if isinstance(record[key], str) else None
        record["metrics"] = self._query(
            "SELECT scope, item, segment, metric, value FROM metrics WHERE run_id = ? "
            "ORDER BY scope, item, segment, metric", [run_id])
        return record

    def get_fans(self, run_id: str) -> pd.DataFrame:
        """A run's fans (:data:`FAN_COLUMNS`); empty when it stored none."""
        return self._query(
            "SELECT variable, item, segment, quantile, month, value FROM run_fans "
            "WHERE run_id = ? ORDER BY variable, item, segment, quantile, month", [run_id])

    # -- internals ----------------------------------------------------------------------------
    def _fail_orphans(self) -> None:
        running = self._query("SELECT run_id, pid, host FROM runs WHERE status = 'running'")
        here = socket.gethostname()
        for row in running.itertuples(index=False):
            if row.host == here and not _alive(row.pid):
                self.fail_run(row.run_id, "the process writing this run ended before it finished")

    def _rollback(self) -> None:
        try:
            self._con.execute("ROLLBACK")
        except duckdb.Error:
            pass  # a failed COMMIT (disk full) has already ended the transaction

    def _execute(self, sql: str, params: list[Any] | None = None) -> None:
        try:
            self._con.execute(sql, params or [])
        except duckdb.Error as exc:
            raise StoreError(f"results store '{self.path}': {_first_line(exc)}") from None

    def _query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        try:
            return self._con.execute(sql, params or []).df()
        except duckdb.Error as exc:
            raise StoreError(f"results store '{self.path}': {_first_line(exc)}") from None


def _alive(pid: Any) -> bool:
    if pid is None or pd.isna(pid):
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
