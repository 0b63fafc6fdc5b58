"""Throughput of graph encoding and decoding on QM9 (or MOSES), next to a plain RDKit loop.

    python -m molgan.benchmarks.codec [--n 20000] [--repeat 3] [--data moses --bonds aromatic]

Single process, one torch/BLAS thread. Molecules are parsed from the bundled QM9 SMILES, or the
MOSES training file (outside the timings). The plain RDKit loop builds an ``RWMol`` from the same atoms and bonds, sanitizes it
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

from molgan.chem.graphs import decode_graphs, encode_mols, to_smiles
from molgan.chem.vocab import INDEX_TO_RDKIT_BOND, QM9_VOCABULARY, Vocabulary
from molgan.data.datasets import resolve_source
from molgan.data.readers import iter_molecules


def rdkit_loop(nodes: np.ndarray, adj: np.ndarray, vocab: Vocabulary) -> list[str | None]:
    """Reference decoder: RWMol from atoms and bonds, SanitizeMol, MolToSmiles, one graph at a time."""
    out: list[str | None] = []
    for row, bonds in zip(nodes, adj):
        mol = Chem.RWMol()
        slot_to_atom = {}
        for slot, kind in enumerate(row):
            if kind:
                symbol, charge, *hydrogens = vocab.atom_types[kind - 1]
                atom = Chem.Atom(symbol)
                atom.SetFormalCharge(charge)
                atom.SetNumExplicitHs(sum(hydrogens))
                slot_to_atom[slot] = mol.AddAtom(atom)
        for i, j in zip(*np.nonzero(np.triu(bonds, 1))):
            if i in slot_to_atom and j in slot_to_atom:
                bond_type = INDEX_TO_RDKIT_BOND[int(bonds[i, j])]
                mol.AddBond(slot_to_atom[i], slot_to_atom[j], bond_type)
                if bond_type == Chem.BondType.AROMATIC:
                    mol.GetBondBetweenAtoms(slot_to_atom[i], slot_to_atom[j]).SetIsAromatic(True)
                    mol.GetAtomWithIdx(slot_to_atom[i]).SetIsAromatic(True)
                    mol.GetAtomWithIdx(slot_to_atom[j]).SetIsAromatic(True)
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


def run(n: int = 20_000, repeat: int = 3, data: str = "qm9", bonds: str = "kekule") -> dict[str, float]:
    """Molecules per second of each step on the first ``n`` molecules of ``data`` (``qm9``, ``moses``,
    ``moses-sample``), with ``bonds`` (``kekule`` or ``aromatic``; QM9's own vocabulary when kekulé)."""
    path, column, _ = resolve_source(data)
    mols = [mol for _, mol, _ in islice(iter_molecules(path, column), n)]
    vocab = QM9_VOCABULARY if data == "qm9" and bonds == "kekule" else Vocabulary.from_mols(mols, bonds=bonds)
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
    parser.add_argument("--n", type=int, default=20_000, help="number of molecules")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step; the fastest counts")
    parser.add_argument("--data", default="qm9", choices=("qm9", "moses", "moses-sample"), help="molecules (default qm9)")
    parser.add_argument("--bonds", default="kekule", choices=("kekule", "aromatic"), help="bond representation")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    with threadpool_limits(1):
        rates = run(args.n, args.repeat, args.data, args.bonds)
    width = max(map(len, rates))
    print(f"{args.data}, {args.bonds} bonds, n={args.n}, 1 thread, best of {args.repeat}")
    for name, rate in rates.items():
        print(f"{name:<{width}}  {rate:>10,.0f} mol/s")
    baseline = rates["plain RDKit loop (RWMol + sanitize + smiles)"]
    print(f"{'decode + smiles vs plain RDKit':<{width}}  {rates['decode_graphs + to_smiles'] / baseline:>10.2f}x")


if __name__ == "__main__":
    main()
