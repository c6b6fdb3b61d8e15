"""Runs under the shipped, median or posterior behavioural parameters (calibration.posterior).

A calibration folder is written by hand: two particles, so which one a group of draws ran
under can be told from its numbers, and each group is re-run apart with its own seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paxsilica.calibration.evaluate import PARAMETERS, options_and_dataset, shipped_values
from paxsilica.calibration.posterior import (PARAMETERS_FILE, POSTERIOR_FILE, _group_sizes,
                                             simulate_with_parameters)
from paxsilica.engine import simulate
from paxsilica.errors import DataError, ModelError
from tests.unit.engine.conftest import ban, mini, scenario

LOW = shipped_values() | {"demand_elasticity_scale": 0.5, "contract_share": 0.0}
HIGH = shipped_values() | {"demand_elasticity_scale": 2.0, "contract_share": 0.5}


def _write(folder, weights=(0.5, 0.5)) -> None:
    particles = pd.DataFrame([LOW, HIGH])[[p.name for p in PARAMETERS]]
    particles["weight"] = list(weights)
    particles.to_csv(folder / POSTERIOR_FILE, index=False)
    rows = [{"parameter": p.name, "prior_low": p.low, "prior_high": p.high,
             "shipped": p.shipped, "p5": LOW[p.name], "p50": HIGH[p.name],
             "p95": HIGH[p.name], "source": "calibrated"} for p in PARAMETERS]
    pd.DataFrame(rows).to_csv(folder / PARAMETERS_FILE, index=False)


def _scn():
    return scenario([ban(0.8, targets="all")], horizon_months=6)


def test_group_sizes_split_the_draws_evenly() -> None:
    assert _group_sizes(10, 3) == [4, 3, 3]
    assert _group_sizes(6, 6) == [1] * 6
    assert sum(_group_sizes(1001, 20)) == 1001


def test_shipped_is_the_plain_engine_and_median_the_p50_point(tmp_path) -> None:
    _write(tmp_path)
    ds, scn = mini(), _scn()
    plain = simulate(ds, scn, draws=12, seed=4, keep_paths=False)
    shipped = simulate_with_parameters(ds, scn, parameters="shipped", draws=12, seed=4,
                                       keep_paths=False, folder=tmp_path)
    np.testing.assert_array_equal(shipped.outcomes["shortage_share"].values,
                                  plain.outcomes["shortage_share"].values)
    assert shipped.meta["parameters"] == "shipped"
    options, data = options_and_dataset(ds, HIGH)  # the hand-written P50 column
    point = simulate(data, scn, draws=12, seed=4, options=options, keep_paths=False)
    median = simulate_with_parameters(ds, scn, parameters="median", draws=12, seed=4,
                                      keep_paths=False, folder=tmp_path)
    np.testing.assert_array_equal(median.outcomes["shortage_share"].values,
                                  point.outcomes["shortage_share"].values)
    assert median.meta["dataset_hash"] == ds.content_hash  # the user's data, not the copy


def test_posterior_pools_groups_each_run_under_its_particle(tmp_path) -> None:
    _write(tmp_path)
    ds, scn = mini(), _scn()
    res = simulate_with_parameters(ds, scn, parameters="posterior", draws=10, seed=9,
                                   particles=4, keep_paths=True, folder=tmp_path)
    assert res.meta["particle_draws"] == [3, 3, 2, 2]
    assert res.outcomes.sizes["draw"] == 10 and res.paths.sizes["draw"] == 10
    np.testing.assert_array_equal(res.outcomes["draw"].values, np.arange(10))
    start = 0
    for k, (row, size) in enumerate(zip(res.meta["particles"], res.meta["particle_draws"],
                                        strict=True)):
        options, data = options_and_dataset(ds, (LOW, HIGH)[row])
        seed = int(np.random.SeedSequence([9, k]).generate_state(1)[0])
        alone = simulate(data, scn, draws=size, seed=seed, options=options)
        np.testing.assert_array_equal(
            res.outcomes["shortage_share"].values[start:start + size],
            alone.outcomes["shortage_share"].values)
        start += size
    # the summary is the pooled draws' statistics, recomputed
    pooled = res.outcomes["shortage_share"].sel(commodity="ore", segment="alliance").values
    row = res.summary.set_index(["commodity", "segment"]).loc[("ore", "alliance")]
    assert row["shortage_share_p50"] == pytest.approx(np.percentile(pooled, 50))
    # a seed reproduces the run, another seed picks other particles or other draws
    again = simulate_with_parameters(ds, scn, parameters="posterior", draws=10, seed=9,
                                     particles=4, keep_paths=False, folder=tmp_path)
    np.testing.assert_array_equal(again.outcomes["peak_price_ratio"].values,
                                  res.outcomes["peak_price_ratio"].values)


def test_posterior_on_dask_runs_the_same_groups_on_one_cluster(tmp_path, monkeypatch) -> None:
    # On Dask every group is a job of one cluster; the outcomes are the in-process run's
    from paxsilica.engine import distributed

    clusters = []
    connect = distributed.connect
    monkeypatch.setattr(distributed, "connect",
                        lambda *a, **k: clusters.append(a) or connect(*a, **k))
    _write(tmp_path)
    ds, scn = mini(), _scn()
    kwargs = {"parameters": "posterior", "draws": 10, "seed": 9, "particles": 4,
              "keep_paths": False, "folder": tmp_path}
    inline = simulate_with_parameters(ds, scn, **kwargs)
    dask = simulate_with_parameters(ds, scn, processes=2, **kwargs)
    assert dask.meta["workers"] == 2 and dask.meta["particles"] == inline.meta["particles"]
    assert len(clusters) == 1  # not one per particle group
    for name in ("shortage_share", "peak_price_ratio"):
        np.testing.assert_array_equal(dask.outcomes[name].values, inline.outcomes[name].values)
    pd.testing.assert_frame_equal(dask.summary, inline.summary)


def test_posterior_weights_choose_the_particles(tmp_path) -> None:
    _write(tmp_path, weights=(0.0, 1.0))
    res = simulate_with_parameters(mini(), _scn(), parameters="posterior", draws=8, seed=1,
                                   particles=4, keep_paths=False, folder=tmp_path)
    assert res.meta["particles"] == [1, 1, 1, 1]


def test_bad_choices_and_missing_calibration_are_clear_errors(tmp_path) -> None:
    ds, scn = mini(), _scn()
    with pytest.raises(ModelError, match="parameters must be one of shipped, median, "
                                         "posterior"):
        simulate_with_parameters(ds, scn, parameters="mean", draws=4, seed=1)
    with pytest.raises(DataError, match="no calibration in"):
        simulate_with_parameters(ds, scn, parameters="median", draws=4, seed=1,
                                 folder=tmp_path)
    _write(tmp_path)
    with pytest.raises(ModelError, match="particles must be at least 1"):
        simulate_with_parameters(ds, scn, parameters="posterior", draws=4, seed=1,
                                 particles=0, folder=tmp_path)
