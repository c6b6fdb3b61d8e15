"""Routing each segment's output to destinations: pro rata to demand, cut by restrictions,
re-ordered by trade-club priority. Written once over the array namespace ``xp``.

Every exporting segment sells to all destinations (its own included) in proportion to the
destinations' weights, ``baseline demand x expected price ratio ** theta``. An export
restriction keeps only ``trade_keep[i, j]`` of the weight of destination ``j`` for exporter
``i``; the exporter diverts what is cut to the remaining destinations, it does not destroy it.

Flows are lists over the (few) segments of ``(draw, commodity)`` arrays: NumPy reductions over
a length-3 axis are several times slower than explicit adds, and XLA fuses either form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Club", "Routed", "exports_imports", "flows", "prioritise", "route", "sent_back",
           "weights"]

Flow = list[list[Any]]  # flow[i][j]: (draw, commodity) volume from segment i to segment j


@dataclass(frozen=True)
class Club:
    """Trade-club priority inputs for one layer (see :func:`prioritise`)."""

    present: Any  # (G,) 1 where the segment holds a club member
    share: Any  # (c, G) club members' share of each exporting segment's capacity
    protect: Any  # (c, G) share of a segment's demand that makes goods the club imports
    stressed: Any  # (draw, c) bool: some segment's last price is above the trigger


def _total(parts: list[Any]) -> Any:
    out = parts[0]
    for part in parts[1:]:
        out = out + part
    return out


def weights(expected: Any, demand0: Any, theta: float, xp: Any = np) -> Any:
    """Destination shares ``(draw, c, G)``: demand0 x expected ** theta, normalised."""
    weight = (expected if theta == 1.0 else expected * expected if theta == 2.0
              else expected ** theta)
    weight = weight * demand0
    total = _total([weight[..., j] for j in range(weight.shape[-1])])[..., None]
    return xp.where(total > 0, weight / xp.where(total > 0, total, 1.0), weight)


def flows(production: Any, weight: Any, trade_keep: Any | None, xp: Any = np) -> Flow:
    """Volume from exporter i to destination j (own segment included), (draw, c) each.

    ``trade_keep`` is ``(draw, c, i, j)`` (None: no restriction). Volume an export
    restriction cuts from some destinations is sold to the others, own segment included.
    """
    n_g = weight.shape[-1]
    out = []
    for i in range(n_g):
        share = [weight[..., j] for j in range(n_g)]
        if trade_keep is not None:
            share = [share[j] if j == i else share[j] * trade_keep[:, :, i, j]
                     for j in range(n_g)]
        total = _total(share)
        scale = xp.where(total > 0, production[..., i] / xp.where(total > 0, total, 1.0), 0.0)
        out.append([share[j] * scale for j in range(n_g)])
    return out


def prioritise(flow: Flow, club: Club, demand1: Any, xp: Any = np) -> Flow:
    """Trade-club priority: members serve members first, up to members' need.

    While some segment's last price is above the trigger (``club.stressed``), the club's
    volume bound for non-members (club members' capacity share of each exporter) is redirected
    to member segments, but only as much as covers their shortfall against reference demand
    (``demand1`` minus what the ordinary allocation brings them); the rest keeps flowing to
    non-members. Each exporter gives up the same fraction of its redirectable volume; members
    receive it pro rata to their shortfall. Volume a non-member buys to make what the club
    imports downstream (``club.protect``) is not redirected: taking TSMC's helium would cost
    the club its chips. Membership is a 0/1 factor, so a traced view index works too.
    """
    if xp is np and not club.stressed.any():  # eager shortcut: nothing moves when calm
        return flow
    n_g = len(flow)
    present, pi = club.present, club.share
    need = [present[j] * xp.maximum(demand1[..., j] - _total([flow[i][j] for i in range(n_g)]),
                                    0.0) * club.stressed
            for j in range(n_g)]
    need_total = _total(need)
    exposed = (1.0 - present)[None, :] * (1.0 - club.protect)  # (c, G)
    bound = [pi[None, :, i] * _total([exposed[:, m] * flow[i][m] for m in range(n_g)])
             for i in range(n_g)]
    pool = _total(bound)
    fraction = xp.where(pool > 0, xp.minimum(need_total, pool) / xp.where(pool > 0, pool, 1.0),
                        0.0)
    split = [xp.where(need_total > 0, n / xp.where(need_total > 0, need_total, 1.0), 0.0)
             for n in need]
    out = []
    for i in range(n_g):
        cut = fraction * pi[None, :, i]
        moved = fraction * bound[i]
        out.append([flow[i][m] * (1.0 - cut * exposed[:, m]) + moved * split[m]
                    for m in range(n_g)])
    return out


def exports_imports(flow: Flow, xp: Any = np) -> tuple[Any, Any]:
    """Each segment's exports and imports ``(draw, c, G)`` from the flow matrix."""
    n_g = len(flow)
    exports = [_total([flow[i][j] for j in range(n_g) if j != i]) for i in range(n_g)]
    imports = [_total([flow[i][j] for i in range(n_g) if i != j]) for j in range(n_g)]
    return xp.stack(exports, axis=-1), xp.stack(imports, axis=-1)


@dataclass(frozen=True)
class Routed:
    """One layer's trade: exports and imports ``(draw, c, G)``, and where imports came from
    (``flow``; None when every exporter ships ``production x weight``, the closed form)."""

    exports: Any
    imports: Any
    production: Any
    weight: Any
    flow: Flow | None


def route(production: Any, weight: Any, trade_keep: Any | None, club: Club | None,
          demand1: Any, xp: Any = np) -> Routed:
    """Route one layer's production to destinations."""
    if trade_keep is None and club is None:
        # No restriction and no priority: each segment keeps its own weight's share.
        total = _total([production[..., j] for j in range(production.shape[-1])])[..., None]
        return Routed(production * (1.0 - weight), weight * (total - production), production,
                      weight, None)
    flow = flows(production, weight, trade_keep, xp)
    if club is not None:
        flow = prioritise(flow, club, demand1, xp)
    exports, imports = exports_imports(flow, xp)
    return Routed(exports, imports, production, weight, flow)


def sent_back(routed: Routed, returned_share: Any, xp: Any = np) -> Any:
    """Volume each exporter takes back ``(draw, c, G)`` when each importer ``j`` returns
    ``returned_share[..., j]`` of the imports it received (pro rata to what each shipped)."""
    n_g = routed.exports.shape[-1]
    if routed.flow is None:
        back = [routed.production[..., i]
                * _total([routed.weight[..., j] * returned_share[..., j]
                          for j in range(n_g) if j != i]) for i in range(n_g)]
    else:
        back = [_total([routed.flow[i][j] * returned_share[..., j]
                        for j in range(n_g) if j != i]) for i in range(n_g)]
    return xp.stack(back, axis=-1)
