"""The overview's supply-chain diagram (a Sankey of the recipes), laid out on the server as SVG.

Plotly's Sankey places labels itself and lets neighbouring columns' labels run into each other
(issue 15: "Magnet rare earths ... refined" over "Sintered NdFeB magnets"). Here every label
gets its own slot: columns follow the stages of the stack (mining, refining, components,
chips, compute), each column reserves the strip to its right (left, in Arabic) for its labels,
which wrap to that strip, and a node's slot is as tall as its label. Arabic mirrors the x axis.

Colourings (0..1, green to red): the share of world supply from countries of concern, the
concentration (HHI / 10,000) and the top producer's share. Commodities with no country split
in the data (devices, vehicles) are grey.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from paxsilica.data.schema import STAGES
from paxsilica.report.figures import exposure_colour as colour  # one colour scale

__all__ = ["COLOURINGS", "StackDiagram", "StackLink", "StackNode", "colour", "layout_stack"]

#: Colouring id -> risk-table column; HHI is scaled to 0..1 by dividing by 10,000.
COLOURINGS = {"concern": "concern_share", "hhi": "hhi", "top": "top_share"}
#: The column each stage starts in; a node sits right of all its inputs.
_STAGE_COLUMN = {"mining": 0, "refining": 1, "energy": 1, "logistics": 1, "component": 2,
                 "chip": 3, "compute": 4, "manufacturing": 4}
STEP = 185          # px between columns
BAR = 12            # node bar width, px
GAP = 8             # between a bar and its label, and before the next column
LINE = 15           # label line height, px
FONT = 12.5         # label font size, px
CHAR = 7.0          # px per character assumed when wrapping (Noto Sans / Noto Arabic, 12.5 px)
PAD = 10            # vertical space between slots, px
HEAD = 16           # stage-header line height, px
UNIT = 80           # px per unit of flow (a recipe's input_share is 0..1)


@dataclass(frozen=True)
class StackNode:
    """One commodity as drawn: bar rectangle, label lines and anchor, colour and hover text."""

    id: str
    column: int
    x: float
    y: float
    height: float
    fill: str
    lines: tuple[str, ...]
    value_text: str
    label_x: float
    label_y: float
    title: str


@dataclass(frozen=True)
class StackLink:
    """One recipe link as a closed band path."""

    source: str
    target: str
    path: str
    fill: str
    title: str


@dataclass(frozen=True)
class StackDiagram:
    """Everything the template draws: size, stage headers, links under nodes."""

    width: float
    height: float
    headers: tuple[tuple[int, float, tuple[str, ...]], ...]
    nodes: tuple[StackNode, ...]
    links: tuple[StackLink, ...]


def wrap(text: str, width_px: float) -> tuple[str, ...]:
    """Break ``text`` at spaces into lines of at most ``width_px`` (by :data:`CHAR`); a
    lone separator ("·") stays at the end of the line before it."""
    limit = max(4, int(width_px // CHAR))
    lines: list[str] = []
    for word in text.split():
        if lines and (len(lines[-1]) + 1 + len(word) <= limit or word == "·"):
            lines[-1] += " " + word
        else:
            lines.append(word)
    return tuple(lines) or ("",)


def _columns(recipes: pd.DataFrame, stages: Mapping[str, str]) -> dict[str, int]:
    """Column per node: its stage's column, moved right of every input it is made from."""
    inputs: dict[str, list[str]] = {}
    for output, item in zip(recipes["output"], recipes["input"], strict=True):
        inputs.setdefault(str(output), []).append(str(item))
    nodes = set(inputs) | {str(i) for i in recipes["input"]}
    column: dict[str, int] = {}

    def place(node: str, seen: frozenset[str]) -> int:
        if node in column:
            return column[node]
        if node in seen:  # a cycle would be a data error; check_package refuses them
            return _STAGE_COLUMN.get(stages.get(node, ""), 0)
        own = _STAGE_COLUMN.get(stages.get(node, ""), 0)
        after = [place(i, seen | {node}) + 1 for i in inputs.get(node, [])]
        column[node] = max([own, *after])
        return column[node]

    for node in sorted(nodes):
        place(node, frozenset())
    return column


def _headers(column: Mapping[str, int], stages: Mapping[str, str],
             stage_names: Mapping[str, str]) -> dict[int, str]:
    """Each column's heading: the stages of its nodes, in the order of the stack."""
    out: dict[int, str] = {}
    for col in sorted(set(column.values())):
        present = {stages.get(n, "") for n, c in column.items() if c == col}
        out[col] = " · ".join(stage_names.get(s, s) for s in STAGES if s in present)
    return out


def _order(column: Mapping[str, int], recipes: pd.DataFrame) -> dict[int, list[str]]:
    """Nodes per column, ordered by the mean rank of their neighbours (fewer crossings)."""
    pairs = list(zip(recipes["input"].astype(str), recipes["output"].astype(str), strict=True))
    columns: dict[int, list[str]] = {}
    for node in sorted(column):
        columns.setdefault(column[node], []).append(node)
    rank = {n: float(i) for nodes in columns.values() for i, n in enumerate(nodes)}
    for _ in range(4):  # a few sweeps right then left settle the order
        for col in sorted(columns):
            rank.update(_by_neighbours(columns[col], pairs, rank, upstream=True))
            columns[col].sort(key=lambda n: rank[n])
        for col in sorted(columns, reverse=True):
            rank.update(_by_neighbours(columns[col], pairs, rank, upstream=False))
            columns[col].sort(key=lambda n: rank[n])
        rank = {n: float(i) for nodes in columns.values() for i, n in enumerate(nodes)}
    return columns


