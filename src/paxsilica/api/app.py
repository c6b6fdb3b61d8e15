"""The FastAPI application factory: ``create_app(settings)``; nothing lives at module level.

``uvicorn paxsilica.api.app:app_from_env --factory`` builds one from environment variables
(see :mod:`paxsilica.api.settings`); ``paxsilica serve`` does this with its flags.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from paxsilica import __version__, workflows
from paxsilica.api.auth import Sessions
from paxsilica.api.runs import QuotaError, RunManager, TooLargeError
from paxsilica.api.security import HostAllowlist, SecurityHeaders, scrub_paths
from paxsilica.api.settings import Settings
from paxsilica.errors import (
    DataError,
    NotFoundError,
    PaxsilicaError,
    ScenarioError,
    StoreError,
)
from paxsilica.metrics.profile import CountryProfile
from paxsilica.model.dataset import Dataset
from paxsilica.report.view import RunView
from paxsilica.store.endpoint import remove_endpoint, write_endpoint

__all__ = ["Services", "app_from_env", "create_app"]

HERE = Path(__file__).parent
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
                   Awaitable[None]]


_RISK_CACHE = 256  # risk tables kept; keys are valid (bloc, material, stage) triples
_VIEW_CACHE = 64  # views of complete runs kept (a stored complete run never changes)
_log = logging.getLogger("paxsilica.api")
#: The plotly.js the dashboard loads: core (scatter) + bar + sankey, the only trace types it
#: draws (report/figures.py), minified; built by scripts/build_plotly_bundle.sh (1.3 MB, not
#: the wheel's 4.8 MB).
PLOTLY_BUNDLE = HERE / "static" / "vendor" / "plotly-paxsilica.min.js"


class Services:
    """What the routes share: settings, the dataset (loaded once), the run manager."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.runs = RunManager(settings)
        self._lock = threading.Lock()
        self._views: OrderedDict[str, RunView] = OrderedDict()
        self._ds: Dataset | None = None
        self._risk: dict[tuple[str, str | None, str | None], pd.DataFrame] = {}
        self._profiles: dict[str, CountryProfile] = {}
        self._spof: dict[tuple[str, int], Any] = {}
        self._gates: dict[Any, threading.Lock] = {}

    @property
    def ds(self) -> Dataset:
        """The dataset, loaded on first use (DataError if the configured package is bad)."""
        with self._lock:
            if self._ds is None:
                self._ds = workflows.load(self.settings.data)
            return self._ds

    def risk(self, bloc: str, material: str | None = None,
             stage: str | None = None) -> pd.DataFrame:
        """``workflows.risk`` on the service's dataset, memoised: the dataset never changes
        while the service runs, and recomputing the table per request starved the run
        threads under load (docs/reliability.md). Only valid keys are kept (bad ids raise)."""
        table = self._memo(self._risk, (bloc, material, stage), lambda: workflows.risk(
            self.ds, bloc=bloc, material=material, stage=stage))
        return table.copy()

    def profile(self, iso3: str) -> CountryProfile:
        """``workflows.country_profile``, memoised as :meth:`risk` is (about a second each);
        an unknown code raises NotFoundError and is not kept."""
        key = iso3.upper()
        return self._memo(self._profiles, key, lambda: workflows.country_profile(self.ds, key))

    def spof(self, bloc: str, months: int) -> Any:
        """``workflows_spof.spof`` (the CLI's defaults) on the service's dataset, memoised per
        (bloc, months) as :meth:`risk` is: the N-1 sweep takes tens of seconds on 2 cores."""
        from paxsilica import workflows_spof

        request = workflows_spof.SpofRequest(bloc=bloc, months=months)
        return self._memo(self._spof, (bloc, months),
                          lambda: workflows_spof.spof(request, ds=self.ds))

    def _memo(self, store: dict[Any, Any], key: Any, compute: Callable[[], Any]) -> Any:
        """``store[key]``, computed once even when many requests ask for it together: a cold
        key asked by ten readers at once used to be computed ten times in parallel, each
        slowed by the others (p99 of 14 s in the short load test)."""
        with self._lock:
            if key in store:
                return store[key]
            gate = self._gates.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in store:
                    return store[key]
            try:
                value = compute()
            except BaseException:
                with self._lock:
                    self._gates.pop(key, None)
                raise
            with self._lock:
                if len(store) < _RISK_CACHE:
                    store[key] = value
                self._gates.pop(key, None)
            return value

    def run_view(self, run_id: str) -> RunView:
        """``workflows.run_view``, kept for complete runs: every poll and fan chart of a run
        read its summaries and fans from DuckDB again (P50 1.9 s under 20 readers)."""
        with self._lock:
            if run_id in self._views:
                self._views.move_to_end(run_id)
                return self._views[run_id]
        view = workflows.run_view(run_id, self.settings.db)
        if view.status == "complete":
            with self._lock:
                self._views[run_id] = view
                while len(self._views) > _VIEW_CACHE:
                    self._views.popitem(last=False)
        return view

    @cached_property
    def plotly_js(self) -> bytes:
        """The dashboard's partial plotly.js bundle, served locally (never a CDN)."""
        return PLOTLY_BUNDLE.read_bytes()


