import csv
import os

import pytest
from rdkit import Chem
from rdkit.Chem import Draw

from molgan.evaluation.draw import draw_grid, plot_property_distributions, plot_training_curves
from molgan.errors import InputError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_grid_png(tmp_path):
    path = draw_grid(["CCO", "not a smiles", "c1ccccc1O", None], tmp_path / "grid.png", legends="qed")
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 1000
    assert os.listdir(tmp_path) == ["grid.png"]


@pytest.fixture
def grid_calls(monkeypatch):
    """Record the arguments given to RDKit's MolsToGridImage (legends are drawn as paths in SVG)."""
    calls = []
    real = Draw.MolsToGridImage

    def spy(mols, **kwargs):
        calls.append((list(mols), kwargs))
        return real(mols, **kwargs)

    monkeypatch.setattr(Draw, "MolsToGridImage", spy)
    return calls


def test_grid_svg_with_smiles_legends_and_mols(tmp_path, grid_calls):
    path = tmp_path / "grid.svg"
    draw_grid([Chem.MolFromSmiles("CCN"), " CCO "], path, legends="smiles", mols_per_row=4, sub_img_size=(120, 120))
    assert "<svg" in path.read_text(encoding="utf-8")
    (mols, kwargs), = grid_calls
    assert kwargs["legends"] == ["CCN", "CCO"]
    assert kwargs["molsPerRow"] == 2 and kwargs["subImgSize"] == (120, 120)


def test_grid_explicit_legends_and_max(tmp_path, grid_calls):
    draw_grid(["CCO", "bad", "CCN", "CCC"], tmp_path / "g.png", legends=["first", "skip", "second", "third"], max_mols=2)
    (mols, kwargs), = grid_calls
    assert len(mols) == 2 and kwargs["legends"] == ["first", "second"]


def test_grid_property_legends(tmp_path, grid_calls):
    draw_grid(["CCO"], tmp_path / "g.png", legends="heavy_atoms")
    assert grid_calls[0][1]["legends"] == ["heavy_atoms 3"]


def test_grid_errors(tmp_path):
    with pytest.raises(InputError, match="nothing to draw"):
        draw_grid(["bad", None], tmp_path / "grid.png")
    with pytest.raises(InputError, match="picture format"):
        draw_grid(["CCO"], tmp_path / "grid.gif")
    with pytest.raises(InputError, match="unknown legend"):
        draw_grid(["CCO"], tmp_path / "grid.png", legends="colour")
    assert os.listdir(tmp_path) == []


def test_training_curves_from_csv(tmp_path):
    metrics = tmp_path / "metrics.csv"
    with open(metrics, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["step", "d_loss", "g_loss", "validity", "uniqueness", "valid_x_unique", "note"])
        for step in range(5):
            writer.writerow([step * 10, 1.0 / (step + 1), 0.5 + step, 0.2 * step, 0.9, "", "text"])
    out = plot_training_curves(metrics, tmp_path / "curves.png")
    assert out.read_bytes().startswith(PNG_MAGIC)


def test_training_curves_from_rows_without_losses(tmp_path):
    rows = [{"validity": 0.5, "seconds": 10}, {"validity": 0.7, "seconds": 20}]
    out = plot_training_curves(rows, tmp_path / "curves.svg")
    assert "<svg" in out.read_text()


def test_nothing_to_plot_returns_none(tmp_path):
    assert plot_training_curves([], tmp_path / "empty.png") is None
    assert plot_training_curves([{"note": "text"}], tmp_path / "empty.png") is None
    assert plot_property_distributions({}, tmp_path / "empty.png") is None
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InputError, match="does not exist"):
        plot_training_curves(tmp_path / "missing.csv", tmp_path / "c.png")


def test_property_distributions(tmp_path):
    out = plot_property_distributions(
        {"QM9": [0.4, 0.5, 0.45, float("nan")], "molgan": [0.6, 0.62], "empty": []},
        tmp_path / "qed.png",
        xlabel="QED",
    )
    assert out.read_bytes().startswith(PNG_MAGIC)
    assert os.listdir(tmp_path) == ["qed.png"]
