"""Package a trained checkpoint as a shipped model, with a model card of measured metrics.

    python -m molgan.pretrained.release runs/qm9/best --name qm9 --command "molgan train ..." [--samples 10000]

Copies the weights of the trained networks (generator, encoder, and the discriminator and reward
network where the recipe trained them; no optimizer state) and config into
``molgan/pretrained/NAME/``, samples ``--samples`` raw graphs with seed 0 (no correction), and writes
``card.json`` with the metrics of :func:`molgan.evaluation.metrics.evaluate` against the QM9 training split.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from molgan.checkpoint import META, WEIGHTS, load_checkpoint
from molgan.data.atomic import atomic_dir


FCD_REFERENCE_SIZE = 10000


def fcd_reference_smiles(dataset: str = "qm9", size: int = FCD_REFERENCE_SIZE) -> list[str]:
    """A seeded random ``size`` molecules of a data set's test split: the reference of FCD."""
    import numpy as np

    from molgan.data.datasets import load_dataset

    data = load_dataset(dataset)
    test = data.split("test")
    chosen = np.sort(np.random.default_rng(0).choice(test, size=min(size, len(test)), replace=False))
    return [data.smiles[i] for i in chosen]


def untrained_modules(checkpoint) -> set[str]:
    """Networks a checkpoint carries that its recipe never trained: the discriminator without an
    adversarial term, the reward network without a reward."""
    train = checkpoint.config.train
    names = set()
    if train.critic.adversarial_weight == 0:
        names.add("critic")
    if train.rl.reward is None:
        names.add("reward_net")
    return {name for name in names if checkpoint.has(name)}


def write_trained_weights(source: Path, staging: Path) -> None:
    """Copy ``source``'s weights and metadata into ``staging`` without the networks that were never trained."""
    from safetensors.torch import load_file, save_file

    checkpoint = load_checkpoint(source)
    dropped = untrained_modules(checkpoint)
    tensors = {k: v for k, v in load_file(str(Path(source) / WEIGHTS)).items() if k.split(".", 1)[0] not in dropped}
    save_file(tensors, str(staging / WEIGHTS))
    meta = json.loads((Path(source) / META).read_text())
    meta["modules"] = [m for m in meta["modules"] if m not in dropped]
    (staging / META).write_text(json.dumps(meta, indent=2) + "\n")


def chemistry_card(raw: list[str | None], dataset: str = "qm9", size: int = 10000) -> dict:
    """Charged-atom, unusual-bond and alert shares of the distinct valid samples beside ``size`` training molecules."""
    import numpy as np

    from molgan.data.datasets import load_dataset
    from molgan.evaluation.chemistry import chemistry_shares

    data = load_dataset(dataset)
    train = data.split("train")
    chosen = np.sort(np.random.default_rng(0).choice(train, size=min(size, len(train)), replace=False))
    rounded = lambda shares: {k: (round(v, 4) if isinstance(v, float) else v) for k, v in shares.items()}  # noqa: E731
    return {
        "protocol": f"shares of the distinct valid samples, and of {size} molecules drawn (seed 0) from the {dataset} train split",
        "samples": rounded(chemistry_shares(sorted({s for s in raw if s}))),
        "training_data": rounded(chemistry_shares([data.smiles[i] for i in chosen])),
    }


def release(source: str | Path, name: str, command: str, samples: int = 10000, reference: str = "qm9") -> dict:
    from molgan.evaluation.metrics import evaluate, load_reference
    from molgan.sampling.model import Model
    from molgan.pretrained import shipped_dir

    checkpoint = load_checkpoint(source)
    target = shipped_dir(name)
    started = time.perf_counter()
    raw = Model(checkpoint).sample_raw(samples, seed=0)
    sample_seconds = time.perf_counter() - started
    metrics = evaluate(raw, load_reference(reference), fcd_reference=fcd_reference_smiles(reference), compute_fcd=True)
    chemistry = chemistry_card(raw, reference)
    card = {
        "name": name,
        "training_command": command,
        "release_metrics": {
            "protocol": (
                f"{samples} raw samples, seed 0, argmax decoding, no correction; novelty against the "
                f"{reference} train split, FCD against {FCD_REFERENCE_SIZE} molecules of its test split"
            ),
            **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()},
            "sampling_seconds": round(sample_seconds, 2),
        },
        "chemistry": chemistry,
    }
    with atomic_dir(target, marker=META) as staging:
        write_trained_weights(Path(source), staging)
        (staging / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", help="checkpoint directory (e.g. runs/qm9/best)")
    parser.add_argument("--name", required=True)
    parser.add_argument("--command", required=True, help="the exact command that trained the checkpoint")
    parser.add_argument("--samples", type=int, default=10000)
    parser.add_argument("--reference", default="qm9")
    args = parser.parse_args(argv)
    card = release(args.source, args.name, args.command, args.samples, args.reference)
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