def _by_neighbours(nodes: Sequence[str], pairs: Sequence[tuple[str, str]],
                   rank: Mapping[str, float], upstream: bool) -> dict[str, float]:
    out = {}
    for node in nodes:
        near = [a for a, b in pairs if b == node] if upstream else \
            [b for a, b in pairs if a == node]
        if not near:  # a source (or sink) follows the other side
            near = [b for a, b in pairs if a == node] if upstream else \
                [a for a, b in pairs if b == node]
        out[node] = sum(rank[n] for n in near) / len(near) if near else rank[node]
    return out


def _band(x0: float, y0: float, x1: float, y1: float, thickness: float) -> str:
    """A curved band of ``thickness`` from (x0, y0) to (x1, y1) (tops of the band)."""
    mid = (x0 + x1) / 2
    return (f"M{x0:.1f},{y0:.1f} C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} {x1:.1f},{y1:.1f} "
            f"L{x1:.1f},{y1 + thickness:.1f} C{mid:.1f},{y1 + thickness:.1f} "
            f"{mid:.1f},{y0 + thickness:.1f} {x0:.1f},{y0 + thickness:.1f} Z")


def layout_stack(recipes: pd.DataFrame, stages: Mapping[str, str], names: Mapping[str, str],
                 stage_names: Mapping[str, str], values: Mapping[str, float | None],
                 value_texts: Mapping[str, str], titles: Mapping[str, str],
                 rtl: bool = False) -> StackDiagram:
    """Lay the recipe graph out in stage columns.

    Parameters
    ----------
    recipes : DataFrame
        ``output``, ``input`` and ``input_share`` (band width, 0..1; an equal split of the
        output where missing or zero).
    stages, names, stage_names : mapping
        Commodity -> stage id, commodity -> display name, stage id -> display name.
    values : mapping
        Commodity -> colouring value 0..1 (None: grey, no country split).
    value_texts, titles : mapping
        Commodity -> the short figure printed under its name, and its hover text.
    rtl : bool
        Mirror left and right (Arabic): mines on the right, data centres on the left.
    """
    if recipes.empty:
        return StackDiagram(STEP, HEAD, (), (), ())
    recipes = recipes.copy()
    counts = recipes.groupby("output")["input"].transform("count")
    recipes["width"] = recipes["input_share"].where(recipes["input_share"] > 0, 1.0 / counts)
    column = _columns(recipes, stages)
    columns = _order(column, recipes)
    n_cols = max(columns) + 1
    width = n_cols * STEP
    text_px = STEP - BAR - 2 * GAP
    flow_in = recipes.groupby("output")["width"].sum().to_dict()
    flow_out = recipes.groupby("input")["width"].sum().to_dict()

    def bar_x(col: int) -> float:
        left = col * STEP + GAP
        return width - left - BAR if rtl else left

    heads = {col: wrap(text, STEP - 2 * GAP)
             for col, text in _headers(column, stages, stage_names).items()}
    top = HEAD * (max(len(lines) for lines in heads.values()) + 1)
    nodes: dict[str, StackNode] = {}
    height = float(top)
    for col, members in columns.items():
        y = float(top)
        for node in members:
            bar_h = max(4.0, UNIT * max(flow_in.get(node, 0.0), flow_out.get(node, 0.0)))
            lines = wrap(names.get(node, node), text_px)
            label_h = LINE * (len(lines) + 1) + 4  # + the last line's descent
            slot = max(bar_h, label_h)
            x = bar_x(col)
            nodes[node] = StackNode(
                id=node, column=col, x=x, y=y, height=bar_h,
                fill=colour(values.get(node)), lines=lines,
                value_text=value_texts.get(node, ""),
                label_x=x - GAP if rtl else x + BAR + GAP, label_y=y + FONT,
                title=titles.get(node, names.get(node, node)))
            y += slot + PAD
        height = max(height, y)
    links = _links(recipes, nodes, values, names)
    headers = tuple((col, bar_x(col) + (BAR if rtl else 0), lines)
                    for col, lines in sorted(heads.items()))
    return StackDiagram(float(width), math.ceil(height), headers,
                        tuple(nodes[n] for col in sorted(columns) for n in columns[col]),
                        tuple(links))


def _links(recipes: pd.DataFrame, nodes: Mapping[str, StackNode],
           values: Mapping[str, float | None], names: Mapping[str, str]) -> list[StackLink]:
    """Bands stacked on each bar in the order of the other end, so they do not cross there."""
    out_used = {n: 0.0 for n in nodes}
    in_used = {n: 0.0 for n in nodes}
    rows = sorted(zip(recipes["input"].astype(str), recipes["output"].astype(str),
                      recipes["width"].astype(float), strict=True),
                  key=lambda r: (nodes[r[0]].y, nodes[r[1]].y))
    scale_out = {n: node.height / max(sum(w for a, _, w in rows if a == n), 1e-9)
                 for n, node in nodes.items()}
    scale_in = {n: node.height / max(sum(w for _, b, w in rows if b == n), 1e-9)
                for n, node in nodes.items()}
    links = []
    for source, target, weight in sorted(rows, key=lambda r: (nodes[r[1]].y, nodes[r[0]].y)):
        a, b = nodes[source], nodes[target]
        thick_out = weight * min(scale_out[source], UNIT)
        thick_in = weight * min(scale_in[target], UNIT)
        thickness = min(thick_out, thick_in)
        y0 = a.y + out_used[source]
        y1 = b.y + in_used[target]
        out_used[source] += thick_out
        in_used[target] += thick_in
        rtl = b.x < a.x
        x0 = a.x if rtl else a.x + BAR
        x1 = b.x + BAR if rtl else b.x
        links.append(StackLink(source, target, _band(x0, y0, x1, y1, max(thickness, 1.0)),
                               colour(values.get(source), 0.35),
                               f"{names.get(source, source)} → {names.get(target, target)}"))
    return links
