"""Package a trained checkpoint as a shipped model, with a model card of measured metrics.

    python -m molgan.pretrained.release runs/qm9/best --name qm9 --command "molgan train ..." [--samples 10000]

Copies the weights of the trained networks (generator, encoder, and the discriminator and reward
network where the recipe trained them; no optimizer state) and config into
``molgan/pretrained/NAME/``, samples ``--samples`` raw graphs with seed 0 (no correction), and writes
``card.json`` with the metrics of :func:`molgan.evaluation.metrics.evaluate` against the QM9 training split.

A steered model (trained with a reward, its noise found by ``molgan optimize``, or ``--steered``) is
released only if it keeps data-like chemistry (:func:`chemistry_rule`): charged-atom and unusual-bond
shares at most the training data's plus one point, PAINS and Brenk shares no higher than the data's,
and at least half of its distinct valid samples outside the library it was fitted to (the training split,
and the search's pool where there is one).
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
    adversarial term or before its start, the reward network without a reward."""
    train = checkpoint.config.train
    names = set()
    if not checkpoint.critic_trained:
        names.add("critic")
    if train.rl.reward is None:
        names.add("reward_net")
    return {name for name in names if checkpoint.has(name)}


def write_trained_weights(source: Path, staging: Path, standing: dict | None = None, keep_codes=None) -> None:
    """Copy ``source``'s weights and metadata into ``staging`` without the networks that were never trained;
    ``standing`` (``{"target": {...}, "window": w}``) aims a conditional model at a target whenever it samples,
    and ``keep_codes`` (indices into its kernel prior) keeps only the codes that target draws from. A kernel
    prior's codes are stored compactly (:func:`~molgan.latent.priors.compact_kernel_state`)."""
    from safetensors.torch import load_file, save_file

    checkpoint = load_checkpoint(source)
    dropped = untrained_modules(checkpoint)
    tensors = {k: v for k, v in load_file(str(Path(source) / WEIGHTS)).items() if k.split(".", 1)[0] not in dropped}
    if "prior.codes" in tensors:
        from molgan.latent.priors import compact_kernel_state

        prior = {k.split(".", 1)[1]: v for k, v in tensors.items() if k.startswith("prior.")}
        if keep_codes is not None:
            prior = {k: (v[keep_codes] if k in ("codes", "conditions") else v) for k, v in prior.items()}
        if "code_step" not in prior:
            prior = compact_kernel_state(prior)
        tensors.update({f"prior.{k}": v.contiguous() for k, v in prior.items()})
    save_file(tensors, str(staging / WEIGHTS))
    meta = json.loads((Path(source) / META).read_text())
    meta["modules"] = [m for m in meta["modules"] if m not in dropped]
    if standing is not None:
        meta.setdefault("extra", {})["condition"] = standing
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


#: Largest excess of a steered model's charged-atom and unusual-bond shares over the data's (one point).
SHARE_MARGIN = 0.01
#: Smallest share of a steered model's distinct valid samples outside its library.
MIN_OUTSIDE_LIBRARY = 0.5


def chemistry_rule(chemistry: dict, outside_library: float) -> list[str]:
    """What a steered model's chemistry card breaks of the rule (an empty list: it may ship).

    ``chemistry`` is :func:`chemistry_card`'s dict; ``outside_library`` the share of distinct valid samples
    outside the molecules the model was fitted to.
    """
    mine, data = chemistry["samples"], chemistry["training_data"]
    broken = [
        f"{key.replace('_', ' ')} share {100 * mine[key]:.1f} % above the data's {100 * data[key]:.1f} % + 1 point"
        for key in ("charged", "unusual_bond") if mine[key] > data[key] + SHARE_MARGIN
    ]
    broken += [
        f"{name} share {100 * mine[key]:.2f} % above the data's {100 * data[key]:.2f} %"
        for key, name in (("alert_pains", "PAINS"), ("alert_brenk", "Brenk")) if mine[key] > data[key]
    ]
    if outside_library < MIN_OUTSIDE_LIBRARY:
        broken.append(f"only {100 * outside_library:.1f} % of distinct samples outside the library it was fitted to (needs 50 %)")
    return broken


