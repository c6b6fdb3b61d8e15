"""The N-1 sweep: lose one (country, commodity) node at a time and rank what the bloc loses.

For every node of :func:`paxsilica.metrics.spof.outage_nodes` the sweep adds one
``supply_outage`` (the country loses ``severity`` of its capacity to make the commodity for
``months`` months from ``start_month``) to a base scenario (normally ``baseline``) and runs it
with the engine's sweep machinery (:func:`paxsilica.engine.sweep.run_sweep`: one process, or
all nodes' chunks on one Dask cluster). Every variant, and the base itself, runs on the same
seed: common random numbers, so each draw of a node is compared with the same draw of the base
and the difference is the node's effect, not sampling noise.

Per draw and node, in the bloc's segment (``alliance``: the scenario's ``bloc``):

* ``loss``: lost capability output, the largest over capabilities (AI accelerators,
  data-centre MW, vehicles) of ``loss_share`` (1 - mean output ratio over the horizon) minus
  the base run's, 0..1;
* ``shortage``: the largest over commodities of the bloc's ``shortage_share`` (cumulative
  shortage / cumulative demand over the horizon) minus the base run's, 0..1;
* ``peak_price``: the largest over commodities of the bloc's ``peak_price_ratio`` (x baseline).

Across draws each gets P50, P95, the mean and its Monte Carlo standard error
``std / sqrt(draws)`` (ddof 1). Nodes are ranked by the means, lexicographically: loss, then
shortage, then peak price, each rounded to 1e-6 first (differences below a millionth of a
share are not a ranking; the next measure decides).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from paxsilica.dims import CAPABILITY, COMMODITY, DRAW, SEGMENT
from paxsilica.engine import Results
from paxsilica.engine.sweep import run_sweep
from paxsilica.errors import ModelError
from paxsilica.model.dataset import Dataset
from paxsilica.model.scenario import Scenario

__all__ = ["BLOC_SEGMENT", "DEFAULT_DRAWS", "DEFAULT_MONTHS", "MEASURES", "OutageSweep",
           "Outage", "node_measures", "outage_scenario", "rank_nodes", "run_outage_sweep",
           "sample_stats"]

#: The segment aggregate that holds the bloc under study (kept by the region engine).
BLOC_SEGMENT = "alliance"
#: Draws per node by default: enough for P95 to be more than one draw, short enough for ~90
#: nodes in under a minute on 2 cores.
DEFAULT_DRAWS = 200
#: Months a node is lost by default.
DEFAULT_MONTHS = 6
#: The per-draw measures, in ranking order.
MEASURES = ("loss", "shortage", "peak_price")
_RANK_DECIMALS = 6


@dataclass(frozen=True)
class Outage:
    """How each node is lost: ``severity`` (0..1) of capacity for ``months`` from
    ``start_month`` (0-based)."""

    months: int = DEFAULT_MONTHS
    severity: float = 1.0
    start_month: int = 0


@dataclass(frozen=True)
class OutageSweep:
    """The sweep's ranking and how it was run.

    ``table``: one row per node, best-ranked first: ``rank`` (1 = worst single point of
    failure), ``iso3``, ``commodity``, ``share`` (of world output), for each measure of
    :data:`MEASURES` its ``_p50``, ``_p95``, ``_mean`` and ``_se``, plus ``capability`` (the
    capability with the largest mean loss, None when none is lost) and ``worst_commodity``
    (the bloc's commodity with the largest mean shortage) and ``loss_by_capability``
    (capability -> the loss statistics of that capability alone).
    """

    table: pd.DataFrame
    bloc: str
    outage: Outage
    draws: int
    seed: int
    base: str


def outage_scenario(base: Scenario, iso3: str, commodity: str, outage: Outage) -> Scenario:
    """``base`` with one more shock: ``iso3`` loses its production of ``commodity``.

    Raises
    ------
    ScenarioError
        An outage that does not fit (severity outside 0..1, months < 1, a start at or after
        the horizon's end), naming the field.
    """
    doc = base.model_dump(mode="json")
    # a scenario name is a slug: ids from a user's package may hold other characters
    doc["name"] = re.sub(r"[^a-z0-9-]+", "-", f"n1-{iso3}-{commodity}".lower())[:64].rstrip("-")
    doc["shocks"] = [*doc["shocks"], {
        "type": "supply_outage", "countries": [iso3], "commodities": [commodity],
        "severity": outage.severity, "start_month": outage.start_month,
        "duration_months": outage.months}]
    return Scenario.from_mapping(doc)


def sample_stats(values: np.ndarray, prefix: str) -> dict[str, float]:
    """P50, P95, mean and the mean's Monte Carlo standard error (std / sqrt(n), ddof 1; 0
    for one draw) of a 1-d sample."""
    values = np.asarray(values, dtype=float)
    p50, p95 = np.quantile(values, (0.5, 0.95))
    se = float(values.std(ddof=1) / math.sqrt(values.size)) if values.size > 1 else 0.0
    return {f"{prefix}_p50": float(p50), f"{prefix}_p95": float(p95),
            f"{prefix}_mean": float(values.mean()), f"{prefix}_se": se}


def node_measures(node: Results, base: Results) -> dict[str, np.ndarray]:
    """Per-draw ``loss``, ``shortage`` and ``peak_price`` of a node's run against the base run
    on the same draws (module docstring); also ``loss_by_capability`` (draw, capability) and
    ``shortage_by_commodity`` (draw, commodity) before the maximum is taken."""
    if node.meta.get("seed") != base.meta.get("seed") or \
            node.outcomes.sizes[DRAW] != base.outcomes.sizes[DRAW]:
        raise ModelError("a node and its base must run on the same seed and draws "
                         "(common random numbers)")
    loss = (node.outcomes["loss_share"] - base.outcomes["loss_share"]).transpose(DRAW,
                                                                                CAPABILITY)
    short = (node.outcomes["shortage_share"] - base.outcomes["shortage_share"]).sel(
        {SEGMENT: BLOC_SEGMENT}).transpose(DRAW, COMMODITY)
    peak = node.outcomes["peak_price_ratio"].sel({SEGMENT: BLOC_SEGMENT})
    return {"loss": _largest(loss.values), "shortage": _largest(short.values),
            "peak_price": _largest(peak.transpose(DRAW, COMMODITY).values),
            "loss_by_capability": loss, "shortage_by_commodity": short}


def _largest(values: np.ndarray) -> np.ndarray:
    """Per draw, the largest value over the second axis (0 when it is empty)."""
    values = np.asarray(values, dtype=float)
    return values.max(axis=1) if values.shape[1] else np.zeros(values.shape[0])


def _node_row(iso3: str, commodity: str, share: float, node: Results,
              base: Results) -> dict[str, object]:
    measures = node_measures(node, base)
    row: dict[str, object] = {"iso3": iso3, "commodity": commodity, "share": share}
    for name in MEASURES:
        row |= sample_stats(measures[name], name)
    by_cap = measures["loss_by_capability"].mean(DRAW)
    by_commodity = measures["shortage_by_commodity"].mean(DRAW)
    loss = measures["loss_by_capability"]
    row["loss_by_capability"] = {
        str(cap): sample_stats(loss.sel({CAPABILITY: cap}).values, "loss")
        for cap in loss[CAPABILITY].values}
    row["capability"] = (str(by_cap.idxmax().item())
                         if by_cap.size and float(by_cap.max()) > 0 else None)
    row["worst_commodity"] = (str(by_commodity.idxmax().item())
                              if by_commodity.size and float(by_commodity.max()) > 0 else None)
    return row


def rank_nodes(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` sorted worst first by the rounded means of :data:`MEASURES` (ties: iso3,
    commodity), with a 1-based ``rank`` column in front."""
    if table.empty:
        return table.assign(rank=pd.Series(dtype=int))[["rank", *table.columns]]
    keys = [f"_{m}" for m in MEASURES]
    ordered = table.assign(**{k: table[f"{m}_mean"].round(_RANK_DECIMALS)
                              for k, m in zip(keys, MEASURES, strict=True)})
    ordered = ordered.sort_values([*keys, "iso3", "commodity"],
                                  ascending=[False] * len(keys) + [True, True])
    ordered = ordered.drop(columns=keys).reset_index(drop=True)
    ordered.insert(0, "rank", np.arange(1, len(ordered) + 1))
    return ordered


def run_outage_sweep(ds: Dataset, base: Scenario, nodes: pd.DataFrame, *,
                     outage: Outage | None = None, draws: int = DEFAULT_DRAWS, seed: int,
                     processes: int | None = None, scheduler: str | None = None,
                     backend: str = "numpy", precision: str = "float64") -> OutageSweep:
    """Run the N-1 sweep of ``nodes`` (``iso3``, ``commodity``, ``share`` columns, e.g.
    :func:`~paxsilica.metrics.spof.outage_nodes`) against ``base`` and rank them.

    Parameters
    ----------
    ds : Dataset
    base : Scenario
        The reference run (its ``bloc`` is the bloc measured); each node adds one outage.
    nodes : DataFrame
    outage : Outage, optional
        How each node is lost (default: all of it for six months from month 0).
    draws : int
        Monte Carlo draws per node (and for the base), >= 2.
    seed : int
        The one seed of every run (common random numbers).
    processes, scheduler, backend, precision
        Where and how the runs compute (:func:`paxsilica.engine.sweep.run_sweep`); they do
        not change the numbers beyond the backend tolerance.

    Raises
    ------
    ModelError
        Fewer than 2 draws (no standard error), or a node table without the columns.
    ScenarioError
        An outage that does not fit the base scenario.
    """
    outage = outage or Outage()
    if draws < 2:
        raise ModelError(f"the N-1 sweep needs at least 2 draws per node, got {draws}")
    missing = {"iso3", "commodity", "share"} - set(nodes.columns)
    if missing:
        raise ModelError(f"the node table lacks column(s) {', '.join(sorted(missing))}")
    keys: Sequence[tuple[str, str, float]] = [
        (str(i), str(c), float(s)) for i, c, s in zip(nodes["iso3"], nodes["commodity"],
                                                      nodes["share"], strict=True)]
    variants = [("base", "base", base)] + [
        (f"{iso3}:{commodity}", f"{iso3} {commodity}",
         outage_scenario(base, iso3, commodity, outage)) for iso3, commodity, _ in keys]
    sweep = run_sweep(ds, variants, draws=draws, seed=seed, processes=processes,
                      scheduler=scheduler, backend=backend, precision=precision)
    base_run, node_runs = sweep.results[0], sweep.results[1:]
    rows = [_node_row(iso3, commodity, share, run, base_run)
            for (iso3, commodity, share), run in zip(keys, node_runs, strict=True)]
    columns = ["iso3", "commodity", "share",
               *[f"{m}_{s}" for m in MEASURES for s in ("p50", "p95", "mean", "se")],
               "capability", "worst_commodity", "loss_by_capability"]
    table = rank_nodes(pd.DataFrame(rows, columns=columns))
    return OutageSweep(table, base.bloc, outage, draws, seed, base.name)
