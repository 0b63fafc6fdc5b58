"""``novelty``: 1 if a molecule's canonical SMILES is not in a reference set (e.g. the training set)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rdkit import Chem

from molgan.scoring.components._reference import ReferenceSet, read_reference
from molgan.scoring.components.base import Component, Mol, map_mols


class Novelty(Component):
    """1.0 if RDKit's canonical (isomeric) SMILES of the molecule is not among the references', else 0.0."""

    Params = ReferenceSet
    unit_interval = True

    def __init__(self, params: ReferenceSet) -> None:
        super().__init__(params)
        self._known = frozenset(Chem.MolToSmiles(mol) for _, mol in read_reference(params))

    def __call__(self, mols: Sequence[Mol | None]) -> np.ndarray:
        return map_mols(lambda m: Chem.MolToSmiles(m) not in self._known, mols)
