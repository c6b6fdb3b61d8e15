"""The use cases the CLI, the API and notebooks share: load -> check -> run -> store -> report.

Each function takes plain arguments, returns plain objects (Dataset, DataFrame, dict) and
raises :mod:`paxsilica.errors` types; rendering and exit codes belong to the callers.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd

from paxsilica import __version__
from paxsilica.data.package import read_package
from paxsilica.data.regions import read_region_map
from paxsilica.data.schema import REST_OF_WORLD, TABLES
from paxsilica.calibration.posterior import DEFAULT_PARAMETERS, simulate_with_parameters
from paxsilica.data.yaml_lines import list_builtin, parse_yaml, read_scenario_document
from paxsilica.dims import CAPABILITY, COMMODITY, REGION, SEGMENT, SEGMENTS
from paxsilica.engine import Results, simulate
from paxsilica.engine.sweep import expand_grid, run_sweep
from paxsilica.errors import ScenarioError, StoreError
from paxsilica.metrics.profile import CountryProfile
from paxsilica.model.dataset import Dataset
from paxsilica.model.scenario import (
    MAX_SEED,
    Scenario,
    check_scenario,
    scenario_json_schema,
)
from paxsilica.report.document import write_report
from paxsilica.report.html import write_stress_report
from paxsilica.report.view import (
    FAN_PATHS,
    RunView,
    fan_frame,
    member_table,
    view_from_record,
    view_from_results,
)
from paxsilica.store.runs import RunStore, default_db_path

__all__ = [
    "FAN_MAX_DRAWS",
    "ComputedRun",
    "RunOutcome",
    "Scale",
    "begin_run",
    "builtin_scenarios",
    "compute_run",
    "countries",
    "country_profile",
    "data_info",
    "execute_run",
    "is_run_id",
    "list_runs",
    "load",
    "load_scenario",
    "metrics_frame",
    "producers",
    "read_grid",
    "resolve_seed",
    "risk",
    "run_view",
    "scenario_from_text",
    "scenario_schema",
    "scenario_view",
    "show_run",
    "simulate_scenario",
    "simulation_payload",
    "store_computed_run",
    "stress_row",
    "stress_test",
    "sweep_scenario",
    "trade_flows",
    "validate_package",
    "write_run_report",
]


def load(path: str | Path | None = None) -> Dataset:
    """Load and check a data package; ``None`` loads the embedded default.

    Raises
    ------
    DataError
        A malformed or inconsistent package, naming file, row and field.
    """
    tables = read_package(path)
    return Dataset.from_tables(tables, origin="embedded" if path is None else str(path))


def validate_package(path: str | Path) -> dict[str, int]:
    """Check a user data package; return its row count per table (raises DataError)."""
    return {name: len(frame) for name, frame in read_package(path).items()}


def data_info(ds: Dataset) -> dict[str, object]:
    """Counts and data years of a dataset, for ``paxsilica data info``."""
    commodities = ds.commodities
    years = ds.production["year"].dropna().astype(int)
    countries = set(ds.countries["iso3"]) - {REST_OF_WORLD}
    stages = commodities["stage"].value_counts().sort_index()
    return {
        "origin": ds.origin,
        "dataset_hash": ds.content_hash,
        "countries": len(countries),
        "producers": len(ds.producers),
        "commodities": len(commodities),
        "materials": int(commodities.loc[commodities["stage"].isin(["mining", "refining"]),
                                         "material"].nunique()),
        "commodities_by_stage": {str(k): int(v) for k, v in stages.items()},
        "sources": len(ds.sources),
        "estimate_sources": int((ds.sources["kind"] == "estimate").sum()),
        "blocs": {bloc: len(ds.blocs[ds.blocs["bloc"] == bloc]) for bloc in ds.bloc_names()},
        "data_years": sorted({int(y) for y in years}),
        "rows": {name: len(ds.tables[name]) for name in TABLES},
    }


def risk(
    ds: Dataset,
    bloc: str = "pax-silica",
    material: str | None = None,
    stage: str | None = None,
    importer: str | None = None,
) -> pd.DataFrame:
    """Concentration and supply-risk read-outs per commodity, from an importer's perspective.

    ``importer`` (an ISO3 code or a bloc id) replaces ``bloc`` when given. See
    :func:`paxsilica.metrics.exposure.risk_table` for the columns and assumptions.
    """
    from paxsilica.metrics.exposure import risk_table

    return risk_table(ds, bloc=bloc, material=material, stage=stage, importer=importer)


def country_profile(ds: Dataset, iso3: str) -> CountryProfile:
    """One country's dependencies, suppliers and layers held (:mod:`paxsilica.metrics.profile`)."""
    from paxsilica.metrics.profile import country_profile as profile

    return profile(ds, iso3)


