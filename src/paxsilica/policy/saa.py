"""The stockpile's sample-average-approximation LP, solved with HiGHS (scipy.optimize.linprog).

Variables, in US$ at baseline prices: ``X_c`` the value held of commodity ``c``; ``Y_k`` the
value of stock released against the shortage of pair ``k = (draw s, commodity c)`` (only pairs
with a shortage get one); ``eta`` (the VaR of the Rockafellar-Uryasev linearisation),
``u_s >= 0`` (loss above ``eta``) and ``F_j`` the money drawn from funding tranche ``j`` (e.g.
the EXIM loan, then private money).

With ``r_c`` the shortage cost ratio (cost of a unit short / its price), ``S_k`` the shortage
value (volume x price), ``L0_s`` draw s's shortage cost without the stockpile and ``p_s`` its
probability, the loss of draw s is ``L_s = L0_s - sum_k r_c Y_k`` and the LP is

    minimise   sum_s p_s L_s + lam (eta + sum_s p_s u_s / (1 - alpha))
               + storage sum_c X_c + sum_j rate_j F_j
    subject to Y_k <= X_c                  (stock covers shortage only up to holdings)
               0 <= Y_k <= S_k             (and only the shortage there is)
               u_s >= L_s - eta, u_s >= 0
               sum_c X_c <= sum_j F_j,  0 <= F_j <= cap_j   (the budget is sum_j cap_j)
               X_c >= 0

Holding stock through the horizon costs ``storage`` per US$ plus the financing rate of the
tranche that paid for it (``rate_j`` per US$ over the horizon); the stock itself keeps its
value, so the purchase is not a cost. The LP draws the cheapest tranche first.

**Scaling.** Money spans many orders of magnitude (a 12 bn US$ budget against shortages worth
a few thousand): dividing everything by one scale pushed the small bounds under HiGHS's
absolute tolerances (1e-7) and the solver answered "optimal" with no stock. So each variable
is divided by its own largest useful value, which puts every bound at 1:

* ``X_c <= min(max_s S_sc, spend)``: stock above the largest shortage of ``c`` covers nothing,
  and ``spend = min(budget, sum_c max_s S_sc)`` is the most money that can buy cover (tranches
  are cut to it, cheapest first; the optimum is unchanged since holding more only costs);
* ``Y_k <= min(S_k, X_c's bound)``; ``eta`` and ``u_s`` by the largest loss; ``F_j`` by its
  cut cap;

each row is divided by the scale of its terms (Y <= X by X's bound, loss rows by the loss,
the budget row by ``spend``), and the objective by the most the stock
can save (``stake``). With ``lam = 0`` the CVaR rows and variables are left out.

**Checks after the solve** (the solver's status is not enough): the holdings are re-valued
with :func:`evaluate_holdings`; they must be non-negative and within the budget, the solver's
objective must match their value, and no nearby plan (a little more or less of one commodity,
or money moved from one to another) may be better by more than a tolerance. Any failure
raises :class:`~paxsilica.errors.ModelError`: the answer is not trustworthy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from paxsilica.errors import ModelError
from paxsilica.policy.sample import weighted_cvar

__all__ = ["CoverageProblem", "LPSolution", "check_problem", "draw_losses",
           "evaluate_holdings", "solve_coverage"]

#: HiGHS feasibility and optimality tolerances on the scaled LP (its defaults are 1e-7).
SOLVER_TOLERANCE = 1e-9
#: An answer is refused when a nearby plan beats it by more than this share of the stake.
CHECK_TOLERANCE = 1e-6
#: Steps of the nearby plans tried after the solve, as shares of each variable's bound.
PROBE_STEPS = (1e-6, 1e-2, 1.0)

@dataclass(frozen=True)
class CoverageProblem:
    """The data of the LP (see the module docstring); money in US$.

    ``shortage_usd`` (draw, commodity): shortage volume x baseline price; ``base_loss_usd``
    (draw,): shortage cost of every valued commodity without the stockpile (may include
    commodities the stockpile cannot hold); ``ratio`` (commodity,): cost per US$ short.
    """

    shortage_usd: np.ndarray
    base_loss_usd: np.ndarray
    ratio: np.ndarray
    probability: np.ndarray
    storage: float
    funding: tuple[tuple[float, float], ...]  # (cap US$, cost per US$ over the horizon)
    lam: float
    alpha: float = 0.95

    @property
    def budget_usd(self) -> float:
        return float(sum(cap for cap, _ in self.funding))

    def carry_usd(self, spend_usd: float) -> float:
        """Storage plus financing of ``spend_usd``, cheapest tranche first (US$)."""
        cost, left = self.storage * spend_usd, spend_usd
        for cap, rate in sorted(self.funding, key=lambda t: t[1]):
            take = min(cap, left)
            cost, left = cost + take * rate, left - take
        return cost


@dataclass(frozen=True)
class LPSolution:
    """Optimal holdings (US$ per commodity), objective terms (US$) and the solver's report."""

    holdings_usd: np.ndarray
    objective_usd: float
    expected_usd: float
    cvar_usd: float
    carry_usd: float
    status: str
    iterations: int


