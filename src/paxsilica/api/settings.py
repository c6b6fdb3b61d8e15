"""The service's settings: from environment variables, overridden by flags; no module state.

Environment variables
---------------------
PAXSILICA_DB              DuckDB file for runs and tokens (default ./paxsilica.duckdb)
PAXSILICA_DATA            a data package to use instead of the embedded one
PAXSILICA_OPEN_READ       1 (default): reading needs no token; 0: every request needs one
PAXSILICA_MAX_BODY_BYTES  largest request body accepted (default 1,000,000)
PAXSILICA_MAX_DRAWS       most draws one run may ask for (default 20,000)
PAXSILICA_RUN_WORKERS     runs executed at once in background threads (default 1)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

__all__ = ["Settings"]


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
    run_workers: int = 1

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``environ`` (default ``os.environ``), then ``overrides`` not None."""
        env = os.environ if environ is None else environ
        settings = cls(
            db=Path(env.get("PAXSILICA_DB", "paxsilica.duckdb")),
            data=Path(env["PAXSILICA_DATA"]) if env.get("PAXSILICA_DATA") else None,
            open_read=_flag(env.get("PAXSILICA_OPEN_READ", "1")),
            max_body_bytes=int(env.get("PAXSILICA_MAX_BODY_BYTES", "1000000")),
            max_draws=int(env.get("PAXSILICA_MAX_DRAWS", "20000")),
            run_workers=int(env.get("PAXSILICA_RUN_WORKERS", "1")),
        )
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})

    def to_env(self) -> dict[str, str]:
        """The environment variables that reproduce these settings (for a server process)."""
        env = {"PAXSILICA_DB": str(self.db), "PAXSILICA_OPEN_READ": "1" if self.open_read else "0",
               "PAXSILICA_MAX_BODY_BYTES": str(self.max_body_bytes),
               "PAXSILICA_MAX_DRAWS": str(self.max_draws),
               "PAXSILICA_RUN_WORKERS": str(self.run_workers)}
        if self.data is not None:
            env["PAXSILICA_DATA"] = str(self.data)
        return env
