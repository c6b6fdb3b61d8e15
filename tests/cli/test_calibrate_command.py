"""`paxsilica calibrate` through the CLI, on a fit small enough for a test."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from paxsilica import workflows_calibration as wc
from paxsilica.calibration.evaluate import PARAMETERS
from paxsilica.cli.main import app

runner = CliRunner()


def test_calibrate_writes_the_parameter_set_and_posterior(tmp_path: Path) -> None:
    result = runner.invoke(app, ["calibrate", "--population", "4", "--generations", "1",
                                 "--draws", "5", "--seed", "7", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "before (shipped values): training:" in result.output
    assert "heldout: " in result.output
    parameters, posterior = wc.read_calibrated(tmp_path)
    assert list(parameters["parameter"]) == [p.name for p in PARAMETERS]
    assert len(posterior) == 4 and set(parameters["source"]) == {"calibrated"}
    assert "seed 7" in parameters["method"].iloc[0]
    # the CLI prints the P50s it wrote (3 decimals; the file keeps 6 significant digits, so
    # a value on a rounding edge may print either way: within half a unit of the last place)
    printed = {line.split()[0]: float(line.split()[5]) for line in result.output.splitlines()
               if line.split() and line.split()[0] in set(parameters["parameter"])}
    for name, value in parameters.set_index("parameter")["p50"].items():
        assert printed[name] == pytest.approx(value, abs=5e-4 + 1e-9), name


def test_calibrate_rejects_a_too_small_population(tmp_path: Path) -> None:
    result = runner.invoke(app, ["calibrate", "--population", "1", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert not list(tmp_path.iterdir())


def test_reading_a_missing_calibration_names_the_file(tmp_path: Path) -> None:
    import pytest

    from paxsilica.errors import DataError

    with pytest.raises(DataError, match="calibrated_parameters.csv") as info:
        wc.read_calibrated(tmp_path)
    assert "paxsilica calibrate --out" in str(info.value)
    pd.DataFrame({"parameter": ["x"]}).to_csv(tmp_path / wc.PARAMETERS_FILE, index=False)
    pd.DataFrame({"weight": [1.0]}).to_csv(tmp_path / wc.POSTERIOR_FILE, index=False)
    with pytest.raises(DataError, match="has no row"):
        wc.read_calibrated(tmp_path)


def test_calibrate_on_an_unreachable_scheduler_says_so_and_writes_nothing(
        tmp_path: Path) -> None:
    result = runner.invoke(app, ["calibrate", "--population", "4", "--generations", "1",
                                 "--draws", "5", "--scheduler", "tcp://127.0.0.1:9",
                                 "--out", str(tmp_path)])
    assert result.exit_code == 2, result.output  # the CLI's exit code for a user error
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in result.output
    assert "Traceback" not in result.output
    assert not list(tmp_path.iterdir())


def test_calibrate_by_the_replenishment_sampler_writes_equal_weights(tmp_path: Path) -> None:
    result = runner.invoke(app, ["calibrate", "--method", "replenish", "--population", "4",
                                 "--generations", "1", "--draws", "5", "--seed", "7",
                                 "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    parameters, posterior = wc.read_calibrated(tmp_path)
    assert "MCMC moves" in parameters["method"].iloc[0]
    assert "1 generations" in parameters["method"].iloc[0]
    # 4 draws from the prior and 2 moved copies: every particle weighs a quarter
    assert len(posterior) == 4 and (posterior["weight"] == 0.25).all()
    assert "6 simulations" in result.output and "MCMC acceptance " in result.output


def test_calibrate_rejects_an_unknown_sampler(tmp_path: Path) -> None:
    result = runner.invoke(app, ["calibrate", "--method", "mcmc", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "'mcmc' is not one of" in result.output
    assert not list(tmp_path.iterdir())
