"""The first hour of a chemist (issue 16): forced CSV dialects, salts stripped everywhere, DataFrames,
honest evaluate defaults, collapse warnings, input guards, progress."""

import json

import numpy as np

import pytest
from typer.testing import CliRunner

from molgan.cli.main import app
from molgan.data.readers import iter_records, parse_delimiter
from molgan.errors import InputError

runner = CliRunner()

#: A semicolon table whose header the sniffer reads as comma-separated (as many commas as semicolons).
AMBIGUOUS = "id;name,salt,form;smiles\na;x;CCO\nb;y;c1ccccc1O\n"


def test_parse_delimiter_names_and_refusal():
    assert [parse_delimiter(v) for v in (",", "comma", ";", "SEMICOLON", "tab", "\\t", "\t", None)] == [
        ",", ",", ";", ";", "\t", "\t", "\t", None
    ]
    with pytest.raises(InputError, match="unknown delimiter"):
        parse_delimiter("|")


def test_delimiter_forces_the_dialect_of_the_reader(tmp_path):
    path = tmp_path / "mols.csv"
    path.write_text(AMBIGUOUS)
    with pytest.raises(InputError, match="no column 'smiles'"):
        list(iter_records(path))  # sniffed as commas: the header has no smiles cell
    records = list(iter_records(path, delimiter=";"))
    assert [r.smiles for r in records] == ["CCO", "c1ccccc1O"] and records[0].fields["id"] == "a"


@pytest.mark.parametrize("command", ["score", "screen", "evaluate", "data"])
def test_every_reading_command_takes_delimiter(tmp_path, command):
    path = tmp_path / "mols.csv"
    path.write_text("id\tsmiles\na\tCCO\nb\tc1ccccc1O\n")  # a .csv file that is tab-separated
    out = str(tmp_path / "out.csv")
    args = {
        "score": ["score", str(path), "-r", "qed", "-o", out],
        "screen": ["screen", str(path), "-o", out],
        "evaluate": ["evaluate", str(path), "--json", "--no-fcd"],
        "data": ["data", "info", str(path), "--json", "--no-cache"],
    }[command]
    result = runner.invoke(app, args + ["--delimiter", "tab"])
    assert result.exit_code == 0, result.output
    if command == "evaluate":
        assert json.loads(result.stdout)["validity"] == 1.0
    elif command == "data":
        assert json.loads(result.stdout)["n_kept"] == 2
    else:
        assert (tmp_path / "out.csv").read_text().splitlines()[1].startswith("CCO,a")
    bad = runner.invoke(app, args + ["--delimiter", "pipe", "--force"] if command in ("score", "screen") else args + ["--delimiter", "pipe"])
    assert bad.exit_code != 0 and "unknown delimiter" in str(bad.exception or bad.output)


@pytest.fixture
def dataset_options(monkeypatch):
    """The options ``molgan train`` passes to ``load_dataset`` (which then stops the run)."""
    import molgan.api

    seen = {}

    def fake_load_dataset(source, **options):
        seen.update(options, source=source)
        raise InputError("stop here")

    monkeypatch.setattr(molgan.api, "load_dataset", fake_load_dataset)
    return seen


@pytest.mark.parametrize("flag, value, option", [("--delimiter", ";", "delimiter"), ("--fragments", "largest", "fragments")])
def test_train_passes_its_reading_options_to_the_data_set(tmp_path, dataset_options, flag, value, option):
    result = runner.invoke(app, ["train", "--data", "x.csv", "--out", str(tmp_path / "run"), flag, value, "-q"])
    assert result.exit_code != 0 and dataset_options[option] == value


def test_score_fragments_largest_strips_salts(tmp_path):
    path = tmp_path / "salts.csv"
    path.write_text("id,smiles\na,CC(=O)[O-].[Na+]\nb,CCO\n")
    out = tmp_path / "scored.csv"
    result = runner.invoke(app, ["score", str(path), "-r", "qed", "-o", str(out), "--fragments", "largest"])
    assert result.exit_code == 0, result.output
    rows = [line.split(",") for line in out.read_text().splitlines()[1:]]
    assert [r[:2] for r in rows] == [["CC(=O)[O-]", "a"], ["CCO", "b"]] and all(r[-2] for r in rows)
    assert "1 records reduced to their largest fragment" in result.output
    skip = runner.invoke(app, ["score", str(path), "-r", "qed", "-o", str(out), "--fragments", "skip", "--force"])
    assert skip.exit_code == 0 and out.read_text().splitlines()[1].endswith(",several_fragments")
    bad = runner.invoke(app, ["score", str(path), "-r", "qed", "-o", str(out), "--fragments", "most", "--force"])
    assert bad.exit_code != 0


