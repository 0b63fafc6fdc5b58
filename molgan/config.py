"""Typed configuration of a model and of its training, loadable from TOML and validated on load.

The training knobs are nested by concern: ``[train]`` holds the general ones, ``[train.critic]``
the relational critic (WGAN-GP or BCE), ``[train.rl]`` the reward and MolGAN's RL term,
``[train.prior]`` the noise prior fitted to the encoder codes and ``[train.elite]`` the pool of
best molecules. Ranges and choices are declared once per field (:func:`molgan.validate.knob`) and
checked by :func:`molgan.validate.check`. Flat files of earlier versions (and the flat configs inside
older checkpoints) still load: :data:`FLAT_KEYS` maps each old key to its nested place.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from molgan.errors import ConfigError
from molgan.validate import build, check, knob


@dataclass
class ModelConfig:
    """Sizes of the generator and of the relational graph critics (discriminator, encoder, reward)."""

    z_dim: int = knob(32, ge=1)
    generator_dims: tuple[int, ...] = knob((128, 256, 512), ge=1)
    critic_conv_dims: tuple[int, ...] = knob((64, 32), ge=1)  # half MolGAN's widths (configs/autoencoder.toml has them)
    critic_readout_dim: int = knob(64, ge=1)
    critic_head_dims: tuple[int, ...] = knob((64,), ge=1)
    # the discriminator also sees each atom's free and excess valence and the graph's total excess
    critic_valence_features: bool = True
    encoder_dims: tuple[int, ...] = knob((512, 256), ge=1)
    generator_dropout: float = knob(0.0, ge=0.0, lt=1.0)
    # what the generator and discriminator are conditioned on (molgan.data.conditions): RDKit properties, e.g.
    # ("qed", "logp"), or numeric label columns of the training file, e.g. ("qed", "pIC50")
    conditions: tuple[str, ...] = ()

    def validate(self) -> None:
        from molgan.data.conditions import check_names

        check(self, "model")
        self.conditions = check_names(self.conditions)


@dataclass
class CriticConfig:
    """The relational graph discriminator and how it is trained (on by default); off when ``adversarial_weight`` is 0.

    It judges training graphs against graphs generated from the noise the model samples from (the
    fitted prior once there is one); ``input = "straight_through"`` shows it hard (argmax) generated
    graphs, like the one-hot real ones, with the gradient of the softmax.
    """

    # weight of the generator's adversarial term; 0 (--no-discriminator) switches the discriminator off and
    # gives the auto-encoder recipe (configs/autoencoder.toml is the former default, to the bit)
    adversarial_weight: float = knob(0.1, ge=0.0)
    n_critic: int = knob(1, ge=1)  # discriminator steps per generator step
    start: float = knob(0.25, ge=0.0, lt=1.0)  # share of training after which it trains (with the noise prior, by default)
    loss: str = knob("bce", choices=("bce", "hinge", "wgan"))  # non-saturating logistic, hinge or Wasserstein
    regularizer: str = knob("r1", choices=("r1", "gp", "none"))  # R1 on real graphs, WGAN-GP on interpolates, or none
    regularizer_weight: float = knob(1.0, ge=0.0)  # gamma of R1 (penalty gamma/2 * |grad|^2) / lambda of GP
    regularizer_every: int = knob(16, ge=1)  # lazy regularisation: every k-th discriminator step, weighted by k
    input: str = knob("straight_through", choices=("straight_through", "relaxed"))  # generated graphs the discriminator sees
    # the generator's term: fool the discriminator (the loss's own), or feature matching (Salimans et al.
    # 2016): match the mean discriminator embedding of real graphs, batch statistics rather than each graph
    generator_objective: str = knob("adversarial", choices=("adversarial", "feature_matching"))
    # mode seeking (Mao et al. 2019), with the discriminator on: the generator is also asked for different graphs
    # from noise moved by Gaussian steps of `mode_seeking_width` (loss 1 / (graph distance / noise distance)), so
    # that the graphs generated around a training molecule's code do not all become that molecule
    mode_seeking_weight: float = knob(0.0, ge=0.0)
    mode_seeking_width: float = knob(0.4, gt=0.0)
    # a conditional model's generated graphs are asked for the properties of their code's own molecule ("code"),
    # or of another, random training molecule ("data"): the discriminator then judges whether a graph has
    # the properties it was asked for, which teaches the generator to follow its condition
    fake_conditions: str = knob("code", choices=("code", "data"))
    lr: float = knob(1e-3, ge=0.0)  # also the reward network's learning rate
    beta1: float = knob(0.5, ge=0.0, lt=1.0)  # Adam betas of the discriminator (the generator's never change)
    beta2: float = knob(0.999, ge=0.0, lt=1.0)
    # how the trained discriminator serves when the model samples, unless the caller says otherwise: rejection
    # sampling keeping this share of the graphs (1 or None: off; --discriminator-keep 1 turns it off for one run),
    # set against this width of the noise prior (None: the width it trained at, [train.prior] scale)
    sample_keep: float | None = knob(0.5, gt=0.0, le=1.0)
    sample_noise_scale: float | None = knob(0.5, gt=0.0)


@dataclass
class RLConfig:
    """MolGAN's reward network and RL term: only on with a ``reward``."""

    reward: str | None = None
    lambda_gan: float = knob(0.5, ge=0.0, le=1.0)  # MolGAN's lambda: 1 = pure GAN (no RL term), 0 = pure RL
    start: float = knob(0.5, ge=0.0, le=1.0)  # share of training after which the RL term switches on
    focus: float = knob(1.0, gt=0.0, le=1.0)  # share of training molecules, best by reward, that real batches come from


