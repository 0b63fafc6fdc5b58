"""Tests of molgan.evaluation.metrics and molgan.evaluation.fcd on a handful of inline SMILES, values worked out by hand."""

from __future__ import annotations

import gzip
import math

import numpy as np
import pytest
import torch
from rdkit import Chem, DataStructs
from rdkit.Chem import QED, Crippen, rdFingerprintGenerator

from molgan.evaluation import fcd as fcd_stats
from molgan.evaluation import metrics
from molgan.errors import InputError

torch.set_num_threads(1)

# 9 entries. Valid (5): CCO, c1ccccc1, OCC (= CCO), CCN, C1=CC=CC=C1 (= benzene); distinct (3): CCO,
# benzene, CCN. Invalid (4): "C1CC" (unclosed ring), "CC.O" (two fragments), None and "" (no molecule).
GEN = ["CCO", "c1ccccc1", "C1CC", "OCC", "CC.O", None, "", "CCN", "C1=CC=CC=C1"]
REFERENCE = ["CCO", "C(C)N", "not a smiles"]


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv(fcd_stats.CACHE_ENV, str(tmp_path / "cache"))


def test_validity_counts_none_empty_unparsable_and_disconnected_as_invalid():
    assert metrics.validity(GEN) == pytest.approx(5 / 9)
    assert metrics.validity(["CC.O"]) == 0.0
    assert metrics.validity([None, ""]) == 0.0
    assert math.isnan(metrics.validity([]))


def test_canonicalize_drops_stereo_and_keeps_positions():
    assert metrics.canonicalize(["C[C@H](N)O", None, "OCC"]) == ["CC(N)O", None, "CCO"]


def test_uniqueness_over_canonical_valid():
    assert metrics.uniqueness(GEN) == pytest.approx(3 / 5)
    assert math.isnan(metrics.uniqueness([None, "CC.O"]))


def test_unique_at_k_uses_first_k_valid():
    assert metrics.unique_at_k(GEN, 2) == 1.0  # CCO, benzene
    assert metrics.unique_at_k(GEN, 3) == pytest.approx(2 / 3)  # CCO, benzene, CCO
    with pytest.warns(UserWarning, match="only 5 valid"):
        assert metrics.unique_at_k(GEN, 100) == pytest.approx(3 / 5)


def test_novelty_against_canonicalized_reference():
    # distinct valid: CCO, c1ccccc1, CCN; the reference holds CCO and CCN (as C(C)N)
    assert metrics.novelty(GEN, REFERENCE) == pytest.approx(1 / 3)
    assert metrics.novelty(GEN, []) == 1.0


def _intdiv_numpy(smiles: list[str], p: int) -> float:
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    fps = []
    for s in smiles:
        arr = np.zeros(1024)
        DataStructs.ConvertToNumpyArray(gen.GetFingerprint(Chem.MolFromSmiles(s)), arr)
        fps.append(arr)
    x = np.array(fps)
    inter = x @ x.T
    counts = x.sum(1)
    tanimoto = inter / (counts[:, None] + counts[None, :] - inter)
    return 1 - np.mean(np.mean(tanimoto**p, axis=1) ** (1 / p))


@pytest.mark.parametrize("p", [1, 2])
def test_internal_diversity_matches_direct_numpy(p):
    valid = ["CCO", "c1ccccc1", "OCC", "CCN", "C1=CC=CC=C1", "CC(=O)Nc1ccc(O)cc1", "OC1CCCCC1"]
    expected = _intdiv_numpy(valid, p)
    assert metrics.internal_diversity(GEN + valid[-2:], p=p) == pytest.approx(expected, abs=1e-12)
    assert metrics.internal_diversity(["CCO", "OCC"], p=p) == pytest.approx(0.0, abs=1e-12)


def test_internal_diversity_subsample_is_deterministic():
    smiles = ["C" * n for n in range(1, 9)] + ["O" + "C" * n for n in range(1, 9)]
    a = metrics.internal_diversity(smiles, max_molecules=6, seed=3)
    assert a == metrics.internal_diversity(smiles, max_molecules=6, seed=3)
    assert a != pytest.approx(metrics.internal_diversity(smiles))


@pytest.fixture(scope="session")
def qm9_like() -> list[str]:
    """Small QM9-style molecules (C, N, O, F; up to 9 heavy atoms)."""
    return [
        "CCO", "CCN", "CCC", "CC(C)O", "CC(=O)O", "CC#N", "C1CC1", "C1CCC1", "OCCO", "NCCO",
        "CC(C)C", "CCOC", "CC(N)=O", "C1COC1", "CC1CC1", "OC1CC1", "N#CCO", "CCCO", "CCCN", "CC(C)N",
        "CC(O)CO", "CN(C)C", "COC=O", "C1=CCC1", "CC=O", "CCC#C", "OC(F)F", "CC(F)(F)F", "C1CNC1", "O=C1CC1",
    ]  # fmt: skip


def test_fcd_identical_sets_near_zero_and_shifted_set_larger(qm9_like):
    same = metrics.fcd(qm9_like, qm9_like)
    assert abs(same) < 1e-3
    aromatic = ["c1ccccc1", "c1ccncc1", "Cc1ccccc1", "c1ccc2ccccc2c1", "Oc1ccccc1", "Nc1ccccc1",
                "c1ccoc1", "c1ccsc1", "Clc1ccccc1", "c1ccc(cc1)C(=O)O"]  # fmt: skip
    shifted = metrics.fcd(aromatic * 3, qm9_like)
    assert shifted > 1.0
    assert metrics.fcd(qm9_like[:15] + aromatic[:3], qm9_like) < shifted


