"""The stockpile's sample-average-approximation LP, solved with HiGHS (scipy.optimize.linprog).

Variables, all in US$ at baseline prices divided by one scale (the budget or the largest
draw's loss, whichever is larger), which keeps HiGHS's numbers near 1:
``X_c`` the value held of commodity ``c``; ``Y_k`` the value of stock released against the
shortage of pair ``k = (draw s, commodity c)`` (only pairs with a shortage get one); ``eta``
(the VaR of the Rockafellar-Uryasev linearisation), ``u_s >= 0`` (loss above ``eta``) and
``F_j`` the money drawn from funding tranche ``j`` (e.g. the EXIM loan, then private money).

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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from paxsilica.errors import ModelError
from paxsilica.policy.sample import weighted_cvar

__all__ = ["CoverageProblem", "LPSolution", "evaluate_holdings", "solve_coverage"]



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


def evaluate_holdings(problem: CoverageProblem, holdings_usd: np.ndarray) -> dict[str, float]:
    """Objective terms of given holdings under the coverage model (US$).

    Each draw's loss is ``L0_s - sum_c r_c min(X_c, S_sc)``; CVaR is
    :func:`~paxsilica.policy.sample.weighted_cvar`, the LP's own definition.
    """
    covered = np.minimum(problem.shortage_usd, holdings_usd[None, :]) @ problem.ratio
    loss = problem.base_loss_usd - covered
    expected = float(problem.probability @ loss)
    cvar = weighted_cvar(loss, problem.probability, problem.alpha)
    carry = problem.carry_usd(float(holdings_usd.sum()))
    return {"objective_usd": expected + problem.lam * cvar + carry, "expected_usd": expected,
            "cvar_usd": cvar, "carry_usd": carry}


def solve_coverage(problem: CoverageProblem) -> LPSolution:
    """Solve the stockpile LP with HiGHS; raise ModelError when the solver fails."""
    s_n, c_n = problem.shortage_usd.shape
    scale = max(problem.budget_usd, float(problem.base_loss_usd.max(initial=0.0)), 1e-300)
    rows, cols = np.nonzero(problem.shortage_usd > 0)
    k_n = rows.size
    short = problem.shortage_usd[rows, cols] / scale
    p, lam, tail = problem.probability, problem.lam, 1.0 - problem.alpha
    caps = np.array([cap for cap, _ in problem.funding], dtype=float) / scale
    rates = np.array([rate for _, rate in problem.funding], dtype=float)
    f_n = caps.size
    # variable order: X (c_n), Y (k_n), eta (1), u (s_n), F (f_n)
    n_var = c_n + k_n + 1 + s_n + f_n
    cost = np.concatenate([np.full(c_n, problem.storage), -p[rows] * problem.ratio[cols],
                           [lam], lam * p / tail, rates])
    k_idx = np.arange(k_n)
    cover = sparse.csr_matrix(
        (np.concatenate([np.ones(k_n), -np.ones(k_n)]),
         (np.concatenate([k_idx, k_idx]), np.concatenate([c_n + k_idx, cols]))),
        shape=(k_n, n_var))
    # -u_s - eta - sum_k r_c Y_k <= -L0_s
    tail_rows = sparse.csr_matrix(
        (np.concatenate([-problem.ratio[cols], -np.ones(s_n), -np.ones(s_n)]),
         (np.concatenate([rows, np.arange(s_n), np.arange(s_n)]),
          np.concatenate([c_n + k_idx, np.full(s_n, c_n + k_n), c_n + k_n + 1 + np.arange(s_n)]))),
        shape=(s_n, n_var))
    budget_row = sparse.csr_matrix(
        (np.concatenate([np.ones(c_n), -np.ones(f_n)]),
         (np.zeros(c_n + f_n, int), np.concatenate([np.arange(c_n), n_var - f_n + np.arange(f_n)]))),
        shape=(1, n_var))
    a_ub = sparse.vstack([cover, tail_rows, budget_row], format="csr")
    b_ub = np.concatenate([np.zeros(k_n), -problem.base_loss_usd / scale, [0.0]])
    bounds = np.column_stack([
        np.zeros(n_var),
        np.concatenate([np.full(c_n, np.inf), short, [np.inf], np.full(s_n, np.inf), caps])])
    bounds[c_n + k_n, 0] = -np.inf  # eta is free
    res = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if res.status != 0:
        raise ModelError(f"the stockpile LP did not solve: {res.message}")
    holdings = np.maximum(res.x[:c_n], 0.0) * scale
    terms = evaluate_holdings(problem, holdings)
    return LPSolution(holdings, terms["objective_usd"], terms["expected_usd"], terms["cvar_usd"],
                      terms["carry_usd"], str(res.message), int(getattr(res, "nit", 0)))
