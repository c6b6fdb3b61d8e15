"""Where a running service can be reached, written next to the database it owns.

DuckDB lets one process open a file read-write and no other process open it at all while it
does (docs/reliability.md). So while ``paxsilica serve`` runs, the service owns the results
store, and the CLI's ``runs``, ``report`` and ``tokens`` go through the service instead of
opening the file. The service tells them how in ``<db>.service.json``:

    {"url": "http://127.0.0.1:8000", "pid": 1234, "admin_key": "pxa_...", "tls": false}

The file is created with mode 0600 (owner only): whoever can read it could also open the
database itself once the service stops, so it grants nothing the file system does not. It is
removed when the service stops; a stale one (its pid gone) is ignored.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Endpoint", "endpoint_path", "read_endpoint", "remove_endpoint", "write_endpoint"]


@dataclass(frozen=True)
class Endpoint:
    """How to reach the service that owns a database."""

    url: str
    pid: int
    admin_key: str
    tls: bool = False


def endpoint_path(db: str | Path) -> Path:
    """``<db>.service.json`` beside the database file."""
    db = Path(db)
    return db.with_name(db.name + ".service.json")


def write_endpoint(db: str | Path, url: str, tls: bool = False) -> Endpoint:
    """Write this process's endpoint with a fresh admin key (owner-only file); return it."""
    endpoint = Endpoint(url, os.getpid(), f"pxa_{secrets.token_urlsafe(32)}", tls)
    path = endpoint_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"url": url, "pid": endpoint.pid, "admin_key": endpoint.admin_key,
                   "tls": tls}, handle)
    os.replace(tmp, path)
    return endpoint


def read_endpoint(db: str | Path) -> Endpoint | None:
    """The endpoint of a live service owning ``db``, or None (no file, unreadable, stale)."""
    path = endpoint_path(db)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        endpoint = Endpoint(str(raw["url"]), int(raw["pid"]), str(raw["admin_key"]),
                            bool(raw.get("tls", False)))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(endpoint.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's process
    return endpoint


def remove_endpoint(db: str | Path, pid: int | None = None) -> None:
    """Remove the endpoint file if it is this process's (or ``pid``'s)."""
    path = endpoint_path(db)
    current = read_endpoint(db)
    if current is not None and current.pid == (pid or os.getpid()):
        path.unlink(missing_ok=True)