def test_a_data_file_of_salts_trains_with_fragments_largest(tmp_path):
    from molgan.data.datasets import load_dataset

    path = tmp_path / "salts.smi"
    path.write_text("CC(=O)[O-].[Na+]\nCCO\nCCN.Cl\n")
    assert load_dataset(path, cache=False).smiles == ["CCO"]
    assert sorted(load_dataset(path, fragments="largest", cache=False).smiles) == ["CC(=O)[O-]", "CCN", "CCO"]


def test_score_and_screen_results_as_columns_in_input_order(tmp_path):
    import molgan

    table = molgan.score(["CCO", "not_a_smiles", "c1ccccc1O"], reward="qed")
    columns = table.to_dict()
    assert list(columns) == ["smiles", "qed_raw", "qed", "total"] and columns["smiles"][1] == "not_a_smiles"
    assert len(columns["total"]) == 3 and columns["total"][0] > 0
    hits = molgan.screen(["CCO", "xx", "c1ccccc1O", "CCO"], where="mw>40", properties="qed")
    assert hits.to_dict()["smiles"] == ["CCO", "c1ccccc1O"] and list(hits.to_dict()) == ["smiles", "mw", "qed"]
    path = tmp_path / "in.csv"
    path.write_text("id,smiles\na,CCO\nb,xx\n")
    done = molgan.score_file(path, tmp_path / "out.csv", reward="qed")
    assert list(done.to_dict()) == ["smiles", "id", "qed_raw", "qed", "total", "reason"]
    assert done.to_dict()["id"] == ["a", "b"] and done.to_dict()["reason"] == ["", "unparsable_smiles"]


def test_to_frame_without_pandas_is_one_clear_error(monkeypatch):
    import sys

    import molgan

    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas raises ImportError
    with pytest.raises(InputError, match="needs pandas"):
        molgan.score(["CCO"], reward="qed").to_frame()


def test_to_frame_keeps_smiles_and_the_input_index():
    pandas = pytest.importorskip("pandas")
    import molgan

    series = pandas.Series(["CCO", "xx", "c1ccccc1O"], index=["m1", "m2", "m3"])
    frame = molgan.score(series, reward="qed").to_frame()
    assert list(frame.index) == ["m1", "m2", "m3"] and list(frame.columns)[:2] == ["smiles", "qed_raw"]
    hits = molgan.screen(series, where="mw>40").to_frame()
    assert list(hits.index) == ["m1", "m3"] and list(hits["smiles"]) == ["CCO", "c1ccccc1O"]


def _checkpoint_trained_on(tmp_path, data: str):
    """A checkpoint directory (its checkpoint.json only: no weights are read) whose run trained on ``data``."""
    from molgan.pretrained import shipped_dir

    meta = json.loads((shipped_dir("qm9") / "checkpoint.json").read_text())
    meta["config"]["train"]["data"] = data
    model = tmp_path / "model"
    model.mkdir()
    (model / "checkpoint.json").write_text(json.dumps(meta))
    return model


def test_evaluate_says_plainly_that_novelty_needs_a_reference(tmp_path):
    path = tmp_path / "samples.smi"
    path.write_text("CCO\nCCCCO\nxx\n")
    result = runner.invoke(app, ["evaluate", str(path), "--json", "--no-fcd"])
    assert result.exit_code == 0 and "novelty and FCD need --reference" in result.stderr
    metrics = json.loads(result.stdout)
    assert "novelty" not in metrics and metrics["heavy_atoms_mean"] == 4.0 and "reference_mw_mean" not in metrics


