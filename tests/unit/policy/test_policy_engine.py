"""Optimisers run against the engine on the small hand-made dataset of the engine tests."""

from __future__ import annotations

import numpy as np
import pytest

from paxsilica.errors import ModelError, NotFoundError
from paxsilica.policy.floors import evaluate_floor
from paxsilica.policy.investment import Project, _solve, optimise_investment
from paxsilica.policy.membership import member_values
from paxsilica.policy.stockpile import plan_vault
from tests.unit.engine.conftest import ban, mini, scenario


def _frozen(ds, scns):
    return ds.content_hash, {k: v.copy() for k, v in ds.tables.items()}, \
        [s.model_dump() for s in scns]


def _same(snapshot, ds, scns) -> None:
    hash_, tables, dumps = snapshot
    assert ds.content_hash == hash_
    for name, frame in tables.items():
        assert frame.equals(ds.tables[name]), name
    assert [s.model_dump() for s in scns] == dumps


@pytest.fixture
def threats():
    surge = {"type": "demand_surge", "commodities": ["ore"],
             "magnitude": {"dist": "uniform", "low": 0.0, "high": 1.0}}
    return [scenario([ban(severity=1.0, duration_months=12), surge], name="ban"),
            scenario(name="calm")]


def test_vault_beats_the_rules_and_reports_out_of_sample(threats) -> None:
    ds = mini()
    snap = _frozen(ds, threats)
    plan = plan_vault(ds, threats, budget_usd=2e5, candidates=["ore", "chip"], draws=64,
                      seed=5)
    _same(snap, ds, threats)
    for rule in plan.baselines.values():
        assert plan.objective_usd <= rule["objective_usd"] + 1e-6
    assert set(plan.validation) == {"in_sample", "out_of_sample", "out_of_sample_seed"}
    inside = plan.validation["in_sample"]
    assert inside["without"]["expected_usd"] == pytest.approx(
        plan.expected_shortage_cost_usd["without"])
    assert plan.expected_shortage_cost_usd["without"] > 0  # the test has something to fix
    assert inside["optimal"]["expected_usd"] < inside["without"]["expected_usd"]
    outside = plan.validation["out_of_sample"]
    assert outside["optimal"]["expected_usd"] < outside["without"]["expected_usd"]
    assert sum(r.usd for r in plan.rows) <= 2e5 * (1 + 1e-9)
    budgets = [f["budget_usd"] for f in plan.frontier]
    costs = [f["expected_shortage_cost_usd"] + 0.5 * f["cvar95_shortage_cost_usd"]
             for f in plan.frontier]
    assert budgets == sorted(budgets)
    assert all(b <= a + 1e-6 for a, b in zip(costs, costs[1:]))  # more money, less risk


def test_vault_errors_name_the_problem(threats) -> None:
    ds = mini()
    with pytest.raises(NotFoundError, match="candidates: commodity 'oar'.*'ore'"):
        plan_vault(ds, threats, candidates=["oar"], draws=8)
    with pytest.raises(ModelError, match="budget_usd must be"):
        plan_vault(ds, threats, budget_usd=-5.0, draws=8)


def test_floor_cost_matches_the_hand_calculation() -> None:
    # No shock: price stays at 100 US$/t; USA makes 100 t/yr; floor 150: 50 x 100 x 2 years.
    ds, calm = mini(), [scenario(name="calm")]
    snap = _frozen(ds, calm)
    ev = evaluate_floor(ds, calm, "ore", 150.0, eligible=["USA"], draws=8, add_stress=False)
    _same(snap, ds, calm)
    assert ev.worked_example["cost_usd"] == pytest.approx(50 * 100 * 2)
    assert ev.expected_cost_usd == pytest.approx(ev.worked_example["cost_usd"], rel=1e-6)
    assert ev.shortage_avoided == pytest.approx(0.0)


def test_floor_adds_a_suppression_stress_and_rejects_bad_input() -> None:
    ds = mini()
    ev = evaluate_floor(ds, [scenario(name="calm")], "ore", 150.0, draws=8)
    assert [r["scenario"] for r in ev.per_scenario] == ["calm", "ore-floor-stress"]
    with pytest.raises(ModelError, match="floor must be"):
        evaluate_floor(ds, [scenario(name="calm")], "ore", -1.0, draws=8)
    with pytest.raises(NotFoundError, match="eligible"):
        evaluate_floor(ds, [scenario(name="calm")], "ore", 150.0, eligible="nobloc", draws=8)


def test_membership_ranks_and_evaluates_members_as_if_absent(threats) -> None:
    ds = mini()
    snap = _frozen(ds, threats)
    values = member_values(ds, threats, candidates=["BRA", "JPN"], draws=16)
    _same(snap, ds, threats)
    assert [v.risk_reduction_usd for v in values] == sorted(
        (v.risk_reduction_usd for v in values), reverse=True)
    by = {v.iso3: v for v in values}
    assert by["JPN"].already_member and not by["BRA"].already_member
    # BRA makes ore: inside the bloc it lowers the bloc's import share from countries of concern.
    assert by["BRA"].concern_share_change < 0
    with pytest.raises(NotFoundError, match="XXX"):
        member_values(ds, threats, candidates=["XXX"], draws=4)


def test_investment_milp_by_hand() -> None:
    # One commodity worth 1 US$/unit short, two equally likely draws, 3 months; shortage
    # 12/month in draw 0 only. Project 0: 120/yr (10/month) from month 0, capex 2;
    # project 1: 240/yr from month 2, capex 1; budget 2 buys one: p0 covers 30, p1 12.
    short = np.zeros((2, 3, 1))
    short[0, :, 0] = 12.0
    projects = [Project("p0", "USA", "x", 120.0, 2.0, 0), Project("p1", "USA", "x", 240.0, 1.0, 2)]
    z, _ = _solve(short, np.array([0.5, 0.5]), np.array([1.0]), np.ones((2, 2)), projects,
                  [0, 0], 2.0, 0.0, 0.95)
    assert z.tolist() == [True, False]
    z, _ = _solve(short, np.array([0.5, 0.5]), np.array([1.0]), np.ones((2, 2)), projects,
                  [0, 0], 3.0, 0.0, 0.95)
    assert z.tolist() == [True, True]


def test_investment_on_the_engine(threats) -> None:
    ds = mini()
    projects = [Project("us-ore", "USA", "ore", 600.0, 1e6, 0),
                Project("cn-ore", "CHN", "ore", 600.0, 1e6, 0)]
    plan = optimise_investment(ds, threats, projects, budget_usd=1e6, draws=16)
    assert [p.project for p in plan.selected] == ["us-ore"]  # China's output is cut off
    assert plan.validation["with"]["expected_usd"] < plan.validation["without"]["expected_usd"]
    with pytest.raises(ModelError, match="budget_usd"):
        optimise_investment(ds, threats, projects, budget_usd=-1.0)
    with pytest.raises(NotFoundError, match="projects: commodity 'gold'"):
        optimise_investment(ds, threats, [Project("g", "USA", "gold", 1.0, 1.0, 0)],
                            budget_usd=1.0)
