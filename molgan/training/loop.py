"""The training loop: schedules the steps of :mod:`molgan.training.steps`, evaluates, logs and checkpoints.

Layout of an output directory::

    last/               checkpoint for --resume (weights, optimizer and RNG state), every N steps
    best/               best checkpoint so far by valid x unique on a fixed held-out noise sample
    metrics.csv         one row per evaluation
    training_curves.png losses and rates over steps

A resumed run on CPU with a fixed seed continues exactly as an uninterrupted one would: the data
order, the noise and every optimizer moment are restored from ``last/``.

Under ``torchrun`` every rank trains on its share of each global batch (:mod:`molgan.training.distributed`);
rank 0 alone evaluates and writes the outputs above.
"""

from __future__ import annotations

import dataclasses
import math
import shlex
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from molgan.checkpoint import load_checkpoint, save_checkpoint
from molgan.config import RunConfig
from molgan.data.conditions import ConditionStats, condition_values, label_names, labelled
from molgan.data.datasets import DataSetWarning
from molgan.data.labels import LabelSource, LabelTable
from molgan.data.packed import PackedAdjacency
from molgan.data.csv_log import append_row, truncate_rows
from molgan.errors import CheckpointError, InputError, TrainingDivergedError, TrainingInterrupted
from molgan.latent.pool import ElitePool
from molgan.training import distributed
from molgan.training.collapse import (
    CollapseWatch, TrainingCollapseWarning, data_element_shares, data_mean_heavy_atoms, sample_composition,
)
from molgan.training.losses import max_valences
from molgan.nn.device import resolve_device, to_device
from molgan.nn.build import GanModules, build_modules
from molgan.latent.conditioned import GaussianWithConditions
from molgan.latent.priors import NoisePrior
from molgan.training.precision import forward_fp32, resolve_precision
from molgan.training.state import optimizer_from_flat, optimizer_to_flat
from molgan.sampling.sampler import SamplingOptions, sample_raw
from molgan.training.steps import (
    CriticSettings, GraphBatch, LossWeights, critic_step, generator_step, property_step, reward_step,
)
from molgan.chem.mol import to_mols
from molgan.chem.vocab import Vocabulary

EVAL_SEED = 987654321
METRIC_COLUMNS = [
    "step", "seconds", "d_loss", "d_real", "d_fake", "d_reg", "g_loss", "g_adv", "valence", "connectivity", "recon", "latent", "r_loss", "reward",
    "validity", "uniqueness", "novelty", "valid_x_unique", "eval_reward", "pool_reward", "lr",
]

ProgressCallback = Callable[[int, int, dict[str, float]], None]


@dataclass
class TrainingData:
    """Encoded training graphs and the SMILES novelty is measured against.

    ``nodes [M, N]`` uint8; ``adj`` the bonds, kept packed (a dense ``[M, N, N]`` array given here is
    packed): batches densify only the graphs they draw.
    """

    nodes: np.ndarray
    adj: PackedAdjacency
    vocab: Vocabulary
    train_smiles: set[str] = field(default_factory=set)
    scores: np.ndarray | None = None  # reward of each molecule, when a reward run computed it
    conditions: np.ndarray | None = None  # [M, C] normalised properties of a conditional model's molecules
    condition_stats: ConditionStats | None = None
    label_source: LabelSource | None = None  # where a conditional model's label columns come from

    def __post_init__(self) -> None:
        if not isinstance(self.adj, PackedAdjacency):
            self.adj = PackedAdjacency.from_dense(self.adj)

    def __len__(self) -> int:
        return len(self.nodes)

    @classmethod
    def from_dataset(cls, dataset, conditions: Sequence[str] = (), labels: LabelTable | None = None) -> TrainingData:
        """Use the ``train`` split of a :class:`molgan.data.datasets.MolDataset`; ``conditions`` names the
        conditions of a conditional model: RDKit properties (a molecule without a value gets the mean) and
        label columns, taken from ``labels`` (:func:`molgan.data.labels.read_labels` of the data set's file).

        A molecule without a numeric label is not trained on (novelty still counts it); how many is said in
        one :class:`~molgan.data.datasets.DataSetWarning`. No labelled molecule raises :class:`InputError`.
        """
        index = dataset.split("train")
        if len(index) == 0:
            raise InputError("the training split is empty: the data set has too few usable molecules")
        train_smiles = {dataset.smiles[i] for i in index}
        values = None
        if conditions:
            wanted = label_names(conditions)
            if wanted and (labels is None or not set(wanted) <= set(labels.columns)):
                raise InputError(f"the condition {wanted[0]!r} is a label column: pass labels=read_labels(...) of the data file")
            values = condition_values(conditions, [dataset.smiles[i] for i in index], labels)
            keep = labelled(conditions, values)
            if not keep.any():
                raise InputError(f"no training molecule has a numeric {' and '.join(map(repr, wanted))}: nothing to train on")
            if not keep.all():
                warnings.warn(
                    f"{np.count_nonzero(~keep):,} of {len(keep):,} training molecules have no numeric "
                    f"{' or '.join(map(repr, wanted))} (empty or not a number): not trained on",
                    DataSetWarning, stacklevel=2,
                )
                index, values = index[keep], values[keep]
        data = cls(nodes=dataset.nodes[index], adj=dataset.adj.take(index), vocab=dataset.vocab, train_smiles=train_smiles)
        if values is not None:
            data.condition_stats = ConditionStats.fit(conditions, values)
            data.conditions = data.condition_stats.network_inputs(values)
            data.label_source = labels.source if labels is not None and label_names(conditions) else None
        return data


    def focus(self, scores: np.ndarray, share: float) -> TrainingData:
        """Keep the best ``share`` of molecules by ``scores`` (novelty still counts the whole set).

        The result carries the kept molecules' ``scores``.
        """
        scores = np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=-np.inf)
        if share >= 1.0:
            return dataclasses.replace(self, scores=scores)
        keep = max(1, int(round(share * len(scores))))
        order = np.argsort(-scores, kind="stable")[:keep]
        order.sort()
        return dataclasses.replace(
            self, nodes=self.nodes[order], adj=self.adj.take(order), scores=scores[order],
            conditions=None if self.conditions is None else self.conditions[order],
        )