def countries(ds: Dataset) -> pd.DataFrame:
    """Countries in the data (ROW excluded): ``iso3``, ``name_en``, ``name_ar``, ``wgi``,
    ``produces`` (has production rows) and ``trades`` (has trade rows)."""
    table = ds.countries[ds.countries["iso3"] != REST_OF_WORLD]
    traders = set(ds.trade["exporter"]) | set(ds.trade["importer"])
    return pd.DataFrame({
        "iso3": table["iso3"].to_numpy(), "name_en": table["name_en"].to_numpy(),
        "name_ar": table["name_ar"].to_numpy(), "wgi": table["wgi"].to_numpy(float),
        "produces": table["iso3"].isin(set(ds.production["iso3"])).to_numpy(),
        "trades": table["iso3"].isin(traders).to_numpy(),
    }).reset_index(drop=True)


def producers(ds: Dataset, commodity: str) -> pd.DataFrame:
    """Producers of one commodity in its latest year: ``iso3``, ``year``, ``quantity``,
    ``share`` of world output (ROW included as the publisher's remainder), largest first."""
    ds.commodity(commodity)  # a clear error for an unknown id
    latest = ds.latest_production()
    rows = latest[latest["commodity"] == commodity]
    out = rows[["iso3", "year", "quantity", "share"]].sort_values("share", ascending=False)
    return out.reset_index(drop=True)


def trade_flows(ds: Dataset, commodity: str, importer: str = "pax-silica") -> pd.DataFrame:
    """Baseline flows of one commodity from outside exporters into the importer's countries.

    Returns ``exporter``, ``importer`` (the member country receiving it), ``quantity``
    (commodity unit per year), ``share`` (of the importer's total imports) and ``of_concern``;
    largest first. Empty for a commodity without trade rows (see ``trade_codes``).
    """
    from paxsilica.metrics.dependency import resolve_importer

    ds.commodity(commodity)
    who = resolve_importer(ds, importer)
    concern = ds.members("of-concern") if "of-concern" in ds.bloc_names() else frozenset()
    flows = ds.trade_baseline(commodity)
    flows = flows[flows["importer"].isin(who.countries) & ~flows["exporter"].isin(who.countries)]
    total = float(flows["quantity"].sum())
    out = pd.DataFrame({
        "exporter": flows["exporter"].to_numpy(), "importer": flows["importer"].to_numpy(),
        "quantity": flows["quantity"].to_numpy(float),
        "share": flows["quantity"].to_numpy(float) / total if total > 0 else 0.0,
        "of_concern": flows["exporter"].isin(concern).to_numpy(),
    })
    return out.sort_values("quantity", ascending=False).reset_index(drop=True)


# -- scenarios and runs -----------------------------------------------------------------------
def load_scenario(scenario: str | Path, ds: Dataset | None = None, *,
                  builtin_only: bool = False) -> Scenario:
    """A scenario from a YAML file or a built-in name, checked against ``ds`` when given.

    ``builtin_only``: ``scenario`` is a built-in name, never a file (names from the API).

    Raises
    ------
    ScenarioError
        Naming the file, line and field of the first problem.
    NotFoundError
        No such file or built-in.
    """
    obj, lines, file = read_scenario_document(scenario, builtin_only=builtin_only)
    scn = Scenario.from_mapping(obj, lines=lines, file=file)
    if ds is not None:
        check_scenario(scn, ds, lines=lines, file=file)
    return scn


