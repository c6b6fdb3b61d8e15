"""Routing each region's output to destinations along its routes, cut by restrictions,
re-ordered by trade-club priority. Written once over the array namespace ``xp``.

Exporter ``i`` sells to destination ``j`` (its own region included) in proportion to
``route0[c, i, j] x pull[j]``, where ``route0`` holds the baseline route shares
(:func:`paxsilica.engine.network._routes`: observed bilateral shares mixed with an open-market
part, or pro rata to demand) and ``pull = expected price ratio ** theta`` draws volume toward
dearer markets. At baseline prices every exporter ships its observed pattern. An export
restriction keeps only ``trade_keep[i, j]`` of the weight of destination ``j`` for exporter
``i``; the exporter diverts what is cut to its other destinations, it does not destroy it.
Cutting a weight leaves the route open to the price pull: a dear destination draws volume
back through it. An export quota or licence regime fixes volume instead, so with
``quota`` > 0 (:func:`quota_cap`) a restricted route carries at most ``trade_keep`` of its
baseline share of the exporter's output, whatever the pull, and the rest stays with the
exporter's unrestricted destinations.

Without a restriction or club priority the routing is two batched matrix-vector products per
month (:func:`route`'s closed form); the full ``(draw, commodity, exporter, importer)`` flow is
built only for the layers and months that need it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Club", "Routed", "exports_imports", "flows", "matvec", "prioritise", "pull",
           "pulled_forward", "quota_cap", "rmatvec", "route", "safe_div", "sent_back"]


@dataclass(frozen=True)
class Club:
    """Trade-club priority inputs for one layer (see :func:`prioritise`)."""

    present: Any  # (G,) 1 where the region holds a club member
    share: Any  # (c, G) club members' share of each exporting region's capacity
    protect: Any  # (c, G) share of a region's demand that makes goods the club imports
    stressed: Any  # (draw, c) bool: some region's last price is above the trigger


def pull(expected: Any, theta: float) -> Any:
    """Destination pull ``expected ** theta`` ``(draw, c, G)``."""
    return (expected if theta == 1.0 else expected * expected if theta == 2.0
            else expected ** theta)


def _per_commodity(x: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """``out[:, c] = x[:, c] @ matrices[c]``: one BLAS call per commodity (a layer holds a
    few), which beats a batched matmul over transposed, non-contiguous views."""
    out = np.empty_like(x)
    for c in range(x.shape[1]):
        np.matmul(x[:, c], matrices[c], out=out[:, c])
    return out


def matvec(route0: Any, x: Any, xp: Any = np, full: np.ndarray | None = None) -> Any:
    """``y[d, c, i] = sum_j route0[c, i, j] x[d, c, j]``.

    ``full``: the commodities whose rows differ by exporter (observed routes); the others
    sell pro rata (every row is the market row ``route0[c, 0]``), so ``y`` is one dot product
    per (draw, commodity). None: every commodity is full.
    """
    if full is None:
        if xp is np:
            return _per_commodity(x, route0.transpose(0, 2, 1))
        return xp.einsum("cij,dcj->dci", route0, x)
    y = xp.broadcast_to((x * route0[None, :, 0]).sum(axis=-1, keepdims=True), x.shape)
    if full.size == 0:
        return y
    return _set(y + 0.0, full, matvec(route0[full], x[:, full], xp))


def rmatvec(route0: Any, x: Any, xp: Any = np, full: np.ndarray | None = None) -> Any:
    """``y[d, c, j] = sum_i x[d, c, i] route0[c, i, j]`` (``full`` as in :func:`matvec`)."""
    if full is None:
        if xp is np:
            return _per_commodity(x, route0)
        return xp.einsum("cij,dci->dcj", route0, x)
    y = route0[None, :, 0] * x.sum(axis=-1, keepdims=True)
    if full.size == 0:
        return y
    return _set(y, full, rmatvec(route0[full], x[:, full], xp))


def safe_div(a: Any, b: Any, xp: Any) -> Any:
    """a / b where b > 0, else 0 (elementwise, in namespace ``xp``)."""
    return xp.where(b > 0, a / xp.where(b > 0, b, 1.0), 0.0)


def flows(production: Any, weight_pull: Any, route0: Any, trade_keep: Any | None,
          xp: Any = np, quota: float = 0.0, pull_limit: Any | None = None) -> Any:
    """Volume from exporter i to destination j (own region included), ``(draw, c, i, j)``.

    ``trade_keep`` is ``(draw, c, i, j)`` with 1 on the diagonal (None: no restriction).
    Volume an export restriction cuts from some destinations is sold to the others, own
    region included. ``quota``: the share of each restriction that binds in volume
    (:func:`quota_cap`; 0: the restriction cuts route weights only). ``pull_limit``
    ``(draw, c)``: the most volume routes opened wider (``trade_keep`` > 1) may carry above
    what they would without it (:func:`pulled_forward`; None: no limit).
    """
    weight = route0[None] * weight_pull[:, :, None, :]
    flow = _shares(weight if trade_keep is None else weight * trade_keep, production, xp)
    if trade_keep is None:
        return flow
    if pull_limit is not None:
        flow = pulled_forward(flow, _shares(weight * xp.minimum(trade_keep, 1.0), production,
                                            xp), trade_keep, pull_limit, xp)
    if quota == 0.0:
        return flow
    return quota_cap(flow, production, route0, trade_keep, quota, xp)


def _shares(weight: Any, production: Any, xp: Any) -> Any:
    """Each exporter's ``production`` split over destinations in proportion to ``weight``."""
    return weight * safe_div(production, weight.sum(axis=-1), xp)[..., None]