@dataclass
class TrainResult:
    out_dir: Path
    steps: int
    seconds: float
    best: dict[str, float]
    stopped_early: str | None = None


@dataclass
class _State:
    modules: GanModules
    optimizers: dict[str, torch.optim.Optimizer]
    rng: torch.Generator
    precision: str = "fp32"  # of the networks' forward passes: fp32 or bf16 (molgan.training.precision)
    step: int = 0
    seconds: float = 0.0
    best_score: float = -1.0
    best: dict[str, float] = field(default_factory=dict)
    prior: NoisePrior | None = None
    pool: ElitePool | None = None
    collapse: CollapseWatch | None = None


@dataclass(frozen=True)
class Schedule:
    """When each phase of a step runs, as pure functions of the step (steps counted from 0 before it runs)."""

    steps: int
    critic_steps: int  # discriminator updates per step once it trains: n_critic, or 0 without an adversarial term
    critic_from: int
    eval_every: int
    checkpoint_every: int
    rl_from: int
    rl_active: bool  # a reward is given and lambda < 1 (lambda 1: no RL term)
    elite_every: int
    has_pool: bool
    prior_from: int | None  # None: no noise prior is fitted
    prior_every: int
    regularize_every: int = 1
    time_limit_seconds: float | None = None
    checkpoint_seconds: float | None = None  # also checkpoint after this much wall time since the last save

    @classmethod
    def from_config(cls, cfg, *, reward: bool, pool: bool, encoder: bool) -> Schedule:
        fits_prior = cfg.prior.kind != "none" and encoder
        return cls(
            steps=cfg.steps,
            critic_steps=cfg.critic.n_critic if cfg.critic.adversarial_weight > 0 else 0,
            critic_from=int(cfg.critic.start * cfg.steps),
            eval_every=cfg.eval_every,
            checkpoint_every=cfg.checkpoint_every,
            rl_from=int(cfg.rl.start * cfg.steps),
            rl_active=reward and cfg.rl.lambda_gan < 1.0,
            elite_every=cfg.elite.every,
            has_pool=pool,
            prior_from=int(cfg.prior.start * cfg.steps) if fits_prior else None,
            prior_every=cfg.prior.every,
            regularize_every=cfg.critic.regularizer_every,
            time_limit_seconds=None if cfg.time_limit_minutes is None else cfg.time_limit_minutes * 60,
            checkpoint_seconds=None if cfg.checkpoint_minutes is None else cfg.checkpoint_minutes * 60,
        )

    def critic_on(self, step: int) -> bool:
        """The discriminator trains, and the generator hears from it, from ``critic_from`` on."""
        return self.critic_steps > 0 and step >= self.critic_from

    def regularize_due(self, step: int, k: int) -> bool:
        """Whether the ``k``-th discriminator update of ``step`` applies the (lazy) regulariser."""
        return (step * self.critic_steps + k) % self.regularize_every == 0

    def trains_on_pool(self, step: int) -> bool:
        """The elite pool replaces the training set once RL starts."""
        return self.has_pool and step >= self.rl_from

    def pool_update_due(self, step: int) -> bool:
        return self.trains_on_pool(step) and (step - self.rl_from) % self.elite_every == 0

    def prior_on(self, step: int) -> bool:
        return self.prior_from is not None and step >= self.prior_from

    def prior_refit_due(self, step: int) -> bool:
        """Every ``prior_every`` steps from the start, and whenever the pool (what it is fitted to) changed."""
        if not self.prior_on(step):
            return False
        return (step - self.prior_from) % self.prior_every == 0 or self.pool_update_due(step)

    def rl_on(self, step: int) -> bool:
        return self.rl_active and step >= self.rl_from

    def eval_due(self, done: int) -> bool:
        """After ``done`` steps: every ``eval_every`` steps and at the end."""
        return done % self.eval_every == 0 or done == self.steps

    def checkpoint_due(self, done: int, since_save: float = 0.0) -> bool:
        """After ``done`` steps, ``since_save`` seconds after the last save: by steps, at the end, or by time."""
        by_time = self.checkpoint_seconds is not None and since_save >= self.checkpoint_seconds
        return done % self.checkpoint_every == 0 or done == self.steps or by_time

    def out_of_time(self, seconds: float) -> bool:
        return self.time_limit_seconds is not None and seconds > self.time_limit_seconds


