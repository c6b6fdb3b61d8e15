"""Compile a Dataset and a Scenario into the arrays the Monte Carlo kernel works on.

Everything here is deterministic: the random parts of a scenario are drawn in
:mod:`paxsilica.engine.sampling`. Arrays are indexed ``[commodity, region]`` with commodities
in topological order of ``recipes`` (inputs before outputs, so each layer is a contiguous
slice) and regions in the order of the run's :class:`~paxsilica.model.regions.RegionMap`
(the ``countries`` map by default; ``segments`` gives the first release's alliance,
restricting, others). Quantities are per month (the tables give them per year). Results are
also reported for the bloc aggregates (:data:`paxsilica.dims.SEGMENTS`): ``alliance`` = the
regions holding a member of the scenario's bloc, ``restricting`` = the other regions holding
a restricting country, ``others`` = the rest (``Network.views[v].aggregate``).

Modelling assumptions made here (documented in the engine's report):

* **Supply** of a region = the sum of its countries' latest-year production; ``ROW`` belongs
  to the map's rest region, except for a commodity whose production has only ``ROW`` rows (no
  known location, e.g. vehicles): that is split over the regions like final demand. Capacity
  is ``capacity`` where given, else ``quantity``.
* **Routes and demand**: world demand equals world production (the baseline market clears at
  price ratio 1). Where trade data exist for a commodity, each exporting region ships along
  its observed bilateral routes (BACI shares of its output, exports capped at its output),
  mixed with :attr:`EngineOptions.open_market_share` sold pro rata to world demand (traders,
  spot buyers: the part that finds new buyers by price), and a region's demand is what its
  routes bring it (apparent consumption). Otherwise every exporter sells pro rata to demand,
  and demand is located by recipes: the part of an input's use that ``recipes`` assign to a
  downstream commodity (``input_share``) sits where that downstream commodity is produced
  (derived demand), and the rest (final use) is split by the ``final_demand`` table (shares
  of world manufacturing value added; :attr:`EngineOptions.final_demand_share` for the
  three-segment map).
* **Costs**: each segment's production rows (a country, or one cost tranche of a country when
  ``production`` has a ``tranche`` column) are grouped into up to ``cost_tranches`` tranches by
  unit cost, cut where the cost rises most (:func:`cost_groups`); a tranche's cost is the
  capacity-weighted mean of its rows' costs (each capped at the baseline price) and it exits
  after ``exit_months`` months with the segment price below that cost. Producers with no unit
  cost never exit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from paxsilica.data.schema import REST_OF_WORLD
from paxsilica.dims import SEGMENTS
from paxsilica.errors import DataError, ModelError, NotFoundError, ScenarioError
from paxsilica.model.dataset import Dataset
from paxsilica.model.regions import RegionMap
from paxsilica.model.scenario import ChokepointClosure, MembershipChange, TradeClubPriority

__all__ = ["COMPILE_FIELDS", "EngineOptions", "Network", "RegionView", "SegmentView",
           "active_commodities", "compile_network", "cost_groups", "production_share",
           "recipe_use", "region_map_for", "retune", "topological_layers"]

#: Bloc aggregates (:data:`paxsilica.dims.SEGMENTS`): indices of ``RegionView.aggregate``.
ALLIANCE, RESTRICTING, OTHERS = 0, 1, 2
N_AGG = len(SEGMENTS)
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class EngineOptions:
    """Model constants that no data table holds (each one a documented assumption).

    Attributes
    ----------
    final_demand_share : tuple of float
        The three-segment map only: split of final (non-derived) world demand over (alliance,
        restricting, others), shares summing to 1. Default: roughly the segments' shares of
        world manufacturing value added for the Pax Silica bloc and China (about 30% each, the
        rest 40%). Segments without any country get none; the rest is renormalised. Other
        maps read the ``final_demand`` table.
    open_market_share : float
        Share of each exporter's output sold pro rata to world demand rather than along its
        observed bilateral routes (0..1): the volume that finds new buyers by price when a
        route is cut. Estimate: see docs/calibration.md.
    observed_routes : bool
        Route trade along observed bilateral shares where the data have them (False: every
        exporter sells pro rata to demand located by apparent consumption, the first
        release's rule).
    trade_price_elasticity : float
        Exporters' allocation to a destination is proportional to its baseline demand times
        its expected price ratio to this power. With 2, a ban on a China-dominated market
        splits ex-China and Chinese prices by roughly 2x, the order seen for gallium after
        the 2023 controls; larger values arbitrage harder but respond more slowly (see
        :attr:`Network.adjustment`).
    supply_adjustment : float
        Largest weight (0..1] of last month's price in producers' expected price (adaptive
        expectations); supply and trade respond to the expected price. Each commodity uses
        at most 1 / (1 + (e_s + trade elasticity) / |e_d|), so its monthly cobweb converges
        without oscillating.
    min_price_ratio : float
        Lowest price ratio; supply that cannot sell there is curtailed.
    rebuild_months : float
        Commercial holders close at most 1/rebuild_months of the gap to their target per
        month: refilling below it, selling down above it.
    restock_price_ratio : float
        Holders refill while the price stays at or below this ratio (they bid the price up to
        it, so producers see the restocking) and sell stock above target down to its inverse;
        stocks therefore return to their target, never above it, and the price to baseline.
        Estimate (a 5% band), not fitted: see docs/calibration.md.
    min_demand_elasticity : float
        Demand elasticities closer to zero are clamped here (a price must exist).
    cost_tranches : int
        Number of unit-cost tranches per (commodity, segment) for capacity exits.
    default_release_share : float
        Monthly release limit (share of initial holdings) of data stockpiles no policy governs.
    inventory_release_price : float
        Price ratio at which commercial holders release their whole stock in a month; below
        it they release the share (p - 1) / (inventory_release_price - 1), nothing at the
        baseline price (capped at each commodity's price cap). Prices therefore rise while
        stocks are drawn, as gallium's did from the 2023 announcement. 1 = stocks are drawn
        at the baseline price first.
    reservation_price_ratio : float
        Producers' short-run reservation price: below it they withhold (curtail, then
        stockpile) their own output sold at home instead of selling it, so a segment that
        loses export markets holds its price here (China's antimony -10.5%, gallium flat
        after the 2023-24 controls). Not applied to markets under a forced low price; at or
        below ``min_price_ratio`` it is off.
    club_priority_trigger : float
        Under trade-club priority, the club's volume bound for non-members is redirected to
        members only in months after some segment's price exceeded this ratio of baseline.
        Default 0: always, because the redirect is limited to members' shortfall against
        reference demand and so moves nothing in ordinary months; a trigger above 1 would
        switch priority off just after a shock, when members' stocks are empty and
        exporters chase the starved non-member markets' high prices (``docs/policy.md``).

    The crisis-behaviour mechanisms of :mod:`paxsilica.engine.behaviour` and the backstop
    (issue 12) are off at these defaults, so the shipped engine is unchanged; the episode
    calibration switches them on (``docs/calibration.md``).

    contract_share : float
        Share (0 <= s < 1) of volume sold on contracts whose price follows spot with a lag;
        users pay the blend, and the spot price is reported apart. 0: one price.
    contract_lag_months : float
        Contract prices close 1/lag of their gap to spot a month (>= 1).
    long_run_demand_multiple : float
        Long-run demand elasticity = this x the short-run one (>= 1); demand moves from its
        short-run to its long-run curve while a price stays high. 1: off.
    demand_adjustment_months : float
        Demand closes 1/months of its gap to the long-run curve a month (>= 1).
    max_substitution_per_year : float
        Demand moves by at most this share of baseline demand a year (after 2010: about 10%
        of rare-earth demand a year, episodes.md section 8).
    long_run_supply_multiple : float
        Long-run supply elasticity = this x the short-run one (>= 1); capacity ramps so that
        output reaches the long-run response to the expected price. 1: off.
    supply_ramp_months : float
        Capacity closes 1/months of its gap to the long-run response a month (>= 1).
    max_supply_growth_per_year : float
        World capacity of a commodity grows by at most this share of its baseline a year
        (after 2010: non-China rare-earth supply +4% of the market a year, Sprecher et al.).
    backstop_multiple : float
        The price cap becomes a backstop: above the commodity's ``price_cap_ratio`` the price
        is set by the demand curve of ``backstop_elasticity`` up to a backstop price of this
        multiple of the cap (where it stops). Quantities are those of the hard cap: what
        buyers wanted at the cap and gave up is shortage. 1: the hard cap.
    backstop_elasticity : float
        Demand elasticity above the cap (< 0): how far the price must rise for buyers to give
        up each further unit.
    front_running : float
        Between a restriction's ``announce_month`` and its start, the restricted routes'
        weight is raised by this share (buyers pull volume forward, exporters ship ahead of
        the controls), at most as far as those routes' buyers take the extra into their
        cover that month: their gap to the target raised by ``precaution_cover``, over
        ``rebuild_months`` (:func:`paxsilica.engine.trade.pulled_forward`); without
        precautionary cover nothing is pulled forward. 0: off.
    precaution_cover : float
        Holders raise their target cover by this share while a restriction aimed at them is
        announced or in force, while a supply outage of the commodity lasts, and while their
        expected price is above
        ``precaution_trigger_price``; they refill only in calm months (never during a
        shortage) and sell the extra back once the alarm ends. 0: off.
    precaution_trigger_price : float
        Expected price ratio above which holders keep precautionary cover (> 1).
    hoard_multiple : float
        Hoarding (>= 1): while a supply outage of the commodity lasts or their expected price
        is above ``precaution_trigger_price`` (a physical loss or a price already running,
        not a licensing announcement whose bite is uncertain) holders value their stock this
        many times higher: their restocking and full-release prices are multiplied by it, so
        they keep buying toward their target at prices up to it and release only above it.
        1: off.
    export_quota : float
        Share of an export restriction that binds in volume, in [0, 1]. 0: a restriction
        cuts the weight of its routes, and a dearer destination pulls volume back through
        them; 1: each restricted route carries at most its baseline share of the exporter's
        output x what the restriction keeps, as under a quota or licence count
        (:func:`paxsilica.engine.trade.quota_cap`).
    ship_stock_ahead : float
        Share, in [0, 1], of its commercial stock that an exporting region's holders may sell
        each month between a restriction's ``announce_month`` and its start: stock the
        restriction would trap at home, sold with the month's output along the (front-run)
        routes, at most what buyers elsewhere take into their cover that month (their gap to
        the target raised by ``precaution_cover``, over ``rebuild_months``), as germanium's
        exporters shipped more than a month's output in July 2023.
        0: off.
    """

    final_demand_share: tuple[float, float, float] = (0.30, 0.30, 0.40)
    open_market_share: float = 0.2
    observed_routes: bool = True
    trade_price_elasticity: float = 2.0
    supply_adjustment: float = 0.25
    min_price_ratio: float = 0.05
    rebuild_months: float = 3.0
    restock_price_ratio: float = 1.05
    min_demand_elasticity: float = -1e-3
    cost_tranches: int = 3
    default_release_share: float = 1.0 / 6.0
    inventory_release_price: float = 1.5
    reservation_price_ratio: float = 0.9
    club_priority_trigger: float = 0.0
    contract_share: float = 0.0
    contract_lag_months: float = 3.0
    long_run_demand_multiple: float = 1.0
    demand_adjustment_months: float = 12.0
    max_substitution_per_year: float = 0.10
    long_run_supply_multiple: float = 1.0
    supply_ramp_months: float = 12.0
    max_supply_growth_per_year: float = 0.04
    backstop_multiple: float = 1.0
    backstop_elasticity: float = -1.0
    front_running: float = 0.0
    precaution_cover: float = 0.0
    precaution_trigger_price: float = 1.5
    hoard_multiple: float = 1.0
    export_quota: float = 0.0
    ship_stock_ahead: float = 0.0

    def __post_init__(self) -> None:
        checks = (("contract_share", 0.0 <= self.contract_share < 1.0, "in [0, 1)"),
                  ("contract_lag_months", self.contract_lag_months >= 1.0, ">= 1"),
                  ("long_run_demand_multiple", self.long_run_demand_multiple >= 1.0, ">= 1"),
                  ("demand_adjustment_months", self.demand_adjustment_months >= 1.0, ">= 1"),
                  ("max_substitution_per_year", self.max_substitution_per_year >= 0.0, ">= 0"),
                  ("long_run_supply_multiple", self.long_run_supply_multiple >= 1.0, ">= 1"),
                  ("supply_ramp_months", self.supply_ramp_months >= 1.0, ">= 1"),
                  ("max_supply_growth_per_year", self.max_supply_growth_per_year >= 0.0,
                   ">= 0"),
                  ("backstop_multiple", self.backstop_multiple >= 1.0, ">= 1"),
                  ("backstop_elasticity", self.backstop_elasticity < 0.0, "< 0"),
                  ("front_running", self.front_running >= 0.0, ">= 0"),
                  ("precaution_cover", self.precaution_cover >= 0.0, ">= 0"),
                  ("precaution_trigger_price", self.precaution_trigger_price > 1.0, "> 1"),
                  ("hoard_multiple", self.hoard_multiple >= 1.0, ">= 1"),
                  ("export_quota", 0.0 <= self.export_quota <= 1.0, "in [0, 1]"),
                  ("ship_stock_ahead", 0.0 <= self.ship_stock_ahead <= 1.0, "in [0, 1]"))
        bad = [f"{name} = {getattr(self, name)!r} (expected {rule})"
               for name, ok, rule in checks if not ok]
        if bad:
            raise ModelError("invalid engine options: " + "; ".join(bad))

    @property
    def contracts(self) -> bool:
        """Whether contract and spot prices differ (``contract_share`` > 0)."""
        return self.contract_share > 0.0

    @property
    def alarms(self) -> bool:
        """Whether holders react to alarms (precautionary cover or hoarding)."""
        return self.precaution_cover > 0.0 or self.hoard_multiple > 1.0

    @property
    def adjusts_demand(self) -> bool:
        """Whether demand moves toward a long-run curve."""
        return self.long_run_demand_multiple > 1.0

    @property
    def ramps_supply(self) -> bool:
        """Whether capacity ramps toward a long-run response."""
        return self.long_run_supply_multiple > 1.0


@dataclass(frozen=True)
class RegionView:
    """Arrays that depend on which country sits in which region and who is a member (one
    per membership epoch).

    Quantities are per month; shape ``(commodity, region)`` unless noted.
    """

    start_month: int
    region_of: Mapping[str, int]
    supply0: np.ndarray
    capacity0: np.ndarray
    utilisation0: np.ndarray
    demand0: np.ndarray
    stock_target: np.ndarray
    tranche_share: np.ndarray  # (commodity, segment, tranche): share of capacity0
    tranche_cost: np.ndarray  # (commodity, segment, tranche): unit cost / baseline price
    country_share: Mapping[str, np.ndarray] = field(repr=False)  # iso3 -> (commodity, segment)
    tranche_country: Mapping[str, np.ndarray] = field(repr=False)  # iso3 -> (c, g, tranche)
    #: (commodity, exporter, importer): share of an exporter's sales bound for each region
    #: at baseline prices (rows sum to 1)
    route0: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0, 0)))
    #: (region, aggregate) 1 where the region counts in alliance / restricting / others
    aggregate: np.ndarray = field(repr=False, default_factory=lambda: np.eye(N_AGG))

    @property
    def segment_of(self) -> Mapping[str, int]:
        """The first release's name for :attr:`region_of`."""
        return self.region_of

    def share_of(self, countries: Iterable[str]) -> np.ndarray:
        """Share (0..1) of each region's capacity held by ``countries``, ``(commodity, region)``."""
        return _held(self.country_share, countries, self.supply0.shape)

    def tranche_share_of(self, countries: Iterable[str]) -> np.ndarray:
        """Share of each tranche's capacity held by ``countries``, ``(commodity, segment, tranche)``."""
        return _held(self.tranche_country, countries, self.tranche_share.shape)


def _held(by_country: Mapping[str, np.ndarray], countries: Iterable[str],
          shape: tuple[int, ...]) -> np.ndarray:
    total = np.zeros(shape)
    for iso3 in countries:
        if iso3 in by_country:
            total = total + by_country[iso3]
    return np.minimum(total, 1.0)


@dataclass(frozen=True)
class Network:
    """A scenario's market compiled to arrays (commodities in topological order)."""

    commodities: tuple[str, ...]
    regions: tuple[str, ...]
    region_map: RegionMap
    layers: tuple[slice, ...]
    layer_inputs: tuple[np.ndarray, ...]  # per layer: (n_layer, max_inputs), padded with -1
    capabilities: tuple[str, ...]
    capability_index: np.ndarray
    price_usd: np.ndarray
    demand_elasticity: np.ndarray
    supply_elasticity: np.ndarray
    price_cap_ratio: np.ndarray
    exit_months: np.ndarray
    lead_time_months: np.ndarray
    views: tuple[RegionView, ...]
    horizon: int
    options: EngineOptions
    commodity_index: Mapping[str, int]
    blocs: Mapping[str, frozenset[str]]
    #: per layer, the commodities the scenario can move (first in the layer): what a shock,
    #: a policy or an input of them reaches; the rest stay at their baseline every month
    active_layers: tuple[slice, ...]
    chokepoints: pd.DataFrame = field(repr=False)
    #: (input, output): share of an input's demand derived from each output (:func:`recipe_use`)
    use_share: np.ndarray = field(repr=False)

    @property
    def price_ceiling_ratio(self) -> np.ndarray:
        """Per commodity, the highest price the clearing can set (x baseline): the price cap,
        or with a backstop the backstop price (cap x ``backstop_multiple``)."""
        return self.price_cap_ratio * max(self.options.backstop_multiple, 1.0)

    @property
    def adjustment(self) -> np.ndarray:
        """Per-commodity weight of the last price in the expected price, ``(commodity,)``.

        The monthly cobweb with adaptive expectations moves a deviation x of the expected
        price to (1 - w (1 + k)) x with k = (supply elasticity + trade price elasticity) /
        |demand elasticity| (imports respond to the expected price like supply does);
        w <= 1 / (1 + k) makes it converge without oscillating.
        """
        k = ((self.supply_elasticity + self.options.trade_price_elasticity)
             / np.abs(self.demand_elasticity))
        return np.minimum(self.options.supply_adjustment, 1.0 / (1.0 + k))

    @property
    def n_commodities(self) -> int:
        return len(self.commodities)

    @property
    def n_regions(self) -> int:
        return len(self.regions)

    def region_mask(self, names: Iterable[str], where: str, view: int = 0) -> np.ndarray:
        """``(region,)`` 1 for each region named, or holding a named country or bloc member.

        Raises ScenarioError (``field=where``) for a name that is none of these.
        """
        mask = np.zeros(self.n_regions)
        by_name = {r: g for g, r in enumerate(self.regions)}
        region_of = self.views[view].region_of
        for name in names:
            if name in by_name:
                mask[by_name[name]] = 1.0
                continue
            if name not in self.blocs and name not in region_of:
                raise ScenarioError(f"'{name}' is not a region of map '{self.region_map.name}' "
                                    f"({', '.join(self.regions)}), a country or a bloc",
                                    field=where)
            for iso3 in self.countries([name]):
                mask[region_of.get(iso3, self.rest_index)] = 1.0
        return mask

    @property
    def rest_index(self) -> int:
        return self.regions.index(self.region_map.rest)

    def view_at(self, month: int) -> int:
        """Index of the membership epoch in force at ``month``."""
        idx = 0
        for k, view in enumerate(self.views):
            if view.start_month <= month:
                idx = k
        return idx

    def countries(self, names: Iterable[str] | None) -> frozenset[str]:
        """ISO3 codes for a list of ISO3 codes and bloc ids (a bloc id stands for its members)."""
        out: set[str] = set()
        for name in names or ():
            out |= self.blocs.get(name, frozenset({name}))
        return frozenset(out)

    def index(self, ids: Sequence[str] | None, where: str) -> np.ndarray:
        """Topological indices of commodity ids; all commodities when ``ids`` is None."""
        if ids is None:
            return np.arange(self.n_commodities)
        missing = [c for c in ids if c not in self.commodity_index]
        if missing:
            raise ScenarioError(f"unknown commodity '{missing[0]}'; the dataset has "
                                f"{', '.join(sorted(self.commodity_index))}", field=where)
        return np.array(sorted({self.commodity_index[c] for c in ids}), dtype=np.intp)


# -- topological order ---------------------------------------------------------------------
def topological_layers(commodities: Sequence[str], recipes: pd.DataFrame) -> list[list[str]]:
    """Commodities grouped in layers: layer 0 has no inputs, layer k uses inputs of layers < k.

    Within a layer the input order of ``commodities`` is kept. Raises ModelError naming the
    cycle when ``recipes`` contain one.
    """
    known = set(commodities)
    inputs: dict[str, set[str]] = {c: set() for c in commodities}
    for row, (out, inp) in enumerate(zip(recipes["output"], recipes["input"], strict=True)):
        for col, value in (("output", out), ("input", inp)):
            if value not in known:
                raise DataError(f"commodity '{value}' is not in commodities.csv",
                                file="recipes.csv", row=row + 2, field=col)
        inputs[out].add(inp)
    layer_of: dict[str, int] = {}
    remaining = list(commodities)
    while remaining:
        ready = [c for c in remaining if all(i in layer_of for i in inputs[c])]
        if not ready:
            raise ModelError(f"recipes form a cycle: {' -> '.join(_find_cycle(remaining, inputs))}")
        for c in ready:
            layer_of[c] = 1 + max((layer_of[i] for i in inputs[c]), default=-1)
        remaining = [c for c in remaining if c not in layer_of]
    n_layers = 1 + max(layer_of.values(), default=-1)
    return [[c for c in commodities if layer_of[c] == k] for k in range(n_layers)]


def _find_cycle(nodes: list[str], inputs: Mapping[str, set[str]]) -> list[str]:
    """One cycle among ``nodes`` (each of which has an unresolved input), first node repeated."""
    pending = set(nodes)
    path: list[str] = [nodes[0]]
    while True:
        nxt = sorted(i for i in inputs[path[-1]] if i in pending)[0]
        if nxt in path:
            cycle = path[path.index(nxt):]
            return [*cycle, nxt]
        path.append(nxt)


# -- compile --------------------------------------------------------------------------------
def region_map_for(ds: Dataset, scn: Any, regions: RegionMap | str | None = None) -> RegionMap:
    """The region map a run clears: ``regions`` (a map or a map id), else the scenario's
    ``regions`` field, else the package's default. ScenarioError names unknown ids."""
    if isinstance(regions, RegionMap):
        return regions
    name = regions or getattr(scn, "regions", None)
    try:
        return ds.region_map(name)
    except NotFoundError as exc:
        raise ScenarioError(str(exc), field="regions") from None


def compile_network(ds: Dataset, scn: Any, options: EngineOptions | None = None,
                    regions: RegionMap | str | None = None) -> Network:
    """Compile ``ds`` and the deterministic parts of ``scn`` into a :class:`Network`.

    ``regions``: the region map (see :func:`region_map_for`).
    """
    options = options or EngineOptions()
    rmap = region_map_for(ds, scn, regions)
    table = ds.commodities
    check_inputs_produced(ds)
    layers_ids = topological_layers(list(table["id"]), ds.recipes)
    moved = active_commodities(ds, scn, rmap)
    if moved is not None:  # the scenario's commodities first within each layer
        layers_ids = [[c for c in layer if c in moved] + [c for c in layer if c not in moved]
                      for layer in layers_ids]
    order = [c for layer in layers_ids for c in layer]
    index = {c: k for k, c in enumerate(order)}
    rows = table.set_index("id").loc[order]
    layers, active, start = [], [], 0
    for layer in layers_ids:
        layers.append(slice(start, start + len(layer)))
        n_active = len(layer) if moved is None else sum(c in moved for c in layer)
        active.append(slice(start, start + n_active))
        start += len(layer)
    blocs = {b: ds.members(b) for b in ds.bloc_names()}
    cap_flags = rows["is_capability"].fillna(False).astype(bool).to_numpy()
    base = dict(
        commodities=tuple(order),
        regions=tuple(rmap.regions),
        region_map=rmap,
        layers=tuple(layers),
        layer_inputs=tuple(_layer_inputs(layers, order, index, ds.recipes)),
        capabilities=tuple(c for c, flag in zip(order, cap_flags, strict=True) if flag),
        capability_index=np.flatnonzero(cap_flags),
        price_usd=rows["price_usd"].astype(float).to_numpy(),
        demand_elasticity=_demand_elasticity(rows, options),
        supply_elasticity=rows["supply_elasticity"].astype(float).to_numpy(),
        price_cap_ratio=rows["price_cap_ratio"].astype(float).to_numpy(),
        exit_months=rows["exit_months"].astype(int).to_numpy(),
        lead_time_months=rows["lead_time_months"].astype(int).to_numpy(),
        horizon=int(scn.horizon_months),
        options=options,
        commodity_index=index,
        blocs=blocs,
        active_layers=tuple(active),
        chokepoints=ds.chokepoints,
    )
    final = None
    views = []
    for month, region_of, aggregate in _epochs(scn, blocs, ds, rmap):
        if final is None or rmap.by_scenario:
            final = _final_split(ds, rmap, region_of, options)
        views.append(_view(ds, order, index, region_of, month, options, final, aggregate,
                           rmap.regions.index(rmap.rest)))
    use = recipe_use(ds, index, views[0].supply0.sum(axis=1))
    return Network(views=tuple(views), use_share=use, **base)


def _demand_elasticity(rows: pd.DataFrame, options: EngineOptions) -> np.ndarray:
    """Per commodity of ``rows`` (commodity table rows in the network's order), at most
    ``options.min_demand_elasticity`` (a demand that never responds would not clear)."""
    return np.minimum(rows["demand_elasticity"].astype(float).to_numpy(),
                      options.min_demand_elasticity)


#: EngineOptions fields that shape the compiled network (routes, tranches, final demand);
#: the others act in the month step, so :func:`retune` may change them.
COMPILE_FIELDS = ("final_demand_share", "open_market_share", "observed_routes",
                  "cost_tranches", "min_demand_elasticity")


def retune(net: Network, ds: Dataset, options: EngineOptions) -> Network:
    """``net`` with the behaviour of ``options`` and the demand elasticities of ``ds``'s
    commodity table, without compiling again: what a run sampling behavioural parameters
    does per parameter set. ``ds`` must be the compiled dataset but for the elasticities.

    Raises
    ------
    ModelError
        ``options`` differs from the network's in a field that shapes the network
        (:data:`COMPILE_FIELDS`), or ``ds`` lacks one of its commodities.
    """
    changed = [name for name in COMPILE_FIELDS
               if getattr(options, name) != getattr(net.options, name)]
    if changed:
        raise ModelError(f"options {', '.join(changed)} shape the network: compile it again")
    table = ds.commodities.set_index("id")
    missing = sorted(set(net.commodities) - set(table.index))
    if missing:
        raise ModelError(f"commodities {', '.join(missing)} are not in the dataset")
    rows = table.loc[list(net.commodities)]
    return dataclasses.replace(net, options=options,
                               demand_elasticity=_demand_elasticity(rows, options))


def active_commodities(ds: Dataset, scn: Any, rmap: RegionMap) -> frozenset[str] | None:
    """The commodities a scenario can move away from their baseline; None for all.

    A shock's or policy's commodities and everything made from them (inputs limit outputs
    through the recipes; nothing in the month step passes a change upstream: demand for an
    input does not follow its users' output). Trade-club priority, and a membership change on
    the three-segment map (it moves a country's demand between segments), can move any
    commodity. The others stay at the baseline month every month, so the step skips them.
    """
    resolved = scn.resolved()
    seeds: set[str] = set()
    for shock in resolved.shocks:
        if isinstance(shock, ChokepointClosure) and not shock.commodities:
            rows = ds.chokepoints[ds.chokepoints["route"] == shock.route]
            seeds |= set(rows["commodity"])
        else:
            seeds |= set(shock.commodities or ())
    for policy in resolved.policies:
        if isinstance(policy, TradeClubPriority) or (
                isinstance(policy, MembershipChange) and rmap.by_scenario):
            return None
        for name in ("commodity",):
            if getattr(policy, name, None):
                seeds.add(getattr(policy, name))
        for name in ("holdings", "allocation"):
            seeds |= set(getattr(policy, name, None) or {})
    moved = set(seeds)
    grew = True
    while grew:
        users = set(ds.recipes.loc[ds.recipes["input"].isin(moved), "output"])
        grew = not users <= moved
        moved |= users
    return frozenset(moved)


def check_inputs_produced(ds: Dataset) -> None:
    """Refuse recipes whose input nobody produces: the output could not be made at all, and
    treating the input as absent would let the output run unconstrained."""
    produced = set(ds.production.loc[ds.production["quantity"] > 0, "commodity"])
    missing = ds.recipes[~ds.recipes["input"].isin(produced)]
    if not missing.empty:
        row = missing.iloc[0]
        raise ModelError(
            f"'{row['input']}' is an input of '{row['output']}' (recipes.csv) but has no "
            "production with a quantity above 0 (production.csv); add its producers or "
            "remove the recipe row")


def _layer_inputs(layers: list[slice], order: list[str], index: Mapping[str, int],
                  recipes: pd.DataFrame) -> list[np.ndarray]:
    out = []
    for layer in layers:
        lists = [sorted(index[i] for i in recipes.loc[recipes["output"] == c, "input"])
                 for c in order[layer]]
        width = max((len(x) for x in lists), default=0)
        padded = np.full((len(lists), width), -1, dtype=np.intp)
        for k, ins in enumerate(lists):
            padded[k, :len(ins)] = ins
        out.append(padded)
    return out


def _epochs(scn: Any, blocs: Mapping[str, frozenset[str]], ds: Dataset,
            rmap: RegionMap) -> list[tuple[int, dict[str, int], np.ndarray]]:
    """(start month, country -> region, region -> aggregate) for month 0 and each membership
    change. The three-segment map moves a joining country into the alliance segment; other
    maps keep every country in its region and move the region into the alliance aggregate."""
    if scn.bloc not in blocs:
        raise ScenarioError(f"bloc '{scn.bloc}' is not in the data; known blocs: "
                            f"{', '.join(sorted(blocs))}", field="bloc")
    members = set(blocs[scn.bloc])
    restricting: set[str] = set()
    for name in scn.restricting or ():
        restricting |= blocs.get(name, frozenset({name}))
    countries = set(ds.production["iso3"]) | set(ds.countries["iso3"]) | members | restricting
    changes = sorted(
        (int(p.month), p.country) for p in scn.resolved().policies
        if isinstance(p, MembershipChange) and p.bloc == scn.bloc
    )

    def assign() -> tuple[dict[str, int], np.ndarray]:
        if rmap.by_scenario:
            return ({c: ALLIANCE if c in members else RESTRICTING if c in restricting
                     else OTHERS for c in countries if c != REST_OF_WORLD}
                    | {REST_OF_WORLD: OTHERS}), np.eye(N_AGG)
        index = {r: g for g, r in enumerate(rmap.regions)}
        region_of = {c: index[rmap.region_of(c)] for c in countries | set(rmap.countries)}
        return region_of, _aggregate(region_of, len(rmap.regions), members, restricting)

    epochs = [(0, *assign())]
    for month, country in changes:
        members.add(country)
        countries.add(country)
        if epochs[-1][0] == month:
            epochs[-1] = (month, *assign())
        else:
            epochs.append((month, *assign()))
    return epochs


def _aggregate(region_of: Mapping[str, int], n_regions: int, members: set[str],
               restricting: set[str]) -> np.ndarray:
    """(region, aggregate) 0/1: alliance = regions holding a member, restricting = the other
    regions holding a restricting country, others = the rest."""
    agg = np.zeros((n_regions, N_AGG))
    member_regions = {region_of[c] for c in members if c in region_of}
    restricting_regions = {region_of[c] for c in restricting if c in region_of}
    for g in range(n_regions):
        k = (ALLIANCE if g in member_regions else RESTRICTING if g in restricting_regions
             else OTHERS)
        agg[g, k] = 1.0
    return agg


def _view(ds: Dataset, order: list[str], index: Mapping[str, int], region_of: dict[str, int],
          month: int, options: EngineOptions, final: np.ndarray, aggregate: np.ndarray,
          rest: int) -> RegionView:
    n_c, n_g = len(order), len(final)
    prod = ds.latest_production(by_tranche=True)
    prod = prod[prod["commodity"].isin(index)]
    prod, g_idx, weight = _located_rows(prod, region_of, final, rest)
    quantity = prod["quantity"].astype(float).to_numpy() * weight / 12.0
    capacity = (prod["capacity"].astype(float).fillna(prod["quantity"].astype(float)).to_numpy()
                * weight / 12.0)
    capacity = np.maximum(capacity, quantity)
    c_idx = prod["commodity"].map(index).to_numpy(dtype=np.intp)
    supply0 = np.zeros((n_c, n_g))
    capacity0 = np.zeros((n_c, n_g))
    np.add.at(supply0, (c_idx, g_idx), quantity)
    np.add.at(capacity0, (c_idx, g_idx), capacity)
    utilisation0 = np.divide(supply0, capacity0, out=np.ones_like(supply0), where=capacity0 > 0)
    skip = _unprocessed_ores(ds, order, recipe_use(ds, index, supply0.sum(axis=1))) \
        | _mixed_stage_trade(ds)
    demand0 = _demand(ds, order, index, region_of, rest, supply0, final, skip,
                      observed=options.observed_routes)
    route0, demand0 = _routes(ds, index, region_of, rest, supply0, demand0, skip, options)
    cover = ds.inventories.set_index("commodity")["days_of_cover"].astype(float)
    days = np.array([cover.get(c, 0.0) for c in order])
    stock_target = demand0 * (days / DAYS_PER_MONTH)[:, None]
    share_cap = np.divide(capacity, capacity0[c_idx, g_idx], out=np.zeros_like(capacity),
                          where=capacity0[c_idx, g_idx] > 0)
    price = ds.commodities.set_index("id")["price_usd"].astype(float)
    cost = prod["unit_cost"].astype(float).fillna(0.0).to_numpy()
    cost_ratio = np.divide(cost, prod["commodity"].map(price).to_numpy(dtype=float),
                           out=np.zeros_like(cost), where=cost > 0)
    # Producers at or above the baseline price produce at baseline (by-products, support):
    # they count as marginal and leave when the price falls below baseline for long.
    cost_ratio = np.minimum(cost_ratio, 1.0)
    tranche_of = _tranches(cost_ratio, c_idx, g_idx, options.cost_tranches, n_g)
    k_n = options.cost_tranches
    tranche_share = np.zeros((n_c, n_g, k_n))
    tranche_cost_w = np.zeros((n_c, n_g, k_n))
    np.add.at(tranche_share, (c_idx, g_idx, tranche_of), share_cap)
    np.add.at(tranche_cost_w, (c_idx, g_idx, tranche_of), share_cap * cost_ratio)
    tranche_cost = np.divide(tranche_cost_w, tranche_share, out=np.zeros_like(tranche_share),
                             where=tranche_share > 0)
    country_share: dict[str, np.ndarray] = {}
    tranche_country: dict[str, np.ndarray] = {}
    for iso3 in np.unique(prod["iso3"]):
        mask = (prod["iso3"] == iso3).to_numpy()
        cs = np.zeros((n_c, n_g))
        np.add.at(cs, (c_idx[mask], g_idx[mask]), share_cap[mask])
        country_share[iso3] = cs
        tc = np.zeros((n_c, n_g, k_n))
        within = np.divide(share_cap, tranche_share[c_idx, g_idx, tranche_of],
                           out=np.zeros_like(share_cap),
                           where=tranche_share[c_idx, g_idx, tranche_of] > 0)
        np.add.at(tc, (c_idx[mask], g_idx[mask], tranche_of[mask]), within[mask])
        tranche_country[iso3] = tc
    return RegionView(month, region_of, supply0, capacity0, utilisation0, demand0,
                      stock_target, tranche_share, tranche_cost, country_share, tranche_country,
                      route0, aggregate)


#: The first release's name for :class:`RegionView`.
SegmentView = RegionView


def _final_split(ds: Dataset, rmap: RegionMap, region_of: Mapping[str, int],
                 options: EngineOptions) -> np.ndarray:
    """Share of world final use per region, ``(region,)`` summing to 1.

    The three-segment map: :attr:`EngineOptions.final_demand_share` over the segments that
    hold a country. Other maps: the ``final_demand`` table summed per region, the remainder in
    the rest region.
    """
    n_g = len(rmap.regions)
    if rmap.by_scenario:
        has_country = np.zeros(n_g, dtype=bool)
        for seg in region_of.values():
            has_country[seg] = True
        final = np.asarray(options.final_demand_share, dtype=float) * has_country
        return final / final.sum()
    table = ds.tables["final_demand"]
    if table.empty:
        raise ModelError(f"region map '{rmap.name}' needs the final_demand table to locate "
                         "final use (or run the 'segments' map)")
    rest = rmap.regions.index(rmap.rest)
    final = np.zeros(n_g)
    for iso3, share in zip(table["iso3"], table["share"].astype(float), strict=True):
        final[region_of.get(iso3, rest)] += share
    final[rest] += max(0.0, 1.0 - final.sum())
    return final / final.sum()


def _located_rows(prod: pd.DataFrame, region_of: Mapping[str, int], final: np.ndarray,
                  rest: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """(rows, region per row, weight per row), with unlocated production spread.

    A commodity whose production has only ``ROW`` rows has no known location; putting it all
    in the rest region would keep bloc shortages of its inputs away from bloc output
    (vehicles, GaN/GaAs devices). Such a row is split over the regions like final demand
    (``final``), so its derived demand is split that way too.
    """
    is_row = (prod["iso3"] == REST_OF_WORLD).to_numpy()
    known = set(prod.loc[~is_row & (prod["quantity"].astype(float) > 0), "commodity"])
    spread = is_row & ~prod["commodity"].isin(known).to_numpy()
    seg = prod["iso3"].map(lambda c: region_of.get(c, rest)).to_numpy(dtype=np.intp)
    if not spread.any():
        return prod, seg, np.ones(len(prod))
    parts, segs, weights = [prod[~spread]], [seg[~spread]], [np.ones(int((~spread).sum()))]
    for g in np.flatnonzero(final > 0):
        parts.append(prod[spread])
        segs.append(np.full(int(spread.sum()), g, dtype=np.intp))
        weights.append(np.full(int(spread.sum()), final[g]))
    return (pd.concat(parts, ignore_index=True), np.concatenate(segs),
            np.concatenate(weights))


def _tranches(cost_ratio: np.ndarray, c_idx: np.ndarray, g_idx: np.ndarray,
              k_n: int, n_g: int) -> np.ndarray:
    """Tranche index per production row: rows of one (commodity, region) grouped by cost.

    Rows without a unit cost (ratio 0) keep a tranche of their own when the segment also has
    costed rows (and there are at least two tranches), so they never exit with them.
    """
    tranche = np.zeros(len(cost_ratio), dtype=np.intp)
    keys = c_idx * n_g + g_idx
    for key in np.unique(keys):
        rows = np.flatnonzero(keys == key)
        known = cost_ratio[rows] > 0
        if k_n > 1 and known.any() and not known.all():
            tranche[rows[known]] = 1 + cost_groups(cost_ratio[rows[known]], k_n - 1)
        else:
            tranche[rows] = cost_groups(cost_ratio[rows], k_n)
    return tranche


def cost_groups(costs: Sequence[float] | np.ndarray, max_groups: int) -> np.ndarray:
    """Group index per item (0 = cheapest): costs sorted and cut at their largest rises.

    At most ``max_groups - 1`` cuts, each between neighbours whose costs differ ("natural
    breaks"), so equal costs share a group and items far apart in cost land in different
    groups whatever their number. Of equal rises the cheaper one is cut first.

    Examples
    --------
    >>> cost_groups([30.0, 10.0, 11.0, 90.0, 31.0], 3).tolist()
    [1, 0, 0, 2, 1]
    >>> cost_groups([5.0, 5.0, 5.0], 3).tolist()
    [0, 0, 0]
    """
    values = np.asarray(costs, dtype=float)
    if max_groups < 1:
        raise ValueError(f"max_groups must be >= 1, got {max_groups}")
    order = np.argsort(values, kind="stable")
    rises = np.diff(values[order])
    candidates = np.flatnonzero(rises > 0)
    cuts = candidates[np.argsort(-rises[candidates], kind="stable")[:max_groups - 1]]
    step = np.zeros(values.size, dtype=np.intp)
    step[cuts + 1] = 1
    group = np.empty(values.size, dtype=np.intp)
    group[order] = np.cumsum(step)
    return group


def _demand(ds: Dataset, order: list[str], index: Mapping[str, int], region_of: dict[str, int],
            rest: int, supply0: np.ndarray, final: np.ndarray, skip: frozenset[str],
            observed: bool) -> np.ndarray:
    """Baseline monthly demand per (commodity, region) from recipes and final use; with
    ``observed`` False, apparent consumption where trade data exist (with True,
    :func:`_routes` locates those). World demand = world production."""
    world = supply0.sum(axis=1)
    use = recipe_use(ds, index, world)
    share = use @ production_share(supply0) + (1.0 - use.sum(axis=1))[:, None] * final
    if not observed:
        share = _trade_share(ds, order, index, region_of, rest, supply0, share, skip=skip)
    return share * world[:, None]


def _routes(ds: Dataset, index: Mapping[str, int], region_of: Mapping[str, int], rest: int,
            supply0: np.ndarray, demand0: np.ndarray, skip: frozenset[str],
            options: EngineOptions) -> tuple[np.ndarray, np.ndarray]:
    """(route0 ``(commodity, exporter, importer)``, demand0) at baseline prices.

    Without trade data an exporter sells pro rata to demand. With them (and
    :attr:`EngineOptions.observed_routes`), each exporting region sells its observed exports
    to each region (latest year, capped in total at its output: re-exports count once) and
    keeps the rest at home; :attr:`EngineOptions.open_market_share` of its output is sold pro
    rata to the demand these routes imply, which leaves that demand unchanged. Demand then
    is ``supply0 @ route0``: production + imports - exports.
    """
    n_c, n_g = demand0.shape
    world = demand0.sum(axis=1, keepdims=True)
    market = np.divide(demand0, world, out=np.full_like(demand0, 1.0 / n_g), where=world > 0)
    route = np.repeat(market[:, None, :], n_g, axis=1)
    trade = ds.trade
    if not options.observed_routes or trade.empty:
        return route, demand0
    demand = demand0.copy()
    mu = float(np.clip(options.open_market_share, 0.0, 1.0))
    latest = trade[trade["year"] == trade.groupby("commodity")["year"].transform("max")]
    for commodity, rows in latest.groupby("commodity"):
        if commodity not in index or commodity in skip:
            continue
        c = index[commodity]
        flow = np.zeros((n_g, n_g))
        i = rows["exporter"].map(lambda x: region_of.get(x, rest)).to_numpy(dtype=np.intp)
        j = rows["importer"].map(lambda x: region_of.get(x, rest)).to_numpy(dtype=np.intp)
        np.add.at(flow, (i, j), rows["quantity"].astype(float).to_numpy() / 12.0)
        np.fill_diagonal(flow, 0.0)
        out = supply0[c][:, None]
        shares = np.divide(flow, out, out=np.zeros_like(flow), where=out > 0)
        shares /= np.maximum(shares.sum(axis=1), 1.0)[:, None]
        observed = shares + np.diag(1.0 - shares.sum(axis=1))
        implied = supply0[c] @ observed
        if implied.sum() <= 0:
            continue
        m = implied / implied.sum()
        routed = (1.0 - mu) * observed + mu * m[None, :]
        routed[supply0[c] <= 0] = m
        route[c] = routed
        demand[c] = supply0[c] @ routed
    return route, demand


def _mixed_stage_trade(ds: Dataset) -> frozenset[str]:
    """Commodities traded under a code that also holds another stage's products
    (``trade_codes.same_stage`` false): their apparent consumption would mix stages."""
    return frozenset(c for c, v in ds.trade_coverage().items() if v == "mixed_stage")


def _unprocessed_ores(ds: Dataset, order: list[str], use: np.ndarray) -> frozenset[str]:
    """Mine-stage commodities that no modelled commodity processes.

    Their ore's apparent consumption shows where the ore is refined (China imports antimony
    ore to refine it for the world), not where the metal is used, so their demand keeps the
    final-use split instead of the trade split.
    """
    stage = dict(zip(ds.commodities["id"], ds.commodities["stage"], strict=True))
    return frozenset(c for i, c in enumerate(order)
                     if stage.get(c) == "mining" and use[i].sum() <= 0)


def production_share(supply0: np.ndarray) -> np.ndarray:
    """Each segment's share of world output, ``(commodity, segment)`` (0 where none)."""
    world = supply0.sum(axis=1, keepdims=True)
    return np.divide(supply0, world, out=np.zeros_like(supply0), where=world > 0)


def recipe_use(ds: Dataset, index: Mapping[str, int], world: np.ndarray) -> np.ndarray:
    """Share of each input's demand derived from each output, ``(input, output)``.

    ``input_share`` of the recipes whose output is produced somewhere, scaled down where an
    input's shares sum above 1; the rest of the input's demand (1 - row sum) is final use.
    """
    use = np.zeros((len(index), len(index)))
    for out, inp, input_share in zip(ds.recipes["output"], ds.recipes["input"],
                                     ds.recipes["input_share"].astype(float), strict=True):
        if world[index[out]] > 0:
            use[index[inp], index[out]] += input_share
    return use / np.maximum(use.sum(axis=1), 1.0)[:, None]


def _trade_share(ds: Dataset, order: list[str], index: Mapping[str, int],
                 segment_of: dict[str, int], rest: int, supply0: np.ndarray,
                 share: np.ndarray, skip: frozenset[str] = frozenset()) -> np.ndarray:
    """Replace the demand split by apparent consumption where trade data exist."""
    trade = ds.trade
    if trade.empty:
        return share
    latest = trade[trade["year"] == trade.groupby("commodity")["year"].transform("max")]
    out = share.copy()
    for commodity, rows in latest.groupby("commodity"):
        if commodity not in index or commodity in skip:
            continue
        c = index[commodity]
        net = supply0[c].copy()
        for col, sign in (("importer", 1.0), ("exporter", -1.0)):
            seg = rows[col].map(lambda x: segment_of.get(x, rest)).to_numpy(dtype=np.intp)
            np.add.at(net, seg, sign * rows["quantity"].astype(float).to_numpy() / 12.0)
        net = np.maximum(net, 0.0)
        if net.sum() > 0:
            out[c] = net / net.sum()
    return out
