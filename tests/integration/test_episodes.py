"""The training set of real episodes against the shipped calibration (issue 12).

Each observation's band is its own observed range (``paxsilica/scenarios/episodes``), written
down before the model was run. The tests run every episode at the calibrated parameters
(the posterior P50 in ``paxsilica/data/calibrated``) and assert the model's P50 lies in the
band. Where it does not, the test is a strict xfail naming the missing mechanism or data:
``missing`` in the episode file (never fitted), or :data:`FIT_MISSES` for a fitted
observation the fit could not bring into its band. A strict xfail that starts passing fails
until its reason is removed. The held-out observations are reported apart.
"""

from __future__ import annotations

import numpy as np
import pytest

from paxsilica import workflows
from paxsilica import workflows_calibration as wc
from paxsilica.calibration.episodes import load_episodes
from paxsilica.calibration.evaluate import PARAMETERS, coverage, evaluate, evaluate_posterior
from paxsilica.calibration.fit import fit, weighted_quantile

_CHINA_PRICE = ("the restricting region's domestic price: one reservation_price_ratio for "
                "every commodity, so China's spot quote sits at the fitted 0.94 for both "
                "where gallium fell 9% and antimony 10.5-11.5% (disjoint bands; "
                "docs/calibration.md gap 2)")
_SHORT_PEAK = ("a border price wedge (export duties, licence premia) and hoarding that "
               "outlasts the first stock-out: the quota cut lifts Dy's outside price to a P50 "
               "peak of 5.5x (P95 9.4x; 2.0x with export_quota at 0) when the bloc's stock "
               "runs out, where the spot quotes of 2010-11 went 20-26x, and supply ramping "
               "abroad and demand cuts bring it back near 1.4x within months")
#: Fitted observations whose P50 stays outside the band at the calibrated values, and why.
FIT_MISSES: dict[str, str] = {
    "antimony-2024/china-price-nov": _CHINA_PRICE,
    "gallium-2023/china-aug": _CHINA_PRICE,
    "gallium-2023/rotterdam-oct": "one inventory_release_price (1.88) for every commodity: "
                                  "the month the controls bit is in its band (1.59x against "
                                  "1.51-1.60) and the rise after it falls short (October "
                                  "1.58x against 1.79-1.90; the band lies inside P5-P95, "
                                  "1.39-1.91x)",
    "germanium-2023/july-surge": "exporters' own stocks per commodity: China's exporters "
                                 "shipped from stock ahead of the licence regime; "
                                 "front-running moves only the region's monthly output "
                                 "(1.29x, band at least 2x). The engine's ship_stock_ahead "
                                 "(one share for every commodity) is not in the shipped fit: "
                                 "pushed out whatever buyers wanted it reached 2.06x but sold "
                                 "China's gallium stock abroad too, where gallium's piled up "
                                 "at home; limited to what buyers take into cover, 1.45x "
                                 "(docs/calibration.md 4.2)",
    "antimony-2024/force-majeure": "an antimony refining stage (docs/calibration.md gap 5): "
                                   "with only the mine stage the bloc's stock lasts 18-23 "
                                   "weeks (P50 19.3), not 7.5-8.5",
    "ree-2010/dy-peak": _SHORT_PEAK,
    "ree-2010/two-tier": _SHORT_PEAK + " (split P50 1.54x against 3.9-7x)",
    "ree-adjustment/outside-supply-ramp": "supply that ramps on the price signal alone: the "
                                          "engine's ramp follows the expected price, which "
                                          "falls back once stocks and demand cuts clear the "
                                          "market, so outside supply gains 2.9 points of the "
                                          "market in the first year (P5-P95 2.0-3.3), not "
                                          "3.5-4.5 (planned capacity and offtake contracts are "
                                          "not modelled)",
}

#: Observations the engine cannot represent (``missing``, so never fitted) whose P50 lands in
#: the band anyway at the calibrated values: asserted as measured, but no evidence for the
#: missing mechanism (none at this fit; antimony's Nov split was at the previous one).
UNFITTED_IN_BAND: frozenset[str] = frozenset()

