"""Shocks compiled against a Network, and their random parameters drawn per block of draws.

Draws are grouped in fixed blocks of :data:`BLOCK_DRAWS`. Block ``k`` takes its Generator from
the ``k``-th child of ``SeedSequence(seed)`` and always draws the parameters of a full block
(then truncates), so draw ``n``'s parameters depend only on ``(seed, n)``: any chunking of the
blocks, and any run size, gives the same numbers for the draws they share.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from paxsilica.dims import SEGMENTS
from paxsilica.engine.network import ALLIANCE, Network
from paxsilica.errors import ScenarioError
from paxsilica.model.scenario import (
    ChokepointClosure,
    DemandSurge,
    ExportRestriction,
    PriceSuppression,
    Scenario,
    SupplyOutage,
)

__all__ = ["BLOCK_DRAWS", "SHOCK_KINDS", "CompiledShock", "ShockDraws", "ShockKind",
           "block_rng", "compile_shocks", "draw_shocks", "stack_draws"]

BLOCK_DRAWS = 4096


def block_rng(seed: int, block: int) -> np.random.Generator:
    """The Generator of block ``block``: the ``block``-th child of ``SeedSequence(seed)``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))


def _sample(param: Any, rng: np.random.Generator, size: int, default: float = 0.0) -> np.ndarray:
    """Draw ``size`` values of a scenario parameter: a number, a distribution, or None.

    This is the one place the engine couples to the scenario's distribution objects: anything
    with ``.sample(rng, size)`` works, and so does the spec's plain mapping form
    (``{"dist": "uniform", "low": .., "high": ..}``).
    """
    if param is None:
        return np.full(size, float(default))
    if isinstance(param, int | float | np.number):
        return np.full(size, float(param))
    if hasattr(param, "sample"):
        return np.asarray(param.sample(rng, size), dtype=float).reshape(size)
    if isinstance(param, dict):
        return _sample_mapping(param, rng, size)
    raise TypeError(f"cannot sample parameter {param!r}")


def _sample_mapping(spec: dict, rng: np.random.Generator, size: int) -> np.ndarray:
    dist = spec["dist"]
    if dist == "uniform":
        return rng.uniform(spec["low"], spec["high"], size)
    if dist == "triangular":
        return rng.triangular(spec["low"], spec["mode"], spec["high"], size)
    if dist == "normal":
        values = rng.normal(spec["mean"], spec["sd"], size)
        return np.clip(values, spec.get("low", -np.inf), spec.get("high", np.inf))
    if dist == "beta":
        low, high = spec.get("low", 0.0), spec.get("high", 1.0)
        return low + (high - low) * rng.beta(spec["a"], spec["b"], size)
    if dist == "choice":
        weights = spec.get("weights")
        p = None if weights is None else np.asarray(weights, float) / np.sum(weights)
        return rng.choice(np.asarray(spec["values"], dtype=float), size=size, p=p)
    raise TypeError(f"unknown distribution '{dist}'")


@dataclass(frozen=True)
class CompiledShock:
    """One shock's deterministic part: affected commodities and, per view, its geometry.

    ``geometry[v]`` is, by type: export_restriction ``(n, G, G)`` share of exporter region
    i's exports to j covered; supply_outage and chokepoint_closure ``(n, G)`` share of region
    capacity (or exports) affected; demand_surge ``(G,)`` region mask; price_suppression
    ``(n, G)`` mask of suppressed regions with ``flooder[v]`` ``(n,)`` the flooding region.
    """

    position: int
    type: str
    commodities: np.ndarray
    geometry: tuple[np.ndarray, ...]
    flooder: tuple[np.ndarray, ...] = ()
    source: Any = field(default=None, repr=False)


