"""Stores written by the first release open in this one: runs gain owners, tokens expiry."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

from paxsilica.store.runs import RunStore
from paxsilica.store.tokens import DEFAULT_LIFETIME_DAYS, TokenStore

OLD_RUNS = """CREATE TABLE runs (run_id VARCHAR PRIMARY KEY, created_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL, scenario VARCHAR NOT NULL, scenario_doc VARCHAR, seed BIGINT,
    draws BIGINT, months INTEGER, dataset_hash VARCHAR, code_version VARCHAR, seconds DOUBLE,
    meta VARCHAR, error VARCHAR, pid INTEGER, host VARCHAR)"""
OLD_TOKENS = """CREATE TABLE tokens (token_id VARCHAR PRIMARY KEY, name VARCHAR,
    role VARCHAR NOT NULL, token_sha256 VARCHAR NOT NULL UNIQUE, created_at TIMESTAMP NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT FALSE)"""


def test_a_first_release_store_gains_owners_and_token_expiry(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with duckdb.connect(str(db)) as con:
        con.execute(OLD_RUNS)
        con.execute(OLD_TOKENS)
        con.execute("INSERT INTO runs (run_id, created_at, status, scenario) VALUES "
                    "('aaaaaaaaaaaa', ?, 'complete', 'baseline')", [now])
        for token_id, secret, age in (("recent", "pxs_recent", 10), ("ancient", "pxs_old", 400)):
            con.execute("INSERT INTO tokens VALUES (?, ?, 'viewer', ?, ?, FALSE)",
                        [token_id, token_id, hashlib.sha256(secret.encode()).hexdigest(),
                         now - timedelta(days=age)])
    with RunStore.open(db) as store:
        rows = store.list_runs()
        assert rows["run_id"].tolist() == ["aaaaaaaaaaaa"] and rows["owner"].isna().all()
        assert store.owner("aaaaaaaaaaaa") == (None, "complete")
    with TokenStore.open(db) as tokens:
        recent = tokens.verify("pxs_recent")
        assert recent is not None and recent.expires_at is not None
        expected = now - timedelta(days=10) + timedelta(days=DEFAULT_LIFETIME_DAYS)
        assert abs((recent.expires_at - expected).total_seconds()) < 5
        assert tokens.verify("pxs_old") is None  # created 400 days ago: expired
        states = {row["token_id"]: row["expired"] for row in tokens.list()}
        assert states == {"recent": False, "ancient": True}
