"""molgan: generate new molecules with a graph GAN.

    import molgan
    model = molgan.load("qm9")                      # shipped model, or a checkpoint directory
    smiles = model.sample(1000, seed=0)             # list[str], valid by default
    mols = model.sample_mols(100, seed=0)           # list[rdkit Mol]
    metrics = molgan.evaluate(smiles, reference="qm9", fcd=False)
    table = molgan.score(smiles, reward="druglike") # per-molecule scores
    hits = molgan.screen(smiles, where=["qed>0.5"], pains=True)
    values = molgan.properties(hits.smiles, ["qed", "logp"])
    molgan.optimize("qm9", reward="qed", out="runs/qed-search")  # steer a model's noise to a reward
    molgan.draw(hits.smiles[:12], "hits.png", legends="qed")
    molgan.write("hits.csv", hits.smiles, properties=["qed"])
    read = molgan.read("hits.csv")

Every function is defined in :mod:`molgan.api`. ``molgan.screen``, ``molgan.draw`` and
``molgan.properties`` are also the modules of those names (``molgan.draw.plot_training_curves``,
``from molgan.screen import Batch``): calling the module calls the API function.

``import molgan`` is light (RDKit and numpy); torch is imported on first use of a function that
needs it (``molgan.load``, ``molgan.train``, ...), so worker processes that only decode molecules
stay small.
"""

from __future__ import annotations

import importlib
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Model",
    "MolDataset",
    "draw",
    "evaluate",
    "load",
    "load_dataset",
    "models",
    "optimize",
    "properties",
    "read",
    "score",
    "screen",
    "train",
    "write",
    "__version__",
]

#: API names whose module is also a function: ``molgan.screen(...)`` and ``molgan.screen.Batch``.
_CALLABLE_MODULES = ("draw", "properties", "screen")


class _CallableModule(types.ModuleType):
    """A submodule that is also the API function of the same name (see :mod:`molgan.api`)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from molgan import api

        return getattr(api, self.__name__.rsplit(".", 1)[1])(*args, **kwargs)


for _name in _CALLABLE_MODULES:
    # imported here so that ``molgan.<name>`` is this module whichever import comes first
    importlib.import_module(f"molgan.{_name}").__class__ = _CallableModule
del _name


if TYPE_CHECKING:  # pragma: no cover
    from molgan.api import Model, MolDataset, evaluate, load, load_dataset, models, optimize, read, score, train, write


def __getattr__(name: str) -> Any:
    """Import :mod:`molgan.api` (and torch) only when one of its names is first used."""
    if name in __all__ and name not in _CALLABLE_MODULES:
        from molgan import api

        value = getattr(api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'molgan' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
