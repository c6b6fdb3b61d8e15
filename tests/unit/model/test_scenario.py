"""Scenario models: distributions, validation messages, defaults, id checks, JSON Schema."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from paxsilica.errors import ScenarioError
from paxsilica.model.dataset import Dataset
from paxsilica.model.scenario import (
    Beta,
    Choice,
    Constant,
    ExportRestriction,
    Normal,
    Scenario,
    Stockpile,
    Triangular,
    Uniform,
    as_distribution,
    check_scenario,
    sample_param,
    scenario_json_schema,
)

N = 20_000


def _minimal(**extra):
    base = {"name": "t", "title": "T", "restricting": ["CHN"]}
    return {**base, **extra}


def _shock(**fields):
    return {"type": "export_restriction", "commodities": ["gallium_refining"],
            "severity": 0.5, **fields}


# -- distributions ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dist", "low", "high", "mean"),
    [
        (Uniform(dist="uniform", low=2, high=5), 2, 5, 3.5),
        (Triangular(dist="triangular", low=0, mode=3, high=6), 0, 6, 3.0),
        (Beta(dist="beta", a=2, b=2, low=10, high=20), 10, 20, 15.0),
        (Choice(dist="choice", values=[1, 3], weights=[3, 1]), 1, 3, 1.5),
        (Constant(value=0.25), 0.25, 0.25, 0.25),
    ],
)
def test_sample_shape_bounds_and_mean(dist, low, high, mean):
    values = dist.sample(np.random.default_rng(1), (N, 2))
    assert values.shape == (N, 2) and values.dtype == np.float64
    assert values.min() >= low and values.max() <= high
    # Mean from the textbook formula; 5 standard errors of slack (sd <= (high-low)/2).
    assert abs(values.mean() - mean) <= 5 * (high - low) / 2 / math.sqrt(2 * N) + 1e-12


def test_clipped_normal_puts_tail_mass_on_bounds():
    dist = Normal(dist="normal", mean=0.9, sd=0.2, low=0, high=1)
    values = dist.sample(np.random.default_rng(2), N)
    assert values.max() == 1.0 and values.min() >= 0
    # P(X > 1) for N(0.9, 0.2) = 1 - Phi(0.5) = 0.3085
    assert abs((values == 1.0).mean() - 0.3085) < 0.02


def test_same_seed_same_sample_and_different_seed_differs():
    dist = Triangular(dist="triangular", low=0.3, mode=0.6, high=0.9)
    first = dist.sample(np.random.default_rng(7), 100)
    assert np.array_equal(first, dist.sample(np.random.default_rng(7), 100))
    assert not np.array_equal(first, dist.sample(np.random.default_rng(8), 100))


def test_plain_numbers_are_constants_and_consume_no_randomness():
    rng = np.random.default_rng(3)
    state = rng.bit_generator.state
    assert np.array_equal(sample_param(0.4, rng, 3), [0.4, 0.4, 0.4])
    assert rng.bit_generator.state == state
    assert as_distribution(2) == Constant(value=2.0)
    months = sample_param(Uniform(dist="uniform", low=2.6, high=2.6), rng, 4, integer=True)
    assert months.dtype == np.int64 and (months == 3).all()


def test_degenerate_triangular_samples_its_point():
    dist = Triangular(dist="triangular", low=4, mode=4, high=4)
    assert (dist.sample(np.random.default_rng(0), 5) == 4).all()


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"dist": "uniform", "low": 1, "high": 0}, "low <= high"),
        ({"dist": "triangular", "low": 0, "mode": 2, "high": 1}, "low <= mode <= high"),
        ({"dist": "choice", "values": [1, 2], "weights": [1]}, "2 values but 1 weights"),
        ({"dist": "normal", "mean": 0.5, "sd": 0.1}, "give a normal distribution low/high"),
        ({"dist": "gamma", "k": 1}, "unknown dist 'gamma'"),
    ],
)
def test_bad_distributions_are_named(spec, words):
    with pytest.raises(ScenarioError) as info:
        Scenario.from_mapping(_minimal(shocks=[_shock(severity=spec)]))
    assert words in str(info.value)
    assert info.value.field.startswith("shocks[0].severity")


# -- validation ---------------------------------------------------------------------------
def test_range_message_names_field_and_bounds():
    with pytest.raises(ScenarioError) as info:
        Scenario.from_mapping(_minimal(shocks=[_shock(), _shock(severity=1.4)]))
    assert info.value.field == "shocks[1].severity"
    assert info.value.detail == "severity 1.4 is outside 0..1"


def test_distribution_support_must_fit_the_bounds():
    spec = {"dist": "uniform", "low": 0.5, "high": 1.2}
    with pytest.raises(ScenarioError, match="spans 0.5..1.2, outside 0..1"):
        Scenario.from_mapping(_minimal(shocks=[_shock(leakage=spec)]))


def test_strings_and_booleans_are_not_numbers():
    for bad in ("0.5", True):
        with pytest.raises(ScenarioError, match="valid number"):
            Scenario.from_mapping(_minimal(shocks=[_shock(severity=bad)]))


def test_start_month_must_fall_inside_the_horizon():
    with pytest.raises(ScenarioError, match="not before the horizon") as info:
        Scenario.from_mapping(_minimal(horizon_months=12, shocks=[_shock(start_month=12)]))
    assert info.value.field == "shocks[0].start_month"


def test_announce_month_comes_before_the_restriction_bites():
    ok = Scenario.from_mapping(_minimal(shocks=[_shock(announce_month=1, start_month=2)]))
    assert ok.shocks[0].announce_month == 1
    same = Scenario.from_mapping(_minimal(shocks=[_shock(announce_month=2, start_month=2)]))
    assert same.shocks[0].announce_month == 2
    # a distribution's lowest start counts: announced at 3 but may start at 2
    with pytest.raises(ScenarioError, match="announce_month 3 is after the earliest "
                                            "start_month 2") as info:
        Scenario.from_mapping(_minimal(shocks=[_shock(
            announce_month=3, start_month={"dist": "uniform", "low": 2, "high": 5})]))
    assert info.value.field == "shocks[0].announce_month"
    with pytest.raises(ScenarioError):
        Scenario.from_mapping(_minimal(shocks=[_shock(announce_month=-1)]))


def test_default_countries_need_a_restricting_list():
    data = {"name": "t", "title": "T", "shocks": [_shock()]}
    with pytest.raises(ScenarioError, match="'restricting' list is empty"):
        Scenario.from_mapping(data)
    ok = Scenario.from_mapping({**data, "shocks": [_shock(countries=["CHN"])]})
    assert ok.shocks[0].countries == ("CHN",)


@pytest.mark.parametrize(
    ("policy", "words"),
    [
        ({"holder": "pax-silica", "release": {"trigger": "price", "threshold": 1.5}},
         "either holdings or budget_usd"),
        ({"holder": "x", "budget_usd": 1e9, "allocation": {"a": 0.5, "b": 0.4},
          "release": {"trigger": "price", "threshold": 1.5}}, "sum to 0.9"),
        ({"holder": "x", "holdings": {"a": 5.0},
          "release": {"trigger": "shortage", "threshold": 5}}, "share 0..1"),
    ],
)
def test_stockpile_rules(policy, words):
    with pytest.raises(ScenarioError, match=words):
        Scenario.from_mapping(_minimal(policies=[{"type": "stockpile", **policy}]))


def test_models_are_frozen_and_reject_unknown_keys():
    scn = Scenario.from_mapping(_minimal())
    with pytest.raises(Exception):  # pydantic's ValidationError for frozen instances
        scn.name = "other"  # type: ignore[misc]
    with pytest.raises(ScenarioError, match="unknown field 'colour'"):
        Scenario.from_mapping(_minimal(colour="red"))


def test_resolved_fills_scenario_defaults_without_touching_the_original():
    scn = Scenario.from_mapping(_minimal(
        bloc="trade-club",
        shocks=[_shock()],
        policies=[{"type": "price_floor", "commodity": "lithium_refining", "floor_usd": 9000},
                  {"type": "membership_change", "country": "SAU", "month": 3}],
    ))
    full = scn.resolved()
    shock = full.shocks[0]
    assert isinstance(shock, ExportRestriction)
    assert (shock.countries, shock.targets) == (("CHN",), "trade-club")
    assert full.policies[0].eligible == ("trade-club",)
    assert full.policies[1].bloc == "trade-club"
    assert scn.shocks[0].countries is None  # original unchanged


def test_content_hash_changes_with_content_only():
    a = Scenario.from_mapping(_minimal(shocks=[_shock()]))
    b = Scenario.from_mapping(_minimal(shocks=[_shock()]))
    c = Scenario.from_mapping(_minimal(shocks=[_shock(severity=0.6)]))
    assert a.content_hash == b.content_hash != c.content_hash


def test_dump_and_reload_round_trips():
    scn = Scenario.from_mapping(_minimal(
        shocks=[_shock(severity={"dist": "beta", "a": 2, "b": 3})],
        policies=[{"type": "stockpile", "holder": "pax-silica", "budget_usd": 1e9,
                   "allocation": {"gallium_refining": 1.0},
                   "release": {"trigger": "price", "threshold": 1.5}}]))
    again = Scenario.from_mapping(scn.model_dump(mode="json"))
    assert again == scn
    assert isinstance(again.policies[0], Stockpile)


# -- JSON Schema --------------------------------------------------------------------------
def test_json_schema_is_valid_and_accepts_a_scenario():
    jsonschema = pytest.importorskip("jsonschema")
    schema = scenario_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    data = _minimal(shocks=[_shock(severity={"dist": "uniform", "low": 0, "high": 1})])
    jsonschema.validate(data, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_minimal(colour="red"), schema)


# -- ids against a dataset ----------------------------------------------------------------
@pytest.fixture
def tiny_ds() -> Dataset:
    tables = {
        "commodities": pd.DataFrame({"id": ["gallium_refining", "lithium_refining"]}),
        "countries": pd.DataFrame({"iso3": ["CHN", "USA", "QAT", "JPN"]}),
        "blocs": pd.DataFrame({"bloc": ["pax-silica", "pax-silica", "of-concern"],
                               "iso3": ["USA", "QAT", "CHN"],
                               "role": ["member", "member", "of_concern"]}),
        "chokepoints": pd.DataFrame({"route": ["hormuz"], "iso3": ["QAT"],
                                     "commodity": ["gallium_refining"],
                                     "transit_share": [1.0]}),
    }
    return Dataset.from_tables(tables)


def test_check_scenario_accepts_known_ids(tiny_ds):
    scn = Scenario.from_mapping(_minimal(shocks=[
        _shock(targets="all"),
        {"type": "chokepoint_closure", "route": "hormuz"},
    ], policies=[{"type": "price_floor", "commodity": "lithium_refining", "floor_usd": 1.0,
                  "eligible": ["USA", "pax-silica"]}]))
    check_scenario(scn, tiny_ds)  # no error


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (_minimal(shocks=[_shock(commodities=["gallium_refining", "galium_refining"])]),
         "shocks[0].commodities[1]", "did you mean 'gallium_refining'?"),
        (_minimal(restricting=["chn"]), "restricting[0]", "did you mean 'CHN'?"),
        (_minimal(bloc="pax-silca"), "bloc", "did you mean 'pax-silica'?"),
        (_minimal(shocks=[{"type": "chokepoint_closure", "route": "malacca"}]),
         "shocks[0].route", "route 'malacca'"),
        (_minimal(policies=[{"type": "stockpile", "holder": "USA", "holdings": {"neon": 1.0},
                             "release": {"trigger": "price", "threshold": 2}}]),
         "policies[0].holdings.neon", "commodity 'neon'"),
    ],
)
def test_check_scenario_names_unknown_ids(tiny_ds, data, field, words):
    scn = Scenario.from_mapping(data)
    with pytest.raises(ScenarioError) as info:
        check_scenario(scn, tiny_ds, lines={("bloc",): 4}, file="x.yaml")
    assert info.value.field == field
    assert words in str(info.value)
    assert info.value.file == "x.yaml"
