"""Read scenario YAML safely into plain data plus the line of every value.

Scenario files are user input, so the reader is defensive: files over 1 MB, YAML syntax errors,
tags other than the plain-data ones (``!!python/object`` and friends), duplicate keys, deep
nesting and alias bombs ("billion laughs") all raise :class:`~paxsilica.errors.ScenarioError`
naming the file and line, quickly, never a traceback or a hang.

The result of :func:`parse_yaml` is ``(obj, lines)``: ``obj`` holds only dicts, lists, str,
int, float, bool and None; ``lines`` maps the path of each value, e.g.
``("shocks", 1, "severity")``, to the 1-based line of its key (of the item, for list items).
``paxsilica.model.scenario.Scenario.from_mapping`` uses it to place validation errors.

Two deliberate departures from YAML 1.1, which PyYAML follows: only ``true``/``false`` are
booleans (``NO`` stays the string Norway's ISO code would need; ``yes``/``on`` stay strings),
and ``1e9`` without a dot is a float, as in YAML 1.2 and JSON.

Built-in scenarios are package data in ``paxsilica/scenarios/<name>.yaml``.
"""

from __future__ import annotations

import difflib
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from paxsilica.errors import NotFoundError, ScenarioError

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "builtin_path",
    "list_builtin",
    "parse_yaml",
    "read_scenario_document",
]

#: Largest scenario file accepted, in bytes.
MAX_BYTES = 1_000_000
#: Most values a document may expand to (aliases count each time they are used).
MAX_NODES = 100_000
#: Deepest nesting of mappings and lists.
MAX_DEPTH = 64

Path_ = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}
_FLOAT_NO_DOT = re.compile(r"[-+]?(?:\d[\d_]*)(?:\.\d*)?[eE][-+]?\d+")
_SCALARS = SafeConstructor()


# -- built-in library ---------------------------------------------------------------------
def _library() -> Any:
    return resources.files("paxsilica") / "scenarios"


def list_builtin() -> list[str]:
    """Names of the built-in scenarios, sorted."""
    return sorted(p.name[: -len(".yaml")] for p in _library().iterdir()
                  if p.name.endswith(".yaml"))


def builtin_path(name: str) -> Path:
    """Path of the built-in scenario ``name``.

    Raises
    ------
    NotFoundError
        If there is no such built-in; the message lists the names and suggests the closest.
    """
    names = list_builtin()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise NotFoundError(
            f"no built-in scenario '{name}'{hint} (built-ins: {', '.join(names)})"
        )
    return Path(str(_library() / f"{name}.yaml"))


# -- reading ------------------------------------------------------------------------------
def read_scenario_document(path_or_name: str | os.PathLike[str], *, builtin_only: bool = False
                           ) -> tuple[Any, dict[Path_, int], str]:
    """Read a scenario file, or a built-in by name, into ``(obj, lines, file)``.

    A value that names an existing file, or looks like a path (has a ``/`` or ends in
    ``.yaml``/``.yml``/``.json``), is a file; anything else is a built-in name. With
    ``builtin_only`` (names from the network) it is always a built-in name, so no request can
    make the service read a file of its working directory.

    Returns
    -------
    obj : Any
        The document as plain data.
    lines : dict
        1-based line of each value, keyed by its path.
    file : str
        The name to show in messages (the path as given, or ``<name>.yaml`` for a built-in).

    Raises
    ------
    NotFoundError
        The file or built-in does not exist.
    ScenarioError
        The file is too large, not UTF-8, or not safe, well-formed YAML.
    """
    text_path = os.fspath(path_or_name)
    if not builtin_only and _looks_like_path(text_path):
        path, file = Path(text_path), text_path
        if not path.is_file():
            raise NotFoundError(f"scenario file '{text_path}' does not exist")
    else:
        path = builtin_path(text_path)
        file = path.name
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ScenarioError(f"file is {size:,} bytes; scenario files are limited to "
                            f"{MAX_BYTES:,}", file=file)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError("file is not UTF-8 text", file=file, line=line) from None
    obj, lines = parse_yaml(text, file=file)
    return obj, lines, file


def _looks_like_path(value: str) -> bool:
    return (os.path.isfile(value) or "/" in value or os.sep in value
            or value.lower().endswith((".yaml", ".yml", ".json")))


def parse_yaml(text: str, file: str | None = None) -> tuple[Any, dict[Path_, int]]:
    """Parse one YAML document into plain data and a ``{path: line}`` map.

    Raises
    ------
    ScenarioError
        Too large, a syntax error, several documents, an empty document, a disallowed tag,
        a non-string or duplicate key, nesting deeper than :data:`MAX_DEPTH`, or more than
        :data:`MAX_NODES` values after alias expansion.
    """
    if len(text) > MAX_BYTES:
        raise ScenarioError(f"text is over {MAX_BYTES:,} characters", file=file)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, file) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"YAML error: {exc}", file=file) from None
    except RecursionError:
        raise ScenarioError(f"nesting is deeper than {MAX_DEPTH} levels", file=file) from None
    if root is None:
        raise ScenarioError("the document is empty", file=file, line=1)
    builder = _Builder(file)
    obj = builder.build(root, (), 0)
    builder.lines.setdefault((), root.start_mark.line + 1)
    return obj, builder.lines


