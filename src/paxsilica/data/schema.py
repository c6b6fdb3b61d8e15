"""The data package's tables, each column declared once with its type, unit and meaning.

Loading, validation and the documentation table in ``docs/data.md`` all come from
:data:`TABLES`. A data package is one folder holding ``<table>.csv`` (or ``.parquet``, or one
``.xlsx`` workbook with a sheet per table) for each table below.

Conventions
-----------
* ``source`` columns hold one id of ``sources.csv``, or several separated by ``;``.
* ``iso3`` is an ISO 3166-1 alpha-3 code; ``ROW`` (rest of world) stands for the producers a
  publisher lumps together ("Other countries"). It counts in world totals but not as one
  producer in concentration measures.
* Shares are fractions 0..1; quantities are in the commodity's ``unit`` per year.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BLOC_ROLES",
    "Column",
    "EXPORT_CONTROLS",
    "REST_OF_WORLD",
    "RELIABILITY",
    "SOURCE_KINDS",
    "STAGES",
    "TABLES",
    "TRADE_COVERAGE",
    "TRADE_SERIES",
    "Table",
]

REST_OF_WORLD = "ROW"
STAGES = (
    "mining", "refining", "component", "chip", "compute", "manufacturing", "energy", "logistics",
)
BLOC_ROLES = ("member", "candidate", "of_concern")
RELIABILITY = ("high", "medium", "low", "estimate")
SOURCE_KINDS = ("primary", "secondary", "derived", "estimate")
TRADE_COVERAGE = ("bilateral", "mixed_stage", "production_shares")


@dataclass(frozen=True)
class Column:
    """One column: name, dtype (``str``, ``float``, ``int``, ``bool``, ``date``), unit, meaning.

    ``required`` columns must be present and non-empty; optional ones may be absent or blank.
    ``low``/``high`` bound numeric values (inclusive); ``choices`` restricts strings.
    ``default`` fills blank (or absent) cells of an optional column when a package is read.
    """

    name: str
    dtype: str
    unit: str
    description: str
    required: bool = True
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    default: str | None = None


@dataclass(frozen=True)
class Table:
    """One table: its columns, primary key and whether a package must contain it."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = True
    description: str = ""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _source(required: bool = True) -> Column:
    return Column("source", "str", "-", "id(s) in sources.csv, ';'-separated", required)


