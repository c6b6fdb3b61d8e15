"""The exceptions paxsilica raises for problems a user can fix.

Every error a user can cause derives from :class:`PaxsilicaError`; the CLI turns any of them
into a one-paragraph message and exit code 2, and the API into an HTTP 4xx body.

::

    PaxsilicaError
    ├── DataError          a data package is malformed or inconsistent (file, row, field)
    ├── ScenarioError      a scenario file or object is invalid (file, line, field)
    ├── ModelError         a computation cannot proceed on valid-looking input (e.g. recipe cycle)
    ├── StoreError         the results store cannot be opened, read or written
    └── NotFoundError      a named thing (run, scenario, bloc, commodity) does not exist
"""

from __future__ import annotations

__all__ = [
    "DataError",
    "ModelError",
    "NotFoundError",
    "PaxsilicaError",
    "ScenarioError",
    "StoreError",
]


class PaxsilicaError(Exception):
    """Base class: a problem in the user's input or environment, not a bug."""


class DataError(PaxsilicaError):
    """A data package is malformed or inconsistent.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    file, row, field : optional
        Where: the file name, the 1-based data row (header is row 1, first data row is row 2),
        and the column.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file, self.row, self.field, self.detail = file, row, field, message
        super().__init__(_locate(message, file, row, field, "row"))


class ScenarioError(PaxsilicaError):
    """A scenario is invalid; ``line`` is the 1-based line in the YAML file when known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file, self.line, self.field, self.detail = file, line, field, message
        super().__init__(_locate(message, file, line, field, "line"))


class ModelError(PaxsilicaError):
    """The model cannot be built or run from otherwise valid input."""


class StoreError(PaxsilicaError):
    """The results store cannot be opened, read or written."""


class NotFoundError(PaxsilicaError):
    """A named run, scenario, bloc or commodity does not exist."""


def _locate(message: str, file: str | None, pos: int | None, field: str | None, unit: str) -> str:
    where = []
    if file:
        where.append(file)
    if pos is not None:
        where.append(f"{unit} {pos}")
    if field:
        where.append(f"field '{field}'")
    return f"{' '.join(where)}: {message}" if where else message
