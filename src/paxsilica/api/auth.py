"""Bearer-token access control.

Reading is open when ``Settings.open_read`` says so; otherwise a valid token (any role) is
needed, from the ``Authorization: Bearer`` header or the dashboard's ``paxsilica_token``
cookie. Writing (starting runs, uploading scenarios or data) always needs an ``analyst``
token in the header; a cookie never authorises a write, so a page from another site cannot
start runs with the user's cookie.
"""

from __future__ import annotations

from fastapi import HTTPException, Request

from paxsilica.store.tokens import TokenInfo, TokenStore

__all__ = ["COOKIE", "require_analyst", "require_reader"]

COOKIE = "paxsilica_token"
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _verify(request: Request, secret: str) -> TokenInfo:
    with TokenStore.open(request.app.state.services.settings.db) as tokens:
        info = tokens.verify(secret)
    if info is None:
        raise HTTPException(401, "the token is not valid", headers=_CHALLENGE)
    return info


def require_reader(request: Request) -> TokenInfo | None:
    """Dependency for reads: None when reads are open, else the token's owner (401 if none)."""
    if request.app.state.services.settings.open_read:
        return None
    secret = _bearer(request) or request.cookies.get(COOKIE)
    if not secret:
        raise HTTPException(401, "a bearer token is required to read", headers=_CHALLENGE)
    return _verify(request, secret)


def require_analyst(request: Request) -> TokenInfo:
    """Dependency for writes: an analyst token in the header (401 missing/invalid, 403 viewer)."""
    secret = _bearer(request)
    if not secret:
        raise HTTPException(401, "an analyst bearer token is required", headers=_CHALLENGE)
    info = _verify(request, secret)
    if info.role != "analyst":
        raise HTTPException(403, f"role '{info.role}' may read but not start runs or upload")
    return info