class _Batches:
    """Draws the real batches and the noise of a run from its one seeded generator, in a fixed order."""

    def __init__(self, state: _State, source: TrainingData, batch_size: int, z_dim: int, device: torch.device) -> None:
        self.state, self.batch_size, self.z_dim, self.device = state, batch_size, z_dim, device
        self.use(source)

    def use(self, source: TrainingData) -> None:
        """Draw real batches from ``source`` from now on."""
        self.source = source

    def real(self) -> tuple[GraphBatch, np.ndarray]:
        """This rank's share of a batch of training graphs drawn with replacement, and its indices into ``source``."""
        index = distributed.shard(torch.randint(0, len(self.source), (self.batch_size,), generator=self.state.rng).numpy())
        vocab = self.source.vocab
        nodes, adj = _graph_tensors(self.source, index)
        nodes, adj = to_device(nodes, self.device), to_device(adj, self.device)
        batch = GraphBatch.from_indices(nodes, adj, vocab.num_node_types, vocab.num_bond_types)
        if self.source.conditions is not None:
            batch.conditions = to_device(torch.from_numpy(self.source.conditions[index]), self.device)
        return batch, index

    def gaussian(self, num: int | None = None) -> torch.Tensor:
        """N(0, I) noise: this rank's share of a batch, or all of ``num`` draws."""
        z = torch.randn(self.batch_size if num is None else num, self.z_dim, generator=self.state.rng)
        return to_device(self._share(z, num), self.device)

    def generator_noise(self, num: int | None = None) -> torch.Tensor:
        """Noise of the generated graphs training sees: the fitted noise prior once there is one (shared as
        :meth:`gaussian`)."""
        if self.state.prior is None and self.source.conditions is None:
            return self.gaussian(num)
        noise = self.state.prior if self.state.prior is not None else GaussianWithConditions(self.z_dim, self.source.conditions)
        z = noise.sample(self.batch_size if num is None else num, generator=self.state.rng)
        return to_device(self._share(z, num), self.device)

    def fake_noise(self, fake_conditions: str) -> torch.Tensor:
        """:meth:`generator_noise` for the graphs the discriminator judges; with ``fake_conditions = "data"``, a
        conditional model's graphs are asked for the properties of random training molecules instead."""
        z = self.generator_noise()
        if fake_conditions == "data" and self.source.conditions is not None:
            index = distributed.shard(torch.randint(0, len(self.source), (self.batch_size,), generator=self.state.rng).numpy())
            wanted = to_device(torch.from_numpy(self.source.conditions[index]), self.device)
            z = torch.cat([z[:, : self.z_dim], wanted], dim=1)
        return z

    @staticmethod
    def _share(z: torch.Tensor, num: int | None) -> torch.Tensor:
        return distributed.shard(z) if num is None else z


def train(
    config: RunConfig,
    data: TrainingData,
    out_dir: str | Path,
    *,
    resume: bool = False,
    reward: Callable | None = None,
    init_from: str | Path | None = None,
    progress: ProgressCallback | None = None,
    command: str | None = None,
) -> TrainResult:
    """Train a model on ``data`` and write checkpoints, metrics and curves to ``out_dir``.

    ``reward`` (a callable ``list[Mol | None] -> array of [0, 1] scores``, e.g. a
    :class:`molgan.scoring.Reward`) switches on the reward network and the RL term.
    ``init_from`` starts from the weights of another checkpoint (fine-tuning). A SIGINT / SIGTERM
    saves ``last/`` after the current step and raises :class:`~molgan.errors.TrainingInterrupted`.
    An evaluation that finds a collapse (:mod:`molgan.training.collapse`) warns with a
    :class:`~molgan.training.collapse.TrainingCollapseWarning`, once per condition.
    """
    with distributed.session():
        return _train(config, data, Path(out_dir), resume, reward, init_from, progress, command)


