"""Sessions for the dashboard and token management for the CLI, under ``/api``.

- ``POST /api/session`` with ``{"token": "pxs_..."}`` signs a browser in: the answer sets an
  ``HttpOnly; SameSite=Strict`` session cookie (a random id, never the token) and a
  ``paxsilica_csrf`` cookie whose value writes must echo in ``X-CSRF-Token``.
  ``GET`` says who is signed in, ``DELETE`` signs out.
- ``/api/admin/tokens`` lists, creates and revokes tokens; only the service's local admin
  key may call it (``paxsilica tokens ...`` does, while the service owns the database), so
  a token is revoked at once, without restarting the service.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from paxsilica.api.auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_HOURS,
    require_admin,
    session_of,
    token_info,
)
from paxsilica.store.tokens import DEFAULT_LIFETIME_DAYS, MAX_LIFETIME_DAYS, TokenInfo, TokenStore

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["access"])
Admin = Annotated[TokenInfo, Depends(require_admin)]


class SignIn(BaseModel):
    """A token to sign in with (shown once by ``paxsilica tokens create``)."""

    token: str = Field(min_length=1, max_length=200)


class NewToken(BaseModel):
    """A token to create."""

    role: Literal["analyst", "viewer"]
    name: str = Field("", max_length=200)
    lifetime_days: float = Field(DEFAULT_LIFETIME_DAYS, gt=0, le=MAX_LIFETIME_DAYS)


def _who(info: TokenInfo) -> dict[str, Any]:
    return {"token_id": info.token_id, "name": info.name, "role": info.role,
            "expires_at": None if info.expires_at is None else str(info.expires_at)}


@router.post("/session")
def sign_in(body: SignIn, request: Request, response: Response) -> dict[str, Any]:
    """Sign this browser in with a token: sets the session and CSRF cookies (401 if the
    token is unknown, revoked or expired)."""
    info = token_info(request, body.token)
    if info is None or info.role == "admin":
        raise HTTPException(401, "the token is not valid (unknown, revoked or expired)")
    sid, session = request.app.state.sessions.open(info.token_id)
    secure = request.app.state.services.settings.secure_cookies
    age = SESSION_HOURS * 3600
    response.set_cookie(SESSION_COOKIE, sid, max_age=age, path="/", httponly=True,
                        samesite="strict", secure=secure)
    # readable by the dashboard's script (it echoes it in X-CSRF-Token); useless elsewhere
    response.set_cookie(CSRF_COOKIE, session.csrf, max_age=age, path="/", httponly=False,
                        samesite="strict", secure=secure)
    return {"signed_in": True, **_who(info)}


@router.get("/session")
def session(request: Request) -> dict[str, Any]:
    """Who this browser is signed in as (``signed_in: false`` if nobody)."""
    found = session_of(request)
    return {"signed_in": False} if found is None else {"signed_in": True, **_who(found[0])}


@router.delete("/session")
def sign_out(request: Request, response: Response) -> dict[str, Any]:
    """Sign this browser out (ends the session and clears its cookies)."""
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        request.app.state.sessions.close(sid)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return {"signed_in": False}


@router.get("/admin/tokens")
def list_tokens(request: Request, _who_: Admin) -> list[dict[str, Any]]:
    """All tokens (ids, names, roles, expiry; never secrets or hashes)."""
    with TokenStore.open(request.app.state.services.settings.db) as tokens:
        return tokens.list()


@router.post("/admin/tokens", status_code=201)
def create_token(body: NewToken, request: Request, _who_: Admin) -> dict[str, Any]:
    """Create a token; its secret is in this answer only."""
    with TokenStore.open(request.app.state.services.settings.db) as tokens:
        secret, info = tokens.create(body.role, body.name, body.lifetime_days)
    return {"secret": secret, **_who(info)}


@router.delete("/admin/tokens/{token_id}")
def revoke_token(token_id: str, request: Request, _who_: Admin) -> dict[str, Any]:
    """Revoke a token now: its next request, and every session opened with it, get 401."""
    with TokenStore.open(request.app.state.services.settings.db) as tokens:
        tokens.revoke(token_id)
    return {"revoked": token_id}
