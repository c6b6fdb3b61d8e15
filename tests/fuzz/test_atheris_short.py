"""A short, bounded run of each coverage-guided harness in fuzz/ (skipped without atheris).

The long runs are local (``python fuzz/fuzz_yaml.py -runs=200000``); their figures are in
docs/reliability.md. Here each harness gets a few thousand inputs: enough to catch a
regression that crashes the parsers on a common mutation, in seconds.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import fuzz_examples

ROOT = Path(__file__).resolve().parents[2]
HARNESSES = ["fuzz_yaml.py", "fuzz_package.py", "fuzz_upload.py"]


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None,
                    reason="atheris is not installed (pip install atheris); hypothesis fuzzing "
                           "covers the same boundaries")
@pytest.mark.parametrize("harness", HARNESSES)
def test_harness_runs_clean(harness: str, tmp_path: Path) -> None:
    runs = fuzz_examples(ci={"fuzz_yaml.py": 1000, "fuzz_package.py": 100, "fuzz_upload.py": 150}[harness],
                         long=200_000)
    done = subprocess.run(
        [sys.executable, str(ROOT / "fuzz" / harness), f"-runs={runs}", "-timeout=10",
         "-rss_limit_mb=2048", f"-artifact_prefix={tmp_path}/", "-seed=1"],
        cwd=tmp_path, capture_output=True, text=True, timeout=240)
    tail = (done.stdout + done.stderr)[-3000:]
    assert done.returncode == 0, tail
    assert f"Done {runs} runs" in tail, tail
    assert not list(tmp_path.glob("crash-*")), tail
