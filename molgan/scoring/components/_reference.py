"""Reference molecules for ``tanimoto`` and ``novelty``: given inline as SMILES or as a file path."""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path

from molgan.chem.mol import to_mol
from molgan.errors import ConfigError
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
    """``(smiles, mol)`` for every reference; an unparsable SMILES or an empty set raises ConfigError."""
    if params.path is not None:
        entries = list(_read_smiles_file(Path(params.path)))
    else:
        entries = [(f"smiles[{i}]", s) for i, s in enumerate(params.smiles)]
    out = []
    for where, smi in entries:
        mol = to_mol(smi)
        if mol is None:
            raise ConfigError(f"{where}: cannot parse reference SMILES {smi!r}")
        out.append((smi, mol))
    if not out:
        raise ConfigError(f"no reference molecules in {params.path}")
    return out


def _read_smiles_file(path: Path):
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                text = line.strip()
                if not text or text.startswith("#"):
                    continue
                token = text.split()[0]
                if number == 1 and token.lower() == "smiles":
                    continue
                yield (f"{path}, line {number}", token)
    except FileNotFoundError:
        raise ConfigError(f"reference file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read reference file {path}: {exc}") from None
