"""Molecular properties computed with RDKit, over lists of molecules.

Every function takes ``list[Mol | None]`` and returns a float ``numpy`` array with ``NaN`` where the
molecule is ``None`` or the property cannot be computed. SA score and NP-likeness use the
implementations shipped in the rdkit wheel (``rdkit/Contrib/SA_Score``, ``rdkit/Contrib/NP_Score``),
loaded once on first use.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import math
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from rdkit import RDConfig
from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, rdMolDescriptors

from molgan.chem.mol import Mol, quiet_rdkit


def _contrib_module(folder: str, name: str):
    path = Path(RDConfig.RDContribDir) / folder / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"molgan_contrib_{name}", path)
    if spec is None or spec.loader is None:  # pragma: no cover - broken rdkit install
        raise ImportError(f"cannot find {path} in the rdkit installation")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@lru_cache(maxsize=1)
def _sascorer():
    module = _contrib_module("SA_Score", "sascorer")
    module.readFragmentScores()  # rdkit's own bundled data file, never user input
    return module


@lru_cache(maxsize=1)
def _npscorer():
    module = _contrib_module("NP_Score", "npscorer")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        model = module.readNPModel()  # rdkit's own bundled data file, never user input
    return module, model


def map_mols(fn: Callable[[Mol], float], mols: Sequence[Mol | None]) -> np.ndarray:
    """``fn`` over the molecules as a float array; NaN for ``None``, an exception or a non-finite value."""
    out = np.full(len(mols), np.nan, dtype=np.float64)
    with quiet_rdkit():
        for i, mol in enumerate(mols):
            if mol is None:
                continue
            try:
                value = float(fn(mol))
            except Exception:  # RDKit raises many kinds on odd molecules
                continue
            if math.isfinite(value):
                out[i] = value
    return out


def qed(mols: Sequence[Mol | None]) -> np.ndarray:
    """Quantitative estimate of drug-likeness (Bickerton 2012), in [0, 1]."""
    return map_mols(QED.qed, mols)


def logp(mols: Sequence[Mol | None]) -> np.ndarray:
    """Wildman-Crippen logP."""
    return map_mols(Crippen.MolLogP, mols)


def sa_score(mols: Sequence[Mol | None]) -> np.ndarray:
    """Synthetic accessibility score (Ertl & Schuffenhauer 2009): 1 easy .. 10 hard."""
    scorer = _sascorer()
    return map_mols(scorer.calculateScore, mols)


def np_score(mols: Sequence[Mol | None]) -> np.ndarray:
    """Natural-product likeness (Ertl 2008): about -5 (synthetic) .. +5 (natural product)."""
    module, model = _npscorer()
    return map_mols(lambda m: module.scoreMol(m, model), mols)


def mol_weight(mols: Sequence[Mol | None]) -> np.ndarray:
    """Average molecular weight in g/mol."""
    return map_mols(Descriptors.MolWt, mols)


def tpsa(mols: Sequence[Mol | None]) -> np.ndarray:
    """Topological polar surface area in square angstrom."""
    return map_mols(rdMolDescriptors.CalcTPSA, mols)


def h_donors(mols: Sequence[Mol | None]) -> np.ndarray:
    """Number of hydrogen-bond donors (Lipinski)."""
    return map_mols(Lipinski.NumHDonors, mols)


def h_acceptors(mols: Sequence[Mol | None]) -> np.ndarray:
    """Number of hydrogen-bond acceptors (Lipinski)."""
    return map_mols(Lipinski.NumHAcceptors, mols)


def rotatable_bonds(mols: Sequence[Mol | None]) -> np.ndarray:
    """Number of rotatable bonds."""
    return map_mols(rdMolDescriptors.CalcNumRotatableBonds, mols)


def num_rings(mols: Sequence[Mol | None]) -> np.ndarray:
    """Number of rings (SSSR)."""
    return map_mols(rdMolDescriptors.CalcNumRings, mols)


def num_aromatic_rings(mols: Sequence[Mol | None]) -> np.ndarray:
    """Number of aromatic rings."""
    return map_mols(rdMolDescriptors.CalcNumAromaticRings, mols)


def num_heavy_atoms(mols: Sequence[Mol | None]) -> np.ndarray:
    """Number of heavy atoms."""
    return map_mols(lambda m: m.GetNumHeavyAtoms(), mols)


#: Property calculators by name, as used by ``--properties`` and ``--where``.
PROPERTIES: dict[str, Callable[[Sequence[Mol | None]], np.ndarray]] = {
    "qed": qed,
    "logp": logp,
    "sa": sa_score,
    "np": np_score,
    "mw": mol_weight,
    "tpsa": tpsa,
    "hbd": h_donors,
    "hba": h_acceptors,
    "rotb": rotatable_bonds,
    "rings": num_rings,
    "aromatic_rings": num_aromatic_rings,
    "heavy_atoms": num_heavy_atoms,
}


def compute(names: Sequence[str], mols: Sequence[Mol | None]) -> dict[str, np.ndarray]:
    """Compute several named properties; unknown names raise ``KeyError`` listing the known ones."""
    unknown = [n for n in names if n not in PROPERTIES]
    if unknown:
        raise KeyError(f"unknown properties {unknown}; known: {sorted(PROPERTIES)}")
    return {name: PROPERTIES[name](mols) for name in names}
