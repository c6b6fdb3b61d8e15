"""What every command module shares: error handling, JSON output, common options."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from paxsilica.errors import PaxsilicaError
from paxsilica.model.records import json_safe

__all__ = ["DataOption", "DbOption", "Format", "FormatOption", "Lang", "ParameterChoice",
           "ParametersOption", "emit_json", "err", "user_errors"]

err = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])


class Format(str, Enum):
    table = "table"
    json = "json"


class Lang(str, Enum):
    en = "en"
    ar = "ar"


class ParameterChoice(str, Enum):
    """Behavioural parameters of a run (paxsilica.calibration.posterior)."""

    shipped = "shipped"
    median = "median"
    posterior = "posterior"


ParametersOption = Annotated[ParameterChoice, typer.Option(
    help="Behavioural parameters: posterior (the default: sampled from the calibration's "
         "posterior, parameter uncertainty inside the fan), median (fixed at its P50) or "
         "shipped (the engine's defaults, the crisis mechanisms off); docs/calibration.md "
         "section 4.")]
DataOption = Annotated[Path | None, typer.Option(
    "--data", help="A data package folder or .xlsx workbook to use instead of the embedded one.")]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
DbOption = Annotated[Path | None, typer.Option(
    "--db", help="DuckDB results store (default $PAXSILICA_DB or ./paxsilica.duckdb).")]


def user_errors(func: F) -> F:
    """Turn PaxsilicaError into one paragraph on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PaxsilicaError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


def emit_json(payload: Any) -> None:
    """Write JSON to stdout with NaN/inf as null (JSON has no NaN)."""
    typer.echo(json.dumps(json_safe(payload), ensure_ascii=False, indent=2))