def draw_losses(problem: CoverageProblem, holdings_usd: np.ndarray) -> np.ndarray:
    """Each draw's shortage cost with ``holdings_usd`` (US$ per commodity) under the coverage
    model: ``L0_s - sum_c r_c min(X_c, S_sc)`` (US$, one per draw)."""
    covered = np.minimum(problem.shortage_usd, holdings_usd[None, :]) @ problem.ratio
    return problem.base_loss_usd - covered


def evaluate_holdings(problem: CoverageProblem, holdings_usd: np.ndarray) -> dict[str, float]:
    """Objective terms of given holdings under the coverage model (US$).

    Each draw's loss is :func:`draw_losses`; CVaR is
    :func:`~paxsilica.policy.sample.weighted_cvar`, the LP's own definition.
    """
    loss = draw_losses(problem, holdings_usd)
    expected = float(problem.probability @ loss)
    cvar = weighted_cvar(loss, problem.probability, problem.alpha)
    carry = problem.carry_usd(float(holdings_usd.sum()))
    return {"objective_usd": expected + problem.lam * cvar + carry, "expected_usd": expected,
            "cvar_usd": cvar, "carry_usd": carry}


def check_problem(problem: CoverageProblem) -> None:
    """Raise ModelError naming the field when the LP data are not usable."""
    short = np.asarray(problem.shortage_usd, dtype=float)
    if short.ndim != 2:
        raise ModelError("shortage_usd must be a (draw, commodity) table of US$")
    s_n, c_n = short.shape
    for name, arr, size in (("base_loss_usd", problem.base_loss_usd, s_n),
                            ("probability", problem.probability, s_n),
                            ("ratio", problem.ratio, c_n)):
        if np.shape(arr) != (size,):
            one, many = ("draw", "draws") if name != "ratio" else ("commodity", "commodities")
            raise ModelError(f"{name} has shape {np.shape(arr)}; expected one value per "
                             f"{one} ({size} {many})")
    for name, arr in (("shortage_usd", short), ("ratio", problem.ratio),
                      ("probability", problem.probability)):
        if not (np.isfinite(arr).all() and (np.asarray(arr) >= 0).all()):
            raise ModelError(f"{name} must be finite and >= 0")
    if not np.isfinite(problem.base_loss_usd).all():
        raise ModelError("base_loss_usd must be finite (US$ per draw)")
    if abs(float(np.sum(problem.probability)) - 1.0) > 1e-9:
        raise ModelError(f"probability must sum to 1, got {float(np.sum(problem.probability)):g}")
    if not (np.isfinite(problem.storage) and problem.storage >= 0):
        raise ModelError(f"storage must be a cost >= 0 per US$ held, got {problem.storage:g}")
    for cap, rate in problem.funding:
        if not (np.isfinite(cap) and cap >= 0 and np.isfinite(rate) and rate >= 0):
            raise ModelError(f"funding tranche ({cap:g} US$, {rate:g} per US$) needs a cap "
                             "and a cost that are finite and >= 0")
    if not (np.isfinite(problem.lam) and problem.lam >= 0) or not 0 < problem.alpha < 1:
        raise ModelError(f"lam must be >= 0 and alpha in (0, 1); got {problem.lam:g}, "
                         f"{problem.alpha:g}")


