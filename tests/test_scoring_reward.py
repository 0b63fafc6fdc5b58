"""Rewards: totals by hand, invalid molecules, TOML loading and validation, presets, parallel scoring."""

from __future__ import annotations

import math

import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import QED, Descriptors

from molgan.errors import ConfigError, InputError
from molgan.scoring import (
    PRESETS,
    DoubleSigmoid,
    Reward,
    Step,
    Term,
    load_reward,
    reward_from_dict,
)

SMILES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CCCCCCCCCCCCCCCCCCCCC(=O)O"]
MOLS = [Chem.MolFromSmiles(s) for s in SMILES]


def _mw_score(mol):
    return DoubleSigmoid(100, 300)(np.array([Descriptors.MolWt(mol)]))[0]


@pytest.mark.parametrize("aggregation", ["arithmetic", "geometric"])
def test_totals_by_hand(aggregation):
    reward = Reward(
        [Term("qed", weight=2.0), Term("mw", weight=1.0, transform=DoubleSigmoid(100, 300))],
        aggregation=aggregation,
    )
    table = reward.score([*MOLS, None])
    for i, mol in enumerate(MOLS):
        q, m = QED.qed(mol), _mw_score(mol)
        expected = (2 * q + m) / 3 if aggregation == "arithmetic" else (q**2 * m) ** (1 / 3)
        assert table.total[i] == pytest.approx(expected, rel=1e-12)
        assert table.raw["mw"][i] == pytest.approx(Descriptors.MolWt(mol))
        assert table.transformed["mw"][i] == pytest.approx(m)
    assert table.total[-1] == 0.0
    assert math.isnan(table.raw["qed"][-1])
    np.testing.assert_array_equal(reward([*MOLS, None]), table.total)


def test_invalid_score_and_validity():
    reward = Reward([Term("validity"), Term("qed")], invalid_score=-1.0)
    totals = reward([MOLS[0], None])
    assert totals[0] == pytest.approx((1 + QED.qed(MOLS[0])) / 2)
    assert totals[1] == -1.0


def test_score_table_rows_and_columns():
    reward = Reward(
        [Term("qed"), Term("tanimoto", params={"smiles": ["CCO"]}, label="sim"), Term("mw", transform=Step(0, 100))]
    )
    table = reward.score(MOLS[:2])
    assert table.columns == ["qed_raw", "qed", "sim_raw", "sim", "mw_raw", "mw", "total"]
    rows = table.to_rows()
    assert len(rows) == 2 and list(rows[0]) == table.columns
    assert rows[0]["sim"] == 1.0 and rows[0]["mw"] == 1.0 and rows[1]["mw"] == 1.0
    assert rows[1]["total"] == pytest.approx(table.total[1])


def test_smiles_strings_are_refused():
    with pytest.raises(TypeError, match="expected RDKit molecules or None, got str"):
        Reward([Term("qed")])(["CCO"])


def test_empty_batch():
    table = Reward([Term("qed")]).score([])
    assert len(table) == 0 and table.to_rows() == []


def test_python_construction_errors():
    with pytest.raises(ConfigError, match="unknown component 'qedd'; known: validity, qed"):
        Reward([Term("qedd")])
    with pytest.raises(ConfigError, match="weight must be a number >= 0"):
        Reward([Term("qed", weight=-1)])
    with pytest.raises(ConfigError, match="positive weight"):
        Reward([Term("qed", weight=0)])
    with pytest.raises(ConfigError, match=r"not in \[0, 1\]; give it a transform"):
        Reward([Term("mw")])
    with pytest.raises(ConfigError, match="appear twice"):
        Reward([Term("qed"), Term("qed")])
    with pytest.raises(ConfigError, match="unknown aggregation"):
        Reward([Term("qed")], aggregation="harmonic")
    with pytest.raises(ConfigError, match="unknown key 'smile'"):
        Reward([Term("tanimoto", params={"smile": ["CCO"]})])


TOML = """\
aggregation = "geometric"
invalid_score = 0.0

[[component]]
name = "qed"
weight = 1.0

[[component]]
name = "mw"
weight = 0.5
transform = { type = "double_sigmoid", low = 200, high = 500 }

[[component]]
name = "tanimoto"
params = { path = "refs/refs.smi" }
"""


