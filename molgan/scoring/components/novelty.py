"""``novelty``: 1 if a molecule's canonical SMILES (no stereo) is not in a reference set (e.g. the training set)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from molgan.chem.mol import canonical_key
from molgan.scoring.components._reference import ReferenceSet, read_reference
from molgan.scoring.components.base import Component, Mol, map_mols


class Novelty(Component):
    """1.0 if the molecule's :func:`~molgan.chem.mol.canonical_key` (canonical SMILES without stereo) is
    not among the references' keys, else 0.0: the novelty of :func:`molgan.evaluation.metrics.novelty`.
    """

    Params = ReferenceSet
    unit_interval = True

    def __init__(self, params: ReferenceSet) -> None:
        super().__init__(params)
        self._known = frozenset(canonical_key(mol) for _, mol in read_reference(params))

    def __call__(self, mols: Sequence[Mol | None]) -> np.ndarray:
        return map_mols(lambda m: canonical_key(m) not in self._known, mols)