@dataclass(frozen=True)
class _Scales:
    """What each scaled LP variable is multiplied by to give US$ (see the module docstring).

    ``active``: commodities with something to cover; ``rows``/``cols``: draw and position in
    ``active`` of each pair ``k``; ``stake``: the most the stock can save (US$).
    """

    active: np.ndarray
    x_top: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    y_top: np.ndarray
    caps: np.ndarray
    rates: np.ndarray
    spend: float
    loss: float
    stake: float


def _cut_tranches(funding: tuple[tuple[float, float], ...],
                  spend: float) -> tuple[np.ndarray, np.ndarray]:
    """Tranche caps cut to ``spend`` (US$), cheapest first, and their rates."""
    caps, rates, left = [], [], spend
    for cap, rate in sorted(funding, key=lambda t: t[1]):
        take = min(cap, left)
        if take > 0:
            caps.append(take)
            rates.append(rate)
        left -= take
    return np.array(caps, dtype=float), np.array(rates, dtype=float)


def _scales(problem: CoverageProblem) -> _Scales | None:
    """Each variable's largest useful value (US$); None when no stock can help."""
    short, ratio = problem.shortage_usd, problem.ratio
    reach = short.max(axis=0, initial=0.0)
    useful = (reach > 0) & (ratio > 0)
    spend = min(problem.budget_usd, float(reach[useful].sum()))
    if spend <= 0:
        return None
    active = np.flatnonzero(useful)
    x_top = np.minimum(reach[active], spend)
    rows, cols = np.nonzero(short[:, active] > 0)
    y_top = np.minimum(short[:, active][rows, cols], x_top[cols])
    value = ratio[active][cols] * y_top
    covered = np.bincount(rows, weights=value, minlength=short.shape[0])
    stake = float(problem.probability[rows] @ value + problem.lam * covered.max())
    if stake <= 0:
        return None
    caps, rates = _cut_tranches(problem.funding, spend)
    loss = max(float(np.abs(problem.base_loss_usd).max()), float(covered.max()))
    return _Scales(active, x_top, rows, cols, y_top, caps, rates, spend, loss, stake)


