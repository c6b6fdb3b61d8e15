"""The JSON API under ``/api``: thin adapters over ``workflows``."""

from __future__ import annotations

import io
import tempfile
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field, model_validator
from starlette.concurrency import run_in_threadpool

from paxsilica import __version__, workflows, workflows_trade
from paxsilica.api.auth import require_analyst, require_reader
from paxsilica.errors import DataError, NotFoundError, ScenarioError, StoreError
from paxsilica.model.records import json_safe
from paxsilica.model.scenario import MAX_SEED
from paxsilica.report.document import pdf_bytes, render_report
from paxsilica.store.tokens import TokenInfo

__all__ = ["RunRequest", "clean", "off_loop", "router"]

router = APIRouter(prefix="/api", tags=["api"])
Reader = Annotated[TokenInfo | None, Depends(require_reader)]
Analyst = Annotated[TokenInfo, Depends(require_analyst)]

#: CPU-heavy request work (YAML parsing, report rendering) done at once, whatever the number
#: of requests: it runs in threads, off the event loop, and more of it at once would only
#: share the GIL more thinly (issue 14: six 683 kB uploads held /api/health for 8.6 s).
_HEAVY = threading.BoundedSemaphore(2)


def _bounded(fn: Callable[..., Any], *args: Any) -> Any:
    with _HEAVY:
        return fn(*args)


