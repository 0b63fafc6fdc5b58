"""Count limits: ``num_rings`` and ``num_heavy_atoms`` give 1 inside ``[min, max]`` and 0 outside."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from molgan.chem import properties
from molgan.errors import ConfigError
from molgan.scoring.components.base import Component, Mol


@dataclass(frozen=True)
class CountLimits:
    """``min <= count <= max`` scores 1 (both ends included); ``max`` left out means no upper limit."""

    min: int = 0
    max: int | None = None

    def __post_init__(self) -> None:
        if self.min < 0:
            raise ConfigError(f"min must be >= 0, got {self.min}")
        if self.max is not None and self.max < self.min:
            raise ConfigError(f"max must be >= min, got min={self.min}, max={self.max}")


class _CountLimit(Component):
    Params = CountLimits
    unit_interval = True
    count: Callable[[Sequence[Mol | None]], np.ndarray]

    def __call__(self, mols: Sequence[Mol | None]) -> np.ndarray:
        counts = type(self).count(mols)
        upper = np.inf if self.params.max is None else self.params.max
        inside = ((counts >= self.params.min) & (counts <= upper)).astype(np.float64)
        return np.where(np.isnan(counts), np.nan, inside)


class NumRings(_CountLimit):
    """1 if the number of SSSR rings is within ``[min, max]``, else 0."""

    count = staticmethod(properties.num_rings)


class NumHeavyAtoms(_CountLimit):
    """1 if the number of heavy (non-hydrogen) atoms is within ``[min, max]``, else 0."""

    count = staticmethod(properties.num_heavy_atoms)