def test_evaluate_defaults_to_the_training_data_of_the_model_in_cli_and_api(tmp_path):
    import molgan

    data = tmp_path / "train.smi"
    data.write_text("CCO\nCCN\nc1ccccc1\n")
    model = _checkpoint_trained_on(tmp_path, str(data))
    samples = tmp_path / "samples.smi"
    samples.write_text("CCO\nCCCCO\n")
    result = runner.invoke(app, ["evaluate", str(samples), "--model", str(model), "--json", "--no-fcd"])
    assert result.exit_code == 0, result.output
    assert f"against {data} (the training data of {model})" in result.stderr
    cli = json.loads(result.stdout)
    assert cli["novelty"] == 0.5 and cli["reference_heavy_atoms_mean"] == pytest.approx(4.0)
    assert cli["mw_mean"] == pytest.approx((46.069 + 74.123) / 2, abs=0.01)
    api = molgan.evaluate(["CCO", "CCCCO"], model=model, fcd=False)
    assert api == pytest.approx(cli)
    assert "novelty" not in molgan.evaluate(["CCO"], fcd=False)  # the API's default is the CLI's
    (tmp_path / "train.smi").unlink()
    gone = runner.invoke(app, ["evaluate", str(samples), "--model", str(model), "--no-fcd"])
    assert gone.exit_code != 0 and "give --reference" in str(gone.exception)


def test_collapse_conditions_and_one_warning_per_condition():
    from molgan.training.collapse import CollapseWatch, collapse_conditions, data_mean_heavy_atoms, mean_heavy_atoms

    assert collapse_conditions(0.9, 8.0, 9.0) == {}
    assert set(collapse_conditions(0.3, 4.0, 9.0)) == {"uniqueness", "size"}
    assert collapse_conditions(float("nan"), float("nan"), 9.0) == {}
    assert mean_heavy_atoms(["CCO", "CCO", "c1ccccc1", None, "xx"]) == 4.0 and data_mean_heavy_atoms(np.array([[1, 2, 0], [1, 0, 0]])) == 1.5
    watch = CollapseWatch(9.0)
    assert watch.check(1000, 0.3, 8.0) == []  # a first evaluation may repeat itself: not yet
    lines = watch.check(2000, 0.2, 3.0)
    assert len(lines) == 1 and "step 2000" in lines[0] and "uniqueness" in lines[0]
    assert [("heavy atoms" in line) for line in watch.check(3000, 0.2, 3.0)] == [True]  # size: now twice in a row
    assert watch.check(4000, 0.1, 2.0) == []  # each condition once


def test_samples_of_other_elements_than_the_data_warn():
    from molgan.training.collapse import collapse_conditions, data_element_shares, element_distance, sample_composition

    data = data_element_shares(np.array([[1, 1, 1, 2], [1, 1, 3, 0]]), ["C", "O", "S"])
    assert data == pytest.approx({"C": 5 / 7, "O": 1 / 7, "S": 1 / 7})
    atoms, soup = sample_composition(["CSS[SH](S)S", "CSS[SH](S)S", None, "xx"])  # a hypervalent-sulfur soup
    assert atoms == 6.0 and soup == pytest.approx({"S": 5 / 6, "C": 1 / 6})
    assert element_distance(data, data) == 0.0 and element_distance({"C": 1.0}, {"S": 1.0}) == 1.0
    found = collapse_conditions(0.9, 6.0, 6.0, soup, data)
    assert set(found) == {"elements"} and found["elements"].startswith("S makes 83%")
    assert collapse_conditions(0.9, 6.0, 6.0, sample_composition(["CCOC(C)S"])[1], data) == {}
    assert collapse_conditions(0.9, 6.0, 6.0, {}, data) == {}  # no valid samples: nothing to compare


