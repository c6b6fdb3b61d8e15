"""Chunks of whole blocks merge exactly; the Dask driver places every chunk and never a partial run.

Uses an in-process Dask cluster (threads, no worker processes: about 0.3 s to start); the
process-based LocalCluster with 1/2/3 workers and a killed worker are in
tests/integration/test_dask_cluster.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paxsilica.engine import simulate
from paxsilica.engine.chunks import chunk_ranges, compile_model, new_outcomes, place, run_chunk
from paxsilica.engine.sampling import BLOCK_DRAWS
from paxsilica.errors import ModelError
from tests.unit.engine.conftest import scenario
from tests.unit.engine.test_engine_simulate import ALL_LEVERS, ALL_SHOCKS, _ds

distributed = pytest.importorskip("distributed")

N = 2 * BLOCK_DRAWS + 17  # three blocks, the last one partial


@pytest.fixture(scope="module")
def case():
    ds, scn = _ds(), scenario(ALL_SHOCKS, ALL_LEVERS, horizon_months=6)
    return ds, scn, simulate(ds, scn, draws=N, keep_paths=False)


def _assert_same(a, b) -> None:
    for name in a.outcomes.data_vars:
        np.testing.assert_array_equal(a.outcomes[name].values, b.outcomes[name].values)
    pd.testing.assert_frame_equal(a.summary, b.summary, check_exact=True)
    pd.testing.assert_frame_equal(a.downstream, b.downstream, check_exact=True)
    pd.testing.assert_frame_equal(a.cost, b.cost, check_exact=True)


@pytest.mark.parametrize(("n", "per", "expected"), [
    (1, 1, [(0, 1)]), (BLOCK_DRAWS, 1, [(0, 1)]), (BLOCK_DRAWS + 1, 1, [(0, 1), (1, 2)]),
    (5 * BLOCK_DRAWS, 2, [(0, 2), (2, 4), (4, 5)]), (3 * BLOCK_DRAWS, 9, [(0, 3)])])
def test_chunk_ranges_cover_every_block_once(n, per, expected) -> None:
    assert chunk_ranges(n, per) == expected


@pytest.mark.parametrize("per", [1, 2, 3])
def test_any_chunking_places_the_same_outcomes(case, per) -> None:
    ds, scn, ref = case
    model = compile_model(ds, scn)
    out = new_outcomes(model, N, N)
    assert "region_loss_share" in out  # a small run keeps its region outcomes
    for first, stop in reversed(chunk_ranges(N, per)):  # order of arrival does not matter
        place(out, first, run_chunk(model, 7, first, stop, N))
    for name, values in out.items():
        expected = ref.outcomes[name].values
        if name.endswith("stock_out_month"):
            expected = np.where(np.isnan(expected), 255, expected)
        np.testing.assert_array_equal(values, expected.astype(values.dtype))


def test_in_process_cluster_gives_identical_results(case) -> None:
    from paxsilica.engine.distributed import Job, run_jobs
    from paxsilica.engine.chunks import assemble

    ds, scn, ref = case
    model = compile_model(ds, scn)
    with distributed.Client(processes=False, n_workers=2, threads_per_worker=1,
                            dashboard_address="127.0.0.1:0") as client:
        for chunk in (BLOCK_DRAWS, 2 * BLOCK_DRAWS, None):
            [out] = run_jobs(client, [Job(model, 7, N)], chunk_size=chunk)
            _assert_same(ref, assemble(model, out, N, 7))
        # two jobs at once (a sweep): each lands in its own arrays
        other = simulate(ds, scn, draws=50, seed=9, keep_paths=False)
        a, b = run_jobs(client, [Job(model, 7, N), Job(model, 9, 50)], chunk_size=BLOCK_DRAWS)
        _assert_same(ref, assemble(model, a, N, 7))
        _assert_same(other, assemble(model, b, 50, 9))


def test_a_failing_chunk_fails_the_run_and_cancels_the_rest(case, monkeypatch) -> None:
    from paxsilica.engine import distributed as dist

    ds, scn, _ = case
    model = compile_model(ds, scn)

    def broken(model, seed, first, stop, n, **kw):
        if first == 1:
            raise ModelError("chunk 1 exploded")
        return run_chunk(model, seed, first, stop, n, **kw)

    monkeypatch.setattr(dist, "run_chunk", broken)  # in-process workers see the patch
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=1,
                            dashboard_address="127.0.0.1:0") as client:
        with pytest.raises(ModelError, match="chunk 1 exploded"):
            dist.run_jobs(client, [dist.Job(model, 7, N)], chunk_size=BLOCK_DRAWS)


def test_unreachable_scheduler_is_a_model_error() -> None:
    from paxsilica.engine.distributed import connect

    with pytest.raises(ModelError, match="tcp://127.0.0.1:9"):
        with connect(scheduler="tcp://127.0.0.1:9", timeout_s=1):
            pass  # pragma: no cover


def test_scaled_runs_refuse_paths_and_bad_settings(case) -> None:
    ds, scn, _ = case
    with pytest.raises(ModelError, match="keep_paths=False"):
        simulate(ds, scn, draws=10, processes=2)
    with pytest.raises(ModelError, match="backend"):
        simulate(ds, scn, draws=10, keep_paths=False, backend="cupy")
    with pytest.raises(ModelError, match="float32 needs"):
        simulate(ds, scn, draws=10, keep_paths=False, precision="float32")


def test_a_local_cluster_starts_while_another_holds_the_dashboard_port() -> None:
    # Dask's default dashboard port is 8787; a second paxsilica run (or any Dask cluster)
    # beside this one holds it. Hold it here (if nobody does yet) and start a cluster anyway.
    import socket

    from paxsilica.engine.distributed import connect

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        try:
            held.bind(("0.0.0.0", 8787))
            held.listen()
        except OSError:
            pass  # already held elsewhere: the condition under test
        with connect(processes=1) as client:
            assert client.submit(sum, [1, 2]).result() == 3
