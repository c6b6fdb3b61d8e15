"""Policy optimisers: they take a Dataset, scenarios and the engine's draws and return plans;
they never mutate their inputs and do no file I/O.

* :mod:`~paxsilica.policy.stockpile` sizes the Vault (SAA LP, HiGHS);
* :mod:`~paxsilica.policy.floors` prices a contract-for-difference floor;
* :mod:`~paxsilica.policy.membership` ranks candidate members;
* :mod:`~paxsilica.policy.investment` chooses capacity projects (MILP, HiGHS);
* :mod:`~paxsilica.policy.sample` and :mod:`~paxsilica.policy.saa` hold the shared sample
  and LP.
"""

from paxsilica.policy.floors import FloorEvaluation, evaluate_floor
from paxsilica.policy.investment import InvestmentPlan, Project, optimise_investment
from paxsilica.policy.membership import MemberValue, member_values
from paxsilica.policy.stockpile import PlanRow, StockpilePlan, VaultFinancing, plan_vault

__all__ = ["FloorEvaluation", "InvestmentPlan", "MemberValue", "PlanRow", "Project",
           "StockpilePlan", "VaultFinancing", "evaluate_floor", "member_values",
           "optimise_investment", "plan_vault"]