@dataclass
class PriorConfig:
    """The noise prior fitted to the encoder codes: "kernel", "mixture" or "none" (N(0, I))."""

    kind: str = knob("kernel", choices=("none", "kernel", "mixture"))
    size: int | None = knob(None, ge=1)  # codes kept by a kernel prior (default 20,000) / mixture components (64)
    scale: float = knob(0.4, gt=0.0)  # kernel bandwidth / width multiplier of mixture components
    start: float = knob(0.25, ge=0.0, lt=1.0)  # share of training after which the prior is fitted (and refitted)
    every: int = knob(1000, ge=1)  # refit every this many steps

    @property
    def count(self) -> int:
        """Codes of a kernel prior or components of a mixture: ``size`` or the kind's default."""
        if self.size is not None:
            return self.size
        return 64 if self.kind == "mixture" else 20000


@dataclass
class EliteConfig:
    """Reward-guided self-training on a pool of the best molecules (molgan.latent.pool): on when ``size`` > 0."""

    size: int = knob(0, ge=0)
    every: int = knob(50, ge=1)  # pool update every this many steps once RL is on
    samples: int = knob(2048, ge=1)  # generated graphs scored per pool update


@dataclass
class TrainConfig:
    """How a model is trained. See the README's training section for the recipe behind the defaults."""

    data: str = "qm9"
    bonds: str = knob("kekule", choices=("kekule", "aromatic"))  # aromatic: a bond type of their own (load_dataset's bonds)
    steps: int = knob(20000, ge=1)
    batch_size: int = knob(128, ge=1)
    lr_generator: float = knob(1e-3, ge=0.0)
    lr_decay: float = knob(0.1, gt=0.0, le=1.0)  # final learning rate as a fraction of the initial one (cosine)
    relaxation: str = knob("softmax", choices=("softmax", "gumbel", "gumbel_hard"))  # what generated graphs look like to the losses
    valence_weight: float = knob(1.0, ge=0.0)
    connectivity_weight: float = knob(5.0, ge=0.0)
    reconstruction_weight: float = knob(1.0, ge=0.0)  # 0 turns the encoder off (plain MolGAN)
    latent_regularizer: str = knob("mmd", choices=("mmd", "kl"))  # "mmd" (Wasserstein auto-encoder) or "kl" (VAE)
    latent_weight: float = knob(100.0, ge=0.0)
    # a conditional model's property-consistency term: a property net learns the conditioned properties of real
    # graphs, and generated graphs asked for a random training molecule's properties are pulled towards them
    condition_weight: float = knob(0.0, ge=0.0)
    eval_every: int = knob(1000, ge=1)
    eval_samples: int = knob(2000, ge=1)
    checkpoint_every: int = knob(1000, ge=1)
    time_limit_minutes: float | None = knob(None, gt=0.0)
    decoding: str = knob("argmax", choices=("argmax", "sample"))
    temperature: float = knob(1.0, gt=0.0)
    seed: int = 0
    device: str = "auto"
    threads: int | None = knob(None, ge=1)
    # autocast of the networks' forward passes (molgan.training.precision): "auto" is bf16 on a CUDA device
    # that has it and fp32 elsewhere (on a CPU always); "bf16" off such a GPU is refused
    precision: str = knob("auto", choices=("auto", "fp32", "bf16"))
    checkpoint_minutes: float | None = knob(5.0, gt=0.0)  # also write last/ after this much wall time (None: by steps only)
    critic: CriticConfig = knob(factory=CriticConfig)
    rl: RLConfig = knob(factory=RLConfig)
    prior: PriorConfig = knob(factory=PriorConfig)
    elite: EliteConfig = knob(factory=EliteConfig)

    def validate(self) -> None:
        check(self, "train")
        if self.device not in ("auto", "cpu") and not self.device.startswith("cuda"):
            raise ConfigError(f"train.device must be auto, cpu or cuda[:N], got {self.device!r}")


