"""Checkpoints: round trip, and every way a checkpoint directory can be broken, foreign or hostile."""

import json
import os
import re
from pathlib import Path

import pytest
import torch

import molgan.data.atomic as atomic_module
from molgan.checkpoint import FORMAT_VERSION, META, WEIGHTS, load_checkpoint, save_checkpoint
from molgan.config import ModelConfig, RunConfig
from molgan.errors import CheckpointError, InputError
from molgan.nn.build import build_modules
from molgan.chem.vocab import QM9_VOCABULARY

CONFIG = RunConfig(ModelConfig(z_dim=4, generator_dims=(8,), critic_conv_dims=(8,), critic_readout_dim=8,
                               critic_head_dims=(8,), encoder_dims=(8,))).validate()


def saved(tmp_path, name="ckpt", **kwargs) -> Path:
    torch.manual_seed(0)
    modules = build_modules(CONFIG.model, QM9_VOCABULARY)
    return save_checkpoint(tmp_path / name, config=CONFIG, vocab=QM9_VOCABULARY, modules=modules.named(), **kwargs)


def test_round_trip(tmp_path):
    torch.manual_seed(0)
    modules = build_modules(CONFIG.model, QM9_VOCABULARY)
    path = save_checkpoint(
        tmp_path / "ckpt", config=CONFIG, vocab=QM9_VOCABULARY, modules=modules.named(), step=42,
        metrics={"validity": 0.5}, extra={"command": "molgan train"}, optimizer_state={"adam.m": torch.ones(3)},
    )
    loaded = load_checkpoint(path)
    assert loaded.config == CONFIG and loaded.vocab == QM9_VOCABULARY
    assert loaded.step == 42 and loaded.metrics == {"validity": 0.5} and loaded.extra["command"] == "molgan train"
    assert torch.equal(loaded.optimizer_state()["adam.m"], torch.ones(3))
    for name, module in modules.named().items():
        assert loaded.has(name)
        fresh = build_modules(CONFIG.model, QM9_VOCABULARY).named()[name]
        loaded.load_into(name, fresh)
        for key, value in module.state_dict().items():
            assert torch.equal(fresh.state_dict()[key], value), (name, key)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]  # no staging directory left behind


def test_saving_over_an_existing_checkpoint_replaces_it(tmp_path):
    saved(tmp_path, step=1)
    saved(tmp_path, step=2)
    assert load_checkpoint(tmp_path / "ckpt").step == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]


def test_a_failed_save_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    saved(tmp_path, step=1)

    def broken(path):
        raise OSError("disk full")

    monkeypatch.setattr(atomic_module, "sync_files", broken)
    with pytest.raises(OSError):
        saved(tmp_path, step=2)
    assert load_checkpoint(tmp_path / "ckpt").step == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]


def test_a_kill_during_the_directory_swap_leaves_a_loadable_checkpoint(tmp_path, monkeypatch):
    saved(tmp_path, step=1)
    real_replace = os.replace
    calls = []

    def killed_on_second_rename(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt  # stands for SIGKILL between the two renames
        real_replace(src, dst)

    monkeypatch.setattr(atomic_module.os, "replace", killed_on_second_rename)
    with pytest.raises(KeyboardInterrupt):
        saved(tmp_path, step=2)
    monkeypatch.undo()
    assert load_checkpoint(tmp_path / "ckpt").step in (1, 2)


def test_truncated_weights_are_refused_naming_the_file(tmp_path):
    path = saved(tmp_path)
    weights = path / WEIGHTS
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(CheckpointError, match=re.escape(str(weights))):
        load_checkpoint(path)


def test_missing_weights_are_refused(tmp_path):
    path = saved(tmp_path)
    (path / WEIGHTS).unlink()
    with pytest.raises(CheckpointError, match="missing weights"):
        load_checkpoint(path)


@pytest.mark.parametrize(
    "content, needle",
    [
        ('{"format": "molgan-checkpoint", "format_', "corrupted"),
        ("\x00\x01\x02 not json", "corrupted"),
        ("[1, 2, 3]", "not a molgan checkpoint"),
        ('{"format": "someone-else", "format_version": 1}', "not a molgan checkpoint"),
    ],
)
def test_corrupted_or_foreign_json_is_refused(tmp_path, content, needle):
    path = saved(tmp_path)
    (path / META).write_text(content)
    with pytest.raises(CheckpointError, match=needle):
        load_checkpoint(path)


def test_bad_config_or_vocabulary_inside_the_json_is_refused(tmp_path):
    path = saved(tmp_path)
    meta = json.loads((path / META).read_text())
    for key, value in [("config", {"train": {"stpes": 1}}), ("vocabulary", {"atom_types": [["Xx", 0]], "max_atoms": 9})]:
        broken = {**meta, key: value}
        (path / META).write_text(json.dumps(broken))
        with pytest.raises(CheckpointError, match="bad config or vocabulary"):
            load_checkpoint(path)
    del meta["config"]
    (path / META).write_text(json.dumps(meta))
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


def test_foreign_directories_are_refused(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint directory"):
        load_checkpoint(tmp_path / "nowhere")
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"\xff\xd8\xff")
    with pytest.raises(CheckpointError, match="not a molgan checkpoint"):
        load_checkpoint(tmp_path / "photos")
    (tmp_path / "file").write_text("x")
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "file")


def test_a_newer_format_version_names_both_versions(tmp_path):
    path = saved(tmp_path)
    meta = json.loads((path / META).read_text())
    meta["format_version"] = 99
    (path / META).write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=rf"version 99.*version {FORMAT_VERSION}"):
        load_checkpoint(path)


def test_weights_of_another_shape_are_a_checkpoint_error(tmp_path):
    path = saved(tmp_path)
    other = build_modules(ModelConfig(z_dim=4, generator_dims=(16,)), QM9_VOCABULARY)
    with pytest.raises(CheckpointError, match="do not fit"):
        load_checkpoint(path).load_into("generator", other.generator)
    with pytest.raises(CheckpointError, match="no weights for 'reward_net'"):
        load_checkpoint(path).state_dict("reward_net")


def test_model_names_and_paths_resolve_or_fail_clearly(tmp_path):
    from molgan.pretrained import resolve_model

    path = saved(tmp_path)
    assert resolve_model(path) == path
    out = tmp_path / "run"
    (out / "best").mkdir(parents=True)
    (out / "best" / META).write_text("{}")
    assert resolve_model(out) == out / "best"
    for bad in ("nosuch", str(tmp_path / "run" / "best" / META), str(tmp_path)):
        with pytest.raises(InputError):
            resolve_model(bad)
