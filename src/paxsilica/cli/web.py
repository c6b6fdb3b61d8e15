"""``paxsilica serve``, ``paxsilica tokens ...`` and ``paxsilica report``.

Registered in :mod:`paxsilica.cli.main` as ``app.command("serve")(web.serve)``,
``app.add_typer(web.tokens_app, name="tokens")`` and ``app.command("report")(web.report)``.

``serve`` hands uvicorn the app factory by name (``paxsilica.api.app:app_from_env``) with the
flags turned into environment variables: the CLI and API are sibling layers, so the CLI does
not import the API.

While a service owns the database, ``tokens`` and ``report RUN_ID`` go through its API
(:mod:`paxsilica.cli.service_client`), so they work without stopping it.
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from paxsilica import workflows
from paxsilica.cli.common import DataOption, DbOption, Lang, err, user_errors
from paxsilica.cli.service_client import service_for
from paxsilica.errors import PaxsilicaError
from paxsilica.store.runs import default_db_path
from paxsilica.store.tokens import DEFAULT_LIFETIME_DAYS, TokenStore

__all__ = ["report", "serve", "serve_environment", "tokens_app"]

_out = Console(soft_wrap=True)

tokens_app = typer.Typer(help="Bearer tokens for the web service (stored hashed).",
                         no_args_is_help=True)


class Role(str, Enum):
    analyst = "analyst"
    viewer = "viewer"


class Digits(str, Enum):
    latin = "latin"
    arabic = "arabic"


_WILDCARD_HOSTS = ("0.0.0.0", "::", "[::]")
_LOOPBACK = ("localhost", "127.0.0.1", "[::1]")


@user_errors
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on (127.0.0.1: this machine "
                                           "only; 0.0.0.0: every interface, warns).")] =
    "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    db: DbOption = None,
    data: DataOption = None,
    open_read: Annotated[bool, typer.Option(
        "--open-read/--closed-read", help="Whether reading needs no token.")] = True,
    max_body_bytes: Annotated[int | None, typer.Option(help="Largest request body.")] = None,
    max_draws: Annotated[int | None, typer.Option(help="Most draws one run may ask for.")] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Run on this Dask scheduler (tcp://HOST:8786) instead of a local cluster.")] = None,
    run_workers: Annotated[int | None, typer.Option(
        min=1, help="Local cluster worker processes: runs computed at once (default 2).")] =
    None,
    allowed_host: Annotated[list[str] | None, typer.Option(
        "--allowed-host", help="A host name clients use to reach the service (repeat); "
                               "requests naming another Host get 400. Loopback names are "
                               "always allowed.")] = None,
    ssl_certfile: Annotated[Path | None, typer.Option(
        help="TLS certificate (PEM): serve HTTPS, with Secure cookies and HSTS.")] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
) -> None:
    """Start the web service: JSON API, dashboard (English and Arabic) and docs at /docs."""
    import uvicorn

    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise PaxsilicaError("TLS needs both --ssl-certfile and --ssl-keyfile")
    db = db or default_db_path()
    tls = ssl_certfile is not None
    os.environ.update(serve_environment(host, port, db, data, open_read, max_body_bytes,
                                        max_draws, scheduler, run_workers, allowed_host or [],
                                        tls))
    if host in _WILDCARD_HOSTS:
        err.print(f"[bold yellow]warning:[/] --host {host} listens on every network interface: "
                  "anyone who can reach this machine can reach the service"
                  + ("" if tls else ", and without --ssl-certfile/--ssl-keyfile tokens and "
                     "session cookies cross the network in clear text")
                  + ". Name the host names clients use with --allowed-host.",
                  highlight=False, markup=True)
    with TokenStore.open(db) as tokens:
        live = tokens.count()
    if live == 0:
        _out.print("No tokens yet: starting runs needs one. Create it with "
                   "[bold]paxsilica tokens create --role analyst[/]", highlight=False)
    scheme = "https" if tls else "http"
    _out.print(f"paxsilica on {scheme}://{host}:{port}/  (runs in {db})", highlight=False)
    uvicorn.run("paxsilica.api.app:app_from_env", factory=True, host=host, port=port,
                log_level="info", ssl_certfile=str(ssl_certfile) if tls else None,
                ssl_keyfile=str(ssl_keyfile) if tls else None)


def serve_environment(host: str, port: int, db: Path, data: Path | None, open_read: bool,
                      max_body_bytes: int | None, max_draws: int | None,
                      scheduler: str | None, run_workers: int | None,
                      allowed_hosts: list[str], tls: bool) -> dict[str, str]:
    """The environment variables ``serve`` hands the app factory (see api/settings.py)."""
    local = "127.0.0.1" if host in _WILDCARD_HOSTS or host in _LOOPBACK else host
    names = list(dict.fromkeys([*_LOOPBACK, *([] if host in _WILDCARD_HOSTS else [host]),
                                *allowed_hosts]))
    env = {"PAXSILICA_DB": str(db), "PAXSILICA_OPEN_READ": "1" if open_read else "0",
           "PAXSILICA_ALLOWED_HOSTS": ",".join(names),
           "PAXSILICA_SERVICE_URL": f"{'https' if tls else 'http'}://{local}:{port}",
           "PAXSILICA_SECURE_COOKIES": "1" if tls else "0"}
    optional = {"PAXSILICA_DATA": data, "PAXSILICA_MAX_BODY_BYTES": max_body_bytes,
                "PAXSILICA_MAX_DRAWS": max_draws, "PAXSILICA_SCHEDULER": scheduler,
                "PAXSILICA_RUN_WORKERS": run_workers}
    env.update({key: str(value) for key, value in optional.items() if value is not None})
    return env


@tokens_app.command("create")
@user_errors
def tokens_create(
    role: Annotated[Role, typer.Option(help="analyst: read and start runs; viewer: read.")],
    name: Annotated[str, typer.Option(help="Who or what the token is for.")] = "",
    expires_in: Annotated[float, typer.Option(
        "--expires-in", min=0.001, help="Days until the token expires.")] =
    DEFAULT_LIFETIME_DAYS,
    db: DbOption = None,
) -> None:
    """Create a token and print it once (only its SHA-256 is stored); it expires."""
    service = service_for(db)
    if service is not None:
        with service:
            made = service.json("POST", "/api/admin/tokens", json={
                "role": role.value, "name": name, "lifetime_days": expires_in})
        secret, token_id, expires = made["secret"], made["token_id"], made["expires_at"]
    else:
        with TokenStore.open(db or default_db_path()) as tokens:
            secret, info = tokens.create(role.value, name, expires_in)
        token_id, expires = info.token_id, str(info.expires_at)
    err.print(f"token {token_id} ({role.value}, expires {expires} UTC) created; it is shown "
              "only now:", highlight=False)
    typer.echo(secret)


@tokens_app.command("list")
@user_errors
def tokens_list(db: DbOption = None) -> None:
    """List tokens (ids, roles, state, expiry, names; never the secrets)."""
    service = service_for(db)
    if service is not None:
        with service:
            rows = service.json("GET", "/api/admin/tokens")
    else:
        with TokenStore.open(db or default_db_path()) as tokens:
            rows = tokens.list()
    for row in rows:
        state = "revoked" if row["revoked"] else "expired" if row.get("expired") else "live"
        typer.echo(f"{row['token_id']}  {row['role']:<8} {state:<8} {row['created_at']}  "
                   f"expires {row.get('expires_at')}  {row['name']}")


@tokens_app.command("revoke")
@user_errors
def tokens_revoke(token_id: Annotated[str, typer.Argument(help="Token id from 'list'.")],
                  db: DbOption = None) -> None:
    """Revoke a token (at once, also while the service runs)."""
    service = service_for(db)
    if service is not None:
        with service:
            service.call("DELETE", f"/api/admin/tokens/{token_id}")
    else:
        with TokenStore.open(db or default_db_path()) as tokens:
            tokens.revoke(token_id)
    typer.echo(f"revoked {token_id}")


@user_errors
def report(
    target: Annotated[str, typer.Argument(help="A run id from the store, or a scenario "
                                               "(built-in name or YAML file) to run now.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="FILE.html or FILE.pdf.")],
    lang: Annotated[Lang, typer.Option(help="Language of the report.")] = Lang.en,
    digits: Annotated[Digits, typer.Option(help="Digits: latin or arabic(-Indic).")] =
    Digits.latin,
    runs: Annotated[int | None, typer.Option(help="Draws, when TARGET is a scenario.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed, when TARGET is a scenario.")] = None,
    db: DbOption = None,
    data: DataOption = None,
) -> None:
    """Write a report (executive summary, method, sources, figures) as HTML or PDF."""
    service = service_for(db) if workflows.is_run_id(target) else None
    if service is not None:  # the service owns the store: it renders the stored run
        kind = "pdf" if out.suffix.lower() == ".pdf" else "html"
        with service:
            document = service.call("GET", f"/api/runs/{target}/report", params={
                "lang": lang.value, "digits": digits.value, "format": kind}).content
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(document)
        path = out
    else:
        path = workflows.write_run_report(target, out, lang.value, digits.value, runs=runs,
                                          seed=seed, db=db, data=data)
    _out.print(f"wrote {path}", highlight=False)