@dataclass(frozen=True)
class ShockDraws:
    """Random parameters of one shock for the draws of a block (arrays over draws)."""

    start: np.ndarray  # first active month (int)
    end: np.ndarray  # first month no longer active (int); start == end when it never happens
    value: np.ndarray  # severity, magnitude or price_ratio
    leakage: np.ndarray

    def active(self, month: int) -> np.ndarray:
        return (self.start <= month) & (month < self.end)


def compile_shocks(net: Network, scn: Scenario) -> list[CompiledShock]:
    """Compile the scenario's shocks against the network's membership views.

    Defaults (restricting countries, targets) are resolved once, by
    :meth:`Scenario.resolved`; each shock class has one compile function
    (:data:`SHOCK_KINDS`).
    """
    out = []
    for pos, shock in enumerate(scn.resolved().shocks):
        kind = SHOCK_KINDS.get(type(shock))
        if kind is None:
            raise ScenarioError(f"unknown shock type '{shock.type}'",
                                field=f"shocks[{pos}].type")
        out.append(kind.compile(net, scn, shock, pos, f"shocks[{pos}]"))
    return out


def _compile_surge(net: Network, scn: Scenario, shock: DemandSurge, pos: int,
                   where: str) -> CompiledShock:
    idx = net.index(shock.commodities, f"{where}.commodities")
    masks = []
    for v, view in enumerate(net.views):
        if shock.segments is None and shock.regions is None:
            masks.append(np.ones(net.n_regions))
            continue
        mask = np.zeros(net.n_regions)
        if shock.segments is not None:
            chosen = [SEGMENTS.index(seg) for seg in shock.segments]
            mask = np.maximum(mask, view.aggregate[:, chosen].max(axis=1))
        if shock.regions is not None:
            mask = np.maximum(mask, net.region_mask(shock.regions, f"{where}.regions", v))
        masks.append(mask)
    return CompiledShock(pos, shock.type, idx, tuple(masks), (), shock)


