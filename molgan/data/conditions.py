"""Conditions of a conditional model: which ones, their scale in the training data, and the targets a
user asks for (``"qed=0.8,logp=2.0"``).

A condition is an RDKit property (:data:`CONDITION_PROPERTIES`, any case) or, any other name, a numeric
label column of the training file (case-sensitive, read by :mod:`molgan.data.labels`). A conditional model
sees each as ``(value - mean) / std`` of its training molecules. Its checkpoint stores
:class:`ConditionStats` (as JSON), so sampling can normalise a target and refuse one outside the range the
model was trained on.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from molgan.errors import ConfigError, InputError

if TYPE_CHECKING:  # pragma: no cover
    from molgan.data.labels import LabelTable

#: Properties a model can be conditioned on (names of :data:`molgan.chem.properties.PROPERTIES`).
CONDITION_PROPERTIES: tuple[str, ...] = ("qed", "logp", "mw", "sa", "tpsa", "rings")

#: Percentiles stored for each property (the benchmark's targets are the 10th, 50th and 90th).
PERCENTILES: tuple[int, ...] = (1, 10, 50, 90, 99)

Target = Mapping[str, float]


class ConditionWarning(UserWarning):
    """A target inside the training range but in its outer 1 % tails: few training molecules look like it."""


def condition_key(name: str) -> str:
    """A condition's name as stored: an RDKit property in lower case (``"QED"`` -> ``"qed"``), any other
    name (a label column of the training file, case-sensitive) as given; both stripped."""
    name = str(name).strip()
    return name.lower() if name.lower() in CONDITION_PROPERTIES else name


def label_names(names: Sequence[str]) -> tuple[str, ...]:
    """The names of ``names`` that are not RDKit properties: label columns of the training file."""
    return tuple(n for n in (condition_key(n) for n in names) if n not in CONDITION_PROPERTIES)


def check_names(names: Sequence[str]) -> tuple[str, ...]:
    """The condition names, validated (well-formed, no repeats); raises :class:`ConfigError` in one line.

    A label column is only checked against its file when the file is read (:mod:`molgan.data.labels`).
    """
    names = tuple(condition_key(n) for n in names)
    bad = next((n for n in names if not n or any(c in n for c in ",=")), None)
    if bad is not None:
        raise ConfigError(
            f"bad condition name {bad!r}: a condition is an RDKit property ({', '.join(CONDITION_PROPERTIES)}) "
            "or a column of the training file, without ',' or '='"
        )
    if len(set(names)) != len(names):
        raise ConfigError(f"a condition is named twice: {', '.join(names)}")
    return names


def check_label_data(names: Sequence[str], data: str) -> None:
    """Refuse label conditions on a named data set (it has no label columns) in one :class:`ConfigError` line."""
    from molgan.data.datasets import NAMED

    labels = label_names(names)
    if labels and str(data) in NAMED:
        raise ConfigError(
            f"unknown condition {labels[0]!r}: {data} has no label columns; condition on the RDKit properties "
            f"{', '.join(CONDITION_PROPERTIES)}, or train on your own file with a {labels[0]!r} column"
        )


@dataclass(frozen=True)
class PropertyStats:
    """One property over the training molecules: mean, spread, range and percentiles."""

    mean: float
    std: float
    low: float
    high: float
    percentiles: dict[str, float]


@dataclass(frozen=True)
class ConditionStats:
    """The conditioned properties, in the order the networks see them, with their training statistics."""

    names: tuple[str, ...]
    stats: tuple[PropertyStats, ...]

    @classmethod
    def fit(cls, names: Sequence[str], values: np.ndarray) -> ConditionStats:
        """Statistics of ``values [M, C]`` (column ``c`` = property ``names[c]``; NaN rows ignored)."""
        names = check_names(names)
        values = np.asarray(values, dtype=np.float64).reshape(len(values), len(names))
        stats = []
        for column, name in zip(values.T, names):
            finite = column[np.isfinite(column)]
            if len(finite) == 0:
                raise InputError(f"no training molecule has a finite {name}")
            std = float(finite.std()) or 1.0
            stats.append(PropertyStats(
                mean=float(finite.mean()), std=std, low=float(finite.min()), high=float(finite.max()),
                percentiles={str(p): float(np.percentile(finite, p)) for p in PERCENTILES},
            ))
        return cls(names, tuple(stats))

    def normalize(self, values: np.ndarray) -> np.ndarray:
        """``values [M, C]`` in training units -> ``(values - mean) / std`` as float32 (NaN stays NaN)."""
        mean = np.array([s.mean for s in self.stats])
        std = np.array([s.std for s in self.stats])
        return ((np.asarray(values, dtype=np.float64) - mean) / std).astype(np.float32)

    def network_inputs(self, values: np.ndarray) -> np.ndarray:
        """What the networks see of molecules' properties ``values [M, C]``: normalised, a value that could not
        be computed (NaN) at the training mean (0)."""
        return np.nan_to_num(self.normalize(values), nan=0.0)

    def targets(self, condition: Target | Sequence[Target]) -> np.ndarray:
        """Normalised targets ``[T, C]`` of one target or one per molecule; a property left out is NaN (free).

        Unknown names and values outside the training range raise :class:`InputError` in one line; a value
        in the outer 1 % tails warns (:class:`ConditionWarning`).
        """
        items = [condition] if isinstance(condition, Mapping) else list(condition)
        if not items:
            raise InputError("no condition given")
        rows = np.full((len(items), len(self.names)), np.nan)
        for row, item in zip(rows, items):
            for name, value in item.items():
                row[self._column(name)] = self._checked(name, value)
        return self.normalize(rows)

    def to_dict(self) -> dict[str, Any]:
        return {name: asdict(s) for name, s in zip(self.names, self.stats)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConditionStats:
        names = tuple(data)
        return cls(names, tuple(PropertyStats(**data[n]) for n in names))

    def _column(self, name: str) -> int:
        key = condition_key(name)
        if key not in self.names:
            raise InputError(f"this model is conditioned on {', '.join(self.names)}, not {name!r}")
        return self.names.index(key)

    def _checked(self, name: str, value: float) -> float:
        stats = self.stats[self._column(name)]
        value = float(value)
        if not math.isfinite(value) or not stats.low <= value <= stats.high:
            raise InputError(
                f"{name}={value:g} is outside the training range {stats.low:.4g}..{stats.high:.4g}: the model cannot aim there"
            )
        if not stats.percentiles["1"] <= value <= stats.percentiles["99"]:
            warnings.warn(
                f"{name}={value:g} is in the outer 1 % of the training data "
                f"({stats.percentiles['1']:.4g}..{stats.percentiles['99']:.4g} holds 98 %): expect few hits",
                ConditionWarning, stacklevel=3,
            )
        return value


def parse_condition(text: str) -> dict[str, float]:
    """``"qed=0.8,logp=2.0"`` -> ``{"qed": 0.8, "logp": 2.0}`` (property names in lower case, label names as
    given: ``"pIC50=7"`` -> ``{"pIC50": 7.0}``); a malformed text raises :class:`InputError`."""
    out: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, value = part.partition("=")
        name = condition_key(name)
        if not sep or not name:
            raise InputError(f"a condition is NAME=VALUE, comma-separated (e.g. qed=0.8,logp=2), got {part!r}")
        if name in out:
            raise InputError(f"{name} is given twice")
        try:
            out[name] = float(value)
        except ValueError:
            raise InputError(f"the value of {name} must be a number, got {value.strip()!r}") from None
    if not out:
        raise InputError("empty condition: give NAME=VALUE pairs, e.g. qed=0.8,logp=2")
    return out


def condition_values(names: Sequence[str], smiles: Sequence[str], labels: LabelTable | None = None) -> np.ndarray:
    """The named conditions of molecules given as canonical SMILES, ``[M, C]`` float64.

    A property is computed with RDKit (NaN where it cannot be); a label column is taken from ``labels``
    (NaN for a molecule without a numeric label). Without ``labels`` a label is unknown: NaN, which the
    networks see as the training mean, as they see a property that cannot be computed.
    """
    from molgan.chem.mol import to_mols
    from molgan.chem.properties import compute

    names = check_names(names)
    smiles = list(smiles)
    properties = tuple(n for n in names if n in CONDITION_PROPERTIES)
    values = compute(properties, to_mols(smiles)) if properties else {}
    if labels is not None:
        values.update(zip(labels.columns, labels.align(smiles).T))
    unknown = np.full(len(smiles), np.nan)
    return np.stack([values.get(n, unknown) for n in names], axis=1) if names else np.zeros((len(smiles), 0))


def labelled(names: Sequence[str], values: np.ndarray) -> np.ndarray:
    """Which rows of ``values [M, C]`` (column ``c`` = condition ``names[c]``) hold a number in every label
    column, ``[M]`` bool: a molecule without its labels is not trained on."""
    names = check_names(names)
    columns = [i for i, n in enumerate(names) if n not in CONDITION_PROPERTIES]
    return np.isfinite(np.asarray(values)[:, columns]).all(axis=1)
