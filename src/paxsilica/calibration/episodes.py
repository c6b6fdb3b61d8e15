"""Real supply-disruption episodes as data: a scenario, what to read from it, and the band.

Each ``paxsilica/scenarios/episodes/<id>.yaml`` holds one episode of ``data/episodes.md``:

* ``scenario``: an ordinary scenario (validated by :class:`~paxsilica.model.scenario.Scenario`)
  that mirrors the shock, with a fixed seed;
* ``observations``: what was observed, each with the observable that reads it from the
  simulation (:data:`~paxsilica.calibration.observables.OBSERVABLES`), its arguments, its
  observed ``band`` (the observation's own range, written down before the model was run;
  ``null`` as the upper end = "more than"), the ``source``, its ``role`` (``training``: the fit
  may use it; ``heldout``: never fitted, reported apart) and, where the engine cannot
  represent it, ``missing``: the mechanism or data the engine lacks (the test is an xfail and
  the fit leaves the observation out);
* optionally ``rebase_prices``: ``{commodity: factor}`` multiplying the shipped baseline price,
  where the episode started at another price level than the shipped data (lithium, 2024).

:func:`load_episodes` reads and checks them; every problem raises
:class:`~paxsilica.errors.ScenarioError` naming the file, line and field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from paxsilica.calibration.observables import OBSERVABLES, SEGMENT_INDEX
from paxsilica.data.yaml_lines import parse_yaml
from paxsilica.errors import ScenarioError
from paxsilica.model.dataset import Dataset
from paxsilica.model.scenario import Scenario

__all__ = ["ROLES", "Episode", "Observation", "episode_dataset", "load_episode",
           "load_episodes"]

ROLES = ("training", "heldout")
_TOP_KEYS = {"episode", "title", "section", "month_zero", "scenario", "observations",
             "rebase_prices"}
_REQUIRED_TOP = ("episode", "title", "section", "month_zero", "scenario", "observations")
_OBS_KEYS = {"id", "what", "observable", "args", "band", "observed", "source", "role",
             "missing"}
_REQUIRED_OBS = ("id", "what", "observable", "args", "band", "observed", "source", "role")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Observation:
    """One observed quantity of an episode and the band the model's P50 should fall in.

    ``band`` is ``(low, high)`` in the observable's unit; ``high`` is ``math.inf`` for an
    open "more than" observation. ``missing`` is empty when the engine can represent it.
    """

    episode: str
    id: str
    what: str
    observable: str
    args: Mapping[str, Any]
    band: tuple[float, float]
    observed: str
    source: str
    role: str
    missing: str = ""

    @property
    def key(self) -> str:
        """``episode/id``, unique over the training set."""
        return f"{self.episode}/{self.id}"

    @property
    def fitted(self) -> bool:
        """Whether a fit may use it: a training observation the engine can represent."""
        return self.role == "training" and not self.missing

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the observed band (ends included)."""
        return self.band[0] <= value <= self.band[1]


@dataclass(frozen=True)
class Episode:
    """A real episode: its scenario, price re-basing and observations."""

    id: str
    title: str
    section: str
    month_zero: str
    scenario: Scenario
    observations: tuple[Observation, ...]
    rebase_prices: Mapping[str, float]
    file: str


def _fail(message: str, file: str, lines: Mapping[tuple, int], path: tuple) -> ScenarioError:
    """A ScenarioError at the line of ``path`` (or of its closest parent)."""
    line = None
    for cut in range(len(path), -1, -1):
        line = lines.get(path[:cut])
        if line is not None:
            break
    field = ".".join(str(p) for p in path) or None
    return ScenarioError(message, file=file, line=line, field=field)


def _text(obj: Mapping, key: str, file: str, lines: Mapping, path: tuple) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"'{key}' must be a non-empty text", file, lines, path + (key,))
    return value.strip()


def _band(value: Any, file: str, lines: Mapping, path: tuple) -> tuple[float, float]:
    """``[low, high]`` with low <= high; ``high`` may be null (open: "more than low")."""
    if not isinstance(value, list) or len(value) != 2:
        raise _fail("'band' must be [low, high] (high may be null for 'more than low')",
                    file, lines, path)
    low, high = value
    if isinstance(low, bool) or not isinstance(low, int | float) or not math.isfinite(low):
        raise _fail("band low must be a finite number", file, lines, path)
    if high is None:
        return float(low), math.inf
    if isinstance(high, bool) or not isinstance(high, int | float) or not math.isfinite(high):
        raise _fail("band high must be a finite number or null", file, lines, path)
    if high < low:
        raise _fail(f"band [{low}, {high}] has its high end below its low end", file, lines,
                    path)
    return float(low), float(high)


