"""Bearer tokens for the web service, stored hashed in the results store's DuckDB file.

A token is ``pxs_`` + 32 random URL-safe bytes; only its SHA-256 is stored, so a copy of the
database gives no usable token. Tokens carry a role: ``analyst`` (read, start runs, upload
scenarios and data) or ``viewer`` (read only). Every token expires (by default
:data:`DEFAULT_LIFETIME_DAYS` after it was made) and can be revoked at any time; while the
service runs, ``paxsilica tokens ...`` goes through the service, so revoking needs no restart.

Table
-----
tokens : token_id, name, role, token_sha256, created_at, revoked, expires_at (UTC)
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

from paxsilica.errors import NotFoundError, StoreError

__all__ = ["DEFAULT_LIFETIME_DAYS", "ROLES", "TokenInfo", "TokenStore"]

#: Roles a token can carry, weakest first.
ROLES = ("viewer", "analyst")

#: Days a token lives unless its creator says otherwise.
DEFAULT_LIFETIME_DAYS = 90
#: Longest lifetime a token may be given, days.
MAX_LIFETIME_DAYS = 3650

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    token_id VARCHAR PRIMARY KEY,
    name VARCHAR,
    role VARCHAR NOT NULL,
    token_sha256 VARCHAR NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at TIMESTAMP
);
"""
# Stores made before tokens expired: their tokens get the default lifetime from creation.
_MIGRATE = f"""
ALTER TABLE tokens ADD COLUMN IF NOT EXISTS expires_at TIMESTAMP;
UPDATE tokens SET expires_at = created_at + INTERVAL {DEFAULT_LIFETIME_DAYS} DAY
    WHERE expires_at IS NULL;
"""
#: Files this process has already created/migrated the table in: every request opens the
#: store, and a schema write per request would serialise them.
_READY: set[str] = set()


@dataclass(frozen=True)
class TokenInfo:
    """Who a presented token belongs to."""

    token_id: str
    name: str
    role: str
    expires_at: datetime | None = None


def _now() -> datetime:
    """UTC now without a zone (DuckDB TIMESTAMP holds naive UTC)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


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
            key = f"{path.resolve()}:{path.stat().st_ino}"  # a file made anew is new
            if key not in _READY:
                con.execute(_SCHEMA)
                con.execute(_MIGRATE)
                _READY.add(key)
            yield cls(con, path)
        finally:
            con.close()

    def create(self, role: str, name: str = "",
               lifetime_days: float = DEFAULT_LIFETIME_DAYS) -> tuple[str, TokenInfo]:
        """Create a token valid for ``lifetime_days`` days; return ``(secret, info)``. The
        secret is shown once, never stored.

        Raises
        ------
        StoreError
            If ``role`` is not one of :data:`ROLES` or the lifetime is not in
            (0, :data:`MAX_LIFETIME_DAYS`].
        """
        if role not in ROLES:
            raise StoreError(f"role '{role}' is not one of: {', '.join(ROLES)}")
        if not 0 < lifetime_days <= MAX_LIFETIME_DAYS:
            raise StoreError(f"a token's lifetime must be over 0 and at most "
                             f"{MAX_LIFETIME_DAYS} days, got {lifetime_days}")
        token_id = secrets.token_hex(4)
        secret = f"pxs_{secrets.token_urlsafe(32)}"
        created = _now()
        expires = created + timedelta(days=lifetime_days)
        self._con.execute(
            "INSERT INTO tokens (token_id, name, role, token_sha256, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [token_id, name, role, _digest(secret), created, expires])
        return secret, TokenInfo(token_id, name, role, expires)

    def verify(self, secret: str) -> TokenInfo | None:
        """The token's owner, or None for an unknown, revoked or expired token."""
        return self._live("token_sha256 = ?", _digest(secret))

    def lookup(self, token_id: str) -> TokenInfo | None:
        """A live token by id (sessions re-check it on every request), else None."""
        return self._live("token_id = ?", token_id)

    def _live(self, where: str, value: str) -> TokenInfo | None:
        row = self._con.execute(
            f"SELECT token_id, name, role, expires_at FROM tokens WHERE {where} "  # fixed text
            "AND NOT revoked AND (expires_at IS NULL OR expires_at > ?)",
            [value, _now()]).fetchone()
        if row is None:
            return None
        return TokenInfo(str(row[0]), str(row[1] or ""), str(row[2]), row[3])

    def revoke(self, token_id: str) -> None:
        """Revoke a token by id (raises NotFoundError for an unknown id)."""
        found = self._con.execute("SELECT 1 FROM tokens WHERE token_id = ?",
                                  [token_id]).fetchone()
        if found is None:
            raise NotFoundError(f"token '{token_id}' is not in the token store")
        self._con.execute("UPDATE tokens SET revoked = TRUE WHERE token_id = ?", [token_id])

    def list(self) -> list[dict[str, object]]:
        """All tokens (never their hashes), newest first."""
        rows = self._con.execute(
            "SELECT token_id, name, role, created_at, revoked, expires_at FROM tokens "
            "ORDER BY created_at DESC").fetchall()
        now = _now()
        return [{"token_id": r[0], "name": r[1], "role": r[2], "created_at": str(r[3]),
                 "revoked": bool(r[4]), "expires_at": str(r[5]),
                 "expired": r[5] is not None and r[5] <= now} for r in rows]

    def count(self) -> int:
        """Number of live tokens (neither revoked nor expired)."""
        row = self._con.execute("SELECT count(*) FROM tokens WHERE NOT revoked AND "
                                "(expires_at IS NULL OR expires_at > ?)", [_now()]).fetchone()
        return int(row[0]) if row else 0