#: Old flat ``[train]`` key -> its nested place under ``train``.
FLAT_KEYS = {
    "adversarial_weight": "critic.adversarial_weight",
    "n_critic": "critic.n_critic",
    "loss": "critic.loss",
    "gp_weight": "critic.gp_weight",  # older checkpoints: becomes critic.regularizer_weight (see _migrate_critic)
    "lr_critic": "critic.lr",
    "reward": "rl.reward",
    "rl_lambda": "rl.lambda_gan",
    "rl_start": "rl.start",
    "reward_focus": "rl.focus",
    "noise_prior": "prior.kind",
    "noise_prior_size": "prior.size",
    "noise_prior_scale": "prior.scale",
    "noise_prior_start": "prior.start",
    "noise_prior_every": "prior.every",
    "elite_size": "elite.size",
    "elite_every": "elite.every",
    "elite_samples": "elite.samples",
}

#: What a key meant before it existed or before its default changed (for configs stored in checkpoints): the
#: discriminator was off, at MolGAN's widths, without valence features and without rejection when sampling.
STORED_BEFORE = {
    "model.critic_conv_dims": [128, 64],
    "model.critic_readout_dim": 128,
    "model.critic_head_dims": [128],
    "model.critic_valence_features": False,
    "train.critic.adversarial_weight": 0.0,
    "train.critic.sample_keep": None,
    "train.critic.sample_noise_scale": None,
}

#: Flat option names of :meth:`RunConfig.with_overrides` (the CLI flags) -> nested place: the old keys and newer ones.
OVERRIDE_KEYS = {
    **FLAT_KEYS,
    "regularizer": "critic.regularizer",
    "regularizer_weight": "critic.regularizer_weight",
    "regularizer_every": "critic.regularizer_every",
}

#: Section of ``train`` -> (its switch, whether the section does nothing in this recipe).
_INACTIVE: dict[str, tuple[str, Callable[[TrainConfig], bool]]] = {
    "critic": ("adversarial_weight", lambda t: t.critic.adversarial_weight == 0),
    "rl": ("reward", lambda t: t.rl.reward is None),
    "prior": ("kind", lambda t: t.prior.kind == "none" or t.reconstruction_weight == 0),
    "elite": ("size", lambda t: t.elite.size == 0),
}


@dataclass
class RunConfig:
    """A model and its training, as stored in every checkpoint."""

    model: ModelConfig = knob(factory=ModelConfig)
    train: TrainConfig = knob(factory=TrainConfig)

    def validate(self) -> RunConfig:
        self.model.validate()
        self.train.validate()
        if self.model.conditions:
            self._check_conditional()
        elif self.train.condition_weight > 0:
            raise ConfigError("train.condition_weight needs model.conditions (--condition)")
        return self

    def _check_conditional(self) -> None:
        """A conditional model draws its conditions with the codes of its kernel prior: refuse what lacks one,
        and label conditions on a named data set (it has no label columns)."""
        from molgan.data.conditions import check_label_data

        t = self.train
        check_label_data(self.model.conditions, t.data)
        if t.prior.kind != "kernel" or t.reconstruction_weight == 0:
            raise ConfigError("model.conditions needs the kernel noise prior and the encoder (train.prior.kind = \"kernel\", reconstruction_weight > 0)")
        if t.rl.reward is not None or t.elite.size > 0:
            raise ConfigError("model.conditions cannot be combined with a reward or an elite pool yet")

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "config", *, stored: bool = False) -> RunConfig:
        """Build from ``{"model": {...}, "train": {...}}``, nested or (older files) flat, and validate;
        ``stored``: a checkpoint's config, whose missing keys take :data:`STORED_BEFORE`."""
        if not isinstance(data, dict):
            raise ConfigError(f"{source} must be a table")
        unknown = set(data) - {"model", "train"}
        if unknown:
            raise ConfigError(f"{source}: unknown section(s) {sorted(unknown)}; expected [model] and [train]")
        train = data.get("train", {})
        if isinstance(train, dict):
            train = _migrate_critic(_nest(train, source))
        model = data.get("model", {})
        values = {"model": dict(model) if isinstance(model, dict) else model, "train": train}
        if stored:
            _fill_stored(values)
        return build(cls, values, source, hint=_misplaced).validate()

    @classmethod
    def from_stored(cls, data: dict[str, Any], source: str = "config") -> RunConfig:
        """A config stored by an earlier version (a checkpoint's): keys it lacks keep the meaning they had
        when it was written (:data:`STORED_BEFORE`), not today's defaults."""
        return cls.from_dict(data, source, stored=True)

    def with_overrides(self, **overrides: Any) -> RunConfig:
        """A copy with ``train`` options replaced (flat names, as the CLI flags; ``None`` values are ignored), validated.

        ``conditions`` (the properties a conditional model aims at) replaces ``model.conditions``.
        """
        values = {k: v for k, v in overrides.items() if v is not None}
        conditions = values.pop("conditions", None)
        unknown = sorted(k for k in values if k not in OVERRIDE_KEYS and k not in _GENERAL)
        if unknown:
            raise ConfigError(f"unknown training option(s): {unknown}")
        data = self.to_dict()
        for name, value in values.items():
            _put(data["train"], OVERRIDE_KEYS.get(name, name), value)
        if conditions is not None:
            data["model"]["conditions"] = list(conditions)
        return RunConfig.from_dict(data, source="options")


