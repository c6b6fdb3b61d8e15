"""The CLI's side of the boundary: hostile scenario files, data packages and arguments end in
exit 0 or exit 2 with one paragraph on stderr, never exit 1 or a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from paxsilica.cli.main import app
from tests.conftest import fuzz_settings, write_package
from tests.fuzz.test_fuzz_data_package import edited_tables
from tests.fuzz.test_fuzz_scenario_yaml import mutated_builtin

RUNNER = CliRunner()


def _clean_exit(args: list[str]) -> None:
    result = RUNNER.invoke(app, args)
    assert result.exit_code in (0, 2), (args, result.output[-500:], result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 2 and result.exception is not None:
        assert isinstance(result.exception, SystemExit)


@fuzz_settings(ci=15, long=500)
@given(mutated_builtin())
def test_simulate_with_mutated_scenario_files(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        _clean_exit(["simulate", str(path), "--runs", "4", "--seed", "1",
                     "--db", str(Path(tmp) / "runs.duckdb"), "--format", "json"])


@fuzz_settings(ci=40)
@given(edited_tables())
def test_data_validate_with_hostile_packages(tables: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _clean_exit(["data", "validate", str(write_package(Path(tmp) / "pkg", tables))])


@fuzz_settings(ci=40)
@given(st.sampled_from(["simulate", "report", "runs show", "country", "risk"]),
       st.one_of(st.sampled_from(["-1", "99999999999999999999", "0", "abc", "", "../x",
                                  "/etc/passwd", "baseline"]), st.text(max_size=10)))
def test_arguments_at_and_past_their_edges(command: str, value: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "runs.duckdb")
        args = {"simulate": ["simulate", "baseline", "--runs", "3", "--seed", value, "--db", db],
                "report": ["report", value or "x", "--out", str(Path(tmp) / "r.html"),
                           "--runs", "3", "--seed", "1", "--db", db],
                "runs show": ["runs", "show", value or "x", "--db", db],
                "country": ["country", value or "x", "--format", "json"],
                "risk": ["risk", "--importer", value, "--format", "json", "--limit", "1"]}[command]
        _clean_exit(args)
