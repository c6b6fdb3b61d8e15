"""Monte Carlo standard errors of optimiser values: by hand, and paired on common draws."""

from __future__ import annotations

import math

import numpy as np
import pytest

from paxsilica.errors import ModelError
from paxsilica.policy.membership import member_values
from paxsilica.policy.sample import ShortageSample, bootstrap_se, mc_estimate, weighted_cvar
from paxsilica.policy.stockpile import VaultFinancing, optimise_stockpile, paired_estimates
from tests.unit.engine.conftest import ban, mini, scenario


def test_stratified_standard_error_by_hand() -> None:
    # Scenario x (weight 0.25): 0, 2, 4 (mean 2, sample variance 4);
    # scenario y (weight 0.75): 10, 10, 20, 20 (mean 15, sample variance 100/3).
    values = np.array([0.0, 2.0, 4.0, 10.0, 10.0, 20.0, 20.0])
    prob = np.array([0.25 / 3] * 3 + [0.75 / 4] * 4)
    est = mc_estimate(values, prob, ["x"] * 3 + ["y"] * 4)
    assert est.mean == pytest.approx(0.25 * 2 + 0.75 * 15)
    assert est.standard_error == pytest.approx(math.sqrt(0.25**2 * 4 / 3
                                                         + 0.75**2 * (100 / 3) / 4))
    assert (est.draws, est.draws_nonzero) == (7, 6)


def test_one_scenario_is_the_textbook_standard_error() -> None:
    rng = np.random.default_rng(5)
    values = rng.normal(3.0, 2.0, 400)
    est = mc_estimate(values, np.full(400, 1 / 400), ["s"] * 400)
    assert est.standard_error == pytest.approx(values.std(ddof=1) / 20.0)


def test_one_draw_has_no_standard_error_and_bad_shapes_are_errors() -> None:
    assert math.isnan(mc_estimate(np.array([1.0]), np.ones(1), ["s"]).standard_error)
    with pytest.raises(ModelError, match="one entry per draw"):
        mc_estimate(np.ones(3), np.ones(2) / 2, ["s"] * 3)


def test_the_saving_of_a_plan_is_paired_draw_by_draw() -> None:
    # a is 5, 6 and 7 t short in three draws (1,000 US$ per t short): without a stockpile
    # the expected cost varies across draws (SE > 0), but 5 t held saves exactly 5,000 US$
    # in each draw, so the saving's standard error, of the paired difference, is 0, while
    # two independent means would give sqrt(SE_without^2 + SE_with^2) > 0.
    vol = np.array([[5.0, 0.0], [6.0, 0.0], [7.0, 0.0]])
    smp = ShortageSample(("a", "b"), vol, np.ones_like(vol), None, np.full(3, 1 / 3),
                         ("s",) * 3, np.array([1000.0, 2000.0]), 3, 0)
    plan, _ = optimise_stockpile(smp, {"a": 100.0, "b": 200.0}, {}, ["a", "b"],
                                 budget_usd=500.0, financing=VaultFinancing(), lam=0.0)
    assert plan.holdings() == pytest.approx({"a": 5.0})
    est = plan.estimates
    assert est["saving_usd"] == pytest.approx(5000.0)
    assert est["saving_se_usd"] == pytest.approx(0.0, abs=1e-9)
    # without: 5,000, 6,000, 7,000 (sd 1,000) -> SE 1000 / sqrt(3); with: 0, 1,000, 2,000
    assert est["without_se_usd"] == pytest.approx(1000.0 / math.sqrt(3))
    assert est["expected_se_usd"] == pytest.approx(1000.0 / math.sqrt(3))
    assert (est["draws"], est["draws_changed"]) == (3, 3)


def test_paired_estimates_by_hand() -> None:
    # savings 1, 3 (scenario u, weight 0.5) and 2, 2 (v, weight 0.5): mean 2,
    # SE^2 = 0.25 x 2 / 2 + 0.25 x 0 / 2 = 0.25.
    without = np.array([10.0, 10.0, 5.0, 5.0])
    loss = without - np.array([1.0, 3.0, 2.0, 2.0])
    out = paired_estimates(loss, without, np.full(4, 0.25), ["u", "u", "v", "v"])
    assert out["saving_usd"] == pytest.approx(2.0)
    assert out["saving_se_usd"] == pytest.approx(0.5)
    assert out["draws"] == 4 and out["draws_changed"] == 4


