"""Dense graph arrays <-> torch-geometric batches.

A :class:`torch_geometric.data.Batch` made here has, per graph, only its atoms (empty slots are
dropped): ``x [num_nodes, A]`` one-hot over the vocabulary's atom types (the empty type excluded),
``edge_index [2, E]`` with each bond in both directions, and ``edge_attr [E, 3]`` one-hot over the
bond types single/double/triple.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from rdkit import Chem
from torch_geometric.data import Batch, Data
from torch_geometric.utils import to_dense_adj, to_dense_batch

from molgan.chem.graphs import encode_mols
from molgan.chem.vocab import Vocabulary

NUM_EDGE_TYPES = 3  # single, double, triple


def to_pyg_batch(nodes, adj, vocab: Vocabulary) -> Batch:
    """Sparse batch of ``nodes [B, N]`` and ``adj [B, N, N]`` integer arrays (numpy or torch).

    Atoms keep the order of their slots; a graph without atoms becomes a graph with 0 nodes.
    """
    nodes = _as_numpy(nodes).astype(np.int64)
    adj = _as_numpy(adj).astype(np.int64)
    if nodes.ndim != 2 or adj.shape != (*nodes.shape, nodes.shape[1]):
        raise ValueError(f"expected nodes [B, N] and adj [B, N, N], got {nodes.shape} and {adj.shape}")
    num_atom_types = len(vocab.atom_types)
    graphs = []
    for row, bonds in zip(nodes, adj):
        present = np.flatnonzero(row > 0)
        kinds = bonds[np.ix_(present, present)]
        src, dst = np.nonzero(kinds)
        x = torch.nn.functional.one_hot(torch.from_numpy(row[present] - 1), num_atom_types).float()
        edge_attr = torch.nn.functional.one_hot(torch.from_numpy(kinds[src, dst] - 1), NUM_EDGE_TYPES).float()
        edge_index = torch.from_numpy(np.stack([src, dst])).long()
        graphs.append(Data(x=x, edge_index=edge_index, edge_attr=edge_attr, num_nodes=len(present)))
    return Batch.from_data_list(graphs)


def mols_to_pyg(mols: Sequence[Chem.Mol | None], vocab: Vocabulary) -> Batch:
    """Encode molecules (canonical atom order) into a batch; a molecule that does not fit the
    vocabulary (or ``None``) becomes a graph with 0 nodes, so graph ``i`` is always molecule ``i``."""
    encoded = encode_mols(mols, vocab, ordering="canonical")
    return to_pyg_batch(encoded.nodes, encoded.adj, vocab)


def from_pyg_batch(batch: Batch, vocab: Vocabulary, max_atoms: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Dense ``nodes [B, N]`` and ``adj [B, N, N]`` uint8 arrays of a batch (``N = max_atoms``,
    default ``vocab.max_atoms``); atoms fill the first slots of their graph in batch order."""
    n = max_atoms or vocab.max_atoms
    sizes = torch.bincount(batch.batch, minlength=batch.num_graphs) if batch.num_nodes else torch.zeros(0)
    if len(sizes) and int(sizes.max()) > n:
        raise ValueError(f"a graph has {int(sizes.max())} atoms, more than max_atoms={n}")
    types = batch.x.argmax(dim=-1) + 1 if batch.num_nodes else torch.zeros(0, dtype=torch.long)
    dense_types, _ = to_dense_batch(types, batch.batch, fill_value=0, max_num_nodes=n, batch_size=batch.num_graphs)
    if batch.edge_index.numel():
        kinds = batch.edge_attr.argmax(dim=-1) + 1
        dense_adj = to_dense_adj(batch.edge_index, batch.batch, kinds, max_num_nodes=n, batch_size=batch.num_graphs)
    else:
        dense_adj = torch.zeros(batch.num_graphs, n, n)
    return dense_types.numpy().astype(np.uint8), dense_adj.round().numpy().astype(np.uint8)


def _as_numpy(array) -> np.ndarray:
    if hasattr(array, "detach"):
        array = array.detach().cpu().numpy()
    return np.asarray(array)
