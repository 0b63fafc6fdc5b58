"""A reward: weighted components, each with a transform onto [0, 1], aggregated into one total.

Build one in Python::

    reward = Reward(
        [Term("qed"), Term("mw", weight=0.5, transform=DoubleSigmoid(200, 500))],
        aggregation="geometric",
    )
    table = reward.score(mols)        # ScoreTable: raw + transformed per component, and the total
    totals = reward(mols)             # just the totals, single process (the RL loop's fast path)

or load one from TOML with :func:`molgan.scoring.load_reward`. A molecule that is ``None``, or whose
transformed score is NaN for any component, gets ``invalid_score`` as its total.

With ``n_jobs > 1``, :meth:`Reward.score` sends molecules to worker processes as RDKit binary
(``Mol.ToBinary()``). On Linux the workers are forked and inherit the reward; elsewhere they are
spawned and rebuild it from its plain description (:meth:`Reward.to_dict`). Either way no Python
object of the caller is pickled.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from rdkit import Chem

from molgan.errors import ConfigError
from molgan.jobs import process_context, resolve_jobs
from molgan.scoring.aggregation import AGGREGATIONS
from molgan.scoring.components import COMPONENTS, Component, UnsafeModelFileWarning
from molgan.scoring.components._shared import shared_batch
from molgan.validate import build as build_params, to_mapping
from molgan.scoring.transforms import Identity, Transform

Mol = Chem.Mol

#: Column names a component label may not take (the CLI's CSV has a ``smiles`` column first).
RESERVED_LABELS = frozenset({"smiles", "total"})


@dataclass(frozen=True)
class Term:
    """One component of a reward.

    ``params``: the component's ``Params`` dataclass, or a mapping of its fields (checked like TOML).
    ``transform``: ``None`` means identity, allowed only for components already scored in [0, 1].
    ``label``: the column name (default: ``name``); needed when one component appears twice.
    """

    name: str
    params: Any = None
    weight: float = 1.0
    transform: Transform | None = None
    label: str | None = None


@dataclass(frozen=True)
class ScoreTable:
    """Scores of a batch: ``raw[label]``, ``transformed[label]`` (each ``[N]``) and ``total`` ``[N]``.

    ``smiles`` and ``index`` (the input's index labels), when known, head :meth:`to_dict` / :meth:`to_frame`.
    """

    labels: tuple[str, ...]
    raw: dict[str, np.ndarray]
    transformed: dict[str, np.ndarray]
    total: np.ndarray
    smiles: list[str | None] | None = None
    index: list[Any] | None = None

    def __len__(self) -> int:
        return len(self.total)

    @property
    def columns(self) -> list[str]:
        """``[<label>_raw, <label>, ...] + ["total"]``."""
        return [c for label in self.labels for c in (f"{label}_raw", label)] + ["total"]

    def to_rows(self) -> list[dict[str, float]]:
        """One dict per molecule, keyed by :attr:`columns`; NaN stays NaN."""
        arrays = [a for label in self.labels for a in (self.raw[label], self.transformed[label])]
        arrays.append(self.total)
        names = self.columns
        return [dict(zip(names, map(float, values))) for values in zip(*arrays)]

    def to_dict(self) -> dict[str, Any]:
        """``{"smiles": [...], <column>: array, ...}`` (``smiles`` when known): one entry per molecule, in
        input order; ``pandas.DataFrame(table.to_dict())`` accepts it."""
        values = {label: (self.raw[label], self.transformed[label]) for label in self.labels}
        columns: dict[str, Any] = {} if self.smiles is None else {"smiles": list(self.smiles)}
        for label, (raw, transformed) in values.items():
            columns[f"{label}_raw"], columns[label] = raw, transformed
        columns["total"] = self.total
        return columns

    def to_frame(self) -> Any:
        """The scores as a ``pandas.DataFrame`` (pandas needed): :meth:`to_dict`'s columns, indexed like the input."""
        from molgan.data.frame import to_frame

        return to_frame(self.to_dict(), self.index)


class Reward:
    """Weighted components with transforms, an aggregation and the total of an invalid molecule.

    Raises :class:`ConfigError` for an unknown component or aggregation, a negative weight, no
    positive weight, a component with raw scores outside [0, 1] and no transform, or clashing labels.
    """

    def __init__(
        self,
        terms: Sequence[Term],
        aggregation: str = "arithmetic",
        invalid_score: float = 0.0,
    ) -> None:
        if not terms:
            raise ConfigError("a reward needs at least one component")
        if aggregation not in AGGREGATIONS:
            raise ConfigError(f"unknown aggregation {aggregation!r}; known: {', '.join(AGGREGATIONS)}")
        if isinstance(invalid_score, bool) or not (
            isinstance(invalid_score, (int, float)) and math.isfinite(invalid_score)
        ):
            raise ConfigError(f"invalid_score must be a finite number, got {invalid_score!r}")
        self.terms = tuple(_bind(i, term) for i, term in enumerate(terms, start=1))
        self.aggregation = aggregation
        self.invalid_score = float(invalid_score)
        self.labels = tuple(t.label for t in self.terms)
        self._transforms = [t.transform for t in self.terms]
        self._weights = np.array([t.weight for t in self.terms], dtype=np.float64)
        if not self._weights.sum() > 0:
            raise ConfigError("at least one component needs a positive weight")
        columns = ScoreTable(self.labels, {}, {}, np.empty(0)).columns
        clash = sorted({c for c in columns if columns.count(c) > 1} | (set(self.labels) & RESERVED_LABELS))
        if clash:
            raise ConfigError(f"column name {clash[0]!r} would appear twice; give the components distinct labels")
        # last: building a component may read files (references, a model)
        self._components = [_build_component(i, t) for i, t in enumerate(self.terms, start=1)]

    def __repr__(self) -> str:
        terms = ", ".join(f"{t.label}*{t.weight:g}" for t in self.terms)
        return f"Reward({self.aggregation}: {terms}; invalid_score={self.invalid_score:g})"

    def __call__(self, mols: Sequence[Mol | None]) -> np.ndarray:
        """Totals ``[N]`` for a batch, in this process: the fast path for a training loop."""
        _check_mols(mols)
        raw = self._raw_scores(mols)
        transformed = np.stack([f(r) for f, r in zip(self._transforms, raw)])
        return self._aggregate(transformed, mols)

    def score(self, mols: Sequence[Mol | None], n_jobs: int = 1) -> ScoreTable:
        """Raw and transformed scores per component and the totals, using ``n_jobs`` processes
        (``0`` or ``-1``: all cores). Small batches (under 200 molecules per process) stay in this process.
        """
        n_jobs = resolve_jobs(n_jobs, "n_jobs")
        workers = min(n_jobs, len(mols) // 200)
        _check_mols(mols)
        raw = _parallel_raw_scores(self, mols, workers) if workers > 1 else self._raw_scores(mols)
        transformed = np.stack([f(r) for f, r in zip(self._transforms, raw)])
        return ScoreTable(
            labels=self.labels,
            raw=dict(zip(self.labels, raw)),
            transformed=dict(zip(self.labels, transformed)),
            total=self._aggregate(transformed, mols),
        )

    def to_dict(self) -> dict[str, Any]:
        """The TOML-shaped description this reward can be rebuilt from (``reward_from_dict``)."""
        components = []
        for t in self.terms:
            entry: dict[str, Any] = {"name": t.name, "weight": t.weight}
            if t.label != t.name:
                entry["label"] = t.label
            params = to_mapping(t.params)
            if params:
                entry["params"] = params
            if not isinstance(t.transform, Identity):
                entry["transform"] = {"type": t.transform.type, **to_mapping(t.transform)}
            components.append(entry)
        return {"aggregation": self.aggregation, "invalid_score": self.invalid_score, "component": components}

    def _raw_scores(self, mols: Sequence[Mol | None]) -> np.ndarray:
        """``[C, N]`` raw scores."""
        if not len(mols):
            return np.empty((len(self._components), 0))
        with shared_batch():
            return np.stack([component(mols) for component in self._components])

    def _aggregate(self, transformed: np.ndarray, mols: Sequence[Mol | None]) -> np.ndarray:
        total = AGGREGATIONS[self.aggregation](transformed, self._weights)
        invalid = np.isnan(transformed).any(axis=0) | np.array([m is None for m in mols], dtype=bool)
        invalid |= ~np.isfinite(total)
        total[invalid] = self.invalid_score
        return total


def _bind(index: int, term: Term) -> Term:
    """Check a term and fill in its defaults: params as the dataclass, a transform, a label."""
    if term.name not in COMPONENTS:
        raise ConfigError(f"component {index}: unknown component {term.name!r}; known: {', '.join(COMPONENTS)}")
    where = f"component {index} ({term.name!r})"
    cls = COMPONENTS[term.name]
    params = term.params
    if params is None or isinstance(params, Mapping):
        params = build_params(cls.Params, params, f"{where}: params")
    elif not isinstance(params, cls.Params):
        raise ConfigError(f"{where}: params must be a {cls.Params.__name__} or a mapping, got {type(params).__name__}")
    weight = term.weight
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) or weight < 0:
        raise ConfigError(f"{where}: weight must be a number >= 0, got {weight!r}")
    label = term.label or term.name
    return dataclasses.replace(
        term, params=params, weight=float(weight), transform=term.transform or Identity(), label=label
    )


def _build_component(index: int, term: Term) -> Component:
    where = f"component {index} ({term.name!r})"
    try:
        component = COMPONENTS[term.name](term.params)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if isinstance(term.transform, Identity) and not component.unit_interval:
        raise ConfigError(
            f"{where}: raw scores are not in [0, 1]; give it a transform "
            "(sigmoid, reverse_sigmoid, double_sigmoid or step)"
        )
    return component


def _check_mols(mols: Sequence[Mol | None]) -> None:
    """Refuse anything but molecules and ``None`` (SMILES strings would silently score NaN)."""
    bad = next((m for m in mols if m is not None and not isinstance(m, Chem.Mol)), None)
    if bad is not None:
        raise TypeError(f"expected RDKit molecules or None, got {type(bad).__name__}: {bad!r}")


# --- worker processes -------------------------------------------------------------------------

_WORKER_REWARD: Reward | None = None


def _init_worker(reward: Reward | dict[str, Any]) -> None:
    global _WORKER_REWARD
    if isinstance(reward, Reward):  # inherited by fork, not pickled
        _WORKER_REWARD = reward
        return
    from molgan.scoring.config import reward_from_dict

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnsafeModelFileWarning)  # the parent process has warned
        _WORKER_REWARD = reward_from_dict(reward, source="<worker>")


def _score_chunk(chunk: list[bytes | None]) -> np.ndarray:
    assert _WORKER_REWARD is not None
    mols = [None if b is None else Chem.Mol(b) for b in chunk]
    return _WORKER_REWARD._raw_scores(mols)


def _parallel_raw_scores(reward: Reward, mols: Sequence[Mol | None], workers: int) -> np.ndarray:
    """``[C, N]`` raw scores computed by ``workers`` processes on chunks of RDKit binary molecules."""
    binary = [None if m is None else m.ToBinary() for m in mols]
    n_chunks = workers * 4
    size = -(-len(binary) // n_chunks)
    chunks = [binary[i : i + size] for i in range(0, len(binary), size)]
    context, forked = process_context()  # forked: workers inherit the reward
    payload = reward if forked else reward.to_dict()  # a forked child shares memory: nothing is pickled
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(payload,)) as pool:
        return np.concatenate(list(pool.map(_score_chunk, chunks)), axis=1)
