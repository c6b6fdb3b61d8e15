"""Use cases of the policy optimisers (same layer as :mod:`paxsilica.workflows`):
load -> check -> optimise -> plain dict payloads for the CLI, the API and notebooks.

The projects CSV of ``optimize invest`` is read here (the one seam for file I/O); its columns:

=================  ========  ==========================================================
column             required  meaning
=================  ========  ==========================================================
project            yes       unique id
country            yes       ISO3 code of the host country
commodity          yes       commodity id (commodities table)
capacity           yes       new capacity, commodity units per year (> 0)
capex_usd          yes       capital cost, US$ (>= 0)
lead_time_months   yes       months until output starts (integer >= 0)
unit_cost_usd      no        production cost, US$ per unit (>= 0)
=================  ========  ==========================================================
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from paxsilica.data.yaml_lines import list_builtin
from paxsilica.errors import DataError
from paxsilica.model.dataset import Dataset
from paxsilica.model.scenario import Scenario, Stockpile
from paxsilica.policy.floors import evaluate_floor
from paxsilica.policy.investment import Project, optimise_investment
from paxsilica.policy.membership import member_values
from paxsilica.policy.stockpile import plan_vault
from paxsilica.policy.sample import member_demand
from paxsilica.policy.vault_members import PLACEMENTS, MemberVault, plan_member_vault
from paxsilica.workflows import load, load_scenario

__all__ = ["PROJECT_COLUMNS", "floors_payload", "invest_payload", "members_payload",
           "optimise_scenarios", "read_projects", "stockpile_payload"]

PROJECT_COLUMNS = ("project", "country", "commodity", "capacity", "capex_usd",
                   "lead_time_months", "unit_cost_usd")
_REQUIRED = PROJECT_COLUMNS[:-1]


def optimise_scenarios(ds: Dataset, names: Sequence[str] | None = None,
                       bloc: str | None = None) -> list[Scenario]:
    """Scenarios by name or path (default: the built-in threats, i.e. built-ins without a
    bloc stockpile policy, which the optimisers choose themselves)."""
    if names:
        scns = [load_scenario(n, ds) for n in names]
    else:
        scns = [s for s in (load_scenario(n, ds) for n in list_builtin())
                if not any(isinstance(p, Stockpile) and p.holder == s.bloc for p in s.policies)]
    if bloc is not None:
        ds.members(bloc)
        scns = [s.model_copy(update={"bloc": bloc}) for s in scns]
    return scns


def _rows(rows: Sequence[Any]) -> list[dict[str, Any]]:
    return [asdict(r) for r in rows]


def stockpile_payload(budget_usd: float | None = None, scenarios: Sequence[str] | None = None,
                      runs: int = 500, seed: int = 20260202, data: str | Path | None = None,
                      candidates: Sequence[str] | None = None, lam: float = 0.5,
                      validate: bool = True, members: bool = True) -> dict[str, Any]:
    """``optimize stockpile``: the Vault plan, its objective, baselines, frontier, validation
    and, with ``members``, the plan placed across the members (who holds what, each member's
    loss with and without; :func:`~paxsilica.policy.vault_members.plan_member_vault`)."""
    ds = load(data)
    scns = optimise_scenarios(ds, scenarios)
    plan = plan_vault(ds, scns, budget_usd=budget_usd, draws=runs, seed=seed,
                      candidates=candidates, lam=lam, validate=validate)
    held = [asdict(r) for r in plan.rows if r.tonnes > 0]
    placed = None
    if members and plan.holdings() and len(member_demand(ds, scns[0])[1]) > 1:
        placed = member_vault_payload(plan_member_vault(ds, scns, plan.holdings(), draws=runs,
                                                        seed=seed))
    return {
        "members": placed,
        "plan": held,
        "objective": {"objective_usd": plan.objective_usd, **plan.terms, **plan.estimates},
        "expected_shortage_cost_usd": dict(plan.expected_shortage_cost_usd),
        "baselines": {k: {**{a: b for a, b in v.items() if a != "rows"},
                          "plan": [asdict(r) for r in v["rows"] if r.tonnes > 0]}
                      for k, v in plan.baselines.items()},
        "frontier": [dict(f) for f in plan.frontier],
        "validation": dict(plan.validation),
        "assumptions": dict(plan.assumptions),
    }


def member_vault_payload(mv: MemberVault) -> dict[str, Any]:
    """JSON-ready form of a :class:`MemberVault`: holders of the recommended placement,
    each member's expected loss (US$) without the Vault and with each placement, and the
    paired saving with its standard error."""
    def saving(est: Any) -> dict[str, Any]:
        return {"saving_usd": est.mean, "saving_se_usd": est.standard_error,
                "draws": est.draws, "draws_changed": est.draws_nonzero}

    return {
        "region_map": mv.region_map, "recommended": mv.recommended,
        "holders": [asdict(h) for h in mv.holders()],
        "holders_by_placement": {p: [asdict(h) for h in mv.holders(p)] for p in PLACEMENTS},
        "losses": [{"member": m.member, "without_usd": m.without_usd,
                    **{f"{p}_usd": m.with_usd[p] for p in PLACEMENTS},
                    **{f"{p}_{k}": v for p in PLACEMENTS
                       for k, v in saving(m.saving[p]).items()}} for m in mv.losses],
        "total": {"without_usd": mv.total_without_usd,
                  **{f"{p}_usd": mv.total_with_usd[p] for p in PLACEMENTS},
                  **{f"{p}_{k}": v for p in PLACEMENTS
                     for k, v in saving(mv.total_saving[p]).items()}},
        "draws_per_scenario": mv.draws, "seed": mv.seed,
    }


def floors_payload(commodity: str, floor_usd: float, eligible: str | None = None,
                   scenarios: Sequence[str] | None = None, runs: int = 500,
                   seed: int = 20250710, data: str | Path | None = None,
                   eligible_unit_cost_usd: float | None = None) -> dict[str, Any]:
    """``optimize floors``: expected CfD cost, capacity retained, shortage avoided."""
    ds = load(data)
    ev = evaluate_floor(ds, optimise_scenarios(ds, scenarios), commodity, floor_usd,
                        eligible=eligible, draws=runs, seed=seed,
                        eligible_unit_cost_usd=eligible_unit_cost_usd)
    return {"commodity": ev.commodity, "floor_usd": ev.floor_usd, "eligible": list(ev.eligible),
            "expected_cost_usd": ev.expected_cost_usd, "capacity_retained": ev.capacity_retained,
            "shortage_avoided": ev.shortage_avoided,
            "shortage_avoided_usd": ev.shortage_avoided_usd,
            "per_scenario": [dict(r) for r in ev.per_scenario],
            "worked_example": dict(ev.worked_example), "assumptions": dict(ev.assumptions)}


def members_payload(bloc: str = "pax-silica", candidates: Sequence[str] | None = None,
                    scenarios: Sequence[str] | None = None, runs: int = 300,
                    seed: int = 20260112, data: str | Path | None = None) -> list[dict[str, Any]]:
    """``optimize members``: candidates ranked by the drop in expected shortage cost."""
    ds = load(data)
    values = member_values(ds, optimise_scenarios(ds, scenarios, bloc), bloc=bloc,
                           candidates=candidates, draws=runs, seed=seed)
    return [{"iso3": v.iso3, "already_member": v.already_member,
             "risk_reduction_usd": v.risk_reduction_usd,
             "standard_error_usd": v.standard_error_usd, "draws": v.estimate.draws,
             "draws_changed": v.estimate.draws_nonzero,
             "concern_share_before": v.concern_share_before,
             "concern_share_after": v.concern_share_after,
             "concern_share_change": v.concern_share_change,
             "top_commodities": [{"commodity": c, "risk_reduction_usd": x,
                                  "standard_error_usd": se}
                                 for (c, x), se in zip(v.top_commodities,
                                                       v.top_commodities_se_usd, strict=True)]}
            for v in values]


def read_projects(path: str | Path) -> list[Project]:
    """Candidate projects from a CSV (columns in the module docstring).

    Raises
    ------
    DataError
        Naming the file, the row (header = row 1) and the field of the first problem.
    """
    file = str(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in _REQUIRED if c not in header]
            if missing:
                raise DataError(f"missing column(s) {', '.join(missing)}; expected "
                                f"{', '.join(PROJECT_COLUMNS)}", file=file, row=1)
            rows = [{(k or "").strip(): (v or "").strip() for k, v in r.items()} for r in reader]
    except OSError as exc:
        raise DataError(f"cannot read the projects file: {exc.strerror}", file=file) from None
    projects, seen = [], set()
    for n, row in enumerate(rows, start=2):
        projects.append(_project(row, file, n))
        if projects[-1].project in seen:
            raise DataError(f"duplicate project id '{projects[-1].project}'", file=file, row=n,
                            field="project")
        seen.add(projects[-1].project)
    if not projects:
        raise DataError("no projects (the file has a header only)", file=file, row=2)
    return projects


def _project(row: dict[str, str], file: str, n: int) -> Project:
    for key in ("project", "country", "commodity"):
        if not row.get(key):
            raise DataError("empty; a value is required", file=file, row=n, field=key)

    def number(key: str, lower: float, strict: bool = False, required: bool = True) -> float | None:
        text = row.get(key, "")
        if text == "" and not required:
            return None
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < lower or (strict and value <= lower):
            sign = ">" if strict else ">="
            raise DataError(f"'{text}' is not a number {sign} {lower:g}", file=file, row=n,
                            field=key)
        return value

    lead = number("lead_time_months", 0.0)
    if lead is not None and lead != int(lead):
        raise DataError(f"'{row['lead_time_months']}' is not a whole number of months",
                        file=file, row=n, field="lead_time_months")
    return Project(row["project"], row["country"], row["commodity"],
                   float(number("capacity", 0.0, strict=True)), float(number("capex_usd", 0.0)),
                   int(lead or 0), number("unit_cost_usd", 0.0, required=False))


def _check_projects(ds: Dataset, projects: Sequence[Project], file: str) -> None:
    known_c = set(ds.commodities["id"])
    known_iso = set(ds.countries["iso3"]) | set(ds.production["iso3"])
    for n, p in enumerate(projects, start=2):
        if p.commodity not in known_c:
            raise DataError(f"commodity '{p.commodity}' is not in the data", file=file, row=n,
                            field="commodity")
        if p.country not in known_iso:
            raise DataError(f"country '{p.country}' is not in the data", file=file, row=n,
                            field="country")


def invest_payload(budget_usd: float, projects: str | Path,
                   scenarios: Sequence[str] | None = None, runs: int = 200,
                   seed: int = 20260301, by_month: int | None = None,
                   data: str | Path | None = None) -> dict[str, Any]:
    """``optimize invest``: the project portfolio under a capital budget."""
    ds = load(data)
    chosen = read_projects(projects)
    _check_projects(ds, chosen, str(projects))
    plan = optimise_investment(ds, optimise_scenarios(ds, scenarios), chosen,
                               budget_usd=budget_usd, by_month=by_month, draws=runs, seed=seed)
    return {"selected": [asdict(p) for p in plan.selected], "capex_usd": plan.capex_usd,
            "objective_usd": plan.objective_usd,
            "expected_shortage_cost_usd": dict(plan.expected_shortage_cost_usd),
            "cvar95_shortage_cost_usd": dict(plan.cvar95_shortage_cost_usd),
            "validation": dict(plan.validation), "assumptions": dict(plan.assumptions)}
