"""Streaming decoding (molgan.sampling.stream) and `molgan sample` at scale: same output for any --jobs."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from rdkit import Chem
from typer.testing import CliRunner

from molgan.chem.graphs import decode_graphs, encode_mols, to_smiles
from molgan.sampling.stream import BlockDecoder, graph_keys, stream_raw
from molgan.chem.vocab import QM9_VOCABULARY

SMILES = ["CCO", "c1ccccc1", "CC(=O)O", "C#N", "OC1CC1", "NC=O", "CC(C)(C)O", "c1ccncc1", "FC(F)F", "O=CC=O"]


@pytest.fixture(scope="module")
def graphs() -> tuple[np.ndarray, np.ndarray]:
    """Encoded QM9-like molecules, repeated, plus an empty graph and a pentavalent carbon."""
    encoded = encode_mols([Chem.MolFromSmiles(s) for s in SMILES], QM9_VOCABULARY)
    nodes, adj = encoded.nodes, encoded.adj
    carbon = QM9_VOCABULARY.atom_index()[("C", 0)]
    bad_nodes = np.zeros((2, nodes.shape[1]), dtype=nodes.dtype)
    bad_adj = np.zeros((2, *adj.shape[1:]), dtype=adj.dtype)
    bad_nodes[1, :6] = carbon  # C bonded to five carbons: not a molecule
    bad_adj[1, 0, 1:6] = bad_adj[1, 1:6, 0] = 1
    order = np.random.default_rng(0).integers(0, len(nodes) + 2, size=300)
    all_nodes, all_adj = np.concatenate([nodes, bad_nodes]), np.concatenate([adj, bad_adj])
    return all_nodes[order], all_adj[order]


def _blocks(nodes: np.ndarray, adj: np.ndarray, size: int = 64) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(nodes[i : i + size], adj[i : i + size]) for i in range(0, len(nodes), size)]


def test_graph_keys_equal_exactly_for_equal_graphs(graphs):
    nodes, adj = graphs
    keys = graph_keys(nodes, adj)
    assert len(keys) == len(nodes)
    for i in range(0, len(nodes), 7):
        for j in range(0, len(nodes), 11):
            same = np.array_equal(nodes[i], nodes[j]) and np.array_equal(adj[i], adj[j])
            assert (keys[i] == keys[j]) == same


@pytest.mark.parametrize("cache_bytes", [0, 2_000, 10**8])
def test_block_decoder_matches_plain_decoding(graphs, cache_bytes):
    """Remembering graphs (with the memory cap forcing clears, or not) never changes the SMILES."""
    nodes, adj = graphs
    expected = to_smiles(decode_graphs(nodes, adj, QM9_VOCABULARY))
    assert None in expected and any(expected)
    decoder = BlockDecoder(QM9_VOCABULARY, cache_bytes=cache_bytes)
    for _ in range(2):  # the second pass is all repeats
        got = [s for block in _blocks(nodes, adj) for s in decoder(block)]
        assert got == expected
    assert decoder((nodes[:0], adj[:0])) == []


def test_stream_raw_same_blocks_for_any_jobs(graphs):
    nodes, adj = graphs
    one = list(stream_raw(iter(_blocks(nodes, adj)), QM9_VOCABULARY, jobs=1))
    two = list(stream_raw(iter(_blocks(nodes, adj)), QM9_VOCABULARY, jobs=2))
    assert one == two
    assert [s for block in one for s in block] == to_smiles(decode_graphs(nodes, adj, QM9_VOCABULARY))


# --- the real command ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def model_dir(tiny_model_dir):
    """The session's tiny model (conftest): some valid molecules, categorical decoding, varied graphs."""
    return tiny_model_dir / "last"


def _sample(model_dir, out, *args: str) -> bytes:
    from molgan.cli.main import app

    result = CliRunner().invoke(app, ["sample", "--model", str(model_dir), "--output", str(out), "-q", *args])
    assert result.exit_code == 0, result.output
    return gzip.decompress(out.read_bytes()) if out.suffix == ".gz" else out.read_bytes()


@pytest.mark.slow  # over 5 s here (real processes)
@pytest.mark.parametrize("mode", [["--raw", "--num", "2500"], ["--num", "300", "--seed", "3"]])
def test_sample_same_file_for_any_jobs(model_dir, tmp_path, mode):
    """Blocks are decoded in parallel but written in order: --jobs 1 and --jobs 2 give the same bytes."""
    one = _sample(model_dir, tmp_path / "one.smi.gz", "--jobs", "1", *mode)
    two = _sample(model_dir, tmp_path / "two.smi.gz", "--jobs", "2", *mode)
    assert one == two
    assert one.count(b"\n") == int(mode[mode.index("--num") + 1])