def _train(
    config: RunConfig, data: TrainingData, out_dir: Path, resume: bool, reward: Callable | None,
    init_from: str | Path | None, progress: ProgressCallback | None, command: str | None,
) -> TrainResult:
    from molgan.training.interrupt import deferred_stop

    cfg = config.train
    distributed.check_divides(cfg.batch_size)
    _refuse_per_rank_noise(config)
    _check_conditions(config, data)
    state = _start(config, data, out_dir, resume=resume, reward=reward, init_from=init_from)
    symbols = [atom[0] for atom in data.vocab.atom_types]
    state.collapse = CollapseWatch(data_mean_heavy_atoms(data.nodes), data_element_shares(data.nodes, symbols))
    schedule = Schedule.from_config(
        cfg, reward=reward is not None, pool=state.pool is not None, encoder=state.modules.encoder is not None
    )
    device = next(state.modules.generator.parameters()).device
    source = _pool_data(state.pool, data) if schedule.trains_on_pool(state.step) else data
    batches = _Batches(state, source, cfg.batch_size, config.model.z_dim, device)
    valence_limits = max_valences(data.vocab).to(device)
    save = lambda path, training_state: _save(state, path, config, data, command, training_state)  # noqa: E731
    started = time.monotonic() - state.seconds
    with deferred_stop() as stop:
        saved_at = time.monotonic()
        stopped: str | None = None
        while state.step < cfg.steps:
            step = state.step
            if schedule.pool_update_due(step):
                _grow_pool(state, reward, data.vocab, batches.generator_noise(cfg.elite.samples))
                batches.use(_pool_data(state.pool, data))
            if schedule.prior_refit_due(step):
                state.prior = _fit_training_prior(state.modules, batches.source, cfg, step, state.prior)
                distributed.broadcast_modules([state.prior])
            lr_scale = _lr_scale(step, cfg.steps, cfg.lr_decay)
            _set_lr(state.optimizers, cfg, lr_scale)
            values: dict[str, float] = {}
            adversarial = schedule.critic_on(step)
            for k in range(schedule.critic_steps if adversarial else 0):
                values.update(_critic_step(state, batches, cfg, regularize=schedule.regularize_due(step, k)))
            if schedule.rl_on(step):
                values.update(_reward_net_step(state, reward, batches))
            if state.modules.property_net is not None:
                values.update(property_step(state.modules, state.optimizers["property"], batches.real()[0], state.precision))
            values.update(
                _generator_step(state, batches, cfg, valence_limits, rl_on=schedule.rl_on(step), adversarial=adversarial)
            )
            values = distributed.mean_values(values)
            _check_finite(values, step + 1, out_dir)
            state.step += 1
            state.seconds = time.monotonic() - started
            if schedule.eval_due(state.step):
                if distributed.is_main():
                    values = _evaluate_and_keep_best(state, data, cfg, values, lr_scale, reward, out_dir, save)
                distributed.barrier()
            if progress is not None and distributed.is_main():
                progress(state.step, cfg.steps, values)
            if schedule.checkpoint_due(state.step, time.monotonic() - saved_at):
                save(out_dir / "last", True)
                saved_at = time.monotonic()
            interrupted, out_of_time = distributed.any_rank((bool(stop), schedule.out_of_time(state.seconds)))
            if interrupted:
                save(out_dir / "last", True)
                _plot(out_dir)
                distributed.barrier()
                raise TrainingInterrupted(
                    f"interrupted ({stop.name or 'another rank was signalled'}) at step {state.step}; saved {out_dir / 'last'}; "
                    f"continue with: molgan train --out {shlex.quote(str(out_dir))} --resume"
                )
            if out_of_time:
                stopped = f"time limit of {cfg.time_limit_minutes} minutes reached at step {state.step}"
                save(out_dir / "last", True)
                break
    if not (out_dir / "best").exists():
        save(out_dir / "best", False)
    _plot(out_dir)
    distributed.barrier()
    return TrainResult(out_dir=out_dir, steps=state.step, seconds=state.seconds, best=state.best, stopped_early=stopped)


def _check_conditions(config: RunConfig, data: TrainingData) -> None:
    """The data carry exactly the model's conditions (a conditional model needs them, any other none)."""
    wanted = tuple(config.model.conditions)
    have = data.condition_stats.names if data.condition_stats is not None else ()
    if wanted != have:
        raise InputError(
            f"the model is conditioned on {list(wanted)} but the training data carry {list(have)}: "
            "build it with TrainingData.from_dataset(dataset, conditions=...)"
        )