def _syntax_error(exc: yaml.MarkedYAMLError, file: str | None) -> ScenarioError:
    mark = exc.problem_mark or exc.context_mark
    parts = [p for p in (exc.context, exc.problem) if p]
    message = "YAML syntax error: " + ", ".join(parts) if parts else "YAML syntax error"
    return ScenarioError(message, file=file, line=None if mark is None else mark.line + 1)


class _Builder:
    """Turns a composed node graph into plain data, counting every value it produces.

    An alias is the same node object reached twice; it is expanded every time, so counting
    produced values bounds the work however the document nests its aliases.
    """

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.lines: dict[Path_, int] = {}
        self.count = 0

    def fail(self, message: str, node: Node) -> ScenarioError:
        return ScenarioError(message, file=self.file, line=node.start_mark.line + 1)

    def build(self, node: Node, path: Path_, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(f"the document expands to more than {MAX_NODES:,} values "
                            "(aliases used too many times?)", node)
        if depth > MAX_DEPTH:
            raise self.fail(f"nesting is deeper than {MAX_DEPTH} levels", node)
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if isinstance(node, SequenceNode):
            self.check_tag(node, f"{_TAG}seq")
            out = []
            for i, item in enumerate(node.value):
                self.lines[(*path, i)] = item.start_mark.line + 1
                out.append(self.build(item, (*path, i), depth + 1))
            return out
        if isinstance(node, MappingNode):
            self.check_tag(node, f"{_TAG}map")
            return self.mapping(node, path, depth)
        raise self.fail("unsupported YAML node", node)  # pragma: no cover (composer makes 3)

    def mapping(self, node: MappingNode, path: Path_, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in self.merged_pairs(node, depth):
            key = self.key(key_node)
            line = key_node.start_mark.line + 1
            if key in first_line:
                raise self.fail(f"duplicate key '{key}' (first at line {first_line[key]})",
                                key_node)
            first_line[key] = line
            self.lines[(*path, key)] = line
            out[key] = self.build(value_node, (*path, key), depth + 1)
        return out

    def merged_pairs(self, node: MappingNode, depth: int) -> list[tuple[Node, Node]]:
        """Key/value pairs with ``<<: *anchor`` merges expanded; explicit keys win.

        Merges can nest and repeat, so each merged mapping counts towards the node limit.
        """
        explicit = [(k, v) for k, v in node.value if k.tag != f"{_TAG}merge"]
        merged: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag != f"{_TAG}merge":
                continue
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, MappingNode):
                    raise self.fail("'<<' merges only mappings", source)
                self.count += 1 + len(source.value)
                if self.count > MAX_NODES or depth > MAX_DEPTH:
                    raise self.fail("'<<' merges expand too far (nested or repeated merges)",
                                    source)
                merged += self.merged_pairs(source, depth + 1)
        names = {self.key(k) for k, _ in explicit}
        unique: dict[str, tuple[Node, Node]] = {}
        for k, v in merged:
            if self.key(k) not in names:
                unique.setdefault(self.key(k), (k, v))
        return explicit + list(unique.values())

    def key(self, node: Node) -> str:
        if not isinstance(node, ScalarNode):
            raise self.fail("mapping keys must be plain names, not lists or mappings", node)
        value = self.scalar(node)
        if not isinstance(value, str):
            # e.g. `2025: x` or `true: x`; keys are field names, so say it rather than coerce
            raise self.fail(f"mapping key {node.value!r} must be a name (quote it)", node)
        return value

    def check_tag(self, node: Node, expected: str) -> None:
        if node.tag != expected:
            raise self.fail(f"YAML tag '{_short_tag(node.tag)}' is not allowed; scenario files "
                            "hold plain data (mappings, lists, numbers, strings)", node)

    def scalar(self, node: ScalarNode) -> Any:
        tag = node.tag
        if tag not in _SCALAR_TAGS:
            self.check_tag(node, f"{_TAG}str")
        plain = node.style is None
        if tag == f"{_TAG}str" and plain and _FLOAT_NO_DOT.fullmatch(node.value):
            return float(node.value.replace("_", ""))
        if tag == f"{_TAG}bool" and node.value.lower() not in ("true", "false"):
            return node.value
        if tag == f"{_TAG}timestamp":
            return node.value  # dates stay text; no scenario field is a date
        try:
            return {
                f"{_TAG}int": _SCALARS.construct_yaml_int,
                f"{_TAG}float": _SCALARS.construct_yaml_float,
                f"{_TAG}bool": _SCALARS.construct_yaml_bool,
                f"{_TAG}null": _SCALARS.construct_yaml_null,
            }.get(tag, _SCALARS.construct_scalar)(node)
        except (ValueError, yaml.YAMLError) as exc:
            raise self.fail(f"cannot read value {node.value!r}: {exc}", node) from None


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag
