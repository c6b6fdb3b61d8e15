"""Membership value: priority on both sides, removal of current members, hand checks."""

from __future__ import annotations

import numpy as np
import pytest

from paxsilica.model.scenario import TradeClubPriority
from paxsilica.policy import membership
from paxsilica.policy.membership import (
    concern_share,
    member_values,
    membership_pair,
    with_priority,
)
from tests.unit.engine.conftest import ban, mini, scenario


def test_concern_share_by_hand() -> None:
    # Bloc USA+JPN, t/month. ore: demand 300/12, own 100/12 -> imports 2/3; outside
    # CHN 800, BRA 60, ROW 40 -> 8/9 of concern.
    # chip: demand 100/12, own (50 + 30)/12 -> imports 0.2; outside CHN 20 only -> 1 bad.
    ds = mini()
    ids = list(ds.commodities["id"])
    demand = np.array([{"ore": 300.0, "chip": 100.0}[c] / 12.0 for c in ids])
    expected = (2 / 3 * 8 / 9 + 0.2 * 1.0) / 2
    assert concern_share(ds, "pax-silica", demand) == pytest.approx(expected, rel=1e-12)
    # BRA joins: ore own 160/12 -> imports 140/300; outside CHN 800, ROW 40 -> 800/840.
    joined = ds.with_member("pax-silica", "BRA")
    expected = (140 / 300 * 800 / 840 + 0.2) / 2
    assert concern_share(joined, "pax-silica", demand) == pytest.approx(expected, rel=1e-12)


def test_membership_pair_removes_a_current_member_without_mutating() -> None:
    ds = mini()
    before = ds.content_hash
    base, joined = membership_pair(ds, "pax-silica", "JPN")
    assert joined is ds and base.members("pax-silica") == frozenset({"USA"})
    base, joined = membership_pair(ds, "pax-silica", "BRA")
    assert base is ds and joined.members("pax-silica") == frozenset({"USA", "JPN", "BRA"})
    assert ds.content_hash == before and ds.members("pax-silica") == frozenset({"USA", "JPN"})


def test_with_priority_sets_exactly_one_club_the_bloc() -> None:
    scn = scenario(policies=[{"type": "trade_club_priority", "club": "trade-club"}])
    out = with_priority(scn, "pax-silica")
    clubs = [p.club for p in out.policies if isinstance(p, TradeClubPriority)]
    assert clubs == ["pax-silica"]
    assert [p.club for p in scn.policies] == ["trade-club"]  # input untouched
    assert not any(isinstance(p, TradeClubPriority)
                   for p in with_priority(scn, "pax-silica", priority=False).policies)


def test_priority_is_applied_on_both_sides(monkeypatch) -> None:
    ds = mini()
    threats = [scenario([ban(severity=1.0, duration_months=12)], name="ban"),
               scenario(name="calm")]
    seen: list[tuple[str, str, tuple[str, ...]]] = []
    real = membership.simulate

    def spy(data, scn, **kw):
        clubs = tuple(p.club for p in scn.policies if isinstance(p, TradeClubPriority))
        seen.append((data.content_hash, scn.name, clubs))
        return real(data, scn, **kw)

    monkeypatch.setattr(membership, "simulate", spy)
    member_values(ds, threats, candidates=["BRA", "JPN"], draws=4)
    sides = {membership_pair(ds, "pax-silica", c)[k].content_hash
             for c in ("BRA", "JPN") for k in (0, 1)}
    assert len(sides) == 3  # ds itself is "without BRA" and "with JPN"
    for side in sides:
        for name in ("ban", "calm"):
            runs = [clubs for h, n, clubs in seen if h == side and n == name]
            assert runs and all(clubs == ("pax-silica",) for clubs in runs), (side, name)


def test_value_is_zero_without_shocks_and_sums_its_commodities() -> None:
    ds = mini()
    calm = [scenario(name="calm")]
    for v in member_values(ds, calm, candidates=["BRA", "JPN"], draws=4):
        assert v.risk_reduction_usd == 0.0 and v.top_commodities == ()
    threats = [scenario([ban(severity=1.0, duration_months=12)], name="ban")]
    for v in member_values(ds, threats, candidates=["BRA", "JPN"], draws=8, top=5):
        assert sum(x for _, x in v.top_commodities) == pytest.approx(v.risk_reduction_usd,
                                                                     rel=1e-12, abs=1e-9)
