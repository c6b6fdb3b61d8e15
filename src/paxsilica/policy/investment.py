"""Capacity investment: the portfolio of projects that most reduces the bloc's shortage risk
by a given month, under a capital budget (a MILP solved with HiGHS via scipy.optimize.milp).

Model (sample average over the engine's draws, run without the projects): project ``p`` adds
``m_p = capacity_p / 12`` units/month of its commodity from month ``lead_p``; a share ``a_ps``
of it reaches the bloc: 1 if its country is a member, 0 if it is in draw ``s``'s restricting
segment, otherwise the bloc's share of world demand (the pooled market). With ``z_p`` binary
and ``y_k`` the shortage covered in cell ``k = (draw s, month t, commodity c)``:

    minimise   sum_s p_s L_s + lam CVaR95(L)          L_s = L0_s - sum_k v_c y_k
    subject to y_k <= sum_{p: c_p = c, lead_p <= t} a_ps m_p z_p,  0 <= y_k <= S_k
               sum_p capex_p z_p <= budget

where ``S_k`` is the shortage and ``v_c`` the cost of a unit short. The chosen portfolio is then
re-run through the engine as ``capacity_investment`` policies and scored the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from paxsilica.errors import ModelError, NotFoundError
from paxsilica.model.dataset import Dataset
from paxsilica.model.scenario import CapacityInvestment, Scenario
from paxsilica.policy.sample import (
    SHORTAGE_COST_RATIO,
    alliance_demand,
    check_commodities,
    draw_shortages,
    run_alliance,
    scenario_weights,
    strip_bloc_stockpiles,
    weighted_cvar,
)

__all__ = ["InvestmentPlan", "Project", "optimise_investment"]

@dataclass(frozen=True)
class Project:
    """A candidate project (capacity in the commodity's unit per year, capex in US$)."""

    project: str
    country: str
    commodity: str
    capacity: float
    capex_usd: float
    lead_time_months: int
    unit_cost_usd: float | None = None


@dataclass(frozen=True)
class InvestmentPlan:
    """The chosen portfolio and its effect (US$ of shortage cost up to ``by_month``)."""

    selected: tuple[Project, ...]
    capex_usd: float
    objective_usd: float
    expected_shortage_cost_usd: Mapping[str, float]
    cvar95_shortage_cost_usd: Mapping[str, float]
    validation: Mapping[str, Any] = field(default_factory=dict)
    assumptions: Mapping[str, Any] = field(default_factory=dict)


def _check(ds: Dataset, projects: Sequence[Project], budget_usd: float) -> None:
    if not np.isfinite(budget_usd) or budget_usd < 0:
        raise ModelError(f"budget_usd must be a number >= 0 (US$), got {budget_usd:g}")
    if not projects:
        raise ModelError("no candidate projects")
    check_commodities(ds, [p.commodity for p in projects], "projects")
    known = set(ds.countries["iso3"]) | set(ds.production["iso3"])
    for p in projects:
        if p.country not in known:
            raise NotFoundError(f"projects: project '{p.project}' country '{p.country}' is not "
                                f"in the data")
        if p.capacity <= 0 or p.capex_usd < 0 or p.lead_time_months < 0:
            raise ModelError(f"projects: project '{p.project}' needs capacity > 0, "
                             f"capex_usd >= 0 and lead_time_months >= 0")


def _reach(ds: Dataset, scenarios: Sequence[Scenario], projects: Sequence[Project],
           draws: int) -> np.ndarray:
    """Share a_ps of each project's output reaching the bloc, (draw, project)."""
    ids = list(ds.commodities["id"])
    bloc_demand = alliance_demand(ds, scenarios[0])
    world = ds.latest_production().groupby("commodity")["quantity"].sum() / 12.0
    out = []
    for scn in scenarios:
        members = ds.members(scn.bloc)
        restricting = set()
        for r in scn.restricting:
            restricting |= set(ds.members(r)) if r in ds.bloc_names() else {r}
        row = []
        for p in projects:
            if p.country in members:
                row.append(1.0)
            elif p.country in restricting:
                row.append(0.0)
            else:
                w = float(world.get(p.commodity, 0.0))
                row.append(min(bloc_demand[ids.index(p.commodity)] / w, 1.0) if w > 0 else 0.0)
        out.append(np.tile(row, (draws, 1)))
    return np.concatenate(out)


def _solve(short: np.ndarray, prob: np.ndarray, value: np.ndarray, reach: np.ndarray,
           projects: Sequence[Project], cols: Sequence[int], budget: float, lam: float,
           alpha: float) -> tuple[np.ndarray, float]:
    """MILP over cells with a shortage; returns (z, objective in US$ without the constant)."""
    s_i, t_i, c_i = np.nonzero(short > 0)
    k_n, s_n, p_n = s_i.size, short.shape[0], len(projects)
    # money in units of the largest draw's loss, capex in units of the budget: O(1) numbers
    scale = max(float((short.sum(axis=1) @ value).max(initial=0.0)), 1e-300)
    v = value[c_i] / scale
    n_var = p_n + k_n + 1 + s_n  # z, y, eta, u
    cost = np.concatenate([np.zeros(p_n), -prob[s_i] * v, [lam],
                           lam * prob / (1 - alpha)])
    data, r, c = [np.ones(k_n)], [np.arange(k_n)], [p_n + np.arange(k_n)]
    for j, p in enumerate(projects):
        hit = np.flatnonzero((c_i == cols[j]) & (t_i >= p.lead_time_months))
        data.append(-reach[s_i[hit], j] * p.capacity / 12.0)
        r.append(hit)
        c.append(np.full(hit.size, j))
    cover = sparse.csr_matrix((np.concatenate(data), (np.concatenate(r), np.concatenate(c))),
                              shape=(k_n, n_var))
    base = np.zeros(s_n)
    np.add.at(base, s_i, short[s_i, t_i, c_i] * v)
    tail = sparse.csr_matrix(
        (np.concatenate([-v, -np.ones(s_n), -np.ones(s_n)]),
         (np.concatenate([s_i, np.arange(s_n), np.arange(s_n)]),
          np.concatenate([p_n + np.arange(k_n), np.full(s_n, p_n + k_n),
                          p_n + k_n + 1 + np.arange(s_n)]))), shape=(s_n, n_var))
    capex = np.zeros((1, n_var))
    capex[0, :p_n] = [p.capex_usd / max(budget, 1e-300) for p in projects]
    cons = [LinearConstraint(cover, -np.inf, 0.0), LinearConstraint(tail, -np.inf, -base),
            LinearConstraint(sparse.csr_matrix(capex), -np.inf, 1.0 if budget > 0 else 0.0)]
    lower = np.zeros(n_var)
    lower[p_n + k_n] = -np.inf
    upper = np.concatenate([np.ones(p_n), short[s_i, t_i, c_i], [np.inf], np.full(s_n, np.inf)])
    integrality = np.concatenate([np.ones(p_n), np.zeros(n_var - p_n)])
    res = milp(cost, constraints=cons, bounds=Bounds(lower, upper), integrality=integrality)
    if res.x is None:
        raise ModelError(f"the investment MILP did not solve: {res.message}")
    return np.round(res.x[:p_n]).astype(bool), float(res.fun) * scale


def _cost(volume_by_month: np.ndarray, by_month: int, cols: Sequence[int],
          value: np.ndarray) -> np.ndarray:
    return volume_by_month[:, :by_month][..., list(cols)].sum(axis=1) @ value


def optimise_investment(ds: Dataset, scenarios: Sequence[Scenario],
                        projects: Sequence[Project], *, budget_usd: float,
                        by_month: int | None = None, draws: int = 200, seed: int = 20260301,
                        weights: Mapping[str, float] | None = None, lam: float = 0.5,
                        alpha: float = 0.95,
                        shortage_cost_ratio: float | Mapping[str, float] = SHORTAGE_COST_RATIO,
                        validate: bool = True) -> InvestmentPlan:
    """Choose projects under ``budget_usd`` minimising the bloc's E + lam CVaR of shortage
    cost of the projects' commodities up to ``by_month`` (default: the longest horizon).

    Returns
    -------
    InvestmentPlan
        ``expected_shortage_cost_usd`` and ``cvar95_shortage_cost_usd`` have ``without`` and
        ``with`` (MILP model); ``validation`` the engine re-run (same draws).
    """
    _check(ds, projects, budget_usd)
    if not scenarios:
        raise ModelError("at least one scenario is needed")
    scns = [strip_bloc_stockpiles(s) for s in scenarios]
    horizon = max(s.horizon_months for s in scns)
    by_month = horizon if by_month is None else int(by_month)
    if not 1 <= by_month <= horizon:
        raise ModelError(f"by_month must be 1..{horizon} (the scenarios' horizon), got {by_month}")
    sample = draw_shortages(ds, scns, draws=draws, seed=seed, weights=weights,
                            shortage_cost_ratio=shortage_cost_ratio, monthly=True)
    commodities = sorted({p.commodity for p in projects})
    cols = [sample.column(c) for c in commodities]
    col_of = [commodities.index(p.commodity) for p in projects]
    value = sample.value_usd[cols]
    short = sample.monthly[:, :by_month][..., cols]
    reach = _reach(ds, scns, projects, draws)
    chosen, _ = _solve(short, sample.probability, value, reach, projects, col_of, budget_usd,
                       lam, alpha)
    selected = tuple(p for p, z in zip(projects, chosen, strict=True) if z)
    covered = _covered(short, reach[:, chosen], [p for p in selected],
                       [col_of[j] for j in np.flatnonzero(chosen)])
    before = short.sum(axis=1) @ value
    after = (short - covered).sum(axis=1) @ value
    pr = sample.probability
    stats = {"without": before, "with": after}
    plan = InvestmentPlan(
        selected, float(sum(p.capex_usd for p in selected)),
        float(pr @ after + lam * weighted_cvar(after, pr, alpha)),
        {k: float(pr @ x) for k, x in stats.items()},
        {k: weighted_cvar(x, pr, alpha) for k, x in stats.items()},
        assumptions={"scenarios": [s.name for s in scns], "draws_per_scenario": draws,
                     "seed": seed, "by_month": by_month, "budget_usd": budget_usd, "lam": lam,
                     "alpha": alpha, "shortage_cost_ratio": shortage_cost_ratio,
                     "commodities": commodities})
    if not validate:
        return plan
    return InvestmentPlan(**{**plan.__dict__, "validation": _validate(
        ds, scns, selected, draws, seed, weights, by_month, commodities, value, alpha)})


def _covered(short: np.ndarray, reach: np.ndarray, selected: Sequence[Project],
             cols: Sequence[int]) -> np.ndarray:
    """Shortage covered per (draw, month, commodity) by the selected projects."""
    capacity = np.zeros_like(short)
    for j, p in enumerate(selected):
        capacity[:, p.lead_time_months:, cols[j]] += reach[:, j, None] * p.capacity / 12.0
    return np.minimum(capacity, short)


def _validate(ds: Dataset, scns: Sequence[Scenario], selected: Sequence[Project], draws: int,
              seed: int, weights: Mapping[str, float] | None, by_month: int,
              commodities: Sequence[str], value: np.ndarray, alpha: float) -> dict[str, Any]:
    ids = list(ds.commodities["id"])
    cols = [ids.index(c) for c in commodities]
    policies = tuple(CapacityInvestment(type="capacity_investment", country=p.country,
                                        commodity=p.commodity, capacity=p.capacity,
                                        lead_time_months=p.lead_time_months,
                                        capex_usd=p.capex_usd, unit_cost=p.unit_cost_usd)
                     for p in selected)
    probs = scenario_weights(scns, weights)
    out = {}
    for label, extra in (("without", ()), ("with", policies)):
        losses, pr = [], []
        for scn, w in zip(scns, probs, strict=True):
            run = scn.model_copy(update={"policies": (*scn.policies, *extra)})
            _, _, _, monthly = run_alliance(ds, run, draws, seed, monthly=True)
            losses.append(_cost(monthly, by_month, cols, value))
            pr.append(np.full(draws, w / draws))
        loss, p = np.concatenate(losses), np.concatenate(pr)
        out[label] = {"expected_usd": float(p @ loss), "cvar_usd": weighted_cvar(loss, p, alpha)}
    return out