class BodyLimit:
    """Reject request bodies over ``limit`` bytes with 413, by header or while streaming."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await self._reject(scope, receive, send)
            return
        seen, rejected = 0, False

        async def limited() -> Message:
            # Answer 413 ourselves and tell the app the client left: raising here instead
            # would reach FastAPI's body parser, which turns any exception into a 400.
            nonlocal seen, rejected
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    if not rejected:
                        rejected = True
                        await self._reject(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            if not rejected:  # the app's own answer after a 413 goes nowhere
                await send(message)

        try:
            await self.app(scope, limited, guarded)
        except Exception:
            if not rejected:
                raise
            # the app failed on the disconnect we reported (ClientDisconnect); 413 was sent

    async def _reject(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                      send: Callable[[Message], Awaitable[None]]) -> None:
        response = JSONResponse({"error": "PayloadTooLarge",
                                 "message": f"request body is over {self.limit:,} bytes"},
                                status_code=413)
        await response(scope, receive, send)


def _json_safe(value: Any) -> Any:
    """NaN and infinities (which JSON cannot hold) become None, anywhere in ``value``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


def _error_body(exc: PaxsilicaError, settings: Settings) -> dict[str, Any]:
    """The JSON of an error: its type, message and location, with no file-system path
    (issue 14: health and 404s showed the database's absolute path)."""
    if isinstance(exc, StoreError):
        _log.error("results store error: %s", exc)
        return {"error": "StoreError", "message": "the results store cannot be used right now; "
                "the service's log says why"}
    body: dict[str, Any] = {"error": type(exc).__name__,
                            "message": scrub_paths(str(exc), settings.db)}
    for key in ("file", "line", "row", "field", "detail"):
        value = getattr(exc, key, None)
        if value is not None:
            body[key] = Path(str(value)).name if key == "file" else value
    return body


_HTTP_NAMES = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
               409: "Conflict", 413: "PayloadTooLarge", 422: "Unprocessable",
               429: "TooManyRequests"}


def _status(exc: PaxsilicaError) -> int:
    if isinstance(exc, QuotaError):
        return 429
    if isinstance(exc, ScenarioError | DataError | TooLargeError):
        return 422
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, StoreError):
        return 503
    return 400


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service: JSON API under ``/api``, dashboard at ``/``, docs at ``/docs``."""
    from paxsilica.api import analyst_pages, pages, routes, spof_pages, trade_pages

    from paxsilica.api import account, docs

    settings = settings or Settings.from_env()
    services = Services(settings)

    @asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        if settings.service_url:  # a real server: tell the CLI on this machine how to reach it
            endpoint = write_endpoint(settings.db, settings.service_url,
                                      tls=settings.service_url.startswith("https:"))
            app_.state.admin_key = endpoint.admin_key
        # Requests answered in threads at once (anyio's default is 40). Under 20 readers, 40
        # threads took turns at the GIL with the thread that stores finished runs, which then
        # took 5-15 s to store what the worker computed in 3 s (benchmarks/load_service.py).
        from anyio import to_thread

        to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        # start the Dask cluster now, not on the first run (a second or two)
        threading.Thread(target=_warm_up, args=(services,), daemon=True).start()
        try:
            yield
        finally:
            if settings.service_url:
                remove_endpoint(settings.db)
            services.runs.shutdown()

    app = FastAPI(title="paxsilica", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,  # /docs is served offline by api/docs.py
                  description="Supply-chain security analytics for the AI stack: risk read-outs, "
                              "Monte Carlo disruption runs, dashboard and reports (en, ar).")
    app.state.services = services
    app.state.sessions = Sessions()
    app.state.admin_key = None
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))

    @app.exception_handler(PaxsilicaError)
    async def _paxsilica_error(_request: Request, exc: PaxsilicaError) -> JSONResponse:
        headers = ({"Retry-After": str(exc.retry_after_s)} if isinstance(exc, QuotaError)
                   else None)
        return JSONResponse(_error_body(exc, settings), status_code=_status(exc),
                            headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own handler echoes the input, and a body of NaN cannot be written as JSON
        return JSONResponse({"error": "Unprocessable", "detail": _json_safe(
            jsonable_encoder(exc.errors()))}, status_code=422)

    @app.exception_handler(HTTPException)
    async def _http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        name = _HTTP_NAMES.get(exc.status_code, "HTTPError")
        return JSONResponse({"error": name,
                             "message": scrub_paths(str(exc.detail), settings.db)},
                            status_code=exc.status_code, headers=exc.headers)

    app.include_router(routes.router)
    app.include_router(account.router)
    app.include_router(docs.router)
    app.include_router(pages.router)
    app.include_router(trade_pages.router)
    app.include_router(analyst_pages.router)
    app.include_router(spof_pages.router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    # last added runs first: the Host check before anything, then headers on every answer
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)
    app.add_middleware(HostAllowlist, hosts=settings.allowed_hosts)
    return app


def _warm_up(services: Services) -> None:
    """Load the dataset and start the run cluster in the background at start-up."""
    try:
        services.ds  # noqa: B018 - loads it
        services.runs.executor.client()
    except Exception as exc:  # noqa: BLE001 - the first request reports it properly
        _log.warning("warm-up failed: %s", exc)


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory``: settings from the environment only."""
    return create_app(Settings.from_env())
