"""Tokens: stored hashed, verified, revoked; the CLI prints one once."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import typer
from typer.testing import CliRunner

from paxsilica.cli import web
from paxsilica.errors import NotFoundError, StoreError
from paxsilica.store.tokens import TokenStore


def test_tokens_are_stored_hashed_and_verify(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    with TokenStore.open(db) as tokens:
        secret, info = tokens.create("viewer", "ops")
        assert tokens.verify(secret) == info
        assert tokens.verify(secret + "x") is None
    con = duckdb.connect(str(db))
    stored = con.execute("SELECT * FROM tokens").fetchall()
    con.close()
    assert secret not in repr(stored)  # only the SHA-256 is kept
    with TokenStore.open(db) as tokens:
        tokens.revoke(info.token_id)
        assert tokens.verify(secret) is None
        with pytest.raises(NotFoundError):
            tokens.revoke("nope")
        with pytest.raises(StoreError):
            tokens.create("admin")


def test_cli_creates_a_working_token(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    app = typer.Typer()
    app.add_typer(web.tokens_app, name="tokens")
    result = CliRunner().invoke(app, ["tokens", "create", "--role", "analyst", "--db", str(db)])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    with TokenStore.open(db) as tokens:
        assert tokens.verify(secret).role == "analyst"
    listed = CliRunner().invoke(app, ["tokens", "list", "--db", str(db)])
    assert "analyst" in listed.stdout and secret not in listed.stdout
