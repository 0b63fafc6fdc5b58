import numpy as np
import pytest
import torch
from rdkit import Chem

from molgan.chem.graphs import encode_mols
from molgan.chem.pyg import from_pyg_batch, mols_to_pyg, to_pyg_batch
from molgan.chem.vocab import QM9_VOCABULARY as VOCAB

SMILES = ["CCO", "c1ccoc1", "C#N", "[O-][N+](=O)C", "C", "O=C1CC2CC(O2)C1=O"]


@pytest.fixture
def encoded():
    return encode_mols([Chem.MolFromSmiles(s) for s in SMILES], VOCAB)


def test_batch_layout(encoded):
    batch = to_pyg_batch(encoded.nodes, encoded.adj, VOCAB)
    n_atoms = sum(Chem.MolFromSmiles(s).GetNumAtoms() for s in SMILES)
    n_bonds = sum(Chem.MolFromSmiles(s).GetNumBonds() for s in SMILES)
    assert batch.num_graphs == len(SMILES)
    assert batch.x.shape == (n_atoms, len(VOCAB.atom_types))
    assert batch.edge_index.shape == (2, 2 * n_bonds)
    assert batch.edge_attr.shape == (2 * n_bonds, 3)
    assert (batch.x.sum(-1) == 1).all() and (batch.edge_attr.sum(-1) == 1).all()
    # C#N: one triple bond, both directions
    graph = batch.get_example(2)
    assert graph.edge_attr.tolist() == [[0, 0, 1], [0, 0, 1]]
    assert sorted(graph.edge_index.t().tolist()) == [[0, 1], [1, 0]]


def test_round_trip(encoded):
    batch = to_pyg_batch(torch.from_numpy(encoded.nodes), torch.from_numpy(encoded.adj), VOCAB)
    nodes, adj = from_pyg_batch(batch, VOCAB, VOCAB.max_atoms)
    assert nodes.dtype == adj.dtype == np.uint8
    assert (nodes == encoded.nodes).all() and (adj == encoded.adj).all()


def test_mols_to_pyg_keeps_positions_of_unfit_molecules():
    batch = mols_to_pyg([Chem.MolFromSmiles("CCl"), None, Chem.MolFromSmiles("CO")], VOCAB)
    assert batch.num_graphs == 3
    assert batch.ptr.tolist() == [0, 0, 0, 2]
    nodes, adj = from_pyg_batch(batch, VOCAB, VOCAB.max_atoms)
    assert (nodes[:2] == 0).all() and (nodes[2] > 0).sum() == 2 and adj[2, 0, 1] == 1


def test_graph_larger_than_max_atoms_is_refused(encoded):
    batch = to_pyg_batch(encoded.nodes, encoded.adj, VOCAB)
    with pytest.raises(ValueError, match="max_atoms"):
        from_pyg_batch(batch, VOCAB, max_atoms=3)
