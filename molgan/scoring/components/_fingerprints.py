"""Morgan bit fingerprints and their Tanimoto similarity, shared by ``tanimoto``, ``sklearn_model`` and
:mod:`molgan.latent.analogs`."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from rdkit import DataStructs
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


def bit_fingerprints(mols: Sequence[Mol], radius: int = 2, n_bits: int = 2048) -> list:
    """RDKit Morgan bit vectors of ``mols`` (to compare with :func:`tanimoto`)."""
    generator = morgan_generator(radius, n_bits)
    return [generator.GetFingerprint(mol) for mol in mols]


def tanimoto(mol: Mol, references: Sequence, radius: int = 2, n_bits: int = 2048) -> np.ndarray:
    """Tanimoto similarity ``[len(references)]`` of ``mol``'s Morgan bits to each of ``references``
    (bit vectors from :func:`bit_fingerprints` with the same ``radius`` and ``n_bits``)."""
    query = morgan_generator(radius, n_bits).GetFingerprint(mol)
    return np.asarray(DataStructs.BulkTanimotoSimilarity(query, list(references)), dtype=np.float64)
