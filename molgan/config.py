"""Typed configuration of a model and of its training, loadable from TOML and validated on load."""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from molgan.errors import ConfigError


@dataclass
class ModelConfig:
    """Sizes of the generator and of the relational graph critics (discriminator, encoder, reward)."""

    z_dim: int = 32
    generator_dims: tuple[int, ...] = (128, 256, 512)
    critic_conv_dims: tuple[int, ...] = (128, 64)
    critic_readout_dim: int = 128
    critic_head_dims: tuple[int, ...] = (128,)
    encoder_dims: tuple[int, ...] = (512, 256)
    generator_dropout: float = 0.0

    def validate(self) -> None:
        _positive(self, "z_dim", "critic_readout_dim")
        for name in ("generator_dims", "critic_conv_dims", "critic_head_dims", "encoder_dims"):
            values = getattr(self, name)
            if not values or any(int(v) <= 0 for v in values):
                raise ConfigError(f"model.{name} must be a non-empty list of positive integers, got {values}")
        if not 0.0 <= self.generator_dropout < 1.0:
            raise ConfigError(f"model.generator_dropout must be in [0, 1), got {self.generator_dropout}")


@dataclass
class TrainConfig:
    """How a model is trained. See the README's training section for the recipe behind the defaults."""

    data: str = "qm9"
    steps: int = 20000
    batch_size: int = 128
    lr_generator: float = 1e-3
    lr_critic: float = 1e-3
    n_critic: int = 5
    loss: str = "wgan"  # "wgan" (WGAN-GP) or "bce" (non-saturating GAN)
    gp_weight: float = 10.0
    relaxation: str = "softmax"  # what the critic sees: softmax, gumbel or gumbel_hard
    adversarial_weight: float = 0.0  # WGAN-GP term; measured to lower valid x unique on CPU budgets (README)
    valence_weight: float = 1.0
    connectivity_weight: float = 5.0
    reconstruction_weight: float = 1.0  # 0 turns the encoder off (plain MolGAN)
    latent_regularizer: str = "mmd"  # "mmd" (Wasserstein auto-encoder) or "kl" (VAE)
    latent_weight: float = 100.0
    lr_decay: float = 0.1  # final learning rate as a fraction of the initial one (cosine)
    noise_prior: str = "kernel"  # "kernel", "mixture" or "none" (N(0, I)): from noise_prior_start on, noise is fitted to the codes
    noise_prior_size: int | None = None  # codes kept by a kernel prior (default 20,000) / mixture components (64)
    noise_prior_scale: float = 0.4  # kernel bandwidth / width multiplier of mixture components
    noise_prior_start: float = 0.25  # share of training after which the prior is fitted (and refitted)
    noise_prior_every: int = 1000  # refit every this many steps
    reward: str | None = None
    rl_lambda: float = 0.5  # MolGAN's lambda: 1 = pure GAN (no RL term), 0 = pure RL
    rl_start: float = 0.5  # share of training after which the RL term switches on
    reward_focus: float = 1.0  # share of training molecules, best by reward, that real batches come from
    elite_size: int = 0  # > 0: reward-guided self-training on a pool of this many best molecules (molgan.latent.pool)
    elite_every: int = 50  # pool update every this many steps once RL is on
    elite_samples: int = 2048  # generated graphs scored per pool update
    eval_every: int = 1000
    eval_samples: int = 2000
    checkpoint_every: int = 1000
    time_limit_minutes: float | None = None
    decoding: str = "argmax"
    temperature: float = 1.0
    seed: int = 0
    device: str = "auto"
    threads: int | None = None

    @property
    def noise_prior_count(self) -> int:
        """Codes of a kernel prior or components of a mixture: ``noise_prior_size`` or the kind's default."""
        if self.noise_prior_size is not None:
            return self.noise_prior_size
        return 64 if self.noise_prior == "mixture" else 20000

    def validate(self) -> None:
        _positive(self, "steps", "batch_size", "n_critic", "eval_every", "eval_samples", "checkpoint_every")
        _nonnegative(
            self, "lr_generator", "lr_critic", "gp_weight", "adversarial_weight", "valence_weight", "connectivity_weight",
            "reconstruction_weight", "latent_weight",
        )
        _choice(self, "noise_prior", ("none", "kernel", "mixture"))
        for name in ("elite_size", "elite_every", "elite_samples"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "elite_size" else 1):
                raise ConfigError(f"train.{name} must be a {'non-negative' if name == 'elite_size' else 'positive'} integer, got {value!r}")
        if self.noise_prior_size is not None and (
            isinstance(self.noise_prior_size, bool) or not isinstance(self.noise_prior_size, int) or self.noise_prior_size <= 0
        ):
            raise ConfigError(f"train.noise_prior_size must be a positive integer, got {self.noise_prior_size!r}")
        if not 0.0 <= self.noise_prior_start < 1.0:
            raise ConfigError(f"train.noise_prior_start must be in [0, 1), got {self.noise_prior_start}")
        _positive(self, "noise_prior_every", "noise_prior_scale")
        _choice(self, "loss", ("wgan", "bce"))
        _choice(self, "relaxation", ("softmax", "gumbel", "gumbel_hard"))
        _choice(self, "decoding", ("argmax", "sample"))
        _choice(self, "latent_regularizer", ("mmd", "kl"))
        if not 0.0 <= self.rl_lambda <= 1.0:
            raise ConfigError(f"train.rl_lambda must be in [0, 1], got {self.rl_lambda}")
        if not 0.0 <= self.rl_start <= 1.0:
            raise ConfigError(f"train.rl_start must be in [0, 1], got {self.rl_start}")
        if not 0.0 < self.reward_focus <= 1.0:
            raise ConfigError(f"train.reward_focus must be in (0, 1], got {self.reward_focus}")
        if not 0.0 < self.lr_decay <= 1.0:
            raise ConfigError(f"train.lr_decay must be in (0, 1], got {self.lr_decay}")
        if self.temperature <= 0:
            raise ConfigError(f"train.temperature must be > 0, got {self.temperature}")
        if self.time_limit_minutes is not None and (
            isinstance(self.time_limit_minutes, bool) or not isinstance(self.time_limit_minutes, (int, float))
            or self.time_limit_minutes <= 0
        ):
            raise ConfigError(f"train.time_limit_minutes must be a positive number, got {self.time_limit_minutes!r}")
        if self.threads is not None and (isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads <= 0):
            raise ConfigError(f"train.threads must be a positive integer, got {self.threads!r}")
        for name in ("data", "device", "loss", "relaxation", "decoding", "latent_regularizer", "noise_prior"):
            if not isinstance(getattr(self, name), str):
                raise ConfigError(f"train.{name} must be a string, got {getattr(self, name)!r}")
        if self.reward is not None and not isinstance(self.reward, str):
            raise ConfigError(f"train.reward must be a string, got {self.reward!r}")
        if self.device not in ("auto", "cpu") and not self.device.startswith("cuda"):
            raise ConfigError(f"train.device must be auto, cpu or cuda[:N], got {self.device!r}")


