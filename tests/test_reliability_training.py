"""Training when things go wrong: a loss turns NaN, a run is killed with SIGKILL and resumed."""

import csv
import signal
import subprocess
import sys
import time

import pytest
import torch

import molgan.training.losses
from molgan.checkpoint import load_checkpoint
from molgan.errors import TrainingDivergedError

from conftest import TINY_TOML
from molgan.training.loop import train


def read_rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path, tiny_data, make_config, monkeypatch):
    real_penalty = molgan.training.losses.valence_penalty
    calls = []

    def nan_after_four_steps(*args):
        calls.append(1)
        value = real_penalty(*args)
        return value * float("nan") if len(calls) > 4 else value

    monkeypatch.setattr(molgan.training.losses, "valence_penalty", nan_after_four_steps)
    config = make_config(steps=10)
    with pytest.raises(TrainingDivergedError, match="valence.*step 5"):
        train(config, tiny_data, tmp_path)
    last = load_checkpoint(tmp_path / "last")
    assert last.step == 3
    assert all(torch.isfinite(t).all() for t in last.weights.values())
    assert [row["step"] for row in read_rows(tmp_path / "metrics.csv")] == ["3"]
    monkeypatch.undo()
    result = train(config, tiny_data, tmp_path, resume=True)  # the kept checkpoint resumes
    assert result.steps == 10




@pytest.fixture
def smiles_file(tmp_path):
    from conftest import TINY_SMILES

    path = tmp_path / "mols.smi"
    path.write_text("\n".join(TINY_SMILES * 2) + "\n")
    return path


@pytest.mark.slow  # over 5 s here (real processes)
def test_a_killed_cli_run_resumes(tmp_path, smiles_file):
    config = tmp_path / "tiny.toml"
    config.write_text(TINY_TOML)
    out = tmp_path / "run"
    command = [sys.executable, "-m", "molgan.cli.main", "train", "--data", str(smiles_file), "--out", str(out),
               "--config", str(config), "--quiet"]
    process = subprocess.Popen(
        [*command, "--steps", "100000", "--checkpoint-every", "5", "--eval-every", "100000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (out / "last" / "checkpoint.json").exists():
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "no checkpoint within 60 s"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()
    killed_at = load_checkpoint(out / "last").step  # a complete checkpoint survived the kill
    assert killed_at >= 5 and killed_at % 5 == 0
    target = killed_at + 3
    from typer.testing import CliRunner

    from molgan.cli.main import app

    done = CliRunner().invoke(app, [*command[3:], "--resume", "--steps", str(target)])  # resumed here: no new process
    assert done.exit_code == 0, done.output
    last = load_checkpoint(out / "last")
    assert last.step == target
    assert last.config.train.steps == target and last.config.train.checkpoint_every == 5
    assert [int(row["step"]) for row in read_rows(out / "metrics.csv")] == [target]