def resolve_regions(regions: str | Path | None, ds: Dataset) -> tuple[str | None, Dataset]:
    """(map id, dataset) for a ``--regions`` value: a map id of ``ds``, or a YAML region map
    file whose rows are added to ``ds`` (so its hash records them). None: no override."""
    if regions is None:
        return None, ds
    text = str(regions)
    if text in ds.region_map_names():
        return text, ds
    if text.endswith((".yaml", ".yml")) or Path(text).is_file():
        rows = read_region_map(text, ds.countries["iso3"])
        name = str(rows["map"].iloc[0])
        table = ds.tables["regions"]
        table = pd.concat([table[table["map"] != name], rows], ignore_index=True)
        ds = Dataset.from_tables(dict(ds.tables) | {"regions": table},
                                 origin=f"{ds.origin}+regions:{name}")
        return name, ds
    raise ScenarioError(f"unknown region map '{text}'; use one of "
                        f"{', '.join(ds.region_map_names())} or a YAML file", field="regions")


def with_regions(scn: Scenario, ds: Dataset,
                 regions: str | Path | None) -> tuple[Scenario, Dataset]:
    """The scenario set to clear ``regions`` (see :func:`resolve_regions`), and its dataset."""
    name, ds = resolve_regions(regions, ds)
    return (scn if name is None else scn.model_copy(update={"regions": name})), ds


@dataclass(frozen=True)
class RunOutcome:
    """A finished simulation: its results, where it was stored and how long it took."""

    results: Results
    run_id: str | None
    seconds: float


@dataclass(frozen=True)
class Scale:
    """Where a run computes: Dask workers or a scheduler, and the kernel backend.

    None of these change the numbers (numpy/jax agree within the tolerance stated in
    ``docs/performance.md``); they change only speed and where the work happens.
    """

    workers: int | None = None
    scheduler: str | None = None
    backend: str = "numpy"
    precision: str = "float64"

    @property
    def local_numpy(self) -> bool:
        """The reference path: numpy in this process (the only one that keeps paths)."""
        return (self.backend == "numpy" and self.scheduler is None
                and (self.workers is None or self.workers <= 1))

    def engine_kwargs(self) -> dict[str, object]:
        return {"processes": self.workers, "scheduler": self.scheduler,
                "backend": self.backend, "precision": self.precision}


#: Runs up to this many draws keep their paths long enough to store fan charts (per-month
#: P5..P95); larger runs store summaries only, so memory stays bounded by the engine's chunks.
FAN_MAX_DRAWS = 5_000

class Phase(Protocol):
    """Told each phase of a run: simulating, storing, and failed with its reason."""

    def __call__(self, name: str, error: str | None = None) -> None: ...


def simulate_scenario(
    scenario: str | Path | Scenario,
    *,
    runs: int | None = None,
    seed: int | None = None,
    db: str | Path | None = None,
    data: str | Path | None = None,
    ds: Dataset | None = None,
    store: bool = True,
    scale: Scale | None = None,
    regions: str | Path | None = None,
    parameters: str = DEFAULT_PARAMETERS,
) -> RunOutcome:
    """Load -> check -> simulate -> store one scenario.

    The run is registered in the DuckDB store before it starts and marked complete, with its
    summaries (and fans), in one transaction at the end; a failure marks it failed.
    ``regions``: a region map id or YAML file overriding the scenario's. ``parameters``:
    ``posterior`` (the default: parameter sets sampled from the calibration's posterior),
    ``median`` (fixed at its P50) or ``shipped`` (the engine's defaults)
    (:mod:`paxsilica.calibration.posterior`).
    """
    ds = ds if ds is not None else load(data)
    scn = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, ds)
    scn, ds = with_regions(scn, ds, regions)
    if isinstance(scenario, Scenario):
        check_scenario(scn, ds)
    draws = runs if runs is not None else scn.draws
    seed = resolve_seed(seed, scn)
    if not store:
        started = time.perf_counter()
        results = simulate_with_parameters(ds, scn, parameters=parameters, draws=draws,
                                           seed=seed, keep_paths=False,
                                           **(scale or Scale()).engine_kwargs())
        return RunOutcome(results, None, time.perf_counter() - started)
    run_id = begin_run(scn, draws, seed, ds, db)
    results, seconds = execute_run(run_id, scn, draws, seed, ds, db, scale=scale,
                                   parameters=parameters)
    return RunOutcome(results, run_id, seconds)


