"""A full disk or a read-only store gives a clear StoreError, and loses nothing already stored.

Disk full two ways: a 1 MiB tmpfs (needs root; skipped otherwise) and a file-size limit
(RLIMIT_FSIZE with SIGXFSZ ignored, so writes fail with EFBIG as on a full disk), each in a
writer subprocess. Read-only: a store whose file and folder the writing user may not write
(as root, who ignores permission bits, a read-only bind mount; skipped if mount fails).
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from paxsilica.store.runs import RunStore

ROOT = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("_store_writer.py")


def _write(db: Path, seed: int, count: int, fsize: int | None = None) -> subprocess.CompletedProcess[str]:
    """Run the writer; with ``fsize`` it may grow no file beyond that many bytes."""
    code = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], " \
           "run_name='__main__')"
    if fsize is not None:
        code = ("import resource, signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
                f"resource.setrlimit(resource.RLIMIT_FSIZE, ({fsize}, {fsize})); " + code)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code, str(WRITER), str(db), str(seed),
                           str(count)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180)


def _statuses(db: Path) -> dict[str, str]:
    with RunStore.open(db) as store:
        frame = store.list_runs(1000)
    return dict(zip(frame["run_id"], frame["status"], strict=True))


def _assert_clean_store_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.returncode, done.stdout[-500:], done.stderr[-2000:])
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith("error StoreError: "), line
    return line


def _fill_then_check(db: Path, squeeze) -> str:
    """Store one run, ``squeeze`` the space left, write more: a StoreError, nothing lost."""
    first = _write(db, 0, 1)
    assert first.returncode == 0, first.stderr[-2000:]
    kept = _statuses(db)
    assert list(kept.values()) == ["complete"]
    done = squeeze()
    message = _assert_clean_store_error(done)
    if (db.parent / "ballast").exists():
        (db.parent / "ballast").unlink()  # free space so the store can be opened again
    after = _statuses(db)
    for run_id, status in kept.items():
        assert after[run_id] == status  # nothing earlier lost
    assert set(after.values()) <= {"complete", "failed"}
    return message


def test_file_size_limit_gives_a_store_error(tmp_path: Path) -> None:
    db = tmp_path / "runs.duckdb"

    def squeeze() -> subprocess.CompletedProcess[str]:
        limit = db.stat().st_size + 256 * 1024  # room for part of the next run, not all of it
        return _write(db, 1, 50, fsize=limit)

    assert "runs.duckdb" in _fill_then_check(db, squeeze)


@contextmanager
def _mounted(folder: Path, *options: str):
    folder.mkdir(exist_ok=True)
    made = subprocess.run(["mount", *options, str(folder)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount here ({made.stderr.strip() or 'not root'}); the other "
                    "store fault tests cover the same paths")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_full_tmpfs_gives_a_store_error(tmp_path: Path) -> None:
    with _mounted(tmp_path / "tiny", "-t", "tmpfs", "-o", "size=8m", "tmpfs") as mount:
        db = mount / "runs.duckdb"

        def squeeze() -> subprocess.CompletedProcess[str]:
            stats = os.statvfs(mount)
            free = stats.f_bavail * stats.f_frsize
            (mount / "ballast").write_bytes(b"\0" * max(0, free - 256 * 1024))
            return _write(db, 1, 50)

        assert "No space left" in _fill_then_check(db, squeeze)


def test_read_only_store_gives_a_store_error(tmp_path: Path) -> None:
    """Permission bits for a normal user; a read-only bind mount for root, who ignores them."""
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "runs.duckdb"
    assert _write(db, 0, 1).returncode == 0
    if os.geteuid() == 0:
        with _mounted(folder, "--bind", str(folder)):
            remount = subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)],
                                     capture_output=True, text=True)
            if remount.returncode != 0:
                pytest.skip(f"cannot remount read-only: {remount.stderr.strip()}")
            message = _assert_clean_store_error(_write(db, 1, 1))
    else:
        db.chmod(0o444)
        folder.chmod(0o555)
        try:
            message = _assert_clean_store_error(_write(db, 1, 1))
        finally:
            folder.chmod(0o755)
            db.chmod(0o644)
    assert str(db) in message
    assert list(_statuses(db).values()) == ["complete"]
