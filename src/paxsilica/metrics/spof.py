"""Single points of failure on the recipe graph: the nodes an N-1 sweep shocks, and the
structural view that needs no simulation.

A **node** is one country's production of one commodity, ``(iso3, commodity)``, in the
commodity's latest data year. :func:`outage_nodes` lists those holding at least a threshold
share of world output (the candidates of the N-1 sweep in :mod:`paxsilica.policy.n_minus_one`).

Structural view (graph analysis)
--------------------------------
The recipes form a directed acyclic graph, input -> output. Read as an AND/OR graph:

* a commodity is **available** when some supplier of it is left (OR over producing countries:
  trade is pooled, any producer can serve any buyer) **and** every one of its inputs is
  available (AND over the bill of materials: Leontief output needs all inputs);
* a commodity with no production rows at all (devices, vehicles: made from their inputs, not
  attributed to countries) has no supplier test of its own, only its inputs'.

"Some supplier is left" after a country's loss means: the rest of the world still makes more
than ``1 - dominance`` of the commodity's output. With ``dominance=1`` that is the literal test
(any other producer with positive output, ``ROW`` included, counts); ``dominance=0.9`` treats a
commodity as single-country when the others together make 10% or less, which no buyer can live
on within the months an outage lasts (capacity outside a dominant producer ramps over years).

:func:`sole_sources` lists the commodities a single country supplies in that sense.
:func:`capability_cuts` removes each country's whole production of each commodity in turn,
evaluates the AND/OR graph, and reports every capability (``is_capability``) left without a
supply route, with the chain of recipes from the lost input to it. ``ROW`` (the publisher's
lumped remainder) is never a node: it is not one country.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

import pandas as pd

from paxsilica.data.schema import REST_OF_WORLD
from paxsilica.errors import ModelError
from paxsilica.model.dataset import Dataset

__all__ = ["DEFAULT_DOMINANCE", "DEFAULT_THRESHOLD", "capability_cuts", "outage_nodes",
           "recipe_inputs", "sole_sources", "upstream_of"]

#: Share of world output (0..1) from which a country's production is an N-1 node.
DEFAULT_THRESHOLD = 0.05
#: Share of world output (0..1) from which one country counts as the only supplier (see above).
DEFAULT_DOMINANCE = 0.9


def _check_share(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 < value <= 1.0:
        raise ModelError(f"{name} must be a share of world output in (0, 1], got {value:g}")
    return value


def outage_nodes(ds: Dataset, threshold: float = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Every (country, commodity) with at least ``threshold`` of world output, latest year.

    Returns
    -------
    DataFrame
        ``iso3``, ``commodity``, ``year``, ``quantity`` (commodity unit per year) and
        ``share`` (0..1 of world output, ROW included in the world), largest share first
        (ties: commodity, then iso3). ``ROW`` is left out.

    Raises
    ------
    ModelError
        ``threshold`` outside (0, 1].
    """
    threshold = _check_share("threshold", threshold)
    latest = ds.latest_production()
    rows = latest[(latest["iso3"] != REST_OF_WORLD) & (latest["quantity"] > 0)
                  & (latest["share"] >= threshold)]
    out = rows[["iso3", "commodity", "year", "quantity", "share"]].astype(
        {"iso3": str, "commodity": str, "quantity": float, "share": float})
    out = out.sort_values(["share", "commodity", "iso3"], ascending=[False, True, True])
    return out.reset_index(drop=True)


def recipe_inputs(ds: Dataset) -> dict[str, tuple[str, ...]]:
    """Output commodity -> its recipe inputs (sorted)."""
    inputs: dict[str, set[str]] = {}
    for output, item in zip(ds.recipes["output"], ds.recipes["input"], strict=True):
        inputs.setdefault(str(output), set()).add(str(item))
    return {k: tuple(sorted(v)) for k, v in inputs.items()}


def upstream_of(inputs: Mapping[str, tuple[str, ...]], commodity: str) -> set[str]:
    """Every commodity ``commodity`` is made from, directly or through other inputs."""
    seen: set[str] = set()
    stack = list(inputs.get(commodity, ()))
    while stack:
        item = stack.pop()
        if item not in seen:
            seen.add(item)
            stack.extend(inputs.get(item, ()))
    return seen


