"""Self-contained model checkpoints: safetensors weights + JSON config, vocabulary and metadata.

A checkpoint is a directory::

    model.safetensors     weights of every network (keys "generator.<param>", "critic.<param>", ...)
    optimizer.safetensors optimizer state, for --resume (training checkpoints only)
    checkpoint.json       format version, run config, vocabulary, step, metrics, RNG state, card

Nothing is ever unpickled: weights load through safetensors, everything else through JSON.
Every file is written to a temporary name and renamed, and the directory itself is swapped in
with a rename, so a killed process leaves either the old checkpoint or the new one, never half.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from molgan.config import RunConfig
from molgan.data.atomic import atomic_dir, recover_dir
from molgan.errors import CheckpointError, ConfigError
from molgan.chem.vocab import Vocabulary, VocabularyError

FORMAT = "molgan-checkpoint"
FORMAT_VERSION = 1
WEIGHTS = "model.safetensors"
OPTIMIZER = "optimizer.safetensors"
META = "checkpoint.json"


def save_checkpoint(
    directory: str | Path,
    *,
    config: RunConfig,
    vocab: Vocabulary,
    modules: Mapping[str, torch.nn.Module],
    step: int = 0,
    metrics: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    optimizer_state: Mapping[str, torch.Tensor] | None = None,
) -> Path:
    """Write a checkpoint directory atomically (build it beside the target, then rename)."""
    directory = Path(directory)
    with atomic_dir(directory, marker=META) as staging:
        tensors = {
            f"{name}.{key}": value.detach().cpu().contiguous()
            for name, module in modules.items()
            for key, value in module.state_dict().items()
        }
        save_file(tensors, str(staging / WEIGHTS))
        if optimizer_state:
            save_file({k: v.detach().cpu().contiguous() for k, v in optimizer_state.items()}, str(staging / OPTIMIZER))
        meta = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "config": config.to_dict(),
            "vocabulary": vocab.to_dict(),
            "step": step,
            "modules": sorted(modules),
            "metrics": dict(metrics or {}),
            "extra": dict(extra or {}),
        }
        (staging / META).write_text(json.dumps(meta, indent=2) + "\n")
    return directory


def recover_interrupted_save(directory: str | Path) -> bool:
    """If a save was killed between its two renames, put the previous checkpoint back in place."""
    return recover_dir(directory, marker=META)


class Checkpoint:
    """A loaded checkpoint: config, vocabulary, weights by module, and metadata."""

    def __init__(self, path: Path, meta: dict[str, Any], weights: dict[str, torch.Tensor]) -> None:
        self.path = path
        self.meta = meta
        self.weights = weights
        try:
            self.config = RunConfig.from_stored(meta["config"], source=f"{path / META}")
            self.vocab = Vocabulary.from_dict(meta["vocabulary"])
        except (ConfigError, VocabularyError, KeyError, TypeError) as exc:
            raise CheckpointError(f"{path / META}: bad config or vocabulary ({exc})") from exc

    @property
    def step(self) -> int:
        return int(self.meta.get("step", 0))

    @property
    def metrics(self) -> dict[str, Any]:
        return dict(self.meta.get("metrics", {}))

    @property
    def extra(self) -> dict[str, Any]:
        return dict(self.meta.get("extra", {}))

    def has(self, module: str) -> bool:
        return module in self.meta.get("modules", [])

    @property
    def critic_trained(self) -> bool:
        """It holds a discriminator that trained: an adversarial term, and a step past the discriminator's start."""
        critic, train = self.config.train.critic, self.config.train
        return critic.adversarial_weight > 0 and self.has("critic") and self.step > int(critic.start * train.steps)

    def state_dict(self, module: str) -> dict[str, torch.Tensor]:
        prefix = f"{module}."
        state = {k[len(prefix) :]: v for k, v in self.weights.items() if k.startswith(prefix)}
        if not state:
            raise CheckpointError(f"{self.path / WEIGHTS}: no weights for {module!r}")
        return state

    def load_into(self, module_name: str, module: torch.nn.Module) -> None:
        """Copy weights into ``module``; shape mismatches become a :class:`CheckpointError`."""
        try:
            module.load_state_dict(self.state_dict(module_name))
        except RuntimeError as exc:
            raise CheckpointError(f"{self.path / WEIGHTS}: weights do not fit the model ({exc})") from exc

    def optimizer_state(self) -> dict[str, torch.Tensor]:
        path = self.path / OPTIMIZER
        if not path.exists():
            return {}
        return _load_tensors(path)


def load_checkpoint(directory: str | Path) -> Checkpoint:
    """Read a checkpoint directory; anything missing, truncated, foreign or too new is a clear error."""
    directory = Path(directory)
    meta = _read_meta(directory)
    weights = _load_tensors(directory / WEIGHTS)
    return Checkpoint(directory, meta, weights)


def checkpoint_config(directory: str | Path) -> RunConfig:
    """The run config stored in a checkpoint (e.g. ``.train.data``, its training data), weights left unread."""
    directory = Path(directory)
    meta = _read_meta(directory)
    try:
        return RunConfig.from_stored(meta["config"], source=f"{directory / META}")
    except (ConfigError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{directory / META}: bad config ({exc})") from exc


def _read_meta(directory: Path) -> dict[str, Any]:
    """The checked ``checkpoint.json`` of a checkpoint directory."""
    recover_interrupted_save(directory)
    if not directory.is_dir():
        raise CheckpointError(f"no checkpoint directory at {directory}")
    meta_path = directory / META
    if not meta_path.is_file():
        raise CheckpointError(f"{directory} is not a molgan checkpoint (no {META})")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{meta_path}: unreadable or corrupted ({exc.__class__.__name__})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{meta_path}: not a molgan checkpoint (format {meta.get('format') if isinstance(meta, dict) else None!r})")
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"{meta_path}: checkpoint format version {version} is not supported "
            f"(this molgan reads version {FORMAT_VERSION})"
        )
    return meta


def _load_tensors(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise CheckpointError(f"missing weights file {path}")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path}: truncated, corrupted or not a safetensors file ({exc})") from exc
