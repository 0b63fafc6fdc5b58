"""The Python API (molgan.api, exposed as molgan.*): each function on inline SMILES and a tiny model."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from rdkit import Chem

import molgan
from molgan.errors import InputError, NothingUsableError

from conftest import SMALL_SMILES

#: One invalid SMILES, one duplicate, one PAINS hit (a catechol), one 10-atom molecule that is not in QM9.
SMILES = ["CCO", "c1ccccc1O", "not a smiles", "CCO", "Oc1ccccc1O", "CC(C)(C)c1ccccc1"]

@pytest.fixture(scope="module")
def model(tiny_model_dir) -> molgan.Model:
    """The session's tiny model (conftest), loaded through the API."""
    return molgan.load(tiny_model_dir)


def test_all_names_resolve():
    for name in molgan.__all__:
        assert getattr(molgan, name) is not None, name
    assert set(molgan.__all__) <= set(dir(molgan))
    with pytest.raises(AttributeError):
        molgan.no_such_function  # noqa: B018


def test_import_is_light():
    """Importing molgan to screen or evaluate does not import torch (decoding workers stay small)."""
    code = (
        "import sys, molgan; hits = molgan.screen(['CCO', 'c1ccccc1O'], where=['qed>0.1']);"
        " molgan.evaluate(['CCO', 'CCN', None], reference=None, fcd=False); molgan.properties(['CCO'], ['qed']);"
        " molgan.draw; print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_public_names_are_functions_of_the_api():
    from molgan.evaluation.screen import Batch

    assert molgan.screen is molgan.api.screen and molgan.draw is molgan.api.draw
    assert molgan.properties is molgan.api.properties and callable(molgan.load)
    assert len(Batch([None])) == 1


def test_load_and_sample(model, tmp_path):
    raw = model.sample_raw(50, seed=1)
    assert len(raw) == 50 and raw == model.sample_raw(50, seed=1)
    assert molgan.load(model.path).sample_raw(50, seed=1) == raw
    with pytest.raises(InputError):
        molgan.load(tmp_path)  # not a checkpoint


def test_evaluate_without_fcd():
    metrics = molgan.evaluate(SMILES + [None], reference=["CCO", "CCN"], fcd=False)
    assert metrics["validity"] == pytest.approx(5 / 7)
    assert metrics["novelty"] == pytest.approx(3 / 4)  # of the 4 distinct valid, only CCO is known
    assert "fcd" not in metrics or np.isnan(metrics["fcd"])


def test_score_qed():
    table = molgan.score(["CCO", Chem.MolFromSmiles("c1ccccc1O"), None], reward="qed")
    total = np.asarray(table.total, dtype=float)
    assert total.shape == (3,)
    assert np.isfinite(total[:2]).all() and total[0] != total[1]


def test_screen_filters_and_report():
    result = molgan.screen(SMILES, pains=True, where="mw>40", properties="qed")
    assert result.smiles == ["CCO", "c1ccccc1O", "CC(C)(C)c1ccccc1"]
    assert result.indices == [0, 1, 5]
    assert result.report[:2] == [("valid", 6, 5), ("unique", 5, 4)]
    assert result.n_invalid == 1
    assert set(result.properties) == {"mw", "qed"} and len(result.properties["qed"]) == 3
    assert molgan.screen(SMILES, unique=False).smiles.count("CCO") == 2
    mols = [Chem.MolFromSmiles("CCO"), Chem.MolFromSmiles("CCN")]
    assert molgan.screen(mols, where=["heavy_atoms>2"]).smiles == ["CCO", "CCN"]
    with pytest.raises(InputError):
        molgan.screen(SMILES, where="nonsense>1")


def test_screen_novelty_against_list_file_and_dataset(tmp_path):
    assert molgan.screen(SMILES, novel_against=["OCC", "Oc1ccccc1"]).smiles == ["Oc1ccccc1O", "CC(C)(C)c1ccccc1"]
    reference = tmp_path / "ref.smi"
    reference.write_text("OCC\nOc1ccccc1\n")
    assert molgan.screen(SMILES, novel_against=reference).smiles == ["Oc1ccccc1O", "CC(C)(C)c1ccccc1"]
    # a data set name stands for its training split (the bundled MOSES sample: quick to build in a test)
    dataset = molgan.load_dataset("moses-sample")
    train, test = dataset.smiles[int(dataset.split("train")[0])], dataset.smiles[int(dataset.split("test")[0])]
    assert molgan.screen([train, test, "CCO"], novel_against="moses-sample").smiles == [test, "CCO"]
    with pytest.raises(InputError):
        molgan.screen(SMILES, novel_against=tmp_path / "missing.smi")


def test_draw_png(tmp_path):
    path = molgan.draw(SMILES, tmp_path / "grid.png", legends="qed")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(InputError):
        molgan.draw(["not a smiles"], tmp_path / "none.png")


def test_write_and_read_round_trip(tmp_path):
    path = tmp_path / "out.csv"
    items = ["CCO", None, Chem.MolFromSmiles("OC1=CC=CC=C1")]
    assert molgan.write(path, items, properties="qed,logp") == 3
    lines = path.read_text().splitlines()
    assert lines[0] == "smiles,qed,logp" and lines[1].startswith("CCO,0.40") and lines[2] == ",,"
    assert lines[3].startswith("Oc1ccccc1,")
    with pytest.raises(InputError):
        molgan.write(path, ["CCO"])  # exists
    assert molgan.write(path, ["CCN"], force=True) == 1
    read = molgan.read(path)
    assert read.smiles == ["CCN"] and read.n_read == 1
    gz = tmp_path / "out.smi.gz"
    molgan.write(gz, ["CCO", "c1ccccc1"])
    assert molgan.read(gz).smiles == ["CCO", "c1ccccc1"]
    molgan.write(tmp_path / "bad.smi", ["not a smiles"])  # written as given
    with pytest.raises(NothingUsableError):
        molgan.read(tmp_path / "bad.smi")


def test_read_column_and_missing_file(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("id,SMI\na,CCO\nb,nonsense\nc,CCN\n")
    read = molgan.read(path, smiles_column="SMI")
    assert read.smiles == ["CCO", "CCN"] and read.records[1]["id"] == "c" and read.n_read == 3
    with pytest.raises(InputError):
        molgan.read(tmp_path / "missing.smi")


def test_load_dataset_from_file(tmp_path):
    path = tmp_path / "mols.smi"
    path.write_text("\n".join(SMALL_SMILES) + "\n")
    dataset = molgan.load_dataset(path, cache_dir=tmp_path / "cache")
    assert isinstance(dataset, molgan.MolDataset)
    assert len(dataset) == len(SMALL_SMILES)
    assert dataset.nodes.shape == (len(SMALL_SMILES), dataset.vocab.max_atoms)
    assert sum(len(dataset.split(s)) for s in ("train", "valid", "test")) == len(SMALL_SMILES)


def test_models_lists_shipped_names():
    from molgan.pretrained import SHIPPED, available

    assert molgan.models() == available()
    assert molgan.models(installed_only=False) == SHIPPED
    assert set(molgan.models()) <= set(SHIPPED)


def test_properties_arrays_with_nan_for_invalid():
    values = molgan.properties(["CCO", "not a smiles", None, Chem.MolFromSmiles("c1ccccc1")], ["mw", "heavy_atoms"])
    assert list(values) == ["mw", "heavy_atoms"]
    assert values["mw"][0] == pytest.approx(46.069, abs=1e-3)
    assert np.isnan(values["mw"][1]) and np.isnan(values["mw"][2])
    assert values["heavy_atoms"][3] == 6
    assert set(molgan.properties(["CCO"])) == {"qed", "logp", "sa", "mw"}
    assert list(molgan.properties(["CCO"], "qed, logp")) == ["qed", "logp"]
    with pytest.raises(InputError):
        molgan.properties(["CCO"], ["nope"])


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_draw_with_rdkit_jupyter_renderer(tmp_path, suffix):
    """In a notebook RDKit's MolsToGridImage returns IPython display objects; pictures are still files."""
    pytest.importorskip("IPython")
    from rdkit.Chem.Draw import IPythonConsole

    IPythonConsole.InstallIPythonRenderer()
    try:
        path = molgan.draw(SMILES, tmp_path / f"grid{suffix}", legends="smiles")
    finally:
        IPythonConsole.UninstallIPythonRenderer()
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in data[:500]