def test_a_collapsing_run_warns_once(tmp_path, monkeypatch):
    import warnings

    from conftest import train_small_model
    from molgan.training import collapse

    seen = []

    def always_collapsed(uniqueness, mean_atoms, data_mean_atoms, elements, data_elements):  # the wiring, not the rule
        seen.append(data_mean_atoms)
        return {"uniqueness": "the generator repeats a few molecules"}

    monkeypatch.setattr(collapse, "collapse_conditions", always_collapsed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train_small_model(tmp_path / "run", steps=3, eval_every=1, checkpoint_every=3, eval_samples=16,
                          reconstruction_weight=0.0, noise_prior="none")
    lines = [str(w.message) for w in caught if w.category is collapse.TrainingCollapseWarning]
    assert len(lines) == 1 and "step 2" in lines[0] and len(seen) == 3
    assert seen[0] == pytest.approx(116 / 28)  # the mean heavy atoms of the 28 training molecules


def test_train_prints_a_warning_as_one_line(tmp_path, monkeypatch):
    import warnings

    import molgan.api
    from molgan.training.collapse import TrainingCollapseWarning

    def fake_train(out, **options):
        warnings.warn("training may have collapsed (step 2): test", TrainingCollapseWarning)
        raise InputError("stop here")

    monkeypatch.setattr(molgan.api, "train", fake_train)
    result = runner.invoke(app, ["train", "--data", "qm9", "--out", str(tmp_path / "run"), "-q"])
    assert "warning: training may have collapsed (step 2): test\n" in result.stderr


def _qm9_nine_atoms(n: int) -> list[str]:
    """``n`` QM9 molecules from far into the file, where all have 9 heavy atoms."""
    from itertools import islice

    from molgan.data.datasets import bundled_file
    from molgan.data.readers import iter_smiles_texts

    return list(islice(iter_smiles_texts(bundled_file("qm9.csv.gz"), "smiles"), 25_000, 25_000 + n))


def test_a_file_is_sized_at_the_999th_percentile_and_says_how_many_were_dropped(tmp_path):
    from molgan.data.datasets import dataset_warnings, load_dataset

    path = tmp_path / "mols.smi"
    path.write_text("\n".join(_qm9_nine_atoms(1200) + ["C" * 40]) + "\n")  # one 40-atom outlier
    dataset = load_dataset(path)
    assert dataset.vocab.max_atoms == 9 and dataset.report.skipped["too_many_atoms"] == 1
    assert dataset_warnings(dataset) == [
        "max_atoms 9 (the 99.9th percentile of heavy atoms): 1 larger molecules dropped; --max-atoms N chooses the size"
    ]
    assert load_dataset(path, max_atoms=40, cache=False).vocab.max_atoms == 40  # --max-atoms still decides
    result = runner.invoke(app, ["data", "info", str(path)])  # from the cache: the note too
    assert result.exit_code == 0 and "note: max_atoms 9" in result.stderr


def test_named_data_sets_keep_their_size(monkeypatch):
    import molgan.data.datasets as datasets

    seen = []

    def fake_featurize(*args, **options):
        seen.append(options["size_quantile"])
        raise InputError("stop here")

    monkeypatch.setattr(datasets, "featurize", fake_featurize)
    for name in ("qm9", "moses-sample", "some_file.smi"):
        with pytest.raises(InputError):
            datasets.load_dataset(name, cache=False)
    assert seen == [None, None, datasets.MAX_ATOMS_QUANTILE]


def test_a_tiny_data_set_warns(tmp_path):
    from molgan.data.datasets import dataset_warnings, load_dataset

    path = tmp_path / "tiny.smi"
    path.write_text("CCO\nCCN\nCCC\n")
    lines = dataset_warnings(load_dataset(path, cache=False))
    assert lines[0].startswith("only 3 molecules") and lines[1].endswith("split is empty")


def test_optimize_starts_from_the_data_set_of_the_checkpoint(tmp_path, monkeypatch):
    import shutil

    import molgan.latent.search as search
    from molgan.pretrained import shipped_dir

    model = tmp_path / "model"
    shutil.copytree(shipped_dir("qm9"), model)
    meta = json.loads((model / "checkpoint.json").read_text())
    meta["config"]["train"]["data"] = "my_mols.smi"
    (model / "checkpoint.json").write_text(json.dumps(meta))
    seen = []

    def fake_start_pool(checkpoint, generator, reward, cfg, data, jobs):
        seen.append(data)
        raise InputError("stop here")

    monkeypatch.setattr(search, "_start_pool", fake_start_pool)
    for extra in ([], ["--data", "qm9"]):
        result = runner.invoke(app, ["optimize", str(model), "-r", "qed", "--out", str(tmp_path / "s"), "-q"] + extra)
        assert result.exit_code != 0
    assert seen == ["my_mols.smi", "qm9"]


@pytest.fixture
def bar_updates(monkeypatch):
    """The updates the commands send to their progress bar (which off a terminal shows nothing)."""
    from contextlib import contextmanager

    import molgan.cli.progress

    seen = []

    @contextmanager
    def fake_bar(description, total, *, quiet=False):
        yield lambda completed, text="", total=None: seen.append((description, completed, total))

    monkeypatch.setattr(molgan.cli.progress, "progress_bar", fake_bar)
    return seen


def test_score_and_screen_report_progress_and_write_the_same_bytes(tmp_path, monkeypatch, bar_updates):
    import molgan.evaluation.screen_file as screen_file
    import molgan.scoring.score_file as score_file

    path = tmp_path / "in.smi"
    path.write_text("CCO\nc1ccccc1O\nxx\nCCN\nCC(=O)O\nCCCl\n")
    assert runner.invoke(app, ["score", str(path), "-r", "qed", "-o", str(tmp_path / "one.csv")]).exit_code == 0
    monkeypatch.setattr(score_file, "SCORE_CHUNK", 2)
    bar_updates.clear()
    assert runner.invoke(app, ["score", str(path), "-r", "qed", "-o", str(tmp_path / "chunked.csv")]).exit_code == 0
    assert bar_updates == [("scoring", 2, 5), ("scoring", 4, 5), ("scoring", 5, 5)]
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "chunked.csv").read_bytes()
    bar_updates.clear()
    screened = runner.invoke(app, ["screen", str(path), "-o", str(tmp_path / "hits.csv")])
    assert screened.exit_code == 0, screened.output
    assert [(d, n) for d, n, _ in bar_updates] == [("screening", 5)]  # the 5 molecules read
    from molgan.evaluation.screen import ScreenSpec

    calls = []
    screen_file.screen_file(path, tmp_path / "chunked.smi", ScreenSpec(), chunk_size=2, progress=calls.append)
    assert calls == [2, 4, 5]