def _write(tmp_path, text, name="reward.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_load_toml_resolves_paths_next_to_the_file(tmp_path, monkeypatch):
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "refs.smi").write_text("CCO\n")
    path = _write(tmp_path, TOML)
    monkeypatch.chdir("/")
    reward = load_reward(path)
    assert reward.aggregation == "geometric" and reward.labels == ("qed", "mw", "tanimoto")
    assert reward.terms[1].transform == DoubleSigmoid(200, 500)
    assert reward.terms[2].params.path == str(tmp_path / "refs" / "refs.smi")
    assert reward.score(MOLS[:1]).raw["tanimoto"][0] == 1.0
    rebuilt = reward_from_dict(reward.to_dict())
    np.testing.assert_array_equal(rebuilt(MOLS), reward(MOLS))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('aggregation = "geometric"', 'aggregation = "geometric"\ncolour = "red"'), "unknown key 'colour'"),
        (("weight = 1.0", "weight = 1.0\nwieght = 2"), "component 1 \\('qed'\\): unknown key 'wieght'"),
        (("weight = 0.5", "weight = -0.5"), "weight must be a number >= 0"),
        (("weight = 0.5", 'weight = "heavy"'), "weight must be a number >= 0"),
        (('name = "qed"', 'name = "qdd"'), "unknown component 'qdd'; known: validity, qed, logp"),
        (("low = 200, high = 500", "low = 500, high = 200"), "low must be less than high"),
        (("low = 200, high = 500", "low = 200, hi = 500"), "transform \\(double_sigmoid\\): unknown key 'hi'"),
        (("double_sigmoid", "triple_sigmoid"), "unknown type 'triple_sigmoid'"),
        (('path = "refs/refs.smi"', 'paht = "refs/refs.smi"'), "params: unknown key 'paht'"),
        (('aggregation = "geometric"', 'aggregation = "median"'), "unknown aggregation 'median'"),
        (("invalid_score = 0.0", "invalid_score = true"), "invalid_score must be a number"),
        (("weight = 1.0", "weight = 1.0\nparams = { x = 1 }"), "component 1 \\('qed'\\): params: unknown key 'x'; known keys: none"),
    ],
)
def test_toml_validation_names_the_key_and_the_file(tmp_path, edit, message):
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "refs.smi").write_text("CCO\n")
    old, new = edit
    assert old in TOML
    path = _write(tmp_path, TOML.replace(old, new, 1))
    with pytest.raises(ConfigError, match=message) as info:
        load_reward(path)
    assert str(path) in str(info.value)


def test_bad_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_reward(_write(tmp_path, "aggregation = \n"))
    with pytest.raises(ConfigError, match="needs at least one"):
        load_reward(_write(tmp_path, 'aggregation = "arithmetic"\n'))
    with pytest.raises(ConfigError, match="no reward preset or file named 'nope.toml'; presets: qed"):
        load_reward("nope.toml")


@pytest.mark.parametrize("name", PRESETS)
def test_presets_load_and_score_in_unit_interval(name):
    totals = load_reward(name)([*MOLS, None])
    assert np.all((totals >= 0) & (totals <= 1))
    assert totals[-1] == 0.0


def test_druglike_zero_for_an_alert():
    reward = load_reward("druglike")
    totals = reward([Chem.MolFromSmiles("O=C1NC(=S)SC1=Cc1ccccc1"), Chem.MolFromSmiles("CC(C)Cc1ccc(C(C)C(=O)O)cc1")])
    assert totals[0] == 0.0 and totals[1] > 0.0


def test_qed_clean_is_qed_for_clean_molecules_and_zero_for_charges_and_hetero_fluorine():
    from rdkit.Chem.QED import qed

    smiles = ["CCO", "CC(=O)Nc1ccc(O)cc1", "NC[N-]c1cnc2nc1-2", "C[NH3+]", "CC[N+2]", "Cc1cc[nH]n1F", "CCOF", "CCOOC"]
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    totals = load_reward("qed-clean")(mols)
    expected = [qed(m) ** (1 / 1.001) for m in mols[:2]] + [0.0] * 6
    assert totals == pytest.approx(expected, abs=1e-9)
    assert totals[:2] == pytest.approx([qed(m) for m in mols[:2]], abs=2e-3)


def test_parallel_scoring_matches_serial():
    smiles = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "C1CC2CC1C2N", "OC1COC(O)C1O"] * 90
    mols = [Chem.MolFromSmiles(s) for s in smiles] + [None]
    reward = Reward(
        [Term("qed"), Term("sa", transform=DoubleSigmoid(1, 5)), Term("tanimoto", params={"smiles": ["CCO"]})]
    )
    serial = reward.score(mols, n_jobs=1)
    parallel = reward.score(mols, n_jobs=2)
    for label in reward.labels:
        np.testing.assert_array_equal(parallel.raw[label], serial.raw[label])
    np.testing.assert_array_equal(parallel.total, serial.total)
    with pytest.raises(InputError, match="n_jobs"):
        reward.score(mols, n_jobs=-2)


def test_spawned_workers_rebuild_the_reward(monkeypatch):
    import multiprocessing

    from molgan.scoring import reward as reward_module

    monkeypatch.setattr(reward_module, "process_context", lambda: (multiprocessing.get_context("spawn"), False))
    mols = [Chem.MolFromSmiles(s) for s in ["CCO", "c1ccccc1O"] * 200]
    reward = Reward([Term("qed"), Term("novelty", params={"smiles": ["OCC"]})])
    np.testing.assert_array_equal(reward_module._parallel_raw_scores(reward, mols, 2), reward._raw_scores(mols))
