"""Invariants of export quotas and of volume pulled forward in routing (hypothesis):
paxsilica.engine.trade.flows."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from paxsilica.engine.trade import flows

G = 4
positive = st.floats(min_value=0.01, max_value=100.0, allow_nan=False)
keeps = st.floats(min_value=0.0, max_value=2.0, allow_nan=False)


@st.composite
def markets(draw):
    production = draw(arrays(float, (1, 1, G), elements=positive))
    pull = draw(arrays(float, (1, 1, G), elements=positive))
    raw = draw(arrays(float, (G, G), elements=positive))
    route0 = (raw / raw.sum(axis=1, keepdims=True))[None]
    keep = draw(arrays(float, (1, 1, G, G), elements=keeps))
    keep[..., np.arange(G), np.arange(G)] = 1.0  # home sales are never restricted
    quota = draw(st.floats(min_value=0.0, max_value=1.0))
    return production, pull, route0, keep, quota


@given(markets())
def test_a_quota_keeps_every_exporters_output_and_only_moves_volume_off_cut_routes(m) -> None:
    production, pull, route0, keep, quota = m
    plain = flows(production, pull, route0, keep, np, 0.0)
    capped = flows(production, pull, route0, keep, np, quota)
    np.testing.assert_allclose(capped.sum(axis=-1), production, rtol=1e-9)  # mass kept
    assert (capped >= -1e-12).all()
    cut = keep < 1.0
    scale = production[..., None]
    assert (capped[cut] <= plain[cut] + 1e-9 * scale.max()).all()  # cut routes lose
    assert (capped[~cut] >= plain[~cut] - 1e-9 * scale.max()).all()  # free routes gain
    # at full binding no cut route carries more than its quota
    full = flows(production, pull, route0, keep, np, 1.0)
    limit = keep * route0[None] * scale
    assert (full[cut] <= np.maximum(limit[cut], 0.0) * (1 + 1e-9) + 1e-12).all()


@given(markets(), st.floats(min_value=0.0, max_value=500.0, allow_nan=False))
def test_pulled_forward_volume_is_held_to_the_buyers_want(m, want) -> None:
    # Routes opened wider (keep > 1) carry at most ``want`` above what they carry with the
    # opening removed; each exporter keeps its output; with room enough nothing changes.
    production, pull, route0, keep, _ = m
    limit = np.full((1, 1), want)
    wide = flows(production, pull, route0, keep, np, 0.0)
    plain = flows(production, pull, route0, np.minimum(keep, 1.0), np, 0.0)
    held = flows(production, pull, route0, keep, np, 0.0, limit)
    np.testing.assert_allclose(held.sum(axis=-1), production, rtol=1e-9)
    opened = keep > 1.0
    extra = (held - plain)[opened].sum()
    assert extra <= want * (1 + 1e-9) + 1e-9
    full_extra = (wide - plain)[opened].sum()
    if full_extra <= want:
        np.testing.assert_allclose(held, wide, rtol=1e-9, atol=1e-12)
    else:  # the want binds exactly
        assert abs(extra - want) <= 1e-9 * max(want, 1.0)
