"""molgan: generate new molecules with a graph GAN.

    import molgan
    model = molgan.load("qm9")                      # shipped model, or a checkpoint directory
    smiles = model.sample(1000, seed=0)             # list[str], valid by default
    mols = model.sample_mols(100, seed=0)           # list[rdkit Mol]
    metrics = molgan.evaluate(smiles, reference="qm9", fcd=False)
    table = molgan.score(smiles, reward="druglike") # per-molecule scores
    hits = molgan.screen(smiles, where=["qed>0.5"], pains=True)
    molgan.screen_file("samples.csv", "hits.csv", where="qed>0.5")   # as molgan screen
    model.sample_to_file("big.smi.gz", 1_000_000, seed=0)           # as molgan sample, all cores
    values = molgan.properties(hits.smiles, ["qed", "logp"])
    molgan.optimize("qm9", reward="qed", out="runs/qed-search")  # steer a model's noise to a reward
    molgan.draw(hits.smiles[:12], "hits.png", legends="qed")
    molgan.write("hits.csv", hits.smiles, properties=["qed"])
    read = molgan.read("hits.csv")

Every function is defined in :mod:`molgan.api`; the package's modules follow the data flow
(``chem`` -> ``data`` -> ``nn`` / ``latent`` -> ``training`` / ``sampling`` -> ``evaluation``).

``import molgan`` is light (RDKit and numpy); torch is imported on first use of a function that
needs it (``molgan.load``, ``molgan.train``, ...), so worker processes that only decode molecules
stay small.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Model",
    "MolDataset",
    "ScreenSpec",
    "draw",
    "evaluate",
    "load",
    "load_dataset",
    "models",
    "optimize",
    "properties",
    "read",
    "sample_to_file",
    "score",
    "score_file",
    "screen",
    "screen_file",
    "train",
    "write",
    "__version__",
]

if TYPE_CHECKING:  # pragma: no cover
    from molgan.api import (
        Model,
        MolDataset,
        ScreenSpec,
        draw,
        evaluate,
        load,
        load_dataset,
        models,
        optimize,
        properties,
        read,
        sample_to_file,
        score,
        score_file,
        screen,
        screen_file,
        train,
        write,
    )


def __getattr__(name: str) -> Any:
    """Import :mod:`molgan.api` (and torch) only when one of its names is first used."""
    if name in __all__:
        import importlib

        from molgan import api

        value = getattr(importlib.import_module(api.HOMES.get(name, "molgan.api")), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'molgan' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