def _args(name: str, args: Any, file: str, lines: Mapping, path: tuple) -> dict[str, Any]:
    """The observable's arguments: all required ones, no unknown ones, a known segment."""
    if not isinstance(args, dict):
        raise _fail("'args' must be a mapping", file, lines, path)
    spec = OBSERVABLES[name]
    missing = sorted(spec.required - set(args))
    unknown = sorted(set(args) - spec.required - spec.optional)
    if missing:
        raise _fail(f"observable '{name}' needs {', '.join(missing)}", file, lines, path)
    if unknown:
        raise _fail(f"observable '{name}' takes no {', '.join(unknown)} (it takes "
                    f"{', '.join(sorted(spec.required | spec.optional))})", file, lines, path)
    if "segment" in args and args["segment"] not in SEGMENT_INDEX:
        raise _fail(f"segment '{args['segment']}' is not one of {', '.join(SEGMENT_INDEX)}",
                    file, lines, path + ("segment",))
    return dict(args)


def _observation(episode: str, obj: Any, file: str, lines: Mapping, path: tuple
                 ) -> Observation:
    if not isinstance(obj, dict):
        raise _fail("an observation must be a mapping", file, lines, path)
    unknown = sorted(set(obj) - _OBS_KEYS)
    if unknown:
        raise _fail(f"unknown field '{unknown[0]}' (allowed: {', '.join(sorted(_OBS_KEYS))})",
                    file, lines, path + (unknown[0],))
    for key in _REQUIRED_OBS:
        if key not in obj:
            raise _fail(f"observation lacks '{key}'", file, lines, path + (key,))
    ident = _text(obj, "id", file, lines, path)
    if not _SLUG.match(ident):
        raise _fail(f"id '{ident}' must be lower-case letters, digits and '-'", file, lines,
                    path + ("id",))
    name = obj["observable"]
    if name not in OBSERVABLES:
        raise _fail(f"unknown observable '{name}' (known: {', '.join(sorted(OBSERVABLES))})",
                    file, lines, path + ("observable",))
    role = obj["role"]
    if role not in ROLES:
        raise _fail(f"role must be one of {', '.join(ROLES)}, not '{role}'", file, lines,
                    path + ("role",))
    missing = _text(obj, "missing", file, lines, path) if "missing" in obj else ""
    return Observation(
        episode=episode, id=ident, what=_text(obj, "what", file, lines, path), observable=name,
        args=_args(name, obj["args"], file, lines, path + ("args",)),
        band=_band(obj["band"], file, lines, path + ("band",)),
        observed=_text(obj, "observed", file, lines, path),
        source=_text(obj, "source", file, lines, path), role=role, missing=missing)


def _rebase(value: Any, file: str, lines: Mapping) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and v > 0
            for v in value.values()):
        raise _fail("'rebase_prices' must map commodities to positive factors", file, lines,
                    ("rebase_prices",))
    return {str(k): float(v) for k, v in value.items()}


def _scenario(obj: Any, file: str, lines: Mapping) -> Scenario:
    """The nested scenario, validated with its own line numbers."""
    if not isinstance(obj, dict):
        raise _fail("'scenario' must be a mapping", file, lines, ("scenario",))
    inner = {path[1:]: line for path, line in lines.items() if path[:1] == ("scenario",)}
    try:
        return Scenario.from_mapping(obj, lines=inner, file=file)
    except ScenarioError as exc:
        field = f"scenario.{exc.field}" if exc.field else "scenario"
        raise ScenarioError(exc.detail, file=file, line=exc.line, field=field) from None


