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
    assert "1 of 4 records could not be read (1 unparsable_smiles): kept with empty scores" in result.output
    rows = _read(out)
    assert list(rows[0]) == ["smiles", "id", "qed_raw", "qed", "total", "reason"]
    assert [r["smiles"] for r in rows] == ["CCO", "c1ccccc1O", "not_a_smiles", "CC(=O)Nc1ccc(O)cc1"]
    assert [r["id"] for r in rows] == ["a", "b", "c", "d"]  # joins back to the input by row
    assert [r["reason"] for r in rows] == ["", "", "unparsable_smiles", ""]
    assert rows[2]["total"] == rows[2]["qed"] == ""
    for row in rows[:2] + rows[3:]:
        assert float(row["total"]) == round(QED.qed(Chem.MolFromSmiles(row["smiles"])), 4)  # 4 decimals
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
    assert list(_read(out)[0]) == ["smiles", "id", "sa_raw", "sa", "total", "reason"]


def test_an_input_column_named_like_a_score_is_renamed_and_said(tmp_path):
    path = tmp_path / "scored.tsv"
    path.write_text("smiles\ttotal\treason\nCCO\t0.5\tok\n")
    result = runner.invoke(app, ["score", str(path), "-r", "qed", "-o", str(tmp_path / "again.csv")])
    assert result.exit_code == 0, result.output
    assert "input column 'total' is written as 'input_total'" in result.output
    row = _read(tmp_path / "again.csv")[0]
    assert list(row) == ["smiles", "input_total", "input_reason", "qed_raw", "qed", "total", "reason"]
    assert row["input_total"] == "0.5" and row["input_reason"] == "ok"


def test_score_to_standard_output(molecules):
    result = runner.invoke(app, ["score", str(molecules), "-r", "qed", "-o", "-"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "smiles,id,qed_raw,qed,total,reason" and len(lines) == 5
    assert "scored 3 molecules" in result.stderr and "scored" not in result.stdout


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
    assert float(row["total"]) == pytest.approx((float(row["qed"]) * 0.5) ** 0.5, abs=1e-4)


def test_bad_reward_is_a_config_error(tmp_path, molecules):
    toml = tmp_path / "reward.toml"
    toml.write_text('[[component]]\nname = "qed"\nwieght = 2\n')
    result = runner.invoke(app, ["score", str(molecules), "--reward", str(toml), "--output", str(tmp_path / "o.csv")])
    assert "unknown key 'wieght'" in str(result.exception) and str(toml) in str(result.exception)
    assert not (tmp_path / "o.csv").exists()
