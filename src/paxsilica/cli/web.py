"""``paxsilica serve``, ``paxsilica tokens ...`` and ``paxsilica report``.

Registered in :mod:`paxsilica.cli.main` as ``app.command("serve")(web.serve)``,
``app.add_typer(web.tokens_app, name="tokens")`` and ``app.command("report")(web.report)``.

``serve`` hands uvicorn the app factory by name (``paxsilica.api.app:app_from_env``) with the
flags turned into environment variables: the CLI and API are sibling layers, so the CLI does
not import the API.
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
from paxsilica.store.runs import default_db_path
from paxsilica.store.tokens import TokenStore

__all__ = ["report", "serve", "tokens_app"]

_out = Console(soft_wrap=True)

tokens_app = typer.Typer(help="Bearer tokens for the web service (stored hashed).",
                         no_args_is_help=True)


class Role(str, Enum):
    analyst = "analyst"
    viewer = "viewer"


class Digits(str, Enum):
    latin = "latin"
    arabic = "arabic"


@user_errors
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    db: DbOption = None,
    data: DataOption = None,
    open_read: Annotated[bool, typer.Option(
        "--open-read/--closed-read", help="Whether reading needs no token.")] = True,
    max_body_bytes: Annotated[int | None, typer.Option(help="Largest request body.")] = None,
    max_draws: Annotated[int | None, typer.Option(help="Most draws one run may ask for.")] = None,
) -> None:
    """Start the web service: JSON API, dashboard (English and Arabic) and docs at /docs."""
    import uvicorn

    db = db or default_db_path()
    env = {"PAXSILICA_DB": str(db), "PAXSILICA_OPEN_READ": "1" if open_read else "0"}
    if data is not None:
        env["PAXSILICA_DATA"] = str(data)
    if max_body_bytes is not None:
        env["PAXSILICA_MAX_BODY_BYTES"] = str(max_body_bytes)
    if max_draws is not None:
        env["PAXSILICA_MAX_DRAWS"] = str(max_draws)
    os.environ.update(env)
    with TokenStore.open(db) as tokens:
        live = tokens.count()
    if live == 0:
        _out.print("No tokens yet: starting runs needs one. Create it with "
                   "[bold]paxsilica tokens create --role analyst[/]", highlight=False)
    _out.print(f"paxsilica on http://{host}:{port}/  (runs in {db})", highlight=False)
    uvicorn.run("paxsilica.api.app:app_from_env", factory=True, host=host, port=port,
                log_level="info")


@tokens_app.command("create")
@user_errors
def tokens_create(
    role: Annotated[Role, typer.Option(help="analyst: read and start runs; viewer: read.")],
    name: Annotated[str, typer.Option(help="Who or what the token is for.")] = "",
    db: DbOption = None,
) -> None:
    """Create a token and print it once (only its SHA-256 is stored)."""
    with TokenStore.open(db or default_db_path()) as tokens:
        secret, info = tokens.create(role.value, name)
    err.print(f"token {info.token_id} ({info.role}) created; it is shown only now:",
               highlight=False)
    typer.echo(secret)


@tokens_app.command("list")
@user_errors
def tokens_list(db: DbOption = None) -> None:
    """List tokens (ids, names, roles; never the secrets)."""
    with TokenStore.open(db or default_db_path()) as tokens:
        for row in tokens.list():
            state = "revoked" if row["revoked"] else "live"
            typer.echo(f"{row['token_id']}  {row['role']:<8} {state:<8} {row['created_at']}  "
                       f"{row['name']}")


@tokens_app.command("revoke")
@user_errors
def tokens_revoke(token_id: Annotated[str, typer.Argument(help="Token id from 'list'.")],
                  db: DbOption = None) -> None:
    """Revoke a token."""
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
    path = workflows.write_run_report(target, out, lang.value, digits.value, runs=runs,
                                      seed=seed, db=db, data=data)
    _out.print(f"wrote {path}", highlight=False)
