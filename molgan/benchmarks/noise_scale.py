"""Fidelity against novelty: a model's raw samples at several widths of its fitted noise prior.

    python -m molgan.benchmarks.noise_scale [--model qm9] [--scales 0.3,0.4,0.5] [--num 10000]
                                            [--discriminator-keep 0.5 | --valence-check]

For each width: ``--num`` raw samples with seed 0, argmax decoding, no correction, evaluated with
the release protocol of :mod:`molgan.pretrained.release` (novelty against the QM9 training split, FCD against
10,000 seeded molecules of its test split). Prints one row per width, with V.U.N. (valid, distinct and
novel share of all samples). ``--discriminator-keep K``: discriminator rejection sampling
(:mod:`molgan.sampling.rejection`), the ``--num`` accepted graphs (a model trained to sample with rejection
does so unless given ``--discriminator-keep 1``). ``--valence-check``: no discriminator; graphs with an atom
above its allowed valence are dropped before decoding, the ``--num`` kept graphs are scored (the baseline a
discriminator that reads valence is held against: it removes the invalid graphs rejection removes).
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
    parser.add_argument("--valence-check", action="store_true", help="drop hypervalent graphs (no discriminator)")
    args = parser.parse_args(argv)
    if args.valence_check and args.discriminator_keep is not None:
        parser.error("--valence-check compares against rejection: give one of the two")
    warnings.simplefilter("ignore")

    from molgan.evaluation.metrics import evaluate, load_reference
    from molgan.sampling.model import load
    from molgan.pretrained.release import fcd_reference_smiles

    reference, fcd_reference = load_reference(args.reference), fcd_reference_smiles(args.reference)
    print(f"{'noise scale':>11} {'valid %':>8} {'unique %':>9} {'novel %':>8} {'V.U.N. %':>9} {'FCD':>6} {'IntDiv1':>8}")
    for scale in (float(s) for s in args.scales.split(",")):
        model = load(args.model, noise_scale=scale)
        if args.valence_check:
            raw = valence_checked_raw(model, args.num)
        else:
            raw = model.sample_raw(args.num, seed=0, discriminator_keep=args.discriminator_keep)
        m = evaluate(raw, reference, fcd_reference=fcd_reference, compute_fcd=True)
        print(
            f"{scale:>11.2f} {100 * m['validity']:>8.1f} {100 * m['uniqueness']:>9.1f} {100 * m['novelty']:>8.1f} "
            f"{100 * m['vun']:>9.1f} {m['fcd']:>6.2f} {m['intdiv1']:>8.3f}",
            flush=True,
        )


def valence_checked_raw(model, num: int, seed: int = 0, max_draws: int | None = None) -> list[str | None]:
    """The first ``num`` graphs of ``model``'s stream (seed ``seed``, argmax, rejection off) with no atom above its
    allowed valence, as SMILES (``None`` where still invalid); gives up after ``max_draws`` graphs (default
    100 x num)."""
    from molgan.errors import InputError
    from molgan.nn.valence import max_valences
    from molgan.sampling.sampler import decode_smiles

    limits = max_valences(model.vocab)
    limit = max_draws if max_draws is not None else 100 * num
    out: list[str | None] = []
    drawn = 0
    for nodes, adj in model.iter_graphs(seed):
        keep = ~hypervalent(nodes, adj, model.vocab, limits)
        out.extend(decode_smiles(nodes[keep], adj[keep], model.vocab)[: num - len(out)])
        drawn += len(nodes)
        if len(out) >= num:
            return out
        if drawn >= limit:
            raise InputError(f"only {len(out)} of {num} graphs within their valences after {drawn} draws")
    return out  # pragma: no cover


def hypervalent(nodes, adj, vocab, limits=None):
    """Per integer graph (``nodes [B, N]``, ``adj [B, N, N]``): does an atom carry more than its allowed valence?
    ``limits``: :func:`~molgan.nn.valence.max_valences` of ``vocab``, when the caller already has them."""
    import torch
    import torch.nn.functional as F

    from molgan.nn.valence import max_valences, valence_excess

    limits = max_valences(vocab) if limits is None else limits
    n = torch.from_numpy(nodes.astype("int64"))
    a = torch.from_numpy(adj.astype("int64"))
    node_probs = F.one_hot(n, vocab.num_node_types).float()
    excess = valence_excess(node_probs, F.one_hot(a, vocab.num_bond_types).float(), limits)
    return ((excess * (n > 0)) > 0).any(dim=1).numpy()


if __name__ == "__main__":
    main()
