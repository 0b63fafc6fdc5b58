"""The aromatic bond representation: aromatic bonds as bond type 4, ``[nH]``-like atoms as atom types."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from rdkit import Chem
from typer.testing import CliRunner

from conftest import TINY_TOML

from molgan.chem.graphs import decode_graphs, encode_mols, to_smiles
from molgan.chem.vocab import AROMATIC_BOND_TYPES, BOND_TYPES, QM9_VOCABULARY, Vocabulary, VocabularyError
from molgan.cli.main import app
from molgan.training.losses import max_valences, valence_penalty

AROMATIC_SMILES = [
    "c1cc[nH]c1",  # pyrrole
    "c1ccncc1",  # pyridine
    "c1ccsc1",  # thiophene
    "c1ccoc1",  # furan
    "C[n+]1ccccc1",  # N-methylpyridinium
    "c1cc[nH+]cc1",  # pyridinium
    "c1cc[n-]c1",  # pyrrolide
    "c1ccc2[nH]ccc2c1",  # indole
    "c1ccc2ccccc2c1",  # naphthalene
    "c1ccc2c(c1)[nH]c1ccccc12",  # carbazole
    "Cc1ncc[nH]1",  # methylimidazole
    "O=c1cccc[nH]1",  # 2-pyridone
    "CC(=O)Nc1ccc(O)cc1",  # paracetamol
    "Cn1cnc2c1c(=O)n(C)c(=O)n2C",  # caffeine
]


@pytest.fixture(scope="module")
def mols():
    return [Chem.MolFromSmiles(s) for s in AROMATIC_SMILES]


@pytest.fixture(scope="module")
def vocab(mols):
    return Vocabulary.from_mols(mols, bonds="aromatic")


def test_vocabulary_has_aromatic_bonds_and_hydrogen_atom_types(vocab):
    assert vocab.bond_types == AROMATIC_BOND_TYPES and vocab.aromatic and vocab.bonds == "aromatic"
    assert vocab.num_bond_types == 5
    assert ("N", 0, 1) in vocab.atom_types and ("N", 1, 1) in vocab.atom_types
    assert "nH" in vocab.atom_labels() and "nH+" in vocab.atom_labels()


@pytest.mark.parametrize("ordering", ["canonical", "input"])
def test_aromatic_molecules_round_trip_exactly(mols, vocab, ordering):
    encoded = encode_mols(mols, vocab, ordering=ordering)
    assert encoded.ok.all()
    assert (encoded.adj == 4).any() and encoded.adj.max() == 4
    assert to_smiles(decode_graphs(encoded.nodes, encoded.adj, vocab)) == [Chem.CanonSmiles(s) for s in AROMATIC_SMILES]


def test_pyrrole_nitrogen_has_its_own_type(vocab):
    encoded = encode_mols([Chem.MolFromSmiles("c1cc[nH]c1"), Chem.MolFromSmiles("c1ccncc1")], vocab)
    index = vocab.atom_index()
    assert index[("N", 0, 1)] in encoded.nodes[0] and index[("N", 0)] in encoded.nodes[1]
    assert np.count_nonzero(np.triu(encoded.adj[0]) == 4) == 5


def test_kekule_input_encodes_like_aromatic_input(vocab):
    a = encode_mols([Chem.MolFromSmiles("C1=CNC=C1")], vocab)
    b = encode_mols([Chem.MolFromSmiles("c1cc[nH]c1")], vocab)
    assert np.array_equal(a.nodes, b.nodes) and np.array_equal(a.adj, b.adj)


def test_graphs_that_do_not_kekulize_or_leave_a_ring_are_invalid(vocab):
    index = vocab.atom_index()
    c, n = index[("C", 0)], index[("N", 0)]
    nodes = np.zeros((3, 5), dtype=np.uint8)
    adj = np.zeros((3, 5, 5), dtype=np.uint8)
    ring = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0)]
    nodes[0] = [c, c, c, n, c]  # pyrrole without its H: no kekulé structure
    nodes[1] = [c, c, c, index[("N", 0, 1)], c]  # pyrrole
    nodes[2, :2] = c  # an aromatic bond outside any ring
    for i, j in ring:
        adj[:2, i, j] = adj[:2, j, i] = 4
    adj[2, 0, 1] = adj[2, 1, 0] = 4
    assert to_smiles(decode_graphs(nodes, adj, vocab)) == [None, "c1cc[nH]c1", None]


def test_vocabulary_json_round_trip_keeps_the_option(vocab, tmp_path):
    vocab.save(tmp_path / "vocab.json")
    assert Vocabulary.load(tmp_path / "vocab.json") == vocab
    data = json.loads((tmp_path / "vocab.json").read_text())
    assert data["bond_types"][-1] == "aromatic" and ["N", 0, 1] in data["atom_types"]


def test_kekule_stays_the_default():
    old = {"atom_types": [["C", 0], ["N", 0]], "max_atoms": 6}  # a vocabulary file from before the option
    vocab = Vocabulary.from_dict(old)
    assert vocab.bond_types == BOND_TYPES and not vocab.aromatic and vocab.bonds == "kekule"
    assert QM9_VOCABULARY.to_dict()["atom_types"][0] == ["C", -1] and QM9_VOCABULARY.bond_types == BOND_TYPES
    assert Vocabulary.from_mols([Chem.MolFromSmiles("c1cc[nH]c1")]).atom_types == (("C", 0), ("N", 0))
    encoded = encode_mols([Chem.MolFromSmiles("c1ccccc1")], Vocabulary.from_dict(old))
    assert sorted(np.unique(encoded.adj).tolist()) == [0, 1, 2]


@pytest.mark.parametrize(
    "data",
    [
        {"atom_types": [["N", 0, 1]], "max_atoms": 3},  # hydrogens without aromatic bonds
        {"atom_types": [["N", 0, 0]], "max_atoms": 3, "bond_types": list(AROMATIC_BOND_TYPES)},
        {"atom_types": [["C", 0]], "max_atoms": 3, "bond_types": ["none", "single", "aromatic"]},
    ],
)
def test_malformed_aromatic_vocabularies_are_refused(data):
    with pytest.raises(VocabularyError):
        Vocabulary.from_dict(data)


def test_valence_penalty_counts_an_aromatic_bond_as_one(vocab):
    limits = max_valences(vocab)
    index = vocab.atom_index()
    assert limits[index[("N", 0, 1)]] == 2 and limits[index[("N", 0)]] == 3 and limits[index[("O", 0)]] == 2
    # real aromatic molecules (furan's O, ring-fusion carbons, [nH]) are not penalised
    encoded = encode_mols([Chem.MolFromSmiles(s) for s in AROMATIC_SMILES], vocab)
    nodes = F.one_hot(torch.from_numpy(encoded.nodes).long(), vocab.num_node_types).float()
    edges = F.one_hot(torch.from_numpy(encoded.adj).long(), vocab.num_bond_types).float()
    assert valence_penalty(nodes, edges, limits) == 0
    # by hand: O=C and O:C, O carries 2 + 1 = 3 against 2 (excess 1, squared 1), the carbons 2 and 1
    # against 4 (none); the mean is over B * N = 3 slots
    o, c = index[("O", 0)], index[("C", 0)]
    nodes = F.one_hot(torch.tensor([[o, c, c]]), vocab.num_node_types).float()
    adj = torch.tensor([[[0, 2, 4], [2, 0, 0], [4, 0, 0]]])
    edges = F.one_hot(adj, vocab.num_bond_types).float()
    assert valence_penalty(nodes, edges, limits).item() == pytest.approx(1.0 / 3)
    # the [nH] type: two aromatic bonds use its 3 - 1 = 2; a third (1) is excess 1
    nh = index[("N", 0, 1)]
    nodes = F.one_hot(torch.tensor([[nh, c, c, c]]), vocab.num_node_types).float()
    adj = torch.tensor([[[0, 4, 4, 4], [4, 0, 0, 0], [4, 0, 0, 0], [4, 0, 0, 0]]])
    edges = F.one_hot(adj, vocab.num_bond_types).float()
    assert valence_penalty(nodes, edges, limits).item() == pytest.approx(1.0 / 4)


def test_moses_sample_keeps_every_molecule_with_aromatic_bonds():
    from molgan.data.datasets import load_dataset

    kekule, aromatic = load_dataset("moses-sample"), load_dataset("moses-sample", bonds="aromatic")
    assert aromatic.vocab.aromatic and not kekule.vocab.aromatic
    assert len(aromatic) == len(kekule) == aromatic.report.n_read
    assert aromatic.cache_file != kekule.cache_file
    assert "nH" in aromatic.report.atom_types
    index = aromatic.split("train")[:50]
    assert to_smiles(decode_graphs(aromatic.nodes[index], aromatic.adj[index], aromatic.vocab)) == [
        aromatic.smiles[i] for i in index
    ]


def test_train_on_moses_sample_with_aromatic_bonds_and_sample_without_a_flag(tmp_path):
    runner = CliRunner()
    (tmp_path / "tiny.toml").write_text(TINY_TOML.replace("[train]\n", '[train]\nbonds = "aromatic"\n'))
    out = tmp_path / "run"
    result = runner.invoke(app, [
        "train", "--data", "moses-sample", "--config", str(tmp_path / "tiny.toml"), "--out", str(out),
        "--steps", "4", "--eval-every", "2", "--checkpoint-every", "2", "--quiet",
    ])
    assert result.exit_code == 0, result.output
    from molgan.checkpoint import load_checkpoint

    last = load_checkpoint(out / "last")
    assert last.vocab.aromatic and last.vocab.num_bond_types == 5 and last.config.train.bonds == "aromatic"
    result = runner.invoke(app, ["sample", "--model", str(out / "last"), "--num", "20", "--seed", "0", "--raw",
                                 "--output", str(tmp_path / "raw.csv")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "raw.csv").read_text().count("\n") >= 20


def test_bonds_flag_of_data_info():
    result = CliRunner().invoke(app, ["data", "info", "moses-sample", "--bonds", "aromatic", "--json"])
    assert result.exit_code == 0, result.output
    assert "nH" in json.loads(result.stdout)["atom_types"]
    result = CliRunner().invoke(app, ["data", "info", "moses-sample", "--bonds", "resonant"])
    assert result.exit_code != 0
