"""Fuzzing the scenario boundary: any text or data in, a ScenarioError/NotFoundError or a
valid Scenario out; never another exception, never a hang.

Three generators: arbitrary text (including control characters and YAML punctuation),
well-formed YAML of random structure built from the scenario's own field names (so
validation gets deep), and byte-level mutations of the built-in library.
"""

from __future__ import annotations

import time
from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from paxsilica.data.yaml_lines import builtin_path, list_builtin, parse_yaml, read_scenario_document
from paxsilica.errors import NotFoundError, PaxsilicaError, ScenarioError
from paxsilica.model.scenario import Scenario, check_scenario
from tests.conftest import FUZZ, fuzz_settings
from tests.unit.engine.conftest import mini

DS = mini()
#: CPU seconds one document may take; a parser that hangs on a crafted input fails here.
BUDGET_S = 2.0

YAML_PUNCT = list("-:?,[]{}#&*!|>'\"%@`\n\t ") + ["<<", "!!python/object:os.system", "---",
                                                  "...", "&a", "*a", "~", "null", "1e9",
                                                  "0x1F", ".inf", "NO", "yes", "\x00", "\ufeff"]
KEYS = ["name", "title", "description", "sources", "bloc", "restricting", "horizon_months",
        "draws", "seed", "shocks", "policies", "type", "commodities", "countries", "severity",
        "leakage", "probability", "start_month", "duration_months", "dist", "low", "high",
        "mode", "mean", "sd", "alpha", "beta", "values", "weights", "value", "holder",
        "holdings", "budget_usd", "allocation", "release", "trigger", "threshold", "refill",
        "route", "magnitude", "segments", "price_ratio", "commodity", "floor_usd", "club",
        "country", "capacity", "lead_time_months", "capex_usd", "month", "<<", "x"]
TYPES = ["export_restriction", "supply_outage", "demand_surge", "price_suppression",
         "chokepoint_closure", "stockpile", "price_floor", "trade_club_priority",
         "capacity_investment", "membership_change", "uniform", "triangular", "normal", "beta",
         "choice", "constant", "price", "shortage"]
IDS = ["ore", "chip", "CHN", "USA", "JPN", "pax-silica", "trade-club", "all", "alliance",
       "others", "hormuz", "nope"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(TYPES + IDS),
    st.text(max_size=12))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(KEYS), inner, max_size=6)),
    max_leaves=30)
documents = st.fixed_dictionaries(
    {"name": st.one_of(st.just("fuzz"), st.text(max_size=8)), "title": st.just("Fuzz")},
    optional={k: values for k in KEYS if k not in ("name", "title")})


def _check(text: str, file: str = "fuzz.yaml") -> None:
    """parse -> validate -> check ids: only ScenarioError may escape, within the budget."""
    started = time.perf_counter()
    try:
        obj, lines = parse_yaml(text, file=file)
        scn = Scenario.from_mapping(obj, lines=lines, file=file)
        check_scenario(scn, DS, lines=lines, file=file)
        scn.resolved()
        assert scn.content_hash
    except ScenarioError as exc:
        assert str(exc).startswith(file), exc  # the message says where
    finally:
        assert time.perf_counter() - started < BUDGET_S, text[:200]


@FUZZ
@given(st.lists(st.one_of(st.characters(), st.sampled_from(YAML_PUNCT)), max_size=200))
def test_arbitrary_text_gives_a_scenario_or_a_scenario_error(pieces: list[str]) -> None:
    _check("".join(pieces))


@FUZZ
@given(documents)
def test_random_structures_with_scenario_keys_are_validated_not_crashed(doc: dict) -> None:
    try:
        text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, UnicodeEncodeError):  # not every random value is dumpable
        return
    _check(text)


@st.composite
def mutated_builtin(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(list_builtin()))
    text = builtin_path(name).read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.one_of(st.sampled_from(YAML_PUNCT + KEYS + TYPES + IDS),
                               st.text(max_size=6)))
        cut = draw(st.integers(0, 40))
        text = {"insert": text[:at] + piece + text[at:],
                "delete": text[:at] + text[at + cut:],
                "replace": text[:at] + piece + text[at + len(piece):]}[edit]
    return text


@fuzz_settings(ci=150)
@given(mutated_builtin())
def test_mutated_builtin_scenarios_fail_cleanly(text: str) -> None:
    _check(text)


@fuzz_settings(ci=60)
@given(st.binary(max_size=300))
def test_scenario_files_of_random_bytes(tmp_path_factory, raw: bytes) -> None:
    """Through the file reader: not UTF-8, BOMs, NULs; errors name the file."""
    path = Path(tmp_path_factory.mktemp("scn")) / "fuzz.yaml"
    path.write_bytes(raw)
    try:
        obj, lines, file = read_scenario_document(path)
        Scenario.from_mapping(obj, lines=lines, file=file)
    except ScenarioError as exc:
        assert str(path) in str(exc)


@FUZZ
@given(st.text(max_size=40))
def test_builtin_only_names_never_reach_the_file_system(name: str) -> None:
    """Names from the network resolve to built-ins or NotFoundError, whatever they contain."""
    try:
        obj, _, file = read_scenario_document(name, builtin_only=True)
    except NotFoundError:
        return
    assert name in list_builtin() and file == f"{name}.yaml"


def test_known_attack_documents_are_refused_quickly() -> None:
    """Billion laughs, merge bombs, unsafe tags, deep nesting, huge numbers: all refused."""
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    merges = "a: &a {x: 1, y: 2}\n" + "".join(
        f"{c}: &{c} {{<<: [{', '.join([f'*{p}'] * 8)}]}}\n" for p, c in zip("abcdefg", "bcdefgh"))
    attacks = {
        "billion laughs": laughs,
        "merge bomb": merges,
        "python tag": "name: !!python/object/apply:os.system ['echo pwned']\ntitle: t\n",
        "python name": "!!python/name:os.system\n",
        "local tag": "name: !secret x\ntitle: t\n",
        "deep lists": "[" * 5000 + "]" * 5000,
        "deep maps": "a: " * 3000 + "1",
        "huge int": "name: x\ntitle: t\ndraws: " + "9" * 5000 + "\n",
        "recursive alias": "a: &a [*a]\n",
        "many documents": "name: a\n---\nname: b\n",
    }
    for label, text in attacks.items():
        # CPU time of this process: an expansion bomb burns CPU here, while other processes
        # loading the machine do not count against the budget (wall time did, and flaked)
        started = time.process_time()
        try:
            obj, lines = parse_yaml(text, file=label)
            Scenario.from_mapping(obj, lines=lines, file=label)
        except PaxsilicaError as exc:
            assert isinstance(exc, ScenarioError), (label, exc)
        else:
            raise AssertionError(f"{label} was accepted")
        assert time.process_time() - started < BUDGET_S, label
