"""RunStore: runs are complete or absent from the summaries; killed writers leave no partials."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from paxsilica.errors import NotFoundError, StoreError
from paxsilica.store.runs import RunStore

METRICS = pd.DataFrame({
    "scope": ["commodity", "commodity", "capability"],
    "item": ["gallium_refining", "gallium_refining", "ai_compute"],
    "segment": ["alliance", "alliance", None],
    "metric": ["shortage_share_p50", "peak_price_ratio_p95", "loss_share_p95"],
    "value": [0.12, 2.5, 0.03],
})


def _begin(store: RunStore) -> str:
    return store.begin_run("ga-ge-ban", {"name": "ga-ge-ban"}, seed=7, draws=100, months=24,
                           dataset_hash="abc", code_version="0.1.0")


def test_round_trip(tmp_path: Path) -> None:
    with RunStore.open(tmp_path / "r.duckdb") as store:
        run_id = _begin(store)
        store.complete_run(run_id, METRICS, seconds=1.5, meta={"draws": 100})
    with RunStore.open(tmp_path / "r.duckdb", create=False) as store:
        runs = store.list_runs()
        record = store.get_run(run_id)
    assert runs["run_id"].tolist() == [run_id]
    assert record["status"] == "complete" and record["seed"] == 7
    assert record["scenario_doc"] == {"name": "ga-ge-ban"} and record["meta"] == {"draws": 100}
    got = record["metrics"].set_index("metric")["value"]
    assert got["peak_price_ratio_p95"] == 2.5 and len(got) == 3


def test_unknown_run(tmp_path: Path) -> None:
    with RunStore.open(tmp_path / "r.duckdb") as store, pytest.raises(NotFoundError):
        store.get_run("nope")


def test_read_only_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        with RunStore.open(tmp_path / "missing.duckdb", create=False):
            pass


def test_unwritable_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot open results store"):
        with RunStore.open(blocker / "sub" / "r.duckdb"):
            pass


def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"not a database" * 100)
    with pytest.raises(StoreError):
        with RunStore.open(bad):
            pass


def test_killed_writer_leaves_a_failed_run_and_no_metrics(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    with RunStore.open(db) as store:  # an earlier, complete run must survive
        earlier = _begin(store)
        store.complete_run(earlier, METRICS, seconds=1.0, meta={})
    child = textwrap.dedent(f"""
        import sys, time, pandas as pd
        from paxsilica.store.runs import RunStore
        with RunStore.open({str(db)!r}) as store:
            run_id = store.begin_run("x", {{}}, 1, 1, 1, "h", "v")
            store._con.execute("BEGIN TRANSACTION")
            store._con.execute("INSERT INTO metrics VALUES (?, 'run', 'x', NULL, 'm', 1.0)", [run_id])
            print(run_id, flush=True)
            time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    run_id = proc.stdout.readline().strip()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    with RunStore.open(db) as store:
        record = store.get_run(run_id)
        assert record["status"] == "failed"
        assert record["metrics"].empty
        assert store.get_run(earlier)["status"] == "complete"
        assert len(store.get_run(earlier)["metrics"]) == 3


def test_fans_are_written_with_the_run_or_not_at_all(tmp_path: Path) -> None:
    fans = pd.DataFrame({"variable": ["price_ratio"] * 2, "item": ["gallium_refining"] * 2,
                         "segment": ["alliance"] * 2, "quantile": [0.05, 0.95], "month": [0, 0],
                         "value": [1.0, 2.0]})
    with RunStore.open(tmp_path / "f.duckdb") as store:
        run_id = _begin(store)
        store.complete_run(run_id, METRICS, seconds=1.0, meta={}, fans=fans)
        assert store.get_fans(run_id)["value"].tolist() == [1.0, 2.0]
        broken = _begin(store)
        with pytest.raises(StoreError):  # fans that cannot be stored fail the whole write
            store.complete_run(broken, METRICS, seconds=1.0, meta={},
                               fans=fans.assign(value="not a number"))
        assert store.get_run(broken)["metrics"].empty and store.get_fans(broken).empty
        assert store.get_run(broken)["status"] == "running"
