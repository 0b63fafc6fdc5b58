import gzip
import itertools
import json

import numpy as np
import pytest

from molgan.data import datasets
from molgan.data.datasets import LoadReport, bundled_file, load_dataset, make_split
from molgan.errors import InputError, NothingUsableError
from molgan.chem.graphs import decode_graphs, to_smiles
from molgan.chem.vocab import QM9_VOCABULARY

MIXED = """smiles,id
CCO,1
OCC,2
C[C@H](O)CC,3
c1ccccc1,4
CC.O,5
not_a_smiles,6
CCCl,7
CCCCCCCCCCC,8
[O-][N+](=O)C,9
"""


@pytest.fixture
def mixed(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(MIXED)
    return path


def test_report_counts_every_kind_of_loss(mixed, tmp_path):
    data = load_dataset(mixed, vocab=QM9_VOCABULARY, cache_dir=tmp_path / "cache")
    report = data.report
    assert data.smiles == ["CCO", "CCC(C)O", "c1ccccc1", "C[N+](=O)[O-]"]
    assert (report.n_read, report.n_valid, report.n_representable, report.n_roundtrip_exact) == (9, 8, 4, 4)
    assert report.n_kept == len(data) == 4
    assert report.skipped == {
        "duplicate": 1,
        "several_fragments": 1,
        "too_many_atoms": 1,
        "unparsable_smiles": 1,
        "unsupported_atom": 1,
    }
    assert report.roundtrip_exactness == 1.0
    assert report.to_dict()["atom_types"] == QM9_VOCABULARY.atom_labels()
    assert data.nodes.shape == (4, 9) and data.adj.shape == (4, 9, 9)
    assert data.nodes.dtype == data.adj.dtype == np.uint8
    assert to_smiles(decode_graphs(data.nodes, data.adj, data.vocab)) == data.smiles


def test_inferred_vocabulary_max_atoms_and_largest_fragment(mixed, tmp_path):
    data = load_dataset(mixed, max_atoms=6, fragments="largest", cache=False)
    assert data.vocab.max_atoms == 6
    assert data.vocab.atom_labels() == ["C", "N+", "O-", "O", "Cl"]
    assert data.report.skipped["fragments_reduced"] == 1
    assert data.report.skipped["too_many_atoms"] == 1
    assert "CCCl" in data.smiles and "CC" in data.smiles


def test_splits_are_seeded_disjoint_and_complete(tmp_path):
    splits = make_split(101, seed=3)
    assert [len(splits[k]) for k in ("train", "valid", "test")] == [81, 10, 10]
    joined = np.concatenate(list(splits.values()))
    assert sorted(joined.tolist()) == list(range(101))
    assert all((make_split(101, seed=3)[k] == v).all() for k, v in splits.items())
    assert not (make_split(101, seed=4)["test"] == splits["test"]).all()
    with pytest.raises(InputError):
        make_split(10, 0, (0.5, 0.5, 0.5))


def test_cache_hit_and_corrupted_cache(mixed, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = load_dataset(mixed, vocab=QM9_VOCABULARY, cache_dir=cache, split_seed=1, split_fractions=(0.5, 0.25, 0.25))
    assert first.cache_file is not None and first.cache_file.is_file()
    assert sorted(p.suffix for p in cache.iterdir()) == [".json", ".npz", ".npz"]
    assert not list(cache.glob("*.tmp"))

    def no_featurizing(*args, **kwargs):
        raise AssertionError("the cache was not used")

    with monkeypatch.context() as patch:
        patch.setattr(datasets, "_featurize", no_featurizing)
        second = load_dataset(mixed, vocab=QM9_VOCABULARY, cache_dir=cache, split_seed=1, split_fractions=(0.5, 0.25, 0.25))
    assert second.smiles == first.smiles
    assert (second.adj.bonds == first.adj.bonds).all() and (second.nodes == first.nodes).all()
    assert second.report == first.report and second.vocab == first.vocab
    assert all((second.split(k) == first.split(k)).all() for k in ("train", "valid", "test"))

    first.cache_file.write_bytes(b"PK\x03\x04 this is not a zip file")
    rebuilt = load_dataset(mixed, vocab=QM9_VOCABULARY, cache_dir=cache, split_seed=1, split_fractions=(0.5, 0.25, 0.25))
    assert rebuilt.smiles == first.smiles
    np.load(rebuilt.cache_file, allow_pickle=False).close()  # rewritten, and no pickle inside

    mixed.write_text(MIXED + "C#N,10\n")  # a changed source is featurized again
    assert "C#N" in load_dataset(mixed, vocab=QM9_VOCABULARY, cache_dir=cache).smiles


def test_metadata_is_json(mixed, tmp_path):
    data = load_dataset(mixed, vocab=QM9_VOCABULARY, cache_dir=tmp_path)
    meta = json.loads(data.cache_file.with_suffix(".json").read_text())
    assert meta["report"]["n_kept"] == 4 and meta["vocab"] == QM9_VOCABULARY.to_dict()


def test_nothing_fits(tmp_path):
    path = tmp_path / "chlorides.smi"
    path.write_text("CCl\nClCCl\n")
    with pytest.raises(NothingUsableError, match="unsupported_atom"):
        load_dataset(path, vocab=QM9_VOCABULARY, cache=False)


def test_bad_options(mixed):
    with pytest.raises(InputError):
        load_dataset(mixed, fragments="all")
    with pytest.raises(InputError, match="file not found"):
        load_dataset(mixed.parent / "missing.csv")


def test_qm9_subset_is_exact(tmp_path):
    with gzip.open(bundled_file("qm9.csv.gz"), "rt") as handle:
        lines = list(itertools.islice(handle, 3001))
    path = tmp_path / "qm9_head.csv"
    path.write_text("".join(lines))
    data = load_dataset(path, vocab=QM9_VOCABULARY, cache=False)
    assert data.report.n_read == 3000
    assert data.report.n_roundtrip_exact / data.report.n_representable >= 0.999
    assert data.report.n_kept >= 0.99 * 3000


def test_the_shipped_qm9_graphs_are_a_fresh_encoding_and_are_read_at_the_first_load(tmp_path, monkeypatch):
    """The first rows of datasets/graphs equal an encoding of the first QM9 records made now; the
    first load reads them (no encoding) when every option matches, this RDKit's version included."""
    with gzip.open(bundled_file("qm9.csv.gz"), "rt") as handle:
        lines = list(itertools.islice(handle, 2001))
    path = tmp_path / "qm9_head.csv"
    path.write_text("".join(lines))
    head = load_dataset(path, vocab=QM9_VOCABULARY, cache=False)
    shipped = sorted((datasets.Path(bundled_file("qm9.csv.gz")).parent / "graphs").glob("qm9-*.json"))
    assert len(shipped) == 1
    with np.load(shipped[0].with_suffix(".npz"), allow_pickle=False) as data:
        smiles = data["smiles"].tobytes().decode("utf-8").split("\n")
        nodes, bonds = data["nodes"], data["bonds"]
    m = len(head)
    assert smiles[:m] == head.smiles
    np.testing.assert_array_equal(nodes[:m], head.nodes)
    np.testing.assert_array_equal(bonds[:m], head.adj.bonds)

    built_with = json.loads(shipped[0].read_text())["options"]["rdkit"]
    monkeypatch.setattr(datasets, "_featurize", lambda *a, **k: pytest.fail("encoded instead of read"))
    if built_with != datasets.rdkit.__version__:
        with pytest.raises(pytest.fail.Exception, match="encoded instead of read"):  # another RDKit: not used
            load_dataset("qm9", cache_dir=tmp_path / "cache")
        return
    qm9 = load_dataset("qm9", cache_dir=tmp_path / "cache")
    assert len(qm9) == len(smiles) and qm9.smiles[:m] == head.smiles
    assert len(qm9.split("train")) == round(0.8 * len(qm9))
    with pytest.raises(pytest.fail.Exception, match="encoded instead of read"):
        load_dataset("qm9", cache_dir=tmp_path / "other", shipped=False)


def test_moses_sample_is_bundled():
    data = load_dataset("moses-sample")
    assert data.report.n_read == 2000 and len(data) >= 1990
    assert {"C", "N", "O"} <= set(data.vocab.atom_labels())


def test_moses_without_molsets_says_how_to_install(monkeypatch):
    monkeypatch.setattr(datasets.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InputError, match="pip install --no-deps molsets"):
        load_dataset("moses")


def test_report_round_trips_through_a_dict():
    report = LoadReport(source="x", n_read=3, skipped={"duplicate": 1})
    assert LoadReport.from_dict(report.to_dict()) == report


def test_only_molecules_whose_hydrogens_are_not_implied_need_the_round_trip():
    from rdkit import Chem

    from molgan.data.featurize import ROUNDTRIP_MISMATCH, encode_chunk, hydrogens_implied

    implied = {"CCO": True, "c1ccccc1": True, "CS(=O)(=O)C": True, "c1cc[nH]c1": False, "[CH2]C": False,
               "C[NH3+]": False, "C[C@H](O)CC": False}
    assert {s: hydrogens_implied(Chem.MolFromSmiles(s)) for s in implied} == implied
    chunk = encode_chunk(list(implied), "skip", None, None)
    status = dict(zip(implied, chunk.status))
    assert status["[CH2]C"] == ROUNDTRIP_MISMATCH  # a radical: its graph decodes to ethane, so it is dropped
    assert status["c1cc[nH]c1"] is None and status["C[C@H](O)CC"] is None and status["CCO"] is None


def test_every_molecule_kept_without_the_round_trip_decodes_to_itself():
    """The shortcut's claim, checked on the bundled MOSES sample: a graph whose hydrogens are implied gives the
    molecule back."""
    from rdkit import Chem

    from molgan.data.featurize import encode_chunk, hydrogens_implied

    with gzip.open(bundled_file("moses_sample.csv.gz"), "rt") as handle:
        texts = [line.split(",")[1].strip() for line in itertools.islice(handle, 1, 1001)]
    chunk = encode_chunk(texts, "skip", None, None)
    skipped_check = [i for i, (text, status) in enumerate(zip(texts, chunk.status))
                     if status is None and hydrogens_implied(Chem.MolFromSmiles(text))]
    assert len(skipped_check) > 500
    from molgan.chem.vocab import BOND_REPRESENTATIONS, Vocabulary
    from molgan.data.packed import unpack_bonds

    vocab = Vocabulary(chunk.atom_types, chunk.nodes.shape[1], BOND_REPRESENTATIONS["kekule"])
    rows = (np.cumsum([s is None for s in chunk.status]) - 1)[skipped_check]  # kept graphs are stored in order
    adj = unpack_bonds(chunk.bonds[rows], vocab.max_atoms)
    assert to_smiles(decode_graphs(chunk.nodes[rows], adj, vocab)) == [chunk.canonical[i] for i in skipped_check]
