"""Property-based tests: readers only raise molgan's documented errors, decoding never raises, and the
valence correction (molgan.chem.correction) fixes over-bonded atoms without hurting validity."""

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdkit import Chem

from molgan.chem.correction import allowed_valence, correct_valence
from molgan.errors import MolganError
from molgan.chem.graphs import decode_graphs
from molgan.data.readers import read_molecules
from molgan.chem.vocab import QM9_VOCABULARY

SETTINGS = settings(max_examples=50, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
VOCAB = QM9_VOCABULARY
N = VOCAB.max_atoms

tokens = st.sampled_from(list("CNOFcnos()[]=#+-.123456789@/\\ \t,\"'\r\n\x00") + ["\ufeff", "é", "CCO", "c1ccccc1", "smiles,", "$$$$\n"])
smiles_like = st.lists(tokens, max_size=80).map("".join)


@SETTINGS
@given(text=smiles_like | st.text(max_size=100) | st.binary(max_size=200),
       suffix=st.sampled_from([".smi", ".csv", ".tsv", ".sdf", ".txt"]))
def test_readers_raise_only_documented_errors(text, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        try:
            result = read_molecules(path)
        except MolganError:
            return
        assert len(result.mols) == len(result.smiles) == len(result.records) > 0
        assert all(m is not None and m.GetNumAtoms() > 0 for m in result.mols)


@st.composite
def graphs(draw, batch=8):
    nodes = draw(st.lists(st.integers(0, VOCAB.num_node_types - 1), min_size=batch * N, max_size=batch * N))
    pairs = N * (N - 1) // 2
    bonds = draw(st.lists(st.integers(0, VOCAB.num_bond_types - 1), min_size=batch * pairs, max_size=batch * pairs))
    adj = np.zeros((batch, N, N), dtype=np.int64)
    rows, cols = np.triu_indices(N, 1)
    adj[:, rows, cols] = np.array(bonds).reshape(batch, pairs)
    return np.array(nodes).reshape(batch, N), adj + adj.transpose(0, 2, 1)


@SETTINGS
@given(graph=graphs(), connected=st.booleans(), correct=st.booleans())
def test_decode_graphs_never_raises(graph, connected, correct):
    nodes, adj = graph
    mols = decode_graphs(nodes, adj, VOCAB, connected=connected, correct=correct)
    assert len(mols) == len(nodes)
    for mol, row in zip(mols, nodes):
        assert mol is None or isinstance(mol, Chem.Mol)
        if mol is not None:
            assert mol.GetNumAtoms() == int((row > 0).sum())
            if connected:
                assert len(Chem.GetMolFrags(mol)) == 1


@SETTINGS
@given(graph=graphs())
def test_correction_never_lowers_validity(graph):
    nodes, adj = graph
    plain = decode_graphs(nodes, adj, VOCAB, connected=False)
    corrected = decode_graphs(nodes, adj, VOCAB, connected=False, correct=True)
    assert sum(m is not None for m in corrected) >= sum(m is not None for m in plain)
    for before, after in zip(plain, corrected):  # an already valid graph is left as it is
        if before is not None:
            assert Chem.MolToSmiles(after) == Chem.MolToSmiles(before)


def test_correction_on_many_random_graphs():
    rng = np.random.default_rng(0)
    nodes = rng.integers(0, VOCAB.num_node_types, (500, N))
    adj = np.triu(rng.integers(0, VOCAB.num_bond_types, (500, N, N)) * (rng.random((500, N, N)) < 0.3), 1)
    adj = adj + adj.transpose(0, 2, 1)
    plain = sum(m is not None for m in decode_graphs(nodes, adj, VOCAB, connected=False))
    corrected = decode_graphs(nodes, adj, VOCAB, connected=False, correct=True)
    assert sum(m is not None for m in corrected) > plain
    for mol in corrected:
        if mol is not None:
            assert all(atom.GetExplicitValence() <= allowed_valence(atom) for atom in mol.GetAtoms())


def unsanitized(atoms, bonds):
    mol = Chem.RWMol()
    for symbol, charge in atoms:
        atom = Chem.Atom(symbol)
        atom.SetFormalCharge(charge)
        mol.AddAtom(atom)
    for i, j, kind in bonds:
        mol.AddBond(i, j, kind)
    return mol


def test_a_carbon_with_five_bonds_is_fixed():
    mol = unsanitized([("C", 0)] * 6, [(0, k, Chem.BondType.SINGLE) for k in range(1, 6)])
    fixed = correct_valence(mol)
    assert isinstance(fixed, Chem.RWMol)
    assert fixed.GetAtomWithIdx(0).GetDegree() == 4
    Chem.SanitizeMol(fixed)
    assert len(Chem.GetMolFrags(fixed)) == 2  # fragments are decode's business, not the correction's


@pytest.mark.parametrize(
    "atoms, bonds, expected",
    [
        # O with a triple bond: triple -> double
        ([("C", 0), ("O", 0)], [(0, 1, Chem.BondType.TRIPLE)], "C=O"),
        # F with a double bond: double -> single
        ([("C", 0), ("F", 0)], [(0, 1, Chem.BondType.DOUBLE)], "CF"),
        # N+ may carry four bonds, N only three: the highest-order bond goes down first
        ([("N", 1), ("C", 0), ("C", 0), ("C", 0)], [(0, 1, Chem.BondType.DOUBLE), (0, 2, 1), (0, 3, 1)], "C=[N+](C)C"),
        ([("N", 0), ("C", 0), ("C", 0), ("C", 0)], [(0, 1, Chem.BondType.DOUBLE), (0, 2, 1), (0, 3, 1)], "CN(C)C"),
        # O- takes one bond only
        ([("O", -1), ("C", 0), ("C", 0)], [(0, 1, Chem.BondType.SINGLE), (0, 2, Chem.BondType.SINGLE)], None),
    ],
)
def test_correction_lowers_the_highest_order_bond(atoms, bonds, expected):
    bonds = [(i, j, Chem.BondType.SINGLE if kind == 1 else kind) for i, j, kind in bonds]
    fixed = correct_valence(unsanitized(atoms, bonds))
    Chem.SanitizeMol(fixed)
    if expected is not None:
        assert Chem.MolToSmiles(fixed) == Chem.CanonSmiles(expected)
    assert all(a.GetExplicitValence() <= allowed_valence(a) for a in fixed.GetAtoms())


def test_correction_leaves_valid_molecules_alone():
    mol = Chem.MolFromSmiles("CC(=O)O")
    Chem.Kekulize(mol, clearAromaticFlags=True)
    assert Chem.MolToSmiles(correct_valence(Chem.RWMol(mol))) == "CC(=O)O"
