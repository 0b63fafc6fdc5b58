import itertools

import numpy as np
import pytest
from rdkit import Chem

from molgan.data.datasets import bundled_file
from molgan.chem.mol import canonical_key, to_mol
from molgan.chem.graphs import (
    EMPTY_MOLECULE,
    TOO_MANY_ATOMS,
    UNSUPPORTED_ATOM,
    decode_graphs,
    encode_mols,
    to_smiles,
)
from molgan.data.readers import iter_molecules
from molgan.chem.vocab import QM9_VOCABULARY, Vocabulary

ROUND_TRIPS = [
    "CCO",
    "C#N",
    "CC#CC=O",
    "C1CC1",
    "C1CC2CC1C2",
    "c1ccccc1",
    "c1cc[nH]c1",
    "c1ccncc1",
    "Cc1ccc(O)cc1",
    "c1ccc2ccccc2c1",
    "O=C1CC2CC(O2)C1=O",
    "C[N+](C)(C)C",
    "[O-][N+](=O)c1ccccc1",
    "CC(=O)[O-]",
    "[NH3+]CC(=O)[O-]",
    "FC(F)(F)Cl",
    "O=S(=O)(O)c1ccccc1",
]
VOCAB = Vocabulary.from_mols([Chem.MolFromSmiles(s) for s in ROUND_TRIPS])


@pytest.mark.parametrize("smiles", ROUND_TRIPS)
@pytest.mark.parametrize("ordering", ["canonical", "input"])
def test_round_trip(smiles, ordering):
    encoded = encode_mols([Chem.MolFromSmiles(smiles)], VOCAB, ordering=ordering)
    assert encoded.failures == [None]
    assert to_smiles(decode_graphs(encoded.nodes, encoded.adj, VOCAB)) == [canonical_key(Chem.MolFromSmiles(smiles))]


def test_shapes_and_symmetry():
    encoded = encode_mols([Chem.MolFromSmiles(s) for s in ROUND_TRIPS], VOCAB)
    n = VOCAB.max_atoms
    assert encoded.nodes.shape == (len(ROUND_TRIPS), n) and encoded.nodes.dtype == np.uint8
    assert encoded.adj.shape == (len(ROUND_TRIPS), n, n) and encoded.adj.dtype == np.uint8
    assert (encoded.adj == encoded.adj.transpose(0, 2, 1)).all()
    assert (np.diagonal(encoded.adj, axis1=1, axis2=2) == 0).all()
    assert encoded.adj.max() == 3  # kekulized: no aromatic bond type


def test_invalid_smiles():
    assert to_mol("C1CC") is None
    assert to_mol("not a molecule") is None
    encoded = encode_mols([None], VOCAB)
    assert encoded.failures == [EMPTY_MOLECULE]
    assert not encoded.ok.any()


def test_known_failure_kinds_with_the_qm9_vocabulary():
    mols = [Chem.MolFromSmiles(s) for s in ("CCCl", "CCCCCCCCCC", "CC.O", "CCO")]
    encoded = encode_mols(mols, QM9_VOCABULARY)
    assert encoded.failures == [UNSUPPORTED_ATOM, TOO_MANY_ATOMS, None, None]
    assert (encoded.nodes[:2] == 0).all() and (encoded.adj[:2] == 0).all()
    # a several-fragment molecule encodes, but decodes to None when graphs must be connected
    decoded = decode_graphs(encoded.nodes[2:], encoded.adj[2:], QM9_VOCABULARY)
    assert decoded[0] is None and Chem.MolToSmiles(decoded[1]) == "CCO"
    loose = decode_graphs(encoded.nodes[2:3], encoded.adj[2:3], QM9_VOCABULARY, connected=False)
    assert Chem.MolToSmiles(loose[0]) == "CC.O"


def test_decode_invalid_graphs_gives_none():
    c = QM9_VOCABULARY.atom_index()[("C", 0)]
    f = QM9_VOCABULARY.atom_index()[("F", 0)]
    nodes = np.zeros((3, 9), np.uint8)
    adj = np.zeros((3, 9, 9), np.uint8)
    nodes[1, :2] = f  # F=F: too many bonds on fluorine
    adj[1, 0, 1] = adj[1, 1, 0] = 2
    nodes[2, 0] = c  # a bond to an empty slot is ignored
    adj[2, 0, 5] = adj[2, 5, 0] = 1
    decoded = decode_graphs(nodes, adj, QM9_VOCABULARY)
    assert decoded[0] is None and decoded[1] is None
    assert Chem.MolToSmiles(decoded[2]) == "C"
    with pytest.raises(ValueError):
        decode_graphs(nodes + 9, adj, QM9_VOCABULARY)


def test_qm9_round_trip_is_exact_on_thousands():
    mols = [m for _, m, _ in itertools.islice(iter_molecules(bundled_file("qm9.csv.gz"), "smiles"), 3000)]
    encoded = encode_mols(mols, QM9_VOCABULARY)
    assert encoded.ok.mean() >= 0.999
    decoded = to_smiles(decode_graphs(encoded.nodes, encoded.adj, QM9_VOCABULARY))
    expected = [Chem.MolToSmiles(m, isomericSmiles=False) for m in mols]
    exact = sum(d == e for d, e, ok in zip(decoded, expected, encoded.ok) if ok)
    assert exact / len(mols) >= 0.999
