"""Collapse warnings of a training run: the evaluation samples stopped being diverse, shrank far
below the size of the training molecules, or are made of other elements than the data (a generator
that satisfies the valence penalty with hypervalent sulfur gives valid but worthless molecules).

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
#: Above this total-variation distance between the samples' and the data's element shares, training warns.
ELEMENT_DISTANCE_CEILING = 0.25


class TrainingCollapseWarning(UserWarning):
    """The generator repeats a few molecules, makes molecules far smaller than the data's, or of other elements."""


def sample_composition(smiles: Iterable[str | None]) -> tuple[float, dict[str, float]]:
    """Mean heavy-atom count (NaN if none) and element shares of the heavy atoms of the valid SMILES.

    Each distinct SMILES is parsed once and counted as often as it occurs.
    """
    counts = Counter(s for s in smiles if s)
    texts = list(counts)
    molecules, elements = 0, Counter()
    atoms = 0
    for text, mol in zip(texts, to_mols(texts)):
        if mol is None:
            continue
        n = counts[text]
        molecules += n
        atoms += n * mol.GetNumHeavyAtoms()
        for atom in mol.GetAtoms():
            if atom.GetAtomicNum() > 1:
                elements[atom.GetSymbol()] += n
    return (atoms / molecules if molecules else math.nan), _shares(elements)


def mean_heavy_atoms(smiles: Iterable[str | None]) -> float:
    """Mean heavy-atom count of the valid SMILES (each distinct one parsed once), NaN if none."""
    return sample_composition(smiles)[0]


def data_element_shares(nodes: np.ndarray, symbols: list[str]) -> dict[str, float]:
    """Element shares of the atoms of encoded graphs ``nodes [M, N]``; ``symbols[t - 1]`` is node type ``t``'s element."""
    types, counts = np.unique(nodes[nodes > 0], return_counts=True)
    elements: Counter = Counter()
    for t, n in zip(types.tolist(), counts.tolist()):
        elements[symbols[t - 1]] += n
    return _shares(elements)


def element_distance(a: dict[str, float], b: dict[str, float]) -> float:
    """Total-variation distance between two element-share maps (0 alike, 1 disjoint)."""
    return 0.5 * sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in set(a) | set(b))


def _shares(counts: Counter) -> dict[str, float]:
    total = sum(counts.values())
    return {k: v / total for k, v in counts.most_common()} if total else {}


def data_mean_heavy_atoms(nodes: np.ndarray) -> float:
    """Mean heavy-atom count of encoded graphs ``nodes [M, N]`` (type 0 is no atom)."""
    return float(np.count_nonzero(nodes, axis=1).mean()) if len(nodes) else math.nan


def collapse_conditions(
    uniqueness: float, mean_atoms: float, data_mean_atoms: float,
    elements: dict[str, float] | None = None, data_elements: dict[str, float] | None = None,
) -> dict[str, str]:
    """The collapse conditions one evaluation meets, ``{condition: what it means}`` (NaN meets none).

    The element condition is checked when both element-share maps are given and the samples have any.
    """
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
    if elements and data_elements and element_distance(elements, data_elements) > ELEMENT_DISTANCE_CEILING:
        favoured = max(elements, key=lambda k: elements[k] - data_elements.get(k, 0.0))
        found["elements"] = (
            f"{favoured} makes {elements[favoured]:.0%} of the evaluation samples' heavy atoms (data "
            f"{data_elements.get(favoured, 0.0):.0%}; element distance {element_distance(elements, data_elements):.2f} > "
            f"{ELEMENT_DISTANCE_CEILING}): valid molecules unlike the data's"
        )
    return found


class CollapseWatch:
    """Remembers the conditions of the last evaluation and which ones were reported."""

    def __init__(self, data_mean_atoms: float, data_elements: dict[str, float] | None = None) -> None:
        self.data_mean_atoms = data_mean_atoms
        self.data_elements = data_elements
        self.previous: set[str] = set()
        self.reported: set[str] = set()

    def check(self, step: int, uniqueness: float, mean_atoms: float, elements: dict[str, float] | None = None) -> list[str]:
        """Warning lines for the conditions met now and at the evaluation before, not reported yet."""
        found = collapse_conditions(uniqueness, mean_atoms, self.data_mean_atoms, elements, self.data_elements)
        new = [c for c in found if c in self.previous and c not in self.reported]
        self.previous = set(found)
        self.reported.update(new)
        return [f"training may have collapsed (step {step}): {found[c]}" for c in new]