EPISODES = load_episodes()
OBSERVATIONS = [o for ep in EPISODES for o in ep.observations]


def _reason(o) -> str | None:
    if o.key in UNFITTED_IN_BAND:
        return None
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


#: Training coverage (band overlaps P5-P95) at the calibrated values, measured (6 of 15).
MEASURED_COVERAGE = 6 / 15
#: The same with parameter uncertainty inside the draws (10 posterior particles x 20 draws,
#: seed 12, as docs/calibration.md section 4.1), measured (9 of 15).
MEASURED_SAMPLE_COVERAGE = 9 / 15


@pytest.fixture(scope="module")
def sample(ds):
    _, posterior = wc.read_calibrated()
    return evaluate_posterior(EPISODES, ds, posterior, particles=10, draws=20, seed=12)


def test_training_coverage_does_not_regress(after, sample) -> None:
    # Measured, so an engine or data change that loses covered observations fails here.
    assert coverage(after.reset_index()) >= MEASURED_COVERAGE - 1e-9
    assert coverage(sample) >= MEASURED_SAMPLE_COVERAGE - 1e-9


def test_parameter_uncertainty_widens_the_fans(after, sample) -> None:
    # Sampling the posterior adds parameter spread to the draws' spread: summed over the
    # training observations, the P5-P95 width is larger than at the posterior P50 point.
    point = after.reset_index().set_index("key")
    pooled = sample.set_index("key")
    keys = [o.key for o in OBSERVATIONS if o.role == "training"]
    width = lambda t: float((t.loc[keys, "p95"] - t.loc[keys, "p5"]).sum())  # noqa: E731
    assert width(pooled) > width(point)


@pytest.mark.xfail(strict=True, reason="done-when of issue 12 not met: 6 of 15 training "
                   "observations (40%) overlap P5-P95 at the posterior P50 and 9 of 15 (60%) "
                   "with the posterior sampled inside the draws (effective sample size 4.3 of "
                   "120 particles); the misses need a border price wedge, exporters' "
                   "stocks, an antimony refining stage, supply planned ahead of the price and "
                   "per-commodity reservation and release prices (FIT_MISSES)")
def test_training_coverage_reaches_80_percent(after, sample) -> None:
    assert max(coverage(after.reset_index()), coverage(sample)) >= 0.8


#: Why each held-out check (never fitted) fails at the calibrated values.
HELDOUT_MISSES: dict[str, str] = {
    "magnets-2025/first-line-stops": "one release price and one demand multiplier for every "
                                     "commodity: with export quotas the bloc's magnet stock "
                                     "now runs out in 74% of draws (at the previous fit, "
                                     "never), but at 9.0 weeks (P5-P95 6.4-10.8, so the band "
                                     "overlaps) against 6-8.5 observed; with export_quota "
                                     "at 0 it runs out in 3 of 40 draws",
    "ree-2010/dy-fall-2012": "no speculative peak left to unwind: the observed Dy oxide fell "
                             "55-58% from year-end 2011 to year-end 2012 after a peak of "
                             "20-26x in August 2011 built on hoarding; the model's price peaks "
                             "when the bloc's stock runs out (month 5 of the P50 path, 3.2x) "
                             "and is back near 1.4x by month 10, so from month 17 to 29 it "
                             "holds level (ratio 1.02)",
}


@pytest.mark.parametrize("observation", [
    pytest.param(o, id=o.key, marks=[pytest.mark.xfail(strict=True,
                                                       reason=HELDOUT_MISSES[o.key])]
                 if o.key in HELDOUT_MISSES else []) for o in OBSERVATIONS
    if o.role == "heldout"])
def test_heldout_p50_in_observed_band(after, observation) -> None:
    row = after.loc[observation.key]
    assert row["share_with_value"] > 0.5 and observation.contains(row["p50"])
