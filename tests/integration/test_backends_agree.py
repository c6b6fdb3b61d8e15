"""NumPy and JAX run the one month step (engine/step.py) to the same numbers on the embedded
data, for every built-in scenario, on the default 19-region map: bloc aggregates and every
region's summaries.

Tolerances are set from measured differences (1,000 draws, seed 3, JAX 0.10 on the CPU):
float64 summaries differ by at most 6e-15 relative (2e-16 absolute), so the stated 1e-6 is a
bound on rounding, not a fudge; float32 by at most 9.4e-5 relative (lithium-price-suppression's
summary) and 1.8e-5 absolute (helium-supply-shock), so float32 is held to 2e-4 relative +
5e-5 absolute, about twice the measured worst.

Per region, float32 differs more in one kind of cell: a region whose demand is a tiny share of
the world's (Australia's LNG, 1.7e-5) clears a market whose float32 noise (about 1e-7 of world
volume) is a visible share of it; its peak price came out 1.0067 on JAX float32 against 1.0 on
NumPy (4 of 8,892 cells in ga-ge-ban and lithium-price-suppression). Region tables are held to
float64's tolerance in float64 and to 1.5e-2 absolute in float32 (about twice that worst).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax")

from paxsilica.engine import simulate  # noqa: E402
from paxsilica.workflows import builtin_scenarios, load, load_scenario  # noqa: E402

DRAWS, SEED = 1000, 3
TOLERANCE = {"float64": (1e-6, 1e-9), "float32": (2e-4, 5e-5)}
REGION_TOLERANCE = {"float64": (1e-6, 1e-9), "float32": (2e-4, 1.5e-2)}
SCENARIOS = [item["name"] for item in builtin_scenarios()]


@pytest.fixture(scope="module")
def dataset():
    return load()


@pytest.fixture(scope="module")
def numpy_results():
    """NumPy results per scenario, computed once for both precisions."""
    return {}


def _numeric(frame):
    return frame.select_dtypes("number").to_numpy(dtype=float)


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["float64", "float32"])
@pytest.mark.parametrize("name", SCENARIOS)
def test_jax_matches_numpy_on_the_embedded_data(dataset, numpy_results, name, precision):
    scn = load_scenario(name, dataset)
    if name not in numpy_results:
        numpy_results[name] = simulate(dataset, scn, draws=DRAWS, seed=SEED, keep_paths=False)
    ref = numpy_results[name]
    res = simulate(dataset, scn, draws=DRAWS, seed=SEED, keep_paths=False, backend="jax",
                   precision=precision)
    moved = 0
    assert ref.meta["region_map"] == "countries" and ref.region_summary is not None
    for table in ("summary", "downstream", "cost", "region_summary", "region_downstream"):
        rtol, atol = (REGION_TOLERANCE if table.startswith("region") else TOLERANCE)[precision]
        got, want = _numeric(getattr(res, table)), _numeric(getattr(ref, table))
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=f"{name} {table}")
        moved += int(np.count_nonzero(np.nan_to_num(want) != 0))
    assert moved > 0  # the comparison covers real, non-zero results