def active_settings(train: TrainConfig) -> dict[str, Any]:
    """The training settings that act in this recipe, as ``dotted.key -> value``, for model cards.

    A section that does nothing (the critic when its weight is 0, RL without a reward, no elite pool,
    no noise prior) shows only its switch.
    """
    out = {}
    for key, value in flatten(_jsonable(asdict(train))).items():
        section, _, leaf = key.partition(".")
        if section in _INACTIVE and leaf:
            switch, inactive = _INACTIVE[section]
            if inactive(train) and leaf != switch:
                continue
        out[key] = value
    return out


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


_SECTIONS = {f.name for f in dataclasses.fields(TrainConfig) if dataclasses.is_dataclass(f.type) or f.name in _INACTIVE}
_GENERAL = {f.name for f in dataclasses.fields(TrainConfig)} - _SECTIONS


def _nest(train: dict[str, Any], source: str) -> dict[str, Any]:
    """Move old flat keys of ``[train]`` to their nested places; a key given both ways is refused."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in train.items() if k not in FLAT_KEYS}
    for old, value in train.items():
        if old not in FLAT_KEYS:
            continue
        section, leaf = FLAT_KEYS[old].split(".")
        table = out.setdefault(section, {})
        if not isinstance(table, dict):
            continue  # the validator reports the non-table
        if leaf in table:
            raise ConfigError(f"{source}: train.{old} and train.{section}.{leaf} are the same key; keep train.{section}.{leaf}")
        table[leaf] = value
    return out


def _migrate_critic(train: dict[str, Any]) -> dict[str, Any]:
    """Configs of versions before the R1 discriminator: ``critic.gp_weight`` (WGAN-GP or an unregularised
    BCE critic, 5 critic steps by default) becomes ``regularizer`` + ``regularizer_weight``."""
    critic = train.get("critic")
    if not isinstance(critic, dict) or "gp_weight" not in critic:
        return train
    critic = dict(critic)
    weight = critic.pop("gp_weight")
    loss = critic.setdefault("loss", "wgan")
    critic.setdefault("n_critic", 5)
    critic.setdefault("regularizer", "gp" if loss == "wgan" else "none")
    critic["regularizer_weight"] = weight
    return {**train, "critic": critic}


def _fill_stored(values: dict[str, Any]) -> None:
    """Give a stored config's missing keys what they meant before they existed (:data:`STORED_BEFORE`), in place."""
    for dotted, value in STORED_BEFORE.items():
        *sections, leaf = dotted.split(".")
        table: Any = values
        for name in sections:
            table = table.setdefault(name, {}) if isinstance(table, dict) else None
        if isinstance(table, dict):
            table.setdefault(leaf, value)  # a non-table is left for the validator to report


def _put(table: dict[str, Any], dotted: str, value: Any) -> None:
    *sections, leaf = dotted.split(".")
    for section in sections:
        table = table[section]
    table[leaf] = value


def _misplaced(key: str) -> str | None:
    """For an unknown key: where it belongs, if it is a known (old or nested) name somewhere else."""
    if key in FLAT_KEYS:
        return f"it is train.{FLAT_KEYS[key]}"
    places = sorted(full for full in _ALL_KEYS if full.rsplit(".", 1)[-1] == key)
    return f"it belongs in {' or '.join(places)}" if places else None


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"rl": {"start": 0}}`` -> ``{"rl.start": 0}``."""
    out = {}
    for key, value in values.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _jsonable(values: Any) -> Any:
    if isinstance(values, dict):
        return {k: _jsonable(v) for k, v in values.items()}
    return list(values) if isinstance(values, tuple) else values


_ALL_KEYS = set(flatten(_jsonable(asdict(RunConfig()))))
