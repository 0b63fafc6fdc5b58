"""SMILES -> RDKit molecule, and RDKit's log kept quiet while it parses or decodes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from rdkit import Chem, rdBase

Mol = Chem.Mol


@contextmanager
def quiet_rdkit() -> Iterator[None]:
    """Silence RDKit's log inside the block; the log levels in force before are restored after it."""
    block = rdBase.BlockLogs()
    try:
        yield
    finally:
        del block


def to_mol(smiles: str | None) -> Mol | None:
    """The sanitized molecule of ``smiles`` (surrounding whitespace stripped).

    ``None`` for ``None``, a non-string, an empty or blank string, an unparsable SMILES, or a molecule
    with no atoms. RDKit's parse warnings are not logged.
    """
    if not isinstance(smiles, str):
        return None
    text = smiles.strip()
    if not text:
        return None
    with quiet_rdkit():
        mol = Chem.MolFromSmiles(text)
    return mol if mol is not None and mol.GetNumAtoms() > 0 else None


def to_mols(smiles: Iterable[str | None]) -> list[Mol | None]:
    """:func:`to_mol` of each entry."""
    with quiet_rdkit():
        return [to_mol(s) for s in smiles]


def canonical_key(mol: Mol) -> str:
    """The key that uniqueness and novelty compare: RDKit's canonical SMILES without stereo."""
    return Chem.MolToSmiles(mol, isomericSmiles=False)
