"""Turn a pydantic ``ValidationError`` on scenario data into a ``ScenarioError`` with a line.

Pydantic locations include the tags of discriminated unions (``('shocks', 1,
'export_restriction', 'severity', 'number')``); the YAML path is recovered by walking the
location against the input data and skipping the parts that are not keys or indices there.
"""

from __future__ import annotations

import difflib
import math
from typing import Any

from pydantic import BaseModel, ValidationError

from paxsilica.errors import ScenarioError

__all__ = ["field_name", "line_of", "to_scenario_error"]

Path = tuple[str | int, ...]


def to_scenario_error(
    exc: ValidationError,
    obj: Any,
    lines: dict[Path, int],
    file: str | None,
    tagged: dict[str, type[BaseModel]],
) -> ScenarioError:
    """The first problem of ``exc`` in document order, located in the YAML text.

    ``tagged`` maps union tags (shock/policy ``type``, distribution ``dist``) and nested-model
    keys to their model, so an unknown key can list the allowed ones.
    """
    found = []
    for err in exc.errors(include_url=False):
        path, tail, owner = _yaml_path(err, obj, tagged)
        line = line_of(lines, path)
        found.append((math.inf if line is None else line, path, tail, owner, err))
    found.sort(key=lambda item: item[0])
    line, path, tail, owner, err = found[0]
    fields = {field_name(p + t) for _, p, t, _, _ in found}
    message = _message(err, path + tail, owner, tagged)
    if len(fields) > 1:
        message += f" ({len(fields) - 1} more problem(s) after this one)"
    return ScenarioError(message, file=file, line=None if math.isinf(line) else int(line),
                         field=field_name(path + tail) or None)


def _yaml_path(
    err: Any, obj: Any, tagged: dict[str, type[BaseModel]]
) -> tuple[Path, Path, str]:
    """(path present in the data, trailing parts absent from it, tag of the owning model)."""
    loc = tuple(err["loc"]) + tuple(err.get("ctx", {}).get("loc", ()))
    path: list[str | int] = []
    tail: list[str | int] = []
    owner = ""
    current = obj
    for part in loc:
        if tail:
            tail.append(part)
        elif isinstance(current, dict) and part in current:
            path.append(part)
            current = current[part]
            owner = part if part in ("release", "refill") else owner
        elif isinstance(current, list | tuple) and isinstance(part, int) and part < len(current):
            path.append(part)
            current = current[part]
        elif isinstance(part, str) and (part in tagged or part in ("number", "distribution")):
            owner = part if part in tagged else owner
        else:
            tail.append(part)
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        key = err["ctx"]["discriminator"].strip("'")
        (path if isinstance(current, dict) and key in current else tail).append(key)
    return tuple(path), tuple(tail), owner


def _message(err: Any, full: Path, owner: str, tagged: dict[str, type[BaseModel]]) -> str:
    kind, ctx, value = err["type"], err.get("ctx", {}), err.get("input")
    names = [p for p in full if isinstance(p, str)]
    name = names[-1] if names else "scenario"
    if kind in ("range", "scenario", "distribution", "name"):
        return str(err["msg"])
    if not full and kind in ("model_type", "model_attributes_type", "dict_type"):
        return ("a scenario must be a mapping of fields (name, title, bloc, restricting, "
                f"horizon_months, shocks, policies...), not {type(value).__name__}")
    if kind == "missing":
        return f"required field '{name}' is missing"
    if kind == "extra_forbidden":
        allowed = list(tagged[owner].model_fields) if owner in tagged else []
        return (f"unknown field '{name}'{_did_you_mean(name, allowed)}"
                + (f"; allowed fields: {', '.join(allowed)}" if allowed else ""))
    if kind == "union_tag_invalid":
        expected = ctx["expected_tags"].replace("'", "")
        options = [t.strip() for t in expected.split(",")]
        return (f"unknown {name} '{ctx['tag']}'{_did_you_mean(str(ctx['tag']), options)}; "
                f"expected one of: {expected}")
    if kind == "union_tag_not_found":
        return f"'{name}' is required here (it says which kind of entry this is)"
    bounds = {"greater_than_equal": ("is below the minimum", "ge"),
              "less_than_equal": ("is above the maximum", "le"),
              "greater_than": ("must be greater than", "gt"),
              "less_than": ("must be less than", "lt")}
    if kind in bounds:
        words, key = bounds[kind]
        return f"{name} {value!r} {words} {ctx[key]}"
    if kind == "too_short":
        return f"{name} needs at least {ctx.get('min_length', 1)} item(s)"
    return f"{name}: {err['msg']} (got {_short(value)})"


def _did_you_mean(value: str, options: list[str]) -> str:
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def field_name(path: Path) -> str:
    """``('shocks', 1, 'severity')`` -> ``'shocks[1].severity'``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """Line of ``path`` in the YAML text, or of its nearest ancestor that has one."""
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            return lines[path[:cut]]
    return None