def parse_episode(text: str, file: str) -> Episode:
    """An :class:`Episode` from the YAML ``text`` of ``file`` (checked, not yet against data)."""
    obj, lines = parse_yaml(text, file=file)
    if not isinstance(obj, dict):
        raise _fail("an episode file must be a mapping", file, lines, ())
    unknown = sorted(set(obj) - _TOP_KEYS)
    if unknown:
        raise _fail(f"unknown field '{unknown[0]}' (allowed: {', '.join(sorted(_TOP_KEYS))})",
                    file, lines, (unknown[0],))
    for key in _REQUIRED_TOP:
        if key not in obj:
            raise _fail(f"episode file lacks '{key}'", file, lines, (key,))
    ident = _text(obj, "episode", file, lines, ())
    if not _SLUG.match(ident):
        raise _fail(f"episode '{ident}' must be lower-case letters, digits and '-'", file,
                    lines, ("episode",))
    items = obj["observations"]
    if not isinstance(items, list) or not items:
        raise _fail("'observations' must be a non-empty list", file, lines, ("observations",))
    observations = tuple(_observation(ident, o, file, lines, ("observations", i))
                         for i, o in enumerate(items))
    seen: set[str] = set()
    for i, o in enumerate(observations):
        if o.id in seen:
            raise _fail(f"observation id '{o.id}' appears twice", file, lines,
                        ("observations", i, "id"))
        seen.add(o.id)
    return Episode(id=ident, title=_text(obj, "title", file, lines, ()),
                   section=_text(obj, "section", file, lines, ()),
                   month_zero=_text(obj, "month_zero", file, lines, ()),
                   scenario=_scenario(obj["scenario"], file, lines),
                   observations=observations,
                   rebase_prices=_rebase(obj.get("rebase_prices"), file, lines), file=file)


def check_episode(ep: Episode, ds: Dataset) -> None:
    """Check ``ep`` against ``ds``: commodities exist, months lie within the horizon.

    Raises
    ------
    ScenarioError
        Naming the file and the field.
    """
    known = set(ds.commodities["id"])
    horizon = ep.scenario.horizon_months
    for name in ep.rebase_prices:
        if name not in known:
            raise ScenarioError(f"commodity '{name}' is not in the dataset", file=ep.file,
                                field=f"rebase_prices.{name}")
    for i, o in enumerate(ep.observations):
        where = f"observations.{i}.args"
        if o.args["commodity"] not in known:
            raise ScenarioError(f"commodity '{o.args['commodity']}' is not in the dataset",
                                file=ep.file, field=f"{where}.commodity")
        months = [o.args[k] for k in ("month", "base_month", "from_month") if k in o.args]
        months += list(o.args.get("months", []))
        for m in months:
            if isinstance(m, bool) or not isinstance(m, int) or not 0 <= m < horizon:
                raise ScenarioError(f"month {m!r} is not a whole month in 0..{horizon - 1}",
                                    file=ep.file, field=where)


def episode_dataset(ds: Dataset, ep: Episode) -> Dataset:
    """``ds`` with the episode's baseline prices re-based (``ds`` itself when none are)."""
    if not ep.rebase_prices:
        return ds
    commodities = ds.tables["commodities"].copy()
    for name, factor in ep.rebase_prices.items():
        rows = commodities["id"] == name
        commodities.loc[rows, "price_usd"] = commodities.loc[rows, "price_usd"].astype(float) \
            * factor
    return ds.derive(f"{ds.origin}+{ep.id}", commodities=commodities)


def load_episode(path: str | Path, ds: Dataset | None = None) -> Episode:
    """One episode file, checked against ``ds`` when given."""
    path = Path(path)
    ep = parse_episode(path.read_text(encoding="utf-8"), file=path.name)
    if ds is not None:
        check_episode(ep, ds)
    return ep


def episode_files() -> list[Path]:
    """The shipped episode files, sorted by name."""
    folder = resources.files("paxsilica") / "scenarios" / "episodes"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_episodes(paths: Sequence[str | Path] | None = None,
                  ds: Dataset | None = None) -> list[Episode]:
    """The episodes in ``paths`` (default: the shipped ones), checked; ids must be unique."""
    episodes = [load_episode(p, ds) for p in (paths if paths is not None else episode_files())]
    seen: dict[str, str] = {}
    for ep in episodes:
        if ep.id in seen:
            raise ScenarioError(f"episode '{ep.id}' is also defined in {seen[ep.id]}",
                                file=ep.file, field="episode")
        seen[ep.id] = ep.file
    return episodes


def observation_table(episodes: Sequence[Episode]) -> pd.DataFrame:
    """One row per observation: episode, id, band, role, missing mechanism."""
    return pd.DataFrame([{"episode": o.episode, "id": o.id, "what": o.what,
                          "band_low": o.band[0], "band_high": o.band[1], "role": o.role,
                          "missing": o.missing} for ep in episodes for o in ep.observations])
