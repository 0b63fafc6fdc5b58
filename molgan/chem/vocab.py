"""The vocabulary: which atom and bond types a graph tensor can hold, and how many atoms."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdkit import Chem

#: Bond-type indices of the adjacency tensor, kekulé representation (aromatic rings are kekulized first).
BOND_TYPES: tuple[str, ...] = ("none", "single", "double", "triple")
#: The aromatic representation: RDKit's aromatic bonds are a fifth type (index 4).
AROMATIC_BOND_TYPES: tuple[str, ...] = (*BOND_TYPES, "aromatic")
#: Bond representation by name (the ``bonds`` option of :func:`molgan.data.datasets.load_dataset`).
BOND_REPRESENTATIONS: dict[str, tuple[str, ...]] = {"kekule": BOND_TYPES, "aromatic": AROMATIC_BOND_TYPES}
RDKIT_BONDS = {
    Chem.BondType.SINGLE: 1,
    Chem.BondType.DOUBLE: 2,
    Chem.BondType.TRIPLE: 3,
    Chem.BondType.AROMATIC: 4,
}
INDEX_TO_RDKIT_BOND = {index: bond for bond, index in RDKIT_BONDS.items()}

#: ``(element symbol, formal charge)``, or ``(symbol, charge, hydrogens)`` for an aromatic atom whose
#: hydrogens a heavy-atom graph cannot tell (``[nH]`` is ``("N", 0, 1)``; aromatic representation only).
AtomType = tuple


class VocabularyError(ValueError):
    """A vocabulary file or description is invalid."""


@dataclass(frozen=True)
class Vocabulary:
    """Atom types (index 0 is the empty slot), bond types and the maximum number of atoms.

    ``atom_types[i]`` is the (element, formal charge) of node type ``i + 1``; node type 0 means
    "no atom". Bond types are :data:`BOND_TYPES` (kekulé, the default) or :data:`AROMATIC_BOND_TYPES`
    (0 = no bond). Only an aromatic vocabulary has atom types with a third entry, the hydrogens of an
    aromatic atom that carries them (``("N", 0, 1)``, pyrrole's ``[nH]``).
    """

    atom_types: tuple[AtomType, ...]
    max_atoms: int
    bond_types: tuple[str, ...] = field(default=BOND_TYPES)

    def __post_init__(self) -> None:
        # tuples, so that a vocabulary is hashable (decoders cache per vocabulary)
        object.__setattr__(self, "atom_types", tuple((str(a[0]), *a[1:]) for a in self.atom_types))
        object.__setattr__(self, "bond_types", tuple(self.bond_types))
        if self.max_atoms < 1:
            raise VocabularyError(f"max_atoms must be >= 1, got {self.max_atoms}")
        if self.bond_types not in BOND_REPRESENTATIONS.values():
            allowed = " or ".join(str(list(b)) for b in BOND_REPRESENTATIONS.values())
            raise VocabularyError(f"bond_types must be {allowed}, got {list(self.bond_types)}")
        if len(set(self.atom_types)) != len(self.atom_types) or not self.atom_types:
            raise VocabularyError("atom_types must be a non-empty list without repeats")
        for atom in self.atom_types:
            if len(atom) not in (2, 3):
                raise VocabularyError(f"an atom type is [symbol, charge] or [symbol, charge, hydrogens], got {list(atom)}")
            symbol, charge, hydrogens = _parts(atom)
            if not _is_element(symbol):
                raise VocabularyError(f"unknown element {symbol!r}")
            if not isinstance(charge, int):
                raise VocabularyError(f"formal charge must be an integer, got {charge!r}")
            if len(atom) == 3 and (not isinstance(hydrogens, int) or hydrogens < 1 or not self.aromatic):
                raise VocabularyError(f"atom type {list(atom)}: hydrogens must be >= 1, with aromatic bonds only")

    @property
    def aromatic(self) -> bool:
        """Whether aromatic bonds are a bond type of their own (else rings are kekulized)."""
        return self.bond_types == AROMATIC_BOND_TYPES

    @property
    def bonds(self) -> str:
        """The bond representation's name: ``"kekule"`` or ``"aromatic"``."""
        return "aromatic" if self.aromatic else "kekule"

    @property
    def num_node_types(self) -> int:
        """Number of node classes, the empty type included."""
        return len(self.atom_types) + 1

    @property
    def num_bond_types(self) -> int:
        """Number of edge classes, no-bond included."""
        return len(self.bond_types)

    def atom_index(self) -> dict[AtomType, int]:
        """Map (element, charge) to node-type index (1-based)."""
        return {atom: i + 1 for i, atom in enumerate(self.atom_types)}

    def atom_labels(self) -> list[str]:
        """Readable labels: ``C``, ``N+``, ``O-``."""
        return [_label(*_parts(atom)) for atom in self.atom_types]

    @classmethod
    def from_mols(
        cls, mols: Iterable[Chem.Mol | None], max_atoms: int | None = None, bonds: str = "kekule"
    ) -> Vocabulary:
        """Infer the atom types and maximum size of a collection of molecules (``None`` skipped)."""
        if bonds not in BOND_REPRESENTATIONS:
            raise VocabularyError(f"bonds must be one of {list(BOND_REPRESENTATIONS)}, got {bonds!r}")
        seen: dict[AtomType, int] = {}
        largest = 0
        for mol in mols:
            if mol is None:
                continue
            largest = max(largest, mol.GetNumAtoms())
            for atom in mol.GetAtoms():
                key = atom_key(atom, bonds == "aromatic")
                seen[key] = seen.get(key, 0) + 1
        if not seen:
            raise VocabularyError("no molecules to infer a vocabulary from")
        return cls(atom_types=sort_atom_types(seen), max_atoms=max_atoms or largest, bond_types=BOND_REPRESENTATIONS[bonds])

    def to_dict(self) -> dict:
        return {
            "atom_types": [list(atom) for atom in self.atom_types],
            "bond_types": list(self.bond_types),
            "max_atoms": self.max_atoms,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Vocabulary:
        unknown = set(data) - {"atom_types", "bond_types", "max_atoms"}
        if unknown:
            raise VocabularyError(f"unknown vocabulary keys: {sorted(unknown)}")
        try:
            atoms = tuple((str(a[0]), *(int(x) for x in a[1:])) for a in data["atom_types"])
            return cls(
                atom_types=atoms,
                max_atoms=int(data["max_atoms"]),
                bond_types=tuple(data.get("bond_types", BOND_TYPES)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, VocabularyError):
                raise
            raise VocabularyError(f"malformed vocabulary: {exc}") from exc

    def save(self, path: str | Path) -> None:
        """Write the vocabulary as JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> Vocabulary:
        """Read a vocabulary JSON file."""
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise VocabularyError(f"cannot read vocabulary {path}: {exc}") from exc
        return cls.from_dict(data)


_ELEMENTS = frozenset(Chem.GetPeriodicTable().GetElementSymbol(z) for z in range(1, 119))


def _is_element(symbol: str) -> bool:
    return symbol in _ELEMENTS


def atom_key(atom: Chem.Atom, aromatic: bool) -> AtomType:
    """The atom type of an RDKit atom: ``(symbol, charge)``; with ``aromatic``, an aromatic atom other
    than a neutral carbon that carries hydrogens gets them as a third entry (``[nH]``: ``("N", 0, 1)``)."""
    symbol, charge = atom.GetSymbol(), atom.GetFormalCharge()
    if aromatic and atom.GetIsAromatic() and (symbol != "C" or charge != 0):
        hydrogens = atom.GetTotalNumHs()
        if hydrogens:
            return (symbol, charge, hydrogens)
    return (symbol, charge)


def sort_atom_types(types: Iterable[AtomType]) -> tuple[AtomType, ...]:
    """Atom types by atomic number, then charge, then hydrogens (a vocabulary's order)."""
    table = Chem.GetPeriodicTable()
    return tuple(sorted(types, key=lambda a: (table.GetAtomicNumber(a[0]), *_parts(a)[1:])))


def _parts(atom: AtomType) -> tuple[str, int, int]:
    """``(symbol, charge, hydrogens)`` of an atom type (hydrogens 0 unless the type has them)."""
    return atom[0], atom[1], atom[2] if len(atom) > 2 else 0


def _label(symbol: str, charge: int, hydrogens: int = 0) -> str:
    if hydrogens:  # an aromatic atom with its hydrogens, as in SMILES: nH, nH+
        symbol = symbol.lower() + "H" + (str(hydrogens) if hydrogens > 1 else "")
    if charge == 0:
        return symbol
    sign = "+" if charge > 0 else "-"
    return symbol + sign * abs(charge) if abs(charge) <= 2 else f"{symbol}{sign}{abs(charge)}"


#: The QM9 vocabulary (atoms seen in QM9 with their charges, 9 heavy atoms).
QM9_VOCABULARY = Vocabulary(
    atom_types=(("C", -1), ("C", 0), ("N", -1), ("N", 0), ("N", 1), ("O", -1), ("O", 0), ("F", 0)),
    max_atoms=9,
)
