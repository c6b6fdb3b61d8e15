"""Shared by the atheris harnesses: what counts as a clean failure, and a counter."""

from __future__ import annotations

import atexit
import sys
from collections import Counter

from paxsilica.errors import PaxsilicaError

#: Outcomes of this process's inputs, printed at exit: the figures for docs/reliability.md.
OUTCOMES: Counter[str] = Counter()


def _report() -> None:
    print(f"\n{sys.argv[0]} outcomes after {sum(OUTCOMES.values())} inputs: {dict(OUTCOMES)}",
          file=sys.stderr, flush=True)


atexit.register(_report)  # libFuzzer may _exit; count() also prints at 1e3, 1e4, ... inputs


def count(outcome: str) -> None:
    """Tally one input's outcome."""
    OUTCOMES[outcome] += 1
    total = sum(OUTCOMES.values())
    if total >= 1000 and str(total).rstrip("0") == "1":
        _report()


def expect_clean(exc: BaseException) -> None:
    """Re-raise anything that is not a paxsilica error: atheris records it as a crash."""
    if not isinstance(exc, PaxsilicaError):
        raise exc
    count(type(exc).__name__)


def with_corpus(argv: list[str], seeds: dict[str, bytes]) -> list[str]:
    """``argv`` plus a fresh temporary corpus folder holding ``seeds`` when none is given.

    libFuzzer writes new inputs into the first corpus folder, so never point it at a folder
    of the source tree: the seeds are copied out instead.
    """
    import tempfile
    from pathlib import Path

    if any(not arg.startswith("-") for arg in argv[1:]):
        return argv
    folder = Path(tempfile.mkdtemp(prefix="paxsilica-corpus-"))
    for name, data in seeds.items():
        (folder / name).write_bytes(data)
    return [*argv, str(folder)]
