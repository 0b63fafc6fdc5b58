"""MOSES metrics (molgan/evaluation/moses.py) against computations written here from MOSES's definitions."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
import warnings
from collections import Counter

import numpy as np
import pytest
from rdkit import Chem, DataStructs, RDConfig
from rdkit.Chem import AllChem, Crippen, Descriptors, QED, rdFingerprintGenerator, rdMolDescriptors
from rdkit.Chem.Scaffolds import MurckoScaffold
from scipy.spatial.distance import cosine
from scipy.stats import wasserstein_distance
from typer.testing import CliRunner

import molgan
from molgan.cli.main import app
from molgan.errors import InputError
from molgan.evaluation import moses

#: Generated: one unparsable, one empty, one duplicate, a two-fragment one (valid in MOSES), one
#: charged, one with an acrylonitrile (MCF1), one with an 8-ring, scaffolds with 0, 1, 2, 3 rings.
GEN = [
    "CC(=O)Nc1ccc(O)cc1", "c1ccc(-c2ccccc2)cc1", "C1CC", "", "CC(=O)Nc1ccc(O)cc1", "CC.O",
    "C[N+](C)(C)C", "C=CC#N", "C1CCCCCCC1", "O=C(O)c1ccc2ccccc2c1", "CCOC(=O)C1CCN(Cc2ccccc2)CC1",
    "c1ccc2c(c1)[nH]c1ccccc12", "CCCCCCO",
]
TEST = [
    "CC(=O)Nc1ccc(O)cc1", "c1ccc(Cc2ccccc2)cc1", "O=C(O)c1ccccc1", "CCN1CCN(c2ccccc2)CC1",
    "c1ccc2[nH]ccc2c1", "COc1ccc2ccccc2c1", "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "CCCCO",
]
TEST_SF = ["c1ccc2c(c1)oc1ccccc12", "O=C1CCCN1c1ccccc1", "Cc1ccc(-c2ccccn2)cc1", "CCOC(=O)c1ccncc1", "CCCC"]
TRAIN = ["c1ccc(-c2ccccc2)cc1", "CCCCCCO", "CCO"]

_MORGAN = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)


def _valid_canonical(smiles):
    return [Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in smiles if s and Chem.MolFromSmiles(s) is not None]


def _fps(smiles):
    return [_MORGAN.GetFingerprint(Chem.MolFromSmiles(s)) for s in smiles]


def _snn(gen, ref):
    ref_fps = _fps(ref)
    return np.mean([max(DataStructs.BulkTanimotoSimilarity(fp, ref_fps)) for fp in _fps(gen)])


def _intdiv(gen, p):
    fps = _fps(gen)
    sims = np.array([DataStructs.BulkTanimotoSimilarity(fp, fps) for fp in fps])
    return 1 - np.mean(np.mean(sims**p, axis=1) ** (1 / p))


def _cos(a: Counter, b: Counter):
    keys = sorted(set(a) | set(b))
    return 1 - cosine([a[k] for k in keys], [b[k] for k in keys])


def _frag_counts(smiles):
    return Counter(f for s in smiles for f in Chem.MolToSmiles(AllChem.FragmentOnBRICSBonds(Chem.MolFromSmiles(s))).split("."))


def _scaf_counts(smiles):
    out = Counter()
    for s in smiles:
        scaf = MurckoScaffold.MurckoScaffoldSmiles(mol=Chem.MolFromSmiles(s))
        if scaf and rdMolDescriptors.CalcNumRings(Chem.MolFromSmiles(scaf)) >= 2:
            out[scaf] += 1
    return out


def _sascorer():
    spec = importlib.util.spec_from_file_location("sascorer_ref", f"{RDConfig.RDContribDir}/SA_Score/sascorer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.calculateScore


def _fcd(gen, ref):
    import fcd
    from threadpoolctl import threadpool_limits

    model = fcd.load_ref_model()
    a = fcd.get_predictions(model, gen, n_jobs=0, device="cpu").astype(np.float64)
    b = fcd.get_predictions(model, ref, n_jobs=0, device="cpu").astype(np.float64)
    with threadpool_limits(limits=1, user_api="blas"):  # a many-threaded sqrtm is slow on a busy machine
        return fcd.calculate_frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))


@pytest.fixture(scope="module")
def result():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = moses.moses_metrics(GEN, test=TEST, test_scaffolds=TEST_SF, train=TRAIN, k=(3, 100))
    return out, [str(w.message) for w in caught]


def test_keys_in_moses_order(result):
    out, _ = result
    assert list(out) == [
        "valid", "unique@3", "unique@100",
        "FCD/Test", "SNN/Test", "Frag/Test", "Scaf/Test", "FCD/TestSF", "SNN/TestSF", "Frag/TestSF", "Scaf/TestSF",
        "IntDiv", "IntDiv2", "Filters", "logP", "SA", "QED", "weight", "Novelty",
    ]


def test_valid_unique_novelty(result):
    out, caught = result
    gen = _valid_canonical(GEN)
    assert len(gen) == 11  # "C1CC" and "" are the only invalid entries; "CC.O" counts in MOSES
    assert out["valid"] == pytest.approx(11 / 13)
    assert out["unique@3"] == pytest.approx(len(set(gen[:3])) / 3) == pytest.approx(2 / 3)  # 1st = 3rd valid
    assert out["unique@100"] == pytest.approx(10 / 11)  # one duplicate
    assert any("unique@100" in m for m in caught)
    train = set(TRAIN)
    assert out["Novelty"] == pytest.approx(len(set(gen) - train) / len(set(gen))) == pytest.approx(8 / 10)


def test_similarity_metrics(result):
    out, _ = result
    gen = _valid_canonical(GEN)
    for name, ref in {"Test": TEST, "TestSF": TEST_SF}.items():
        assert out[f"SNN/{name}"] == pytest.approx(_snn(gen, ref), abs=1e-9)
        assert out[f"Frag/{name}"] == pytest.approx(_cos(_frag_counts(ref), _frag_counts(gen)), abs=1e-9)
        assert out[f"Scaf/{name}"] == pytest.approx(_cos(_scaf_counts(ref), _scaf_counts(gen)), abs=1e-9)
    assert 0 < out["Scaf/Test"] < 1 and 0 < out["SNN/TestSF"] < 1
    assert out["IntDiv"] == pytest.approx(_intdiv(gen, 1), abs=1e-9)
    assert out["IntDiv2"] == pytest.approx(_intdiv(gen, 2), abs=1e-9)


def test_filters(result):
    out, _ = result
    gen = _valid_canonical(GEN)
    # fail: charged, acrylonitrile (MCF1), 8-ring; the rest pass
    fails = {Chem.CanonSmiles(s) for s in ("C[N+](C)(C)C", "C=CC#N", "C1CCCCCCC1")}
    assert out["Filters"] == pytest.approx(np.mean([s not in fails for s in gen])) == pytest.approx(8 / 11)
    assert [moses.passes_filters(Chem.MolFromSmiles(s)) for s in ("C=CC#N", "CC(=O)Nc1ccc(O)cc1")] == [False, True]


def test_wasserstein_properties(result):
    out, _ = result
    gen = [Chem.MolFromSmiles(s) for s in _valid_canonical(GEN)]
    test = [Chem.MolFromSmiles(s) for s in TEST]
    for key, fn in {"logP": Crippen.MolLogP, "SA": _sascorer(), "QED": QED.qed, "weight": Descriptors.MolWt}.items():
        expected = wasserstein_distance([fn(m) for m in test], [fn(m) for m in gen])
        assert out[key] == pytest.approx(expected, rel=1e-5), key  # reference values are stored as float32


def test_fcd(result):
    out, _ = result
    gen = _valid_canonical(GEN)
    assert out["FCD/Test"] == pytest.approx(_fcd(gen, TEST), rel=1e-4)
    assert out["FCD/TestSF"] == pytest.approx(_fcd(gen, TEST_SF), rel=1e-4)
    assert out["FCD/Test"] != pytest.approx(out["FCD/TestSF"], rel=1e-3)


def test_nothing_valid_gives_nan():
    ref = moses.Reference.from_smiles(TEST)
    out = moses.moses_metrics(["C1CC", None], test=ref, test_scaffolds=ref, train=TRAIN, k=())
    assert out["valid"] == 0.0
    assert all(math.isnan(out[k]) for k in ("FCD/Test", "SNN/Test", "Frag/Test", "IntDiv", "Filters", "QED", "Novelty"))


def test_reference_round_trip(tmp_path):
    ref = moses.Reference.from_smiles(TEST)
    ref.save(tmp_path / "test")
    back = moses.Reference.load(tmp_path / "test")
    assert back.fragments == ref.fragments and back.scaffolds == ref.scaffolds
    np.testing.assert_allclose(back.fcd.mu, ref.fcd.mu, rtol=1e-6)
    np.testing.assert_allclose(back.properties["QED"], np.sort(ref.properties["QED"]), rtol=1e-6)
    with np.load(tmp_path / "test.npz", allow_pickle=False) as data:
        assert data["fcd_sigma"].dtype == np.float32
    assert json.loads(__import__("gzip").open(tmp_path / "test.json.gz").read())["version"] == moses.STATS_VERSION


# --- the shipped MOSES statistics ------------------------------------------------------------------


def test_shipped_statistics_are_small_and_complete():
    from molgan.data.datasets import bundled_file

    folder = bundled_file("moses/test.npz").parent
    total = sum(p.stat().st_size for p in folder.iterdir())
    assert total < 8 * 2**20, total
    for split, n in {"test": 176074, "test_scaffolds": 176225}.items():
        with np.load(folder / f"{split}.npz", allow_pickle=False) as data:
            assert data["fcd_mu"].shape == (512,) and data["fcd_sigma"].shape == (512, 512)
            assert int(data["n"]) == n  # every MOSES test molecule parses
    test = moses.Reference.load(folder / "test")
    assert set(test.properties) == set(moses.W1_PROPERTIES)
    assert all(len(v) == test.fcd.n for v in test.properties.values())
    assert len(test.fragments) > 1000 and len(test.scaffolds) > 1000


def test_shipped_counts_and_properties_match_the_test_set():
    if importlib.util.find_spec("moses") is None:
        pytest.skip("molsets is not installed")
    smiles = moses.moses_smiles("test")
    test = moses.bundled_reference("test")
    assert test.fcd.n == len(smiles)
    head = [Chem.MolFromSmiles(s) for s in smiles[:50]]
    qed = np.float32([QED.qed(m) for m in head])
    assert np.isin(qed, test.properties["QED"].astype(np.float32)).all()
    first = Counter(f for m in head for f in moses.fragments(m))
    assert all(test.fragments.get(f, 0) >= c for f, c in first.items())


def test_missing_molsets_is_one_clear_error(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "moses" else real(name, *a))
    with pytest.raises(InputError, match="pip install --no-deps molsets"):
        moses.moses_metrics(GEN)


# --- CLI and API ---------------------------------------------------------------------------------


@pytest.fixture
def tiny_moses(monkeypatch):
    """The default MOSES sets replaced by the small ones above."""
    refs = {"test": moses.Reference.from_smiles(TEST), "test_scaffolds": moses.Reference.from_smiles(TEST_SF)}
    monkeypatch.setattr(moses, "bundled_reference", refs.__getitem__)
    monkeypatch.setattr(moses, "moses_train", lambda: frozenset(TRAIN))
    monkeypatch.setattr(moses, "moses_data_file", lambda split: None)


def test_cli_benchmark_moses_json(tiny_moses, tmp_path, result):
    gen = tmp_path / "gen.smi"
    gen.write_text("\n".join(s or "C1CC" for s in GEN) + "\n")
    out = CliRunner().invoke(app, ["evaluate", str(gen), "--benchmark", "moses", "--json"])
    assert out.exit_code == 0, out.output
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["valid"] == pytest.approx(11 / 13)
    assert got["SNN/TestSF"] == pytest.approx(result[0]["SNN/TestSF"])
    assert set(got) >= {"unique@1000", "unique@10000", "FCD/TestSF", "Filters", "Novelty", "weight"}
    table = CliRunner().invoke(app, ["evaluate", str(gen), "--benchmark", "moses"])
    assert table.exit_code == 0 and "Scaf/TestSF" in table.stdout


def test_cli_bad_benchmark_is_an_input_error(tmp_path):
    gen = tmp_path / "gen.smi"
    gen.write_text("CCO\n")
    out = CliRunner().invoke(app, ["evaluate", str(gen), "--benchmark", "nope"])
    assert out.exit_code != 0 and isinstance(out.exception, InputError)
    assert "unknown benchmark 'nope'" in str(out.exception)


@pytest.mark.slow
def test_cli_bad_benchmark_is_one_line(tmp_path):
    gen = tmp_path / "gen.smi"
    gen.write_text("CCO\n")
    proc = subprocess.run(
        [sys.executable, "-m", "molgan.cli.main", "evaluate", str(gen), "--benchmark", "nope"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown benchmark 'nope'; known: moses" in lines[0], proc.stderr


def test_api_benchmark(tiny_moses, result):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = molgan.evaluate(GEN, benchmark="moses")
    assert got["IntDiv"] == pytest.approx(result[0]["IntDiv"])
    with pytest.raises(InputError):
        molgan.evaluate(GEN, benchmark="guacamol")


# --- shipped FCD statistics of a bundled data set -----------------------------------------------


def test_reference_stats_prefer_the_shipped_file(tmp_path, monkeypatch):
    from molgan.evaluation import fcd

    smiles = ["CCO", "CCN", "CCC"]
    stats = fcd.FCDStats(mu=np.arange(4.0), sigma=np.eye(4), n=3)
    stats.save(tmp_path / "shipped.npz", dtype=np.float32)
    monkeypatch.setattr(fcd, "bundled_file", lambda s: tmp_path / "shipped.npz" if list(s) == smiles else None)
    monkeypatch.setattr(fcd, "compute_stats", lambda *a, **k: pytest.fail("computed instead of shipped"))
    got = fcd.reference_stats(smiles)
    assert got.n == 3 and got.mu.dtype == np.float64
    np.testing.assert_array_equal(got.mu, stats.mu)
    with pytest.raises(pytest.fail.Exception, match="computed instead of shipped"):
        fcd.reference_stats(["CCO", "CCN"])  # not shipped: computed


@pytest.mark.slow
def test_qm9_statistics_ship_with_the_package(monkeypatch):
    from molgan.evaluation import fcd, metrics

    reference = metrics.load_reference("qm9")
    shipped = fcd.bundled_file(reference)
    assert shipped is not None and shipped.stat().st_size < 2 * 2**20
    monkeypatch.setattr(fcd, "compute_stats", lambda *a, **k: pytest.fail("computed instead of shipped"))
    assert fcd.reference_stats(reference).n == len(reference)