def _shares(net: Network, shock: Any, where: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """(commodity indices, per view the shock countries' capacity share (n, G))."""
    idx = net.index(shock.commodities, f"{where}.commodities")
    countries = net.countries(shock.countries)
    return idx, [view.share_of(countries)[idx] for view in net.views]


def _compile_outage(net: Network, scn: Scenario, shock: SupplyOutage, pos: int,
                    where: str) -> CompiledShock:
    idx, shares = _shares(net, shock, where)
    return CompiledShock(pos, shock.type, idx, tuple(shares), (), shock)


def _compile_restriction(net: Network, scn: Scenario, shock: ExportRestriction, pos: int,
                         where: str) -> CompiledShock:
    idx, shares = _shares(net, shock, where)
    geometry = tuple(_restriction_geometry(net, scn, shock, share, v, f"{where}.targets")
                     for v, share in enumerate(shares))
    return CompiledShock(pos, shock.type, idx, geometry, (), shock)


def _compile_suppression(net: Network, scn: Scenario, shock: PriceSuppression, pos: int,
                         where: str) -> CompiledShock:
    idx, shares = _shares(net, shock, where)
    flooders = tuple(np.argmax(share, axis=1) for share in shares)
    masks = tuple((np.arange(net.n_regions)[None, :] != f[:, None]).astype(float)
                  for f in flooders)
    return CompiledShock(pos, shock.type, idx, masks, flooders, shock)


def _restriction_geometry(net: Network, scn: Scenario, shock: ExportRestriction,
                          share: np.ndarray, v: int, where: str) -> np.ndarray:
    """(n, G, G): share of exporter region i's sales to region j the restriction covers.

    Targets: ``all``, the scenario's bloc (the regions of its members at that view), or any
    region id, country or bloc (the regions holding them). A region never restricts itself.
    """
    targets = shock.targets
    if targets == "all":
        target = np.ones(net.n_regions)
    elif targets == scn.bloc:
        target = net.views[v].aggregate[:, ALLIANCE]
    else:
        target = net.region_mask([targets], where, v)
    off_diagonal = 1.0 - np.eye(net.n_regions)
    return share[:, :, None] * target[None, None, :] * off_diagonal[None]


def _compile_chokepoint(net: Network, scn: Scenario, shock: ChokepointClosure, pos: int,
                        where: str) -> CompiledShock:
    table = net.chokepoints
    rows = table[table["route"] == shock.route]
    if shock.countries:
        rows = rows[rows["iso3"].isin(net.countries(shock.countries))]
    ids = shock.commodities
    idx = net.index(ids if ids else sorted(set(rows["commodity"]) & set(net.commodity_index)),
                    f"{where}.commodities")
    local = {c: k for k, c in enumerate(idx)}
    geometry = []
    for view in net.views:
        share = np.zeros((len(idx), net.n_regions))
        for iso3, commodity, transit in zip(rows["iso3"], rows["commodity"],
                                            rows["transit_share"].astype(float), strict=True):
            c = net.commodity_index.get(commodity)
            if c is None or c not in local or iso3 not in view.country_share:
                continue
            share[local[c]] += transit * view.country_share[iso3][c]
        geometry.append(np.minimum(share, 1.0))
    return CompiledShock(pos, "chokepoint_closure", idx, tuple(geometry), (), shock)


def draw_shocks(shocks: Sequence[CompiledShock], horizon: int, seed: int, block: int,
                n_draws: int) -> list[ShockDraws]:
    """Parameters of every shock for the first ``n_draws`` draws of block ``block``."""
    rng = block_rng(seed, block)
    size = BLOCK_DRAWS
    out = []
    for shock in shocks:
        src = shock.source
        kind = SHOCK_KINDS[type(src)]
        probability = np.clip(_sample(src.probability, rng, size, 1.0), 0, 1)
        happens = rng.random(size) < probability
        start = np.maximum(np.rint(_sample(src.start_month, rng, size)), 0)
        length = np.maximum(np.rint(_sample(src.duration_months, rng, size, horizon)), 0)
        value = _sample(getattr(src, kind.value), rng, size, kind.default)
        leakage = _sample(getattr(src, "leakage", None), rng, size, 0.0)
        start = start.astype(np.int64)
        end = np.where(happens, start + length.astype(np.int64), start)
        out.append(ShockDraws(start[:n_draws], end[:n_draws], value[:n_draws],
                              leakage[:n_draws]))
    return out


def stack_draws(draws: Sequence[ShockDraws], n_draws: int,
                dtype: Any = np.float64) -> tuple[np.ndarray, ...]:
    """(start, end, value, leakage) of every shock, each ``(shock, draw)``: the form the
    month step takes (:mod:`paxsilica.engine.step`)."""
    def stack(name: str, kind: Any) -> np.ndarray:
        if not draws:
            return np.zeros((0, n_draws), dtype=kind)
        return np.stack([getattr(d, name) for d in draws]).astype(kind)

    return (stack("start", np.int32), stack("end", np.int32), stack("value", dtype),
            stack("leakage", dtype))


@dataclass(frozen=True)
class ShockKind:
    """How one shock class compiles and which of its fields is drawn per draw."""

    compile: Callable[..., CompiledShock]
    value: str  # the drawn severity-like field
    default: float  # its value when the scenario leaves it out


#: One entry per shock class of :mod:`paxsilica.model.scenario`: the only place the engine
#: dispatches on a shock's kind when compiling and drawing it.
SHOCK_KINDS: dict[type, ShockKind] = {
    ExportRestriction: ShockKind(_compile_restriction, "severity", 0.0),
    SupplyOutage: ShockKind(_compile_outage, "severity", 0.0),
    DemandSurge: ShockKind(_compile_surge, "magnitude", 0.0),
    PriceSuppression: ShockKind(_compile_suppression, "price_ratio", 0.0),
    ChokepointClosure: ShockKind(_compile_chokepoint, "severity", 1.0),
}