def resolve_seed(seed: int | None, scn: Scenario) -> int:
    """The seed to use and record: the caller's, else the scenario's, else fresh entropy.

    Raises
    ------
    ScenarioError
        A seed outside 0..2^63-1 (the engine needs it non-negative, the store signed 64-bit).
    """
    if seed is not None:
        if not 0 <= seed <= MAX_SEED:
            raise ScenarioError(f"seed {seed} is outside 0..{MAX_SEED}", field="seed")
        return seed
    return scn.seed if scn.seed is not None else secrets.randbelow(2**31)


def begin_run(scn: Scenario, draws: int, seed: int, ds: Dataset,
              db: str | Path | None = None, owner: tuple[str, str] | None = None) -> str:
    """Register a run as ``running`` in the store and return its id; ``owner`` is the
    (token id, name) that started it through the service."""
    with RunStore.open(db) as run_store:
        return run_store.begin_run(scn.name, scn.model_dump(mode="json"), seed, draws,
                                   scn.horizon_months, ds.content_hash, __version__,
                                   owner=owner)


@dataclass(frozen=True)
class ComputedRun:
    """A simulated run ready to store: what :func:`store_computed_run` writes."""

    metrics: pd.DataFrame
    fans: pd.DataFrame | None
    meta: dict[str, object]
    seconds: float


def compute_run(scn: Scenario, draws: int, seed: int, ds: Dataset,
                scale: Scale | None = None,
                parameters: str = DEFAULT_PARAMETERS) -> tuple[Results, ComputedRun]:
    """Simulate a run and reduce it to what the store keeps (no store access: the service
    runs this on a Dask worker, which cannot open the service's DuckDB file)."""
    scale = scale or Scale()
    keep_paths = draws <= FAN_MAX_DRAWS and scale.local_numpy
    started = time.perf_counter()
    # the paths are kept only for the fans' percentiles (6 digits): float32 halves them
    results = simulate_with_parameters(ds, scn, parameters=parameters, draws=draws, seed=seed,
                                       keep_paths=FAN_PATHS if keep_paths else False,
                                       path_precision="float32", **scale.engine_kwargs())
    seconds = time.perf_counter() - started
    fans = fan_frame(results.paths) if keep_paths else None
    # the fans are what is kept of the paths: callers holding many runs (stress-test) or
    # shipping them from a worker would otherwise carry every run's paths
    results = dataclasses.replace(results, paths=None)
    return results, ComputedRun(metrics_frame(results), fans, dict(results.meta), seconds)


def store_computed_run(run_id: str, computed: ComputedRun, db: str | Path | None = None) -> None:
    """Write a computed run's summaries (and fans) and mark it complete, in one transaction."""
    with RunStore.open(db) as run_store:
        run_store.complete_run(run_id, computed.metrics, computed.seconds,
                               {**computed.meta, "run_id": run_id, "seconds": computed.seconds},
                               fans=computed.fans)


