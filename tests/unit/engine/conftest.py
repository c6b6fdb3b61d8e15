"""Small datasets and scenarios built in code for the engine tests.

``mini_dataset``: two commodities, ore -> chip (a capability), four countries plus ROW.
USA and JPN form the pax-silica bloc, CHN restricts, BRA and ROW are the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import pytest

from paxsilica.model.dataset import Dataset
from paxsilica.model.scenario import Scenario

COUNTRIES = ("USA", "JPN", "CHN", "BRA", "ROW")


def commodity_row(cid: str, *, stage: str = "refining", price: float = 100.0,
                  e_d: float = -0.3, e_s: float = 0.2, cap: float = 5.0, lead: int = 12,
                  exit_months: int = 6, capability: bool = False) -> dict[str, Any]:
    return {"id": cid, "material": cid, "stage": stage, "name_en": cid, "name_ar": cid,
            "unit": "t", "price_usd": price, "demand_elasticity": e_d, "supply_elasticity": e_s,
            "eol_recycling_rate": 0.0, "substitution_index": 1.0, "price_cap_ratio": cap,
            "lead_time_months": lead, "exit_months": exit_months, "is_capability": capability,
            "source": "test"}


def make_dataset(commodities: Sequence[Mapping[str, Any]],
                 production: Mapping[str, Mapping[str, float]],
                 recipes: Sequence[tuple[str, str, float, float]] = (),
                 days_of_cover: Mapping[str, float] | None = None,
                 unit_cost: Mapping[tuple[str, str], float] | None = None,
                 stockpiles: Sequence[tuple[str, str, float]] = (),
                 chokepoints: Sequence[tuple[str, str, str, float]] = ()) -> Dataset:
    """A Dataset from plain Python values (production: commodity -> iso3 -> t/yr)."""
    unit_cost = unit_cost or {}
    prod_rows = [{"commodity": c, "iso3": iso3, "year": 2024, "quantity": float(q),
                  "capacity": float(q) * 1.25, "unit_cost": unit_cost.get((c, iso3)),
                  "reliability": "estimate", "source": "test"}
                 for c, by_country in production.items() for iso3, q in by_country.items()]
    tables = {
        "sources": pd.DataFrame([{"id": "test", "citation": "test fixture", "kind": "estimate"}]),
        "countries": pd.DataFrame([{"iso3": c, "name_en": c, "name_ar": c, "source": "test"}
                                   for c in COUNTRIES]),
        "blocs": pd.DataFrame([
            {"bloc": "pax-silica", "iso3": "USA", "role": "member", "source": "test"},
            {"bloc": "pax-silica", "iso3": "JPN", "role": "member", "source": "test"},
            {"bloc": "trade-club", "iso3": "USA", "role": "member", "source": "test"},
            {"bloc": "trade-club", "iso3": "BRA", "role": "member", "source": "test"},
            {"bloc": "of-concern", "iso3": "CHN", "role": "of_concern", "source": "test"},
        ]),
        "commodities": pd.DataFrame(list(commodities)),
        "production": pd.DataFrame(prod_rows).astype({"unit_cost": float}),
        "recipes": pd.DataFrame(
            [{"output": o, "input": i, "coefficient": k, "input_share": s, "source": "test"}
             for o, i, k, s in recipes],
            columns=["output", "input", "coefficient", "input_share", "source"]),
        "inventories": pd.DataFrame(
            [{"commodity": c, "days_of_cover": d, "source": "test"}
             for c, d in (days_of_cover or {}).items()],
            columns=["commodity", "days_of_cover", "source"]),
        "stockpiles": pd.DataFrame(
            [{"holder": h, "commodity": c, "quantity": q, "source": "test"}
             for h, c, q in stockpiles], columns=["holder", "commodity", "quantity", "source"]),
        "chokepoints": pd.DataFrame(
            [{"route": r, "iso3": i, "commodity": c, "transit_share": s, "source": "test"}
             for r, i, c, s in chokepoints],
            columns=["route", "iso3", "commodity", "transit_share", "source"]),
    }
    return Dataset.from_tables(tables)


def mini() -> Dataset:
    return make_dataset(
        [commodity_row("ore", stage="mining", price=100.0, e_d=-0.3, e_s=0.2, cap=5.0),
         commodity_row("chip", stage="chip", price=1000.0, e_d=-0.5, e_s=0.1, cap=3.0,
                       capability=True)],
        {"ore": {"CHN": 800.0, "USA": 100.0, "BRA": 60.0, "ROW": 40.0},
         "chip": {"USA": 50.0, "JPN": 30.0, "CHN": 20.0}},
        recipes=[("chip", "ore", 10.0, 0.6)],
        days_of_cover={"ore": 60.0, "chip": 30.0},
        unit_cost={("ore", "USA"): 90.0, ("ore", "BRA"): 70.0},
    )


def scenario(shocks: Sequence[Mapping[str, Any]] = (), policies: Sequence[Mapping[str, Any]] = (),
             **kw: Any) -> Scenario:
    body = {"name": "test", "title": "test", "bloc": "pax-silica", "restricting": ["CHN"],
            "horizon_months": 24, "draws": 64, "seed": 7, "shocks": list(shocks),
            "policies": list(policies)} | kw
    return Scenario.from_mapping(body)


def ban(severity: Any = 1.0, **kw: Any) -> dict[str, Any]:
    return {"type": "export_restriction", "commodities": ["ore"], "severity": severity} | kw


@pytest.fixture
def mini_dataset() -> Dataset:
    return mini()


def region_paths(paths: Any) -> Any:
    """The ``region_*`` path variables of a run as plain names over a ``segment`` dimension
    (so :func:`assert_invariants` checks them per region)."""
    names = {name: name.removeprefix("region_") for name in paths.data_vars
             if name.startswith("region_")}
    return paths[list(names)].rename(names).rename({"region": "segment"})


def assert_invariants(paths: Any, rtol: float = 1e-9) -> None:
    """Mass balance, shortage = demand - consumption >= 0, no negative stock or price.

    Balance per (draw, month, commodity, segment or region): production + imports + release
    = consumption + exports + build, and stocks move by build - release; per (draw, month,
    commodity) the world's imports equal its exports.
    """
    import numpy as np

    inflow = paths.supply + paths.imports + paths.release
    outflow = paths.consumption + paths.exports + paths.build
    scale = np.maximum(np.maximum(abs(inflow), abs(outflow)), 1e-300)
    assert float((abs(inflow - outflow) / scale).max()) <= rtol
    stock = paths.stock_commercial + paths.stock_strategic
    moved = stock.diff("month") - (paths.build - paths.release).isel(month=slice(1, None))
    stock_scale = np.maximum(stock.max(), scale.isel(month=slice(1, None)))
    assert float((abs(moved) / stock_scale).max()) <= rtol
    traded = paths.imports.sum("segment") - paths.exports.sum("segment")
    assert float((abs(traded) / np.maximum(paths.exports.sum("segment"), 1.0)).max()) <= rtol
    np.testing.assert_allclose(paths.shortage, paths.demand - paths.consumption,
                               rtol=0, atol=1e-12 * float(paths.demand.max() + 1))
    for name in ("shortage", "consumption", "stock_commercial", "stock_strategic", "release",
                 "build", "imports", "exports", "supply", "demand"):
        assert float(paths[name].min()) >= 0.0, name
    assert float(paths.price_ratio.min()) > 0.0


def stock_targets(ds: Dataset, scn: Scenario) -> Any:
    """Commercial stock target per (month, commodity, segment), from the compiled network."""
    import numpy as np
    import xarray as xr

    from paxsilica.engine.network import compile_network

    net = compile_network(ds, scn)
    target = np.stack([net.views[net.view_at(m)].stock_target for m in range(net.horizon)])
    return xr.DataArray(target, dims=("month", "commodity", "segment"),
                        coords={"month": np.arange(net.horizon), "commodity": list(net.commodities)})


def assert_stocks_within_target(paths: Any, target: Any, rtol: float = 1e-9) -> None:
    """Commercial stocks never above their target (the view's target that month)."""
    import numpy as np

    target = target.assign_coords(segment=paths.segment.values)
    above = paths.stock_commercial - target
    assert float(above.max()) <= rtol * max(float(target.max()), 1.0), \
        f"stock above target by {float(above.max()):g}"
    assert np.isfinite(paths.stock_commercial.values).all()



def assert_jax_agrees(scn: Scenario, options: Any, draws: int = 32) -> None:
    """NumPy and JAX give the same summary and downstream tables (1e-6 relative) under
    ``options``, and the options move the numbers away from the defaults'."""
    import numpy as np

    from paxsilica.engine import simulate

    pytest.importorskip("jax")
    ref = simulate(mini(), scn, draws=draws, keep_paths=False, options=options)
    res = simulate(mini(), scn, draws=draws, keep_paths=False, options=options, backend="jax")
    plain = simulate(mini(), scn, draws=draws, keep_paths=False)
    for table in ("summary", "downstream"):
        np.testing.assert_allclose(getattr(res, table).select_dtypes("number").to_numpy(float),
                                   getattr(ref, table).select_dtypes("number").to_numpy(float),
                                   rtol=1e-6, atol=1e-9, equal_nan=True, err_msg=table)
    assert not np.allclose(ref.summary.peak_price_ratio_mean,
                           plain.summary.peak_price_ratio_mean)
