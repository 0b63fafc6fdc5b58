"""Analogs of held-out molecules and smoothness of paths between them.

    python -m molgan.benchmarks.analogs --model qm9 --molecules 100 --num 10 --seed 0 [--radius 0.3,0.5]
                                        [--draws 1000] [--pairs 20] [--steps 10] [--ceiling]

Takes ``--molecules`` QM9 test-split molecules (a seeded choice), asks :func:`molgan.latent.analogs.analogs`
for ``--num`` analogs of each (seed ``--seed`` + its number; ``--draws`` codes, default the library's) and
prints, per radius:

- ``hit %``: the share of the requested analogs that are valid, distinct, not the input and have Tanimoto
  similarity >= 0.4 to it (an analog not found counts as a miss), averaged over molecules (the bar: >= 50 %);
- ``found %``: the share of requested analogs returned at all (valid, distinct, not the input);
- ``any hit %``: the share of molecules with at least one hit;
- ``mean sim``: mean similarity of the returned analogs to their input, pooled;
- ``recon %`` (first line): the share of molecules whose own code decodes back to them.

``--ceiling`` also counts, for each molecule, the QM9 molecules (all splits) at similarity >= 0.4: an
oracle that returned QM9 molecules could reach at most that many hits.

Then the smoothness (mean Tanimoto similarity of consecutive valid molecules) of ``--steps``-point
paths between ``--pairs`` seeded pairs of test molecules, linear and spherical.
"""

from __future__ import annotations

import argparse
import warnings

#: Similarity an analog needs to count as a hit.
THRESHOLD = 0.4


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="qm9")
    parser.add_argument("--molecules", type=int, default=100)
    parser.add_argument("--num", type=int, default=10, help="requested analogs per molecule")
    parser.add_argument("--draws", type=int, default=None, help="codes drawn per molecule (default: the library's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--radius", default=None, help="comma-separated radii (default: the library's)")
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--ceiling", action="store_true", help="count each molecule's QM9 neighbours at >= 0.4")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")

    import numpy as np
    import torch

    from molgan.data.datasets import load_dataset
    from molgan.latent.analogs import DEFAULT_RADIUS, PATHS, analogs, decode, encode, interpolate, path_smoothness
    from molgan.sampling.model import load

    torch.set_num_threads(args.threads)
    model = load(args.model)
    data = load_dataset("qm9", vocab=model.vocab)
    rng = np.random.default_rng(args.seed)
    chosen = rng.choice(data.split("test"), args.molecules, replace=False)
    molecules = [data.smiles[i] for i in chosen]
    radii = [float(r) for r in args.radius.split(",")] if args.radius else [DEFAULT_RADIUS]

    recon = float(np.mean([d == s for d, s in zip(decode(model, encode(model, molecules)), molecules)]))
    print(f"{args.model}: {len(molecules)} QM9 test molecules (seed {args.seed}), {args.num} analogs each; "
          f"{100 * recon:.0f} % decode back from their own code")
    print(f"{'radius':>6} {'hit %':>6} {'found %':>8} {'any hit %':>9} {'mean sim':>8}")
    for radius in radii:
        hits, found_share, sims = [], [], []
        for k, smiles in enumerate(molecules):
            found = analogs(model, smiles, args.num, radius, seed=args.seed + k, draws=args.draws)
            hits.append(sum(a.similarity >= THRESHOLD for a in found) / args.num)
            found_share.append(len(found) / args.num)
            sims.extend(a.similarity for a in found)
        print(f"{radius:>6.2f} {100 * np.mean(hits):>6.1f} {100 * np.mean(found_share):>8.1f} "
              f"{100 * np.mean(np.array(hits) > 0):>9.1f} {np.mean(sims) if sims else float('nan'):>8.3f}", flush=True)

    if args.ceiling:
        from molgan.chem.mol import to_mols
        from molgan.scoring.components._fingerprints import bit_fingerprints, tanimoto

        every = bit_fingerprints([m for m in to_mols(data.smiles)])  # QM9's SMILES all parse
        counts = np.array([int((tanimoto(m, every) >= THRESHOLD).sum()) - 1 for m in to_mols(molecules)])
        print(f"QM9 molecules at similarity >= {THRESHOLD} (input excluded): median {np.median(counts):.0f}; "
              f"an oracle of QM9 molecules reaches {100 * np.mean(np.minimum(counts, args.num)) / args.num:.1f} % of {args.num}")

    pairs = [rng.choice(len(molecules), 2, replace=False) for _ in range(args.pairs)]
    for method in PATHS if pairs else ():
        paths = [interpolate(model, molecules[i], molecules[j], args.steps, method) for i, j in pairs]
        smooth = np.nanmean([path_smoothness(p) for p in paths])
        valid = np.mean([p.smiles is not None for path in paths for p in path])
        print(f"{method} paths: {args.pairs} pairs x {args.steps} steps; smoothness {smooth:.3f}, valid {100 * valid:.1f} %")


if __name__ == "__main__":
    main()
