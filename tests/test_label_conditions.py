"""Label conditions: numeric columns of the user's training file as conditions (names, the reader, training,
the stored statistics, ``molgan prior``, aimed sampling and analogs through the CLI)."""

from __future__ import annotations

import gzip
import warnings

import numpy as np
import pytest

from molgan.config import RunConfig
from molgan.data.conditions import ConditionStats, check_names, condition_values, label_names, parse_condition
from molgan.data.datasets import DataSetWarning, load_dataset
from molgan.data.labels import LabelSource, read_labels
from molgan.errors import ConfigError, InputError
from molgan.training.loop import TrainingData

from conftest import SMALL_SMILES, TINY_TOML, run_main


def test_label_names_keep_their_case_and_properties_stay_as_they_were():
    assert check_names(["QED", " pIC50 ", "logP"]) == ("qed", "pIC50", "logp")
    assert label_names(["qed", "pIC50", "Solubility class"]) == ("pIC50", "Solubility class")
    assert parse_condition("QED=0.5, pIC50 = 7") == {"qed": 0.5, "pIC50": 7.0}
    with pytest.raises(ConfigError, match="bad condition name"):
        check_names(["a=b"])
    with pytest.raises(ConfigError, match="named twice"):
        check_names(["pIC50", "pIC50 "])
    config = RunConfig.from_dict({"model": {"conditions": ["qed", "pIC50"]}, "train": {"data": "my.csv"}})
    assert config.model.conditions == ("qed", "pIC50")


@pytest.mark.parametrize("data", ["qm9", "moses", "moses-sample"])
def test_a_named_data_set_has_no_label_columns(data):
    with pytest.raises(ConfigError, match=f"unknown condition 'pIC50': {data} has no label columns"):
        RunConfig.from_dict({"model": {"conditions": ["qed", "pIC50"]}, "train": {"data": data}})


