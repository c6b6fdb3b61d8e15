"""Coverage-guided fuzzing of the service's package upload: bytes -> zip -> tables -> checks.

Run: ``python fuzz/fuzz_upload.py -runs=50000``. Exercises the zip extraction limits (member
count, expanded size, member names) and then the package checks, as ``POST
/api/data/validate`` does; nothing may be written outside the temporary folder.
"""

from __future__ import annotations

import io
import sys
import tempfile
import zipfile
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))
with atheris.instrument_imports():
    from paxsilica import workflows
    from paxsilica.api.routes import _extract_tables, _open_zip

from _common import count, expect_clean, with_corpus  # noqa: E402


def test_one(data: bytes) -> None:
    try:
        archive = _open_zip(data)
    except Exception as exc:  # noqa: BLE001 - sorted by expect_clean
        expect_clean(exc)
        return
    with tempfile.TemporaryDirectory(prefix="paxsilica-fuzz-") as tmp:
        try:
            _extract_tables(archive, Path(tmp))
            workflows.validate_package(tmp)
            count("valid")
        except Exception as exc:  # noqa: BLE001 - sorted by expect_clean
            expect_clean(exc)
        for path in Path(tmp).rglob("*"):
            assert path.parent == Path(tmp), path  # flat: no member escapes or nests


def _seed_zip() -> bytes:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.conftest import MINI, write_package

    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(write_package(Path(tmp), MINI).iterdir()):
            archive.write(path, path.name)
    return buffer.getvalue()


def main() -> None:
    atheris.Setup(with_corpus(sys.argv, {"package.zip": _seed_zip()}), test_one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
