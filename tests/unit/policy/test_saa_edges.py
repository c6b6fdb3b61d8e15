"""The Vault LP at the edges of its numbers: tiny and huge budgets, zero losses, any money unit.

The shared small case (two commodities, three equally likely draws, shortage cost 10 x price):
draw 1 is 5 t short of a (100 US$/t), draw 2 10 t short of b (200 US$/t), draw 3 5 t of a.
Shortage value S: a 500 US$ in draws 1 and 3, b 2,000 US$ in draw 2; no stock, the loss is
(5,000 + 20,000 + 5,000) / 3 = 10,000 US$ on average and 20,000 in the worst draw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from paxsilica.errors import ModelError
from paxsilica.policy import saa
from paxsilica.policy.saa import CoverageProblem, evaluate_holdings, solve_coverage
from paxsilica.policy.sample import ShortageSample
from paxsilica.policy.stockpile import VaultFinancing, optimise_stockpile

PRICES = {"a": 100.0, "b": 200.0}
VAULT = VaultFinancing()  # 4.5%/yr loan, 8%/yr private money, 1%/yr storage


def sample(volume: list[list[float]], value: tuple[float, float] = (1000.0, 2000.0)
           ) -> ShortageSample:
    vol = np.array(volume, dtype=float)
    n = vol.shape[0]
    return ShortageSample(("a", "b"), vol, np.ones_like(vol), None, np.full(n, 1 / n),
                          ("s",) * n, np.array(value), n, 0)


SMALL = [[5.0, 0.0], [0.0, 10.0], [5.0, 0.0]]


def held(budget_usd: float, *, lam: float = 0.5, financing: VaultFinancing = VAULT,
         volume: list[list[float]] = SMALL) -> tuple[dict[str, float], float]:
    plan, _ = optimise_stockpile(sample(volume), PRICES, {}, ["a", "b"], budget_usd=budget_usd,
                                 financing=financing, years=3.0, lam=lam)
    return {r.commodity: r.tonnes for r in plan.rows}, plan.objective_usd


@pytest.mark.parametrize("budget_usd", [2.5e3, 1e6, 2e10, 1e11, 1e13, 1e16])
def test_a_budget_far_above_the_shortage_value_covers_every_draw(budget_usd: float) -> None:
    # The case: a budget 1e7 x the shortage value (2e10 US$ here) made the old LP
    # return 0 t as "optimal". By hand: 3 years of carry cost 3 x (1% + 4.5%) = 16.5% of
    # the value held (the loan covers it all), far below what a held dollar saves (a: 2/3 x
    # 10, b: 1/3 x 10 per US$), so the Vault holds every draw's shortage, 5 t of a and 10 t
    # of b, and only carries 2,500 US$: objective 0.165 x 2,500 = 412.5 US$.
    tonnes, objective = held(budget_usd)
    assert tonnes == pytest.approx({"a": 5.0, "b": 10.0}, rel=1e-9)
    assert objective == pytest.approx(412.5, rel=1e-9)


def test_a_tiny_budget_goes_where_a_dollar_saves_most() -> None:
    # With lam 0 a dollar of a saves 2/3 x 10 US$ in expectation and a dollar of b 1/3 x 10,
    # so one tenth of a cent buys 1e-5 t of a: objective 10,000 - 6.667e-3 + carry (the
    # loan's 16.5% of 1e-3 US$). The old scaling (money / 20,000 US$) sat under HiGHS's
    # tolerances here.
    tonnes, objective = held(1e-3, lam=0.0)
    assert tonnes["a"] == pytest.approx(1e-5, rel=1e-9)
    assert tonnes["b"] == 0.0
    assert objective == pytest.approx(10_000 - 1e-3 * 20 / 3 + 0.165e-3, rel=1e-12)


@pytest.mark.parametrize("volume", [[[0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0]]])
@pytest.mark.parametrize("budget_usd", [0.0, 1.0, 1e12])
def test_no_losses_means_no_stock_at_any_budget(volume: list[list[float]],
                                               budget_usd: float) -> None:
    tonnes, objective = held(budget_usd, volume=volume)
    assert tonnes == {"a": 0.0, "b": 0.0}
    assert objective == 0.0


def test_a_zero_budget_holds_nothing() -> None:
    tonnes, objective = held(0.0)
    assert tonnes == {"a": 0.0, "b": 0.0}
    assert objective == pytest.approx(10_000 + 0.5 * 20_000)


@pytest.mark.parametrize("unit", [1e-6, 1e-3, 1.0, 1e3, 1e6, 1e9])
def test_the_plan_does_not_depend_on_the_money_unit(unit: float) -> None:
    # Prices, shortage values, budget and loan all x unit: the tonnes are the same, the
    # objective x unit. 1,000 US$ (x unit) binds, so the LP must trade a off against b.
    loan = VaultFinancing(loan_usd=1000.0 * unit, private_usd=0.0)
    plan, _ = optimise_stockpile(sample(SMALL, (1000.0 * unit, 2000.0 * unit)),
                                 {c: p * unit for c, p in PRICES.items()}, {}, ["a", "b"],
                                 budget_usd=1000.0 * unit, financing=loan, years=3.0,
                                 lam=0.0)
    tonnes = {r.commodity: r.tonnes for r in plan.rows}
    # lam 0, by hand: a first (6.67 US$ saved per US$) up to its 5 t = 500 US$, then b
    # (3.33 per US$) with the other 500 US$ = 2.5 t.
    assert tonnes == pytest.approx({"a": 5.0, "b": 2.5}, rel=1e-9)
    assert plan.objective_usd == pytest.approx((5000.0 + 0.165 * 1000.0) * unit, rel=1e-9)


def test_holdings_stop_growing_once_every_shortage_is_covered() -> None:
    # Beyond the sum of each commodity's largest shortage (here about 1.3e5 US$) money buys
    # nothing: the plan at 1e8 .. 1e15 US$ equals the plan at that sum.
    rng = np.random.default_rng(7)
    volume = (rng.gamma(0.5, 40, size=(60, 2)) * (rng.random((60, 2)) < 0.4)).tolist()
    reach = float((np.array(volume) * [100.0, 200.0]).max(axis=0).sum())
    base, _ = held(reach, volume=volume)
    for budget_usd in (1e8, 1e11, 1e15):
        tonnes, _ = held(budget_usd, volume=volume)
        assert tonnes == pytest.approx(base, rel=1e-7), budget_usd


def test_a_loss_the_stock_cannot_touch_does_not_hide_what_it_can() -> None:
    # Draw losses of 1e12 US$ from commodities the Vault cannot hold sit beside 500 US$
    # shortages it can cover; lam 0: the expected part decides, so it still holds a's 5 t
    # (a dollar there saves 6.67 US$ for 0.165 of carry).
    problem = CoverageProblem(np.array([[500.0], [0.0], [500.0]]), np.array([1e12, 1e12, 5e2]),
                              np.array([10.0]), np.full(3, 1 / 3), 0.03,
                              VAULT.funding(1e9, 3.0), 0.0)
    solution = solve_coverage(problem)
    assert solution.holdings_usd == pytest.approx([500.0], rel=1e-9)


def _answer(x: np.ndarray, status: int = 0) -> object:
    class Result:
        pass

    res = Result()
    res.x, res.status, res.message, res.nit = x, status, "Optimization terminated successfully", 1
    res.fun = 0.0
    return res


def test_an_optimal_status_with_a_poor_answer_is_an_error(monkeypatch) -> None:
    # The solver says "optimal" but returns no stock (the old failure): the check after it
    # finds a better plan and refuses the answer.
    problem = CoverageProblem(np.array([[500.0, 0.0], [0.0, 2000.0], [500.0, 0.0]]),
                              np.array([5000.0, 20000.0, 5000.0]), np.array([10.0, 10.0]),
                              np.full(3, 1 / 3), 0.03, VAULT.funding(1e4, 3.0), 0.5)
    monkeypatch.setattr(saa, "linprog", lambda c, **kw: _answer(np.zeros(c.size)))
    with pytest.raises(ModelError, match="not trustworthy"):
        solve_coverage(problem)


def _consistent_answer(problem: CoverageProblem,
                       holdings_usd: np.ndarray) -> Callable[..., object]:
    """A fake solver result holding ``holdings_usd`` whose objective agrees with them, as the
    old scaled LP's did: only the check for better nearby plans can refuse it."""
    scales = saa._scales(problem)
    value = evaluate_holdings(problem, holdings_usd)["objective_usd"]

    def fake(c: np.ndarray, **kw: object) -> object:
        x = np.zeros(c.size)
        x[:scales.active.size] = holdings_usd[scales.active] / scales.x_top
        res = _answer(x)
        res.fun = (value - problem.probability @ problem.base_loss_usd) / scales.stake
        return res

    return fake


