import gzip

import numpy as np
import pytest
import torch
from rdkit import Chem

from molgan.chem.graphs import encode_mols
from molgan.chem.vocab import QM9_VOCABULARY, Vocabulary
from molgan.data.datasets import bundled_file
from molgan.data.featurize import featurize
from molgan.data.packed import PackedAdjacency, num_pairs, pack_bonds, unpack_bonds, widen_bonds
from molgan.training.loop import TrainingData, _graph_tensors

from conftest import SMALL_SMILES


@pytest.fixture(scope="module")
def encoded():
    return encode_mols([Chem.MolFromSmiles(s) for s in SMALL_SMILES], QM9_VOCABULARY)


def test_packing_gives_the_encoded_graphs_back(encoded):
    packed = PackedAdjacency.from_dense(encoded.adj)
    n = QM9_VOCABULARY.max_atoms
    assert packed.bonds.shape == (len(SMALL_SMILES), num_pairs(n)) and packed.bonds.dtype == np.uint8
    assert packed.shape == encoded.adj.shape and len(packed) == len(encoded.adj)
    dense = packed[:]
    assert dense.dtype == np.uint8 and np.array_equal(dense, encoded.adj)
    assert np.array_equal(dense, dense.transpose(0, 2, 1))
    index = np.array([3, 0, 3, 7])
    assert np.array_equal(packed[index], encoded.adj[index])
    assert np.array_equal(packed[-1], encoded.adj[-1]) and np.array_equal(packed[2], encoded.adj[2])
    assert np.array_equal(packed.take(index).bonds, packed.bonds[index])
    assert np.array_equal(np.asarray(packed), encoded.adj)


def test_fewer_slots_widen_to_a_prefix():
    adj = np.zeros((1, 3, 3), np.uint8)
    adj[0, 0, 2] = adj[0, 2, 0] = 2
    adj[0, 1, 2] = adj[0, 2, 1] = 1
    wide = unpack_bonds(widen_bonds(pack_bonds(adj), 5), 5)
    assert np.array_equal(wide[:, :3, :3], adj) and not wide[:, 3:].any() and not wide[:, :, 3:].any()


def test_batches_densify_only_what_they_draw(encoded):
    data = TrainingData(encoded.nodes, encoded.adj, QM9_VOCABULARY)
    assert isinstance(data.adj, PackedAdjacency) and len(data) == len(SMALL_SMILES)
    index = torch.randint(0, len(data), (16,), generator=torch.Generator().manual_seed(0)).numpy()
    nodes, adj = _graph_tensors(data, index)
    dense_nodes = torch.from_numpy(encoded.nodes.astype(np.int64))
    dense_adj = torch.from_numpy(encoded.adj.astype(np.int64))
    assert nodes.dtype == adj.dtype == torch.int64
    assert torch.equal(nodes, dense_nodes[index]) and torch.equal(adj, dense_adj[index])


def _sample_lines(n: int) -> list[str]:
    """The header and the first ``n`` records of the bundled MOSES sample (``moses_index,smiles``)."""
    with gzip.open(bundled_file("moses_sample.csv.gz"), "rt") as handle:
        return handle.read().split("\n")[: n + 1]


def test_chunks_on_workers_match_one_pass_and_stay_compact(tmp_path):
    """Several chunks (each with its own inferred atom types and size) on two processes: the same arrays as
    one in-process pass, in less than half the bytes of dense graphs."""
    path = tmp_path / "mols.csv"
    path.write_text("\n".join(_sample_lines(300) + ["0,CCO", "0,OCC"]) + "\n")
    one = featurize(path, "mols", None, fragments="skip", vocab=None, max_atoms=None, jobs=1, chunk=10_000)
    many = featurize(path, "mols", None, fragments="skip", vocab=None, max_atoms=None, jobs=2, chunk=60)
    assert many.smiles == one.smiles and many.vocab == one.vocab and many.skipped == one.skipped
    assert np.array_equal(many.nodes, one.nodes) and np.array_equal(many.bonds, one.bonds)
    assert many.skipped["duplicate"] == 1
    m, n = len(one.smiles), one.vocab.max_atoms
    assert many.bonds.nbytes == m * num_pairs(n)
    assert many.nodes.nbytes + many.bonds.nbytes <= m * (n + n * n) / 2  # half of nodes [M, N] + adj [M, N, N]


def test_given_vocabulary_is_kept_and_checked(tmp_path):
    path = tmp_path / "mols.smi"
    path.write_text("CCO\nC1CC1\nCCCl\n")
    done = featurize(path, "mols", None, fragments="skip", vocab=QM9_VOCABULARY, max_atoms=None, jobs=1)
    assert done.vocab == QM9_VOCABULARY and done.smiles == ["CCO", "C1CC1"]
    assert done.skipped["unsupported_atom"] == 1
    path.write_text("CCO\nCO\nCCCl\n")
    done = featurize(path, "mols", None, fragments="skip", vocab=None, max_atoms=2, jobs=1, chunk=1)
    assert done.smiles == ["CO"] and done.skipped["too_many_atoms"] == 2
    assert done.vocab == Vocabulary(atom_types=(("C", 0), ("O", 0)), max_atoms=2)


def test_the_initial_pool_decodes_in_chunks(monkeypatch, tiny_data):
    from molgan.training import loop

    def size(mols):
        return np.array([0.0 if m is None else m.GetNumAtoms() for m in mols])

    whole = loop._initial_pool(tiny_data, size, 4)
    monkeypatch.setattr(loop, "_POOL_CHUNK", 2)
    chunked = loop._initial_pool(tiny_data, size, 4)
    assert chunked.smiles == whole.smiles and np.array_equal(chunked.scores, whole.scores)