def _refuse_per_rank_noise(config: RunConfig) -> None:
    """Under torchrun, refuse what draws from torch's global RNG per share (every rank would draw the same)."""
    if not distributed.active():
        return
    if config.train.relaxation != "softmax":
        raise InputError(f"train.relaxation {config.train.relaxation!r} is not supported under torchrun yet: use softmax")
    if config.model.generator_dropout > 0:
        raise InputError("model.generator_dropout > 0 is not supported under torchrun yet: use 0")


def _start(
    config: RunConfig, data: TrainingData, out_dir: Path, *, resume: bool, reward: Callable | None,
    init_from: str | Path | None,
) -> _State:
    """Seed, build the networks and optimizers, and restore ``last/`` (resume) or load ``init_from``."""
    from molgan.checkpoint import recover_interrupted_save

    cfg = config.train
    out_dir.mkdir(parents=True, exist_ok=True)
    device = distributed.local_device(resolve_device(cfg.device))
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    modules = build_modules(
        config.model, data.vocab, encoder=cfg.reconstruction_weight > 0, reward_net=reward is not None,
        property_net=cfg.condition_weight > 0,
    )
    if cfg.critic.adversarial_weight == 0:
        modules.critic = None  # built all the same (same random draws), but an untrained network is not kept
    modules.to(device)
    state = _State(
        modules=modules, optimizers=_optimizers(modules, cfg), rng=torch.Generator().manual_seed(cfg.seed),
        precision=resolve_precision(cfg.precision, device),
    )
    if distributed.is_main():
        recover_interrupted_save(out_dir / "last")
    distributed.barrier()
    if resume and not (out_dir / "last").exists():
        raise InputError(f"nothing to resume in {out_dir}: it has no last/ checkpoint; drop --resume to start a new run")
    if resume:
        _restore(state, out_dir / "last", config)
    elif init_from is not None:
        _init_weights(state.modules, init_from)
    if distributed.is_main() and (resume or init_from is None):
        truncate_rows(out_dir / "metrics.csv", METRIC_COLUMNS, "step", state.step)
    distributed.broadcast_modules(list(state.modules.named().values()))
    for optimizer in state.optimizers.values():
        distributed.average_gradients(optimizer)
    if cfg.elite.size > 0:
        if reward is None:
            raise InputError("train.elite.size needs a reward (--reward)")
        if state.pool is None:
            state.pool = _initial_pool(data, reward, cfg.elite.size)
        if len(state.pool) == 0:
            raise InputError("no training molecule has a finite reward: the elite pool would be empty")
    return state


def _critic_step(state: _State, batches: _Batches, cfg, *, regularize: bool) -> dict[str, float]:
    """One discriminator update on a fresh real batch and a batch generated from the sampling noise."""
    real, _ = batches.real()
    return critic_step(
        state.modules, state.optimizers["critic"], real, batches.fake_noise(cfg.critic.fake_conditions),
        CriticSettings.from_config(cfg.critic), regularize=regularize, relaxation=cfg.relaxation,
        precision=state.precision,
    )


def _reward_net_step(state: _State, reward: Callable, batches: _Batches) -> dict[str, float]:
    """Fit the reward network on a real batch (its known scores reused: no re-scoring) and a generated one."""
    real, index = batches.real()
    known = batches.source.scores[index] if batches.source.scores is not None else None
    return _reward_update(state, reward, batches.source.vocab, real, batches.generator_noise(), batches.device, known)


def _generator_step(
    state: _State, batches: _Batches, cfg, valence_limits: torch.Tensor, *, rl_on: bool, adversarial: bool
) -> dict[str, float]:
    condition_on = state.modules.property_net is not None and state.step >= cfg.prior.start * cfg.steps
    weights = LossWeights.from_config(cfg, rl_on=rl_on, adversarial_on=adversarial, condition_on=condition_on)
    real, _ = batches.real()
    if condition_on:  # asked for a random training molecule's properties, which the property net checks
        noise = batches.fake_noise("data")
    elif adversarial:
        noise = batches.fake_noise(cfg.critic.fake_conditions)
    else:
        noise = batches.generator_noise()
    return generator_step(
        state.modules, state.optimizers["generator"], real, noise, valence_limits, weights,
        critic=CriticSettings.from_config(cfg.critic), relaxation=cfg.relaxation, eps=batches.gaussian(),
        precision=state.precision,
    )


def _check_finite(values: dict[str, float], step: int, out_dir: Path) -> None:
    bad = [k for k, v in values.items() if not math.isfinite(v)]
    if bad:
        raise TrainingDivergedError(
            f"loss {', '.join(bad)} became NaN/inf at step {step}; "
            f"the last good checkpoint in {out_dir / 'last'} was kept (try a lower learning rate)"
        )


