"""The Vault LP on hand-made samples (two commodities, three draws) and its guarantees."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from paxsilica.errors import ModelError
from paxsilica.policy.saa import CoverageProblem, evaluate_holdings
from paxsilica.policy.sample import ShortageSample, weighted_cvar
from paxsilica.policy.stockpile import VaultFinancing, baseline_holdings, optimise_stockpile

FREE = VaultFinancing(loan_rate=0.0, private_rate=0.0, storage_rate=0.0)
PRICES = {"a": 100.0, "b": 200.0}


def sample(volume: list[list[float]]) -> ShortageSample:
    vol = np.array(volume, dtype=float)
    n = vol.shape[0]
    return ShortageSample(("a", "b"), vol, np.ones_like(vol), None, np.full(n, 1 / n),
                          ("s",) * n, np.array([1000.0, 2000.0]), n, 0)


def test_two_commodities_three_draws_by_hand() -> None:
    # Shortages: draw 1 a=5, draw 2 b=10, draw 3 a=5. A dollar in a covers 2 draws in 3, a
    # dollar in b 1 in 3 (both at 10 x price), so 1,000 US$ buys a to its 5 t (500 US$),
    # then 2.5 t of b. Without: (5,000 + 20,000 + 5,000) / 3 = 10,000; with: b's draw keeps
    # 7.5 t short x 2,000 = 15,000, / 3 = 5,000.
    plan, _ = optimise_stockpile(sample([[5, 0], [0, 10], [5, 0]]), PRICES, {}, ["a", "b"],
                                 budget_usd=1000.0, financing=FREE, lam=0.0)
    held = {r.commodity: r.tonnes for r in plan.rows}
    assert held["a"] == pytest.approx(5.0)
    assert held["b"] == pytest.approx(2.5)
    assert plan.expected_shortage_cost_usd["without"] == pytest.approx(10_000.0)
    assert plan.expected_shortage_cost_usd["with"] == pytest.approx(5_000.0)


def test_lp_matches_a_brute_force_search_with_cvar_and_carry() -> None:
    smp = sample([[5, 0], [0, 10], [5, 8]])
    money = VaultFinancing(loan_usd=600.0, private_usd=400.0, loan_rate=0.1,
                           private_rate=0.5, storage_rate=0.05)
    plan, problem = optimise_stockpile(smp, PRICES, {}, ["a", "b"], budget_usd=1000.0,
                                       financing=money, years=1.0, lam=1.0)
    grid = np.linspace(0, 1000, 201)
    best = min(evaluate_holdings(problem, np.array([x, y]))["objective_usd"]
               for x, y in itertools.product(grid, grid) if x + y <= 1000 + 1e-9)
    assert plan.objective_usd <= best + 1e-6
    assert plan.objective_usd == pytest.approx(best, rel=1e-3)


def test_never_worse_than_the_simple_rules_on_fitted_draws() -> None:
    rng = np.random.default_rng(3)
    smp = sample((rng.gamma(0.3, 20, size=(40, 2)) * (rng.random((40, 2)) < 0.3)).tolist())
    demand = {"a": 1.0, "b": 30.0}
    plan, problem = optimise_stockpile(smp, PRICES, demand, ["a", "b"], budget_usd=3000.0,
                                       financing=VaultFinancing(), lam=0.5)
    rules = baseline_holdings(["a", "b"], np.array([100.0, 200.0]), demand, 3000.0, 60.0)
    assert set(rules) == {"equal_dollars", "60_days_of_demand"}
    for usd in rules.values():
        assert usd.sum() <= 3000.0 + 1e-6
        assert plan.objective_usd <= evaluate_holdings(problem, usd)["objective_usd"] + 1e-6


def test_sixty_days_rule_by_hand() -> None:
    # 1 t/month of a at 100 US$: 60 days = 60 / 30.4375 months = 1.971 t = 197.1 US$.
    rules = baseline_holdings(["a"], np.array([100.0]), {"a": 1.0}, 1e6, 60.0)
    assert rules["60_days_of_demand"][0] == pytest.approx(100 * 60 / (365.25 / 12))
    scaled = baseline_holdings(["a"], np.array([100.0]), {"a": 1.0}, 100.0, 60.0)
    assert scaled["60_days_of_demand"][0] == pytest.approx(100.0)


def test_weighted_cvar_by_hand() -> None:
    loss, p = np.array([1.0, 2.0, 3.0, 4.0]), np.full(4, 0.25)
    assert weighted_cvar(loss, p, 0.5) == pytest.approx(3.5)
    assert weighted_cvar(loss, p, 0.95) == pytest.approx(4.0)
    assert weighted_cvar(loss, p, 0.6) == pytest.approx((0.25 * 4 + 0.15 * 3) / 0.4)


def test_financing_draws_the_loan_first() -> None:
    problem = CoverageProblem(np.zeros((1, 1)), np.zeros(1), np.ones(1), np.ones(1), 0.01,
                              VaultFinancing().funding(12e9, 2.0), 0.0)
    # 10 bn at 4.5%/yr and 2 bn at 8%/yr for 2 years, plus 1%/yr storage on 12 bn.
    assert problem.carry_usd(12e9) == pytest.approx(10e9 * 0.09 + 2e9 * 0.16 + 12e9 * 0.01)
    assert problem.carry_usd(5e9) == pytest.approx(5e9 * 0.09 + 5e9 * 0.01)


@pytest.mark.parametrize("kwargs", [{"budget_usd": -1.0}, {"budget_usd": 1.0, "lam": -1.0},
                                    {"budget_usd": 1.0, "alpha": 1.0}])
def test_infeasible_inputs_are_clear_errors(kwargs: dict) -> None:
    with pytest.raises(ModelError, match="budget_usd|lam|alpha"):
        optimise_stockpile(sample([[1, 1]]), PRICES, {}, ["a", "b"], **kwargs)


def test_inputs_are_not_mutated() -> None:
    smp = sample([[5, 0], [0, 10], [5, 0]])
    before = (smp.volume.copy(), smp.probability.copy(), smp.value_usd.copy())
    prices = dict(PRICES)
    optimise_stockpile(smp, prices, {}, ["a", "b"], budget_usd=1000.0, financing=FREE)
    assert all(np.array_equal(x, y) for x, y in zip(before, (smp.volume, smp.probability,
                                                            smp.value_usd), strict=True))
    assert prices == PRICES
