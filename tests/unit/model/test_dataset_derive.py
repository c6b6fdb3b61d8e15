"""Dataset.derive: tables replaced, the hash derived from the base's and the new tables'."""

from __future__ import annotations

import pytest

from tests.unit.engine.conftest import mini


def test_derived_hash_follows_the_content() -> None:
    base = mini()
    commodities = base.tables["commodities"].copy()
    commodities["price_usd"] = commodities["price_usd"] * 2.0
    one = base.derive("x", commodities=commodities)
    again = base.derive("y", commodities=commodities.copy())
    other = base.derive("x", commodities=base.tables["commodities"].assign(price_usd=7.0))
    assert one.content_hash == again.content_hash  # the origin's name is not content
    assert len({base.content_hash, one.content_hash, other.content_hash}) == 3
    assert one.tables["commodities"]["price_usd"].tolist() == \
        (base.tables["commodities"]["price_usd"] * 2.0).tolist()
    assert one.tables["production"] is base.tables["production"]  # the rest is shared
    assert base.tables["commodities"]["price_usd"].tolist() == [100.0, 1000.0]  # unchanged
    with pytest.raises(KeyError, match="unknown table"):
        base.derive("x", prices=commodities)
