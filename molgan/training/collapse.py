"""Collapse warnings of a training run: the evaluation samples stopped being diverse, or shrank far
below the size of the training molecules.

A condition must hold at two evaluations in a row (an early evaluation of a healthy run may
still repeat itself: QM9 runs start near uniqueness 0.5), and each condition is reported once.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import numpy as np

from molgan.chem.mol import to_mols

#: Below this uniqueness of the evaluation samples, training warns of a collapse.
UNIQUENESS_FLOOR = 0.5
#: Below this share of the data's mean heavy-atom count, training warns that samples shrank.
SIZE_FLOOR = 0.6


class TrainingCollapseWarning(UserWarning):
    """The generator repeats a few molecules or makes molecules far smaller than the data's."""


def mean_heavy_atoms(smiles: Iterable[str]) -> float:
    """Mean heavy-atom count of the valid SMILES (each distinct one parsed once), NaN if none."""
    counts = Counter(s for s in smiles if s)
    texts = list(counts)
    sizes = [(m.GetNumHeavyAtoms(), counts[t]) for t, m in zip(texts, to_mols(texts)) if m is not None]
    total = sum(n for _, n in sizes)
    return sum(a * n for a, n in sizes) / total if total else math.nan


def data_mean_heavy_atoms(nodes: np.ndarray) -> float:
    """Mean heavy-atom count of encoded graphs ``nodes [M, N]`` (type 0 is no atom)."""
    return float(np.count_nonzero(nodes, axis=1).mean()) if len(nodes) else math.nan


def collapse_conditions(uniqueness: float, mean_atoms: float, data_mean_atoms: float) -> dict[str, str]:
    """The collapse conditions one evaluation meets, ``{condition: what it means}`` (NaN meets none)."""
    found = {}
    if uniqueness < UNIQUENESS_FLOOR:  # False for NaN
        found["uniqueness"] = (
            f"uniqueness of the evaluation samples is {uniqueness:.2f} (< {UNIQUENESS_FLOOR}): "
            "the generator repeats a few molecules"
        )
    if mean_atoms < SIZE_FLOOR * data_mean_atoms:
        found["size"] = (
            f"the evaluation samples have {mean_atoms:.1f} heavy atoms on average, < {SIZE_FLOOR} x the "
            f"data's {data_mean_atoms:.1f}: the generator makes molecules far too small"
        )
    return found


class CollapseWatch:
    """Remembers the conditions of the last evaluation and which ones were reported."""

    def __init__(self, data_mean_atoms: float) -> None:
        self.data_mean_atoms = data_mean_atoms
        self.previous: set[str] = set()
        self.reported: set[str] = set()

    def check(self, step: int, uniqueness: float, mean_atoms: float) -> list[str]:
        """Warning lines for the conditions met now and at the evaluation before, not reported yet."""
        found = collapse_conditions(uniqueness, mean_atoms, self.data_mean_atoms)
        new = [c for c in found if c in self.previous and c not in self.reported]
        self.previous = set(found)
        self.reported.update(new)
        return [f"training may have collapsed (step {step}): {found[c]}" for c in new]
