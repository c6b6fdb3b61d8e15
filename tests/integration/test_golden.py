"""Golden summaries of the built-in library on a fixed seed (regenerate on purpose only, with
``python tools/regenerate_golden.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import load_script

ROOT = Path(__file__).resolve().parents[2]


def _tool():
    return load_script("tools/regenerate_golden.py")


@pytest.mark.parametrize("regions, file", [("countries", "library.json"),
                                           ("segments", "library_segments.json")])
def test_library_matches_its_golden_summaries(regions: str, file: str) -> None:
    """The default map's numbers, and the first release's three-segment market, which the
    region engine reproduces (its golden values predate the regions)."""
    expected = json.loads((ROOT / "tests" / "golden" / file).read_text("utf-8"))
    fresh = _tool().golden_summaries(regions)
    assert fresh["dataset_hash"] == expected["dataset_hash"], (
        "the embedded data changed: regenerate the golden file on purpose")
    assert set(fresh["scenarios"]) == set(expected["scenarios"])
    for name, want in expected["scenarios"].items():
        got = fresh["scenarios"][name]
        for commodity, values in want["alliance"].items():
            for key, value in values.items():
                actual = got["alliance"][commodity][key]
                if value is None:  # e.g. never stocked out
                    assert actual is None, (name, commodity, key)
                else:
                    assert actual == pytest.approx(value, rel=1e-9, abs=1e-12), (
                        name, commodity, key)
        assert got["downstream"] == pytest.approx(want["downstream"], rel=1e-9, abs=1e-12)
        if "members" in want:
            assert got["members"] == pytest.approx(want["members"], rel=1e-9, abs=1e-12)
