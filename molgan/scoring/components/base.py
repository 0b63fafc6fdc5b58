"""What every scoring component shares: a typed parameter block and a batch call.

A component is built from its parameters (a frozen dataclass, ``Component.Params``) and called on a
batch of molecules: ``component(mols: list[Mol | None]) -> np.ndarray [N]`` of raw scores, NaN where a
molecule is ``None`` or the score cannot be computed. ``unit_interval`` says whether raw scores are
already in [0, 1]; if not, a reward needs a transform for the component.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from rdkit import Chem

Mol = Chem.Mol


@dataclass(frozen=True)
class NoParams:
    """The component takes no parameters."""


class Component:
    """Base class: stores the parameters; subclasses set ``Params`` and ``unit_interval``, define ``__call__``."""

    Params: ClassVar[type] = NoParams
    unit_interval: ClassVar[bool] = False

    def __init__(self, params: Any = None) -> None:
        self.params = self.Params() if params is None else params

    def __call__(self, mols: Sequence[Mol | None]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r})"


def map_mols(fn: Callable[[Mol], float], mols: Sequence[Mol | None]) -> np.ndarray:
    """``fn`` over the molecules as a float array; NaN for ``None``, an exception or a non-finite value."""
    out = np.full(len(mols), np.nan, dtype=np.float64)
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
