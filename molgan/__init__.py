"""molgan: generate new molecules with a graph GAN.

    import molgan
    model = molgan.load("qm9")                      # shipped model, or a checkpoint directory
    smiles = model.sample(1000, seed=0)             # list[str], valid by default
    mols = model.sample_mols(100, seed=0)           # list[rdkit Mol]
    metrics = molgan.evaluate(smiles, reference="qm9")
    table = molgan.score(smiles, reward="druglike") # per-molecule scores
"""

__version__ = "0.1.0"

from molgan.api import Model, evaluate, load, score, train  # noqa: E402

__all__ = ["Model", "evaluate", "load", "score", "train", "__version__"]
