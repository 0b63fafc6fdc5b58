"""Valence correction of decoded graphs (optional; results must be reported as *corrected*).

MoFlow-style (Zang & Wang 2020): while an atom carries more bond order than its element allows,
the order of its highest-order bond is lowered by one (triple -> double -> single -> removed).
Fragments are left alone: :func:`molgan.chem.graphs.decode_graphs` decides what to do with them.
"""

from __future__ import annotations

from rdkit import Chem

from molgan.chem.valence import has_valence_limit, max_valence

#: Bond type after lowering the order by one (``None``: remove the bond).
_LOWER = {
    Chem.BondType.TRIPLE: Chem.BondType.DOUBLE,
    Chem.BondType.DOUBLE: Chem.BondType.SINGLE,
    Chem.BondType.AROMATIC: Chem.BondType.SINGLE,
    Chem.BondType.SINGLE: None,
}


def allowed_valence(atom: Chem.Atom) -> int | None:
    """Largest valence RDKit allows an atom, formal charge included; ``None`` if unrestricted.

    A charged atom is treated like its isoelectronic neighbour (``N+`` like C, ``O-`` like F).
    """
    z, charge = atom.GetAtomicNum(), atom.GetFormalCharge()
    return max_valence(z, charge) if has_valence_limit(z, charge) else None


def _used_valence(atom: Chem.Atom) -> float:
    return sum(bond.GetBondTypeAsDouble() for bond in atom.GetBonds()) + atom.GetNumExplicitHs()


def correct_valence(mol: Chem.Mol) -> Chem.RWMol:
    """Lower bond orders at over-bonded atoms until every atom fits its allowed valence.

    ``mol`` is an unsanitized molecule built from a graph (a ``Mol`` is copied into an ``RWMol``);
    the edited ``RWMol`` is returned, still unsanitized. Atoms are visited in index order, and at
    each over-bonded atom the highest-order bond (the first one on a tie) is lowered first.
    """
    rw = mol if isinstance(mol, Chem.RWMol) else Chem.RWMol(mol)
    for index in range(rw.GetNumAtoms()):
        atom = rw.GetAtomWithIdx(index)
        limit = allowed_valence(atom)
        if limit is None:
            continue
        while _used_valence(atom) > limit and atom.GetDegree() > 0:
            bond = max(atom.GetBonds(), key=lambda b: b.GetBondTypeAsDouble())
            lower = _LOWER.get(bond.GetBondType())
            if lower is None:
                rw.RemoveBond(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx())
            else:
                bond.SetBondType(lower)
            atom = rw.GetAtomWithIdx(index)
    return rw
