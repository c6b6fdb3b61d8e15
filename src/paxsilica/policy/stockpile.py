"""The Vault optimiser: how much of each commodity the bloc should hold, and when to release.

Method (sample-average approximation, solved with HiGHS; see :mod:`paxsilica.policy.saa`):

1. run the scenario set **without** the bloc's stockpile and read each draw's cumulative
   alliance shortage per commodity (:func:`paxsilica.policy.sample.draw_shortages`);
2. choose the US$ held per candidate commodity minimising
   ``E[shortage cost] + lam x CVaR95[shortage cost] + carrying cost`` under the budget,
   where stock covers each draw's shortage up to the holdings;
3. check the plan by re-running the engine **with** it, on the fitted draws and on fresh ones
   (another seed), beside two simple rules: equal dollars per commodity, and N days (default
   60, the JOGMEC and Project Vault target) of the bloc's demand of each, scaled down to the
   budget if they cost more.

Expected costs are Monte Carlo estimates: each is reported with its standard error and the
draws behind it (:func:`~paxsilica.policy.sample.mc_estimate`), and a plan's saving against
no stockpile is the mean of per-draw differences on the same draws (the engine check re-runs
every plan on one seed: common random numbers), with the standard error of that difference.
CVaR and the objective that contains it get a bootstrap standard error (draws resampled within
each scenario, :func:`~paxsilica.policy.sample.bootstrap_se`).

The release rule that matches step 2's coverage model is "release as soon as the bloc runs
short (shortage above 0.1% of demand), as much as needed": max_release_share 1.
The LP covers each commodity's own shortage; the relief that flows downstream (magnets
saved keep vehicle lines running) shows up only in the engine check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from paxsilica.engine import simulate
from paxsilica.errors import ModelError
from paxsilica.model.dataset import Dataset
from paxsilica.model.scenario import Release, Scenario, Stockpile
from paxsilica.policy.saa import CoverageProblem, draw_losses, evaluate_holdings, solve_coverage
from paxsilica.policy.sample import (
    DAYS_PER_MONTH,
    SHORTAGE_COST_RATIO,
    ShortageSample,
    alliance_demand,
    bootstrap_se,
    check_commodities,
    draw_shortages,
    mc_estimate,
    run_alliance,
    scenario_weights,
    strip_bloc_stockpiles,
    weighted_cvar,
)

__all__ = [
    "DEFAULT_RELEASE",
    "PlanRow",
    "StockpilePlan",
    "VaultFinancing",
    "default_candidates",
    "optimise_stockpile",
    "paired_estimates",
    "plan_vault",
    "stockpile_policy",
    "validate_holdings",
]

#: Release as soon as shortage exceeds 0.1% of the month's demand (the threshold must be > 0).
DEFAULT_RELEASE = Release(trigger="shortage", threshold=1e-3)
FRONTIER_FRACTIONS = (0.0, 0.01, 0.02, 0.04, 0.1, 0.25, 0.5, 1.0, 1.5)


@dataclass(frozen=True)
class VaultFinancing:
    """Project Vault's money and what holding stock costs (rates per year).

    Attributes
    ----------
    loan_usd : float
        US Export-Import Bank loan, 10 bn US$, 15 years (model_parameters_sourced.csv id 119).
    private_usd : float
        Private money, 2 bn US$ (id 119; Bloomberg reported 1.67 bn).
    loan_rate : float
        Interest on the loan, 4.5%/yr: an **estimate** (the terms are unpublished; a 15-year
        US-government loan priced near the 10-15 year Treasury yield, about 4.3-4.6% in
        2025-26, plus a small spread).
    private_rate : float
        Return expected by the private money, 8%/yr: an **estimate** (a commodity-trading
        partner's cost of capital).
    storage_rate : float
        Warehousing and insurance, 1% of value per year: an **estimate**.
    """

    loan_usd: float = 10e9
    private_usd: float = 2e9
    loan_rate: float = 0.045
    private_rate: float = 0.08
    storage_rate: float = 0.01

    @property
    def budget_usd(self) -> float:
        return self.loan_usd + self.private_usd

    def funding(self, budget_usd: float, years: float) -> tuple[tuple[float, float], ...]:
        """Tranches (cap US$, financing cost per US$ over ``years``) adding up to
        ``budget_usd``: the loan first, then private money, any excess at the private rate."""
        loan = min(budget_usd, self.loan_usd)
        rest = max(budget_usd - loan, 0.0)
        return ((loan, self.loan_rate * years), (rest, self.private_rate * years))


@dataclass(frozen=True)
class PlanRow:
    """One commodity of a stockpile plan (``tonnes`` is in the commodity's ``unit``)."""

    commodity: str
    unit: str
    tonnes: float
    usd: float
    months_of_demand: float | None
    release_trigger: str


@dataclass(frozen=True)
class StockpilePlan:
    """The optimal plan, its objective, the simple rules and the engine check.

    ``expected_shortage_cost_usd`` has ``without`` and ``with`` (coverage model, fitted
    draws) and ``estimates`` their Monte Carlo error (:func:`paired_estimates`);
    ``baselines`` maps rule name -> dict (rows, objective, terms and estimates); ``frontier``
    has one dict per budget; ``validation`` the engine re-runs (``in_sample``,
    ``out_of_sample``); ``assumptions`` every constant used.
    """

    rows: tuple[PlanRow, ...]
    objective_usd: float
    terms: Mapping[str, float]
    expected_shortage_cost_usd: Mapping[str, float]
    baselines: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    frontier: tuple[Mapping[str, float], ...] = ()
    validation: Mapping[str, Any] = field(default_factory=dict)
    assumptions: Mapping[str, Any] = field(default_factory=dict)
    estimates: Mapping[str, float] = field(default_factory=dict)

    def holdings(self) -> dict[str, float]:
        """Commodity -> quantity held (units), positive holdings only."""
        return {r.commodity: r.tonnes for r in self.rows if r.tonnes > 0}


def paired_estimates(loss_usd: np.ndarray, without_usd: np.ndarray, probability: np.ndarray,
                     scenario: Sequence[str], *, lam: float = 0.5,
                     alpha: float = 0.95) -> dict[str, float]:
    """Monte Carlo error of a plan's expected cost and of its saving, per draw paired.

    ``loss_usd`` and ``without_usd`` are each draw's shortage cost with the plan and without
    a stockpile on the **same** draws (US$). Returns ``expected_se_usd`` (standard error of
    the plan's expected cost), ``saving_usd`` and ``saving_se_usd`` (mean of the per-draw
    saving ``without - loss`` and its standard error), ``cvar_se_usd`` and
    ``objective_se_usd`` (bootstrap standard errors of CVaR_alpha and of
    ``E + lam x CVaR``; the carrying cost is not random), ``draws`` and ``draws_changed``
    (draws in which the plan changed the cost).
    """
    cost = mc_estimate(loss_usd, probability, scenario)
    saving = mc_estimate(without_usd - loss_usd, probability, scenario)

    def cvar(v: np.ndarray, p: np.ndarray) -> float:
        return weighted_cvar(v, p, alpha)

    def objective(v: np.ndarray, p: np.ndarray) -> float:
        return float(p @ v) + lam * weighted_cvar(v, p, alpha)

    return {"expected_se_usd": cost.standard_error, "saving_usd": saving.mean,
            "saving_se_usd": saving.standard_error,
            "cvar_se_usd": bootstrap_se(cvar, loss_usd, probability, scenario),
            "objective_se_usd": bootstrap_se(objective, loss_usd, probability, scenario),
            "draws": cost.draws, "draws_changed": saving.draws_nonzero}


def default_candidates(ds: Dataset) -> list[str]:
    """Storable materials: mining and refining stages, and components sold by the tonne."""
    c = ds.commodities
    unit = c["unit"].astype(str).str.strip()
    keep = c["stage"].isin(["mining", "refining"]) | ((c["stage"] == "component")
                                                      & unit.str.fullmatch(r"t( .*)?"))
    return sorted(c.loc[keep, "id"])


def _check_inputs(budget_usd: float, lam: float, alpha: float) -> None:
    if not np.isfinite(budget_usd) or budget_usd < 0:
        raise ModelError(f"budget_usd must be a number >= 0 (US$), got {budget_usd:g}")
    if not np.isfinite(lam) or lam < 0:
        raise ModelError(f"lam (weight of CVaR) must be >= 0, got {lam:g}")
    if not 0 < alpha < 1:
        raise ModelError(f"alpha (CVaR level) must be between 0 and 1, got {alpha:g}")


def _problem(sample: ShortageSample, prices: np.ndarray, cols: np.ndarray,
             financing: VaultFinancing, budget_usd: float, years: float, lam: float,
             alpha: float) -> CoverageProblem:
    shortage_usd = sample.volume[:, cols] * prices[None, :]
    ratio = sample.value_usd[cols] / np.where(prices > 0, prices, 1.0)
    base = sample.volume[:, cols] @ sample.value_usd[cols]
    return CoverageProblem(shortage_usd, base, ratio, sample.probability,
                           financing.storage_rate * years, financing.funding(budget_usd, years),
                           lam, alpha)


def optimise_stockpile(sample: ShortageSample, prices_usd: Mapping[str, float],
                       monthly_demand: Mapping[str, float], candidates: Sequence[str], *,
                       budget_usd: float, financing: VaultFinancing = VaultFinancing(),
                       years: float = 3.0, lam: float = 0.5,
                       alpha: float = 0.95, units: Mapping[str, str] | None = None,
                       release: Release = DEFAULT_RELEASE) -> tuple[StockpilePlan,
                                                                     CoverageProblem]:
    """Solve the Vault LP on a shortage sample (no engine runs).

    Parameters
    ----------
    sample : ShortageSample
        Shortages without the stockpile; its ``value_usd`` prices a unit short.
    prices_usd, monthly_demand : mapping
        Baseline price (US$/unit) and the bloc's demand (units/month) per commodity.
    candidates : sequence of str
        Commodities the stockpile may hold; the objective counts their shortages only.
    budget_usd : float
        Money for purchases at baseline prices (US$, >= 0).
    financing : VaultFinancing
        Funding tranches and storage cost; ``years`` is how long the stock is held.
    lam, alpha : float
        Weight and level of the CVaR term.

    Returns
    -------
    (StockpilePlan, CoverageProblem)
        The plan (no baselines, frontier or validation yet) and the LP data.
    """
    _check_inputs(budget_usd, lam, alpha)
    if not candidates:
        raise ModelError("no candidate commodities to stockpile")
    cols = np.array([sample.column(c) for c in candidates], dtype=int)
    prices = np.array([float(prices_usd[c]) for c in candidates])
    problem = _problem(sample, prices, cols, financing, budget_usd, years, lam, alpha)
    solution = solve_coverage(problem)
    rows = plan_rows(candidates, solution.holdings_usd, prices, monthly_demand, units or {},
                     release)
    without = float(sample.probability @ problem.base_loss_usd)
    estimates = paired_estimates(draw_losses(problem, solution.holdings_usd),
                                 problem.base_loss_usd, sample.probability, sample.scenario,
                                 lam=lam, alpha=alpha)
    estimates["without_se_usd"] = mc_estimate(problem.base_loss_usd, sample.probability,
                                              sample.scenario).standard_error
    plan = StockpilePlan(rows, solution.objective_usd,
                         {"expected_usd": solution.expected_usd, "cvar_usd": solution.cvar_usd,
                          "carry_usd": solution.carry_usd},
                         {"without": without, "with": solution.expected_usd},
                         estimates=estimates)
    return plan, problem


def plan_rows(candidates: Sequence[str], holdings_usd: np.ndarray, prices: np.ndarray,
              monthly_demand: Mapping[str, float], units: Mapping[str, str],
              release: Release) -> tuple[PlanRow, ...]:
    """Plan rows sorted by US$ held (largest first)."""
    rule = _describe(release)
    rows = []
    for c, usd, price in zip(candidates, holdings_usd, prices, strict=True):
        tonnes = float(usd / price) if price > 0 else 0.0
        demand = float(monthly_demand.get(c, 0.0))
        months = tonnes / demand if demand > 0 else None
        rows.append(PlanRow(c, units.get(c, ""), tonnes, float(usd), months, rule))
    return tuple(sorted(rows, key=lambda r: -r.usd))


def _describe(release: Release) -> str:
    if release.trigger == "price":
        return f"price > {release.threshold:g} x baseline"
    return f"shortage > {release.threshold:.1%} of demand"


def baseline_holdings(candidates: Sequence[str], prices: np.ndarray,
                      monthly_demand: Mapping[str, float], budget_usd: float,
                      days: float) -> dict[str, np.ndarray]:
    """US$ per candidate under the simple rules: equal dollars; ``days`` of demand each
    (scaled down to the budget when it costs more)."""
    equal = np.full(len(candidates), budget_usd / len(candidates))
    units = np.array([float(monthly_demand.get(c, 0.0)) for c in candidates]) * days \
        / DAYS_PER_MONTH
    cover = units * prices
    total = float(cover.sum())
    if total > budget_usd:
        cover = cover * (budget_usd / total)
    return {"equal_dollars": equal, f"{days:g}_days_of_demand": cover}


def stockpile_policy(holdings: Mapping[str, float], holder: str,
                     release: Release = DEFAULT_RELEASE) -> Stockpile | None:
    """The engine policy holding ``holdings`` (units) released by ``release`` (None if empty)."""
    held = {c: float(q) for c, q in holdings.items() if q > 0}
    if not held:
        return None
    return Stockpile(type="stockpile", holder=holder, holdings=held, release=release,
                     max_release_share=1.0)


def validate_holdings(ds: Dataset, scenarios: Sequence[Scenario],
                      holdings: Mapping[str, Mapping[str, float]], *, draws: int, seed: int,
                      value_usd: Mapping[str, float], carry_usd: Mapping[str, float],
                      lam: float, alpha: float = 0.95,
                      weights: Mapping[str, float] | None = None,
                      release: Release = DEFAULT_RELEASE) -> dict[str, dict[str, float]]:
    """Re-run the engine with each named set of holdings (units) and score it.

    ``holdings`` maps a label (e.g. ``"without"``, ``"optimal"``) to commodity -> units. The
    shortage cost of a draw is sum over ``value_usd``'s commodities of alliance shortage x
    value; ``carry_usd`` (label -> US$, default 0) is added to the objective. Returns
    label -> expected, CVaR, carry and objective (US$) and, when ``holdings`` has a
    ``"without"`` label, the Monte Carlo error and paired saving against it
    (:func:`paired_estimates`: every label runs on the same seed).
    """
    probs = scenario_weights(scenarios, weights)
    ids = list(ds.commodities["id"])
    valued = [ids.index(c) for c in value_usd]
    values = np.array(list(value_usd.values()))
    out, draw_loss = {}, {}
    for label, held in holdings.items():
        losses, prob, names = [], [], []
        for scn, p in zip(scenarios, probs, strict=True):
            base = strip_bloc_stockpiles(scn)
            policy = stockpile_policy(held, scn.bloc, release)
            if policy is not None:
                base = base.model_copy(update={"policies": (*base.policies, policy)})
            _, volume, _, _ = run_alliance(ds, base, draws, seed, monthly=False)
            losses.append(volume[:, valued] @ values)
            prob.append(np.full(draws, p / draws))
            names += [scn.name] * draws
        loss, pr = np.concatenate(losses), np.concatenate(prob)
        draw_loss[label] = loss
        carry = float(carry_usd.get(label, 0.0))
        expected, cvar = float(pr @ loss), weighted_cvar(loss, pr, alpha)
        out[label] = {"expected_usd": expected, "cvar_usd": cvar, "carry_usd": carry,
                      "objective_usd": expected + lam * cvar + carry}
    if "without" in draw_loss:
        for label, loss in draw_loss.items():
            out[label] |= paired_estimates(loss, draw_loss["without"], pr, names, lam=lam,
                                           alpha=alpha)
    return out


def plan_vault(ds: Dataset, scenarios: Sequence[Scenario], *, budget_usd: float | None = None,
               financing: VaultFinancing = VaultFinancing(), candidates: Sequence[str] | None = None,
               draws: int = 500, seed: int = 20260202, oos_seed: int | None = None,
               weights: Mapping[str, float] | None = None, lam: float = 0.5,
               alpha: float = 0.95,
               shortage_cost_ratio: float | Mapping[str, float] = SHORTAGE_COST_RATIO,
               baseline_days: float = 60.0, frontier_budgets: Sequence[float] | None = None,
               validate: bool = True, release: Release = DEFAULT_RELEASE) -> StockpilePlan:
    """Size the Vault end to end: sample, solve, compare with the simple rules, sweep budgets,
    and check everything with the engine in and out of sample.

    Parameters
    ----------
    ds : Dataset
    scenarios : sequence of Scenario
        The threats; stockpiles their bloc already holds in a scenario are removed (they are
        what is being chosen). All must study the same bloc.
    budget_usd : float, optional
        Purchase budget (US$); default ``financing.budget_usd`` (12 bn).
    financing : VaultFinancing
        Loan, private money and carrying-cost rates.
    candidates : sequence of str, optional
        Commodities the Vault may hold (default :func:`default_candidates`).
    draws, seed : int
        Draws per scenario and root seed of the fitted sample; ``oos_seed`` (default
        ``seed + 1``) draws the out-of-sample check.
    weights : mapping, optional
        Scenario probabilities by name (default equal).
    lam, alpha : float
        Objective ``E + lam x CVaR_alpha + carry``.
    shortage_cost_ratio : float or mapping
        Cost of a unit short / its baseline price (default 10, an estimate).
    baseline_days : float
        The "N days of demand" rule (default 60: JOGMEC's target and Project Vault's buffer).
    frontier_budgets : sequence of float, optional
        Budgets for the cost-risk frontier (default 0 to 1.5 x budget, dense at the low end
        where the budget binds).
    validate : bool
        Re-run the engine with the plans (in and out of sample).

    Returns
    -------
    StockpilePlan
    """
    budget = financing.budget_usd if budget_usd is None else float(budget_usd)
    _check_inputs(budget, lam, alpha)
    if draws < 1:
        raise ModelError(f"draws must be at least 1, got {draws}")
    blocs = {s.bloc for s in scenarios}
    if len(blocs) > 1:
        raise ModelError(f"all scenarios must study one bloc; got {', '.join(sorted(blocs))}")
    candidates = list(default_candidates(ds) if candidates is None else candidates)
    check_commodities(ds, candidates, "candidates")
    table = ds.commodities.set_index("id")
    prices = {c: float(table.at[c, "price_usd"]) for c in candidates}
    units = {c: str(table.at[c, "unit"]) for c in candidates}
    demand_all = alliance_demand(ds, scenarios[0])
    ids = list(ds.commodities["id"])
    monthly = {c: float(demand_all[ids.index(c)]) for c in candidates}
    years = max(s.horizon_months for s in scenarios) / 12.0
    sample = draw_shortages(ds, scenarios, draws=draws, seed=seed, weights=weights,
                            shortage_cost_ratio=shortage_cost_ratio)
    plan, problem = optimise_stockpile(sample, prices, monthly, candidates, budget_usd=budget,
                                       financing=financing, years=years, lam=lam, alpha=alpha,
                                       units=units, release=release)
    price_arr = np.array([prices[c] for c in candidates])
    baselines = {}
    base_usd = baseline_holdings(candidates, price_arr, monthly, budget, baseline_days)
    for name, usd in base_usd.items():
        terms = evaluate_holdings(problem, usd)
        baselines[name] = {"rows": plan_rows(candidates, usd, price_arr, monthly, units,
                                             release), **terms,
                           "expected_shortage_cost_usd": terms["expected_usd"],
                           **paired_estimates(draw_losses(problem, usd), problem.base_loss_usd,
                                              sample.probability, sample.scenario, lam=lam,
                                              alpha=alpha)}
    frontier = _frontier(problem, sample.scenario, financing, years, budget, frontier_budgets)
    assumptions = {
        "scenarios": [s.name for s in scenarios],
        "weights": dict(zip([s.name for s in scenarios],
                            scenario_weights(scenarios, weights).tolist(), strict=True)),
        "draws_per_scenario": draws, "seed": seed, "bloc": scenarios[0].bloc,
        "budget_usd": budget, "lam": lam, "alpha": alpha,
        "shortage_cost_ratio": shortage_cost_ratio, "horizon_years": years,
        "financing": dict(financing.__dict__), "funding": problem.funding,
        "storage_per_usd": problem.storage,
        "release": release.model_dump(), "max_release_share": 1.0,
        "baseline_days": baseline_days, "candidates": candidates,
    }
    plan = replace(plan, baselines=baselines, frontier=frontier, assumptions=assumptions)
    if not validate:
        return plan
    held = {"without": {}, "optimal": plan.holdings()}
    held |= {name: {c: float(u / prices[c]) for c, u in zip(candidates, usd, strict=True)}
             for name, usd in base_usd.items()}
    value = {c: float(sample.value_usd[sample.column(c)]) for c in candidates}
    carry_of = {label: problem.carry_usd(sum(q * prices[c] for c, q in units_held.items()))
                for label, units_held in held.items()}
    common = dict(value_usd=value, carry_usd=carry_of, lam=lam, alpha=alpha, weights=weights,
                  release=release)
    oos = seed + 1 if oos_seed is None else oos_seed
    validation = {
        "in_sample": validate_holdings(ds, scenarios, held, draws=draws, seed=seed, **common),
        "out_of_sample": validate_holdings(ds, scenarios, held, draws=draws, seed=oos,
                                           **common),
        "out_of_sample_seed": oos,
    }
    return replace(plan, validation=validation)


def _frontier(problem: CoverageProblem, scenario: Sequence[str], financing: VaultFinancing,
              years: float, budget: float,
              budgets: Sequence[float] | None) -> tuple[dict[str, float], ...]:
    points = []
    for b in (budgets if budgets is not None else [f * budget for f in FRONTIER_FRACTIONS]):
        if b < 0:
            raise ModelError(f"frontier budgets must be >= 0 (US$), got {b:g}")
        sol = solve_coverage(replace(problem, funding=financing.funding(float(b), years)))
        points.append({"budget_usd": float(b), "spent_usd": float(sol.holdings_usd.sum()),
                       "expected_shortage_cost_usd": sol.expected_usd,
                       "cvar95_shortage_cost_usd": sol.cvar_usd, "carry_usd": sol.carry_usd,
                       "objective_usd": sol.objective_usd,
                       **paired_estimates(draw_losses(problem, sol.holdings_usd),
                                          problem.base_loss_usd, problem.probability,
                                          scenario, lam=problem.lam, alpha=problem.alpha)})
    return tuple(points)
