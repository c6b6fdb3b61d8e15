"""The service under a short bounded load (10 clients x 5 s on 127.0.0.1) while runs start.

The full run (50 clients x 60 s) is ``python benchmarks/load_service.py``; its figures are in
docs/reliability.md.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import fuzz_examples, load_script

ROOT = Path(__file__).resolve().parents[2]


def _load_module():
    return load_script("benchmarks/load_service.py")


def test_service_holds_a_short_load_without_errors(tmp_path: Path) -> None:
    figures = _load_module().run_load(clients=fuzz_examples(10, 50),
                                      seconds=fuzz_examples(5, 60), start_every=1.0, draws=100,
                                      folder=tmp_path)
    assert figures["requests"] > 50, figures
    assert figures["errors"] == 0, figures["error_examples"]
    assert figures["runs_started"] >= 2
    assert set(figures["run_statuses"]) <= {"complete", "running"}, figures["run_statuses"]
    assert figures["overall"]["p99_ms"] < 10_000, figures["overall"]
    assert figures["rss_mib"]["peak"] < 2048, figures["rss_mib"]