@pytest.mark.parametrize(("holdings_usd", "found"), [
    ([0.0, 0.0], "more of commodity"),  # the old failure: no stock, "optimal"
    ([0.0, 1000.0], "moving"),  # the budget all in b although a dollar of a saves twice
    ([500.0, 1000.0], "less of commodity"),  # over-holding b when carry costs more than it saves
])
def test_an_optimal_status_with_a_consistent_but_poor_answer_is_an_error(
        monkeypatch, holdings_usd: list[float], found: str) -> None:
    # lam 0; a dollar of a saves 2/3 x 10, of b 1/3 x 10 (budget 1,000 US$ binds), except in
    # the last case, where b's carry is made dearer than what it saves.
    expensive = found == "less of commodity"
    problem = CoverageProblem(np.array([[500.0, 0.0], [0.0, 2000.0], [500.0, 0.0]]),
                              np.array([5000.0, 20000.0, 5000.0]), np.array([10.0, 10.0]),
                              np.full(3, 1 / 3), 4.0 if expensive else 0.03,
                              VAULT.funding(1e4 if expensive else 1e3, 3.0), 0.0)
    held = np.array(holdings_usd)
    monkeypatch.setattr(saa, "linprog", _consistent_answer(problem, held))
    with pytest.raises(ModelError, match=f"not trustworthy: .*{found}"):
        solve_coverage(problem)