def execute_run(run_id: str, scn: Scenario, draws: int, seed: int, ds: Dataset,
                db: str | Path | None = None,
                phase: Phase | None = None,
                scale: Scale | None = None,
                parameters: str = DEFAULT_PARAMETERS) -> tuple[Results, float]:
    """Simulate a registered run and store its summaries and fans; mark it failed on error.

    Returns the results and the seconds the simulation took.
    """
    report: Phase = phase or (lambda _name, _error=None: None)
    try:
        report("simulating")
        results, computed = compute_run(scn, draws, seed, ds, scale, parameters)
        seconds = computed.seconds
        report("storing")
        store_computed_run(run_id, computed, db)
    except BaseException as exc:
        reason = f"{type(exc).__name__}: {exc}"
        report("failed", reason)  # before the store says so: a poller sees both together
        try:
            with RunStore.open(db) as run_store:
                run_store.fail_run(run_id, reason)
        except StoreError:
            pass  # the store cannot be written (disk full?): raise the first error, which
            # says why; the next open marks the run failed once this process has ended
        raise
    return results, seconds


def scenario_from_text(text: str, ds: Dataset, file: str = "upload.yaml") -> Scenario:
    """Parse, validate and check an uploaded scenario document against ``ds``.

    Raises
    ------
    ScenarioError
        Naming ``file``, the line and the field of the first problem.
    """
    obj, lines = parse_yaml(text, file=file)
    scn = Scenario.from_mapping(obj, lines=lines, file=file)
    check_scenario(scn, ds, lines=lines, file=file)
    return scn


def run_view(run_id: str, db: str | Path | None = None) -> RunView:
    """A stored run (summaries and fans) as a RunView (raises NotFoundError, StoreError)."""
    with RunStore.open(db, create=False) as run_store:
        record = run_store.get_run(run_id)
        fans = run_store.get_fans(run_id)
    return view_from_record(record, fans)


def scenario_view(scenario: str | Path | Scenario, ds: Dataset, draws: int | None = None,
                  seed: int | None = None) -> RunView:
    """Simulate a scenario now, keeping paths, without storing it (for reports)."""
    scn = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, ds)
    seed = resolve_seed(seed, scn)
    started = time.perf_counter()
    results = simulate(ds, scn, draws=draws or scn.draws, seed=seed, keep_paths=True)
    return view_from_results(scn.model_dump(mode="json"), results, None,
                             time.perf_counter() - started)


def write_run_report(target: str, out: str | Path, lang: str = "en", digits: str = "latin",
                     runs: int | None = None, seed: int | None = None,
                     db: str | Path | None = None, data: str | Path | None = None) -> Path:
    """Write an HTML or PDF report of a stored run (``target`` = run id) or of a scenario run
    now (``target`` = built-in name or YAML file)."""
    ds = load(data)
    db_path = Path(db) if db is not None else default_db_path()
    if _RUN_ID.fullmatch(target) and db_path.exists():
        view = run_view(target, db_path)
    else:
        view = scenario_view(target, ds, draws=runs, seed=seed)
    return write_report(view, ds, out, lang, digits)


_RUN_ID = re.compile(r"[0-9a-f]{12}")


def is_run_id(text: str) -> bool:
    """Whether ``text`` has the form of a stored run's id (12 hex digits)."""
    return _RUN_ID.fullmatch(text) is not None


def metrics_frame(results: Results) -> pd.DataFrame:
    """A run's summaries in the store's long layout (scope, item, segment, metric, value).

    Scopes: ``commodity`` (per commodity and segment), ``capability`` (downstream losses),
    ``run`` (item ``policy``: the policy cost in USD across draws), and per region
    ``commodity_region`` / ``capability_region`` (the segment column holds the region id).
    """
    summary = results.summary.melt(id_vars=[COMMODITY, SEGMENT], var_name="metric")
    summary = summary.rename(columns={COMMODITY: "item"}).assign(scope="commodity")
    downstream = results.downstream.melt(id_vars=[CAPABILITY], var_name="metric")
    downstream = downstream.rename(columns={CAPABILITY: "item"}).assign(scope="capability",
                                                                        segment=None)
    cost = results.cost.melt(var_name="metric").assign(scope="run", item="policy", segment=None)
    parts = [summary, downstream, cost]
    if results.region_summary is not None:
        by_region = results.region_summary.melt(id_vars=[COMMODITY, REGION], var_name="metric")
        parts.append(by_region.rename(columns={COMMODITY: "item", REGION: SEGMENT})
                     .assign(scope="commodity_region"))
        losses = results.region_downstream.melt(id_vars=[CAPABILITY, REGION], var_name="metric")
        parts.append(losses.rename(columns={CAPABILITY: "item", REGION: SEGMENT})
                     .assign(scope="capability_region"))
    frame = pd.concat(parts, ignore_index=True)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame[["scope", "item", "segment", "metric", "value"]]


