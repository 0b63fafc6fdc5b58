"""A training run is never lost: an existing --out is refused, --resume needs last/, Ctrl-C saves last/."""

import dataclasses
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import TINY_SMILES, TINY_TOML, run_main

from molgan.checkpoint import load_checkpoint
from molgan.errors import InputError, TrainingInterrupted
from molgan.training.loop import Schedule, train
from molgan.training.run_dir import check_run_dir


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("inputs")
    (root / "tiny.toml").write_text(TINY_TOML)
    (root / "mols.smi").write_text("\n".join(TINY_SMILES * 2) + "\n")
    return root


@pytest.fixture
def cli_files(inputs, tmp_path, monkeypatch):
    """The inputs (one data file, so its encoding is cached once) and a fresh place for runs."""
    for name in ("tiny.toml", "mols.smi"):
        (tmp_path / name).symlink_to(inputs / name)
    return tmp_path


def _train_args(files, out, *extra):
    return ["train", "--data", files / "mols.smi", "--config", files / "tiny.toml", "--out", out, "--quiet", *extra]


@pytest.mark.parametrize("held", ["metrics.csv", "last", "best"])
def test_train_refuses_an_out_that_holds_a_run(cli_files, capsys, monkeypatch, held):
    out = cli_files / "run"
    out.mkdir()
    (out / held).mkdir() if held != "metrics.csv" else (out / held).write_text("step\n10\n")
    code, _, err = run_main(_train_args(cli_files, out, "--steps", "2"), capsys, monkeypatch)
    assert code == 2
    assert err.strip().splitlines() == [f"error: {out} holds a training run; use --resume to continue it or --force to start over"]
    assert sorted(p.name for p in out.iterdir()) == [held]  # untouched


def test_resume_without_a_last_checkpoint_is_refused(cli_files, capsys, monkeypatch):
    out = cli_files / "empty"
    code, _, err = run_main(_train_args(cli_files, out, "--resume"), capsys, monkeypatch)
    assert code == 2
    assert "nothing to resume" in err and "drop --resume" in err and len(err.strip().splitlines()) == 1


def test_resume_and_force_together_are_refused(tmp_path):
    with pytest.raises(InputError, match="give one of them"):
        check_run_dir(tmp_path, resume=True, force=True)


def test_force_starts_over(cli_files, capsys, monkeypatch):
    out = cli_files / "run"
    (out / "best").mkdir(parents=True)
    (out / "best" / "stale.txt").write_text("old")
    (out / "metrics.csv").write_text("step\n999\n")
    code, _, err = run_main(_train_args(cli_files, out, "--steps", "2", "--eval-every", "2", "--force"), capsys, monkeypatch)
    assert code == 0, err
    assert not (out / "best" / "stale.txt").exists()
    assert load_checkpoint(out / "last").step == 2
    assert "999" not in (out / "metrics.csv").read_text()


def test_resume_says_where_it_resumes(cli_files, capsys, monkeypatch):
    out = cli_files / "run"
    assert run_main(_train_args(cli_files, out, "--steps", "2"), capsys, monkeypatch)[0] == 0
    code, _, err = run_main(_train_args(cli_files, out, "--steps", "3", "--resume"), capsys, monkeypatch)
    assert code == 0, err
    assert f"resuming {out} from step 2" in err
    assert load_checkpoint(out / "last").step == 3


def test_sigint_saves_last_and_names_the_resume_command(tmp_path, tiny_data, make_config):
    config = make_config(steps=50, eval_every=1000, checkpoint_every=1000)

    def interrupt_at_3(step, total, values):
        if step == 3:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(TrainingInterrupted, match=r"interrupted \(SIGINT\) at step 3.*--resume") as caught:
        train(config, tiny_data, tmp_path, progress=interrupt_at_3)
    assert caught.value.exit_code == 130
    assert load_checkpoint(tmp_path / "last").step == 3
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers put back
    assert train(config.with_overrides(steps=5), tiny_data, tmp_path, resume=True).steps == 5


def test_checkpoints_come_by_wall_time_as_well_as_by_steps(make_config):
    schedule = Schedule.from_config(make_config(checkpoint_every=100, checkpoint_minutes=2.0).train,
                                    reward=False, pool=False, encoder=True)
    assert schedule.checkpoint_seconds == 120.0
    assert not schedule.checkpoint_due(7, since_save=119.0)
    assert schedule.checkpoint_due(7, since_save=120.0)
    assert schedule.checkpoint_due(100, since_save=0.0)
    steps_only = dataclasses.replace(make_config().train, checkpoint_minutes=None)
    by_steps_only = Schedule.from_config(steps_only, reward=False, pool=False, encoder=True)
    assert not by_steps_only.checkpoint_due(1, since_save=1e9)


@pytest.mark.slow  # a real process, a few seconds
def test_ctrl_c_during_cli_training_saves_and_exits_130(cli_files):
    out = cli_files / "run"
    command = [sys.executable, "-m", "molgan.cli.main", *map(str, _train_args(cli_files, out)),
               "--steps", "100000", "--eval-every", "100000", "--checkpoint-every", "100000", "--checkpoint-minutes", "0.002"]
    code, err = _ctrl_c_once(command, lambda: (out / "last" / "checkpoint.json").exists())  # by wall time: 0.12 s
    assert code == 130, err
    step = load_checkpoint(out / "last").step
    assert f"interrupted (SIGINT) at step {step}" in err and f"molgan train --out {out} --resume" in err


def test_version_and_train_help_show_their_text():
    from typer.testing import CliRunner

    from molgan import __version__
    from molgan.cli.main import app

    runner = CliRunner()
    assert runner.invoke(app, ["--version"]).stdout.strip() == f"molgan {__version__}"
    shown = runner.invoke(app, ["train", "--help"], env={"COLUMNS": "300"}).stdout
    assert "[model] and [train]" in shown and "--force" in shown and "--checkpoint-minutes" in shown


@pytest.mark.slow  # a real process, a few seconds
def test_ctrl_c_during_cli_sampling_leaves_no_file_under_the_given_name(tmp_path):
    target = tmp_path / "big.smi"
    command = [sys.executable, "-m", "molgan.cli.main", "sample", "--num", "50000000", "--jobs", "1", "--seed", "0",
               "--output", str(target), "--quiet"]
    code, err = _ctrl_c_once(command, lambda: any(p.stat().st_size > 0 for p in tmp_path.iterdir()))  # writing
    assert code == 130, err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # neither big.smi nor a partial temporary file


def _ctrl_c_once(command: list[str], ready, timeout: float = 120) -> tuple[int, str]:
    """Start ``command``, send it SIGINT once ``ready()`` holds: ``(exit code, stderr)``."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, f"not ready within {timeout} s: {command}"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, err
