"""Scoring components, looked up by name: ``COMPONENTS["qed"](params)(mols) -> np.ndarray``.

One small module per component (or per small family); each has a frozen dataclass of parameters
(``Component.Params``) and returns raw scores for a batch, NaN where a molecule is ``None``.
"""

from __future__ import annotations

from molgan.scoring.components._fingerprints import morgan_fingerprints
from molgan.scoring.components.alerts import Alerts
from molgan.scoring.components.base import Component, NoParams
from molgan.scoring.components.counts import NumHeavyAtoms, NumRings
from molgan.scoring.components.novelty import Novelty
from molgan.scoring.components.physchem import QED, TPSA, LogP, MolWeight, NPLikeness, SAScore
from molgan.scoring.components.similarity import Tanimoto
from molgan.scoring.components.sklearn_model import SklearnModel, UnsafeModelFileWarning
from molgan.scoring.components.validity import Validity

#: Component classes by the name used in TOML (``name = "qed"``).
COMPONENTS: dict[str, type[Component]] = {
    "validity": Validity,
    "qed": QED,
    "logp": LogP,
    "sa": SAScore,
    "np_likeness": NPLikeness,
    "mw": MolWeight,
    "tpsa": TPSA,
    "num_rings": NumRings,
    "num_heavy_atoms": NumHeavyAtoms,
    "tanimoto": Tanimoto,
    "alerts": Alerts,
    "novelty": Novelty,
    "sklearn_model": SklearnModel,
}

__all__ = ["COMPONENTS", "Component", "NoParams", "UnsafeModelFileWarning", "morgan_fingerprints"]