def _trade_columns() -> tuple[Column, ...]:
    return (
        Column("commodity", "str", "-", "commodity id"),
        Column("exporter", "str", "-", "ISO3 (or ROW)"),
        Column("importer", "str", "-", "ISO3 (or ROW)"),
        Column("year", "int", "year", "data year (of a multi-year mean: its last year)"),
        Column("period", "str", "-", "years averaged, e.g. 2022-2024", required=False),
        Column("quantity", "float", "unit/yr", "flow in the commodity's unit", low=0.0),
        Column("value_usd", "float", "USD/yr", "traded value (current US$)", required=False,
               low=0.0),
        Column("imputed_share", "float", "share",
               "part of the quantity re-estimated from value (missing or implausible tonnage)",
               required=False, low=0.0, high=1.0),
        _source(),
    )


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "sources",
            (
                Column("id", "str", "-", "short unique id cited by other tables"),
                Column("citation", "str", "-", "publisher, title, year"),
                Column("url", "str", "-", "one stable address: an https URL with a host name, "
                       "or a DOI (the publisher's release for primary sources)", required=False),
                Column("license", "str", "-", "licence of the figures", required=False),
                Column("year", "int", "year", "publication year", required=False),
                Column("kind", "str", "-", "primary (the publisher's own release), secondary "
                       "(read in another report or copy of it), derived or estimate",
                       choices=SOURCE_KINDS),
                Column("reason", "str", "-", "for a secondary source: why this copy is cited "
                       "and what the original is (paxsilica.data.citations)", required=False),
                Column("note", "str", "-", "reasoning for estimates; caveats", required=False),
            ),
            key=("id",),
            description="Every figure in the package cites one of these rows.",
        ),
        Table(
            "countries",
            (
                Column("iso3", "str", "-", "ISO 3166-1 alpha-3 code (or ROW)"),
                Column("name_en", "str", "-", "English short name"),
                Column("name_ar", "str", "-", "Arabic name (CLDR)"),
                Column("wgi", "float", "WGI score", "mean of the six WGI 2023 estimates",
                       required=False, low=-2.5, high=2.5),
                _source(),
            ),
            key=("iso3",),
            description="Countries with their governance score (World Bank WGI).",
        ),
        Table(
            "blocs",
            (
                Column("bloc", "str", "-", "bloc id, e.g. pax-silica, trade-club, of-concern"),
                Column("iso3", "str", "-", "member country"),
                Column("role", "str", "-", "member, candidate or of_concern", choices=BLOC_ROLES),
                Column("joined", "date", "YYYY-MM-DD", "date the country joined", required=False),
                Column("note", "str", "-", "how the membership is attested; disagreements",
                       required=False),
                _source(),
            ),
            key=("bloc", "iso3"),
            description="Bloc memberships; user-editable.",
        ),
        Table(
            "commodities",
            (
                Column("id", "str", "-", "commodity id, e.g. gallium or gallium_refining"),
                Column("material", "str", "-", "material family, e.g. gallium"),
                Column("stage", "str", "-", "value-chain stage", choices=STAGES),
                Column("name_en", "str", "-", "English name"),
                Column("name_ar", "str", "-", "Arabic name"),
                Column("unit", "str", "-", "unit of quantities, e.g. t, kt, wafers, MW"),
                Column("price_usd", "float", "USD per unit", "baseline price", low=0.0),
                Column("demand_elasticity", "float", "-", "own-price elasticity of demand (<0)",
                       low=-5.0, high=0.0),
                Column("supply_elasticity", "float", "-", "own-price elasticity of supply (>=0)",
                       low=0.0, high=5.0),
                Column("eol_recycling_rate", "float", "share", "end-of-life recycling input rate",
                       low=0.0, high=1.0),
                Column("substitution_index", "float", "share",
                       "EU SI_SR: 1 = no substitute, lower = substitutable", low=0.0, high=1.0),
                Column("price_cap_ratio", "float", "x baseline",
                       "price at which buyers switch to substitutes", low=1.0),
                Column("lead_time_months", "int", "months", "time for new capacity to arrive",
                       low=0),
                Column("exit_months", "int", "months",
                       "months of price below unit cost before capacity exits", low=1),
                Column("is_capability", "bool", "-",
                       "a final capability reported as downstream loss (AI compute, vehicles)"),
                _source(),
            ),
            key=("id",),
            description="One commodity per (material, stage), with its market parameters.",
        ),
        Table(
            "production",
            (
                Column("commodity", "str", "-", "commodity id"),
                Column("iso3", "str", "-", "producing country or ROW"),
                Column("year", "int", "year", "data year"),
                Column("tranche", "int", "-",
                       "cost tranche of the country's output (0 = cheapest or the whole "
                       "country); blank = 0", required=False, low=0, default="0"),
                Column("quantity", "float", "unit/yr", "output", low=0.0),
                Column("capacity", "float", "unit/yr", "capacity; blank = quantity",
                       required=False, low=0.0),
                Column("unit_cost", "float", "USD per unit", "cash cost; blank = unknown",
                       required=False, low=0.0),
                Column("reliability", "str", "-", "high, medium, low or estimate",
                       choices=RELIABILITY),
                _source(),
            ),
            key=("commodity", "iso3", "year", "tranche"),
            description="Output by country; shares are computed from it. A country's output "
                        "may be split into cost tranches (rows differing only in `tranche`, "
                        "each with its own unit cost); metrics sum them per country, the "
                        "engine keeps them as its cost curve.",
        ),
        Table(
            "recipes",
            (
                Column("output", "str", "-", "downstream commodity id"),
                Column("input", "str", "-", "upstream commodity id"),
                Column("coefficient", "float", "input unit per output unit",
                       "bill of materials", low=0.0),
                Column("input_share", "float", "share",
                       "share of the input's world use that goes into this output", low=0.0,
                       high=1.0),
                _source(),
            ),
            key=("output", "input"),
            description="Links between layers: what each commodity is made from.",
        ),
        Table(
            "stockpiles",
            (
                Column("holder", "str", "-", "bloc id or ISO3"),
                Column("commodity", "str", "-", "commodity id"),
                Column("quantity", "float", "unit", "strategic stock held", low=0.0),
                _source(),
            ),
            key=("holder", "commodity"),
            required=False,
            description="Strategic (government) stockpiles.",
        ),
        Table(
            "inventories",
            (
                Column("commodity", "str", "-", "commodity id"),
                Column("days_of_cover", "float", "days", "commercial working stock", low=0.0),
                _source(),
            ),
            key=("commodity",),
            required=False,
            description="Commercial working stocks as days of use.",
        ),
        Table(
            "regions",
            (
                Column("map", "str", "-", "region map id, e.g. countries (the default)"),
                Column("region", "str", "-", "region id within the map (its own market and "
                       "price); the region holding iso3 ROW takes every unlisted country"),
                Column("iso3", "str", "-", "country in the region (ROW: the rest of the world)"),
                _source(),
            ),
            key=("map", "iso3"),
            required=False,
            description="Built-in region maps: which country clears in which market region "
                        "(paxsilica.model.regions). A package without rows runs the first "
                        "release's three segments.",
        ),
        Table(
            "final_demand",
            (
                Column("iso3", "str", "-", "country"),
                Column("share", "float", "share", "share of world final (non-derived) use",
                       low=0.0, high=1.0),
                _source(),
            ),
            key=("iso3",),
            required=False,
            description="Where final use sits when neither trade data nor a downstream recipe "
                        "locate a commodity's demand; countries without a row share the "
                        "remainder in the map's rest region.",
        ),
        Table(
            "chokepoints",
            (
                Column("route", "str", "-", "sea route id, e.g. hormuz, malacca, taiwan_strait"),
                Column("iso3", "str", "-", "exporting country"),
                Column("commodity", "str", "-", "commodity id"),
                Column("transit_share", "float", "share",
                       "share of the country's exports of the commodity through the route",
                       low=0.0, high=1.0),
                _source(),
            ),
            key=("route", "iso3", "commodity"),
            required=False,
            description="Seaborne exports passing each chokepoint.",
        ),
        Table(
            "trade",
            _trade_columns(),
            key=("commodity", "exporter", "importer", "year"),
            required=False,
            description="Bilateral flows: the baseline that metrics and the engine use (the "
                        "embedded one is CEPII BACI, mean of 2022-2024, in each commodity's "
                        "unit). When a commodity has no rows, buyers draw from the pooled world "
                        "market in proportion to production.",
        ),
        Table(
            "trade_codes",
            (
                Column("commodity", "str", "-", "commodity id"),
                Column("hs6", "str", "-", "HS92 six-digit code; blank = the commodity has none",
                       required=False),
                Column("factor", "float", "unit per t",
                       "commodity units per tonne of gross weight traded", required=False,
                       low=0.0),
                Column("basis", "str", "-", "what the code holds and how it is converted",
                       required=False),
                Column("same_stage", "bool", "-",
                       "false when the code also holds products of another stage (its flows "
                       "count as sourcing, but the engine keeps a production-based demand "
                       "split); blank = true", required=False),
                Column("first_year", "int", "year", "first year with flows", required=False),
                Column("last_year", "int", "year", "last year with flows", required=False),
                Column("coverage", "str", "-",
                       "bilateral (trade rows in the baseline), mixed_stage (rows, but the "
                       "codes also carry another stage: sourcing shares only) or "
                       "production_shares (none: routes pro rata to production)",
                       choices=TRADE_COVERAGE),
                Column("note", "str", "-", "why a commodity has no trade rows",
                       required=False),
                _source(),
            ),
            key=("commodity", "hs6"),
            required=False,
            description="How each commodity maps to HS codes of its own stage, and which have "
                        "no trade coverage.",
        ),
    )
}