def test_fcd_statistics_report_progress_with_the_same_activations(monkeypatch):
    from molgan.evaluation import fcd

    smiles = ["CCO", "CCN", "c1ccccc1O", "CC(=O)O", "CCCl", "OCCO", "C#N", "CC(C)C", "NC=O", "C1CC1", "CCOC"]
    plain = fcd.activations(smiles, batch_size=4)
    monkeypatch.setattr(fcd, "PROGRESS_BATCHES", 1)
    calls = []
    chunked = fcd.activations(smiles, batch_size=4, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(4, 11), (8, 11), (11, 11)] and np.array_equal(plain, chunked)


def test_evaluate_shows_a_bar_only_while_it_computes_fcd_statistics(tmp_path, monkeypatch, bar_updates):
    from molgan.evaluation import metrics

    monkeypatch.setattr(metrics, "_fcd", lambda *a, progress=None, **k: progress(7, 7) or 1.0)
    path = tmp_path / "samples.smi"
    path.write_text("CCO\nCCN\n")
    reference = tmp_path / "ref.smi"
    reference.write_text("CCO\nCCC\nCCCC\n")
    result = runner.invoke(app, ["evaluate", str(path), "--reference", str(reference), "--json"])
    assert result.exit_code == 0 and "computing FCD statistics of 3 reference molecules" in result.stderr
    assert bar_updates == [("FCD statistics", 7, 7)] and json.loads(result.stdout)["fcd"] == 1.0


def test_the_bar_knows_its_total_and_where_a_resumed_job_starts(monkeypatch):
    import sys

    import rich.progress

    from molgan.cli.progress import progress_bar

    tasks = []
    real_add_task = rich.progress.Progress.add_task

    def add_task(self, *args, **kwargs):
        tasks.append((self, real_add_task(self, *args, **kwargs)))
        return tasks[-1][1]

    monkeypatch.setattr(rich.progress.Progress, "add_task", add_task)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    with progress_bar("training", None, start=500) as update:
        bar, task = tasks[0]
        assert bar.tasks[task].completed == 500
        update(501, "validity 0.9", 1000)
        assert (bar.tasks[task].completed, bar.tasks[task].total) == (501, 1000)
    assert any(isinstance(column, rich.progress.TimeRemainingColumn) for column in bar.columns)


def test_train_help_shows_the_toml_tables_literally():
    result = runner.invoke(app, ["train", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "[model] and [train]" in result.output


def test_the_cli_starts_without_torch():
    import subprocess
    import sys

    code = "import sys, molgan.cli.main; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"  # `molgan models` and every --help answer in well under a second
