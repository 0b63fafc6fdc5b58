"""``sklearn_model``: a scikit-learn model of yours, applied to Morgan fingerprints.

The model file is a joblib/pickle file, and loading such a file runs whatever code it contains.
molgan loads one only from the path you name in ``params.path``, warns with
:class:`UnsafeModelFileWarning` each time it does, and unpickles nothing else anywhere.
Train the model on :func:`molgan.scoring.morgan_fingerprints` with the same ``radius`` and ``n_bits``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from molgan.errors import ConfigError
from molgan.scoring.components._fingerprints import morgan_fingerprints
from molgan.scoring.components.base import Component, Mol

METHODS = ("predict", "predict_proba")


class UnsafeModelFileWarning(UserWarning):
    """A joblib/pickle model file is being loaded: it can run arbitrary code."""


@dataclass(frozen=True)
class SklearnModelParams:
    """``path``: the joblib file (relative to the TOML file); ``method``: ``predict`` (the prediction
    itself) or ``predict_proba`` (the probability of the last class, the positive one of a binary
    classifier); fingerprints: Morgan bits of ``radius`` and ``n_bits``.
    """

    path: str = field(metadata={"path": True})
    method: str = "predict"
    radius: int = 2
    n_bits: int = 2048

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(f"unknown method {self.method!r}; known: {', '.join(METHODS)}")
        if self.radius < 0 or self.n_bits < 1:
            raise ConfigError(f"radius must be >= 0 and n_bits >= 1, got {self.radius}, {self.n_bits}")


class SklearnModel(Component):
    """Raw score: ``model.predict(fp)`` or ``model.predict_proba(fp)[:, -1]``; NaN for ``None``."""

    Params = SklearnModelParams

    def __init__(self, params: SklearnModelParams) -> None:
        super().__init__(params)
        path = Path(params.path)
        if not path.is_file():
            raise ConfigError(f"model file not found: {path}")
        warnings.warn(
            f"loading the scikit-learn model {path}: joblib/pickle files run code when loaded; "
            "use only model files you trust",
            UnsafeModelFileWarning,
            stacklevel=2,
        )
        import joblib  # only here: the single place molgan unpickles anything

        try:
            self._model = joblib.load(path)
        except Exception as exc:
            raise ConfigError(f"cannot load model file {path}: {type(exc).__name__}: {exc}") from None
        if not callable(getattr(self._model, params.method, None)):
            raise ConfigError(f"the model in {path} has no {params.method}() method")

    @property
    def unit_interval(self) -> bool:  # type: ignore[override]
        return self.params.method == "predict_proba"

    def __call__(self, mols: Sequence[Mol | None]) -> np.ndarray:
        out = np.full(len(mols), np.nan, dtype=np.float64)
        index = [i for i, mol in enumerate(mols) if mol is not None]
        if not index:
            return out
        fps = morgan_fingerprints([mols[i] for i in index], self.params.radius, self.params.n_bits)
        if self.params.method == "predict_proba":
            values = self._model.predict_proba(fps)[:, -1]
        else:
            values = self._model.predict(fps)
        out[index] = np.asarray(values, dtype=np.float64).reshape(len(index))
        return out
