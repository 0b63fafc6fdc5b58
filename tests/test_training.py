"""The training loop: outputs, exact resume, options (see test_reliability_training.py for failures)."""

import csv
import pytest
import torch

from molgan.checkpoint import load_checkpoint
from molgan.errors import CheckpointError, InputError
from molgan.training.loop import train


def read_rows(path, drop=("seconds",)):
    with open(path, newline="") as handle:
        return [{k: v for k, v in row.items() if k not in drop} for row in csv.DictReader(handle)]


def weights(directory):
    return load_checkpoint(directory).weights


def assert_same_tensors(a: dict, b: dict):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_a_tiny_run_writes_checkpoints_metrics_and_curves(tmp_path, tiny_data, make_config):
    progress = []
    result = train(make_config(), tiny_data, tmp_path, progress=lambda step, total, values: progress.append(step))
    assert result.steps == 6 and result.stopped_early is None
    assert progress == [1, 2, 3, 4, 5, 6]
    for name in ("last", "best"):
        assert (tmp_path / name / "checkpoint.json").is_file() and (tmp_path / name / "model.safetensors").is_file()
    assert (tmp_path / "last" / "optimizer.safetensors").is_file()
    assert not (tmp_path / "best" / "optimizer.safetensors").exists()
    assert load_checkpoint(tmp_path / "last").step == 6
    rows = read_rows(tmp_path / "metrics.csv", drop=())
    assert [row["step"] for row in rows] == ["3", "6"]
    assert all(0 <= float(row["validity"]) <= 1 for row in rows)
    assert (tmp_path / "training_curves.png").stat().st_size > 1000
    assert load_checkpoint(tmp_path / "best").config == make_config()


def test_a_run_with_a_time_limit_stops_and_saves(tmp_path, tiny_data, make_config):
    result = train(make_config(steps=10_000, time_limit_minutes=1e-9), tiny_data, tmp_path)
    assert result.steps == 1 and "time limit" in result.stopped_early
    assert load_checkpoint(tmp_path / "last").step == 1


@pytest.mark.parametrize("relaxation", ["softmax", "gumbel"])
def test_resume_continues_exactly_like_an_uninterrupted_run(tmp_path, tiny_data, make_config, relaxation):
    config = make_config(relaxation=relaxation)
    straight = tmp_path / "straight"
    train(config, tiny_data, straight)

    interrupted = tmp_path / "interrupted"

    def stop_at_step_4(step, total, values):
        if step == 4:  # the checkpoint of step 3 is written; step 4's work is lost
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(config, tiny_data, interrupted, progress=stop_at_step_4)
    assert load_checkpoint(interrupted / "last").step == 3
    train(config, tiny_data, interrupted, resume=True)

    assert_same_tensors(weights(straight / "last"), weights(interrupted / "last"))
    assert_same_tensors(load_checkpoint(straight / "last").optimizer_state(),
                        load_checkpoint(interrupted / "last").optimizer_state())
    assert_same_tensors(weights(straight / "best"), weights(interrupted / "best"))
    assert read_rows(straight / "metrics.csv") == read_rows(interrupted / "metrics.csv")


def test_resume_refuses_a_different_model(tmp_path, tiny_data, make_config):
    train(make_config(steps=3), tiny_data, tmp_path)
    with pytest.raises(CheckpointError, match="model config differs"):
        train(make_config(model={"z_dim": 4}), tiny_data, tmp_path, resume=True)


def test_cuda_without_a_gpu_is_a_clear_error(tmp_path, tiny_data, make_config):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(InputError, match="no CUDA GPU"):
        train(make_config(device="cuda"), tiny_data, tmp_path)


def test_training_with_kl_and_without_an_encoder(tmp_path, tiny_data, make_config):
    """(The BCE path is tested in test_training_paths.py, with a discriminator weight that runs it.)"""
    train(make_config(steps=2, latent_regularizer="kl"), tiny_data, tmp_path / "a")
    assert load_checkpoint(tmp_path / "a" / "last").has("encoder")
    train(make_config(steps=2, reconstruction_weight=0.0), tiny_data, tmp_path / "b")
    assert not load_checkpoint(tmp_path / "b" / "last").has("encoder")


def test_training_with_a_reward_logs_it(tmp_path, tiny_data, make_config):
    """(That the reward network is trained is tested in test_training_paths.py.)"""
    from test_training_paths import atoms_reward

    train(make_config(steps=2, rl_start=0.0), tiny_data, tmp_path, reward=atoms_reward)
    assert load_checkpoint(tmp_path / "last").has("reward_net")
    assert [row["reward"] != "" for row in read_rows(tmp_path / "metrics.csv")] == [True]


@pytest.mark.parametrize("kind", ["kernel", "mixture"])
def test_a_noise_prior_is_fitted_during_training_saved_and_resumed_exactly(tmp_path, tiny_data, make_config, kind):
    from molgan.sampling.model import load

    config = make_config(noise_prior=kind, noise_prior_size=4, noise_prior_start=0.0, noise_prior_every=2)
    straight = tmp_path / "straight"
    train(config, tiny_data, straight)
    for name in ("best", "last"):
        assert load_checkpoint(straight / name).has("prior")
    prior = load(straight / "last").prior
    assert (prior.num_codes if kind == "kernel" else prior.num_components) == 4

    interrupted = tmp_path / "interrupted"

    def stop_at_step_4(step, total, values):
        if step == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(config, tiny_data, interrupted, progress=stop_at_step_4)
    train(config, tiny_data, interrupted, resume=True)
    assert_same_tensors(weights(straight / "last"), weights(interrupted / "last"))
    assert read_rows(straight / "metrics.csv") == read_rows(interrupted / "metrics.csv")


def test_without_a_noise_prior_checkpoints_carry_none(tmp_path, tiny_data, make_config):
    train(make_config(noise_prior="none"), tiny_data, tmp_path)
    assert not load_checkpoint(tmp_path / "last").has("prior")
