"""One executor interface: inline, threads and Dask give the same per-draw outcomes."""

from __future__ import annotations

import numpy as np
import pytest

from paxsilica.engine import simulate
from paxsilica.engine.chunks import assemble, compile_model
from paxsilica.engine.executors import Dask, Inline, Job, Threads, executor_for, plan
from paxsilica.engine.sampling import BLOCK_DRAWS
from paxsilica.engine.sweep import run_sweep
from paxsilica.errors import ModelError
from tests.unit.engine.conftest import scenario
from tests.unit.engine.test_engine_simulate import ALL_LEVERS, ALL_SHOCKS, _ds

N = 2 * BLOCK_DRAWS + 17  # three blocks, the last one partial


@pytest.fixture(scope="module")
def case():
    ds, scn = _ds(), scenario(ALL_SHOCKS, ALL_LEVERS, horizon_months=6)
    return ds, scn, compile_model(ds, scn)


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])


@pytest.mark.parametrize(("draws", "chunk", "expected"), [
    (N, None, [(0, 3)]), (N, 1, [(0, 1), (1, 2), (2, 3)]), (N, BLOCK_DRAWS + 1, [(0, 2), (2, 3)]),
    (10, 5, [(0, 1)])])
def test_plan_cuts_whole_blocks(draws, chunk, expected) -> None:
    assert plan(draws, chunk) == expected


def test_every_executor_gives_the_draws_simulate_gives(case) -> None:
    ds, scn, model = case
    ref = simulate(ds, scn, draws=N, seed=7, keep_paths=False)
    jobs = [Job(model, 7, N), Job(model, 9, 50)]
    inline = Inline().run(jobs, chunk_size=BLOCK_DRAWS)
    _same(inline[0], Inline().run([jobs[0]])[0])  # chunking changes nothing
    for got in (Threads(2).run(jobs, chunk_size=BLOCK_DRAWS), Threads(3).run(jobs)):
        _same(got[0], inline[0])
        _same(got[1], inline[1])
    summary = assemble(model, inline[0], N, 7).summary
    assert summary.equals(ref.summary)


def test_threads_map_keeps_the_order_of_its_items() -> None:
    assert Threads(2).map(lambda x: x * x, range(7)) == [0, 1, 4, 9, 16, 25, 36]
    assert Inline().map(str, [3, 1]) == ["3", "1"]
    with pytest.raises(ModelError, match="at least 1"):
        Threads(0)


def test_the_flags_pick_the_executor() -> None:
    assert isinstance(executor_for(), Inline)
    assert isinstance(executor_for(processes=1), Inline)
    assert executor_for(threads=2) == Threads(2)
    assert executor_for(processes=2) == Dask(2, None)
    assert executor_for(scheduler="tcp://h:8786").label == "scheduler"
    with pytest.raises(ModelError, match="at least 1"):
        executor_for(processes=0)


def test_a_sweep_is_the_same_on_threads_as_inline(case, monkeypatch) -> None:
    # run_sweep goes through executor_for: force threads and compare with inline
    import paxsilica.engine.sweep as sweep

    ds, scn, _ = case
    variants = [("a", "", scn), ("b", "", scn.model_copy(update={"seed": 3}))]
    ref = run_sweep(ds, variants, draws=40, seed=5)
    monkeypatch.setattr(sweep, "executor_for", lambda *a, **k: Threads(2))
    got = run_sweep(ds, variants, draws=40, seed=5)
    assert got.summary.equals(ref.summary)


def test_block_threads_keep_the_state_in_flight_within_the_budget(monkeypatch) -> None:
    import importlib

    sim = importlib.import_module("paxsilica.engine.simulate")  # the module, not the function
    monkeypatch.setattr(sim.os, "cpu_count", lambda: 4)
    cell = sim.STATE_ARRAYS * BLOCK_DRAWS * 8  # bytes of state per commodity-region
    # 19 regions x 39 commodities: 0.53 GB a block, so one at a time within 768 MiB
    assert sim.block_threads(None, 245, 39, 19) == 1
    assert 2 * cell * 39 * 19 > sim.IN_FLIGHT_STATE_BYTES >= cell * 39 * 19
    # three segments: 0.08 GB a block, so one per core
    assert sim.block_threads(None, 245, 39, 3) == 4
    assert sim.block_threads(None, 1, 39, 3) == 1  # never more than the blocks
    assert sim.block_threads(3, 245, 39, 19) == 3  # the caller's choice wins
