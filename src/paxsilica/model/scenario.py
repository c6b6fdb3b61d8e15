"""Scenario, Shock and Policy definitions: frozen, validated, no I/O.

Its JSON Schema (``paxsilica scenario schema``) is the published contract. A scenario names the
bloc under study, the countries forming the ``restricting`` segment, a horizon, and lists of
shocks (what happens) and policies (what the bloc does about it). Numeric shock parameters may be distributions
(:mod:`paxsilica.model.distributions`).

Build one from parsed YAML with :meth:`Scenario.from_mapping`, which turns pydantic's errors
into :class:`~paxsilica.errors.ScenarioError` naming the file, line and field; check its ids
against a dataset with :func:`check_scenario`.

Examples
--------
>>> scn = Scenario.from_mapping({"name": "demo", "title": "Demo", "restricting": ["CHN"],
...     "shocks": [{"type": "export_restriction", "commodities": ["gallium_refining"],
...                 "severity": {"dist": "uniform", "low": 0.5, "high": 1}}]})
>>> scn.shocks[0].severity.support()
(0.5, 1.0)
>>> scn.resolved().shocks[0].targets
'pax-silica'
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from paxsilica.dims import SEGMENTS
from paxsilica.errors import ScenarioError
from paxsilica.model._scenario_errors import field_name, line_of, to_scenario_error
from paxsilica.model.distributions import (
    Beta,
    Choice,
    Constant,
    Distribution,
    DistributionSpec,
    Frozen,
    Normal,
    Number,
    Param,
    Triangular,
    Uniform,
    as_distribution,
    param_support,
    sample_param,
    within,
)

if TYPE_CHECKING:
    from paxsilica.model.dataset import Dataset

__all__ = [
    "Beta",
    "CapacityInvestment",
    "ChokepointClosure",
    "Choice",
    "Constant",
    "DemandSurge",
    "Distribution",
    "DistributionSpec",
    "ExportRestriction",
    "MAX_SEED",
    "MembershipChange",
    "Normal",
    "Param",
    "Policy",
    "PriceFloor",
    "PriceSuppression",
    "Refill",
    "Release",
    "Scenario",
    "Shock",
    "Stockpile",
    "SupplyOutage",
    "TradeClubPriority",
    "Triangular",
    "Uniform",
    "as_distribution",
    "check_scenario",
    "param_support",
    "sample_param",
    "scenario_json_schema",
]

_SCHEMA_ID = "https://paxsilica.org/schema/scenario.json"

#: Largest seed accepted: seeds are signed 64-bit integers, so every run's seed can be recorded.
MAX_SEED = 2**63 - 1

# -- parameter types ----------------------------------------------------------------------
_ShareParam = Annotated[Param, within(0.0, 1.0), Field(description="share 0..1; number or "
                                                                    "distribution")]
_MonthParam = Annotated[Param, within(0.0, None), Field(description="months >= 0; number or "
                                                                   "distribution")]
_DurationParam = Annotated[Param, within(1.0, None), Field(description="months >= 1; number or "
                                                                      "distribution")]
_MagnitudeParam = Annotated[Param, within(-1.0, None), Field(description="change >= -1 of "
                                                                        "baseline demand")]
Ids = Annotated[tuple[str, ...], Field(min_length=1)]
Segment = Literal["alliance", "restricting", "others"]
assert Segment.__args__ == SEGMENTS  # type: ignore[attr-defined]  # one spelling of segments


# -- shocks -------------------------------------------------------------------------------
class _ShockBase(Frozen):
    """Timing shared by every shock (all may be distributions).

    ``probability``: chance the shock happens at all in a draw (0..1). ``start_month``:
    0-based month it begins. ``duration_months``: how long it lasts; ``None`` = to the
    horizon's end. Sampled months are whole months: use ``sample_param(..., integer=True)``.
    """

    probability: _ShareParam = 1.0
    start_month: _MonthParam = 0.0
    duration_months: _DurationParam | None = None


class ExportRestriction(_ShockBase):
    """``countries`` cut ``severity`` of their exports of ``commodities`` to ``targets``.

    ``countries`` default to the scenario's ``restricting``; ``targets`` (a bloc id, one
    country's ISO3 such as ``JPN`` for China's 2010 halt to Japan, or ``"all"``) to its
    ``bloc``. A target country cuts the route into its whole region (its own with the default
    region map). ``leakage`` is the share of the cut volume still reaching the
    targets through third countries. ``announce_month`` (optional) is when the restriction is
    announced, at or before ``start_month``: in between, buyers in the targets pull volume
    forward and build precautionary stock (``EngineOptions.front_running``,
    ``precaution_cover``).
    """

    type: Literal["export_restriction"]
    countries: Ids | None = None
    commodities: Ids
    targets: str | None = None
    announce_month: Annotated[int, Field(ge=0, description="0-based month the restriction "
                                          "is announced, before it bites (front-running)")
                              ] | None = None
    severity: _ShareParam
    leakage: _ShareParam = 0.0


class SupplyOutage(_ShockBase):
    """``countries`` lose ``severity`` (0..1) of their capacity to make ``commodities``."""

    type: Literal["supply_outage"]
    countries: Ids
    commodities: Ids
    severity: _ShareParam


class DemandSurge(_ShockBase):
    """Demand for ``commodities`` moves by ``magnitude`` where the shock applies.

    Where: ``regions`` (region ids of the run's map, ISO3 codes or bloc ids: the regions
    holding them) and/or ``segments`` (alliance = the bloc's regions, restricting, others);
    both None: everywhere. ``magnitude`` +0.3 = demand 30% above baseline at the baseline
    price; >= -1.
    """

    type: Literal["demand_surge"]
    commodities: Ids
    segments: Annotated[tuple[Segment, ...], Field(min_length=1)] | None = None
    regions: Ids | None = None
    magnitude: _MagnitudeParam


class PriceSuppression(_ShockBase):
    """A dominant producer floods the market: price outside the restricting segment is forced
    to ``price_ratio`` x baseline, and capacity whose unit cost is above it exits.

    ``countries`` (the flooding producers) default to the scenario's ``restricting``.
    """

    type: Literal["price_suppression"]
    countries: Ids | None = None
    commodities: Ids
    price_ratio: _ShareParam


class ChokepointClosure(_ShockBase):
    """Sea ``route`` closes to ``severity`` (default 1) of its traffic.

    ``countries`` and ``commodities`` default to all rows of the dataset's chokepoints table
    for the route; exports are cut by severity x the row's transit share.
    """

    type: Literal["chokepoint_closure"]
    route: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    countries: Ids | None = None
    commodities: Ids | None = None
    severity: _ShareParam = 1.0


Shock = Annotated[
    ExportRestriction | SupplyOutage | DemandSurge | PriceSuppression | ChokepointClosure,
    Field(discriminator="type"),
]


# -- policies -----------------------------------------------------------------------------
class Release(Frozen):
    """When a stockpile releases: ``price`` ratio above ``threshold`` (e.g. 1.5 x baseline)
    or ``shortage`` share above ``threshold`` (e.g. 0.05)."""

    trigger: Literal["price", "shortage"]
    threshold: Number = Field(gt=0.0)

    @model_validator(mode="after")
    def _threshold_fits(self) -> Release:
        if self.trigger == "shortage" and self.threshold > 1:
            raise PydanticCustomError(
                "scenario",
                f"a shortage threshold is a share 0..1 (got {self.threshold})",
                {"loc": ("threshold",)},
            )
        return self


class Refill(Frozen):
    """Buy back when the price ratio is below ``below_price_ratio``, spending up to
    ``budget_usd`` (USD, whole horizon)."""

    below_price_ratio: Number = Field(default=1.1, gt=0.0)
    budget_usd: Number = Field(ge=0.0)


class Stockpile(Frozen):
    """A strategic stock held by ``holder`` (bloc id or ISO3).

    Give either ``holdings`` (commodity -> quantity in the commodity's unit) or
    ``budget_usd`` with ``allocation`` (commodity -> share of the budget, summing to 1) spent
    at baseline prices. ``max_release_share`` caps releases per month as a share of the
    initial holdings.
    """

    type: Literal["stockpile"]
    holder: str
    holdings: dict[str, Annotated[Number, Field(ge=0.0)]] | None = None
    budget_usd: Number | None = Field(default=None, gt=0.0)
    allocation: dict[str, Annotated[Number, Field(ge=0.0, le=1.0)]] | None = None
    release: Release
    max_release_share: Number = Field(default=1 / 6, gt=0.0, le=1.0)
    refill: Refill | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Stockpile:
        if (self.holdings is None) == (self.budget_usd is None):
            raise _scenario_error(
                "give either holdings or budget_usd (with allocation), not both or neither",
                "holdings" if self.holdings is not None else "budget_usd",
            )
        if self.budget_usd is not None:
            if not self.allocation:
                raise _scenario_error("budget_usd needs an allocation", "allocation")
            total = sum(self.allocation.values())
            if abs(total - 1.0) > 1e-6:
                raise _scenario_error(f"allocation shares sum to {total:g}; they must sum to 1",
                                      "allocation")
        elif self.allocation is not None:
            raise _scenario_error("allocation applies to budget_usd, not holdings", "allocation")
        return self


class PriceFloor(Frozen):
    """A contract-for-difference floor: eligible producers of ``commodity`` are paid
    (``floor_usd`` - market price)+ per unit of output. ``eligible`` defaults to the bloc."""

    type: Literal["price_floor"]
    commodity: str
    floor_usd: Number = Field(gt=0.0)
    eligible: str | Ids | None = None


class TradeClubPriority(Frozen):
    """Members of ``club`` (a bloc id) sell to each other first."""

    type: Literal["trade_club_priority"]
    club: str = "trade-club"


class CapacityInvestment(Frozen):
    """New ``capacity`` (units/yr) of ``commodity`` in ``country`` after ``lead_time_months``,
    costing ``capex_usd``; ``unit_cost`` (USD/unit) when known."""

    type: Literal["capacity_investment"]
    country: str
    commodity: str
    capacity: Number = Field(gt=0.0)
    lead_time_months: int = Field(ge=0)
    capex_usd: Number = Field(ge=0.0)
    unit_cost: Number | None = Field(default=None, ge=0.0)


class MembershipChange(Frozen):
    """``country`` joins ``bloc`` (default: the scenario's bloc) from ``month`` (0-based)."""

    type: Literal["membership_change"]
    country: str
    bloc: str | None = None
    month: int = Field(ge=0)


Policy = Annotated[
    Stockpile | PriceFloor | TradeClubPriority | CapacityInvestment | MembershipChange,
    Field(discriminator="type"),
]


def _scenario_error(message: str, *loc: str | int) -> PydanticCustomError:
    # ``loc`` is relative to the model raising it; to_scenario_error appends it to the error's
    # location, so model-level checks still point at a line.
    return PydanticCustomError("scenario", message, {"loc": loc})


# -- the scenario -------------------------------------------------------------------------
class Scenario(Frozen):
    """One stress scenario: who is in which segment, what happens, and the bloc's response.

    Attributes
    ----------
    name : str
        Id, lower-case letters, digits and ``-``.
    title_ar, description_ar : str
        Arabic title and description (blank: the English ones are shown).
    regions : str, optional
        Region map the engine clears (a map of the data package, e.g. ``countries``, or
        ``segments`` for the first release's three); None: the package's default.
    bloc : str
        Bloc id whose members form the ``alliance`` segment.
    restricting : tuple of str
        ISO3 codes or bloc ids forming the ``restricting`` segment.
    horizon_months : int
        Months simulated, 1..240.
    draws : int
        Default number of Monte Carlo draws, 1..10,000,000.
    seed : int or None
        Default seed 0..2^63-1 (None: fresh entropy, recorded by the engine).
    """

    name: str = Field(max_length=64)
    title: str = Field(min_length=1)
    description: str = ""
    # Arabic for readers of the Arabic dashboard and reports; presentation only (the engine
    # never reads them), blank falls back to the English text.
    title_ar: str = Field(default="", description="the title in Arabic (shown by the Arabic "
                          "dashboard and reports; blank: the English title)")
    description_ar: str = Field(default="", description="the description in Arabic (blank: "
                                "the English description)")
    sources: tuple[str, ...] = ()
    bloc: str = "pax-silica"
    restricting: tuple[str, ...] = ()
    regions: str | None = None
    horizon_months: int = Field(default=36, ge=1, le=240)
    draws: int = Field(default=1000, ge=1, le=10_000_000)
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)
    shocks: tuple[Shock, ...] = ()
    policies: tuple[Policy, ...] = ()

    @field_validator("name")
    @classmethod
    def _slug(cls, name: str) -> str:
        import re

        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
            raise PydanticCustomError(
                "name", f"name '{name}' must be lower-case letters, digits and '-'"
            )
        return name

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        for i, shock in enumerate(self.shocks):
            if param_support(shock.start_month)[0] >= self.horizon_months:
                raise _scenario_error(
                    f"start_month {param_support(shock.start_month)[0]:g} is not before the "
                    f"horizon's end (horizon_months {self.horizon_months})",
                    "shocks", i, "start_month")
            announce = getattr(shock, "announce_month", None)
            if announce is not None and announce > param_support(shock.start_month)[0]:
                raise _scenario_error(
                    f"announce_month {announce} is after the earliest start_month "
                    f"{param_support(shock.start_month)[0]:g}: a restriction is announced "
                    "before (or when) it bites", "shocks", i, "announce_month")
            needs_default = isinstance(shock, ExportRestriction | PriceSuppression)
            if needs_default and shock.countries is None and not self.restricting:
                raise _scenario_error(
                    "no countries given and the scenario's 'restricting' list is empty",
                    "shocks", i, "type")
        for i, policy in enumerate(self.policies):
            if isinstance(policy, MembershipChange) and policy.month >= self.horizon_months:
                raise _scenario_error(
                    f"month {policy.month} is not before the horizon's end "
                    f"(horizon_months {self.horizon_months})", "policies", i, "month")
        return self

    # -- constructors ---------------------------------------------------------------------
    @classmethod
    def from_mapping(
        cls,
        obj: Any,
        lines: dict[tuple[str | int, ...], int] | None = None,
        file: str | None = None,
    ) -> Scenario:
        """Validate parsed YAML/JSON into a Scenario.

        Parameters
        ----------
        obj : Any
            Plain data (dicts, lists, numbers, strings), e.g. from
            ``paxsilica.data.yaml_lines.read_scenario_document``.
        lines : dict, optional
            1-based line of each value, keyed by its path, e.g. ``("shocks", 1, "severity")``.
        file : str, optional
            File name for messages.

        Raises
        ------
        ScenarioError
            With ``file``, ``line`` and ``field`` (e.g. ``shocks[1].severity``) of the first
            problem in document order.
        """
        try:
            return cls.model_validate(obj)
        except ValidationError as exc:
            raise to_scenario_error(exc, obj, lines or {}, file, _TAGGED) from None

    # -- derived views --------------------------------------------------------------------
    def resolved(self) -> Scenario:
        """A copy with the scenario-level defaults filled in.

        ``countries`` of export restrictions and price suppressions become ``restricting``;
        ``targets`` and price-floor ``eligible`` become ``bloc`` (a tuple); membership changes
        get ``bloc``. Chokepoint defaults need the dataset and stay ``None``.
        """
        shocks = []
        for shock in self.shocks:
            update: dict[str, Any] = {}
            if isinstance(shock, ExportRestriction | PriceSuppression) and shock.countries is None:
                update["countries"] = self.restricting
            if isinstance(shock, ExportRestriction) and shock.targets is None:
                update["targets"] = self.bloc
            shocks.append(shock.model_copy(update=update))
        policies = []
        for policy in self.policies:
            update = {}
            if isinstance(policy, PriceFloor) and policy.eligible is None:
                update["eligible"] = (self.bloc,)
            if isinstance(policy, PriceFloor) and isinstance(policy.eligible, str):
                update["eligible"] = (policy.eligible,)
            if isinstance(policy, MembershipChange) and policy.bloc is None:
                update["bloc"] = self.bloc
            policies.append(policy.model_copy(update=update))
        return self.model_copy(update={"shocks": tuple(shocks), "policies": tuple(policies)})

    @property
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of the scenario: its identity in run records."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


# Models that a discriminated union selects by tag; to_scenario_error uses them to list the
# allowed keys of an unknown key's mapping.
_TAGGED: dict[str, type[Frozen]] = {
    **{m.model_fields["type"].annotation.__args__[0]: m  # type: ignore[union-attr]
       for m in (ExportRestriction, SupplyOutage, DemandSurge, PriceSuppression,
                 ChokepointClosure, Stockpile, PriceFloor, TradeClubPriority,
                 CapacityInvestment, MembershipChange)},
    **{m.model_fields["dist"].annotation.__args__[0]: m  # type: ignore[union-attr]
       for m in (Uniform, Triangular, Normal, Beta, Choice, Constant)},
    "release": Release,
    "refill": Refill,
    "": Scenario,
}


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file, from the pydantic models.

    Range checks on number-or-distribution parameters (e.g. severity 0..1) are stated in the
    descriptions; the loader enforces them.
    """
    schema = Scenario.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": _SCHEMA_ID,
        **schema,
        "title": "paxsilica scenario",
    }


# -- checks against a dataset -------------------------------------------------------------
def check_scenario(
    scn: Scenario,
    ds: Dataset,
    *,
    lines: dict[tuple[str | int, ...], int] | None = None,
    file: str | None = None,
) -> None:
    """Check every commodity, country, bloc and route id of ``scn`` exists in ``ds``.

    Raises
    ------
    ScenarioError
        For the first unknown id, naming the field (``shocks[0].commodities[1]``) and, when
        ``lines`` is given, the line; with a did-you-mean from the known ids.
    """
    if scn.regions is not None and scn.regions not in ds.region_map_names():
        raise ScenarioError(f"region map '{scn.regions}' is not in the data; known maps: "
                            f"{', '.join(ds.region_map_names())}", file=file,
                            line=line_of(lines or {}, ("regions",)), field="regions")
    known = _known_ids(ds)
    for path, kind, value in iter_id_refs(scn):
        allowed = known[kind]
        if value in allowed:
            continue
        if kind == "route" and not known["route"]:
            message = f"route '{value}' cannot be used: the dataset has no chokepoints table rows"
        else:
            message = f"{_KIND_NAMES[kind]} '{value}' is not in the data{_did_you_mean(value, allowed)}"
        raise ScenarioError(message, file=file, line=line_of(lines or {}, path),
                            field=field_name(path))


_KIND_NAMES = {
    "commodity": "commodity",
    "country": "country or bloc",
    "bloc": "bloc",
    "target": "bloc or country (or 'all')",
    "holder": "bloc or country",
    "route": "route",
}


def _known_ids(ds: Dataset) -> dict[str, set[str]]:
    countries = set(ds.countries["iso3"].dropna()) | set(ds.production["iso3"].dropna())
    blocs = set(ds.bloc_names())
    return {
        "commodity": set(ds.commodities["id"].dropna()),
        "country": countries | blocs,
        "bloc": blocs,
        "target": countries | blocs | {"all"},
        "holder": countries | blocs,
        "route": set(ds.chokepoints["route"].dropna()),
    }


def _did_you_mean(value: str, allowed: set[str]) -> str:
    import difflib

    by_lower = {a.lower(): a for a in allowed}
    close = difflib.get_close_matches(value.lower(), list(by_lower), n=1, cutoff=0.6)
    return f"; did you mean '{by_lower[close[0]]}'?" if close else ""


def iter_id_refs(scn: Scenario) -> list[tuple[tuple[str | int, ...], str, str]]:
    """Every id the scenario refers to, as (path, kind, value); kinds as in ``_KIND_NAMES``."""
    refs: list[tuple[tuple[str | int, ...], str, str]] = [(("bloc",), "bloc", scn.bloc)]
    refs += [(("restricting", i), "country", c) for i, c in enumerate(scn.restricting)]
    for i, shock in enumerate(scn.shocks):
        base: tuple[str | int, ...] = ("shocks", i)
        for key, kind in (("countries", "country"), ("commodities", "commodity")):
            values = getattr(shock, key, None) or ()
            refs += [((*base, key, j), kind, v) for j, v in enumerate(values)]
        if isinstance(shock, ExportRestriction) and shock.targets is not None:
            refs.append(((*base, "targets"), "target", shock.targets))
        if isinstance(shock, ChokepointClosure):
            refs.append(((*base, "route"), "route", shock.route))
    for i, policy in enumerate(scn.policies):
        refs += _policy_refs(("policies", i), policy)
    return refs


def _policy_refs(
    base: tuple[str | int, ...], policy: Any
) -> list[tuple[tuple[str | int, ...], str, str]]:
    refs: list[tuple[tuple[str | int, ...], str, str]] = []
    if isinstance(policy, Stockpile):
        refs.append(((*base, "holder"), "holder", policy.holder))
        for key in ("holdings", "allocation"):
            refs += [((*base, key, c), "commodity", c) for c in getattr(policy, key) or {}]
    elif isinstance(policy, PriceFloor):
        refs.append(((*base, "commodity"), "commodity", policy.commodity))
        if isinstance(policy.eligible, str):
            refs.append(((*base, "eligible"), "holder", policy.eligible))
        else:
            refs += [((*base, "eligible", j), "holder", e)
                     for j, e in enumerate(policy.eligible or ())]
    elif isinstance(policy, TradeClubPriority):
        refs.append(((*base, "club"), "bloc", policy.club))
    elif isinstance(policy, CapacityInvestment):
        refs.append(((*base, "country"), "country", policy.country))
        refs.append(((*base, "commodity"), "commodity", policy.commodity))
    elif isinstance(policy, MembershipChange):
        refs.append(((*base, "country"), "country", policy.country))
        if policy.bloc is not None:
            refs.append(((*base, "bloc"), "bloc", policy.bloc))
    return refs