def pulled_forward(flow: Any, plain: Any, trade_keep: Any, limit: Any, xp: Any = np) -> Any:
    """``flow`` ``(draw, c, i, j)`` with the volume that routes opened wider (``trade_keep``
    > 1: buyers pulling volume forward ahead of announced controls) carry above ``plain``
    (the flow without the wider opening) held to ``limit`` ``(draw, c)`` in all: what the
    buyers take into their cover this month. Each exporter keeps its total: every row moves
    from ``plain`` toward ``flow`` by the same share, ``min(1, limit / extra)``, so what the
    buyers do not take stays on the exporter's other routes, home included. Without it, the
    wider routes ship whatever their weight pulls: at the posterior fitted without the limit,
    the bloc's gallium spot in July 2023 fell to its floor under a glut the bloc's buyers
    never ordered, while Rotterdam's rose (docs/calibration.md, gap 9).
    """
    extra = xp.where(trade_keep > 1.0, flow - plain, 0.0).sum(axis=(-2, -1))
    moved = safe_div(xp.minimum(extra, xp.maximum(limit, 0.0)), extra, xp)
    return plain + moved[..., None, None] * (flow - plain)


def quota_cap(flow: Any, production: Any, route0: Any, trade_keep: Any, quota: float,
              xp: Any = np) -> Any:
    """``flow`` ``(draw, c, i, j)`` with each restricted route (``trade_keep`` < 1) held to
    its quota ``trade_keep x route0[i, j] x production[i]``: the volume the route carried at
    baseline shares, cut by the restriction (``route0`` rows sum to 1). A weight cut alone
    lets a dear destination pull the volume back (in the 2010 rare-earth episode China's
    exports under the cut rose 45% within a year at a 2x price gap); a quota or licence
    count does not. What a quota holds back goes to the exporter's unrestricted
    destinations pro rata to their flow (home, where every export route is restricted), so
    the exporter's total is kept.
    ``quota`` in [0, 1] is the share of the restriction that binds in volume: the result is
    ``flow + quota x (capped - flow)``. Routes opened wider (``trade_keep`` > 1, exporters
    shipping ahead of controls) carry no quota.
    """
    cut = trade_keep < 1.0
    limit = trade_keep * route0[None] * production[..., None]
    capped = xp.where(cut, xp.minimum(flow, limit), flow)
    held = quota * (flow - capped)
    free = xp.where(cut, 0.0, flow)
    free_total = free.sum(axis=-1, keepdims=True)
    n_g = flow.shape[-1]
    # an exporter with no unrestricted flow at all keeps what the quota holds back at home
    spread = xp.where(free_total > 0, safe_div(free, free_total, xp),
                      xp.eye(n_g, dtype=flow.dtype))
    return flow - held + held.sum(axis=-1, keepdims=True) * spread


def prioritise(flow: Any, club: Club, demand1: Any, xp: Any = np) -> Any:
    """Trade-club priority: members serve members first, up to members' need.

    While some region's last price is above the trigger (``club.stressed``), the club's
    volume bound for non-members (club members' capacity share of each exporter) is redirected
    to member regions, but only as much as covers their shortfall against reference demand
    (``demand1`` minus what the ordinary allocation brings them); the rest keeps flowing to
    non-members. Each exporter gives up the same fraction of its redirectable volume; members
    receive it pro rata to their shortfall. Volume a non-member buys to make what the club
    imports downstream (``club.protect``) is not redirected: taking TSMC's helium would cost
    the club its chips. Membership is a 0/1 factor, so a traced view index works too.
    """
    if xp is np and not club.stressed.any():  # eager shortcut: nothing moves when calm
        return flow
    present, pi = club.present, club.share  # (G,), (c, G)
    inflow = flow.sum(axis=-2)  # (d, c, j)
    need = present * xp.maximum(demand1 - inflow, 0.0) * club.stressed[..., None]
    need_total = need.sum(axis=-1)
    exposed = (1.0 - present)[None, :] * (1.0 - club.protect)  # (c, G)
    bound = pi[None] * (flow * exposed[None, :, None, :]).sum(axis=-1)  # (d, c, i)
    pool = bound.sum(axis=-1)
    fraction = safe_div(xp.minimum(need_total, pool), pool, xp)  # (d, c)
    split = safe_div(need, need_total[..., None], xp)  # (d, c, j)
    cut = fraction[..., None] * pi[None]  # (d, c, i)
    moved = fraction[..., None] * bound  # (d, c, i)
    return (flow * (1.0 - cut[..., None] * exposed[None, :, None, :])
            + moved[..., None] * split[:, :, None, :])


