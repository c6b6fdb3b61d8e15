"""Sweeps: a grid of scenario variants, run in parallel, stacked on a ``scenario`` dimension.

A grid maps dotted paths in the scenario document to lists of values; the sweep is their
Cartesian product (first key varies slowest)::

    shocks.0.severity: [0.25, 0.5, 1.0]
    policies.0.max_release_share: [0.1, 0.2]

gives 6 variants named ``<base>-v1`` .. ``<base>-v6``. Integer path parts index lists. Every
variant runs with the same seed (common random numbers), so differences between variants are
the parameters' effect, not sampling noise.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from paxsilica.dims import CAPABILITY, COMMODITY, REGION, SCENARIO, SEGMENT
from paxsilica.engine.chunks import assemble, check_backend, compile_model
from paxsilica.engine.executors import Job, executor_for
from paxsilica.engine.network import EngineOptions
from paxsilica.engine.results import Results
from paxsilica.errors import ScenarioError
from paxsilica.model.dataset import Dataset

__all__ = ["MAX_VARIANTS", "Sweep", "expand_grid", "run_sweep", "stack_summaries"]

#: A grid larger than this is refused (a typo like a 1000-value list, not a plan).
MAX_VARIANTS = 10_000


@dataclass(frozen=True)
class Sweep:
    """A sweep's output: per-variant Results and their summaries stacked on ``scenario``."""

    names: tuple[str, ...]
    labels: tuple[str, ...]  # "path=value, ..." per variant
    results: tuple[Results, ...]
    summary: xr.Dataset


def expand_grid(base: Mapping[str, Any], grid: Mapping[str, Sequence[Any]],
                file: str | None = None) -> list[tuple[str, str, dict[str, Any]]]:
    """The variants of ``base`` (a scenario document) for every combination in ``grid``.

    Parameters
    ----------
    base : mapping
        The scenario as plain data (e.g. ``Scenario.model_dump(mode="json")``).
    grid : mapping of str to list
        Dotted path -> values. Each path must exist in ``base`` up to its last part (the last
        part may be a new key of a mapping).
    file : str, optional
        The grid file's name, for messages.

    Returns
    -------
    list of (name, label, document)

    Raises
    ------
    ScenarioError
        An empty grid, a value that is not a non-empty list, a path that does not exist, or
        more than :data:`MAX_VARIANTS` variants; ``field`` names the path.
    """
    if not isinstance(grid, Mapping) or not grid:
        raise ScenarioError("a grid must map dotted scenario paths to lists of values",
                            file=file)
    for path, values in grid.items():
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
            raise ScenarioError(f"expected a non-empty list of values, got {values!r}",
                                file=file, field=str(path))
        _parent(base, str(path), file)  # fail early on a bad path
    count = int(np.prod([len(v) for v in grid.values()]))
    if count > MAX_VARIANTS:
        raise ScenarioError(f"the grid has {count} variants, more than {MAX_VARIANTS}",
                            file=file)
    stem = str(base.get("name", "sweep"))
    out = []
    for k, combo in enumerate(itertools.product(*grid.values())):
        doc = copy.deepcopy(dict(base))
        for path, value in zip(grid, combo, strict=True):
            parent, key = _parent(doc, str(path), file)
            parent[key] = value
        name = f"{stem}-v{k + 1}"
        doc["name"] = name
        label = ", ".join(f"{p}={v}" for p, v in zip(grid, combo, strict=True))
        out.append((name, label, doc))
    return out


def _parent(doc: Any, path: str, file: str | None) -> tuple[Any, Any]:
    """The container holding ``path``'s last part, and that part (int for list indices)."""
    parts = path.split(".")
    node = doc
    for depth, part in enumerate(parts):
        key: Any = part
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ScenarioError(f"'{part}' is not an index of a {len(node)}-item list",
                                    file=file, field=path)
            key = int(part)
        elif not isinstance(node, dict):
            raise ScenarioError(f"'{'.'.join(parts[:depth])}' holds a value, not a mapping "
                                "or list", file=file, field=path)
        elif depth < len(parts) - 1 and part not in node:
            raise ScenarioError(f"the scenario has no '{'.'.join(parts[:depth + 1])}'",
                                file=file, field=path)
        if depth == len(parts) - 1:
            return node, key
        node = node[key]
    raise ScenarioError("empty path", file=file, field=path)  # pragma: no cover


def run_sweep(ds: Dataset, variants: Sequence[tuple[str, str, Any]], *, draws: int,
              seed: int, processes: int | None = None, scheduler: str | None = None,
              chunk_size: int | None = None, backend: str = "numpy",
              precision: str = "float64", options: EngineOptions | None = None) -> Sweep:
    """Run every variant ``(name, label, Scenario)`` and stack the summaries.

    With ``processes > 1`` or a ``scheduler``, all chunks of all variants are submitted to one
    Dask cluster at once; otherwise variants run one after another in this process
    (:func:`paxsilica.engine.executors.executor_for`). Results are the same either way.
    """
    check_backend(backend, precision)
    executor = executor_for(processes, scheduler)
    models = [compile_model(ds, scn, options) for _, _, scn in variants]
    outcomes = executor.run([Job(m, seed, draws) for m in models], chunk_size=chunk_size,
                            backend=backend, precision=precision)
    results = tuple(assemble(m, o, draws, seed, {"backend": backend, "precision": precision})
                    for m, o in zip(models, outcomes, strict=True))
    names = tuple(name for name, _, _ in variants)
    labels = tuple(label for _, label, _ in variants)
    return Sweep(names, labels, results, stack_summaries(names, labels, results))


def _prefixed(frame: Any) -> xr.Dataset:
    return frame.add_prefix("region_").to_xarray()


def stack_summaries(names: Sequence[str], labels: Sequence[str],
                    results: Sequence[Results]) -> xr.Dataset:
    """Summary statistics of each run stacked on ``scenario``.

    Variables: every numeric column of ``summary`` over (scenario, commodity, segment), of
    ``downstream`` over (scenario, capability), of ``cost`` over (scenario,) and, when every
    run kept its region outcomes, of ``region_summary`` over (scenario, commodity, region)
    and ``region_downstream`` over (scenario, capability, region), named ``region_<column>``.
    """
    regional = all(res.region_summary is not None for res in results)
    parts = []
    for res in results:
        cell = res.summary.set_index([COMMODITY, SEGMENT]).to_xarray()
        down = res.downstream.set_index(CAPABILITY).to_xarray()
        cost = xr.Dataset({k: ((), float(v)) for k, v in res.cost.iloc[0].items()})
        pieces = [cell, down, cost]
        if regional:
            pieces += [_prefixed(res.region_summary.set_index([COMMODITY, REGION])),
                       _prefixed(res.region_downstream.set_index([CAPABILITY, REGION]))]
        parts.append(xr.merge(pieces, compat="override", join="outer"))
    out = xr.concat(parts, dim=SCENARIO, join="outer")
    return out.assign_coords({SCENARIO: list(names), "label": (SCENARIO, list(labels))})
