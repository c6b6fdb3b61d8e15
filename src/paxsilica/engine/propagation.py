"""Leontief availability down the recipe graph.

A downstream commodity can only be made, in a segment, in proportion to the least available of
its inputs there: its output ratio is the minimum over its inputs of the input's *consumption
ratio* (consumption / demand at the clearing price; 1 when nothing is short). The ratio
multiplies the downstream segment's planned production in the same month, layer by layer.
Substitution and thrift below the price cap are demand responses, not output losses.
"""

from __future__ import annotations

import numpy as np

__all__ = ["input_ratio", "padded_ratio"]


def padded_ratio(n_draws: int, n_commodities: int, n_segments: int) -> np.ndarray:
    """Consumption-ratio state ``(draw, commodity + 1, segment)`` initialised to 1.

    The extra last commodity stays 1: padded input slots point at it.
    """
    return np.ones((n_draws, n_commodities + 1, n_segments))


def input_ratio(ratio: np.ndarray, inputs: np.ndarray) -> np.ndarray | None:
    """Output ratio of a layer's commodities from their inputs' consumption ratios.

    Parameters
    ----------
    ratio : ndarray, (draw, commodity + 1, segment)
        Consumption ratios, already updated for all upstream layers this month.
    inputs : ndarray of int, (n_layer, max_inputs)
        Topological indices of each commodity's inputs, padded with -1.

    Returns
    -------
    ndarray (draw, n_layer, segment) in [0, 1], or None when the layer has no inputs.
    """
    if inputs.shape[1] == 0:
        return None
    pad = ratio.shape[1] - 1
    idx = np.where(inputs < 0, pad, inputs)
    out = ratio[:, idx[:, 0], :]
    for m in range(1, idx.shape[1]):
        np.minimum(out, ratio[:, idx[:, m], :], out=out)
    return out
