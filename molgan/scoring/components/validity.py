"""``validity``: 1 for a molecule RDKit could build, 0 for ``None``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from molgan.scoring.components.base import Component, Mol


class Validity(Component):
    """1.0 where the molecule is not ``None``, else 0.0 (never NaN)."""

    unit_interval = True

    def __call__(self, mols: Sequence[Mol | None]) -> np.ndarray:
        return np.array([0.0 if mol is None else 1.0 for mol in mols], dtype=np.float64)
