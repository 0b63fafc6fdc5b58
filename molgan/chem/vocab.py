"""The vocabulary: which atom and bond types a graph tensor can hold, and how many atoms."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdkit import Chem

#: Bond-type indices of the adjacency tensor (aromatic bonds are kekulized first).
BOND_TYPES: tuple[str, ...] = ("none", "single", "double", "triple")
RDKIT_BONDS = {
    Chem.BondType.SINGLE: 1,
    Chem.BondType.DOUBLE: 2,
    Chem.BondType.TRIPLE: 3,
}
INDEX_TO_RDKIT_BOND = {index: bond for bond, index in RDKIT_BONDS.items()}

AtomType = tuple[str, int]  # (element symbol, formal charge)


class VocabularyError(ValueError):
    """A vocabulary file or description is invalid."""


@dataclass(frozen=True)
class Vocabulary:
    """Atom types (index 0 is the empty slot), bond types and the maximum number of atoms.

    ``atom_types[i]`` is the (element, formal charge) of node type ``i + 1``; node type 0 means
    "no atom". Bond types follow :data:`BOND_TYPES` (0 = no bond).
    """

    atom_types: tuple[AtomType, ...]
    max_atoms: int
    bond_types: tuple[str, ...] = field(default=BOND_TYPES)

    def __post_init__(self) -> None:
        # tuples, so that a vocabulary is hashable (decoders cache per vocabulary)
        object.__setattr__(self, "atom_types", tuple((str(s), c) for s, c in self.atom_types))
        object.__setattr__(self, "bond_types", tuple(self.bond_types))
        if self.max_atoms < 1:
            raise VocabularyError(f"max_atoms must be >= 1, got {self.max_atoms}")
        if tuple(self.bond_types) != BOND_TYPES:
            raise VocabularyError(f"bond_types must be {list(BOND_TYPES)}, got {list(self.bond_types)}")
        if len(set(self.atom_types)) != len(self.atom_types) or not self.atom_types:
            raise VocabularyError("atom_types must be a non-empty list without repeats")
        for symbol, charge in self.atom_types:
            if not _is_element(symbol):
                raise VocabularyError(f"unknown element {symbol!r}")
            if not isinstance(charge, int):
                raise VocabularyError(f"formal charge must be an integer, got {charge!r}")

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
        return [_label(symbol, charge) for symbol, charge in self.atom_types]

    @classmethod
    def from_mols(cls, mols: Iterable[Chem.Mol | None], max_atoms: int | None = None) -> Vocabulary:
        """Infer the atom types and maximum size of a collection of molecules (``None`` skipped)."""
        seen: dict[AtomType, int] = {}
        largest = 0
        for mol in mols:
            if mol is None:
                continue
            largest = max(largest, mol.GetNumAtoms())
            for atom in mol.GetAtoms():
                key = (atom.GetSymbol(), atom.GetFormalCharge())
                seen[key] = seen.get(key, 0) + 1
        if not seen:
            raise VocabularyError("no molecules to infer a vocabulary from")
        ordered = sorted(seen, key=lambda a: (Chem.GetPeriodicTable().GetAtomicNumber(a[0]), a[1]))
        return cls(atom_types=tuple(ordered), max_atoms=max_atoms or largest)

    def to_dict(self) -> dict:
        return {
            "atom_types": [[s, c] for s, c in self.atom_types],
            "bond_types": list(self.bond_types),
            "max_atoms": self.max_atoms,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Vocabulary:
        unknown = set(data) - {"atom_types", "bond_types", "max_atoms"}
        if unknown:
            raise VocabularyError(f"unknown vocabulary keys: {sorted(unknown)}")
        try:
            atoms = tuple((str(s), int(c)) for s, c in data["atom_types"])
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


def _label(symbol: str, charge: int) -> str:
    if charge == 0:
        return symbol
    sign = "+" if charge > 0 else "-"
    return symbol + sign * abs(charge) if abs(charge) <= 2 else f"{symbol}{sign}{abs(charge)}"


#: The QM9 vocabulary (atoms seen in QM9 with their charges, 9 heavy atoms).
QM9_VOCABULARY = Vocabulary(
    atom_types=(("C", -1), ("C", 0), ("N", -1), ("N", 0), ("N", 1), ("O", -1), ("O", 0), ("F", 0)),
    max_atoms=9,
)