def _scaled_lp(problem: CoverageProblem, sc: _Scales) -> dict[str, object]:
    """linprog's arguments for the LP with every variable over its own bound.

    Variables: X (active), Y (pairs), then, when ``lam > 0``, eta and u (draws), then F.
    """
    p, lam, tail = problem.probability, problem.lam, 1.0 - problem.alpha
    a_n, k_n, f_n, s_n = sc.active.size, sc.rows.size, sc.caps.size, p.size
    t_n = 1 + s_n if lam > 0 else 0
    n_var = a_n + k_n + t_n + f_n
    value = problem.ratio[sc.active][sc.cols] * sc.y_top  # US$ of loss per unit of Y
    cost = [np.full(a_n, problem.storage) * sc.x_top, -p[sc.rows] * value]
    if lam > 0:
        cost += [[lam * sc.loss], lam * p * sc.loss / tail]
    cost.append(sc.rates * sc.caps)
    k_idx, y0, f0 = np.arange(k_n), a_n, a_n + k_n + t_n
    # Y_k <= X_c, over X_c's bound: (y_top / x_top) Y~ - X~ <= 0
    blocks = [sparse.csr_matrix(
        (np.concatenate([sc.y_top / sc.x_top[sc.cols], -np.ones(k_n)]),
         (np.concatenate([k_idx, k_idx]), np.concatenate([y0 + k_idx, sc.cols]))),
        shape=(k_n, n_var))]
    rhs = [np.zeros(k_n)]
    if lam > 0:  # -sum_k r Y_k - eta - u_s <= -L0_s, over the loss scale
        e0 = a_n + k_n
        blocks.append(sparse.csr_matrix(
            (np.concatenate([-value / sc.loss, -np.ones(s_n), -np.ones(s_n)]),
             (np.concatenate([sc.rows, np.arange(s_n), np.arange(s_n)]),
              np.concatenate([y0 + k_idx, np.full(s_n, e0), e0 + 1 + np.arange(s_n)]))),
            shape=(s_n, n_var)))
        rhs.append(-problem.base_loss_usd / sc.loss)
    # sum_c X_c <= sum_j F_j, over the money that can buy cover
    blocks.append(sparse.csr_matrix(
        (np.concatenate([sc.x_top, -sc.caps]) / sc.spend,
         (np.zeros(a_n + f_n, int), np.concatenate([np.arange(a_n), f0 + np.arange(f_n)]))),
        shape=(1, n_var)))
    rhs.append(np.zeros(1))
    upper = np.ones(n_var)
    lower = np.zeros(n_var)
    if lam > 0:
        upper[a_n + k_n:f0] = np.inf
        lower[a_n + k_n] = -np.inf  # eta is free
    return {"c": np.concatenate(cost) / sc.stake,
            "A_ub": sparse.vstack(blocks, format="csr"), "b_ub": np.concatenate(rhs),
            "bounds": np.column_stack([lower, upper])}


def solve_coverage(problem: CoverageProblem) -> LPSolution:
    """Solve the stockpile LP with HiGHS and check the answer.

    Raises
    ------
    ModelError
        Bad problem data (:func:`check_problem`), a solver failure, or an answer that fails
        the checks in the module docstring (not trustworthy).
    """
    check_problem(problem)
    sc = _scales(problem)
    if sc is None:  # no budget, or nothing the stock could cover: hold nothing
        return _solution(problem, np.zeros(problem.ratio.size), "no stock can lower the loss",
                         0)
    res = linprog(method="highs", options={"primal_feasibility_tolerance": SOLVER_TOLERANCE,
                                           "dual_feasibility_tolerance": SOLVER_TOLERANCE},
                  **_scaled_lp(problem, sc))
    if res.status != 0:
        raise ModelError(f"the stockpile LP did not solve: {res.message}")
    holdings = np.zeros(problem.ratio.size)
    holdings[sc.active] = res.x[:sc.active.size] * sc.x_top
    claimed = float(res.fun) * sc.stake + float(problem.probability @ problem.base_loss_usd)
    holdings = _checked(problem, sc, holdings, claimed)
    return _solution(problem, holdings, str(res.message), int(getattr(res, "nit", 0)))


def _solution(problem: CoverageProblem, holdings: np.ndarray, status: str,
              iterations: int) -> LPSolution:
    terms = evaluate_holdings(problem, holdings)
    return LPSolution(holdings, terms["objective_usd"], terms["expected_usd"], terms["cvar_usd"],
                      terms["carry_usd"], status, iterations)


