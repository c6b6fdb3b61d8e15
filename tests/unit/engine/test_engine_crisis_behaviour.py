"""Crisis behaviour over months (issue 12): contract and spot prices, demand partial
adjustment, supply ramp, backstop above the price cap, and their option checks.

Expected values are hand calculations on the rules stated in paxsilica.engine.behaviour,
paxsilica.engine.clearing (price_at) and EngineOptions, or invariants of the monthly paths
of the conftest mini dataset (ore -> chip; CHN restricts).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from paxsilica.engine import EngineOptions, simulate
from paxsilica.engine.behaviour import demand_shift, next_contract, ramp_step, spot_price
from paxsilica.engine.clearing import ClearParams, clear, price_at
from paxsilica.engine.levers import compile_levers
from paxsilica.engine.network import compile_network
from paxsilica.engine.sampling import compile_shocks, draw_shocks, stack_draws
from paxsilica.engine.step import PRICE_VARIABLES, MonthStep
from paxsilica.errors import ModelError
from tests.unit.engine.conftest import (assert_invariants, assert_jax_agrees, ban, mini,
                                        region_paths, scenario)

MIN_PRICE = EngineOptions().min_price_ratio
ORE, CHIP = 0, 1
ALLIANCE, RESTRICTING, OTHERS = 0, 1, 2


# -- behaviour functions by hand ----------------------------------------------------------------

def test_spot_price_is_the_marginal_price_behind_the_blend() -> None:
    # s = 0.5, contract 1.2, users pay 1.6: spot = (1.6 - 0.6) / 0.5 = 2.0
    spot = spot_price(np.array([1.6, 1.0]), np.array([1.2, 1.0]), 0.5, MIN_PRICE, np)
    np.testing.assert_allclose(spot, [2.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(0.5 * np.array([1.2, 1.0]) + 0.5 * spot, [1.6, 1.0], rtol=1e-12)
    # no contracts: the spot price is the price
    assert spot_price(1.7, 1.3, 0.0, MIN_PRICE, np) == pytest.approx(1.7, rel=1e-12)
    # a blend far under the contract price would need a negative spot: floored at min price
    assert spot_price(0.3, 1.0, 0.5, MIN_PRICE, np) == pytest.approx(MIN_PRICE)


def test_next_contract_closes_one_over_lag_of_the_gap() -> None:
    assert next_contract(1.0, 2.5, 3.0) == pytest.approx(1.5)
    assert next_contract(2.0, 1.0, 4.0) == pytest.approx(1.75)
    assert next_contract(1.0, 2.5, 1.0) == pytest.approx(2.5)  # lag 1: contract = spot
    np.testing.assert_allclose(next_contract(np.ones(2), np.array([4.0, 0.4]), 3.0),
                               [2.0, 0.8], rtol=1e-12)


def test_demand_shift_moves_toward_the_long_run_curve_with_the_step_clipped() -> None:
    # p = 2, e_l - e_s = -0.6: target 2**-0.6 = 0.65975; 1/12 of the gap = -0.028354
    target = 2.0 ** -0.6
    free = demand_shift(1.0, 2.0, -0.6, 12.0, 1.0, np)
    assert free == pytest.approx(1.0 + (target - 1.0) / 12.0, rel=1e-12)
    assert free == pytest.approx(0.971646, abs=1e-6)
    # at most 10%/yr of baseline demand a month, down ...
    assert demand_shift(1.0, 2.0, -0.6, 12.0, 0.10 / 12, np) == pytest.approx(1 - 0.10 / 12)
    # ... and up (recovery at the baseline price, target 1: 0.2/12 > 0.01)
    assert demand_shift(0.8, 1.0, -0.6, 12.0, 0.01, np) == pytest.approx(0.81)
    assert demand_shift(0.995, 1.0, -0.6, 12.0, 0.01, np) == pytest.approx(0.995 + 0.005 / 12)
    # per-cell exponents and prices; at the target nothing moves
    out = demand_shift(np.array([1.0, 1.0, 1.0]), np.array([1.0, 2.0, 0.5]),
                       np.array([-0.6, 0.0, -1.0]), 4.0, 1.0, np)
    np.testing.assert_allclose(out, [1.0, 1.0, 1.0 + (2.0 - 1.0) / 4.0], rtol=1e-12)


def _ramp(ramp: list[float], expected: list[float], e_long: float, months: float,
          capacity0: list[float], max_world: float) -> np.ndarray:
    """ramp_step on one draw and one commodity over len(ramp) regions."""
    out = ramp_step(np.array([[ramp]]), np.array([[expected]]), np.array([[[e_long]]]),
                    months, np.array([capacity0]), np.array([[[max_world]]]), np)
    return out[0, 0]


def test_ramp_closes_one_over_months_of_the_gap_to_the_long_run_response() -> None:
    # expected 2, e_long 0.5: target sqrt(2); a quarter of the gap a month. Expected 0.5:
    # target max(0.5, 1)**0.5 = 1, no growth at a depressed price.
    out = _ramp([1.0, 1.0], [2.0, 0.5], 0.5, 4.0, [10.0, 30.0], 1e9)
    np.testing.assert_allclose(out, [1.0 + (np.sqrt(2.0) - 1.0) / 4.0, 1.0], rtol=1e-12)
    # a region above its target at a depressed price comes back toward 1
    out = _ramp([1.4, 1.0], [0.5, 1.0], 0.5, 4.0, [10.0, 30.0], 1e9)
    np.testing.assert_allclose(out, [1.3, 1.0], rtol=1e-12)


def test_ramp_world_cap_scales_additions_pro_rata() -> None:
    # targets 4**0.5 = 2 and 9**0.5 = 3, half the gap a month: steps 0.5 and 1.0, additions
    # 0.5*10 + 1.0*30 = 35 units; the world may add 7: both scaled by 0.2
    out = _ramp([1.0, 1.0], [4.0, 9.0], 0.5, 2.0, [10.0, 30.0], 7.0)
    np.testing.assert_allclose(out, [1.1, 1.2], rtol=1e-12)
    assert (out[0] - 1.0) * 10.0 + (out[1] - 1.0) * 30.0 == pytest.approx(7.0, rel=1e-12)
    # the cap does not bind: each region takes its whole step
    out = _ramp([1.0, 1.0], [4.0, 9.0], 0.5, 2.0, [10.0, 30.0], 100.0)
    np.testing.assert_allclose(out, [1.5, 2.0], rtol=1e-12)
    # nothing may be added: nothing grows
    np.testing.assert_allclose(_ramp([1.0, 1.0], [4.0, 9.0], 0.5, 2.0, [10.0, 30.0], 0.0),
                               [1.0, 1.0])


def test_ramp_retirements_are_not_capped() -> None:
    # region 0 sits at 1.5 with target 1: it retires (1 - 1.5)/2 = -0.25 in full while
    # region 1's addition 1.0 * 30 is cut to the world cap 3 (scale 0.1)
    out = _ramp([1.5, 1.0], [1.0, 9.0], 0.5, 2.0, [10.0, 30.0], 3.0)
    np.testing.assert_allclose(out, [1.25, 1.1], rtol=1e-12)


# -- the backstop in the clearing, by hand --------------------------------------------------

def _params(e_d: float, cap: float, multiple: float | None = None,
            e_b: float = -1.0) -> ClearParams:
    """ClearParams of one market; with ``multiple`` the cap is a kink and the top price is
    cap * multiple (built as step._backstop states it)."""
    e = np.array([[e_d]])
    kink = {} if multiple is None else dict(
        kink=np.array([[cap]]), kink_pow=cap ** e, inv_e_b=1.0 / e_b)
    top = cap if multiple is None else cap * multiple
    top_pow = cap ** e if multiple is None else cap ** e * multiple ** e_b
    return ClearParams(inv_e_d=1 / e, cap=np.array([[top]]), min_price=0.05, cap_pow=top_pow,
                       floor_pow=0.05 ** e, rebuild_share=1 / 3, **kink)


def _one(x: float) -> np.ndarray:
    return np.full((1, 1, 1), x)


def _cleared(net: float, params: ClearParams) -> tuple[float, float, float]:
    """(price, demand, shortage) of a market with D1 = 100, ``net`` available, no stock."""
    out = clear(_one(net), _one(100.0), _one(0.0), _one(0.0), params)
    return out.price[0, 0, 0], out.demand[0, 0, 0], out.shortage[0, 0, 0]


def test_backstop_price_between_the_cap_and_the_top_by_hand() -> None:
    # e_d = -0.5, cap (kink) 2, multiple 5 (top 10), e_b = -1: kink_pow = 2**-0.5 = 0.70711,
    # top_pow = 0.70711 / 5 = 0.14142. net/D1 = 0.4 lies between them:
    # p = 2 * (0.4 / 0.70711)**-1 = 3.53553; what buyers wanted at the cap, D(2) = 70.711,
    # and did not get is shortage, as under the hard cap: 70.711 - 40
    params = _params(-0.5, 2.0, multiple=5.0, e_b=-1.0)
    price, demand, shortage = _cleared(40.0, params)
    assert price == pytest.approx(2.0 * (0.4 / 2.0 ** -0.5) ** -1.0, rel=1e-12)
    assert price == pytest.approx(3.535534, rel=1e-6)
    assert demand == pytest.approx(100.0 * 2.0 ** -0.5, rel=1e-12)
    assert shortage == pytest.approx(100.0 * 2.0 ** -0.5 - 40.0, rel=1e-12)
    # the hard cap holds the price at 2 with the same quantities
    hard = _cleared(40.0, _params(-0.5, 2.0))
    assert hard[0] == pytest.approx(2.0)
    assert hard[1:] == pytest.approx((demand, shortage), rel=1e-12)


def test_backstop_top_price_leaves_the_rest_short() -> None:
    # net/D1 = 0.1 < top_pow = 0.14142: the price stops at the backstop 10; shortage is
    # still measured against demand at the cap, D(2) = 70.711
    params = _params(-0.5, 2.0, multiple=5.0, e_b=-1.0)
    price, demand, shortage = _cleared(10.0, params)
    assert price == pytest.approx(10.0)
    assert demand == pytest.approx(100.0 * 2.0 ** -0.5, rel=1e-12)
    assert shortage == pytest.approx(100.0 * 2.0 ** -0.5 - 10.0, rel=1e-12)


def test_backstop_leaves_prices_below_the_cap_on_the_short_run_curve() -> None:
    # net/D1 = 0.9 > kink_pow: p = 0.9**-2 with or without the backstop
    with_b = _cleared(90.0, _params(-0.5, 2.0, multiple=5.0))
    assert with_b[0] == pytest.approx(0.9 ** -2, rel=1e-12)
    assert with_b[0] == pytest.approx(_cleared(90.0, _params(-0.5, 2.0))[0], rel=1e-12)


def test_price_at_is_continuous_at_the_kink_and_iso_elastic_without_one() -> None:
    ratio = np.array([[[0.3, 0.5, 0.9, 1.0, 1.7]]])
    hard = _params(-0.5, 2.0)
    np.testing.assert_allclose(price_at(ratio, hard), ratio ** -2.0, rtol=1e-12)
    kinked = _params(-0.5, 2.0, multiple=5.0, e_b=-0.25)
    at = 2.0 ** -0.5
    assert price_at(np.array([[[at]]]), kinked)[0, 0, 0] == pytest.approx(2.0, rel=1e-12)
    below = price_at(np.array([[[at * (1 - 1e-9)]]]), kinked)[0, 0, 0]
    assert below == pytest.approx(2.0, rel=1e-7)
    # above the kink demand falls with e_b = -0.25: p = 2 * (r / kink_pow)**-4
    assert price_at(np.array([[[0.5]]]), kinked)[0, 0, 0] == pytest.approx(
        2.0 * (0.5 / at) ** -4.0, rel=1e-12)


# -- engine level on the mini dataset -----------------------------------------------------

def _run(scn, options: EngineOptions, draws: int = 4):
    return simulate(mini(), scn, draws=draws, keep_paths=True, region_paths=True,
                    options=options)


def test_contract_paths_blend_and_lag_the_spot_price() -> None:
    s, lag = 0.6, 3.0
    scn = scenario([ban(1.0, targets="all", start_month=1, duration_months=6)],
                   horizon_months=18)
    res = _run(scn, EngineOptions(contract_share=s, contract_lag_months=lag))
    for paths in (res.paths, region_paths(res.paths)):
        blend, spot = paths.price_ratio.values, paths.spot_price_ratio.values
        contract = paths.contract_price_ratio.values  # (draw, month, commodity, segment)
        assert np.abs(spot - blend).max() > 0.5  # the spot price really differs
        above = spot > MIN_PRICE * (1 + 1e-9)
        np.testing.assert_allclose((s * contract + (1 - s) * spot)[above], blend[above],
                                   rtol=1e-10)
        np.testing.assert_allclose(contract[:, 0], 1.0, rtol=0, atol=1e-12)
        expected = contract[:, :-1] + (spot[:, :-1] - contract[:, :-1]) / lag
        np.testing.assert_allclose(contract[:, 1:], expected, rtol=1e-10)
    assert_invariants(res.paths)
    assert_invariants(region_paths(res.paths))


def test_reservation_price_holds_the_spot_price_under_contracts() -> None:
    # total ban from month 1: China's ore producers lose their export buyers and withhold
    # uncontracted sales below the reservation price r, so China's *spot* quote holds at r
    # while its blend b = s c + (1 - s) r follows the lagging contract price c down to r.
    s, lag = 0.6, 3.0
    options = EngineOptions(contract_share=s, contract_lag_months=lag)
    r = options.reservation_price_ratio
    scn = scenario([ban(1.0, targets="all", start_month=1)], horizon_months=12)
    paths = _run(scn, options).paths
    at = dict(commodity="ore", segment="restricting")
    spot = paths.spot_price_ratio.sel(**at).values[:, 1:]
    contract = paths.contract_price_ratio.sel(**at).values[:, 1:]
    blend = paths.price_ratio.sel(**at).values[:, 1:]
    np.testing.assert_allclose(spot, r, rtol=1e-9)
    np.testing.assert_allclose(blend, s * contract + (1 - s) * r, rtol=1e-9)
    # by hand, month 1: c = 1, b = 0.6 + 0.4 * 0.9 = 0.96; month 2: c = 1 - 0.1/3
    np.testing.assert_allclose(blend[:, 0], 0.96, rtol=1e-9)
    np.testing.assert_allclose(contract[:, 1], 1.0 - 0.1 / lag, rtol=1e-9)
    assert blend[:, -1].max() < blend[:, 0].min()  # the blend falls as contracts reprice
    assert_invariants(paths)


def test_spot_and_contract_paths_only_where_contracts_are_modelled() -> None:
    scn = scenario([ban(1.0)], horizon_months=6)
    one = simulate(mini(), scn, draws=2, keep_paths=True)
    two = simulate(mini(), scn, draws=2, keep_paths=True,
                   options=EngineOptions(contract_share=0.5))
    assert not set(PRICE_VARIABLES) & set(one.paths.data_vars)
    assert set(PRICE_VARIABLES) <= set(two.paths.data_vars)


def test_mechanisms_off_are_bit_identical_to_the_defaults() -> None:
    # every mechanism off (share 0, multiples 1) but its other knobs moved: nothing changes
    scn = scenario([ban(1.0, targets="all", start_month=2, duration_months=8)],
                   horizon_months=12)
    off = EngineOptions(contract_lag_months=7.0, demand_adjustment_months=2.0,
                        max_substitution_per_year=0.9, supply_ramp_months=2.0,
                        max_supply_growth_per_year=0.9, backstop_elasticity=-0.2)
    runs = [_run(scn, o, draws=8) for o in (EngineOptions(), off)]
    default = simulate(mini(), scn, draws=8, keep_paths=True, region_paths=True)
    for res in (runs[1], default):
        for name in runs[0].paths.data_vars:
            np.testing.assert_array_equal(res.paths[name].values, runs[0].paths[name].values,
                                          err_msg=name)
        for name in runs[0].outcomes.data_vars:
            np.testing.assert_array_equal(res.outcomes[name].values,
                                          runs[0].outcomes[name].values, err_msg=name)
    # and the knobs do act once their mechanism is on
    on = _run(scn, dataclasses.replace(off, contract_share=0.5, backstop_multiple=3.0), draws=8)
    assert not np.array_equal(on.paths.price_ratio.values, runs[0].paths.price_ratio.values)


def test_backstop_lets_the_price_pass_the_cap_up_to_the_top() -> None:
    # total ban for the whole horizon: the alliance and the others are short of ore at the
    # hard cap 5. With a backstop (multiple 3) the price passes the cap, set by the backstop
    # curve net = D1 cap**e_d (p/cap)**e_b, and stops at 15 where e_b is stiff (-0.2);
    # shortage is measured against demand at the cap, as under the hard cap.
    scn = scenario([ban(1.0, targets="all")], horizon_months=12)
    cap, e_d = 5.0, -0.3
    d1 = compile_network(mini(), scn).views[0].demand0[ORE]  # (region,) units/month
    hard = region_paths(_run(scn, EngineOptions()).paths).sel(commodity="ore")
    assert float(hard.price_ratio.max()) == pytest.approx(cap, rel=1e-12)
    assert float(hard.shortage.max()) > 0.0
    for e_b, binds in ((-1.0, False), (-0.2, True)):
        res = _run(scn, EngineOptions(backstop_multiple=3.0, backstop_elasticity=e_b))
        paths = region_paths(res.paths).sel(commodity="ore")
        price, demand = paths.price_ratio.values, paths.demand.values
        consumed, short = paths.consumption.values, paths.shortage.values
        assert cap < price.max() <= 3 * cap * (1 + 1e-12)
        at_top = np.isclose(price, 3 * cap, rtol=1e-12)
        assert at_top.any() == binds
        above = price > cap * (1 + 1e-9)
        # above the cap: demand is D(cap), the rest of it short
        np.testing.assert_allclose(demand[above], (d1 * cap ** e_d + 0 * demand)[above],
                                   rtol=1e-9)
        assert (short[above] > 0).all()
        # between the cap and the top what is consumed lies on the backstop curve
        mid = above & ~at_top
        if not binds:
            assert mid.any()
        curve = d1 * cap ** e_d * (price / cap) ** e_b
        np.testing.assert_allclose(consumed[mid], curve[mid], rtol=1e-9)
        # share of draws x months at the backstop in the alliance, from the paths
        share = float(at_top[..., ALLIANCE].mean())
        assert (share > 0.5) == binds
        assert_invariants(region_paths(res.paths))


@pytest.mark.parametrize("options, ceiling", [(EngineOptions(), 5.0),
                                              (EngineOptions(backstop_multiple=3.0,
                                                             backstop_elasticity=-0.2), 15.0),
                                              (EngineOptions(backstop_multiple=3.0,
                                                             backstop_elasticity=-1.0), 15.0)])
def test_summary_reports_the_share_of_draws_at_the_ceiling(options, ceiling) -> None:
    # The summaries' price_ceiling_share is, per cell, the share of draws whose peak price
    # reached the cap (hard cap) or the backstop price (cap x multiple), counted here from
    # the draws' price paths.
    scn = scenario([ban(1.0, targets="all")], horizon_months=12)
    res = _run(scn, options, draws=16)
    assert res.outcomes["price_ceiling_ratio"].sel(commodity="ore") == pytest.approx(ceiling)
    paths = region_paths(res.paths).sel(commodity="ore").price_ratio.values  # draw,month,reg
    reached = (paths.max(axis=1) >= ceiling * (1 - 1e-5)).mean(axis=0)
    rows = res.region_summary.set_index(["commodity", "region"]).loc["ore"]
    np.testing.assert_allclose(rows["price_ceiling_share"].to_numpy(), reached, atol=1e-12)
    # a full ban binds at the hard cap in every draw; a stiff backstop (-0.2) binds, a soft
    # one (-1) does not
    expected = {5.0: True, 15.0: options.backstop_elasticity > -0.5}[ceiling]
    assert (rows["price_ceiling_share"].max() == 1.0) == expected
    assert res.summary["price_ceiling_share"].between(0.0, 1.0).all()


def _implied_shift(paths, d1: np.ndarray, e_d: float) -> np.ndarray:
    """Demand shift z per (draw, month, region): demand = D1 z p**e_d on the short-run curve
    (also at the cap and the floor, where demand is D1 z cap**e_d)."""
    return paths.demand.values / (d1 * paths.price_ratio.values ** e_d)


def test_demand_shift_follows_its_partial_adjustment_under_a_long_ban() -> None:
    multiple, months, per_year = 3.0, 6.0, 0.12
    e_d = -0.3
    scn = scenario([ban(1.0, targets="all")], horizon_months=24)
    d1 = compile_network(mini(), scn).views[0].demand0[ORE]
    opts = EngineOptions(long_run_demand_multiple=multiple, demand_adjustment_months=months,
                         max_substitution_per_year=per_year)
    res = _run(scn, opts)
    paths = region_paths(res.paths).sel(commodity="ore")
    z = _implied_shift(paths, d1, e_d)
    price = paths.price_ratio.values
    np.testing.assert_allclose(z[:, 0], 1.0, rtol=1e-12)
    # z_{t+1} = z_t + clip((p_t**(e_l - e_s) - z_t) / months, +-max)
    gap = e_d * (multiple - 1.0)
    step = np.clip((price[:, :-1] ** gap - z[:, :-1]) / months, -per_year / 12, per_year / 12)
    np.testing.assert_allclose(z[:, 1:], z[:, :-1] + step, rtol=1e-9)
    moves = np.diff(z, axis=1)
    assert moves.min() >= -per_year / 12 * (1 + 1e-9)
    assert z[:, -1, ALLIANCE].max() < 1.0 - 0.1  # substitution while the ban lasts
    assert z[:, -1, RESTRICTING].min() > 1.0  # the restricted home price is below baseline
    assert_invariants(region_paths(res.paths))
    # less demand: less shortage than at the short-run elasticity alone
    base = _run(scn, EngineOptions())
    for seg in ("alliance", "others"):
        new = res.summary.set_index(["commodity", "segment"]).loc[("ore", seg)]
        old = base.summary.set_index(["commodity", "segment"]).loc[("ore", seg)]
        assert new.shortage_share_mean < old.shortage_share_mean - 0.02, seg


def _ramps(scn, opts: EngineOptions, draws: int = 3):
    """(net, expected price, capacity multiplier) per month from the month step itself:
    expected and ramp are (month + 1, draw, commodity, region), index 0 the initial state."""
    net = compile_network(mini(), scn, opts)
    shocks = compile_shocks(net, scn)
    step = MonthStep(net, shocks, compile_levers(mini(), net, scn), np, np.float64)
    params = stack_draws(draw_shocks(shocks, net.horizon, 7, 0, draws), draws)
    st = step.init(draws)
    ramp, expected = [st["ramp"].copy()], [st["expected"].copy()]
    for month in range(net.horizon):
        st, _ = step.step(params, st, month, net.view_at(month))
        ramp.append(st["ramp"].copy())
        expected.append(st["expected"].copy())
    return net, np.array(expected), np.array(ramp)


def test_supply_ramp_grows_outside_the_restricting_region_within_the_world_cap() -> None:
    multiple, months, per_year = 4.0, 6.0, 0.06
    scn = scenario([ban(1.0, targets="all")], horizon_months=24)
    opts = EngineOptions(long_run_supply_multiple=multiple, supply_ramp_months=months,
                         max_supply_growth_per_year=per_year)
    net, expected, ramp = _ramps(scn, opts)
    cap0 = net.views[0].capacity0  # (commodity, region) units/month
    world = cap0.sum(axis=-1) * per_year / 12  # most added a month, per commodity
    added = (np.maximum(np.diff(ramp, axis=0), 0.0) * cap0).sum(axis=-1)
    assert (added <= world * (1 + 1e-12)).all()
    assert np.isclose(added[:, :, ORE], world[ORE], rtol=1e-12).any()  # the cap binds
    np.testing.assert_allclose(ramp[0], 1.0)
    # the restricting region's price is held at 0.9: it never expands
    np.testing.assert_allclose(ramp[:, :, ORE, RESTRICTING], 1.0)
    assert (ramp[-1, :, ORE, ALLIANCE] > 1.1).all()
    assert (np.diff(ramp[:, :, ORE, ALLIANCE], axis=0) >= 0).all()
    # where the cap does not bind, each region closes 1/months of its gap to the target
    target = np.maximum(expected[1:], 1.0) ** (net.supply_elasticity[None, None, :, None]
                                               * (multiple - 1.0))
    free = added < world * (1 - 1e-9)
    want = ramp[:-1] + (target - ramp[:-1]) / months
    np.testing.assert_allclose(ramp[1:][free], want[free], rtol=1e-10)
    # the engine's outputs carry the ramp: more ore supply outside China than without
    res, base = _run(scn, opts, draws=3), _run(scn, EngineOptions(), draws=3)
    supply = region_paths(res.paths).supply.sel(commodity="ore").values
    before = region_paths(base.paths).supply.sel(commodity="ore").values
    assert (supply[:, -1, ALLIANCE] > supply[:, 3, ALLIANCE]).all()
    assert (supply[:, -1, ALLIANCE] > 1.05 * before[:, -1, ALLIANCE]).all()
    assert_invariants(res.paths)
    assert_invariants(region_paths(res.paths))


# -- NumPy and JAX agree with the mechanisms on -------------------------------------------

def test_jax_matches_numpy_with_every_mechanism_on() -> None:
    assert_jax_agrees(scenario([ban(1.0, targets="all", start_month=1, duration_months=8)],
                               horizon_months=12),
                      EngineOptions(contract_share=0.5, long_run_demand_multiple=3.0,
                                    long_run_supply_multiple=3.0, backstop_multiple=3.0,
                                    backstop_elasticity=-0.5), draws=64)


# -- option checks --------------------------------------------------------------------------

@pytest.mark.parametrize("field, value", [
    ("contract_share", 1.0), ("contract_share", -0.1), ("contract_lag_months", 0.5),
    ("long_run_demand_multiple", 0.9), ("demand_adjustment_months", 0.0),
    ("max_substitution_per_year", -0.01), ("long_run_supply_multiple", 0.5),
    ("supply_ramp_months", 0.9), ("max_supply_growth_per_year", -1.0),
    ("backstop_multiple", 0.99), ("backstop_elasticity", 0.0)])
def test_bad_options_raise_naming_the_field(field: str, value: float) -> None:
    with pytest.raises(ModelError, match=f"{field} = {value!r}"):
        EngineOptions(**{field: value})


def test_every_bad_option_is_listed_at_once() -> None:
    with pytest.raises(ModelError) as err:
        EngineOptions(contract_share=1.0, backstop_elasticity=0.5, supply_ramp_months=0.0)
    for field in ("contract_share", "backstop_elasticity", "supply_ramp_months"):
        assert field in str(err.value)
    # the edges are allowed
    EngineOptions(contract_share=0.0, contract_lag_months=1.0, backstop_multiple=1.0,
                  max_substitution_per_year=0.0, max_supply_growth_per_year=0.0)
