"""What a steered model samples: reward, how much is the search's library, and what chemistry.

    python -m molgan.benchmarks.steered [--model qm9-qed] [--pool runs/qm9-qed-search/pool.csv]
                                         [--scales 0.05,0.08] [--num 10000] [--compare qm9]

For each noise width: ``--num`` raw samples with seed 0 (argmax, no correction): validity,
uniqueness, mean QED of the distinct valid molecules, and the share of those that carry a formal
charge or an N-F / O-F bond. With ``--pool`` (the ``pool.csv`` of ``molgan optimize``), also the
share of distinct samples that are molecules whose codes the prior keeps (``in_prior``). The
``--compare`` models (at their own width) and 10,000 QM9 molecules give the same chemistry shares.
"""

from __future__ import annotations

import argparse
import csv
import warnings
from collections.abc import Sequence

import numpy as np

from molgan.chem.mol import to_mols

from molgan.evaluation.chemistry import CHARGED, HETERO_F


def chemistry(smiles: Sequence[str]) -> tuple[float, float]:
    """Shares of molecules with a formal charge, and with an N-F or O-F bond."""
    mols = [m for m in to_mols(smiles) if m is not None]
    if not mols:
        return float("nan"), float("nan")
    charged = np.mean([m.HasSubstructMatch(CHARGED) for m in mols])
    hetero_f = np.mean([m.HasSubstructMatch(HETERO_F) for m in mols])
    return float(charged), float(hetero_f)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="qm9-qed")
    parser.add_argument("--pool", default=None, help="pool.csv written by molgan optimize")
    parser.add_argument("--scales", default="0.05,0.08", help="comma-separated noise widths")
    parser.add_argument("--num", type=int, default=10000)
    parser.add_argument("--compare", default="qm9", help="comma-separated models sampled at their own width")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")

    from molgan.data.datasets import load_dataset
    from molgan.sampling.model import load
    from molgan.chem.properties import qed as qed_of

    library = None
    if args.pool:
        with open(args.pool, newline="") as handle:
            library = {row["smiles"] for row in csv.DictReader(handle) if row["in_prior"] == "1"}

    def row(label: str, raw: list[str | None]) -> None:
        valid = [s for s in raw if s]
        distinct = sorted(set(valid))
        if not distinct:
            print(f"{label:<22} no valid molecule in {len(raw)} samples", flush=True)
            return
        qed = float(np.mean(qed_of(to_mols(distinct))))
        charged, hetero_f = chemistry(distinct)
        share = f"{100 * len(set(distinct) & library) / len(distinct):>10.1f}" if library is not None else f"{'-':>10}"
        print(f"{label:<22} {100 * len(valid) / len(raw):>8.1f} {100 * len(distinct) / max(1, len(valid)):>9.1f} "
              f"{qed:>9.3f} {share} {100 * charged:>10.1f} {100 * hetero_f:>8.1f}", flush=True)

    print(f"{'samples':<22} {'valid %':>8} {'unique %':>9} {'mean QED':>9} {'library %':>10} {'charged %':>10} {'N/O-F %':>8}")
    for scale in (float(s) for s in args.scales.split(",")):
        row(f"{args.model} width {scale:g}", load(args.model, noise_scale=scale).sample_raw(args.num, seed=0))
    for name in filter(None, args.compare.split(",")):
        row(name, load(name).sample_raw(args.num, seed=0))
    qm9 = load_dataset("qm9")
    charged, hetero_f = chemistry(qm9.smiles[:: max(1, len(qm9.smiles) // 10000)][:10000])
    print(f"{'QM9 (10,000, evenly spaced)':<22} {'':>8} {'':>9} {'':>9} {'':>10} {100 * charged:>10.1f} {100 * hetero_f:>8.1f}")


if __name__ == "__main__":
    main()
