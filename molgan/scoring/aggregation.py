"""Aggregations: combine components' transformed scores ``[C, N]`` with weights ``[C]`` into totals ``[N]``.

Both are weighted means normalised by the sum of the weights, so a total stays in [0, 1] when every
transformed score does. NaN is not handled here: the reward gives every molecule with a NaN score
its ``invalid_score``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def arithmetic_mean(scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``sum_i w_i s_i / sum_i w_i`` per molecule. ``scores: [C, N]``, ``weights: [C]`` -> ``[N]``."""
    weights = np.asarray(weights, dtype=np.float64)
    return (weights[:, None] * scores).sum(axis=0) / weights.sum()


def geometric_mean(scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``prod_i s_i ** (w_i / sum_j w_j)`` per molecule; one zero score makes the total zero.

    ``scores: [C, N]`` in [0, 1], ``weights: [C]`` -> ``[N]``. A component of weight 0 has no effect.
    """
    weights = np.asarray(weights, dtype=np.float64)
    with np.errstate(invalid="ignore"):  # a negative score gives NaN, reported as invalid
        return np.prod(np.power(scores, (weights / weights.sum())[:, None]), axis=0)


#: Aggregations by the name used in TOML (``aggregation = "geometric"``).
AGGREGATIONS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "arithmetic": arithmetic_mean,
    "geometric": geometric_mean,
}
