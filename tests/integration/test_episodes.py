"""The training set of real episodes against the shipped calibration (issue 12).

Each observation's band is its own observed range (``paxsilica/scenarios/episodes``), written
down before the model was run. The tests run every episode at the calibrated parameters
(the posterior P50 in ``paxsilica/data/calibrated``) and assert the model's P50 lies in the
band. Where it does not, the test is a strict xfail naming the missing mechanism or data:
``missing`` in the episode file (never fitted), or :data:`FIT_MISSES` for a fitted
observation the fit could not bring into its band. A strict xfail that starts passing fails
until its reason is removed. The held-out observation is reported apart.
"""

from __future__ import annotations

import numpy as np
import pytest

from paxsilica import workflows
from paxsilica import workflows_calibration as wc
from paxsilica.calibration.episodes import load_episodes
from paxsilica.calibration.evaluate import PARAMETERS, coverage, evaluate
from paxsilica.calibration.fit import fit, weighted_quantile

_ONE_RESERVATION = ("one reservation price for every commodity (docs/calibration.md gap 2): "
                    "China's gallium price fell 9%, its antimony price 10.5-11.5%, and a "
                    "single reservation_price_ratio cannot hold both")
_NO_FRONT_RUNNING = ("front-running and precautionary buying (issue 12 part 1): Rotterdam rose "
                     "from the 3 Jul announcement, before the controls bit; the engine's "
                     "bloc price rises only as stocks are drawn")
#: Fitted observations whose P50 stays outside the band at the calibrated values, and why.
FIT_MISSES: dict[str, str] = {
    "antimony-2024/china-price-nov": _ONE_RESERVATION,
    "gallium-2023/china-aug": _ONE_RESERVATION,
    "gallium-2023/rotterdam-aug": _NO_FRONT_RUNNING,
    "gallium-2023/rotterdam-oct": _NO_FRONT_RUNNING,
    "gallium-2023/rotterdam-dec": _NO_FRONT_RUNNING + " (the posterior sample's P50 is in "
                                                      "the band, the posterior P50 point's "
                                                      "is not)",
    "antimony-2024/force-majeure": "an antimony refining stage (docs/calibration.md gap 5): "
                                   "with only the mine stage the bloc keeps most of its "
                                   "supply and its stock lasts 15-40 weeks, not 8",
    "ree-2010/two-tier": "a border price wedge (export duties, licence premia) and speculative "
                         "buying outside China: the engine's split under a quota is 1.4-2",
}

EPISODES = load_episodes()
OBSERVATIONS = [o for ep in EPISODES for o in ep.observations]


def _reason(o) -> str | None:
    return o.missing or FIT_MISSES.get(o.key)


@pytest.fixture(scope="module")
def ds():
    return workflows.load()


@pytest.fixture(scope="module")
def after(ds):
    return evaluate(EPISODES, ds, wc.calibrated_values()).set_index("key")


@pytest.mark.parametrize("observation", [
    pytest.param(o, id=o.key, marks=[pytest.mark.xfail(strict=True, reason=_reason(o))]
                 if _reason(o) else []) for o in OBSERVATIONS if o.role == "training"])
def test_training_p50_in_observed_band(after, observation) -> None:
    row = after.loc[observation.key]
    assert row["share_with_value"] > 0.5, "the event happens in fewer than half the draws"
    assert observation.contains(row["p50"]), (row["p50"], observation.band)


def test_heldout_observation_is_never_fitted() -> None:
    parameters, _ = wc.read_calibrated()
    fitted = set(str(parameters["fitted_to"].iloc[0]).split(";"))
    heldout = {o.key for o in OBSERVATIONS if o.role == "heldout"}
    assert heldout and not heldout & fitted
    assert fitted == {o.key for o in OBSERVATIONS if o.fitted}


def test_calibrated_csv_is_the_posterior_sample_summary() -> None:
    parameters, posterior = wc.read_calibrated()
    assert set(parameters["source"]) == {"calibrated"}
    weights = posterior["weight"].to_numpy()
    assert (weights >= 0).all() and weights.sum() == pytest.approx(1.0, abs=1e-4)
    for p in PARAMETERS:
        row = parameters.set_index("parameter").loc[p.name]
        x = posterior[p.name].to_numpy()
        assert p.low <= x.min() and x.max() <= p.high  # inside the prior
        for q, column in ((0.05, "p5"), (0.5, "p50"), (0.95, "p95")):
            assert row[column] == pytest.approx(weighted_quantile(x, weights, q), rel=1e-4)
        assert (row["prior_low"], row["prior_high"], row["shipped"]) == (p.low, p.high,
                                                                         p.shipped)


def test_fit_is_reproducible_from_its_seed(ds) -> None:
    gallium = [ep for ep in EPISODES if ep.id == "gallium-2023"]
    kwargs = {"population": 4, "generations": 1, "draws": 5}
    first = fit(gallium, ds, seed=3, **kwargs)
    again = fit(gallium, ds, seed=3, **kwargs)
    other = fit(gallium, ds, seed=4, **kwargs)
    assert first.observations == tuple(o.key for o in gallium[0].observations if o.fitted)
    np.testing.assert_array_equal(first.posterior.to_numpy(), again.posterior.to_numpy())
    assert not np.array_equal(first.posterior.to_numpy(), other.posterior.to_numpy())


def test_fit_moves_toward_the_bands(ds) -> None:
    # The posterior P50 is closer to the fitted bands than the shipped values are, summed over
    # the fitted observations (the fit's own distance).
    from paxsilica.calibration.fit import band_distance

    before = evaluate(EPISODES, ds, {p.name: p.shipped for p in PARAMETERS}).set_index("key")
    after = evaluate(EPISODES, ds, wc.calibrated_values()).set_index("key")
    fitted = [o for o in OBSERVATIONS if o.fitted]

    def total(table):
        return sum(band_distance(table.loc[o.key, "p50"], o.band) for o in fitted)

    assert total(after) < total(before)


#: Training coverage (band inside P5-P95) at the calibrated values, measured (4 of 15).
MEASURED_COVERAGE = 4 / 15


def test_training_coverage_does_not_regress(after) -> None:
    # Measured, so an engine or data change that loses covered observations fails here.
    assert coverage(after.reset_index()) >= MEASURED_COVERAGE - 1e-9


@pytest.mark.xfail(strict=True, reason="done-when of issue 12 not met: 4 of 15 training "
                   "observations (27%) inside P5-P95 at the calibrated values; the misses "
                   "need the mechanisms of issue 12 part 1 (front-running, precautionary "
                   "demand, backstop, supply ramp) and an antimony refining stage")
def test_training_coverage_reaches_80_percent(after) -> None:
    assert coverage(after.reset_index()) >= 0.8


@pytest.mark.xfail(strict=True, reason="held-out check fails: the fitted demand-elasticity "
                   "multiplier (x2.5, pulled up mainly by neon's no-loss observation) lets "
                   "buyers cut magnet demand so far that the bloc's stock never runs out; one "
                   "multiplier for every commodity is too coarse (per-commodity short- and "
                   "long-run elasticities: issue 12 part 1)")
def test_heldout_magnet_stock_out_in_band(after) -> None:
    (o,) = [o for o in OBSERVATIONS if o.role == "heldout"]
    row = after.loc[o.key]
    assert row["share_with_value"] > 0.5 and o.contains(row["p50"])