def test_an_answer_over_budget_is_an_error(monkeypatch) -> None:
    problem = CoverageProblem(np.array([[500.0, 0.0], [0.0, 2000.0]]), np.array([5e3, 2e4]),
                              np.array([10.0, 10.0]), np.full(2, 0.5), 0.03,
                              VAULT.funding(100.0, 3.0), 0.0)
    monkeypatch.setattr(saa, "linprog", lambda c, **kw: _answer(np.ones(c.size)))
    with pytest.raises(ModelError, match="budget"):
        solve_coverage(problem)


def test_a_failed_solve_is_an_error(monkeypatch) -> None:
    problem = CoverageProblem(np.array([[500.0]]), np.array([5e3]), np.array([10.0]),
                              np.ones(1), 0.03, VAULT.funding(100.0, 3.0), 0.0)
    monkeypatch.setattr(saa, "linprog", lambda c, **kw: _answer(np.zeros(c.size), status=4))
    with pytest.raises(ModelError, match="did not solve"):
        solve_coverage(problem)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("shortage_usd", np.array([[-1.0]]), "shortage_usd"),
    ("shortage_usd", np.array([[np.nan]]), "shortage_usd"),
    ("base_loss_usd", np.array([np.inf]), "base_loss_usd"),
    ("ratio", np.array([-2.0]), "ratio"),
    ("probability", np.array([0.5]), "probability"),
    ("storage", -0.1, "storage"),
    ("funding", ((100.0, -0.1),), "funding"),
    ("base_loss_usd", np.array([1.0, 2.0]), r"one value per draw \(1 draws\)"),
    ("ratio", np.array([1.0, 2.0]), r"one value per commodity \(1 commodities\)"),
])
def test_bad_problem_data_is_a_clear_error(field: str, value: object, message: str) -> None:
    problem = CoverageProblem(np.array([[500.0]]), np.array([5e3]), np.array([10.0]),
                              np.ones(1), 0.03, VAULT.funding(100.0, 3.0), 0.0)
    with pytest.raises(ModelError, match=message):
        solve_coverage(replace(problem, **{field: value}))


def test_the_objective_is_what_the_holdings_achieve() -> None:
    # The reported terms are re-evaluated from the holdings, not read from the solver.
    problem = CoverageProblem(np.array([[500.0, 0.0], [0.0, 2000.0], [500.0, 800.0]]),
                              np.array([5000.0, 20000.0, 13000.0]), np.array([10.0, 10.0]),
                              np.full(3, 1 / 3), 0.03, VAULT.funding(1200.0, 3.0), 1.0)
    solution = solve_coverage(problem)
    terms = evaluate_holdings(problem, solution.holdings_usd)
    assert solution.objective_usd == pytest.approx(terms["objective_usd"], rel=1e-12)
    assert solution.holdings_usd.sum() <= 1200.0 * (1 + 1e-9)
