"""The JAX kernel reproduces the numpy reference within the stated tolerance (on the CPU).

Tolerance (documented in paxsilica.engine.backend_jax): float64 summaries within 1e-6
relative + 1e-9 absolute; float32 within 2e-3 relative + 2e-4 absolute. Every shock type and
every lever is switched on, so each branch of the traced program is compared.
"""

from __future__ import annotations

import numpy as np
import pytest

from paxsilica.engine import simulate
from paxsilica.errors import ModelError
from tests.unit.engine.conftest import scenario
from tests.unit.engine.test_engine_simulate import ALL_LEVERS, ALL_SHOCKS, _ds

pytest.importorskip("jax")

N = 4096 + 300  # a full block and a partial one
TOLERANCE = {"float64": (1e-6, 1e-9), "float32": (2e-3, 2e-4)}
CASES = {"baseline": ((), ()), "shocks": (ALL_SHOCKS, ()), "all": (ALL_SHOCKS, ALL_LEVERS)}


@pytest.fixture(scope="module")
def reference():
    ds = _ds()
    out = {}
    for name, (shocks, levers) in CASES.items():
        scn = scenario(shocks, levers, horizon_months=12)
        out[name] = (ds, scn, simulate(ds, scn, draws=N, keep_paths=False))
    return out


def _numeric(frame):
    return frame.select_dtypes("number").to_numpy(dtype=float)


@pytest.mark.parametrize("precision", ["float64", "float32"])
@pytest.mark.parametrize("case", list(CASES))
def test_jax_matches_numpy_within_tolerance(reference, case, precision) -> None:
    ds, scn, ref = reference[case]
    res = simulate(ds, scn, draws=N, keep_paths=False, backend="jax", precision=precision)
    rtol, atol = TOLERANCE[precision]
    for table in ("summary", "downstream", "cost"):
        np.testing.assert_allclose(_numeric(getattr(res, table)),
                                   _numeric(getattr(ref, table)), rtol=rtol, atol=atol,
                                   equal_nan=True, err_msg=table)
    assert res.meta["backend"] == "jax" and res.meta["precision"] == precision


def test_float64_per_draw_outcomes_match(reference) -> None:
    ds, scn, ref = reference["all"]
    res = simulate(ds, scn, draws=N, keep_paths=False, backend="jax")
    for name in ("peak_price_ratio", "shortage_share", "loss_share", "policy_cost_usd"):
        np.testing.assert_allclose(res.outcomes[name].values, ref.outcomes[name].values,
                                   rtol=1e-6, atol=1e-9, err_msg=name)
    np.testing.assert_array_equal(np.isnan(res.outcomes.stock_out_month.values),
                                  np.isnan(ref.outcomes.stock_out_month.values))


def test_calls_per_block_or_all_at_once_agree(reference) -> None:
    ds, scn, _ = reference["all"]
    one = simulate(ds, scn, draws=N, keep_paths=False, backend="jax", chunk_size=4096)
    whole = simulate(ds, scn, draws=N, keep_paths=False, backend="jax")
    np.testing.assert_allclose(_numeric(one.summary), _numeric(whole.summary), rtol=1e-12,
                               atol=1e-15, equal_nan=True)


def test_the_shock_really_moves_the_jax_numbers(reference) -> None:
    ds, _, base = reference["baseline"]
    _, scn, _ = reference["shocks"]
    res = simulate(ds, scn, draws=N, keep_paths=False, backend="jax")
    alliance = res.summary[res.summary["segment"] == "alliance"].set_index("commodity")
    assert alliance.loc["ore", "peak_price_ratio_mean"] > 1.05
    assert base.summary["shortage_share_mean"].max() == 0.0


def test_jax_refuses_paths(reference) -> None:
    ds, scn, _ = reference["baseline"]
    with pytest.raises(ModelError, match="keep_paths=False"):
        simulate(ds, scn, draws=10, backend="jax")
