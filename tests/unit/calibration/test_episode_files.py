"""Episode files: the shipped training set loads, and bad input names file, line and field."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from paxsilica import workflows
from paxsilica.calibration.episodes import load_episode, load_episodes, parse_episode
from paxsilica.errors import ScenarioError

GOOD = """\
episode: toy
title: A toy episode
section: episodes.md section 2
month_zero: August 2023
scenario:
  name: ep-toy
  title: Toy
  bloc: pax-silica
  restricting: [CHN]
  horizon_months: 6
  draws: 10
  seed: 1
  shocks:
    - type: export_restriction
      commodities: [gallium_refining]
      severity: 0.5
observations:
  - id: price-dec
    what: bloc price in month 4
    observable: price
    args: {commodity: gallium_refining, segment: alliance, month: 4}
    band: [1.89, 2.40]
    observed: "500-600 against 250-265"
    source: "Fastmarkets (P)"
    role: training
"""


@pytest.fixture(scope="module")
def ds():
    return workflows.load()


def test_shipped_episodes_cover_the_eight_episodes_of_episodes_md(ds) -> None:
    episodes = load_episodes(ds=ds)
    assert {ep.id for ep in episodes} == {
        "ree-2010", "gallium-2023", "germanium-2023", "magnets-2025", "antimony-2024",
        "lithium-2024", "neon-2022", "ree-adjustment"}
    observations = [o for ep in episodes for o in ep.observations]
    # two held-out observations, never fitted
    heldout = [o for o in observations if o.role == "heldout"]
    assert sorted(o.key for o in heldout) == ["magnets-2025/first-line-stops",
                                              "ree-2010/dy-fall-2012"]
    assert not any(o.fitted for o in heldout)
    # every band is an interval with a source; an observation the engine cannot represent
    # says what is missing and is not fitted
    for o in observations:
        assert o.band[0] <= o.band[1] and o.source and o.observed
        assert o.fitted == (o.role == "training" and not o.missing)


def test_a_good_file_parses_with_its_band(tmp_path: Path) -> None:
    ep = parse_episode(GOOD, file="toy.yaml")
    (o,) = ep.observations
    assert (ep.id, o.key, o.band, o.args["month"]) == ("toy", "toy/price-dec", (1.89, 2.40), 4)
    assert o.contains(2.0) and not o.contains(2.5)
    open_band = parse_episode(GOOD.replace("[1.89, 2.40]", "[2.0, null]"), file="toy.yaml")
    assert open_band.observations[0].band == (2.0, math.inf)


@pytest.mark.parametrize(("old", "new", "field", "words"), [
    ("band: [1.89, 2.40]", "band: [2.40, 1.89]", "observations.0.band", "below its low end"),
    ("band: [1.89, 2.40]", "band: [1.89]", "observations.0.band", "[low, high]"),
    ("observable: price", "observable: prise", "observations.0.observable",
     "unknown observable 'prise'"),
    ("role: training", "role: fitted", "observations.0.role", "training, heldout"),
    ("segment: alliance,", "segment: bloc,", "observations.0.args.segment", "not one of"),
    ("month: 4}", "monthh: 4}", "observations.0.args", "needs month"),
    ("    source: \"Fastmarkets (P)\"\n", "", "observations.0.source", "lacks 'source'"),
    ("  horizon_months: 6", "  horizon_months: -6", "scenario.horizon_months", ""),
    ("section: episodes.md section 2", "section: ''", "section", "non-empty"),
    ("episode: toy", "episode: Toy Episode", "episode", "lower-case"),
])
def test_bad_input_names_file_and_field(old: str, new: str, field: str, words: str) -> None:
    assert old in GOOD
    with pytest.raises(ScenarioError) as info:
        parse_episode(GOOD.replace(old, new), file="toy.yaml")
    assert info.value.file == "toy.yaml"
    assert info.value.field == field
    assert words in str(info.value)
    assert info.value.line is not None


def test_unknown_top_level_field_is_refused() -> None:
    with pytest.raises(ScenarioError, match="unknown field 'band'") as info:
        parse_episode(GOOD + "band: [1, 2]\n", file="toy.yaml")
    assert info.value.line == GOOD.count("\n") + 1


def test_duplicate_observation_ids_are_refused() -> None:
    block = GOOD[GOOD.index("  - id: price-dec"):]
    with pytest.raises(ScenarioError, match="appears twice"):
        parse_episode(GOOD + block, file="toy.yaml")


def test_checks_against_the_dataset(tmp_path: Path, ds) -> None:
    path = tmp_path / "toy.yaml"
    path.write_text(GOOD.replace("month: 4}", "month: 6}"), encoding="utf-8")
    with pytest.raises(ScenarioError, match="not a whole month in 0..5"):
        load_episode(path, ds)
    path.write_text(GOOD.replace("{commodity: gallium_refining,", "{commodity: galium,"),
                    encoding="utf-8")
    with pytest.raises(ScenarioError, match="'galium' is not in the dataset"):
        load_episode(path, ds)
    path.write_text(GOOD, encoding="utf-8")
    assert load_episode(path, ds).id == "toy"
    with pytest.raises(ScenarioError, match="also defined in toy.yaml"):
        load_episodes([path, path])