def _checked(problem: CoverageProblem, sc: _Scales, holdings: np.ndarray,
             claimed_usd: float) -> np.ndarray:
    """The solver's holdings after the checks of the module docstring (tiny excursions
    outside the bounds trimmed); raise ModelError when one fails."""
    slack = SOLVER_TOLERANCE * 100
    if (holdings < -slack * np.maximum(holdings.max(initial=0.0), 1.0)).any():
        raise ModelError("the stockpile LP's answer is not trustworthy: negative holdings")
    holdings = np.maximum(holdings, 0.0)
    total = float(holdings.sum())
    if total > sc.spend * (1 + slack):
        raise ModelError(f"the stockpile LP's answer is not trustworthy: it spends "
                         f"{total:.6g} US$, over the budget of {problem.budget_usd:.6g} US$")
    if total > sc.spend:
        holdings = holdings * (sc.spend / total)
    value = evaluate_holdings(problem, holdings)["objective_usd"]
    # the stake sets what matters; 1e-12 x the value is rounding in re-valuing the plan
    tol = CHECK_TOLERANCE * (sc.stake + problem.carry_usd(sc.spend)) + 1e-12 * abs(value)
    # the solver's objective carries its feasibility tolerance on each loss row
    claim_tol = tol + 10 * SOLVER_TOLERANCE * (1 + problem.lam / (1 - problem.alpha)) * sc.loss
    if abs(claimed_usd - value) > claim_tol:
        raise ModelError(f"the stockpile LP's answer is not trustworthy: the solver's "
                         f"objective {claimed_usd:.6g} US$ differs from what its holdings "
                         f"achieve, {value:.6g} US$")
    better = _better_nearby(problem, sc, holdings, value, tol)
    if better is not None:
        raise ModelError(f"the stockpile LP's answer is not trustworthy: {better}")
    return holdings


def _better_nearby(problem: CoverageProblem, sc: _Scales, holdings: np.ndarray,
                   value_usd: float, tol_usd: float) -> str | None:
    """Describe a feasible plan near ``holdings`` that beats it by more than ``tol_usd``.

    For each step size, try one commodity up (within budget) or down, and money moved from
    the commodity whose cut costs least to the one whose addition saves most. The objective
    is convex, so a better point found is real; finding none is evidence, not proof.
    """
    value_of = _neighbour_value(problem, holdings)
    names = sc.active
    room = sc.spend - float(holdings.sum())
    for share in PROBE_STEPS:
        up, down = np.full(names.size, np.inf), np.full(names.size, np.inf)
        steps = share * sc.x_top
        for i, (c, step) in enumerate(zip(names, steps, strict=True)):
            if holdings[c] + step <= sc.x_top[i]:
                up[i] = value_of({c: step}) - value_usd
            if holdings[c] >= step:
                down[i] = value_of({c: -step}) - value_usd
        j, i = int(np.argmin(up / steps)), int(np.argmin(down / steps))
        if up[j] < -tol_usd and steps[j] <= room:
            return (f"holding {steps[j]:.6g} US$ more of commodity {names[j]} saves "
                    f"{-up[j]:.6g} US$")
        if down[i] < -tol_usd:
            return (f"holding {steps[i]:.6g} US$ less of commodity {names[i]} saves "
                    f"{-down[i]:.6g} US$")
        if i != j and np.isfinite(up[j]) and np.isfinite(down[i]):
            step = min(steps[i], steps[j])
            gain = value_usd - value_of({names[i]: -step, names[j]: step})
            if gain > tol_usd:
                return (f"moving {step:.6g} US$ from commodity {names[i]} to {names[j]} saves "
                        f"{gain:.6g} US$")
    return None


def _neighbour_value(problem: CoverageProblem,
                     holdings: np.ndarray) -> Callable[[dict[int, float]], float]:
    """Objective (US$) of ``holdings`` moved by {commodity index: US$}; only the moved
    commodities' coverage is recomputed (a probe costs one CVaR sort, not a full re-value)."""
    loss = draw_losses(problem, holdings)
    p, short = problem.probability, problem.shortage_usd

    def value_of(moves: dict[int, float]) -> float:
        moved = loss.copy()
        for c, usd in moves.items():
            col = short[:, c]
            moved -= problem.ratio[c] * (np.minimum(col, holdings[c] + usd)
                                         - np.minimum(col, holdings[c]))
        spend = float(holdings.sum()) + sum(moves.values())
        return (float(p @ moved) + problem.lam * weighted_cvar(moved, p, problem.alpha)
                + problem.carry_usd(spend))

    return value_of