def list_runs(db: str | Path | None = None, limit: int = 50) -> pd.DataFrame:
    """Recent runs in the store, newest first."""
    with RunStore.open(db, create=False) as run_store:
        return run_store.list_runs(limit)


def show_run(run_id: str, db: str | Path | None = None) -> dict[str, object]:
    """One stored run with its summaries."""
    with RunStore.open(db, create=False) as run_store:
        return run_store.get_run(run_id)


def scenario_schema() -> dict[str, object]:
    """The JSON Schema of scenario documents."""
    return scenario_json_schema()


def builtin_scenarios() -> list[dict[str, object]]:
    """Name, title, horizon and shock/policy counts of each built-in scenario."""
    rows = []
    for name in list_builtin():
        scn = load_scenario(name)
        rows.append({"name": scn.name, "title": scn.title, "horizon_months": scn.horizon_months,
                     "draws": scn.draws, "shocks": len(scn.shocks),
                     "policies": len(scn.policies)})
    return rows


def simulation_payload(outcome: RunOutcome) -> dict[str, object]:
    """The ``simulate --format json`` document: meta, summary and downstream."""
    results = outcome.results
    meta = {key: results.meta.get(key) for key in (
        "draws", "months", "commodities", "segments", "region_map", "regions",
        "region_segments", "seed", "scenario", "dataset_hash", "parameters")}
    meta.update(seconds=round(outcome.seconds, 3), run_id=outcome.run_id)
    payload = {"meta": meta,
               "summary": results.summary.to_dict(orient="records"),
               "downstream": results.downstream.to_dict(orient="records")}
    if results.region_summary is not None:
        payload["regions"] = results.region_summary.to_dict(orient="records")
        payload["region_downstream"] = results.region_downstream.to_dict(orient="records")
    return payload


def stress_test(
    bloc: str = "pax-silica",
    runs: int | None = None,
    db: str | Path | None = None,
    data: str | Path | None = None,
    out: str | Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    regions: str | Path | None = None,
    parameters: str = DEFAULT_PARAMETERS,
) -> dict[str, object]:
    """Run the built-in library against ``bloc``; one row per scenario, plus an HTML report.

    Each row names the worst-hit commodities in the alliance and gives the worst
    commodity's P50/P95 shortage share, the highest P50 peak price ratio, the earliest P50
    stock-out month and the largest P50/P95 loss of a final capability; ``members`` gives
    the same per member region (:func:`paxsilica.report.view.member_table`), hardest hit
    first, and ``hardest_hit`` names that member. ``parameters``: the behavioural parameters
    of every run (:func:`simulate_scenario`), recorded in the report.
    """
    ds = load(data)
    ds.members(bloc)  # fail early, with the list of known blocs, on a bad bloc id
    region_map, ds = resolve_regions(regions, ds)
    scns = []
    for name in list_builtin():
        scn = load_scenario(name, ds).model_copy(update={"bloc": bloc})
        scns.append(scn if region_map is None else scn.model_copy(update={"regions": region_map}))
    outcomes = _run_library(scns, runs if runs is not None else STRESS_DRAWS, ds, db, progress,
                            parameters)
    rows = [stress_row(scn, outcomes[scn.name]) for scn in scns]
    report = {"bloc": bloc, "dataset_hash": ds.content_hash, "parameters": parameters,
              "rows": rows}
    if out is not None:
        write_stress_report(report, outcomes, ds, Path(out))
        report["report"] = str(out)
    return report


