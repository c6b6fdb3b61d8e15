"""Random Vault LPs over many orders of magnitude: is the solver's answer as good as a grid search?

Draws ``--problems`` two-commodity coverage problems (3-40 draws, 40% of draws short, shortage
cost 2-20 x price, losses the stock cannot touch of 0, 1 or 1,000 x, lam 0, 0.5 or 2) with a
money unit from 1e-3 to 1e9 and a budget from 1e-6 to 1e12 x the unit; solves each with
:func:`paxsilica.policy.saa.solve_coverage` and compares its objective with the best point of
an 81 x 81 grid over the holdings. Prints the problems it refused (``ModelError``) or solved
worse than the grid, and a count. Run it on an older checkout to compare (the scaling before
issue 13 part 5 was worse than the grid on 51 of 300, seed 0).

Usage::

    PYTHONPATH=src python tools/saa_scaling_sweep.py [--problems 300] [--seed 0]
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from paxsilica.errors import ModelError
from paxsilica.policy.saa import CoverageProblem, evaluate_holdings, solve_coverage
from paxsilica.policy.stockpile import VaultFinancing

GRID = 81


def random_problem(rng: np.random.Generator) -> CoverageProblem:
    """One random problem (see the module docstring)."""
    draws = int(rng.integers(3, 40))
    unit = 10 ** rng.uniform(-3, 9)
    short = rng.gamma(0.5, 100, (draws, 2)) * (rng.random((draws, 2)) < 0.4) * unit
    ratio = rng.uniform(2, 20, 2)
    untouchable = rng.gamma(0.5, 100, draws) * unit * rng.choice([0, 1, 1e3])
    budget = 10 ** rng.uniform(-3, 15) * unit / 1e3
    money = VaultFinancing(loan_usd=budget * 0.8, private_usd=budget * 0.2)
    return CoverageProblem(short, short @ ratio + untouchable, ratio, np.full(draws, 1 / draws),
                           0.03, money.funding(budget, 3.0), float(rng.choice([0.0, 0.5, 2.0])))


def grid_best(problem: CoverageProblem) -> float:
    """Best objective (US$) over a GRID x GRID grid of feasible holdings."""
    reach = problem.shortage_usd.max(axis=0)
    top = min(problem.budget_usd, float(reach.sum()))
    axes = [np.linspace(0, min(r, top), GRID) for r in reach]
    return min(evaluate_holdings(problem, np.array(x))["objective_usd"]
               for x in itertools.product(*axes) if sum(x) <= problem.budget_usd * (1 + 1e-12))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    refused = worse = 0
    for n in range(args.problems):
        problem = random_problem(rng)
        try:
            solution = solve_coverage(problem)
        except ModelError as exc:
            refused += 1
            print(f"problem {n}: refused: {exc}")
            continue
        best = grid_best(problem)
        if solution.objective_usd > best + 1e-9 * abs(best) + 1e-12:
            worse += 1
            print(f"problem {n}: {solution.objective_usd:.6g} US$ > grid {best:.6g} US$")
    print(f"{args.problems} problems: {refused} refused, {worse} worse than an {GRID} x {GRID} "
          "grid search")


if __name__ == "__main__":
    main()
