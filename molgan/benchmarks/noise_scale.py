"""Fidelity against novelty: a model's raw samples at several widths of its fitted noise prior.

    python -m molgan.benchmarks.noise_scale [--model qm9] [--scales 0.3,0.4,0.5] [--num 10000]
                                            [--discriminator-keep 0.8]

For each width: ``--num`` raw samples with seed 0, argmax decoding, no correction, evaluated with
the release protocol of :mod:`molgan.pretrained.release` (novelty against the QM9 training split, FCD against
10,000 seeded molecules of its test split). Prints one row per width, with V.U.N. (valid, distinct and
novel share of all samples). ``--discriminator-keep K``: discriminator rejection sampling
(:mod:`molgan.sampling.rejection`), the ``--num`` accepted graphs.
"""

from __future__ import annotations

import argparse
import warnings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="qm9")
    parser.add_argument("--scales", default="0.3,0.4,0.5", help="comma-separated noise widths")
    parser.add_argument("--num", type=int, default=10000)
    parser.add_argument("--reference", default="qm9")
    parser.add_argument("--discriminator-keep", type=float, default=None)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")

    from molgan.evaluation.metrics import evaluate, load_reference
    from molgan.sampling.model import load
    from molgan.pretrained.release import fcd_reference_smiles

    reference, fcd_reference = load_reference(args.reference), fcd_reference_smiles(args.reference)
    print(f"{'noise scale':>11} {'valid %':>8} {'unique %':>9} {'novel %':>8} {'V.U.N. %':>9} {'FCD':>6} {'IntDiv1':>8}")
    for scale in (float(s) for s in args.scales.split(",")):
        raw = load(args.model, noise_scale=scale).sample_raw(args.num, seed=0, discriminator_keep=args.discriminator_keep)
        m = evaluate(raw, reference, fcd_reference=fcd_reference, compute_fcd=True)
        print(
            f"{scale:>11.2f} {100 * m['validity']:>8.1f} {100 * m['uniqueness']:>9.1f} {100 * m['novelty']:>8.1f} "
            f"{100 * m['validity'] * m['uniqueness'] * m['novelty']:>9.1f} {m['fcd']:>6.2f} {m['intdiv1']:>8.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