@dataclass
class RunConfig:
    """A model and its training, as stored in every checkpoint."""

    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def validate(self) -> RunConfig:
        self.model.validate()
        self.train.validate()
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"model": _jsonable(asdict(self.model)), "train": _jsonable(asdict(self.train))}

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "config") -> RunConfig:
        unknown = set(data) - {"model", "train"}
        if unknown:
            raise ConfigError(f"{source}: unknown section(s) {sorted(unknown)}; expected [model] and [train]")
        model = _build(ModelConfig, data.get("model", {}), f"{source} [model]")
        train = _build(TrainConfig, data.get("train", {}), f"{source} [train]")
        return cls(model=model, train=train).validate()

    def with_overrides(self, **overrides: Any) -> RunConfig:
        """A copy with ``train`` fields replaced (``None`` values are ignored), validated."""
        values = {k: v for k, v in overrides.items() if v is not None}
        unknown = set(values) - {f.name for f in fields(TrainConfig)}
        if unknown:
            raise ConfigError(f"unknown training option(s): {sorted(unknown)}")
        train = dataclasses.replace(self.train, **values)
        return RunConfig(model=dataclasses.replace(self.model), train=train).validate()


def load_config(path: str | Path) -> RunConfig:
    """Read a TOML file with ``[model]`` and ``[train]`` tables; unknown keys are refused."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from exc
    return RunConfig.from_dict(data, source=str(path))


def _build(cls, values: dict[str, Any], source: str):
    if not isinstance(values, dict):
        raise ConfigError(f"{source} must be a table")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {unknown}; known keys: {sorted(known)}")
    kwargs = {}
    for name, value in values.items():
        default = getattr(cls(), name)
        if default is None and value is None:
            kwargs[name] = None
            continue
        if default is None and name in _OPTIONAL_TYPES:
            default = _OPTIONAL_TYPES[name]()
        kwargs[name] = _coerce(value, default, f"{source} {name}")
    return cls(**kwargs)


def _coerce(value: Any, default: Any, where: str) -> Any:
    if isinstance(default, tuple):
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ConfigError(f"{where} must be a list of integers, got {value!r}")
        return tuple(value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {value!r}")
        return value
    if isinstance(default, int) and not isinstance(default, bool):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be an integer, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where} must be a number, got {value!r}")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string, got {value!r}")
        return value
    return value


#: Options whose default is None: the type they take when set.
_OPTIONAL_TYPES = {"reward": str, "time_limit_minutes": float, "threads": int}


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def _positive(obj: Any, *names: str) -> None:
    for name in names:
        if getattr(obj, name) <= 0:
            raise ConfigError(f"{name} must be > 0, got {getattr(obj, name)}")


def _nonnegative(obj: Any, *names: str) -> None:
    for name in names:
        if getattr(obj, name) < 0:
            raise ConfigError(f"{name} must be >= 0, got {getattr(obj, name)}")


def _choice(obj: Any, name: str, allowed: tuple[str, ...]) -> None:
    if getattr(obj, name) not in allowed:
        raise ConfigError(f"{name} must be one of {list(allowed)}, got {getattr(obj, name)!r}")