STRESS_DRAWS = 2_000
#: Scenarios the stress test simulates at once (threads). One: with float32 fan paths, one
#: after another took 57.0 s and 1,260 MiB peak (whole process, medians of 3) against 67.8 s
#: and 2,055 MiB two at a time, whose page faults (sys time 18.7 s against 8.6 s) ate the
#: second core's gain on this 2-core machine.
STRESS_PARALLEL = 1


def _run_library(scns: list[Scenario], draws: int, ds: Dataset, db: str | Path | None,
                 progress: Callable[[str, int, int], None] | None,
                 parameters: str = DEFAULT_PARAMETERS) -> dict[str, RunOutcome]:
    """Register, simulate (:data:`STRESS_PARALLEL` at a time) and store each scenario; store
    writes stay in this thread, in the library's order. A failure marks every run not yet
    stored as failed (each with the reason) and raises it."""
    seeds = [resolve_seed(None, scn) for scn in scns]
    ids = [begin_run(scn, draws, seed, ds, db) for scn, seed in zip(scns, seeds, strict=True)]
    outcomes: dict[str, RunOutcome] = {}
    workers = max(1, min(STRESS_PARALLEL, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(compute_run, scn, draws, seed, ds, None, parameters)
                   for scn, seed in zip(scns, seeds, strict=True)]
        for done, (scn, run_id, future) in enumerate(zip(scns, ids, futures, strict=True)):
            if progress is not None:
                progress(scn.name, done, len(scns))
            try:
                results, computed = future.result()
                store_computed_run(run_id, computed, db)
            except BaseException as exc:
                for f in futures:
                    f.cancel()
                _fail_runs(ids[done:], f"{type(exc).__name__}: {exc}", db)
                raise
            outcomes[scn.name] = RunOutcome(results, run_id, computed.seconds)
    if progress is not None:
        progress("done", len(scns), len(scns))
    return outcomes


def _fail_runs(run_ids: list[str], reason: str, db: str | Path | None) -> None:
    try:
        with RunStore.open(db) as run_store:
            for run_id in run_ids:
                run_store.fail_run(run_id, reason)
    except StoreError:
        pass  # the store cannot be written: raise the first error, which says why


def _hardest_hit(members: pd.DataFrame) -> tuple[str | None, int]:
    """(the member hit hardest, or None when nobody is hit (every P95 loss and shortage at
    most 0.01%) or several tie; how many members share the worst row). Members tie when the data do not tell them apart, e.g. inputs routed
    pro rata to demand."""
    if members.empty:
        return None, 0
    keys = ["loss_share_p95", "shortage_share_p95", "loss_share_p50"]
    top = members.iloc[0]
    if max(float(top["loss_share_p95"]), float(top["shortage_share_p95"])) <= 1e-4:
        return None, 0  # nobody is hit (the stress table's threshold of a hit)
    same = (members[keys].astype(float) - top[keys].astype(float)).abs().max(axis=1) <= 1e-9
    alike = int(same.sum())
    return (str(top["region"]) if alike == 1 else None), alike


def stress_row(scn: Scenario, outcome: RunOutcome) -> dict[str, object]:
    """One scenario's line in the stress-test table (see :func:`stress_test`)."""
    summary = outcome.results.summary
    alliance = summary[summary[SEGMENT] == SEGMENTS[0]]
    ranked = alliance.sort_values(["shortage_share_p50", "shortage_share_p95",
                                   "peak_price_ratio_p50", "peak_price_ratio_p95"],
                                  ascending=False)
    # a tail event (a closure in one draw in five) is "hit" if its P95 moves, not only its P50
    hit = ranked[(ranked["shortage_share_p95"] > 1e-4) | (ranked["peak_price_ratio_p95"] > 1.05)]
    worst = ranked.iloc[0] if not ranked.empty else None
    downstream = outcome.results.downstream.sort_values("loss_share_p50", ascending=False)
    loss = downstream.iloc[0] if not downstream.empty else None
    stock_out = alliance["stock_out_month_p50"].dropna()
    members = member_table(view_from_results({}, outcome.results))
    members = members.astype(object).where(members.notna(), None)
    hardest, alike = _hardest_hit(members)
    return {
        "scenario": scn.name,
        "title": scn.title,
        "run_id": outcome.run_id,
        "worst_hit": hit[COMMODITY].head(3).tolist(),
        "shortage_share_p50": float(worst["shortage_share_p50"]) if worst is not None else 0.0,
        "shortage_share_p95": float(worst["shortage_share_p95"]) if worst is not None else 0.0,
        "peak_price_ratio_p50": float(alliance["peak_price_ratio_p50"].max()),
        "peak_price_ratio_p95": float(alliance["peak_price_ratio_p95"].max()),
        "stock_out_month_p50": float(stock_out.min()) if not stock_out.empty else None,
        "capability": loss[CAPABILITY] if loss is not None else None,
        "loss_share_p50": float(loss["loss_share_p50"]) if loss is not None else 0.0,
        "loss_share_p95": float(loss["loss_share_p95"]) if loss is not None else 0.0,
        "hardest_hit": hardest,
        "members_alike": alike,
        "hardest_label": hardest or (f"{alike} members alike" if alike > 1 else "none"),
        "members": members.to_dict(orient="records"),
    }


# -- sweeps -----------------------------------------------------------------------------------
def read_grid(path: str | Path) -> dict[str, list[object]]:
    """A sweep grid file: YAML or JSON mapping dotted scenario paths to lists of values."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read the grid file ({exc})", file=str(path)) from None
    obj, _lines = parse_yaml(text, file=str(path))
    if not isinstance(obj, dict):
        raise ScenarioError("expected a mapping of dotted scenario paths to lists of values",
                            file=str(path), line=1)
    return obj


def sweep_scenario(scenario: str | Path, grid: str | Path, *, runs: int | None = None,
                   seed: int | None = None, scale: Scale | None = None,
                   data: str | Path | None = None) -> dict[str, object]:
    """Run every variant of ``scenario`` in a grid; summaries stacked on ``scenario``.

    Returns the base name, draws, seed, the :class:`~paxsilica.engine.sweep.Sweep` and one
    row per variant with the alliance's worst mean peak price and shortage share, and the
    member hit hardest (as in the stress test; "N members alike" when the data cannot tell
    them apart).
    """
    ds = load(data)
    base = load_scenario(scenario, ds)
    variants = []
    for name, label, doc in expand_grid(base.model_dump(mode="json"), read_grid(grid),
                                        file=str(grid)):
        scn = Scenario.from_mapping(doc, file=str(grid))
        check_scenario(scn, ds)
        variants.append((name, label, scn))
    draws = runs if runs is not None else base.draws
    root = resolve_seed(seed, base)
    scale = scale or Scale()
    result = run_sweep(ds, variants, draws=draws, seed=root, processes=scale.workers,
                       scheduler=scale.scheduler, backend=scale.backend,
                       precision=scale.precision)
    rows = []
    for name, label, res in zip(result.names, result.labels, result.results, strict=True):
        alliance = res.summary[res.summary[SEGMENT] == SEGMENTS[0]]
        hardest, alike = _hardest_hit(member_table(view_from_results({}, res)))
        rows.append({"scenario": name, "label": label,
                     "alliance_peak_price_ratio_mean": float(
                         alliance["peak_price_ratio_mean"].max()),
                     "alliance_shortage_share_mean": float(alliance["shortage_share_mean"].max()),
                     "hardest_hit": hardest, "members_alike": alike,
                     "hardest_label": hardest or (f"{alike} members alike" if alike > 1
                                                  else "none")})
    return {"scenario": base.name, "draws": draws, "seed": root, "sweep": result,
            "variants": rows}
