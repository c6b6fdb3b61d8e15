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
                "every commodity, so China's spot quote sits at the fitted 0.95 for both "
                "where gallium fell 9% and antimony 10.5-11.5% (disjoint bands; "
                "docs/calibration.md gap 2)")
_SHORT_PEAK = ("a border price wedge (export duties, licence premia) and hoarding that "
               "outlasts the first stock-out: the quota cut lifts Dy's outside price to a P50 "
               "peak of 6.7x (P95 7.7x) when the bloc's stock runs out, where the spot quotes "
               "of 2010-11 went 20-26x")
_GALLIUM_RISE = ("one contract share for every commodity (no data on each market's share of "
                 "contract volume): at the posterior P50 (0.30, P5-P95 0.14-0.54) the bloc's "
                 "gallium spot rises 1.33x, 1.41x and 1.69x in August, October and December "
                 "2023 against 1.51-1.60, 1.79-1.90 and 1.89-2.4; at 0.52 it reaches 1.49x, "
                 "1.56x and 1.97x, and neon's spike 9.0x (60 draws; docs/calibration.md "
                 "4.2)")
#: Fitted observations whose P50 stays outside the band at the calibrated values, and why.
FIT_MISSES: dict[str, str] = {
    "antimony-2024/china-price-nov": _CHINA_PRICE,
    "gallium-2023/china-aug": _CHINA_PRICE,
    "gallium-2023/rotterdam-aug": _GALLIUM_RISE,
    "gallium-2023/rotterdam-oct": _GALLIUM_RISE,
    "gallium-2023/rotterdam-dec": _GALLIUM_RISE,
    "neon-2022/china-spike": "one contract share for every commodity: at the posterior P50 "
                             "(0.30) neon's spike is 6.5x against 8-9x; at 0.52 it is 9.0x "
                             "(60 draws; docs/calibration.md 4.2)",
    "germanium-2023/july-surge": "exporters' own stocks per commodity: China's exporters "
                                 "shipped from stock ahead of the licence regime; "
                                 "front-running moves only the region's monthly output "
                                 "(1.27x, band at least 2x). The engine's ship_stock_ahead "
                                 "(one share for every commodity) is not in the shipped fit: "
                                 "pushed out whatever buyers wanted it reached 2.06x but sold "
                                 "China's gallium stock abroad too, where gallium's piled up "
                                 "at home; limited to what buyers take into cover, 1.45x "
                                 "(docs/calibration.md 4.2)",
    "antimony-2024/force-majeure": "an antimony refining stage (docs/calibration.md gap 5): "
                                   "with only the mine stage the bloc's stock lasts 18-22 "
                                   "weeks (P50 18.7), not 7.5-8.5",
    "ree-2010/dy-peak": _SHORT_PEAK,
    "ree-adjustment/outside-supply-ramp": "supply that ramps on the price signal alone: the "
                                          "engine's ramp follows the expected price, which "
                                          "falls back once stocks and demand cuts clear the "
                                          "market, so outside supply gains 3.3 points of the "
                                          "market in the first year (P5-P95 2.9-3.6), not "
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


#: Training coverage (band overlaps P5-P95) at the calibrated values, measured (5 of 15).
MEASURED_COVERAGE = 5 / 15
#: The same with parameter uncertainty inside the draws: every posterior particle x 20 draws,
#: as docs/calibration.md section 4.3, measured (12 of 15).
MEASURED_SAMPLE_COVERAGE = 12 / 15
#: Seeds of the posterior subsamples (40 particles drawn by weight x 20 draws each).
SUBSAMPLE_SEEDS = (0, 1, 2, 12)


@pytest.fixture(scope="module")
def sample(ds):
    _, posterior = wc.read_calibrated()
    return evaluate_posterior(EPISODES, ds, posterior, particles=None, draws=20)


def test_training_coverage_reaches_80_percent(sample) -> None:
    # The done-when of issue 12, on the posterior predictive: every particle, 20 draws each.
    training = sample[sample["role"] == "training"]
    assert len(training) == 15
    assert coverage(sample) >= 0.8 - 1e-9, training.loc[~training["covered"], "key"].tolist()


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


@pytest.mark.xfail(strict=True, reason="a Monte Carlo run that draws 40 particles from the "
                   "posterior covers 11 or 12 of 15 training observations depending on which "
                   "it drew (seeds 0, 1, 2, 12): neon's China spike is covered only by the "
                   "posterior's upper tail (whole-posterior P95 8.2x against 8-9x); a robust "
                   "margin needs the mechanisms of FIT_MISSES (exporters' stocks per "
                   "commodity, an antimony refining stage, a border price wedge with hoarding "
                   "that outlasts the first stock-out)")
def test_training_coverage_reaches_80_percent_in_every_subsample(ds) -> None:
    _, posterior = wc.read_calibrated()
    for seed in SUBSAMPLE_SEEDS:
        table = evaluate_posterior(EPISODES, ds, posterior, particles=40, draws=20, seed=seed)
        assert coverage(table) >= 0.8 - 1e-9, seed


#: Why each held-out check (never fitted) fails at the calibrated values.
HELDOUT_MISSES: dict[str, str] = {
    "ree-2010/dy-fall-2012": "the peak it unwinds is the model's, not 2011's: without a border "
                             "price wedge and hoarding that outlasts the first stock-out the "
                             "Dy price peaks at 6.7x, not 20-26x, and falls 69% from month 17 "
                             "to month 29 (P50 ratio 0.31; P5-P95 0.17-2.36, so the band "
                             "overlaps) where the observed oxide fell 55-58%",
}


@pytest.mark.parametrize("observation", [
    pytest.param(o, id=o.key, marks=[pytest.mark.xfail(strict=True,
                                                       reason=HELDOUT_MISSES[o.key])]
                 if o.key in HELDOUT_MISSES else []) for o in OBSERVATIONS
    if o.role == "heldout"])
def test_heldout_p50_in_observed_band(after, observation) -> None:
    row = after.loc[observation.key]
    assert row["share_with_value"] > 0.5 and observation.contains(row["p50"])
