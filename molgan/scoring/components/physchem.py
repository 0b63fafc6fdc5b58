"""Physico-chemical components: ``qed``, ``logp``, ``sa``, ``np_likeness``, ``mw``, ``tpsa``.

``sa``, ``np_likeness``, ``mw`` and ``tpsa`` call :mod:`molgan.chem.properties`. ``qed`` gives exactly
``rdkit.Chem.QED.qed`` (same properties, same ADS functions) but counts QED's 116 structural alerts
with one C++ ``FilterCatalog`` call instead of 116 Python calls, and shares its Crippen logP with the
``logp`` component within a batch (:mod:`._shared`); QED is most of the cost of a typical reward.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rdkit import Chem
from rdkit.Chem import QED as _QED
from rdkit.Chem import MolSurf
from rdkit.Chem import rdMolDescriptors as rdmd

from molgan.chem import properties
from molgan.chem.alerts import qed_alert_catalog
from molgan.scoring.components._shared import crippen_logp
from molgan.scoring.components.base import Component, Mol, map_mols


def qed_properties(mol: Mol) -> _QED.QEDproperties:
    """The eight QED properties of ``rdkit.Chem.QED.properties``, with the alerts counted in C++."""
    no_hs = Chem.RemoveHs(mol)
    # RDKit's QED takes logP of the H-stripped copy; without explicit H atoms that is the molecule's own.
    logp = crippen_logp(mol) if mol.GetNumAtoms() == mol.GetNumHeavyAtoms() else crippen_logp(no_hs)
    mol = no_hs
    return _QED.QEDproperties(
        MW=rdmd._CalcMolWt(mol),
        ALOGP=logp,
        HBA=sum(len(mol.GetSubstructMatches(p)) for p in _QED.Acceptors if mol.HasSubstructMatch(p)),
        HBD=rdmd.CalcNumHBD(mol),
        PSA=MolSurf.TPSA(mol),
        ROTB=rdmd.CalcNumRotatableBonds(mol, rdmd.NumRotatableBondsOptions.Strict),
        AROM=len(Chem.GetSSSR(Chem.DeleteSubstructs(Chem.Mol(mol), _QED.AliphaticRings))),
        ALERTS=len(qed_alert_catalog().GetMatches(mol)),
    )


class QED(Component):
    """Quantitative estimate of drug-likeness (Bickerton et al. 2012), in [0, 1]; RDKit's mean weights."""

    unit_interval = True

    def __call__(self, mols: Sequence[Mol | None]) -> np.ndarray:
        return map_mols(lambda m: _QED.qed(m, qedProperties=qed_properties(m)), mols)


class LogP(Component):
    """Wildman-Crippen logP, as ``molgan.chem.properties.logp`` (unbounded; QM9 lies within about -2 .. 3)."""

    def __call__(self, mols: Sequence[Mol | None]) -> np.ndarray:
        return map_mols(crippen_logp, mols)


class SAScore(Component):
    """Synthetic accessibility (Ertl & Schuffenhauer 2009): 1 easy .. 10 hard. Lower is better."""

    def __call__(self, mols: Sequence[Mol | None]) -> np.ndarray:
        return properties.sa_score(mols)


class NPLikeness(Component):
    """Natural-product likeness (Ertl et al. 2008): about -5 (synthetic) .. +5 (natural product)."""

    def __call__(self, mols: Sequence[Mol | None]) -> np.ndarray:
        return properties.np_score(mols)


class MolWeight(Component):
    """Average molecular weight in g/mol."""

    def __call__(self, mols: Sequence[Mol | None]) -> np.ndarray:
        return properties.mol_weight(mols)


class TPSA(Component):
    """Topological polar surface area in square angstrom."""

    def __call__(self, mols: Sequence[Mol | None]) -> np.ndarray:
        return properties.tpsa(mols)