def _evaluate_and_keep_best(
    state: _State, data: TrainingData, cfg, values: dict[str, float], lr_scale: float, reward: Callable | None,
    out_dir: Path, save: Callable[[Path, bool], None],
) -> dict[str, float]:
    """Log one metrics row, save ``best/`` if it is the best so far; returns ``values`` with the rates."""
    row = _evaluate(state, data, cfg, values, lr_scale, reward)
    append_row(out_dir / "metrics.csv", METRIC_COLUMNS, row)
    if state.collapse is not None:
        uniqueness = row["uniqueness"] if row["validity"] > 0 else math.nan
        for line in state.collapse.check(state.step, uniqueness, row["heavy_atoms"], row["elements"]):
            warnings.warn(line, TrainingCollapseWarning, stacklevel=2)
    score = row["valid_x_unique"] * (row["eval_reward"] if reward is not None else 1.0)
    if score > state.best_score:
        state.best_score = score
        state.best = {k: row[k] for k in ("step", "validity", "uniqueness", "novelty", "valid_x_unique")}
        if reward is not None:
            state.best["eval_reward"] = row["eval_reward"]
        save(out_dir / "best", False)
    return {**values, **{k: row[k] for k in ("validity", "uniqueness")}}


def _initial_pool(data: TrainingData, reward: Callable, size: int) -> ElitePool:
    """The best ``size`` training molecules by reward (scored here unless the data carries scores)."""
    from molgan.chem.graphs import decode_graphs, to_smiles

    smiles, scores = [], []
    for start in range(0, len(data), _POOL_CHUNK):  # decoded in chunks: a million molecules do not fit at once
        stop = start + _POOL_CHUNK
        mols = decode_graphs(data.nodes[start:stop], data.adj[start:stop], data.vocab)
        smiles += to_smiles(mols)
        if data.scores is None:
            scores.append(np.asarray(reward(mols), dtype=np.float64))
    pool = ElitePool(size, data.vocab)
    pool.add(smiles, data.scores if data.scores is not None else np.concatenate(scores))
    return pool


_POOL_CHUNK = 20_000  # decoded RDKit molecules weigh tens of kB each; rewards score molecule by molecule


