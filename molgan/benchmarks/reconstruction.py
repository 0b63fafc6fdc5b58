"""How well a model's decoder reproduces molecules from their encoder codes.

    python -m molgan.benchmarks.reconstruction [--model qm9] [--num 10000] [--data moses] [--no-fcd]

Encodes the first ``--num`` molecules of the test split of the model's training data (or ``--data``),
decodes their codes (argmax, no correction) and prints the share reconstructed exactly (same canonical
SMILES), the share with every atom right, validity, uniqueness and the FCD of the reconstructions
against the release reference (10,000 seeded test molecules; ``--no-fcd`` skips it). A low FCD here with a high FCD for samples means the noise, not the decoder, is
what keeps samples from the data.
"""

from __future__ import annotations

import argparse
import warnings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="qm9")
    parser.add_argument("--num", type=int, default=10000)
    parser.add_argument("--data", default=None, help="data set whose test split is encoded (default: the model's)")
    parser.add_argument("--no-fcd", action="store_true", help="skip the FCD of the reconstructions")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")

    import numpy as np
    import torch

    from molgan.checkpoint import load_checkpoint
    from molgan.data.datasets import load_dataset
    from molgan.chem.graphs import decode_graphs, to_smiles
    from molgan.latent.codes import encode_codes
    from molgan.evaluation.metrics import evaluate, load_reference
    from molgan.nn.build import build_encoder, build_generator
    from molgan.pretrained import resolve_model
    from molgan.nn.relax import hard_graphs
    from molgan.pretrained.release import fcd_reference_smiles

    checkpoint = load_checkpoint(resolve_model(args.model))
    vocab = checkpoint.vocab
    if not checkpoint.has("encoder"):
        raise SystemExit(f"error: {args.model} has no encoder")
    encoder = build_encoder(checkpoint.config.model, vocab)
    checkpoint.load_into("encoder", encoder)
    generator = build_generator(checkpoint.config.model, vocab)
    checkpoint.load_into("generator", generator)
    generator.eval()
    name = args.data or checkpoint.config.train.data
    data = load_dataset(name, bonds=vocab.bonds)  # its own vocabulary first: the cache of a first load is kept under it
    if data.vocab != vocab:
        data = load_dataset(name, vocab=vocab, bonds=vocab.bonds)
    index = data.split("test")[: args.num]
    codes = encode_codes(encoder, data.nodes[index], data.adj[index], vocab)
    with torch.no_grad():
        nodes, adj = (t.numpy().astype(np.uint8) for t in hard_graphs(*generator(codes)))
    smiles = to_smiles(decode_graphs(nodes, adj, vocab))
    exact = float(np.mean([s == data.smiles[i] for s, i in zip(smiles, index)]))
    atoms_right = float(np.mean((nodes == data.nodes[index]).all(axis=1)))
    fcd = not args.no_fcd
    m = evaluate(smiles, load_reference(name), fcd_reference=fcd_reference_smiles(name) if fcd else None, compute_fcd=fcd)
    print(
        f"{args.model}: {len(index)} {name} test molecules; exact {100 * exact:.1f} %, every atom right "
        f"{100 * atoms_right:.1f} %, valid {100 * m['validity']:.1f} %, unique {100 * m['uniqueness']:.1f} %"
        + (f", FCD of reconstructions {m['fcd']:.2f}" if fcd else "")
    )


if __name__ == "__main__":
    main()
