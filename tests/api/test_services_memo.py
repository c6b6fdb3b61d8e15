"""Services memoise read tables once per key, even when many requests ask at the same time."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from paxsilica.api.app import Services
from paxsilica.api.settings import Settings


def test_a_cold_key_asked_by_many_threads_is_computed_once(tmp_path: Path) -> None:
    services = Services(Settings(db=tmp_path / "runs.duckdb"))
    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        time.sleep(0.2)  # long enough that every thread arrives while it runs
        return "table"

    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(
        services._memo(store, "key", compute))) for _ in range(8)]
    store: dict[str, str] = {}
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["table"] * 8
    assert len(calls) == 1


def test_a_failure_is_not_kept_and_the_next_call_retries(tmp_path: Path) -> None:
    services = Services(Settings(db=tmp_path / "runs.duckdb"))
    store: dict[str, str] = {}

    def fail() -> str:
        raise ValueError("bad id")

    with pytest.raises(ValueError):
        services._memo(store, "key", fail)
    assert store == {} and services._gates == {}
    assert services._memo(store, "key", lambda: "ok") == "ok"
