"""Trade-club priority: members first, up to their need (trade.prioritise), by hand."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from paxsilica.engine.trade import Club, flows, prioritise
from paxsilica.engine.levers import serving_share

TRIGGER = 1.1


def _setup(production, weight, present, club_share, price, protect=(0.0, 0.0, 0.0)):
    production = np.array([[production]], dtype=float)  # (draw=1, c=1, region)
    route0 = np.repeat(np.array([[weight]], dtype=float), 3, axis=1)  # (c, i, j): pro rata
    levers = SimpleNamespace(club_present=(np.array(present, dtype=bool),),
                             club_share=(np.array([club_share], dtype=float),),
                             club_protect=(np.array([protect], dtype=float),))
    state = SimpleNamespace(price=np.array([[price]], dtype=float))
    return flows(production, np.ones_like(production), route0, None), levers, state


def _prioritise(flow, levers, state, sl, demand, v, trigger):
    """The club as the month step builds it for layer ``sl`` in view ``v``."""
    club = Club(levers.club_present[v].astype(float), levers.club_share[v][sl],
                levers.club_protect[v][sl], (state.price[:, sl] > trigger).any(axis=-1))
    return prioritise(flow, club, demand)


def _arrived(flow, j):
    return float(flow[0, 0, :, j].sum())


def _matrix(flow):
    return np.asarray(flow[0, 0])


def test_member_gets_its_shortfall_and_no_more():
    # A (member) makes 60, B 30, C 10; destination weights 0.5/0.3/0.2: A receives 50 of
    # the 100 in ordinary trade but needs 55. A's club pool bound for B and C is 18 + 12 =
    # 30; 5/30 = 1/6 of it is redirected: A->B 18 -> 15, A->C 12 -> 10, A keeps 30 + 5.
    flow, levers, state = _setup([60, 30, 10], [0.5, 0.3, 0.2], [True, False, False],
                                 [1.0, 0.0, 0.0], [1.5, 1.0, 1.0])
    demand = np.array([[[55.0, 30.0, 20.0]]])
    flow = _prioritise(flow, levers, state, slice(0, 1), demand, 0, TRIGGER)
    m = _matrix(flow)
    assert m[0] == pytest.approx([35.0, 15.0, 10.0])
    assert m[1] == pytest.approx([15.0, 9.0, 6.0])  # non-members' own trade untouched
    assert _arrived(flow, 0) == pytest.approx(55.0)
    assert m.sum(axis=1) == pytest.approx([60.0, 30.0, 10.0])  # each exporter ships all it makes


def test_shortfall_beyond_the_pool_keeps_all_member_output_home():
    # A makes 10 and needs 70: its whole pool (3 + 2) is redirected, nothing more exists.
    flow, levers, state = _setup([10, 60, 30], [0.5, 0.3, 0.2], [True, False, False],
                                 [1.0, 0.0, 0.0], [2.0, 1.0, 1.0])
    demand = np.array([[[70.0, 30.0, 20.0]]])
    flow = _prioritise(flow, levers, state, slice(0, 1), demand, 0, TRIGGER)
    m = _matrix(flow)
    assert m[0] == pytest.approx([10.0, 0.0, 0.0])
    assert _arrived(flow, 0) == pytest.approx(55.0)


def test_no_priority_below_the_trigger_or_without_need():
    for price, demand_a in ((1.05, 80.0), (1.5, 50.0)):
        flow, levers, state = _setup([60, 30, 10], [0.5, 0.3, 0.2], [True, False, False],
                                     [1.0, 0.0, 0.0], [price, 1.0, 1.0])
        before = _matrix(flow)
        flow = _prioritise(flow, levers, state, slice(0, 1),
                           np.array([[[demand_a, 30.0, 20.0]]]), 0, TRIGGER)
        assert _matrix(flow) == pytest.approx(before)


def test_two_member_segments_share_the_pool_by_need():
    # A and B hold club members (B: 50% of its output), C does not. Ordinary trade brings A
    # 50 and B 30 of 100; they need 56 and 33 (shortfall 6 and 3, total 9). The pool is the
    # club volume bound for C: A 60*0.2 = 12, B 0.5 * 30*0.2 = 3, total 15; 9/15 = 0.6 of it
    # moves, split 2:1 between A and B.
    flow, levers, state = _setup([60, 30, 10], [0.5, 0.3, 0.2], [True, True, False],
                                 [1.0, 0.5, 0.0], [1.2, 1.2, 1.0])
    demand = np.array([[[56.0, 33.0, 20.0]]])
    flow = _prioritise(flow, levers, state, slice(0, 1), demand, 0, TRIGGER)
    m = _matrix(flow)
    assert m[0] == pytest.approx([30 + 7.2 * 2 / 3, 18 + 7.2 / 3, 12 - 7.2])
    assert m[1] == pytest.approx([15 + 1.8 * 2 / 3, 9 + 1.8 / 3, 6 - 1.8])
    assert _arrived(flow, 0) == pytest.approx(56.0)
    assert _arrived(flow, 1) == pytest.approx(33.0)
    assert m[2] == pytest.approx([5.0, 3.0, 2.0])


def test_volume_serving_the_club_downstream_is_not_redirected():
    # As the first case, but half of B's demand makes goods the club imports: only the other
    # half of A->B counts towards the pool. Pool 18 * 0.5 + 12 = 21; 5/21 of it moves.
    flow, levers, state = _setup([60, 30, 10], [0.5, 0.3, 0.2], [True, False, False],
                                 [1.0, 0.0, 0.0], [1.5, 1.0, 1.0], protect=[0.0, 0.5, 0.0])
    flow = _prioritise(flow, levers, state, slice(0, 1), np.array([[[55.0, 30.0, 20.0]]]), 0,
                       TRIGGER)
    m = _matrix(flow)
    assert m[0] == pytest.approx([35.0, 18.0 - 9.0 * 5 / 21, 12.0 - 12.0 * 5 / 21])
    assert _arrived(flow, 0) == pytest.approx(55.0)
    assert m[0].sum() == pytest.approx(60.0)


def test_serving_share_by_hand():
    # Two commodities in topological order: helium (input), chips (output). Chips are made
    # only in B; A (the club) buys 60% of them. Half of helium's world demand (10) is for
    # chips, all in B: B uses 5 helium, 3 of it for chips that end in A -> 0.6.
    view = SimpleNamespace(supply0=np.array([[10.0, 0.0, 0.0], [0.0, 100.0, 0.0]]),
                           demand0=np.array([[4.0, 5.0, 1.0], [60.0, 40.0, 0.0]]))
    use = np.array([[0.0, 0.5], [0.0, 0.0]])
    out = serving_share(view, use, np.array([1.0, 0.0, 0.0]))
    assert out[0] == pytest.approx([0.0, 0.6, 0.0])
    assert out[1] == pytest.approx([0.0, 0.0, 0.0])  # nothing downstream of chips