def sole_sources(ds: Dataset, dominance: float = DEFAULT_DOMINANCE) -> pd.DataFrame:
    """Commodities with no supplier outside one country (see the module docstring).

    Returns
    -------
    DataFrame
        ``commodity``, ``iso3`` (the single supplier), ``share`` (its share of world output,
        0..1) and ``rest_share`` (everyone else's, ROW included), largest share first.
    """
    dominance = _check_share("dominance", dominance)
    shares = _shares(ds)
    rows = [{"commodity": c, "iso3": iso3, "share": share, "rest_share": 1.0 - share}
            for c, by_country in shares.items() for iso3, share in by_country.items()
            if iso3 != REST_OF_WORLD and not _supplier_left(1.0 - share, dominance)]
    out = pd.DataFrame(rows, columns=["commodity", "iso3", "share", "rest_share"])
    return out.sort_values(["share", "commodity"], ascending=[False, True]).reset_index(
        drop=True)


def capability_cuts(ds: Dataset, dominance: float = DEFAULT_DOMINANCE) -> pd.DataFrame:
    """Capabilities whose every supply route passes through one country.

    For each country and each commodity it produces, the country's whole production of that
    commodity is removed and the AND/OR availability of the recipe graph re-evaluated (module
    docstring); each capability that becomes unavailable is a row.

    Returns
    -------
    DataFrame
        ``capability``, ``iso3``, ``commodity`` (the lost input), ``share`` (the country's
        share of it, 0..1) and ``path`` (tuple of commodity ids from the lost input to the
        capability, shortest chain of recipes), sorted by capability, share (largest first).
    """
    dominance = _check_share("dominance", dominance)
    shares = _shares(ds)
    inputs = recipe_inputs(ds)
    flags = ds.commodities["is_capability"].fillna(False).astype(bool)
    capabilities = sorted(str(c) for c in ds.commodities.loc[flags, "id"])
    intact = _availability(inputs, shares, dominance, None)
    rows = []
    for commodity, by_country in shares.items():
        for iso3, share in by_country.items():
            if iso3 == REST_OF_WORLD:
                continue
            after = _availability(inputs, shares, dominance, (iso3, commodity))
            for cap in capabilities:
                if intact(cap) and not after(cap):
                    rows.append({"capability": cap, "iso3": iso3, "commodity": commodity,
                                 "share": share, "path": _path(inputs, commodity, cap)})
    out = pd.DataFrame(rows, columns=["capability", "iso3", "commodity", "share", "path"])
    return out.sort_values(["capability", "share", "commodity"],
                           ascending=[True, False, True]).reset_index(drop=True)


# -- the AND/OR graph ------------------------------------------------------------------------
def _shares(ds: Dataset) -> dict[str, dict[str, float]]:
    """commodity -> iso3 -> share of world output (latest year; ROW included)."""
    latest = ds.latest_production()
    latest = latest[latest["quantity"] > 0]
    out: dict[str, dict[str, float]] = {}
    for c, iso3, share in zip(latest["commodity"], latest["iso3"], latest["share"], strict=True):
        out.setdefault(str(c), {})[str(iso3)] = float(share)
    return out


def _supplier_left(rest_share: float, dominance: float) -> bool:
    # 1e-12: shares are sums of floats; "nothing left" must not read as 1e-17 left
    return rest_share > 1.0 - dominance + 1e-12


def _availability(inputs: Mapping[str, tuple[str, ...]],
                  shares: Mapping[str, Mapping[str, float]], dominance: float,
                  removed: tuple[str, str] | None):
    """A memoised ``available(commodity) -> bool`` with ``removed`` = (iso3, commodity) lost."""
    memo: dict[str, bool] = {}

    def available(commodity: str) -> bool:
        if commodity not in memo:
            by_country = shares.get(commodity)
            own = True  # no production rows: made from its inputs only
            if by_country:
                lost = (by_country.get(removed[0], 0.0)
                        if removed is not None and removed[1] == commodity else 0.0)
                own = _supplier_left(sum(by_country.values()) - lost, dominance)
            memo[commodity] = own and all(available(i) for i in inputs.get(commodity, ()))
        return memo[commodity]

    return available


def _path(inputs: Mapping[str, tuple[str, ...]], start: str, goal: str) -> tuple[str, ...]:
    """The shortest chain of recipes from ``start`` down to ``goal`` (breadth first)."""
    users: dict[str, list[str]] = {}
    for output, items in inputs.items():
        for item in items:
            users.setdefault(item, []).append(output)
    previous: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            break
        for nxt in sorted(users.get(node, [])):
            if nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    chain: list[str] = []
    node: str | None = goal
    while node is not None:
        chain.append(node)
        node = previous.get(node)
    return tuple(reversed(chain))
