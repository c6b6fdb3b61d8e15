"""HTTP hardening: a Host allowlist, security headers on every answer, no paths in messages.

- **Host allowlist**: a page on an attacker's domain that re-points its DNS at 127.0.0.1 (DNS
  rebinding) reaches the service with its own name in ``Host``; only the names in
  ``Settings.allowed_hosts`` are answered (400 otherwise).
- **Headers**: a Content-Security-Policy the dashboard satisfies (scripts and styles from this
  origin only, no inline script, no framing), ``X-Frame-Options: DENY``, ``nosniff``,
  ``Referrer-Policy: no-referrer``, and HSTS when served over TLS.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["CSP", "HostAllowlist", "SecurityHeaders", "scrub_paths"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The policy: everything from this origin only. Styles allow 'unsafe-inline' because
#: plotly.js writes style attributes into its SVG (checked in headless Chromium: without it,
#: charts log CSP violations); scripts, the real risk, allow no inline code at all.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

_HEADERS = [(b"content-security-policy", CSP.encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()")]
_HSTS = (b"strict-transport-security", b"max-age=31536000")


class SecurityHeaders:
    """Add the security headers to every HTTP answer (``hsts``: also Strict-Transport-Security)."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.headers = _HEADERS + ([_HSTS] if hsts else [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in self.headers if name not in present]
            await send(message)

        await self.app(scope, receive, with_headers)


def host_name(header: str) -> str:
    """The name part of a Host header: ``[::1]:8000`` -> ``[::1]``, ``a.b:80`` -> ``a.b``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[:header.find("]") + 1] if "]" in header else header
    return header.rsplit(":", 1)[0] if ":" in header else header


class HostAllowlist:
    """Answer 400 to requests whose Host header names no allowed host (``*`` allows any)."""

    def __init__(self, app: ASGIApp, hosts: Sequence[str]) -> None:
        self.app = app
        self.any = "*" in hosts
        self.hosts = {host_name(h) for h in hosts if h != "*"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.any:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        name = host_name(headers.get(b"host", b"").decode("latin-1"))
        if name in self.hosts:
            await self.app(scope, receive, send)
            return
        from fastapi.responses import JSONResponse

        answer = JSONResponse({"error": "BadHost", "message": "this host name is not served "
                               "here; the service's --allowed-host list names the ones it "
                               "answers to"}, status_code=400)
        await answer(scope, receive, send)


_ROOTS = re.compile(r"(?<![\w.])(?:[A-Za-z]:\\|/(?:tmp|home|root|usr|var|etc|opt|srv|mnt|"
                    r"media|work|data|private|Users|Volumes|run|proc)(?=/))[^\s'\",;)]*")


def scrub_paths(message: str, db: Path) -> str:
    """``message`` with file-system paths replaced by their last part (``…/name``): the
    store's folder, the working and temporary folders, and anything under a usual root."""
    roots = {str(Path(db).resolve().parent), str(Path(db).parent), os.getcwd(),
             tempfile.gettempdir(), str(Path.home())}
    for root in sorted((r for r in roots if len(r) > 1 and r != "."), key=len, reverse=True):
        message = message.replace(root + os.sep, "…/").replace(root, "…")
    return _ROOTS.sub(lambda m: "…/" + Path(m.group(0)).name, message)
