"""Distribution of a property for QM9 and for models' samples, as a plot and printed means.

    python -m molgan.benchmarks.property_plot [--models qm9,qm9-qed] [--property qed] [--num 10000]
                                              [--output qed_distribution.png] [--threshold 0.62]

Per model: the distinct valid molecules among ``--num`` raw samples with seed 0 (no correction).
QM9: 5,000 molecules of its training split drawn with seed 0.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="qm9,qm9-qed")
    parser.add_argument("--property", default="qed")
    parser.add_argument("--num", type=int, default=10000)
    parser.add_argument("--output", default="qed_distribution.png")
    parser.add_argument("--threshold", type=float, default=None, help="also count QM9 training molecules at or above it")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")

    from molgan.chem.mol import to_mols

    from molgan.data.datasets import load_dataset
    from molgan.evaluation.draw import plot_property_distributions
    from molgan.sampling.model import load
    from molgan.chem.properties import PROPERTIES

    if args.property not in PROPERTIES:
        raise SystemExit(f"error: unknown property {args.property!r}; choose from {sorted(PROPERTIES)}")
    compute = PROPERTIES[args.property]
    data = load_dataset("qm9")
    train = data.split("train")
    chosen = np.random.default_rng(0).choice(train, 5000, replace=False)
    sets = {"QM9 (5,000 random)": [data.smiles[i] for i in chosen]}
    for name in args.models.split(","):
        raw = load(name).sample_raw(args.num, seed=0)
        sets[f"{name} samples (distinct valid)"] = sorted({s for s in raw if s})
    values = {label: compute(to_mols(smiles)) for label, smiles in sets.items()}
    for label, v in values.items():
        print(f"{label:40} n={len(v):6d} mean {args.property} {np.mean(v):.4f}")
    if args.threshold is not None:
        everything = compute(to_mols(data.smiles[i] for i in train))
        above = int((everything >= args.threshold).sum())
        print(
            f"QM9 training split: {above} of {len(everything)} molecules ({100 * above / len(everything):.2f} %) have "
            f"{args.property} >= {args.threshold}; max {everything.max():.4f}"
        )
    plot_property_distributions(values, args.output, xlabel=args.property)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