def is_steered(checkpoint) -> bool:
    """Trained with a reward, or sampling noise found by a reward-guided search."""
    return checkpoint.config.train.rl.reward is not None or checkpoint.extra.get("prior", {}).get("kind") == "latent-search"


def library_smiles(source: Path, reference: str) -> set[str]:
    """The molecules a model was fitted to: the reference's training split, and a search's pool (``pool.csv``
    beside the checkpoint or in its run directory)."""
    from molgan.chem.mol import canonical_key
    from molgan.data.readers import iter_molecules
    from molgan.evaluation.metrics import load_reference

    library = set(load_reference(reference))
    for pool in (source / "pool.csv", source.parent / "pool.csv"):
        if pool.exists():
            library |= {canonical_key(mol) for _, mol, _ in iter_molecules(pool)}
    return library


def release(
    source: str | Path, name: str, command: str, samples: int = 10000, reference: str = "qm9", steered: bool | None = None,
    aim: str | None = None, window: float | None = None,
) -> dict:
    """Release ``source`` as shipped model ``name`` (see the module docstring). ``aim`` (``"qed=0.58"``) gives a
    conditional model a standing target (with the code ``window``): the release is then steered."""
    from molgan.evaluation.metrics import evaluate, load_reference
    from molgan.sampling.model import Model
    from molgan.pretrained import shipped_dir

    checkpoint = load_checkpoint(source)
    target = shipped_dir(name)
    standing, keep_codes = None, None
    if aim is not None:
        from molgan.data.conditions import parse_condition

        standing = {"target": parse_condition(aim), **({"window": window} if window is not None else {})}
        steered = True if steered is None else steered
        # the shipped prior keeps only the codes the target draws from, in their order: the same draws
        keep_codes = Model(checkpoint).with_condition(standing["target"], window).prior.candidates[0]
    steered = is_steered(checkpoint) if steered is None else steered
    with atomic_dir(target, marker=META) as staging:
        write_trained_weights(Path(source), staging, standing, keep_codes)
        started = time.perf_counter()  # the card measures the files that ship, as a user loads them
        shipped = Model(load_checkpoint(staging))
        raw = shipped.sample_raw(samples, seed=0)
        sample_seconds = time.perf_counter() - started
        metrics = evaluate(raw, load_reference(reference), fcd_reference=fcd_reference_smiles(reference), compute_fcd=True)
        chemistry = chemistry_card(raw, reference)
        distinct = {s for s in raw if s}
        outside = len(distinct - library_smiles(Path(source), reference)) / len(distinct) if distinct else 0.0
        broken = chemistry_rule(chemistry, outside)
        if steered and broken:
            from molgan.errors import InputError

            raise InputError(f"{source} is steered and breaks the chemistry rule: {'; '.join(broken)}")
        chemistry["rule"] = {"steered": steered, "outside_library": round(outside, 4), "broken": broken}
        card = {
            "name": name,
            "training_command": command,
            "release_metrics": {
                "protocol": (
                    f"{samples} raw samples, seed 0, argmax decoding, no correction, {shipped.sampling_summary()}; "
                    f"novelty against the {reference} train split, FCD against {FCD_REFERENCE_SIZE} molecules of its test split"
                ),
                "discriminator_keep": shipped.default_keep,
                "noise_scale": shipped.noise_scale,
                **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()},
                "sampling_seconds": round(sample_seconds, 2),
            },
            "chemistry": chemistry,
        }
        (staging / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", help="checkpoint directory (e.g. runs/qm9/best)")
    parser.add_argument("--name", required=True)
    parser.add_argument("--command", required=True, help="the exact command that trained the checkpoint")
    parser.add_argument("--samples", type=int, default=10000)
    parser.add_argument("--reference", default="qm9")
    parser.add_argument("--steered", action="store_true", help="apply the chemistry rule even if the checkpoint does not say it is steered")
    parser.add_argument("--aim", default=None, help="standing target of a conditional model, e.g. qed=0.58 (steered)")
    parser.add_argument("--window", type=float, default=None, help="code window of --aim, in training standard deviations")
    args = parser.parse_args(argv)
    card = release(args.source, args.name, args.command, args.samples, args.reference, steered=args.steered or None,
                   aim=args.aim, window=args.window)
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
