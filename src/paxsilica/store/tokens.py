"""Bearer tokens for the web service, stored hashed in the results store's DuckDB file.

A token is ``pxs_`` + 32 random URL-safe bytes; only its SHA-256 is stored, so a copy of the
database gives no usable token. Tokens carry a role: ``analyst`` (read, start runs, upload
scenarios and data) or ``viewer`` (read only).

Table
-----
tokens : token_id, name, role, token_sha256, created_at, revoked
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from paxsilica.errors import NotFoundError, StoreError

__all__ = ["ROLES", "TokenInfo", "TokenStore"]

#: Roles a token can carry, weakest first.
ROLES = ("viewer", "analyst")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    token_id VARCHAR PRIMARY KEY,
    name VARCHAR,
    role VARCHAR NOT NULL,
    token_sha256 VARCHAR NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);
"""


@dataclass(frozen=True)
class TokenInfo:
    """Who a presented token belongs to."""

    token_id: str
    name: str
    role: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore:
    """Token records in one DuckDB file; use :meth:`open` as a context manager."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        self._con = con
        self.path = path

    @classmethod
    @contextmanager
    def open(cls, path: str | Path) -> Iterator[TokenStore]:
        """Open (creating the table if needed) and close on exit.

        The connection is read-write, like :class:`~paxsilica.store.runs.RunStore`'s, so both
        may be open in one process at once (DuckDB shares one instance per file).
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(path))
        except (duckdb.Error, OSError) as exc:
            raise StoreError(f"cannot open token store '{path}': {exc}") from None
        try:
            con.execute(_SCHEMA)
            yield cls(con, path)
        finally:
            con.close()

    def create(self, role: str, name: str = "") -> tuple[str, TokenInfo]:
        """Create a token; return ``(secret, info)``. The secret is shown once, never stored.

        Raises
        ------
        StoreError
            If ``role`` is not one of :data:`ROLES`.
        """
        if role not in ROLES:
            raise StoreError(f"role '{role}' is not one of: {', '.join(ROLES)}")
        token_id = secrets.token_hex(4)
        secret = f"pxs_{secrets.token_urlsafe(32)}"
        self._con.execute(
            "INSERT INTO tokens (token_id, name, role, token_sha256, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [token_id, name, role, _digest(secret),
             datetime.now(timezone.utc).replace(tzinfo=None)])
        return secret, TokenInfo(token_id, name, role)

    def verify(self, secret: str) -> TokenInfo | None:
        """The token's owner, or None for an unknown or revoked token."""
        row = self._con.execute(
            "SELECT token_id, name, role FROM tokens WHERE token_sha256 = ? AND NOT revoked",
            [_digest(secret)]).fetchone()
        return None if row is None else TokenInfo(str(row[0]), str(row[1] or ""), str(row[2]))

    def revoke(self, token_id: str) -> None:
        """Revoke a token by id (raises NotFoundError for an unknown id)."""
        found = self._con.execute("SELECT 1 FROM tokens WHERE token_id = ?",
                                  [token_id]).fetchone()
        if found is None:
            raise NotFoundError(f"token '{token_id}' is not in {self.path}")
        self._con.execute("UPDATE tokens SET revoked = TRUE WHERE token_id = ?", [token_id])

    def list(self) -> list[dict[str, object]]:
        """All tokens (never their hashes), newest first."""
        rows = self._con.execute(
            "SELECT token_id, name, role, created_at, revoked FROM tokens "
            "ORDER BY created_at DESC").fetchall()
        return [{"token_id": r[0], "name": r[1], "role": r[2], "created_at": str(r[3]),
                 "revoked": bool(r[4])} for r in rows]

    def count(self) -> int:
        """Number of live tokens."""
        row = self._con.execute("SELECT count(*) FROM tokens WHERE NOT revoked").fetchone()
        return int(row[0]) if row else 0
