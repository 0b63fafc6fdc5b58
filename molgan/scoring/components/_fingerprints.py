"""Morgan bit fingerprints shared by ``tanimoto`` and ``sklearn_model``."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from rdkit.Chem import rdFingerprintGenerator

from molgan.scoring.components.base import Mol


@lru_cache(maxsize=8)
def morgan_generator(radius: int, n_bits: int):
    """RDKit's Morgan fingerprint generator (bit vectors, no chirality, no counts)."""
    return rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)


def morgan_fingerprints(mols: Sequence[Mol], radius: int = 2, n_bits: int = 2048) -> np.ndarray:
    """Morgan bit fingerprints as a ``[N, n_bits]`` uint8 array (use the same to train a model)."""
    generator = morgan_generator(radius, n_bits)
    out = np.zeros((len(mols), n_bits), dtype=np.uint8)
    for i, mol in enumerate(mols):
        out[i] = generator.GetFingerprintAsNumPy(mol)
    return out
