"""The run page's region view and member comparison: query parsing and table rows.

``?region=JPN`` picks the region whose figures the page shows; ``?compare=JPN,KOR,USA`` (or
``compare`` repeated, as the page's checkboxes send it) picks the regions set side by side.
Codes are matched to the run's regions ignoring case; an unknown code or fewer than two
regions to compare raise :class:`RegionQueryError`, which the page answers with a message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from paxsilica.data.schema import REST_OF_WORLD
from paxsilica.dims import CAPABILITY, COMMODITY
from paxsilica.model.dataset import Dataset
from paxsilica.report import figures
from paxsilica.report.regions import (compare_commodities, compare_losses, has_region_view,
                                      region_commodities, region_losses,
                                      regions_members_first)
from paxsilica.report.view import RunView, member_table

__all__ = ["DEFAULT_COMPARED", "RegionQueryError", "parse_codes", "region_context",
           "region_names"]

#: Members compared when the query names none: the hardest hit.
DEFAULT_COMPARED = 3


class RegionQueryError(ValueError):
    """A region query the run cannot answer; ``status`` is the HTTP status to send."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def parse_codes(values: Iterable[str] | None) -> list[str]:
    """Region codes from query values, each of which may list several separated by commas;
    blanks dropped, first occurrence kept."""
    codes = (part.strip() for value in values or () for part in value.split(","))
    return list(dict.fromkeys(code for code in codes if code))


def region_names(ds: Dataset, lang: str, regions: Iterable[str],
                 label: Callable[[str], str]) -> dict[str, str]:
    """Region id -> display name: a country's name for an ISO3 id, the rest of the world
    for ``ROW``, the label ``region_<id>`` where one exists (``EU``), else the id itself."""
    countries = figures.country_names(ds, lang)
    names = {}
    for region in regions:
        key = f"region_{region}"
        named = label(key)
        names[region] = (countries.get(region) or (label("rest_of_world")
                         if region == REST_OF_WORLD else named if named != key else region))
    return names


def _match(code: str, regions: Sequence[str], page: Any, run_id: str) -> str:
    if code in regions:
        return code
    folded = {r.casefold(): r for r in regions}
    if code.casefold() in folded:
        return folded[code.casefold()]
    raise RegionQueryError(404, page.t("region_missing", code=code[:32], run_id=run_id,
                                       known=", ".join(regions)))


def _values(record: dict[Any, Any], columns: Sequence[tuple[str, str]]) -> list[float | None]:
    """The record's cells in ``columns`` order, None for a missing or NaN cell."""
    cells = [record.get(column) for column in columns]
    return [None if cell is None or cell != cell else float(cell) for cell in cells]


def _compare_rows(view: RunView, compared: Sequence[str], page: Any,
                  names: dict[str, str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(commodity rows, capability rows) of the comparison table: one row per item and
    measure, with ``values`` in the order of ``compared``."""
    rows = []
    for record in compare_commodities(view, compared).to_dict("records"):
        item = names.get(record[COMMODITY], record[COMMODITY])
        for measure, kind, key in (("shortage_share_p50", "share", "shortage_p50"),
                                   ("peak_price_ratio_p50", "ratio", "price_p50")):
            rows.append({"id": record[COMMODITY], "item": item, "measure": page.t(key),
                         "kind": kind, "values": _values(
                             record, [(measure, r) for r in compared])})
    losses = []
    for record in compare_losses(view, compared).to_dict("records"):
        item = names.get(record[CAPABILITY], record[CAPABILITY])
        for measure, key in (("loss_share_p50", "loss_p50"), ("loss_share_p95", "loss_p95")):
            losses.append({"id": record[CAPABILITY], "item": item, "measure": page.t(key),
                           "kind": "share", "values": _values(
                               record, [(measure, r) for r in compared])})
    return rows, losses


def _choose(view: RunView, page: Any, region: str | None, compare: Sequence[str]
            ) -> tuple[list[str], list[str], str, list[str]]:
    """(the run's regions members first, its members, the region to show, the regions to
    compare); without a query, the hardest-hit member and the three hardest hit."""
    regions = regions_members_first(view)
    where = dict(view.meta.get("region_segments") or {})
    members = [r for r in regions if where.get(r) == "alliance"]
    run_id = str(view.run_id)
    hardest = [str(r) for r in member_table(view)["region"]] or members or regions
    chosen = _match(region, regions, page, run_id) if region else hardest[0]
    compared = list(dict.fromkeys(_match(code, regions, page, run_id) for code in compare))
    if compare and len(compared) < 2:
        raise RegionQueryError(400, page.t("compare_too_few", count=len(compared)))
    return regions, members, chosen, compared or hardest[:DEFAULT_COMPARED]


def region_context(view: RunView, ds: Dataset, page: Any, region: str | None,
                   compare: Sequence[str]) -> dict[str, Any]:
    """What run.html needs for the region view and the comparison (``has_regions`` False
    and nothing else when the run kept no regions of countries).

    Raises
    ------
    RegionQueryError
        404 for a code that is not one of the run's regions, 400 for fewer than two
        different regions to compare.
    """
    if not has_region_view(view):
        return {"has_regions": False}
    regions, members, chosen, compared = _choose(view, page, region, compare)
    names = region_names(ds, page.lang, regions, page.t)
    items = figures.commodity_names(ds, page.lang)
    rows, losses = _compare_rows(view, compared, page, items)
    table = region_commodities(view, chosen)
    chart = figures.region_price_figure(table, items, page.t(
        "region_price_chart", region=names[chosen]), page.lang)
    others = [r for r in regions if r not in members]
    return {"has_regions": True, "region": chosen, "region_names": names,
            "region_groups": [(page.t("region_members"), members),
                              (page.t("region_others"), others)],
            "region_rows": table.to_dict("records"),
            "region_figure": None if chart is None else figures.figure_json(chart),
            "region_loss_rows": region_losses(view, chosen).to_dict("records"),
            "compared": compared, "compared_names": [names[r] for r in compared],
            "compare_rows": rows, "compare_loss_rows": losses}
