"""What every scoring component shares: a typed parameter block and a batch call.

A component is built from its parameters (a frozen dataclass, ``Component.Params``) and called on a
batch of molecules: ``component(mols: list[Mol | None]) -> np.ndarray [N]`` of raw scores, NaN where a
molecule is ``None`` or the score cannot be computed. ``unit_interval`` says whether raw scores are
already in [0, 1]; if not, a reward needs a transform for the component.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from rdkit import Chem

from molgan.chem.properties import map_mols as map_mols  # re-exported for the components

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
