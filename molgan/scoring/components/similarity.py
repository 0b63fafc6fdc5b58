"""``tanimoto``: the highest Tanimoto similarity to a set of reference molecules, in [0, 1]."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from molgan.errors import ConfigError
from molgan.scoring.components._fingerprints import bit_fingerprints, tanimoto
from molgan.scoring.components._reference import ReferenceSet, read_reference
from molgan.scoring.components.base import Component, Mol, map_mols


@dataclass(frozen=True)
class TanimotoParams(ReferenceSet):
    """References as ``smiles = [...]`` or ``path = "refs.smi"`` (exactly one); Morgan bit fingerprints."""

    radius: int = 2
    n_bits: int = 2048

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.radius < 0 or self.n_bits < 1:
            raise ConfigError(f"radius must be >= 0 and n_bits >= 1, got {self.radius}, {self.n_bits}")


class Tanimoto(Component):
    """Max Tanimoto similarity of each molecule's Morgan fingerprint (radius 2, 2048 bits by default)
    to the reference molecules' fingerprints.
    """

    Params = TanimotoParams
    unit_interval = True

    def __init__(self, params: TanimotoParams) -> None:
        super().__init__(params)
        self._references = bit_fingerprints([mol for _, mol in read_reference(params)], params.radius, params.n_bits)

    def __call__(self, mols: Sequence[Mol | None]) -> np.ndarray:
        def best(mol: Mol) -> float:
            return float(tanimoto(mol, self._references, self.params.radius, self.params.n_bits).max())

        return map_mols(best, mols)