@pytest.fixture
def label_file(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text(
        "smiles,pIC50,name\n"
        "CCO,5.0,a\n"
        "OCC,6.0,b\n"          # the same molecule: the first row wins
        "c1ccccc1,,c\n"        # empty
        "CCN,n/a,d\n"          # not a number
        "C1CC1,inf,e\n"        # not a finite number
        "CN,,f\n"              # empty first row ...
        "NC,3.0,g\n"           # ... wins over a labelled duplicate, as in the data loader
        "not a smiles,7.0,h\n"
        "CC(=O)O, 7.5 ,i\n"
    )
    return path


def test_read_labels_keys_rows_by_canonical_smiles_first_row_winning(label_file):
    table = read_labels(LabelSource(str(label_file), ("pIC50",)))
    aligned = table.align(["CCO", "c1ccccc1", "CCN", "C1CC1", "CN", "CC(=O)O", "CCC"])
    assert aligned.shape == (7, 1)
    np.testing.assert_array_equal(aligned[:, 0], [5.0, np.nan, np.nan, np.nan, np.nan, 7.5, np.nan])
    assert table.not_numbers == {"pIC50": 4}  # c1ccccc1, CCN, C1CC1, CN (the duplicates are not counted)
    values = condition_values(["mw", "pIC50"], ["CCO", "CCC"], table)
    assert values[0, 1] == 5.0 and np.isnan(values[1, 1]) and values[1, 0] == pytest.approx(44.097, abs=0.01)
    # without the table a label is unknown: NaN, the networks' training mean
    assert np.isnan(condition_values(["pIC50"], ["CCO"])).all()


def test_read_labels_reuses_the_readers_delimiter_sniffing_and_fragment_policy(tmp_path):
    path = tmp_path / "chembl.csv"
    path.write_text("Smiles;Potency\nCCO.Cl;4.5\nCCN;5\n")
    table = read_labels(LabelSource(str(path), ("Potency",), fragments="largest"))
    assert table.align(["CCO", "CCN"])[:, 0].tolist() == [4.5, 5.0]
    skipping = read_labels(LabelSource(str(path), ("Potency",), fragments="skip"))
    assert np.isnan(skipping.align(["CCO"])).all()


def test_read_labels_refuses_an_unknown_column_or_one_without_numbers(label_file, tmp_path):
    with pytest.raises(InputError, match=r"unknown condition 'pic50'.*columns besides the SMILES: pIC50, name; names are case-sensitive"):
        read_labels(LabelSource(str(label_file), ("pic50",)))
    with pytest.raises(InputError, match="no molecule has a numeric 'name'"):
        read_labels(LabelSource(str(label_file), ("name",)))


def _small_label_csv(path, skip_every: int = 4) -> dict[str, float]:
    """:data:`SMALL_SMILES` with a made-up ``pIC50`` (empty on every ``skip_every``-th row); the labels by SMILES."""
    from rdkit import Chem

    rows, labels = ["smiles,pIC50"], {}
    for i, smiles in enumerate(SMALL_SMILES):
        value = "" if i % skip_every == 0 else f"{4 + i / 10:.1f}"
        rows.append(f"{smiles},{value}")
        if value:
            labels[Chem.CanonSmiles(smiles)] = float(value)
    path.write_text("\n".join(rows) + "\n")
    return labels


def test_training_data_leaves_unlabelled_molecules_out_and_fits_the_kept_labels(tmp_path):
    from rdkit import Chem

    path = tmp_path / "small.csv"
    labels = _small_label_csv(path)
    dataset = load_dataset(str(path))
    table = read_labels(LabelSource(str(path), ("pIC50",)))
    train = [dataset.smiles[i] for i in dataset.split("train")]
    kept = [labels[s] for s in train if s in labels]
    assert 0 < len(kept) < len(train)
    with pytest.warns(DataSetWarning, match=rf"{len(train) - len(kept)} of {len(train)} training molecules have no numeric 'pIC50'"):
        data = TrainingData.from_dataset(dataset, ("rings", "pIC50"), table)
    assert len(data) == len(kept) and len(data.train_smiles) == len(train)  # novelty still counts them all
    stats = data.condition_stats.stats[1]
    assert (stats.mean, stats.low, stats.high) == pytest.approx((np.mean(kept), min(kept), max(kept)))
    assert stats.std == pytest.approx(np.std(kept))
    assert data.label_source == table.source
    with pytest.raises(InputError, match="label column"):
        TrainingData.from_dataset(dataset, ("pIC50",))
    # labels only on molecules outside the training split: nothing to train on
    test = {dataset.smiles[i] for i in dataset.split("test")}
    none = tmp_path / "none.csv"
    none.write_text("smiles,pIC50\n" + "".join(f"{s},{'7' if Chem.CanonSmiles(s) in test else ''}\n" for s in SMALL_SMILES))
    with pytest.raises(InputError, match="no training molecule has a numeric 'pIC50'"):
        TrainingData.from_dataset(load_dataset(str(none)), ("pIC50",), read_labels(LabelSource(str(none), ("pIC50",))))


def _moses_label_csv(path, n: int = 240) -> None:
    """``n`` molecules of the bundled MOSES sample with a made-up ``pIC50`` (heavy atoms / 4, some rows unusable)."""
    from rdkit import Chem

    from molgan.data.datasets import BUNDLED, bundled_file

    with gzip.open(bundled_file(BUNDLED["moses-sample"]), "rt") as handle:
        smiles = [line.strip().split(",")[1] for line in handle][1 : n + 1]
    rows = ["id,smiles,pIC50"]
    for i, s in enumerate(smiles):
        value = "" if i % 10 == 3 else "n/a" if i % 10 == 7 else f"{Chem.MolFromSmiles(s).GetNumHeavyAtoms() / 4:.2f}"
        rows.append(f"m{i},{s},{value}")
    path.write_text("\n".join(rows) + "\n")


def test_short_label_conditioned_training_prior_and_aimed_sampling(tmp_path, capsys, monkeypatch):
    data = tmp_path / "assay.csv"
    _moses_label_csv(data)
    config = tmp_path / "tiny.toml"
    config.write_text(TINY_TOML)
    out = tmp_path / "run"
    train = ["train", "--data", data, "--config", config, "--out", out, "--steps", "30", "--eval-every", "30",
             "--checkpoint-every", "30", "--quiet"]
    # a column that is not there, a named data set: one line each, before any training
    code, _, err = run_main(train + ["--condition", "rings,PIC50"], capsys, monkeypatch)
    assert code == 2 and err.count("\n") == 1 and "'PIC50'" in err and "id, pIC50" in err
    code, _, err = run_main(["train", "--data", "qm9", "--out", out, "--condition", "qed,pIC50"], capsys, monkeypatch)
    assert code == 2 and err.count("\n") == 1 and "qm9 has no label columns" in err

    code, _, err = run_main(train + ["--condition", "rings,pIC50"], capsys, monkeypatch)
    assert code == 0, err
    said = [line for line in err.splitlines() if "pIC50" in line]  # the unlabelled molecules, in one line
    assert len(said) == 1 and said[0].startswith("warning: ") and "training molecules have no numeric 'pIC50'" in said[0]

    import molgan

    model = molgan.load(out / "last")
    assert model.conditions.names == ("rings", "pIC50") and model.prior.condition_dim == 2
    assert model.checkpoint.extra["labels"]["columns"] == ["pIC50"]
    # the stored statistics are the column's over the training molecules that have a label
    dataset = load_dataset(str(data))
    table = read_labels(LabelSource(str(data), ("pIC50",)))
    kept = table.align([dataset.smiles[i] for i in dataset.split("train")])[:, 0]
    kept = kept[np.isfinite(kept)]
    stats = model.conditions.stats[1]
    assert (stats.mean, stats.std, stats.low, stats.high) == pytest.approx((kept.mean(), kept.std(), kept.min(), kept.max()))

    # molgan prior finds the labels again: every kept code carries a labelled molecule's pIC50
    code, _, err = run_main(["prior", out / "last", "--kind", "kernel", "--components", "60", "--scale", "0.4"], capsys, monkeypatch)
    assert code == 0, err
    refitted = molgan.load(out / "last")
    prior_labels = refitted.prior.conditions[:, 1].numpy() * stats.std + stats.mean
    assert len(prior_labels) == 60
    assert all(np.isclose(kept, value, atol=1e-4).any() for value in prior_labels)

    median = stats.percentiles["50"]
    assert len(refitted.sample_raw(20, seed=0, condition={"pIC50": median})) == 20
    code, out_text, err = run_main(
        ["sample", "--model", out / "last", "--condition", f"pIC50={median}", "--raw", "-n", "5", "-o", "-"], capsys, monkeypatch,
    )
    assert code == 0 and len(out_text.splitlines()) == 5, err  # 5 rows (a 30-step model: valid or not)
    code, _, err = run_main(["sample", "--model", out / "last", "--condition", "pIC50=100", "-n", "5", "-o", "-"], capsys, monkeypatch)
    assert code == 2 and err.count("\n") == 1 and "outside the training range" in err
    with pytest.raises(InputError, match="not 'pic50'"):
        refitted.with_condition("pic50=5")

    # a molecule given for analogs has no known label: left free (the training mean)
    from molgan.latent.analogs import analogs, encode

    assert encode(refitted, ["CCO"])[0, -1].item() == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        analogs(refitted, "CCO", num=2, draws=20)
