"""The service under a short bounded load (readers and analysts for a few seconds on 127.0.0.1).

The full runs (20 readers + 3 analysts, and 50 readers, for 60 s) are
``python benchmarks/load_service.py``; their figures are in docs/reliability.md. This test
checks for errors only: latency and run-time ratios depend on the machine (2 shared CPUs
here), so they are measured by the benchmark, not asserted.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import fuzz_examples, load_script


def test_service_holds_a_short_load_without_errors(tmp_path: Path) -> None:
    bench = load_script("benchmarks/load_service.py")
    figures = bench.run_load(readers=fuzz_examples(6, 20), analysts=2,
                             seconds=fuzz_examples(5, 60), draws=50, folder=tmp_path)
    assert figures["requests"] > 50, figures
    assert figures["errors"] == 0, figures["error_examples"]
    assert figures["runs_complete"] >= 2, figures["runs"]
    assert {row["status"] for row in figures["runs"]} <= {"complete"}, figures["runs"]
    assert figures["rss_mib"]["peak"] < 3072, figures["rss_mib"]