def _graph_tensors(data: TrainingData, index: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Graphs ``index`` of ``data``, densified, as int64 tensors ``nodes [B, N]``, ``adj [B, N, N]`` (CPU)."""
    return torch.from_numpy(data.nodes[index].astype(np.int64)), torch.from_numpy(data.adj[index].astype(np.int64))


def _pool_data(pool: ElitePool, data: TrainingData) -> TrainingData:
    return TrainingData(pool.nodes, pool.adj, data.vocab, data.train_smiles, pool.scores)


@torch.no_grad()
def _grow_pool(state: _State, reward: Callable, vocab: Vocabulary, z: torch.Tensor) -> int:
    """Generate graphs from noise ``z``, score them, offer them to the pool.

    Under torchrun rank 0 generates and scores; every rank offers rank 0's molecules to its own pool.
    """
    from molgan.chem.graphs import decode_graphs, to_smiles
    from molgan.nn.relax import hard_graphs

    assert state.pool is not None
    smiles, scores = None, None
    if distributed.is_main():
        was_training = state.modules.generator.training
        state.modules.generator.eval()
        nodes, adj = hard_graphs(*state.modules.generator(z))
        state.modules.generator.train(was_training)
        mols = decode_graphs(nodes.cpu().numpy(), adj.cpu().numpy(), vocab)
        smiles, scores = to_smiles(mols), np.nan_to_num(np.asarray(reward(mols), dtype=np.float64), nan=0.0)
    if distributed.active():
        smiles, scores = distributed.broadcast_json([smiles, None if scores is None else scores.tolist()])
    return state.pool.add(smiles, scores)


def _fit_training_prior(modules: GanModules, data: TrainingData, cfg, step: int, previous: NoisePrior | None) -> NoisePrior:
    """Fit the noise prior to the current codes of a seeded subset of the training molecules.

    A kernel prior keeps the codes of ``noise_prior_size`` molecules. A mixture is fitted to 20,000 codes:
    50 EM iterations from k-means the first time, then 10 starting from the previous mixture.
    """
    from sklearn.exceptions import ConvergenceWarning

    from molgan.latent.codes import fit_code_prior

    assert modules.encoder is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        prior = fit_code_prior(
            modules.encoder, data.nodes, data.adj, data.vocab,
            kind=cfg.prior.kind, size=cfg.prior.count, scale=cfg.prior.scale, seed=cfg.seed + step,
            max_codes=20000, init=previous, max_iter=50 if previous is None else 10, conditions=data.conditions,
        )
    return prior.to(next(modules.generator.parameters()).device)


def _optimizers(modules: GanModules, cfg) -> dict[str, torch.optim.Optimizer]:
    """Adam for each network. The generator's betas are Adam's defaults whether or not the
    discriminator trains (turning it on changes nothing else); the discriminator has its own."""
    generator_params = list(modules.generator.parameters())
    if modules.encoder is not None:
        generator_params += list(modules.encoder.parameters())
    optimizers = {"generator": torch.optim.Adam(generator_params, lr=cfg.lr_generator, betas=(0.9, 0.999))}
    if modules.critic is not None:
        betas = (cfg.critic.beta1, cfg.critic.beta2)
        optimizers["critic"] = torch.optim.Adam(modules.critic.parameters(), lr=cfg.critic.lr, betas=betas)
    if modules.reward_net is not None:
        optimizers["reward"] = torch.optim.Adam(modules.reward_net.parameters(), lr=cfg.critic.lr)
    if modules.property_net is not None:
        optimizers["property"] = torch.optim.Adam(modules.property_net.parameters(), lr=cfg.critic.lr)
    return optimizers


def _lr_scale(step: int, total: int, final: float) -> float:
    """Cosine decay from 1 to ``final`` over ``total`` steps (a pure function of the step: exact resume)."""
    progress = min(1.0, step / max(1, total))
    return final + (1.0 - final) * 0.5 * (1.0 + math.cos(math.pi * progress))


def _set_lr(optimizers: dict[str, torch.optim.Optimizer], cfg, scale: float) -> None:
    for name, optimizer in optimizers.items():
        base = cfg.lr_generator if name == "generator" else cfg.critic.lr
        for group in optimizer.param_groups:
            group["lr"] = base * scale


def _reward_update(
    state: _State, reward: Callable, vocab: Vocabulary, real: GraphBatch, z, device, real_scores: np.ndarray | None
) -> dict[str, float]:
    """Score hard generated graphs (and real ones, unless ``real_scores`` are known) and fit the reward network."""
    import torch.nn.functional as F

    from molgan.chem.graphs import decode_graphs
    from molgan.nn.relax import hard_graphs

    with torch.no_grad():
        nodes, adj = hard_graphs(*forward_fp32(state.modules.generator, z, precision=state.precision))
    mols = decode_graphs(nodes.cpu().numpy(), adj.cpu().numpy(), vocab)
    scores = np.nan_to_num(np.asarray(reward(mols), dtype=np.float64), nan=0.0)
    scores = _penalize_duplicates(mols, scores)
    if real_scores is None:
        real_mols = decode_graphs(real.nodes.cpu().numpy(), real.adj.cpu().numpy(), vocab)
        real_scores = reward(real_mols)
    real_scores = np.nan_to_num(np.asarray(real_scores, dtype=np.float64), nan=0.0, neginf=0.0)
    graphs = (
        torch.cat([F.one_hot(nodes, vocab.num_node_types).float(), real.nodes_onehot]),
        torch.cat([F.one_hot(adj, vocab.num_bond_types).float(), real.adj_onehot]),
    )
    targets = to_device(torch.tensor(np.concatenate([scores, real_scores]), dtype=torch.float32), device)
    values = reward_step(state.modules, state.optimizers["reward"], graphs, targets, state.precision)
    values["reward"] = float(scores.mean())
    return values


def _penalize_duplicates(mols, scores: np.ndarray) -> np.ndarray:
    """Divide the reward of a molecule by its count in the batch: repeating one molecule pays nothing extra."""
    from rdkit import Chem

    keys = [None if m is None else Chem.MolToSmiles(m) for m in mols]
    counts: dict[str, int] = {}
    for key in (k for rank_keys in distributed.gather_json(keys) for k in rank_keys):  # over the global batch
        if key is not None:
            counts[key] = counts.get(key, 0) + 1
    return np.array([s / counts[k] if k is not None else s for k, s in zip(keys, scores)])


def _evaluate(
    state: _State, data: TrainingData, cfg, values: dict[str, float], lr_scale: float, reward: Callable | None
) -> dict[str, float]:
    """Validity, uniqueness, novelty (and mean reward of the distinct valid molecules) of a fixed noise sample."""
    device = next(state.modules.generator.parameters()).device
    options = SamplingOptions(decoding=cfg.decoding, temperature=cfg.temperature)
    noise = state.prior
    if noise is None and data.conditions is not None:
        noise = GaussianWithConditions(state.modules.generator.z_dim, data.conditions)
    smiles = sample_raw(state.modules.generator, data.vocab, cfg.eval_samples, EVAL_SEED, options, device, prior=noise)
    valid = [s for s in smiles if s]
    unique = set(valid)
    eval_reward = float("nan")
    if reward is not None:
        ordered = sorted(unique)
        scores = np.asarray(reward(to_mols(ordered)), dtype=np.float64)
        eval_reward = float(np.mean(np.nan_to_num(scores, nan=0.0, posinf=0.0, neginf=0.0))) if ordered else 0.0
    validity = len(valid) / len(smiles)
    uniqueness = len(unique) / len(valid) if valid else 0.0
    novelty = len(unique - data.train_smiles) / len(unique) if unique else 0.0
    row = {k: values.get(k, float("nan")) for k in METRIC_COLUMNS}
    heavy_atoms, elements = sample_composition(valid)
    row.update(
        step=state.step, seconds=round(state.seconds, 1), validity=validity, uniqueness=uniqueness,
        novelty=novelty, valid_x_unique=validity * uniqueness, lr=cfg.lr_generator * lr_scale, eval_reward=eval_reward,
        pool_reward=float(state.pool.scores.mean()) if state.pool is not None and len(state.pool) else float("nan"),
        heavy_atoms=heavy_atoms, elements=elements,  # not metrics.csv columns: the collapse watch reads them
    )
    return row


def _save(state: _State, path: Path, config: RunConfig, data: TrainingData, command: str | None, training_state: bool) -> None:
    """Write a checkpoint (rank 0 alone; the others hold the same state)."""
    if not distributed.is_main():
        return
    optimizer_tensors: dict[str, torch.Tensor] = {}
    optimizer_meta: dict[str, Any] = {}
    if training_state:
        for name, optimizer in state.optimizers.items():
            tensors, meta = optimizer_to_flat(name, optimizer)
            optimizer_tensors.update(tensors)
            optimizer_meta[name] = meta
        optimizer_tensors["rng.data"] = state.rng.get_state()
        optimizer_tensors["rng.torch"] = torch.get_rng_state()
    save_checkpoint(
        path,
        config=config,
        vocab=data.vocab,
        modules=state.modules.named() | ({"prior": state.prior} if state.prior is not None else {}),
        step=state.step,
        metrics=state.best,
        extra={
            "seconds": state.seconds,
            "best_score": state.best_score,
            "command": command,
            "optimizers": optimizer_meta,
            "torch_version": torch.__version__,
            **({"conditions": data.condition_stats.to_dict()} if data.condition_stats is not None else {}),
            **({"labels": data.label_source.to_dict()} if data.label_source is not None else {}),
            **({"elite_pool": state.pool.state()} if training_state and state.pool is not None else {}),
        },
        optimizer_state=optimizer_tensors or None,
    )


def _restore(state: _State, path: Path, config: RunConfig) -> None:
    checkpoint = load_checkpoint(path)
    if checkpoint.config.model != config.model:
        raise CheckpointError(f"{path}: the model config differs from the one being resumed; use a new --out")
    for name, module in state.modules.named().items():
        if not checkpoint.has(name):
            raise CheckpointError(f"{path}: no weights for {name!r}; cannot resume with a different setup")
        checkpoint.load_into(name, module)
    tensors = checkpoint.optimizer_state()
    if not tensors:
        raise CheckpointError(f"{path}: no optimizer state; it is not a resumable training checkpoint")
    for name, optimizer in state.optimizers.items():
        optimizer_from_flat(name, optimizer, tensors, checkpoint.extra["optimizers"][name])
    if checkpoint.has("prior") and _uses_prior(config):
        from molgan.sampling.model import load_prior

        state.prior = load_prior(checkpoint)
    if "elite_pool" in checkpoint.extra and config.train.elite.size > 0:
        state.pool = ElitePool.from_state(checkpoint.extra["elite_pool"], checkpoint.vocab)
    state.rng.set_state(tensors["rng.data"])
    torch.set_rng_state(tensors["rng.torch"])
    state.step = checkpoint.step
    state.seconds = float(checkpoint.extra.get("seconds", 0.0))
    state.best_score = float(checkpoint.extra.get("best_score", -1.0))
    state.best = checkpoint.metrics


def _uses_prior(config: RunConfig) -> bool:
    """Whether a run with ``config`` fits (and so restores) a noise prior."""
    return config.train.prior.kind != "none" and config.train.reconstruction_weight > 0


def _init_weights(modules: GanModules, source: str | Path) -> None:
    from molgan.pretrained import resolve_model

    checkpoint = load_checkpoint(resolve_model(source))
    theirs = tuple(checkpoint.config.model.conditions)
    if len(theirs) != modules.generator.condition_dim:
        raise InputError(f"{checkpoint.path} is conditioned on {list(theirs)}: start from it with the same --condition")
    for name, module in modules.named().items():
        if checkpoint.has(name):
            checkpoint.load_into(name, module)


def _plot(out_dir: Path) -> None:
    if not distributed.is_main():
        return
    try:
        from molgan.evaluation.draw import plot_training_curves
    except ImportError:  # pragma: no cover - drawing is optional for training
        return
    metrics = out_dir / "metrics.csv"
    if metrics.exists():
        plot_training_curves(metrics, out_dir / "training_curves.png")
