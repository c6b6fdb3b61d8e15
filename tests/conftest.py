"""Shared fixtures: a small data package written by hand, so expectations can be computed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

MINI: dict[str, list[dict[str, str]]] = {
    "sources": [
        {"id": "usgs", "citation": "USGS MCS 2026", "url": "https://doi.org/10.5066/P1WKQ63T",
         "license": "public domain", "year": "2026", "kind": "primary", "note": ""},
        {"id": "est", "citation": "paxsilica estimate", "url": "", "license": "", "year": "2026",
         "kind": "estimate", "note": "hand-made test value"},
    ],
    "countries": [
        {"iso3": "CHN", "name_en": "China", "name_ar": "الصين", "wgi": "-0.5", "source": "usgs"},
        {"iso3": "USA", "name_en": "United States", "name_ar": "الولايات المتحدة", "wgi": "1.0",
         "source": "usgs"},
        {"iso3": "AUS", "name_en": "Australia", "name_ar": "أستراليا", "wgi": "1.5",
         "source": "usgs"},
        {"iso3": "ROW", "name_en": "Rest of world", "name_ar": "بقية العالم", "wgi": "",
         "source": "est"},
    ],
    "blocs": [
        {"bloc": "pax-silica", "iso3": "USA", "role": "member", "joined": "2025-12-12",
         "note": "", "source": "usgs"},
        {"bloc": "pax-silica", "iso3": "AUS", "role": "member", "joined": "2025-12-12",
         "note": "", "source": "usgs"},
        {"bloc": "of-concern", "iso3": "CHN", "role": "of_concern", "joined": "", "note": "",
         "source": "est"},
    ],
    "commodities": [
        {"id": "gallium_refining", "material": "gallium", "stage": "refining",
         "name_en": "Gallium (primary)", "name_ar": "الغاليوم", "unit": "t", "price_usd": "500000",
         "demand_elasticity": "-0.2", "supply_elasticity": "0.3", "eol_recycling_rate": "0",
         "substitution_index": "0.9", "price_cap_ratio": "4", "lead_time_months": "24",
         "exit_months": "12", "is_capability": "false", "source": "usgs;est"},
        {"id": "gan_devices", "material": "gan_devices", "stage": "component",
         "name_en": "GaN devices", "name_ar": "أجهزة نتريد الغاليوم", "unit": "index",
         "price_usd": "1", "demand_elasticity": "-0.1", "supply_elasticity": "0.2",
         "eol_recycling_rate": "0", "substitution_index": "1", "price_cap_ratio": "3",
         "lead_time_months": "18", "exit_months": "12", "is_capability": "true", "source": "est"},
    ],
    "production": [
        {"commodity": "gallium_refining", "iso3": "CHN", "year": "2025", "quantity": "600",
         "capacity": "", "unit_cost": "", "reliability": "high", "source": "usgs"},
        {"commodity": "gallium_refining", "iso3": "USA", "year": "2025", "quantity": "300",
         "capacity": "", "unit_cost": "", "reliability": "high", "source": "usgs"},
        {"commodity": "gallium_refining", "iso3": "ROW", "year": "2025", "quantity": "100",
         "capacity": "", "unit_cost": "", "reliability": "high", "source": "usgs"},
        {"commodity": "gan_devices", "iso3": "USA", "year": "2025", "quantity": "100",
         "capacity": "", "unit_cost": "", "reliability": "estimate", "source": "est"},
    ],
    "recipes": [
        {"output": "gan_devices", "input": "gallium_refining", "coefficient": "2",
         "input_share": "0.2", "source": "est"},
    ],
}


def write_package(folder: Path, tables: dict[str, list[dict[str, str]]]) -> Path:
    """Write ``tables`` as ``<name>.csv`` files into ``folder``; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        pd.DataFrame(rows).to_csv(folder / f"{name}.csv", index=False)
    return folder


def load_script(relative: str):
    """Import a repository script (tools/, benchmarks/) by path, for tests of its functions."""
    import importlib.util
    import sys

    path = Path(__file__).resolve().parents[1] / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def mini_tables() -> dict[str, list[dict[str, str]]]:
    """A fresh deep copy of the hand-made mini package's rows."""
    return {name: [dict(row) for row in rows] for name, rows in MINI.items()}


@pytest.fixture
def mini_package(tmp_path: Path, mini_tables: dict[str, list[dict[str, str]]]) -> Path:
    """The mini package written to a temporary folder."""
    return write_package(tmp_path / "pkg", mini_tables)


# ==============================================================================================
# Hypothesis profiles for the hardening tests (tests/fuzz, tests/faults, tests/security).
# "ci" (default): a stated, bounded number of examples per property so CI stays short;
# "long": selected with PAXSILICA_FUZZ=long for local runs whose counts go to
# docs/reliability.md. The profiles are registered, not loaded, so the rest of the suite keeps
# hypothesis' defaults: hardening tests decorate with ``@FUZZ`` (or ``fuzz_settings(n)``) and
# scale their own loops with ``fuzz_examples()``.
# ==============================================================================================
import os as _os  # noqa: E402

from hypothesis import HealthCheck as _HealthCheck  # noqa: E402
from hypothesis import settings as _hyp_settings  # noqa: E402

FUZZ_PROFILE = "long" if _os.environ.get("PAXSILICA_FUZZ", "").lower() == "long" else "ci"
FUZZ_CI_EXAMPLES = 200
FUZZ_LONG_EXAMPLES = 5_000
_hyp_settings.register_profile(
    "ci", max_examples=FUZZ_CI_EXAMPLES, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[_HealthCheck.too_slow, _HealthCheck.data_too_large])
_hyp_settings.register_profile(
    "long", max_examples=FUZZ_LONG_EXAMPLES, deadline=None, print_blob=True,
    suppress_health_check=[_HealthCheck.too_slow, _HealthCheck.data_too_large])
FUZZ = _hyp_settings.get_profile(FUZZ_PROFILE)


def fuzz_settings(ci: int, long: int | None = None) -> _hyp_settings:
    """The active profile with its own example counts (for slower properties)."""
    return _hyp_settings(FUZZ, max_examples=fuzz_examples(ci, long or ci * 25))


def fuzz_examples(ci: int, long: int) -> int:
    """Example (or repetition) count for a hardening test under the active profile."""
    return long if FUZZ_PROFILE == "long" else ci


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for servers the tests start)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

