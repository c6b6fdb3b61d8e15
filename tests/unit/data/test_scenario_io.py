"""Scenario YAML reading: built-ins, line numbers in errors, and hostile input."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from paxsilica.data.yaml_lines import (
    MAX_BYTES,
    builtin_path,
    list_builtin,
    parse_yaml,
    read_scenario_document,
)
from paxsilica.errors import NotFoundError, ScenarioError
from paxsilica.model.scenario import Scenario, scenario_json_schema

EXPECTED_BUILTINS = {
    "baseline", "ree-export-controls", "ga-ge-ban", "lithium-price-suppression",
    "hormuz-closure", "taiwan-strait", "vault-response", "helium-supply-shock",
}


def _load(text: str, file: str = "x.yaml") -> Scenario:
    obj, lines = parse_yaml(text, file)
    return Scenario.from_mapping(obj, lines, file)


def _error(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        _load(text)
    return info.value


def _line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle`` (the independent expectation)."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


GOOD = """\
name: t
title: Test
restricting: [CHN]
horizon_months: 24
shocks:
  - type: export_restriction
    commodities: [gallium_refining]
    severity: 0.5
  - type: supply_outage
    countries: [TWN]
    commodities: [leading_edge_logic]
    severity: 0.9
"""


# -- built-in library ---------------------------------------------------------------------
def test_library_lists_the_expected_scenarios():
    assert set(list_builtin()) == EXPECTED_BUILTINS


@pytest.mark.parametrize("name", sorted(EXPECTED_BUILTINS))
def test_each_builtin_loads_and_is_documented(name):
    obj, lines, file = read_scenario_document(name)
    scn = Scenario.from_mapping(obj, lines, file)
    assert scn.name == name == builtin_path(name).stem
    assert file == f"{name}.yaml"
    assert scn.title and len(scn.description) > 100
    assert any("founding-documents/" in s for s in scn.sources)
    assert name == "baseline" or scn.shocks


def test_builtins_validate_against_the_published_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = scenario_json_schema()
    for name in list_builtin():
        jsonschema.validate(read_scenario_document(name)[0], schema)


def test_vault_response_has_the_same_shock_as_ree_export_controls():
    def load(name):
        return Scenario.from_mapping(*read_scenario_document(name))

    ree, vault = load("ree-export-controls"), load("vault-response")
    assert vault.shocks == ree.shocks and vault.seed == ree.seed
    (stockpile,) = vault.policies
    assert stockpile.budget_usd == 12e9  # $10B EXIM loan + $2B private (Project Vault)


def test_unknown_builtin_suggests_the_closest():
    with pytest.raises(NotFoundError, match="did you mean 'ga-ge-ban'"):
        builtin_path("ga-ge-bann")
    with pytest.raises(NotFoundError, match="does not exist"):
        read_scenario_document("no/such/file.yaml")


def test_reads_a_file_by_path(tmp_path: Path):
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD, encoding="utf-8")
    obj, lines, file = read_scenario_document(path)
    assert Scenario.from_mapping(obj, lines, file).horizon_months == 24
    assert file == str(path)


# -- line map -----------------------------------------------------------------------------
def test_line_map_points_at_keys_and_items():
    _, lines = parse_yaml(GOOD)
    assert lines[("horizon_months",)] == 4
    assert lines[("shocks", 1)] == _line_of(GOOD, "type: supply_outage")
    assert lines[("shocks", 1, "severity")] == _line_of(GOOD, "severity: 0.9")


def test_numbers_booleans_and_dates_follow_json_not_yaml_1_1():
    obj, _ = parse_yaml("a: 12e9\nb: NO\nc: true\nd: 2025-04-04\ne: '1e3'\nf: 0.5\n")
    assert obj == {"a": 12e9, "b": "NO", "c": True, "d": "2025-04-04", "e": "1e3", "f": 0.5}


def test_merge_keys_expand_and_explicit_keys_win():
    obj, _ = parse_yaml("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n")
    assert obj["use"] == {"x": 1, "y": 3}


# -- validation errors carry the line and field --------------------------------------------
def test_out_of_range_severity_points_at_its_line():
    text = GOOD.replace("severity: 0.9", "severity: 1.4")
    err = _error(text)
    assert (err.file, err.line, err.field) == ("x.yaml", _line_of(text, "severity: 1.4"),
                                               "shocks[1].severity")
    assert err.detail == "severity 1.4 is outside 0..1"
    assert str(err).startswith(f"x.yaml line {err.line} field 'shocks[1].severity'")


def test_unknown_shock_type_points_at_the_type_key():
    text = GOOD.replace("type: supply_outage", "type: supply_outtage")
    err = _error(text)
    assert (err.line, err.field) == (_line_of(text, "supply_outtage"), "shocks[1].type")
    assert "did you mean 'supply_outage'" in err.detail


def test_missing_required_field_points_at_its_mapping():
    text = GOOD.replace("    severity: 0.9\n", "")
    err = _error(text)
    assert (err.line, err.field) == (_line_of(text, "type: supply_outage"),
                                     "shocks[1].severity")
    assert "required" in err.detail


def test_negative_horizon():
    text = GOOD.replace("horizon_months: 24", "horizon_months: -3")
    err = _error(text)
    assert (err.line, err.field) == (4, "horizon_months")
    assert "-3" in err.detail and "minimum 1" in err.detail


def test_unknown_key_is_named_with_a_suggestion():
    text = GOOD.replace("    severity: 0.5\n", "    severity: 0.5\n    leakge: 0.1\n")
    err = _error(text)
    assert (err.line, err.field) == (_line_of(text, "leakge"), "shocks[0].leakge")
    assert "did you mean 'leakage'" in err.detail


def test_first_problem_in_document_order_is_reported():
    text = GOOD.replace("severity: 0.9", "severity: 2").replace("horizon_months: 24",
                                                                  "horizon_months: 0")
    err = _error(text)
    assert err.field == "horizon_months" and "1 more problem" in err.detail


# -- hostile or broken YAML ---------------------------------------------------------------
def test_syntax_error_gives_the_line():
    text = "name: t\ntitle: T\nshocks: [\n  {type: x\nbad: ]\n"
    with pytest.raises(ScenarioError) as info:
        parse_yaml(text, "x.yaml")
    assert "YAML syntax error" in info.value.detail
    assert info.value.line is not None and 3 <= info.value.line <= 5
    with pytest.raises(ScenarioError) as info:
        parse_yaml("a: 1\n  b: 2\n", "x.yaml")
    assert info.value.line == 2


@pytest.mark.parametrize(
    "text",
    [
        "name: !!python/object:os.system {}\n",
        "name: !!python/object/apply:os.system ['echo hi']\n",
        "name: !!python/name:os.system ''\n",
        "name: !custom 1\n",
        "name: !!binary aGk=\n",
    ],
)
def test_unsafe_tags_are_refused(text):
    with pytest.raises(ScenarioError, match="tag .* is not allowed") as info:
        parse_yaml(text, "x.yaml")
    assert info.value.line == 1


def test_billion_laughs_fails_fast():
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    started = time.perf_counter()
    with pytest.raises(ScenarioError, match="expands to more than"):
        parse_yaml("\n".join(lines) + "\n", "bomb.yaml")
    assert time.perf_counter() - started < 2.0


def test_merge_bomb_fails_fast():
    lines = ["m0: &m0 {x: 1}"]
    for i in range(1, 40):
        lines.append(f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}]}}")
    started = time.perf_counter()
    with pytest.raises(ScenarioError):
        parse_yaml("\n".join(lines) + "\n", "bomb.yaml")
    assert time.perf_counter() - started < 2.0


def test_deep_nesting_is_refused():
    with pytest.raises(ScenarioError, match="nesting"):
        parse_yaml("a: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ScenarioError, match="nesting"):
        parse_yaml("a: " + "[" * 80 + "]" * 80 + "\n")


def test_large_file_is_refused_before_parsing(tmp_path: Path):
    path = tmp_path / "big.yaml"
    path.write_text("description: " + "x" * (MAX_BYTES + 1) + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="limited to") as info:
        read_scenario_document(path)
    assert info.value.file == str(path)


@pytest.mark.parametrize(
    ("text", "words", "line"),
    [
        ("a: 1\na: 2\n", "duplicate key 'a' (first at line 1)", 2),
        ("", "empty", 1),
        ("a: 1\n---\nb: 2\n", "YAML syntax error", None),
        ("[1, 2]: x\n", "keys must be plain names", 1),
        ("2025: x\n", "must be a name", 1),
    ],
)
def test_malformed_documents(text, words, line):
    with pytest.raises(ScenarioError, match=words.replace("(", r"\(").replace(")", r"\)")) as info:
        parse_yaml(text, "x.yaml")
    if line is not None:
        assert info.value.line == line


def test_not_a_mapping_is_a_scenario_error():
    err = _error("- just\n- a list\n")
    assert err.line == 1


def test_non_utf8_file(tmp_path: Path):
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"name: t\ntitle: caf\xe9\n")
    with pytest.raises(ScenarioError, match="UTF-8") as info:
        read_scenario_document(path)
    assert info.value.line == 2



def test_builtin_ids_exist_in_the_default_data():
    from paxsilica.data.package import read_package
    from paxsilica.model.dataset import Dataset
    from paxsilica.model.scenario import check_scenario

    ds = Dataset.from_tables(read_package())
    for name in list_builtin():
        obj, lines, file = read_scenario_document(name)
        check_scenario(Scenario.from_mapping(obj, lines, file), ds, lines=lines, file=file)
