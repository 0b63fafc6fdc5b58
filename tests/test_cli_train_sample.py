"""``molgan train``, ``sample``, ``info`` and ``models`` through CliRunner, and their error paths as subprocesses."""

import csv
import gzip
import json
import subprocess
import sys

import pytest
import torch
from rdkit import Chem
from typer.testing import CliRunner

from conftest import TINY_TOML

from molgan.cli.main import app

runner = CliRunner()



@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from conftest import TINY_SMILES

    root = tmp_path_factory.mktemp("cli")
    (root / "tiny.toml").write_text(TINY_TOML)
    (root / "typo.toml").write_text(TINY_TOML.replace("batch_size", "batch_szie"))
    (root / "mols.smi").write_text("\n".join(TINY_SMILES * 2) + "\n")
    (root / "exists.smi").write_text("CCO\n")
    return root


def test_train_command_writes_a_model(tmp_path, files, monkeypatch):
    result = runner.invoke(app, [
        "train", "--data", str(files / "mols.smi"), "--config", str(files / "tiny.toml"), "--out", str(tmp_path),
        "--steps", "4", "--eval-every", "2", "--checkpoint-every", "2", "--seed", "3", "--quiet",
    ])
    assert result.exit_code == 0, result.output
    assert "trained 4 steps" in result.stderr
    from molgan.checkpoint import load_checkpoint

    last = load_checkpoint(tmp_path / "last")
    assert last.step == 4 and last.config.train.seed == 3 and last.config.model.z_dim == 8
    assert (tmp_path / "metrics.csv").exists() and (tmp_path / "training_curves.png").exists()


@pytest.mark.parametrize("kind", ["kernel", "mixture"])
def test_prior_command_stores_a_prior_that_sampling_uses(tmp_path, files, tiny_model_dir, kind):
    import shutil

    from molgan.sampling.model import load

    target = tmp_path / "model"
    shutil.copytree(tiny_model_dir / "best", target)
    result = runner.invoke(app, [
        "prior", str(target), "--data", str(files / "mols.smi"), "--kind", kind, "--components", "3", "--scale", "0.5",
    ])
    assert result.exit_code == 0, result.output
    assert f"stored a {kind} noise prior" in result.stderr
    model = load(target)
    assert repr(model.prior).startswith("KernelDensityPrior(codes=3" if kind == "kernel" else "GaussianMixturePrior(components=3")
    assert len(model.sample_raw(10, seed=0)) == 10


def sample(model_dir, output, *args):
    return runner.invoke(app, ["sample", "--model", str(model_dir), "--output", str(output), "--quiet", *args])


@pytest.mark.parametrize("name", ["out.smi", "out.csv", "out.sdf", "out.smi.gz", "out.csv.gz"])
def test_sample_writes_every_format(tmp_path, tiny_model, tiny_model_dir, name):
    result = sample(tiny_model_dir, tmp_path / name, "--num", "8", "--seed", "2")
    assert result.exit_code == 0, result.output
    expected = tiny_model.sample(8, seed=2)
    path = tmp_path / name
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt") as handle:
        text = handle.read()
    if ".sdf" in name:
        mols = [m for m in Chem.SDMolSupplier(str(path))]
        assert [Chem.MolToSmiles(m, isomericSmiles=False) for m in mols] == expected
    elif ".csv" in name:
        rows = list(csv.DictReader(text.splitlines()))
        assert [row["smiles"] for row in rows] == expected
    else:
        assert [line.split()[0] for line in text.splitlines() if line.strip()] == expected