def test_fcd_reference_stats_are_cached_and_reused(qm9_like, tmp_path):
    ref = metrics.canonicalize(qm9_like)
    first = fcd_stats.reference_stats(ref)
    files = list((tmp_path / "cache" / "fcd").glob("*.npz"))
    assert len(files) == 1
    with np.load(files[0], allow_pickle=False) as data:
        assert data["mu"].shape == (512,) and data["sigma"].shape == (512, 512)
    again = fcd_stats.reference_stats(ref)
    np.testing.assert_array_equal(first.mu, again.mu)
    # precomputed statistics are accepted in place of reference SMILES
    assert metrics.fcd(qm9_like[:10], first) == pytest.approx(metrics.fcd(qm9_like[:10], qm9_like))


def test_fcd_corrupt_cache_file_is_recomputed(qm9_like, tmp_path):
    ref = metrics.canonicalize(qm9_like)[:5]
    path = tmp_path / "cache" / "fcd" / f"{fcd_stats.stats_key(ref)[:32]}.npz"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an npz")
    assert fcd_stats.reference_stats(ref).n == 5
    assert fcd_stats.FCDStats.load(path).n == 5


def test_fcd_too_few_valid_generated_is_nan(qm9_like):
    assert math.isnan(metrics.fcd(["CCO", None, "CC.O"], qm9_like))


def test_evaluate_keys_and_values(qm9_like):
    result = metrics.evaluate(GEN, REFERENCE, fcd_reference=qm9_like)
    assert list(result) == [
        "n", "n_valid", "n_unique", "validity", "uniqueness", "novelty", "vun", "fcd",
        "intdiv1", "intdiv2", "qed_mean", "logp_mean", "sa_mean",
    ]  # fmt: skip
    assert (result["n"], result["n_valid"], result["n_unique"]) == (9, 5, 3)
    assert result["validity"] == pytest.approx(5 / 9)
    assert result["uniqueness"] == pytest.approx(3 / 5)
    assert result["novelty"] == pytest.approx(1 / 3)
    assert result["vun"] == pytest.approx(1 / 9)  # one of nine samples is valid, distinct and novel
    assert result["intdiv2"] == pytest.approx(metrics.internal_diversity(GEN, p=2))
    mols = [Chem.MolFromSmiles(s) for s in ("CCO", "c1ccccc1", "CCN")]
    assert result["logp_mean"] == pytest.approx(np.mean([Crippen.MolLogP(m) for m in mols]))
    assert result["qed_mean"] == pytest.approx(np.mean([QED.qed(m) for m in mols]))


def test_evaluate_without_reference_and_unique_at_k():
    smiles = ["C" * (1 + i % 8) for i in range(1000)] + [None]
    result = metrics.evaluate(smiles)
    assert "novelty" not in result and "fcd" not in result and "unique@10000" not in result
    assert result["unique@1000"] == pytest.approx(8 / 1000)
    assert result["unique@1000"] == metrics.unique_at_k(smiles, 1000)


def test_read_generated_csv_keeps_every_row_in_order(tmp_path):
    path = tmp_path / "gen.csv"
    path.write_text("id,SMILES\n1,CCO\n2,\n3,xx\n4,CC.O\n")
    assert metrics.read_generated(path) == ["CCO", None, "xx", "CC.O"]
    one = tmp_path / "one.csv"
    one.write_text("smiles\nCCO\n\nCCN\n")
    assert metrics.read_generated(one) == ["CCO", None, "CCN"]


def test_read_generated_smi_gz_and_named_column(tmp_path):
    smi = tmp_path / "gen.smi.gz"
    with gzip.open(smi, "wt") as f:
        f.write("SMILES name\nCCO a\n\nc1ccccc1 b\n")
    assert metrics.read_generated(smi) == ["CCO", "c1ccccc1"]
    tsv = tmp_path / "gen.tsv"
    tsv.write_text("name\tcan\nx\tCCN\n")
    assert metrics.read_generated(tsv, smiles_column="CAN") == ["CCN"]


def test_read_generated_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        metrics.read_generated(tmp_path / "missing.csv")
    (tmp_path / "a.csv").write_text("name\nx\n")
    with pytest.raises(InputError, match="no 'smiles' column"):
        metrics.read_generated(tmp_path / "a.csv")
    (tmp_path / "a.mol2").write_text("")
    with pytest.raises(InputError, match="unknown format"):
        metrics.read_generated(tmp_path / "a.mol2")


def test_read_generated_sdf_one_sample_per_record(tmp_path):
    from rdkit import Chem

    path = tmp_path / "a.sdf"
    blocks = [Chem.MolToMolBlock(Chem.MolFromSmiles(s)) for s in ("CCO", "c1ccccc1")]
    path.write_text("$$$$\n".join(blocks) + "$$$$\n")
    assert metrics.read_generated(path) == ["CCO", "c1ccccc1"]


def test_load_reference_file_keeps_valid_only(tmp_path):
    path = tmp_path / "ref.smi"
    path.write_text("CCO\nnope\nCC.O\nCCN\n")
    assert metrics.load_reference(str(path)) == ["CCO", "CCN"]
    with pytest.raises(InputError):
        metrics.load_reference(str(tmp_path / "missing.smi"))


def test_size_means_count_rings_and_aromatic_rings_of_the_distinct_valid_samples():
    """Drug-like data is nearly all aromatic: the ring means show a generator that makes only chains."""
    result = metrics.evaluate(["c1ccccc1", "c1ccccc1", "C1CCCCC1", "CCO", None], ["c1ccc2ccccc2c1"], compute_fcd=False, sizes=True)
    assert result["rings_mean"] == pytest.approx(2 / 3) and result["aromatic_rings_mean"] == pytest.approx(1 / 3)
    assert result["reference_aromatic_rings_mean"] == 2.0 and result["reference_rings_mean"] == 2.0
