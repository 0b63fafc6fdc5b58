"""Reference molecules for ``tanimoto`` and ``novelty``: given inline as SMILES or as a file path."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from molgan.chem.mol import to_mol
from molgan.errors import ConfigError, InputError
from molgan.scoring.components.base import Mol


@dataclass(frozen=True)
class ReferenceSet:
    """Exactly one of ``smiles`` (a list) or ``path`` (a text file, optionally ``.gz``, with one SMILES
    at the start of each line; blank lines and lines starting with ``#`` are ignored; a first line
    that reads ``smiles`` is taken as a header). A relative ``path`` in a TOML file is relative to
    that file.
    """

    smiles: tuple[str, ...] = ()
    path: str | None = field(default=None, metadata={"path": True})

    def __post_init__(self) -> None:
        object.__setattr__(self, "smiles", tuple(self.smiles))
        if bool(self.smiles) == (self.path is not None):
            raise ConfigError("give exactly one of 'smiles' (a list) or 'path' (a file of SMILES)")


def read_reference(params: ReferenceSet) -> list[tuple[str, Mol]]:
    """``(smiles, mol)`` for every reference; an unparsable SMILES or an empty set raises ConfigError.

    A file is read by :func:`molgan.data.readers.iter_molecules` (the one SMILES-file reader), strictly:
    a reward must not silently score against fewer references than its file names.
    """
    if params.path is not None:
        out = _read_reference_file(Path(params.path))
    else:
        out = []
        for i, smi in enumerate(params.smiles):
            mol = to_mol(smi)
            if mol is None:
                raise ConfigError(f"smiles[{i}]: cannot parse reference SMILES {smi!r}")
            out.append((smi, mol))
    if not out:
        raise ConfigError(f"no reference molecules in {params.path}")
    return out


def _read_reference_file(path: Path) -> list[tuple[str, Mol]]:
    from molgan.data.readers import ReadTally, iter_molecules

    tally = ReadTally()
    try:
        out = [(smi, mol) for smi, mol, _ in iter_molecules(path, tally=tally)]
    except InputError as exc:
        raise ConfigError(f"reference file {path}: {exc}") from None
    bad = {reason: n for reason, n in tally.skipped.items() if reason not in ("empty_line", "comment")}
    if bad:
        reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(bad.items()))
        raise ConfigError(f"reference file {path}: cannot parse every reference SMILES ({reasons})")
    return out