async def off_loop(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` in a worker thread (never on the event loop), at most two at once."""
    return await run_in_threadpool(_bounded, fn, *args)


def clean(value: Any) -> Any:
    """JSON-safe: NaN/inf -> None, numpy scalars -> Python, timestamps -> ISO text."""
    return json_safe(value)


class RunRequest(BaseModel):
    """Start a run of a built-in scenario (``scenario``) or a posted YAML document (``yaml``)."""

    scenario: str | None = Field(None, description="built-in scenario name",
                                 examples=["ree-export-controls"])
    yaml: str | None = Field(None, description="a scenario document (YAML text)")
    draws: int | None = Field(None, ge=1, description="Monte Carlo draws (default: scenario's)")
    seed: int | None = Field(None, ge=0, le=MAX_SEED,
                             description="root seed (default: scenario's or fresh)")
    bloc: str | None = Field(None, description="override the scenario's bloc")
    regions: str | None = Field(None, description="region map id (countries, segments); "
                                "default: the scenario's, else the data's",
                                examples=["countries"])
    parameters: Literal["posterior", "median", "shipped"] = Field(
        "posterior", description="behavioural parameters: sampled from the calibration's "
        "posterior (default), fixed at its P50, or the engine's defaults (crisis mechanisms "
        "off)")

    @model_validator(mode="after")
    def _one_source(self) -> RunRequest:
        if (self.scenario is None) == (self.yaml is None):
            raise ValueError("give exactly one of 'scenario' (a built-in name) or 'yaml'")
        return self


@router.get("/health")
def health(request: Request) -> dict[str, Any]:
    """Liveness, version and whether reading needs a token (always open; names no file)."""
    settings = request.app.state.services.settings
    return {"status": "ok", "version": __version__, "open_read": settings.open_read}


@router.get("/risk")
def risk(request: Request, _who: Reader, bloc: str = "pax-silica",
         material: str | None = None, stage: str | None = None,
         importer: Annotated[str | None, Query(
             description="an ISO3 country code or a bloc id; replaces bloc")] = None
         ) -> list[dict[str, Any]]:
    """Concentration, import reliance and supply risk per commodity, from an importer's
    perspective (as ``paxsilica risk --format json``)."""
    # risk(ds, importer=X) is risk(ds, bloc=X): both name the importer, a bloc or a country
    table = request.app.state.services.risk(importer if importer is not None else bloc,
                                            material, stage)
    return clean(table.to_dict(orient="records"))


Lang = Annotated[str, Query(pattern="^(en|ar)$", description="language of the names")]


@router.get("/countries")
def countries(request: Request, _who: Reader) -> list[dict[str, Any]]:
    """Countries in the data: ``iso3``, ``name_en``, ``name_ar``, ``wgi``, ``produces`` (has
    production rows), ``trades`` (has trade rows)."""
    return clean(workflows_trade.countries_payload(request.app.state.services.ds))


@router.get("/countries/{iso3}")
def country(iso3: str, request: Request, _who: Reader, lang: Lang = "en",
            limit: Annotated[int | None, Query(ge=1, le=1000)] = None) -> dict[str, Any]:
    """A country's profile (as ``paxsilica country ISO3 --format json``): dependencies ranked
    by EU supply risk, suppliers per material, the layers it holds; 404 for an unknown code."""
    services = request.app.state.services
    profile = services.profile(iso3)
    return clean(workflows_trade.profile_payload(services.ds, profile, lang=lang, limit=limit))


@router.get("/trade/flows")
def trade_flows(request: Request, _who: Reader,
                commodity: Annotated[str, Query(description="commodity id",
                                                examples=["graphite_mining"])],
                importer: Annotated[str, Query(
                    description="an ISO3 country code or a bloc id")] = "pax-silica",
                lang: Lang = "en") -> dict[str, Any]:
    """Baseline imports of one commodity into the importer's countries, by exporter, with the
    importer's members and what the trade data cover (``coverage``, HS codes)."""
    return clean(workflows_trade.flows_payload(request.app.state.services.ds, commodity,
                                               importer, lang=lang))


@router.get("/production")
def production(request: Request, _who: Reader,
               commodity: Annotated[str, Query(description="commodity id",
                                               examples=["graphite_mining"])],
               lang: Lang = "en") -> list[dict[str, Any]]:
    """Producers of one commodity in its latest year, largest share of world output first."""
    return clean(workflows_trade.producers_payload(request.app.state.services.ds, commodity,
                                                   lang=lang))


@router.get("/scenarios")
def scenarios(_who: Reader) -> list[dict[str, Any]]:
    """The built-in scenario library."""
    return clean(workflows.builtin_scenarios())


@router.get("/scenarios/schema")
def scenario_schema(_who: Reader) -> dict[str, Any]:
    """The JSON Schema of scenario documents."""
    return workflows.scenario_schema()


@router.get("/scenarios/{name}")
def scenario(name: str, request: Request, _who: Reader) -> dict[str, Any]:
    """One built-in scenario, as validated data."""
    scn = workflows.load_scenario(name, request.app.state.services.ds, builtin_only=True)
    return clean(scn.model_dump(mode="json"))


@router.post("/scenarios/validate")
async def validate_scenario(request: Request, _who: Analyst) -> dict[str, Any]:
    """Check an uploaded YAML scenario (request body); 422 names file, line and field."""
    text = await _text_body(request)
    ds = await run_in_threadpool(lambda: request.app.state.services.ds)
    scn = await off_loop(workflows.scenario_from_text, text, ds)
    return {"valid": True, "scenario": clean(scn.model_dump(mode="json"))}


@router.post("/data/validate")
async def validate_data(request: Request, _who: Analyst) -> dict[str, Any]:
    """Check an uploaded data package (a .zip of CSV files); 422 names file, row and field."""
    body = await request.body()
    return {"valid": True, "rows": await off_loop(_validate_zip, body)}


def _validate_zip(body: bytes) -> dict[str, int]:
    archive = _open_zip(body)
    with tempfile.TemporaryDirectory(prefix="paxsilica-upload-") as tmp:
        _extract_tables(archive, Path(tmp))
        return workflows.validate_package(tmp)


#: Most bytes an uploaded package may expand to, and most files it may hold: a small zip can
#: expand a thousandfold ("zip bomb"), so expansion is bounded while reading, not trusted from
#: the archive's own size fields.
MAX_UNZIPPED_BYTES = 64 * 2**20
MAX_ZIP_MEMBERS = 64


def _open_zip(body: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(body))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError,
            EOFError, OSError):  # what zipfile raises for corrupt or exotic archives
        raise DataError("the upload is not a zip archive of a data package's CSV files",
                        file="upload.zip") from None


def _extract_tables(archive: zipfile.ZipFile, folder: Path) -> None:
    # not ZipInfo.is_dir(): it fails on an empty member name, which a crafted archive can hold
    members = [m for m in archive.infolist() if not m.filename.endswith("/")
               and Path(m.filename.replace("\\", "/")).name.lower().endswith((".csv",
                                                                              ".parquet"))]
    if len(members) > MAX_ZIP_MEMBERS:
        raise DataError(f"the archive holds {len(members)} table files; at most "
                        f"{MAX_ZIP_MEMBERS} are read", file="upload.zip")
    budget = MAX_UNZIPPED_BYTES
    for member in members:
        name = Path(member.filename.replace("\\", "/")).name  # flatten: nothing escapes
        try:
            with archive.open(member) as source, open(folder / name, "wb") as target:
                while chunk := source.read(2**20):
                    budget -= len(chunk)
                    if budget < 0:
                        raise DataError(f"the archive expands to over {MAX_UNZIPPED_BYTES:,} "
                                        "bytes", file="upload.zip")
                    target.write(chunk)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, EOFError,
                OSError) as exc:  # corrupt, encrypted or unsupported members
            raise DataError(f"cannot extract '{name}': {exc}", file="upload.zip") from None


@router.post("/runs", status_code=202)
async def start_run(body: RunRequest, request: Request, who: Analyst) -> dict[str, Any]:
    """Queue a simulation on the service's Dask workers; poll ``GET /api/runs/{run_id}``.

    Refused before anything is queued: 422 when the run can never fit (estimated memory or
    cell-months over the service's limits; the message says the largest draws that fit),
    429 with ``Retry-After`` when the token already has its share queued or running.
    """
    return await off_loop(_start_run, body, request.app.state.services, who)


def _start_run(body: RunRequest, services: Any, who: TokenInfo) -> dict[str, Any]:
    ds = services.ds
    if body.yaml is not None:
        scn = workflows.scenario_from_text(body.yaml, ds)
    else:
        scn = workflows.load_scenario(body.scenario or "", ds, builtin_only=True)
    if body.bloc is not None:
        ds.members(body.bloc)  # NotFoundError with the known blocs
        scn = scn.model_copy(update={"bloc": body.bloc})
    if body.regions is not None:
        if body.regions not in ds.region_map_names():
            raise HTTPException(422, f"unknown region map '{body.regions}'; known: "
                                     f"{', '.join(ds.region_map_names())}")
        scn = scn.model_copy(update={"regions": body.regions})
    draws = body.draws if body.draws is not None else scn.draws
    if draws > services.settings.max_draws:
        raise HTTPException(422, f"draws {draws} is over this service's limit of "
                                 f"{services.settings.max_draws}")
    seed = workflows.resolve_seed(body.seed, scn)
    run_id, cost = services.runs.submit(scn, draws, seed, ds, owner=(who.token_id, who.name),
                                        parameters=body.parameters)
    return {"run_id": run_id, "status": "running", "scenario": scn.name, "draws": draws,
            "seed": seed, "parameters": body.parameters, "owner": who.name, "cell_months": cost.cell_months,
            "estimated_memory_mib": round(cost.memory_bytes / 2**20),
            "url": f"/api/runs/{run_id}"}


@router.delete("/runs/{run_id}")
def cancel_run(run_id: str, request: Request, who: Analyst) -> dict[str, Any]:
    """Cancel a queued or running run: only the analyst token that started it may (403
    otherwise). A run that has finished keeps its status; the answer says which."""
    services = request.app.state.services
    owner, _status = services.runs.owner_of(run_id)  # NotFoundError for an unknown id
    if owner != who.token_id:
        raise HTTPException(403, "only the token that started a run may cancel it")
    status = services.runs.cancel(run_id, who.name or who.token_id)
    return {"run_id": run_id, "status": status}


@router.get("/runs")
def runs(request: Request, _who: Reader, limit: int = Query(50, ge=1, le=1000)
         ) -> list[dict[str, Any]]:
    """Recent runs, newest first, with live progress for runs this service started."""
    services = request.app.state.services
    try:
        frame = workflows.list_runs(services.settings.db, limit)
    except StoreError:
        if not Path(services.settings.db).exists():
            return []
        raise
    rows = clean(frame.to_dict(orient="records"))
    for row in rows:
        row["progress"] = services.runs.progress(row["run_id"])
    return rows


@router.get("/runs/{run_id}")
def run(run_id: str, request: Request, _who: Reader) -> dict[str, Any]:
    """A run's record, progress, summary and downstream losses."""
    services = request.app.state.services
    view = services.run_view(run_id)
    return clean({"run_id": run_id, "status": view.status, "scenario": view.scenario,
                  "meta": dict(view.meta), "progress": services.runs.progress(run_id),
                  "summary": view.summary.to_dict(orient="records"),
                  "downstream": view.downstream.to_dict(orient="records")})


@router.get("/runs/{run_id}/fans")
def run_fans(run_id: str, request: Request, _who: Reader,
             variable: Literal["price_ratio", "shortage_share", "stock_share", "loss_share"] =
             "price_ratio", item: str | None = None,
             segment: Literal["alliance", "restricting", "others"] = "alliance"
             ) -> dict[str, Any]:
    """Per-month percentiles (P5, P25, P50, P75, P95) of one path variable."""
    view = request.app.state.services.run_view(run_id)
    item = item or view.worst_commodity() or ""
    table = view.fan(variable, item, None if variable == "loss_share" else segment)
    if table.empty and not view.fans.empty:
        raise NotFoundError(f"run {run_id} has no {variable} fan for item '{item}'"
                            + ("" if variable == "loss_share" else f" in segment '{segment}'"))
    return clean({"run_id": run_id, "variable": variable, "item": item, "segment": segment,
                  "months": [int(m) + 1 for m in table.index],
                  "quantiles": {f"p{round(q * 100):02d}": table[q].tolist()
                                for q in table.columns}})


@router.get("/runs/{run_id}/record")
def run_record(run_id: str, request: Request, _who: Reader) -> dict[str, Any]:
    """A run's stored record and its summaries in the store's long layout (as
    ``paxsilica runs show --format json``; the CLI reads it here while the service runs)."""
    record = workflows.show_run(run_id, request.app.state.services.settings.db)
    metrics = record.pop("metrics")
    return clean({**record, "created_at": str(record["created_at"]),
                  "metrics": metrics.to_dict(orient="records")})


@router.get("/runs/{run_id}/report")
async def run_report(run_id: str, request: Request, _who: Reader,
                     lang: str = Query("en", pattern="^(en|ar)$"),
                     digits: str = Query("latin", pattern="^(latin|arabic)$"),
                     format: str = Query("html", pattern="^(html|pdf)$")) -> Response:
    """The run's report in English or Arabic, as self-contained HTML or PDF."""
    services = request.app.state.services
    view = await run_in_threadpool(services.run_view, run_id)
    if view.status != "complete":
        raise HTTPException(409, f"run {run_id} is {view.status}; reports need a complete run")
    ds = await run_in_threadpool(lambda: services.ds)
    document = await off_loop(render_report, view, ds, lang, digits)
    if format == "pdf":
        return Response(await off_loop(pdf_bytes, document), media_type="application/pdf",
                        headers={"Content-Disposition":
                                 f'attachment; filename="paxsilica-{run_id}-{lang}.pdf"'})
    return Response(document, media_type="text/html; charset=utf-8")


async def _text_body(request: Request) -> str:
    raw = await request.body()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScenarioError("the upload is not UTF-8 text", file="upload.yaml") from None
