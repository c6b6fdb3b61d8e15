"""A real LocalCluster of worker processes: 1, 2, 3 workers give bit-identical summaries, and a
worker killed mid-run is retried (same numbers) or fails the run cleanly, never half a result.

Each cluster costs 1-2 s to start, so the cases share as few clusters as they can.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pandas as pd
import pytest

from paxsilica.engine import simulate
from paxsilica.engine.chunks import assemble, compile_model
from paxsilica.engine.sampling import BLOCK_DRAWS
from paxsilica.errors import ModelError
from tests.unit.engine.conftest import scenario
from tests.unit.engine.test_engine_simulate import ALL_LEVERS, ALL_SHOCKS, _ds

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

N = 3 * BLOCK_DRAWS + 5  # four blocks, the last one partial


@pytest.fixture(scope="module")
def case():
    ds, scn = _ds(), scenario(ALL_SHOCKS, ALL_LEVERS, horizon_months=12)
    return ds, scn, simulate(ds, scn, draws=N, keep_paths=False)


def _assert_same(a, b) -> None:
    pd.testing.assert_frame_equal(a.summary, b.summary, check_exact=True)
    pd.testing.assert_frame_equal(a.downstream, b.downstream, check_exact=True)
    pd.testing.assert_frame_equal(a.cost, b.cost, check_exact=True)
    for name in a.outcomes.data_vars:
        np.testing.assert_array_equal(a.outcomes[name].values, b.outcomes[name].values)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_workers_and_chunk_sizes_do_not_change_a_number(case, workers) -> None:
    from paxsilica.engine.distributed import Job, connect, run_jobs

    ds, scn, ref = case
    model = compile_model(ds, scn)
    with connect(workers) as client:
        assert len(client.scheduler_info(n_workers=-1)["workers"]) == workers
        for chunk in (BLOCK_DRAWS, 3 * BLOCK_DRAWS) if workers != 2 else (2 * BLOCK_DRAWS,):
            [out] = run_jobs(client, [Job(model, 7, N)], chunk_size=chunk)
            _assert_same(ref, assemble(model, out, N, 7))


def test_simulate_with_processes_matches_the_reference(case) -> None:
    ds, scn, ref = case
    res = simulate(ds, scn, draws=N, keep_paths=False, processes=2)
    _assert_same(ref, res)
    assert res.meta["workers"] == 2


def _kill_one_worker_when_busy(client, pids: dict, done: threading.Event,
                               victims: list) -> None:
    """SIGKILL the process of the first worker seen running a task."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not done.is_set():
        busy = [w for w, tasks in client.processing().items() if tasks]
        if busy:
            os.kill(pids[busy[0]], signal.SIGKILL)
            victims.append(pids[busy[0]])
            done.set()
            return
        time.sleep(0.02)


def _run_with_a_kill(case, allowed_failures: int):
    from paxsilica.engine.distributed import Job, connect, run_jobs

    ds, scn, _ = case
    model = compile_model(ds, scn)
    killed, victims = threading.Event(), []
    with dask.config.set({"distributed.scheduler.allowed-failures": allowed_failures}):
        with connect(2) as client:
            pids = client.run(os.getpid)
            thread = threading.Thread(target=_kill_one_worker_when_busy,
                                      args=(client, pids, killed, victims))
            thread.start()
            try:
                [out] = run_jobs(client, [Job(model, 7, N)], chunk_size=BLOCK_DRAWS)
            finally:
                killed.set()
                thread.join()
    return model, out, victims


def test_a_killed_worker_is_retried_and_changes_nothing(case) -> None:
    ds, scn, ref = case
    model, out, victims = _run_with_a_kill(case, allowed_failures=3)
    assert len(victims) == 1  # the kill happened while a chunk was running
    _assert_same(ref, assemble(model, out, N, 7))


def test_a_killed_worker_without_retries_fails_the_run_cleanly(case) -> None:
    with pytest.raises(ModelError, match="no partial result"):
        _run_with_a_kill(case, allowed_failures=0)


def test_a_sweep_on_the_cluster_matches_the_sweep_in_process() -> None:
    from paxsilica.engine.sweep import expand_grid, run_sweep
    from paxsilica.model.scenario import Scenario
    from tests.unit.engine.conftest import ban, mini

    base = scenario([ban(0.5)], horizon_months=12).model_dump(mode="json")
    variants = [(n, label, Scenario.from_mapping(doc)) for n, label, doc in
                expand_grid(base, {"shocks.0.severity": [0.3, 0.9]})]
    here = run_sweep(mini(), variants, draws=BLOCK_DRAWS + 9, seed=5)
    there = run_sweep(mini(), variants, draws=BLOCK_DRAWS + 9, seed=5, processes=2)
    assert here.summary.identical(there.summary)
