"""Scale-out options shared by ``simulate`` and ``sweep`` (Dask workers or scheduler, numpy
or JAX kernel), and the ``sweep`` command, a thin adapter over ``workflows.sweep_scenario``."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from paxsilica import workflows
from paxsilica.cli.common import DataOption, Format, FormatOption, emit_json, user_errors
from paxsilica.cli.render import console

__all__ = ["Backend", "BackendOption", "Precision", "PrecisionOption", "SchedulerOption",
           "WorkersOption", "sweep"]


class Backend(str, enum.Enum):
    numpy = "numpy"
    jax = "jax"


class Precision(str, enum.Enum):
    float64 = "float64"
    float32 = "float32"


WorkersOption = Annotated[int | None, typer.Option(
    "--workers", min=1, help="Dask worker processes on this machine (a LocalCluster when > 1).")]
SchedulerOption = Annotated[str | None, typer.Option(
    "--scheduler", help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786.")]
BackendOption = Annotated[Backend, typer.Option(
    "--backend", help="Kernel: numpy (reference) or jax (GPU if present; pip install "
                      "'paxsilica[gpu]').")]
PrecisionOption = Annotated[Precision, typer.Option(
    "--precision", help="Floating point of the jax backend.")]


@user_errors
def sweep(
    scenario: Annotated[str, typer.Argument(help="A scenario YAML file or a built-in name.")],
    grid: Annotated[Path, typer.Option("--grid", help="YAML/JSON: dotted path -> values.")],
    runs: Annotated[int | None, typer.Option(help="Draws per variant.", min=1)] = None,
    seed: Annotated[int | None, typer.Option(help="Seed shared by all variants.")] = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    backend: BackendOption = Backend.numpy,
    precision: PrecisionOption = Precision.float64,
    out: Annotated[Path | None, typer.Option(help="Write the stacked summary as CSV.")] = None,
    format: FormatOption = Format.table,
    data: DataOption = None,
) -> None:
    """Run a grid of scenario variants in parallel; summaries stacked on 'scenario'."""
    outcome = workflows.sweep_scenario(
        scenario, grid, runs=runs, seed=seed, data=data,
        scale=workflows.Scale(workers, scheduler, backend.value, precision.value))
    if out is not None:  # the per-(commodity, segment) statistics, one row per variant
        summary = outcome["sweep"].summary
        cells = [v for v, da in summary.data_vars.items()
                 if set(da.dims) == {"scenario", "commodity", "segment"}]
        summary[cells].to_dataframe().reset_index().to_csv(out, index=False)
    rows = outcome["variants"]
    if format is Format.json:
        emit_json({key: outcome[key] for key in ("scenario", "draws", "seed", "variants")})
        return
    table = Table("variant", "grid values", "max alliance peak price (mean)",
                  "max alliance shortage share (mean)", "hardest-hit member")
    for row in rows:
        table.add_row(row["scenario"], row["label"],
                      f"{row['alliance_peak_price_ratio_mean']:.3f}",
                      f"{row['alliance_shortage_share_mean']:.3%}", row["hardest_label"])
    console.print(table)
