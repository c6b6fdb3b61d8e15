"""The package's shape: layer direction, public API, and an import that starts nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import paxsilica

ROOT = Path(__file__).resolve().parents[2]


def test_layers_point_one_way() -> None:
    """The import-linter contracts in pyproject.toml hold (DESIGN.md layout)."""
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    proc = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "broken" in proc.stdout and " 0 broken" in proc.stdout


def test_public_api_is_pinned_and_sorted() -> None:
    assert paxsilica.__all__ == sorted(paxsilica.__all__)
    for name in paxsilica.__all__:
        assert getattr(paxsilica, name) is not None


def test_import_reads_no_files_and_loads_no_heavy_modules() -> None:
    code = ("import sys, paxsilica; "
            "heavy = [m for m in ('pandas', 'numpy', 'duckdb', 'xarray') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        paxsilica.no_such_name  # noqa: B018


def test_top_level_simulate_matches_a_stored_run(tmp_path: Path) -> None:
    """``paxsilica.simulate`` (nothing stored, no paths kept) gives the numbers of the stored
    path (register, simulate keeping paths, write fans and metrics) and of the store itself."""
    from paxsilica import workflows
    from paxsilica.report.view import view_from_record

    direct = paxsilica.simulate("ga-ge-ban", runs=64, seed=5)
    db = tmp_path / "runs.duckdb"
    stored = workflows.simulate_scenario("ga-ge-ban", runs=64, seed=5, db=db)
    assert stored.run_id is not None and direct.meta["seed"] == 5
    columns = list(direct.summary.columns)
    pd.testing.assert_frame_equal(direct.summary, stored.results.summary[columns])
    read_back = view_from_record(workflows.show_run(stored.run_id, db)).summary
    keys = ["commodity", "segment"]
    merged = direct.summary.merge(read_back, on=keys, suffixes=("", "_stored"))
    assert len(merged) == len(direct.summary) > 0
    for column in ("shortage_share_p95", "peak_price_ratio_p50"):
        assert np.allclose(merged[column], merged[f"{column}_stored"], rtol=1e-9)