TRADE_SERIES = Table(
    "trade_series",
    _trade_columns(),
    key=("commodity", "exporter", "importer", "year"),
    required=False,
    description="Yearly bilateral flows (BACI 1995-2024) for back-tests; read on demand by "
                "paxsilica.data.read_trade_series, not part of a Dataset.",
)

#: How exact a date in :data:`EXPORT_CONTROLS` is: the day, or only the month (stored as
#: the month's first day) when the source names no day.
DATE_PRECISION = ("day", "month")

EXPORT_CONTROLS = Table(
    "export_controls",
    (
        Column("id", "str", "-", "short unique id, e.g. chn-ga-ge-2023"),
        Column("announced", "date", "date", "when the measure was announced"),
        Column("effective", "date", "date", "when it took effect", required=False),
        Column("ended", "date", "date", "when it was lifted or replaced; blank: in force or "
               "unknown", required=False),
        Column("precision", "str", "-", "day, or month (dates stored as the 1st)",
               choices=DATE_PRECISION),
        Column("imposer", "str", "-", "ISO3 of the restricting country"),
        Column("targets", "str", "-", "'all', or ISO3 codes of the countries aimed at, "
               "';'-separated"),
        Column("commodities", "str", "-", "commodity ids of commodities.csv, ';'-separated"),
        Column("measure", "str", "-", "what was restricted, in English"),
        Column("measure_ar", "str", "-", "the same in Arabic"),
        Column("citation", "str", "-", "publisher (and who reported it), title, year"),
        Column("url", "str", "-", "where the source can be read"),
        Column("kind", "str", "-", "primary, or secondary (a report of the measure)",
               choices=SOURCE_KINDS),
    ),
    key=("id",),
    required=False,
    description="Real export controls on the stack's materials, each with its source (from "
                "tools/data_inputs/export_controls.yaml); read on demand by "
                "paxsilica.data.controls.read_export_controls for the dashboard's timeline, "
                "not part of a Dataset (the engine never reads it).",
)
