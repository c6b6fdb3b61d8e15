"""Evaluation under the posterior: weighted quantiles by hand, every particle weighed once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paxsilica import workflows
from paxsilica.calibration.episodes import load_episodes
from paxsilica.calibration.evaluate import (PARAMETERS, episode_values, evaluate_posterior,
                                            options_and_dataset, quantiles, shipped_values)


def test_weighted_quantiles_by_hand() -> None:
    values = np.array([4.0, np.nan, 1.0, 2.0, 3.0])
    weights = np.array([0.1, 0.2, 0.4, 0.2, 0.1])
    # without NaN: 1, 2, 3, 4 weigh 0.4, 0.2, 0.1, 0.1 of 0.8, CDF 0.5, 0.75, 0.875, 1
    p5, p50, p95, share = quantiles(values, weights)
    assert (p5, p50, p95) == (1.0, 1.0, 4.0)
    assert share == pytest.approx(0.8)
    # unweighted: NumPy's interpolation over 1..4 and 4 of 5 draws with a value
    p5, p50, p95, share = quantiles(values)
    assert (p5, p50, p95, share) == pytest.approx((1.15, 2.5, 3.85, 0.8))


def test_every_particle_weighs_its_weight() -> None:
    ds = workflows.load()
    episode = [e for e in load_episodes() if e.id == "lithium-2024"]
    low = shipped_values() | {"demand_elasticity_scale": 0.5}
    high = shipped_values() | {"demand_elasticity_scale": 3.0}
    frame = pd.DataFrame([low, high])[[p.name for p in PARAMETERS]]

    def alone(values):
        options, data = options_and_dataset(ds, values)
        return episode_values(episode[0], data, options, 6)

    only_low = alone(low)
    # a particle of weight zero leaves the fan of the other one's draws
    table = evaluate_posterior(episode, ds, frame.assign(weight=[1.0, 0.0]), particles=None,
                               draws=6).set_index("key")
    for key, values in only_low.items():
        assert tuple(table.loc[key, ["p5", "p50", "p95"]]) == \
            quantiles(values, np.ones_like(values))[:3]
    # equal weights: the pooled draws of both, whatever their order
    both = evaluate_posterior(episode, ds, frame.assign(weight=[0.5, 0.5]), particles=None,
                              draws=6).set_index("key")
    only_high = alone(high)
    assert not np.allclose(only_high["lithium-2024/australia-idled"],
                           only_low["lithium-2024/australia-idled"])  # the particles differ
    for key in only_low:
        pooled = np.concatenate([only_high[key], only_low[key]])
        assert tuple(both.loc[key, ["p5", "p50", "p95"]]) == \
            quantiles(pooled, np.ones_like(pooled))[:3]
