"""Commercial holders move toward their target: refill up to the restocking price, sell an
over-target stock down to its inverse, release only above the restocking price; imports
nobody buys go back to their exporters. Expected values are hand calculations."""

from __future__ import annotations

import numpy as np
import pytest

from paxsilica.engine.clearing import ClearParams, clear
from paxsilica.engine.trade import flows, route, sent_back

P0 = 1.05  # restocking price ratio


def _params(e_d: float = -1.0, release_full: float | None = None) -> ClearParams:
    e = np.array([[e_d]])
    return ClearParams(inv_e_d=1 / e, cap=np.array([[5.0]]), min_price=0.05,
                       cap_pow=5.0 ** e, floor_pow=0.05 ** e, rebuild_share=1 / 3,
                       release_full=None if release_full is None else np.array([[release_full]]),
                       restock_price=P0, restock_pow=P0 ** e, sell_pow=(1 / P0) ** e)


def _one(x: float) -> np.ndarray:
    return np.full((1, 1, 1), x)


def _at(out, name: str) -> float:
    return float(getattr(out, name)[0, 0, 0])


def test_holders_refill_up_to_the_restocking_price() -> None:
    # e_d = -1, available = D1 = 100, stock 40 of 100: room 60 / 3 = 20 a month, but at
    # p0 = 1.05 demand is 100 / 1.05 = 95.238, so only 4.762 is left for stock; price 1.05.
    out = clear(_one(100.0), _one(100.0), _one(40.0), _one(100.0), _params(release_full=1.5))
    assert _at(out, "build_commercial") == pytest.approx(100 - 100 / P0, rel=1e-12)
    assert _at(out, "price") == pytest.approx(P0, rel=1e-12)
    # with a surplus of 30 the whole monthly room (20) is bought and the price is 100/110
    out = clear(_one(130.0), _one(100.0), _one(40.0), _one(100.0), _params(release_full=1.5))
    assert _at(out, "build_commercial") == pytest.approx(20.0, rel=1e-12)
    assert _at(out, "price") == pytest.approx(1 / 1.1, rel=1e-12)


def test_over_target_stock_is_sold_down_to_the_inverse_price() -> None:
    # stock 160 of 100: 60 / 3 = 20 would go this month, but the market takes only
    # 100 * 1.05 - 100 = 5 before the price falls to 1 / 1.05.
    out = clear(_one(100.0), _one(100.0), _one(160.0), _one(100.0), _params(release_full=1.5))
    assert _at(out, "release_commercial") == pytest.approx(5.0, rel=1e-12)
    assert _at(out, "build_commercial") == 0.0
    assert _at(out, "price") == pytest.approx(1 / P0, rel=1e-12)


def test_release_starts_above_the_restocking_price() -> None:
    # available 50, stock 100, D1 100, e_d = -1, whole stock at 1.5, nothing below 1.05:
    # 1/p = 0.5 + (100 / 45) (p - 1.05)  =>  (20/9) p^2 - (11/6) p - 1 = 0  =>  p = 1.2,
    # release 100 * 0.15 / 0.45 = 33.33 (= D(1.2) - 50).
    out = clear(_one(50.0), _one(100.0), _one(100.0), _one(100.0), _params(release_full=1.5))
    assert _at(out, "price") == pytest.approx(1.2, rel=1e-9)
    assert _at(out, "release_commercial") == pytest.approx(100 / 3, rel=1e-9)
    # a deficit the restocking band absorbs draws nothing: 97 available, price 100/97
    out = clear(_one(97.0), _one(100.0), _one(100.0), _one(100.0), _params(release_full=1.5))
    assert _at(out, "release_commercial") == 0.0
    assert _at(out, "price") == pytest.approx(100 / 97, rel=1e-12)


@pytest.mark.parametrize("restricted", [False, True])
def test_unsold_imports_go_back_pro_rata_to_what_each_exporter_shipped(restricted) -> None:
    # Outputs 60/30/10, destination weights 0.5/0.3/0.2: B imports 0.3 * (60 + 10) = 21,
    # 18 from A and 3 from C. B sends half back: A takes back 9, C 1.5. The same holds
    # through the flow matrix (an all-ones restriction routes by flows, not the closed form).
    production = np.array([[[60.0, 30.0, 10.0]]])
    route0 = np.repeat(np.array([[[0.5, 0.3, 0.2]]]), 3, axis=1)  # every exporter pro rata
    pull = np.ones_like(production)
    keep = np.ones((1, 1, 3, 3)) if restricted else None
    routed = route(production, pull, route0, route0[:, [0, 1, 2], [0, 1, 2]],
                   None if keep is None else (np.array([0]), keep), None,
                   production)
    assert routed.imports[0, 0, 1] == pytest.approx(21.0)
    back = sent_back(routed, np.array([[[0.0, 0.5, 0.0]]]))
    np.testing.assert_allclose(back[0, 0], [9.0, 0.0, 1.5], rtol=1e-12)
    assert (routed.flow is not None) == restricted
    assert flows(production, pull, route0, None)[0, 0, 0, 1] == pytest.approx(18.0)
