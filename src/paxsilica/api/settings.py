"""The service's settings: from environment variables, overridden by flags; no module state.

Environment variables
---------------------
PAXSILICA_DB                     DuckDB file for runs and tokens (default ./paxsilica.duckdb)
PAXSILICA_DATA                   a data package to use instead of the embedded one
PAXSILICA_OPEN_READ              1 (default): reading needs no token; 0: every request needs one
PAXSILICA_MAX_BODY_BYTES         largest request body accepted (default 1,000,000)
PAXSILICA_MAX_DRAWS              most draws one run may ask for (default 20,000)
PAXSILICA_SCHEDULER              a Dask scheduler address (tcp://host:8786) that runs execute
                                 on; unset: a Dask LocalCluster started by the service
PAXSILICA_RUN_WORKERS            LocalCluster worker processes, i.e. runs computed at once
                                 (default 2)
PAXSILICA_RUN_PROCESSES          1 (default): LocalCluster workers are processes; 0: threads of
                                 the service process (tests only: runs then share its GIL)
PAXSILICA_MAX_RUNS_PER_TOKEN     runs one token may have queued or running at once (default 2)
PAXSILICA_MAX_CELL_MONTHS        cell-months (draws x commodities x segments x months) one
                                 token may have queued or running at once (default 1.5e8)
PAXSILICA_MAX_RUN_MEMORY_MB      estimated memory one run may need, MiB (default 1,536)
PAXSILICA_MAX_QUEUE              runs waiting for a worker, all tokens together (default 32)
PAXSILICA_REQUEST_THREADS        threads answering requests at once (default 8): more only
                                 share the GIL more thinly, and starve the thread that stores
                                 finished runs
PAXSILICA_ALLOWED_HOSTS          comma-separated Host header names accepted (default
                                 localhost,127.0.0.1,[::1]); ``*`` accepts any (not advised)
PAXSILICA_SERVICE_URL            the URL the CLI on this machine reaches the service at; when
                                 set, the service writes it next to the database on start-up
                                 (``paxsilica serve`` sets it)
PAXSILICA_SECURE_COOKIES         1: session cookies carry ``Secure`` (``serve`` sets it with TLS)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_HOSTS", "Settings"]

#: Host names a service on this machine answers to by default (DNS rebinding protection).
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    """Everything :func:`paxsilica.api.app.create_app` needs to know."""

    db: Path = Path("paxsilica.duckdb")
    data: Path | None = None
    open_read: bool = True
    max_body_bytes: int = 1_000_000
    max_draws: int = 20_000
    scheduler: str | None = None
    run_workers: int = 2
    run_processes: bool = True
    max_runs_per_token: int = 2
    max_cell_months: float = 1.5e8
    max_run_memory_mb: int = 1536
    max_queue: int = 32
    request_threads: int = 8
    allowed_hosts: tuple[str, ...] = DEFAULT_HOSTS
    service_url: str | None = None
    secure_cookies: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``environ`` (default ``os.environ``), then ``overrides`` not None."""
        env = os.environ if environ is None else environ
        hosts = env.get("PAXSILICA_ALLOWED_HOSTS", "")
        settings = cls(
            db=Path(env.get("PAXSILICA_DB", "paxsilica.duckdb")),
            data=Path(env["PAXSILICA_DATA"]) if env.get("PAXSILICA_DATA") else None,
            open_read=_flag(env.get("PAXSILICA_OPEN_READ", "1")),
            max_body_bytes=int(env.get("PAXSILICA_MAX_BODY_BYTES", "1000000")),
            max_draws=int(env.get("PAXSILICA_MAX_DRAWS", "20000")),
            scheduler=env.get("PAXSILICA_SCHEDULER") or None,
            run_workers=int(env.get("PAXSILICA_RUN_WORKERS", "2")),
            run_processes=_flag(env.get("PAXSILICA_RUN_PROCESSES", "1")),
            max_runs_per_token=int(env.get("PAXSILICA_MAX_RUNS_PER_TOKEN", "2")),
            max_cell_months=float(env.get("PAXSILICA_MAX_CELL_MONTHS", "1.5e8")),
            max_run_memory_mb=int(env.get("PAXSILICA_MAX_RUN_MEMORY_MB", "1536")),
            max_queue=int(env.get("PAXSILICA_MAX_QUEUE", "32")),
            request_threads=int(env.get("PAXSILICA_REQUEST_THREADS", "8")),
            allowed_hosts=tuple(h.strip() for h in hosts.split(",") if h.strip())
            or DEFAULT_HOSTS,
            service_url=env.get("PAXSILICA_SERVICE_URL") or None,
            secure_cookies=_flag(env.get("PAXSILICA_SECURE_COOKIES", "0")),
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})

    def to_env(self) -> dict[str, str]:
        """The environment variables that reproduce these settings (for a server process)."""
        env = {"PAXSILICA_DB": str(self.db), "PAXSILICA_OPEN_READ": "1" if self.open_read else "0",
               "PAXSILICA_MAX_BODY_BYTES": str(self.max_body_bytes),
               "PAXSILICA_MAX_DRAWS": str(self.max_draws),
               "PAXSILICA_RUN_WORKERS": str(self.run_workers),
               "PAXSILICA_RUN_PROCESSES": "1" if self.run_processes else "0",
               "PAXSILICA_MAX_RUNS_PER_TOKEN": str(self.max_runs_per_token),
               "PAXSILICA_MAX_CELL_MONTHS": repr(self.max_cell_months),
               "PAXSILICA_MAX_RUN_MEMORY_MB": str(self.max_run_memory_mb),
               "PAXSILICA_MAX_QUEUE": str(self.max_queue),
               "PAXSILICA_REQUEST_THREADS": str(self.request_threads),
               "PAXSILICA_ALLOWED_HOSTS": ",".join(self.allowed_hosts),
               "PAXSILICA_SECURE_COOKIES": "1" if self.secure_cookies else "0"}
        if self.data is not None:
            env["PAXSILICA_DATA"] = str(self.data)
        if self.scheduler is not None:
            env["PAXSILICA_SCHEDULER"] = self.scheduler
        if self.service_url is not None:
            env["PAXSILICA_SERVICE_URL"] = self.service_url
        return env
