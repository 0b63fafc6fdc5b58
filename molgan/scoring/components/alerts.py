"""``alerts``: 1 if a molecule matches none of the substructure alerts (user SMARTS, RDKit catalogs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rdkit import Chem

from molgan.chem.alerts import CATALOGS, alert_catalog
from molgan.errors import ConfigError
from molgan.scoring.components.base import Component, Mol, map_mols


@dataclass(frozen=True)
class AlertParams:
    """``smarts``: your own alert patterns; ``catalogs``: RDKit sets among ``pains``, ``brenk``, ``nih``, ``zinc``."""

    smarts: tuple[str, ...] = ()
    catalogs: tuple[str, ...] = ("pains", "brenk")

    def __post_init__(self) -> None:
        object.__setattr__(self, "smarts", tuple(self.smarts))
        object.__setattr__(self, "catalogs", tuple(self.catalogs))
        unknown = [c for c in self.catalogs if c not in CATALOGS]
        if unknown:
            raise ConfigError(f"unknown catalog {unknown[0]!r}; known: {', '.join(CATALOGS)}")
        if not self.smarts and not self.catalogs:
            raise ConfigError("give at least one SMARTS pattern or one catalog")


class Alerts(Component):
    """1.0 if no SMARTS pattern and no catalog entry matches the molecule, else 0.0."""

    Params = AlertParams
    unit_interval = True

    def __init__(self, params: AlertParams = AlertParams()) -> None:
        super().__init__(params)
        self._patterns = []
        for i, smarts in enumerate(params.smarts):
            pattern = Chem.MolFromSmarts(smarts)
            if pattern is None:
                raise ConfigError(f"smarts[{i}]: cannot parse SMARTS {smarts!r}")
            self._patterns.append(pattern)
        self._catalog = alert_catalog(*params.catalogs) if params.catalogs else None

    def _clean(self, mol: Mol) -> bool:
        if any(mol.HasSubstructMatch(p) for p in self._patterns):
            return False
        return self._catalog is None or not self._catalog.HasMatch(mol)

    def __call__(self, mols: Sequence[Mol | None]) -> np.ndarray:
        return map_mols(self._clean, mols)
