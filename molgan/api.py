"""The Python API: everything the CLI does, as functions for pipelines.

    import molgan
    model = molgan.load("qm9")
    smiles = model.sample(1000, seed=0)
    metrics = molgan.evaluate(smiles, reference="qm9")
    table = molgan.score(smiles, reward="druglike")
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rdkit import Chem

from molgan.config import RunConfig, load_config
from molgan.errors import InputError
from molgan.model import Model, load
from molgan.training import ProgressCallback, TrainingData, TrainResult
from molgan.training import train as _train

Mol = Chem.Mol

__all__ = ["load", "train", "evaluate", "score", "Model"]


def train(
    out: str | Path,
    *,
    config: str | Path | RunConfig | None = None,
    resume: bool = False,
    init_from: str | Path | None = None,
    max_atoms: int | None = None,
    smiles_column: str | None = None,
    progress: ProgressCallback | None = None,
    command: str | None = None,
    **overrides: Any,
) -> TrainResult:
    """Train a model into ``out`` (see :class:`molgan.config.TrainConfig` for ``overrides``).

    With ``resume=True`` and an existing ``out/last`` checkpoint, its stored config is used (only
    ``steps`` and ``time_limit_minutes`` may be changed) and training continues where it stopped.
    """
    from molgan.checkpoint import load_checkpoint
    from molgan.datasets import load_dataset

    out = Path(out)
    if resume and (out / "last" / "checkpoint.json").exists():
        run = load_checkpoint(out / "last").config
        allowed = {k: overrides.get(k) for k in ("steps", "time_limit_minutes", "threads", "device")}
        run = run.with_overrides(**allowed)
    else:
        if isinstance(config, RunConfig):
            run = config
        elif config is not None:
            run = load_config(config)
        else:
            run = RunConfig()
        run = run.with_overrides(**overrides)
    dataset = load_dataset(run.train.data, max_atoms=max_atoms, smiles_column=smiles_column)
    reward = None
    if run.train.reward:
        from molgan.scoring import load_reward

        reward = load_reward(run.train.reward)
    return _train(
        run, TrainingData.from_dataset(dataset), out, resume=resume, reward=reward,
        init_from=init_from, progress=progress, command=command,
    )


def evaluate(
    smiles: Sequence[str | None],
    reference: str | Sequence[str] | None = "qm9",
    *,
    fcd: bool = True,
    n_jobs: int = 1,
) -> dict[str, float]:
    """MOSES-style metrics of generated SMILES (``None`` / ``""`` count as invalid samples).

    ``reference`` is a data set name (its training split), a file, a list of SMILES or ``None``.
    """
    from molgan import metrics

    ref: Sequence[str] | None
    if isinstance(reference, (str, Path)):
        ref = metrics.load_reference(str(reference))
    else:
        ref = reference
    return metrics.evaluate(list(smiles), ref, n_jobs=n_jobs, compute_fcd=fcd and ref is not None)


def score(molecules: Sequence[str | Mol | None], reward: str | Path = "qed", *, n_jobs: int = 1):
    """Score molecules (SMILES or RDKit molecules) with a reward preset or TOML file.

    Returns a :class:`molgan.scoring.ScoreTable` (per component raw and transformed values, total).
    """
    from molgan.scoring import load_reward

    mols = [m if isinstance(m, Chem.Mol) or m is None else Chem.MolFromSmiles(str(m)) for m in molecules]
    return load_reward(reward).score(mols, n_jobs=n_jobs)


def _check_positive(name: str, value: int) -> None:
    if value <= 0:
        raise InputError(f"{name} must be positive, got {value}")
