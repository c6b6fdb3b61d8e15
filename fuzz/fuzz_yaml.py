"""Coverage-guided fuzzing of the scenario reader: bytes -> YAML -> Scenario -> id checks.

Run: ``python fuzz/fuzz_yaml.py -runs=200000`` (libFuzzer flags). Without a corpus folder the
built-in library is copied into a temporary one to start from (libFuzzer writes into its
corpus folder, so never name a folder of the source tree). Any exception other
than a paxsilica error, or a hang (``-timeout=5``), is reported as a crash with its input.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))
with atheris.instrument_imports():
    from paxsilica.data.yaml_lines import parse_yaml
    from paxsilica.model.scenario import Scenario, check_scenario

from _common import count, expect_clean, with_corpus  # noqa: E402


def _dataset():
    from paxsilica import workflows

    return workflows.load()


DS = _dataset()


def test_one(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    try:
        obj, lines = parse_yaml(text, file="fuzz.yaml")
        scn = Scenario.from_mapping(obj, lines=lines, file="fuzz.yaml")
        check_scenario(scn, DS, lines=lines, file="fuzz.yaml")
        scn.resolved()
        count("valid")
    except Exception as exc:  # noqa: BLE001 - sorted by expect_clean
        expect_clean(exc)


def main() -> None:
    from paxsilica.data.yaml_lines import builtin_path, list_builtin

    seeds = {name: builtin_path(name).read_bytes() for name in list_builtin()}
    atheris.Setup(with_corpus(sys.argv, seeds), test_one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
