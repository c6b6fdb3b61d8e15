"""Coverage-guided fuzzing of the data-package reader: one table's CSV bytes are replaced.

Run: ``python fuzz/fuzz_package.py -runs=100000``. The first input byte picks the table of the
hand-made mini package (tests/conftest.py) to replace; the rest are its CSV file. Parquet
input is selected with ``PAXSILICA_FUZZ_FORMAT=parquet`` (the bytes are the .parquet file).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(ROOT.parent)]
with atheris.instrument_imports():
    from paxsilica.data.package import read_package
    from paxsilica.model.dataset import Dataset

from _common import count, expect_clean, with_corpus  # noqa: E402
from tests.conftest import MINI, write_package  # noqa: E402

NAMES = sorted(MINI)
SUFFIX = ".parquet" if os.environ.get("PAXSILICA_FUZZ_FORMAT") == "parquet" else ".csv"
FOLDER = Path(tempfile.mkdtemp(prefix="paxsilica-fuzz-"))
write_package(FOLDER, MINI)
ORIGINAL = {name: (FOLDER / f"{name}.csv").read_bytes() for name in NAMES}


def test_one(data: bytes) -> None:
    if not data:
        return
    name = NAMES[data[0] % len(NAMES)]
    target = FOLDER / f"{name}{SUFFIX}"
    (FOLDER / f"{name}.csv").unlink(missing_ok=True)
    target.write_bytes(data[1:])
    try:
        Dataset.from_tables(read_package(FOLDER))
        count("valid")
    except Exception as exc:  # noqa: BLE001 - sorted by expect_clean
        expect_clean(exc)
    finally:
        target.unlink(missing_ok=True)
        (FOLDER / f"{name}.csv").write_bytes(ORIGINAL[name])


def main() -> None:
    seeds = {f"seed-{i}": bytes([i]) + ORIGINAL[name] for i, name in enumerate(NAMES)}
    atheris.Setup(with_corpus(sys.argv, seeds), test_one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
