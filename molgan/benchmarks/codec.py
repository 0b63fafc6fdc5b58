"""Throughput of graph encoding and decoding on QM9, next to a plain RDKit loop.

    python -m molgan.benchmarks.codec [--n 20000] [--repeat 3]

Single process, one torch/BLAS thread. Molecules are parsed from the bundled QM9 SMILES (outside
the timings). The plain RDKit loop builds an ``RWMol`` from the same atoms and bonds, sanitizes it
and writes canonical SMILES; it is the baseline for ``decode + SMILES``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from itertools import islice

import numpy as np
import torch
from rdkit import Chem
from threadpoolctl import threadpool_limits

from molgan.data.datasets import bundled_file
from molgan.chem.graphs import decode_graphs, encode_mols, to_smiles
from molgan.data.readers import iter_molecules
from molgan.chem.vocab import INDEX_TO_RDKIT_BOND, QM9_VOCABULARY, Vocabulary


def rdkit_loop(nodes: np.ndarray, adj: np.ndarray, vocab: Vocabulary) -> list[str | None]:
    """Reference decoder: RWMol from atoms and bonds, SanitizeMol, MolToSmiles, one graph at a time."""
    out: list[str | None] = []
    for row, bonds in zip(nodes, adj):
        mol = Chem.RWMol()
        slot_to_atom = {}
        for slot, kind in enumerate(row):
            if kind:
                symbol, charge = vocab.atom_types[kind - 1]
                atom = Chem.Atom(symbol)
                atom.SetFormalCharge(charge)
                slot_to_atom[slot] = mol.AddAtom(atom)
        for i, j in zip(*np.nonzero(np.triu(bonds, 1))):
            if i in slot_to_atom and j in slot_to_atom:
                mol.AddBond(slot_to_atom[i], slot_to_atom[j], INDEX_TO_RDKIT_BOND[int(bonds[i, j])])
        try:
            Chem.SanitizeMol(mol)
            out.append(Chem.MolToSmiles(mol, isomericSmiles=False))
        except Exception:  # invalid valence etc.
            out.append(None)
    return out


def best_time(task: Callable[[], object], repeat: int) -> float:
    """Shortest wall time of ``repeat`` runs (seconds)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    return min(times)


def run(n: int = 20_000, repeat: int = 3) -> dict[str, float]:
    """Molecules per second of each step on the first ``n`` QM9 molecules."""
    vocab = QM9_VOCABULARY
    mols = [mol for _, mol, _ in islice(iter_molecules(bundled_file("qm9.csv.gz"), "smiles"), n)]
    encoded = encode_mols(mols, vocab, ordering="canonical")
    nodes, adj = encoded.nodes[encoded.ok], encoded.adj[encoded.ok]
    assert to_smiles(decode_graphs(nodes, adj, vocab)) == rdkit_loop(nodes, adj, vocab)
    tasks = {
        "encode (ordering=input)": (len(mols), lambda: encode_mols(mols, vocab, ordering="input")),
        "encode (ordering=canonical)": (len(mols), lambda: encode_mols(mols, vocab, ordering="canonical")),
        "decode_graphs": (len(nodes), lambda: decode_graphs(nodes, adj, vocab)),
        "decode_graphs + to_smiles": (len(nodes), lambda: to_smiles(decode_graphs(nodes, adj, vocab))),
        "plain RDKit loop (RWMol + sanitize + smiles)": (len(nodes), lambda: rdkit_loop(nodes, adj, vocab)),
    }
    return {name: count / best_time(task, repeat) for name, (count, task) in tasks.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m molgan.benchmarks.codec", description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="number of QM9 molecules")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step; the fastest counts")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    with threadpool_limits(1):
        rates = run(args.n, args.repeat)
    width = max(map(len, rates))
    print(f"QM9, n={args.n}, 1 thread, best of {args.repeat}")
    for name, rate in rates.items():
        print(f"{name:<{width}}  {rate:>10,.0f} mol/s")
    baseline = rates["plain RDKit loop (RWMol + sanitize + smiles)"]
    print(f"{'decode + smiles vs plain RDKit':<{width}}  {rates['decode_graphs + to_smiles'] / baseline:>10.2f}x")


if __name__ == "__main__":
    main()
