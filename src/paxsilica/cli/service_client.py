"""The CLI's way into a database that a running service owns.

While ``paxsilica serve`` runs, DuckDB's lock keeps every other process out of its database
(even read-only). So ``paxsilica runs``, ``report RUN_ID`` and ``tokens`` first look for the
service's endpoint file beside the database (:mod:`paxsilica.store.endpoint`); when a live
service owns the file they call its API with the local admin key, otherwise they open the
file themselves. Same output either way.

Why not read-only connections: DuckDB refuses a read-only open while a read-write one is
held by another process, and the service holds one for its whole life; and tokens must be
written (created, revoked) anyway. Going through the owner is the only way that works while
it runs, and it makes a revocation take effect at once, without a restart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from paxsilica.errors import NotFoundError, StoreError
from paxsilica.store.endpoint import Endpoint, read_endpoint
from paxsilica.store.runs import default_db_path

__all__ = ["ServiceClient", "service_for"]


class ServiceClient:
    """Calls to the service that owns a database, as its local admin."""

    def __init__(self, endpoint: Endpoint, timeout_s: float = 120.0) -> None:
        self.endpoint = endpoint
        # TLS: the service's certificate names its public host, not 127.0.0.1; the request
        # never leaves this machine, so it is not verified here.
        self._client = httpx.Client(base_url=endpoint.url, timeout=timeout_s,
                                    verify=not endpoint.tls,
                                    headers={"Authorization": f"Bearer {endpoint.admin_key}"})

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One API call; paxsilica errors for 4xx/5xx and for an unreachable service."""
        try:
            answer = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise StoreError(f"the service that owns this database ({self.endpoint.url}) did "
                             f"not answer: {type(exc).__name__}") from None
        if answer.status_code == 404:
            raise NotFoundError(_message(answer))
        if answer.status_code >= 400:
            raise StoreError(f"the service answered {answer.status_code}: {_message(answer)}")
        return answer

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.call(method, path, **kwargs).json()


def _message(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return answer.text[:300]
    return str(body.get("message") or body.get("detail") or body)


def service_for(db: str | Path | None) -> ServiceClient | None:
    """A client of the live service that owns ``db`` (default store), else None."""
    endpoint = read_endpoint(Path(db) if db is not None else default_db_path())
    if endpoint is None:
        return None
    client = ServiceClient(endpoint)
    try:
        client.call("GET", "/api/health")
    except StoreError:
        client.close()
        return None  # the file outlived its service (killed); open the database directly
    return client