def test_member_values_carry_their_monte_carlo_error() -> None:
    ds = mini()
    calm = [scenario(name="calm")]
    for v in member_values(ds, calm, candidates=["BRA"], draws=6):
        # common random numbers: a candidate that changes nothing is exactly 0 +- 0
        assert (v.risk_reduction_usd, v.standard_error_usd) == (0.0, 0.0)
        assert (v.estimate.draws, v.estimate.draws_nonzero) == (6, 0)
    threats = [scenario([ban(severity=1.0, duration_months=12)], name="ban"), *calm]
    [jpn] = member_values(ds, threats, candidates=["JPN"], draws=8, top=5)
    assert jpn.estimate.draws == 16
    assert jpn.estimate.mean == jpn.risk_reduction_usd
    assert jpn.risk_reduction_usd == pytest.approx(sum(x for _, x in jpn.top_commodities))
    assert len(jpn.top_commodities_se_usd) == len(jpn.top_commodities)
    assert all(se >= 0 for se in jpn.top_commodities_se_usd)


def test_the_standard_error_matches_the_spread_over_independent_seeds() -> None:
    # The standard error claims how far one seed's estimate strays: over 30 independent
    # seeds the estimates' spread must agree with it (root-mean-square SE, since the SE of
    # a skewed, partly zero sample is itself noisy). Ratio 1.12 measured; a formula without
    # the 1/sqrt(draws) (4x) or with weights not squared lands outside [2/3, 3/2].
    ds = mini()
    threat = [scenario([ban(severity={"dist": "uniform", "low": 0.3, "high": 1.0},
                            probability=0.5, duration_months=12)], name="ban")]
    values, errors = [], []
    for seed in range(30):
        [bra] = member_values(ds, threat, candidates=["BRA"], draws=16, seed=seed)
        values.append(bra.risk_reduction_usd)
        errors.append(bra.standard_error_usd)
    spread = float(np.std(values, ddof=1))
    rms_error = float(np.sqrt(np.mean(np.square(errors))))
    assert spread > 0
    assert 2 / 3 < rms_error / spread < 3 / 2


def test_bootstrap_standard_error_of_cvar_matches_the_spread_over_samples() -> None:
    # CVaR95 of 400 lognormal draws: its spread over 60 independent samples against the
    # root-mean-square bootstrap SE (stratified over two scenarios of 200 draws each):
    # ratio 0.94 measured.
    rng = np.random.default_rng(11)
    prob = np.full(400, 1 / 400)
    labels = ["u"] * 200 + ["v"] * 200
    cvars, errors = [], []
    for _ in range(60):
        loss = rng.lognormal(0.0, 1.0, 400)
        cvars.append(weighted_cvar(loss, prob, 0.95))
        errors.append(bootstrap_se(lambda v, p: weighted_cvar(v, p, 0.95), loss, prob, labels,
                                   rng=rng))
    ratio = float(np.sqrt(np.mean(np.square(errors))) / np.std(cvars, ddof=1))
    assert 0.75 < ratio < 1.33


def test_bootstrap_of_a_mean_agrees_with_the_formula() -> None:
    rng = np.random.default_rng(2)
    values = rng.gamma(0.5, 10.0, 300)
    prob = np.array([0.2 / 100] * 100 + [0.8 / 200] * 200)
    labels = ["x"] * 100 + ["y"] * 200
    formula = mc_estimate(values, prob, labels).standard_error  # 0.479; bootstrap 0.487
    boot = bootstrap_se(lambda v, p: float(p @ v), values, prob, labels, reps=2000, rng=3)
    assert boot == pytest.approx(formula, rel=0.1)
    assert math.isnan(bootstrap_se(lambda v, p: 0.0, values[:3], prob[:3], ["x", "y", "y"]))
