"""`paxsilica spof`: the JSON contract and the table on the mini package; bad input exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paxsilica.cli.main import app

runner = CliRunner()


def spof(*args: str):
    return runner.invoke(app, ["spof", "--draws", "4", *args])


def test_json_ranks_the_mini_packages_nodes_and_reads_its_graph(mini_package: Path,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "spof.html"
    result = spof("--data", str(mini_package), "--format", "json", "--dominance", "0.6",
                  "--out", str(out))
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert (body["bloc"], body["months"], body["draws"], body["threshold"]) == (
        "pax-silica", 6, 4, 0.05)
    # the mini package: gallium CHN 600 / USA 300 / ROW 100 t; GaN devices only in the USA
    nodes = [(r["iso3"], r["commodity"]) for r in body["ranking"]]
    assert sorted(nodes) == [("CHN", "gallium_refining"), ("USA", "gallium_refining"),
                             ("USA", "gan_devices")]
    ranks = {(r["iso3"], r["commodity"]): r["rank"] for r in body["ranking"]}
    # the sole maker of the capability itself, then the larger of two gallium producers
    assert ranks[("USA", "gan_devices")] < ranks[("CHN", "gallium_refining")] < ranks[
        ("USA", "gallium_refining")]
    first = body["ranking"][0]
    assert {"loss_p50", "loss_p95", "loss_se", "shortage_p50", "peak_price_p95"} <= set(first)
    assert first["loss_p50"] > 0 and first["capability"] == "gan_devices"
    # one capability in the mini package: its own loss is the headline loss
    assert first["loss_by_capability"] == {"gan_devices": {
        k: pytest.approx(first[k]) for k in ("loss_p50", "loss_p95", "loss_mean", "loss_se")}}
    # structural: at dominance 0.6, China's 60% of gallium counts as the only supplier
    sole = {(r["commodity"], r["iso3"]) for r in body["sole_sources"]}
    assert sole == {("gallium_refining", "CHN"), ("gan_devices", "USA")}
    assert ["gallium_refining", "gan_devices"] in [c["path"] for c in body["capability_cuts"]]
    html = out.read_text(encoding="utf-8")
    assert "Single points of failure" in html and "data-node='CHN:gallium_refining'" in html


def test_table_names_the_worst_node_first(mini_package: Path) -> None:
    result = spof("--data", str(mini_package), "--limit", "1")
    assert result.exit_code == 0, result.output
    assert "single points of failure: pax-silica" in result.stdout
    assert "gan_devices" in result.stdout and "gallium_refining" not in result.stdout.split(
        "inputs one country supplies")[0]


@pytest.mark.parametrize(("args", "message"), [
    (["--threshold", "1.5"], "threshold must be a share"),
    (["--threshold", "0"], "threshold must be a share"),
    (["--dominance", "-1"], "dominance must be a share"),
    (["--bloc", "pax-silca"], "known blocs"),
    (["--start-month", "40"], "start_month"),
])
def test_bad_input_is_one_clear_error_and_exit_2(mini_package: Path, args: list[str],
                                                  message: str) -> None:
    result = spof("--data", str(mini_package), *args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [["--months", "0"], ["--severity", "1.5"], ["--draws", "1"]])
def test_out_of_range_options_are_refused_by_the_parser(args: list[str]) -> None:
    result = spof(*args)
    assert result.exit_code == 2 and "Invalid value" in result.output
