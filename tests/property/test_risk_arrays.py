"""Summaries of every cell at once equal each cell's own 1-d statistics (hypothesis):
paxsilica.engine.results.risk_arrays."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from paxsilica.engine.results import QUANTILES, risk_arrays

samples = st.tuples(st.integers(1, 60), st.integers(1, 4), st.integers(1, 3)).flatmap(
    lambda shape: arrays(np.float32, shape, elements=st.floats(0.0, 50.0, width=32)))


def _one_cell(values: np.ndarray) -> dict[str, float]:
    """The statistics of one sample, written out (the engine's per-cell code before)."""
    values = np.asarray(values, dtype=float)
    n = values.size
    p5, p50, p95 = np.quantile(values, QUANTILES)
    k = math.ceil(0.05 * n)
    tail = np.sort(values)[n - k:]
    return {"mean": values.mean(), "p5": p5, "p50": p50, "p95": p95, "var95": p95,
            "cvar95": tail.mean()}


@given(samples)
def test_every_cell_is_its_own_sample(values: np.ndarray) -> None:
    stats = risk_arrays(values)
    for c in range(values.shape[1]):
        for g in range(values.shape[2]):
            expected = _one_cell(values[:, c, g])
            for name, value in expected.items():
                # the quantiles and the mean are the same floats; the tail's mean sums the
                # same values in another order
                assert math.isclose(stats[name][c, g], value, rel_tol=1e-12, abs_tol=1e-12), \
                    (name, c, g)
            assert stats["p5"][c, g] <= stats["p50"][c, g] <= stats["p95"][c, g]
            assert stats["cvar95"][c, g] >= stats["var95"][c, g] - 1e-9
