"""Would a chemist accept these molecules? Shares of charged atoms, unusual bonds and structural alerts.

    chemistry_shares(smiles)   # {"charged": 0.008, "unusual_bond": 0.0, "alert_pains": 0.0, "alert_brenk": 0.21, "n": 9239}

Each share is over the valid molecules given (invalid SMILES are skipped): a formal charge on any
atom; a bond that drug-like chemistry rarely has (:data:`UNUSUAL_BONDS`: N-F / O-F, peroxides,
N-N-N chains, halogen-halogen); a PAINS match; a Brenk unwanted-group match. Model cards put the
model's shares beside those of its training data.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rdkit import Chem

from molgan.chem.alerts import alert_catalog
from molgan.chem.mol import to_mols

CHARGED = Chem.MolFromSmarts("[!+0]")
#: Bonds that are rare in drug-like and natural-product chemistry, by name.
UNUSUAL_BONDS = {
    "hetero-fluorine": Chem.MolFromSmarts("[#7,#8]-[#9]"),
    "peroxide": Chem.MolFromSmarts("[OX2]-[OX2]"),
    "nitrogen chain": Chem.MolFromSmarts("[#7]~[#7]~[#7]"),
    "halogen-halogen": Chem.MolFromSmarts("[F,Cl,Br,I]~[F,Cl,Br,I]"),
}
HETERO_F = UNUSUAL_BONDS["hetero-fluorine"]


def chemistry_shares(smiles: Sequence[str | None]) -> dict[str, float]:
    """Shares of the valid molecules among ``smiles`` with a charge, an unusual bond, a PAINS or a Brenk alert."""
    mols = [m for m in to_mols([s for s in smiles if s]) if m is not None]
    if not mols:
        return {"n": 0, "charged": float("nan"), "unusual_bond": float("nan"), "alert_pains": float("nan"),
                "alert_brenk": float("nan")}
    pains, brenk = alert_catalog("pains"), alert_catalog("brenk")
    unusual = [any(m.HasSubstructMatch(p) for p in UNUSUAL_BONDS.values()) for m in mols]
    return {
        "n": len(mols),
        "charged": float(np.mean([m.HasSubstructMatch(CHARGED) for m in mols])),
        "unusual_bond": float(np.mean(unusual)),
        "alert_pains": float(np.mean([pains.HasMatch(m) for m in mols])),
        "alert_brenk": float(np.mean([brenk.HasMatch(m) for m in mols])),
    }
