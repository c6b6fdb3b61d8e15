"""Who is asking: bearer tokens, server-set session cookies and the local admin key.

Reading is open when ``Settings.open_read`` says so; otherwise a valid token (any role) is
needed, from the ``Authorization: Bearer`` header or a **session**: the dashboard posts a
token once to ``POST /api/session`` and the server answers with an ``HttpOnly``,
``SameSite=Strict`` cookie holding a random session id (never the token; scripts cannot read
it). Sessions live in this process's memory, end after :data:`SESSION_HOURS` or at sign-out,
and die with their token: every request re-checks that it is neither revoked nor expired.

Writing (starting or cancelling runs, uploading scenarios or data) needs an ``analyst``:
a bearer token, or a session **plus** the ``X-CSRF-Token`` header matching the session's
``paxsilica_csrf`` cookie (a page from another site can make the browser send the cookie but
cannot read it to set the header).

The **admin key** (``pxa_...``) is made by the service at start-up and written, readable by
its owner only, next to the database (:mod:`paxsilica.store.endpoint`); the CLI on the same
machine uses it to manage tokens and read runs through the service while it holds the
database. It cannot start runs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from fastapi import HTTPException, Request

from paxsilica.store.tokens import TokenInfo, TokenStore

__all__ = ["ADMIN", "CSRF_COOKIE", "CSRF_HEADER", "SESSION_COOKIE", "SESSION_HOURS",
           "Sessions", "require_admin", "require_analyst", "require_reader", "session_of",
           "token_info"]

SESSION_COOKIE = "paxsilica_session"
CSRF_COOKIE = "paxsilica_csrf"
CSRF_HEADER = "x-csrf-token"
SESSION_HOURS = 12
#: The identity the admin key carries.
ADMIN = TokenInfo("admin", "local admin (CLI)", "admin")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Session:
    """A signed-in browser: its token's id, its CSRF value and when it ends (monotonic s)."""

    token_id: str
    csrf: str
    ends: float


class Sessions:
    """Session id (hashed) -> Session, in memory; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_digest: dict[str, Session] = {}

    def open(self, token_id: str) -> tuple[str, Session]:
        """A new session for ``token_id``: (session id for the cookie, Session)."""
        sid = secrets.token_urlsafe(32)
        session = Session(token_id, secrets.token_urlsafe(24),
                          time.monotonic() + SESSION_HOURS * 3600)
        with self._lock:
            now = time.monotonic()
            self._by_digest = {k: v for k, v in self._by_digest.items() if v.ends > now}
            self._by_digest[_digest(sid)] = session
        return sid, session

    def get(self, sid: str) -> Session | None:
        with self._lock:
            session = self._by_digest.get(_digest(sid))
        return session if session is not None and session.ends > time.monotonic() else None

    def close(self, sid: str) -> None:
        with self._lock:
            self._by_digest.pop(_digest(sid), None)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _is_admin(request: Request, secret: str) -> bool:
    key = getattr(request.app.state, "admin_key", None)
    return bool(key) and hmac.compare_digest(secret.encode(), str(key).encode())


def token_info(request: Request, secret: str) -> TokenInfo | None:
    """The live token behind ``secret`` (or the admin identity), else None."""
    if _is_admin(request, secret):
        return ADMIN
    with TokenStore.open(request.app.state.services.settings.db) as tokens:
        return tokens.verify(secret)


def _verify(request: Request, secret: str) -> TokenInfo:
    info = token_info(request, secret)
    if info is None:
        raise HTTPException(401, "the token is not valid (unknown, revoked or expired)",
                            headers=_CHALLENGE)
    return info


def session_of(request: Request) -> tuple[TokenInfo, Session] | None:
    """The live token and session behind the request's session cookie, else None."""
    sid = request.cookies.get(SESSION_COOKIE)
    if not sid:
        return None
    session = request.app.state.sessions.get(sid)
    if session is None:
        return None
    with TokenStore.open(request.app.state.services.settings.db) as tokens:
        info = tokens.lookup(session.token_id)
    return None if info is None else (info, session)


def require_reader(request: Request) -> TokenInfo | None:
    """Dependency for reads: None when reads are open, else the reader (401 if none)."""
    if request.app.state.services.settings.open_read:
        return None
    secret = _bearer(request)
    if secret:
        return _verify(request, secret)
    found = session_of(request)
    if found is None:
        raise HTTPException(401, "a bearer token or a signed-in session is required to read",
                            headers=_CHALLENGE)
    return found[0]


def require_analyst(request: Request) -> TokenInfo:
    """Dependency for writes: an analyst by bearer token, or by session + CSRF header
    (401 missing/invalid, 403 viewer, admin key or missing CSRF header)."""
    secret = _bearer(request)
    if secret:
        info = _verify(request, secret)
    else:
        found = session_of(request)
        if found is None:
            raise HTTPException(401, "an analyst bearer token or a signed-in session is "
                                     "required", headers=_CHALLENGE)
        info, session = found
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            raise HTTPException(403, "a write from a session needs the X-CSRF-Token header "
                                     "(the value of the paxsilica_csrf cookie)")
    if info.role != "analyst":
        raise HTTPException(403, f"role '{info.role}' may read but not start runs or upload")
    return info


def require_admin(request: Request) -> TokenInfo:
    """Dependency for token management: the local admin key only (401 otherwise)."""
    secret = _bearer(request)
    if not secret or not _is_admin(request, secret):
        raise HTTPException(401, "token management needs the service's local admin key "
                                 "(the CLI on the service's machine uses it)",
                            headers=_CHALLENGE)
    return ADMIN
