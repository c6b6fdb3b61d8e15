"""Leontief availability down the recipe graph.

A downstream commodity can only be made, in a segment, in proportion to the least available of
its inputs there: its output ratio is the minimum over its inputs of the input's *consumption
ratio* (consumption / demand at the clearing price; 1 when nothing is short). The ratio
multiplies the downstream segment's planned production in the same month, layer by layer.
Substitution and thrift below the price cap are demand responses, not output losses.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["input_ratio", "input_slots"]


def input_slots(inputs: np.ndarray, n_commodities: int) -> np.ndarray | None:
    """Each layer commodity's input indices with padding (-1) pointed at the always-1 slot
    ``n_commodities`` of the ratio state; None when the layer has no inputs."""
    if inputs.shape[1] == 0:
        return None
    return np.where(inputs < 0, n_commodities, inputs)


def input_ratio(ratio: Any, slots: np.ndarray | None, xp: Any = np) -> Any:
    """Output ratio of a layer's commodities from their inputs' consumption ratios.

    Parameters
    ----------
    ratio : array, (draw, commodity + 1, segment)
        Consumption ratios, already updated for all upstream layers this month; the extra
        last commodity stays 1 (padded input slots point at it).
    slots : ndarray of int, (n_layer, max_inputs), or None
        :func:`input_slots` of the layer.

    Returns
    -------
    array (draw, n_layer, segment) in [0, 1], or None when the layer has no inputs.
    """
    if slots is None:
        return None
    out = ratio[:, slots[:, 0], :]
    for m in range(1, slots.shape[1]):
        out = xp.minimum(out, ratio[:, slots[:, m], :])
    return out
