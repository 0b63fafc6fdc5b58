"""``molgan score`` through typer's CliRunner."""

from __future__ import annotations

import csv

import joblib
import pytest
from rdkit import Chem
from rdkit.Chem import QED
from typer.testing import CliRunner

from molgan.cli.main import app
from molgan.errors import InputError

runner = CliRunner()


@pytest.fixture()
def molecules(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("id,smiles\na,CCO\nb,c1ccccc1O\nc,not_a_smiles\nd,CC(=O)Nc1ccc(O)cc1\n")
    return path


def _read(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_help_has_examples():
    result = runner.invoke(app, ["score", "--help"])
    assert result.exit_code == 0
    assert "molgan score samples.smi --reward qed --output scored.csv" in result.output
    assert "druglike" in result.output


def test_score_preset_to_csv(tmp_path, molecules):
    pytest.importorskip("molgan.data.readers")
    out = tmp_path / "scored.csv"
    result = runner.invoke(app, ["score", str(molecules), "--reward", "qed", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "scored 3 molecules" in result.output
    assert "skipped 1 of 4 records (1 unparsable_smiles)" in result.output
    rows = _read(out)
    assert list(rows[0]) == ["smiles", "qed_raw", "qed", "total"]
    assert [r["smiles"] for r in rows] == ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"]
    for row in rows:
        assert float(row["total"]) == pytest.approx(QED.qed(Chem.MolFromSmiles(row["smiles"])))
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_refuses_to_overwrite_without_force(tmp_path, molecules):
    out = tmp_path / "scored.csv"
    out.write_text("keep me\n")
    result = runner.invoke(app, ["score", str(molecules), "--reward", "qed", "--output", str(out)])
    assert isinstance(result.exception, InputError) and "--force" in str(result.exception)
    assert out.read_text() == "keep me\n"
    pytest.importorskip("molgan.data.readers")
    result = runner.invoke(app, ["score", str(molecules), "-r", "sa", "-o", str(out), "--force", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert list(_read(out)[0]) == ["smiles", "sa_raw", "sa", "total"]


def test_toml_reward_and_model_warning_shown(tmp_path, molecules):
    pytest.importorskip("molgan.data.readers")
    from sklearn.dummy import DummyClassifier

    model = tmp_path / "dummy.joblib"
    joblib.dump(DummyClassifier(strategy="prior").fit([[0] * 16, [1] * 16], [0, 1]), model)
    toml = tmp_path / "reward.toml"
    toml.write_text(
        'aggregation = "geometric"\n'
        '[[component]]\nname = "qed"\n'
        '[[component]]\nname = "sklearn_model"\nlabel = "dummy"\n'
        f'params = {{ path = "{model.name}", method = "predict_proba", n_bits = 16 }}\n'
    )
    out = tmp_path / "scored.csv"
    result = runner.invoke(app, ["score", str(molecules), "--reward", str(toml), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning: loading the scikit-learn model" in result.output
    row = _read(out)[0]
    assert float(row["dummy"]) == pytest.approx(0.5)
    assert float(row["total"]) == pytest.approx((float(row["qed"]) * 0.5) ** 0.5)


def test_bad_reward_is_a_config_error(tmp_path, molecules):
    toml = tmp_path / "reward.toml"
    toml.write_text('[[component]]\nname = "qed"\nwieght = 2\n')
    result = runner.invoke(app, ["score", str(molecules), "--reward", str(toml), "--output", str(tmp_path / "o.csv")])
    assert "unknown key 'wieght'" in str(result.exception) and str(toml) in str(result.exception)
    assert not (tmp_path / "o.csv").exists()