def test_sample_to_stdout(tiny_model, tiny_model_dir):
    result = runner.invoke(app, ["sample", "--model", str(tiny_model_dir), "--output", "-", "--num", "5", "--unique"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    smiles = [line.split()[0] for line in lines if line.split()[0].lower() != "smiles"]
    assert smiles == tiny_model.sample(5, unique=True)


def test_raw_csv_keeps_every_row(tmp_path, tiny_model, tiny_model_dir):
    result = sample(tiny_model_dir, tmp_path / "raw.csv", "--num", "300", "--raw", "--seed", "4")
    assert result.exit_code == 0, result.output
    with open(tmp_path / "raw.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 300
    assert [row["smiles"] or None for row in rows] == tiny_model.sample_raw(300, seed=4)
    assert any(row["smiles"] == "" for row in rows)


def test_existing_output_is_refused_without_force(tmp_path, tiny_model_dir):
    out = tmp_path / "out.smi"
    out.write_text("keep me\n")
    result = sample(tiny_model_dir, out, "--num", "3")
    assert result.exit_code != 0
    assert out.read_text() == "keep me\n"
    result = sample(tiny_model_dir, out, "--num", "3", "--force")
    assert result.exit_code == 0, result.output
    assert out.read_text() != "keep me\n"


def test_max_draws_exceeded_writes_nothing(tmp_path, tiny_model_dir):
    out = tmp_path / "out.smi"
    result = sample(tiny_model_dir, out, "--num", "500", "--unique", "--max-draws", "20")
    assert result.exit_code != 0
    assert "raise --max-draws" in str(result.exception)
    assert not out.exists()


def test_info_json_and_models(tiny_model_dir):
    result = runner.invoke(app, ["info", "--model", str(tiny_model_dir), "--json"])
    assert result.exit_code == 0, result.output
    card = json.loads(result.stdout)
    assert card["trained_steps"] == 40 and card["atom_types"] == ["C-", "C", "N-", "N", "N+", "O-", "O", "F"]
    result = runner.invoke(app, ["info", "--model", str(tiny_model_dir)])
    assert result.exit_code == 0 and "trained_steps" in result.stdout
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0 and "qm9" in result.stdout and "qm9-qed" in result.stdout


SUBPROCESS_ERRORS = {
    "negative-num": (["sample", "--model", "{model}", "--num", "-5", "-o", "{tmp}/a.smi"], "--num"),
    "cuda-without-gpu": (
        ["train", "--data", "{files}/mols.smi", "--config", "{files}/tiny.toml", "--out", "{tmp}/r1", "--device", "cuda",
         "--steps", "2"], "cuda"),
    "config-typo": (["train", "--data", "{files}/mols.smi", "--config", "{files}/typo.toml", "--out", "{tmp}/r2"], "batch_szie"),
}
#: Further error paths, run through the same ``run()`` entry point in this process (no interpreter start-up).
IN_PROCESS_ERRORS = {
    "unknown-model": (["sample", "--model", "nosuch", "--num", "5", "-o", "{tmp}/b.smi"], "nosuch"),
    "unknown-reward": (
        ["train", "--data", "{files}/mols.smi", "--config", "{files}/tiny.toml", "--out", "{tmp}/r3", "--reward",
         "happiness", "--steps", "2"], "happiness"),
    "existing-output": (["sample", "--model", "{model}", "--num", "5", "-o", "{files}/exists.smi"], "exists"),
    "bad-format": (["sample", "--model", "{model}", "--num", "5", "-o", "{tmp}/c.xyz"], "c.xyz"),
    "zero-num": (["sample", "--model", "{model}", "--num", "0", "-o", "{tmp}/d.smi"], "--num"),
    "bad-temperature": (["sample", "--model", "{model}", "--num", "5", "--decoding", "sample", "--temperature", "0",
                         "-o", "{tmp}/e.smi"], "temperature"),
    "missing-data": (["train", "--data", "{tmp}/none.smi", "--out", "{tmp}/r4"], "none.smi"),
    "negative-steps": (["train", "--data", "{files}/mols.smi", "--out", "{tmp}/r5", "--steps", "-1"], "--steps"),
    "missing-config": (["train", "--data", "{files}/mols.smi", "--config", "{tmp}/no.toml", "--out", "{tmp}/r6"], "no.toml"),
    "info-no-model": (["info", "--model", "{tmp}"], "checkpoint"),
    "prior-bad-kind": (["prior", "{model}/best", "--kind", "flow"], "--kind"),
}


@pytest.fixture(scope="module")
def error_runs(tmp_path_factory, files, tiny_model_dir):
    """Every subprocess error case as a real ``python -m molgan.cli.main`` process, started all at once."""
    tmp = tmp_path_factory.mktemp("cli-errors")
    started = {}
    for name, (args, _) in SUBPROCESS_ERRORS.items():
        if name == "cuda-without-gpu" and torch.cuda.is_available():
            continue
        argv = [a.format(model=tiny_model_dir, tmp=tmp, files=files) for a in args]
        started[name] = subprocess.Popen(
            [sys.executable, "-m", "molgan.cli.main", *argv],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
    return {name: (p.wait(timeout=180), *p.communicate()) for name, p in started.items()}


def assert_one_line_error(code, stderr, needle):
    assert code != 0
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert lines[0].startswith("error:") and needle in lines[0], lines[0]


@pytest.mark.slow  # over 5 s here (real processes)
@pytest.mark.parametrize("case", list(SUBPROCESS_ERRORS))
def test_errors_are_one_line_and_a_non_zero_exit(error_runs, case):
    if case not in error_runs:
        pytest.skip("a GPU is present")
    code, stdout, stderr = error_runs[case]
    assert_one_line_error(code, stderr, SUBPROCESS_ERRORS[case][1])


@pytest.mark.parametrize("case", list(IN_PROCESS_ERRORS))
def test_more_errors_are_one_line(case, files, tiny_model_dir, tmp_path, capsys, monkeypatch):
    from conftest import run_main

    args, needle = IN_PROCESS_ERRORS[case]
    code, _, stderr = run_main([a.format(model=tiny_model_dir, tmp=tmp_path, files=files) for a in args], capsys, monkeypatch)
    assert_one_line_error(code, stderr, needle)
