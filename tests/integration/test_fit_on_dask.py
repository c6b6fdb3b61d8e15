"""The fit on a Dask LocalCluster gives the posterior of the in-process fit (issue 12: the fit
runs on Dask with reproducible seeds)."""

from __future__ import annotations

import numpy as np
import pytest

from paxsilica import workflows
from paxsilica.calibration.episodes import load_episodes
from paxsilica.calibration.evaluate import evaluate, shipped_values
from paxsilica.calibration.fit import episode_p50s, fit
from paxsilica.engine.distributed import connect

pytest.importorskip("pyabc")


@pytest.fixture(scope="module")
def ds():
    return workflows.load()


@pytest.fixture(scope="module")
def gallium(ds):
    return [ep for ep in load_episodes(ds=ds) if ep.id in {"gallium-2023", "neon-2022"}]


def test_episode_p50s_are_the_evaluation_p50s(ds, gallium) -> None:
    # The fit's summary statistic is the P50 column of the evaluation table at the same draws.
    table = evaluate(gallium, ds, shipped_values(), draws=8).set_index("key")
    for ep in gallium:
        keys = [o.key for o in ep.observations]
        p50s = episode_p50s(ep, ds, shipped_values(), 8, keys)
        assert set(p50s) == set(keys)
        for key, value in p50s.items():
            assert value == pytest.approx(table.loc[key, "p50"], rel=1e-12)


@pytest.mark.parametrize("method", ["pyabc", "replenish"])
def test_fit_on_a_local_cluster_matches_the_in_process_fit(ds, gallium, method) -> None:
    kwargs = {"population": 4, "generations": 2, "draws": 5, "seed": 7, "method": method}
    here = fit(gallium, ds, **kwargs)
    with connect(processes=2) as client:
        there = fit(gallium, ds, client=client, **kwargs)
    assert there.simulations == here.simulations
    assert there.epsilons == here.epsilons
    np.testing.assert_array_equal(there.posterior.to_numpy(), here.posterior.to_numpy())
    assert here.method == method and len(here.epsilons) >= 1
    if method == "replenish":  # equal weights, every particle within the last threshold
        assert (here.posterior["weight"] == 0.25).all()
        assert here.simulations > 4