def exports_imports(flow: Any, xp: Any = np) -> tuple[Any, Any]:
    """Each region's exports and imports ``(draw, c, G)`` from the flow matrix."""
    n_g = flow.shape[-1]
    own = flow[..., xp.arange(n_g), xp.arange(n_g)]
    # a region whose whole flow stays home differs from its own entry by rounding only
    return xp.maximum(flow.sum(axis=-1) - own, 0.0), xp.maximum(flow.sum(axis=-2) - own, 0.0)


@dataclass(frozen=True)
class Routed:
    """One layer's trade: exports and imports ``(draw, c, G)``, and where imports came from:
    the closed form (exporter ``i`` ships ``scale[i] x route0[i, j] x pull[j]``) and, for the
    commodities ``flow_idx`` (all when None), the flow ``(draw, c, i, j)``."""

    exports: Any
    imports: Any
    scale: Any
    pull: Any
    route0: Any
    diag: Any
    flow: Any | None
    flow_idx: np.ndarray | None = None
    full: np.ndarray | None = None  # commodities with observed routes (see matvec)


def _set(a: Any, idx: np.ndarray, value: Any) -> Any:
    """``a`` with commodities ``idx`` (axis 1) set to ``value``: in place for NumPy."""
    if isinstance(a, np.ndarray):
        a[:, idx] = value
        return a
    return a.at[:, idx].set(value)


def _closed(production: Any, weight_pull: Any, route0: Any, diag: Any, xp: Any,
            full: np.ndarray | None) -> tuple[Any, Any, Any]:
    scale = safe_div(production, matvec(route0, weight_pull, xp, full), xp)
    own = scale * diag[None] * weight_pull
    inflow = weight_pull * rmatvec(route0, scale, xp, full)
    # a region that ships everything home differs from its output by rounding only: no
    # negative trade of -1e-17
    return xp.maximum(production - own, 0.0), xp.maximum(inflow - own, 0.0), scale


def route(production: Any, weight_pull: Any, route0: Any, diag: Any,
          restricted: tuple[np.ndarray, Any] | None, club: Club | None, demand1: Any,
          xp: Any = np, full: np.ndarray | None = None, quota: float = 0.0,
          pull_limit: Any | None = None) -> Routed:
    """Route one layer's production ``(draw, c, G)`` to destinations.

    ``route0`` is ``(c, i, j)`` and ``diag`` its diagonal ``(c, G)``. ``restricted`` is
    (layer-local commodity indices, their ``trade_keep`` ``(draw, n, i, j)`` with 1 on the
    diagonal) or None. Flows are built only where needed: for the restricted commodities,
    or for the whole layer under club priority. ``full``: see :func:`matvec`; ``quota``:
    see :func:`quota_cap`; ``pull_limit`` ``(draw, c)``: see :func:`pulled_forward`.
    """
    if club is not None:
        keep = None
        if restricted is not None:
            shape = (production.shape[0], production.shape[1], *route0.shape[1:])
            keep = _set(xp.ones(shape, production.dtype), restricted[0], restricted[1])
        flow = prioritise(flows(production, weight_pull, route0, keep, xp, quota, pull_limit),
                          club, demand1, xp)
        exports, imports = exports_imports(flow, xp)
        return Routed(exports, imports, None, weight_pull, route0, diag, flow)
    exports, imports, scale = _closed(production, weight_pull, route0, diag, xp, full)
    if restricted is None:
        return Routed(exports, imports, scale, weight_pull, route0, diag, None, None, full)
    idx, keep = restricted
    flow = flows(production[:, idx], weight_pull[:, idx], route0[idx], keep, xp, quota,
                 None if pull_limit is None else pull_limit[:, idx])
    sub_exports, sub_imports = exports_imports(flow, xp)
    return Routed(_set(exports, idx, sub_exports), _set(imports, idx, sub_imports), scale,
                  weight_pull, route0, diag, flow, idx, full)


def _flow_back(flow: Any, returned_share: Any, xp: Any) -> Any:
    n_g = flow.shape[-1]
    own = flow[..., xp.arange(n_g), xp.arange(n_g)]
    return (flow * returned_share[:, :, None, :]).sum(axis=-1) - own * returned_share


def sent_back(routed: Routed, returned_share: Any, xp: Any = np) -> Any:
    """Volume each exporter takes back ``(draw, c, G)`` when each importer ``j`` returns
    ``returned_share[..., j]`` of the imports it received (pro rata to what each shipped)."""
    if routed.flow is not None and routed.flow_idx is None:
        return _flow_back(routed.flow, returned_share, xp)
    weighted = routed.pull * returned_share
    total = matvec(routed.route0, weighted, xp, routed.full) - routed.diag[None] * weighted
    back = routed.scale * total
    if routed.flow is None:
        return back
    idx = routed.flow_idx
    return _set(back, idx, _flow_back(routed.flow, returned_share[:, idx], xp))
