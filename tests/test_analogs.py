"""Analogs of a molecule and paths between two molecules with the shipped qm9 model (API and CLI)."""

from __future__ import annotations

import csv
import math

import pytest
import torch
from rdkit import Chem, DataStructs
from rdkit.Chem import AllChem
from typer.testing import CliRunner

from conftest import run_main
from molgan.cli.main import app
from molgan.errors import InputError
from molgan.latent.analogs import Analog, PathPoint, path_smoothness

#: QM9 molecules (test split).
QM9 = ["CC(C)C1CC1O", "OC1CC1C#N", "c1ccncc1"]
#: Molecules the qm9 vocabulary cannot hold, and a word of the reason given.
UNREPRESENTABLE = {"c1ccccc1Br": "Br", "C" * 20: "20 heavy atoms", "CC.O": "fragments", "not a smiles": "parse"}


@pytest.fixture(scope="module")
def model():
    import molgan

    torch.set_num_threads(1)
    return molgan.load("qm9")


def direct_tanimoto(a: str, b: str) -> float:
    """Tanimoto of Morgan bits (radius 2, 2048 bits), computed with RDKit alone."""
    fa, fb = (AllChem.GetMorganFingerprintAsBitVect(Chem.MolFromSmiles(s), 2, nBits=2048) for s in (a, b))
    return DataStructs.TanimotoSimilarity(fa, fb)


@pytest.mark.parametrize("smiles", QM9)
def test_analogs_are_valid_distinct_new_and_ranked(model, smiles):
    found = model.analogs(smiles, num=10, seed=0, draws=300)
    assert 0 < len(found) <= 10 and all(isinstance(a, Analog) for a in found)
    names = [a.smiles for a in found]
    assert len(set(names)) == len(names)
    assert Chem.CanonSmiles(smiles) not in {Chem.CanonSmiles(s) for s in names}
    assert all(Chem.MolFromSmiles(s) is not None for s in names)
    values = [a.similarity for a in found]
    assert values == sorted(values, reverse=True)
    for a in found[:10]:
        assert a.similarity == pytest.approx(direct_tanimoto(smiles, a.smiles))


def test_analogs_are_reproducible_for_a_seed(model):
    assert model.analogs(QM9[0], num=50, seed=3, draws=200) == model.analogs(QM9[0], num=50, seed=3, draws=200)
    assert model.analogs(QM9[0], num=50, seed=3, draws=200) != model.analogs(QM9[0], num=50, seed=4, draws=200)


def test_num_keeps_the_most_similar_of_all_draws(model):
    every = model.analogs(QM9[1], num=10_000, seed=2, draws=400)  # all that were found
    assert 5 < len(every) < 400
    assert model.analogs(QM9[1], num=5, seed=2, draws=400) == every[:5]


def test_radius_zero_gives_only_the_reconstruction(model):
    assert model.analogs(QM9[0], num=20, radius=0.0, draws=20) == []  # the code decodes back to the input itself


@pytest.mark.parametrize("smiles", list(UNREPRESENTABLE))
def test_unrepresentable_molecule_is_an_input_error(model, smiles):
    with pytest.raises(InputError, match=UNREPRESENTABLE[smiles]):
        model.analogs(smiles)


@pytest.mark.parametrize("smiles", ["c1ccccc1Br", "C" * 20])
def test_cli_refuses_an_unrepresentable_molecule_in_one_line(smiles, capsys, monkeypatch):
    code, out, err = run_main(["analogs", smiles], capsys, monkeypatch)
    assert code != 0 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and UNREPRESENTABLE[smiles] in err
    assert CliRunner().invoke(app, ["analogs", smiles]).exit_code != 0


def test_cli_writes_analogs_with_similarity(model, tmp_path):
    out = tmp_path / "analogs.csv"
    result = CliRunner().invoke(app, ["analogs", QM9[2], "--num", "5", "--draws", "300", "--seed", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert rows and list(rows[0]) == ["smiles", "similarity"]
    assert [r["smiles"] for r in rows] == [a.smiles for a in model.analogs(QM9[2], 5, seed=1, draws=300)]
    assert len(rows) == 5
    assert float(rows[0]["similarity"]) == pytest.approx(direct_tanimoto(QM9[2], rows[0]["smiles"]), abs=1e-4)


def test_interpolate_ends_decode_to_the_inputs(model):
    path = model.interpolate(QM9[0], QM9[2], steps=6)
    assert [p.t for p in path] == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1])
    assert all(isinstance(p, PathPoint) for p in path)
    # the qm9 encoder reconstructs these two (99 of 100 test molecules in the benchmark)
    assert path[0].smiles == Chem.CanonSmiles(QM9[0]) and path[0].similarity_a == 1.0
    assert path[-1].smiles == Chem.CanonSmiles(QM9[2]) and path[-1].similarity_b == 1.0
    spherical = model.interpolate(QM9[0], QM9[2], steps=6, method="spherical")
    assert spherical[0].smiles == path[0].smiles and spherical[-1].smiles == path[-1].smiles
    assert 0.0 < path_smoothness(path) <= 1.0


def test_path_smoothness_is_the_mean_similarity_of_consecutive_valid_molecules():
    path = [PathPoint(0.0, "CCO", 1.0, 0.0), PathPoint(0.5, None, None, None), PathPoint(1.0, "CCN", 0.0, 1.0)]
    assert path_smoothness(path) == pytest.approx(direct_tanimoto("CCO", "CCN"))
    assert math.isnan(path_smoothness(path[:2]))


def test_cli_interpolate_writes_the_path_and_a_picture(tmp_path):
    out, picture = tmp_path / "path.csv", tmp_path / "path.png"
    result = CliRunner().invoke(app, ["interpolate", QM9[1], QM9[2], "--steps", "5", "-o", str(out), "--picture", str(picture)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 5 and list(rows[0]) == ["smiles", "t", "similarity_a", "similarity_b"]
    assert picture.stat().st_size > 1000
    assert "smoothness" in result.output


def test_bad_interpolation_settings_are_input_errors(model):
    with pytest.raises(InputError, match="steps"):
        model.interpolate(QM9[0], QM9[1], steps=1)
    with pytest.raises(InputError, match="unknown interpolation"):
        model.interpolate(QM9[0], QM9[1], method="cubic")
