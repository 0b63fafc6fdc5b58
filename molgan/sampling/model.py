"""A trained generator ready to sample: ``molgan.load("qm9").sample(1000, seed=0)``."""

from __future__ import annotations

import copy
import dataclasses
import functools
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from rdkit import Chem

from molgan.config import active_settings
from molgan.data.conditions import ConditionStats, Target
from molgan.checkpoint import Checkpoint, load_checkpoint
from molgan.errors import CheckpointError, InputError
from molgan.chem.graphs import decode_graphs, to_smiles
from molgan.chem.mol import to_mols
from molgan.nn.build import build_generator
from molgan.pretrained import resolve_model
from molgan.sampling.sampler import BLOCK, SamplingOptions, iter_graph_blocks
from molgan.sampling.stream import prefetch
from molgan.nn.device import resolve_device

if TYPE_CHECKING:  # pragma: no cover
    from molgan.data.labels import LabelTable
    from molgan.latent.analogs import Analog, PathPoint


class Model:
    """A generator with its vocabulary and model card. Load with :func:`load`."""

    def __init__(self, checkpoint: Checkpoint, device: str = "cpu", noise_scale: float | None = None) -> None:
        self.checkpoint = checkpoint
        self.config = checkpoint.config
        self.vocab = checkpoint.vocab
        self.device = resolve_device(device)
        self.generator = build_generator(self.config.model, self.vocab)
        checkpoint.load_into("generator", self.generator)
        self.generator.to(self.device).eval()
        self.prior = load_prior(checkpoint)
        critic = self.config.train.critic
        # the discriminator's sampling defaults serve an unconditional model whose logistic discriminator trained
        serving = checkpoint.critic_trained and critic.loss == "bce" and not self.config.model.conditions
        #: the share of graphs discriminator rejection sampling keeps unless told otherwise (``None``: off)
        self.default_keep = critic.sample_keep if serving else None
        if noise_scale is None and serving and self.prior is not None:
            noise_scale = critic.sample_noise_scale
        self.noise_scale = noise_scale
        if noise_scale is not None:
            if not noise_scale > 0:
                raise InputError(f"the noise scale must be positive, got {noise_scale}")
            if self.prior is None:
                raise InputError(f"{checkpoint.path} samples N(0, I) noise: a noise scale needs a fitted noise prior")
            self.prior = self.prior.with_scale(noise_scale)
        stats = checkpoint.extra.get("conditions")
        #: the properties a conditional model aims at, with their training statistics (``None``: unconditional)
        self.conditions = ConditionStats.from_dict(stats) if self.config.model.conditions and stats else None
        #: the target this view of the model aims at (:meth:`with_condition`)
        self.condition: Target | Sequence[Target] | None = None
        self._kernel = self.prior  # the unaimed prior that every target restricts
        standing = checkpoint.extra.get("condition")  # a released model's standing target: {"target": ..., "window": ...}
        if standing is not None and self.conditions is not None:
            self._aim(standing["target"], standing.get("window"))

    def with_condition(self, condition: Target | Sequence[Target] | str, window: float | None = None) -> Model:
        """This model aimed at ``condition`` (``{"qed": 0.8}``, ``"qed=0.8,logp=2"``, or one mapping per molecule):
        every sampling method of the returned model draws towards it.

        ``window``: half-width, in training standard deviations, of the property window its noise codes come
        from (default :data:`molgan.latent.conditioned.WINDOW`; ``float("inf")`` lets the generator alone aim).
        A property outside the training range is refused; one in its outer 1 % tails warns.
        """
        from molgan.data.conditions import parse_condition

        if self.conditions is None:
            raise InputError(f"{self.path} is not a conditional model: train one with --condition (e.g. qed,logp)")
        view = copy.copy(self)
        view._aim(parse_condition(condition) if isinstance(condition, str) else condition, window)
        return view

    def _aim(self, condition: Target | Sequence[Target], window: float | None) -> None:
        from molgan.latent.conditioned import WINDOW, ConditionedPrior

        self.prior = ConditionedPrior(self._kernel, self.conditions.targets(condition), WINDOW if window is None else window)
        self.condition = condition

    @property
    def path(self) -> Path:
        return self.checkpoint.path

    def card(self) -> dict[str, Any]:
        """Model card: data, vocabulary, size, training command, the settings that acted in training, released metrics."""
        card_file = self.path / "card.json"
        card: dict[str, Any] = {}
        if card_file.exists():
            import json

            card = json.loads(card_file.read_text())
        n_params = sum(p.numel() for p in self.generator.parameters())
        return {
            "path": str(self.path),
            "data": self.config.train.data,
            "atom_types": self.vocab.atom_labels(),
            "max_atoms": self.vocab.max_atoms,
            "z_dim": self.config.model.z_dim,
            "generator_parameters": n_params,
            "noise": repr(self.prior) if self.prior is not None else "N(0, I)",
            "sampling": self.sampling_summary(),
            "trained_steps": self.checkpoint.step,
            "training_seconds": round(float(self.checkpoint.extra.get("seconds", 0.0)), 1),
            "training_command": self.checkpoint.extra.get("command"),
            "training_settings": active_settings(self.config.train),
            "validation_metrics": self.checkpoint.metrics or self.checkpoint.extra.get("base_metrics", {}),
            **({"conditions": list(self.conditions.names)} if self.conditions is not None else {}),
            **({"aimed_at": self.condition} if self.condition is not None else {}),
            **({"noise_search": _search_summary(self.checkpoint.extra["prior"])}
               if self.checkpoint.extra.get("prior", {}).get("kind") == "latent-search" else {}),
            **card,
        }

    def sampling_summary(self) -> str:
        """How this model samples unless told otherwise, in words (model cards)."""
        width = f" at noise width {self.noise_scale:g}" if self.noise_scale is not None else ""
        if self.default_keep is None:
            return "the generator alone" + width
        return f"discriminator rejection sampling accepting {self.default_keep:g} of the graphs on average{width}"

    def _options(self, decoding: str | None, temperature: float | None, correct: bool) -> SamplingOptions:
        try:
            return SamplingOptions(
                decoding=decoding or self.config.train.decoding,
                temperature=temperature if temperature is not None else self.config.train.temperature,
                correct=correct,
            )
        except ValueError as exc:
            raise InputError(str(exc)) from exc

    def iter_raw(
        self, seed: int = 0, *, decoding: str | None = None, temperature: float | None = None, correct: bool = False,
        discriminator_keep: float | None = None, condition: Target | Sequence[Target] | str | None = None,
        start_block: int = 0, mark_rejected: bool = False,
    ) -> Iterator[list[str | None]]:
        """Endless blocks of generated SMILES (``None`` = not a valid molecule), in order, from block
        ``start_block`` on.

        ``condition``: aim a conditional model at target properties (:meth:`with_condition`); with one
        mapping per molecule, the ``i``-th graph aims at target ``i`` (cycling).

        ``discriminator_keep`` (for instance 0.5; default: the model's own, see :attr:`default_keep`):
        discriminator rejection sampling (:mod:`molgan.sampling.rejection`) keeps about that share of the
        graphs, those the trained discriminator finds most real; blocks then hold only the accepted graphs,
        or with ``mark_rejected`` every graph, :data:`~molgan.sampling.rejection.REJECTED` (``False``) in
        place of a rejected one.
        """
        if condition is not None:
            yield from self.with_condition(condition).iter_raw(
                seed, decoding=decoding, temperature=temperature, correct=correct, discriminator_keep=discriminator_keep,
                start_block=start_block, mark_rejected=mark_rejected,
            )
            return
        options = self._options(decoding, temperature, correct)
        discriminator_keep = self.resolve_keep(discriminator_keep)
        keep = self.rejection_filter(discriminator_keep, options) if discriminator_keep is not None else None
        blocks = iter_graph_blocks(self.generator, seed, options, self.device, start_block=start_block, prior=self.prior)
        if self.device.type == "cuda":  # the GPU generates the next blocks while this process decodes
            blocks = prefetch(blocks)
        def decode(nodes: np.ndarray, adj: np.ndarray) -> list[str | None]:
            return to_smiles(decode_graphs(nodes, adj, self.vocab, correct=correct))

        for block, (nodes, adj) in enumerate(blocks, start=start_block):
            yield decode(nodes, adj) if keep is None else keep.decode_block(nodes, adj, seed, block, decode, mark_rejected)

    def resolve_keep(self, keep: float | None) -> float | None:
        """The keep share a sampling call uses: the caller's, else the model's default; ``None`` (no rejection)
        for 1."""
        keep = self.default_keep if keep is None else keep
        if keep is not None:
            self.check_rejection(keep)
        return None if keep is None or keep == 1.0 else keep

    def check_rejection(self, keep: float) -> None:
        """Refuse (one line) discriminator rejection sampling that this model cannot do, or a bad ``keep``."""
        from molgan.sampling.rejection import check_keep

        check_keep(keep)
        if not self.checkpoint.critic_trained:
            raise InputError(f"{self.checkpoint.path} holds no trained discriminator: rejection sampling needs one")
        if self.config.model.conditions:
            raise InputError("rejection sampling serves unconditional models (a conditional discriminator needs the condition)")

    def rejection_filter(self, keep: float, options: SamplingOptions | None = None):
        """The :class:`~molgan.sampling.rejection.RejectionFilter` of this model's discriminator for ``keep``."""
        from itertools import islice

        from molgan.nn.build import build_critic
        from molgan.sampling.rejection import CALIBRATION_BLOCKS, CALIBRATION_SEED, RejectionFilter, critic_scores

        self.check_rejection(keep)
        critic = build_critic(self.config.model, self.vocab, discriminator=True)
        self.checkpoint.load_into("critic", critic)
        critic.to(self.device).eval()
        options = options or self._options(None, None, False)
        calibration = islice(iter_graph_blocks(self.generator, CALIBRATION_SEED, options, self.device, prior=self.prior), CALIBRATION_BLOCKS)
        scores = np.concatenate([critic_scores(critic, nodes, adj, self.vocab) for nodes, adj in calibration])
        return RejectionFilter(critic, self.vocab, keep, scores)

    def iter_graphs(
        self, seed: int = 0, *, decoding: str | None = None, temperature: float | None = None, start_block: int = 0
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Endless blocks of graph tensors ``nodes [BLOCK, N]``, ``adj [BLOCK, N, N]`` (uint8), from
        block ``start_block`` on."""
        yield from iter_graph_blocks(
            self.generator, seed, self._options(decoding, temperature, False), self.device,
            start_block=start_block, prior=self.prior,
        )

    def sample_raw(self, num: int, seed: int = 0, **options: Any) -> list[str | None]:
        """Exactly ``num`` graphs as SMILES, in order, ``None`` where invalid (with the model's default rejection
        sampling, the accepted graphs; with ``mark_rejected=True``, ``num`` draws, ``False`` where rejected). No
        de-duplication."""
        _check_count(num)
        out: list[str | None] = []
        if num == 0:
            return out
        for block in self.iter_raw(seed, **options):
            out.extend(block[: num - len(out)])
            if len(out) >= num:
                break
        return out

    def sample(
        self, num: int, seed: int = 0, *, unique: bool = False, max_draws: int | None = None, **options: Any
    ) -> list[str]:
        """``num`` valid molecules as canonical SMILES (distinct ones with ``unique=True``).

        Draws until enough are found or ``max_draws`` graphs were generated (default 100 x num),
        then raises :class:`~molgan.errors.InputError` saying how many were found.
        """
        _check_count(num)
        if num == 0:
            return []
        limit = max_draws if max_draws is not None else max(100 * num, BLOCK)
        out: list[str] = []
        seen: set[str] = set()
        drawn = 0
        for block in self.iter_raw(seed, mark_rejected=True, **options):  # draws: graphs generated, rejected or not
            for smiles in block:
                drawn += 1
                if smiles and (not unique or smiles not in seen):
                    seen.add(smiles)
                    out.append(smiles)
                    if len(out) == num:
                        return out
                if drawn >= limit:
                    raise InputError(
                        f"only {len(out)} of {num} {'distinct ' if unique else ''}valid molecules after "
                        f"{drawn} draws; raise --max-draws"
                    )
        return out  # pragma: no cover

    def sample_mols(self, num: int, seed: int = 0, **options: Any) -> list[Chem.Mol]:
        """``num`` valid molecules as RDKit molecules."""
        return to_mols(self.sample(num, seed, **options))

    def sample_to_file(self, output: str | Path, num: int | None = None, seed: int = 0, **options: Any):
        """Write ``num`` molecules to ``output`` as ``molgan sample`` does (on all cores for big runs);
        see :func:`molgan.sampling.to_file.sample_to_file` for ``options``. Returns its result."""
        from molgan.sampling.to_file import sample_to_file

        return sample_to_file(self, output, num, seed=seed, **options)

    @functools.cached_property
    def encoder(self) -> torch.nn.Module:
        """The trained encoder (molecule graph -> code), loaded on first use; :class:`InputError` without one."""
        from molgan.nn.build import build_encoder

        if not self.checkpoint.has("encoder"):
            raise InputError(f"{self.path} has no encoder: analogs and paths need a model trained with reconstruction")
        encoder = build_encoder(self.config.model, self.vocab)
        self.checkpoint.load_into("encoder", encoder)
        return encoder.to(self.device).eval()

    def analogs(
        self, smiles: str, num: int = 10, radius: float | None = None, seed: int = 0, draws: int | None = None
    ) -> list[Analog]:
        """The ``num`` distinct valid molecules (not the input) most Tanimoto-similar to ``smiles`` among
        the decodings of ``draws`` codes drawn around its code (Gaussian of width ``radius``, default
        :data:`~molgan.latent.analogs.DEFAULT_RADIUS`), as ``(smiles, similarity)``, most similar first.
        See :func:`molgan.latent.analogs.analogs`."""
        from molgan.latent.analogs import DEFAULT_RADIUS, analogs

        return analogs(self, smiles, num, DEFAULT_RADIUS if radius is None else radius, seed, draws)

    def interpolate(self, a: str, b: str, steps: int = 10, method: str = "linear") -> list[PathPoint]:
        """The decoded path from ``a``'s code to ``b``'s: ``(t, smiles or None, similarity to a, similarity to b)``
        for ``steps`` points. See :func:`molgan.latent.analogs.interpolate` and ``path_smoothness``."""
        from molgan.latent.analogs import interpolate

        return interpolate(self, a, b, steps, method)

    def __repr__(self) -> str:
        return f"Model({str(self.path)!r}, data={self.config.train.data!r}, device={self.device})"


def _search_summary(prior: dict[str, Any]) -> dict[str, Any]:
    """What a ``molgan optimize`` run that made a model's noise prior did (for its card)."""
    keys = ("reward", "rounds", "pool_size", "prior_size", "bandwidth", "pool_mean", "expected_reward")
    return {k: prior[k] for k in keys if k in prior}


def load(name_or_path: str | Path = "qm9", device: str = "cpu", noise_scale: float | None = None) -> Model:
    """Load a shipped model (``"qm9"``, ``"qm9-qed"``, ``"qm9-cond"``) or a checkpoint / training output directory.

    ``noise_scale`` replaces the width of the model's fitted noise prior (the kernel bandwidth; by default
    the model's sampling width, 0.5 for ``qm9``): smaller stays closer to the training molecules (lower FCD,
    higher validity, less novelty).
    """
    return Model(load_checkpoint(resolve_model(name_or_path)), device=device, noise_scale=noise_scale)


def load_prior(checkpoint: Checkpoint):
    """The fitted noise mixture stored in a checkpoint, or ``None`` (noise is then N(0, I))."""
    if not checkpoint.has("prior"):
        return None
    from molgan.latent.priors import GaussianMixturePrior, KernelDensityPrior

    state = checkpoint.state_dict("prior")
    if "codes" in state:
        try:
            return KernelDensityPrior.from_state(state)
        except KeyError as exc:
            raise CheckpointError(f"{checkpoint.path}: {exc.args[0]}") from exc
    prior = GaussianMixturePrior.empty(*state["means"].shape)
    checkpoint.load_into("prior", prior)
    return prior


def fit_noise_prior(
    model_dir: str | Path,
    data: str | None = None,
    components: int = 64,
    scale: float = 1.0,
    seed: int = 0,
    kind: str = "mixture",
) -> Path:
    """Fit a noise prior to the encoder codes of ``data``'s training split and store it in the
    checkpoint at ``model_dir`` (rewritten atomically); sampling then draws its noise from it.

    ``kind="mixture"``: ``components`` Gaussians, widths times ``scale``. ``kind="kernel"``: a kernel
    density over the codes of ``components`` molecules with bandwidth ``scale``. ``data`` defaults to
    ``"qm9"``, or for a model conditioned on label columns to the file it was trained on (whose labels
    the checkpoint says how to read); molecules without a numeric label are left out, as in training.
    """
    from molgan.data.datasets import load_dataset
    from molgan.latent.codes import fit_code_prior
    from molgan.nn.build import build_encoder

    path = resolve_model(model_dir)
    checkpoint = load_checkpoint(path)
    if not checkpoint.has("encoder"):
        raise InputError(f"{path} has no encoder: a noise prior needs a model trained with reconstruction")
    if components <= 0 or scale <= 0:
        raise InputError("--components and --scale must be positive")
    if kind not in ("mixture", "kernel"):
        raise InputError(f"--kind must be mixture or kernel, got {kind!r}")
    vocab = checkpoint.vocab
    encoder = build_encoder(checkpoint.config.model, vocab)
    checkpoint.load_into("encoder", encoder)
    labels = _label_table(checkpoint, data)
    data = data or (labels.source.path if labels is not None else "qm9")
    reading = {} if labels is None else {
        "smiles_column": labels.source.smiles_column, "delimiter": labels.source.delimiter, "fragments": labels.source.fragments,
    }
    dataset = load_dataset(data, vocab=vocab, **reading)  # encoded with the model's own vocabulary
    index = dataset.split("train")
    conditions = None
    if checkpoint.config.model.conditions:  # a conditional model's codes keep their molecules' conditions
        from molgan.data.conditions import ConditionStats, condition_values, labelled

        if kind != "kernel":
            raise InputError("a conditional model's noise prior is a kernel prior: use --kind kernel")
        stats = ConditionStats.from_dict(checkpoint.extra["conditions"])
        values = condition_values(stats.names, [dataset.smiles[i] for i in index], labels)
        keep = labelled(stats.names, values)
        if labels is not None and not keep.any():
            raise InputError(f"no training molecule of {data} has a numeric {' and '.join(labels.columns)}")
        index, conditions = index[keep], stats.network_inputs(values[keep])
    prior = fit_code_prior(
        encoder, dataset.nodes[index], dataset.adj.take(index), vocab, kind=kind, size=components, scale=scale, seed=seed,
        conditions=conditions,
    )
    extra = {"prior": {"kind": kind, "data": data, "components": components, "scale": scale, "seed": seed}}
    return save_with_prior(checkpoint, prior, path, extra=extra)


def _label_table(checkpoint: Checkpoint, data: str | None) -> LabelTable | None:
    """The labels of a model conditioned on label columns, read from ``data`` (default: its training file)
    as the checkpoint says; ``None`` for any other model."""
    from molgan.data.conditions import check_label_data, label_names
    from molgan.data.labels import LabelSource, read_labels

    columns = label_names(checkpoint.config.model.conditions)
    if not columns:
        return None
    stored = checkpoint.extra.get("labels")
    if stored is None:
        raise CheckpointError(f"{checkpoint.path}: conditioned on {', '.join(columns)} but says nothing of the file they come from")
    source = LabelSource.from_dict(stored)
    if data is not None:
        check_label_data(columns, data)
        source = dataclasses.replace(source, path=str(data))
    return read_labels(source)


def save_with_prior(
    checkpoint: Checkpoint,
    prior: torch.nn.Module,
    path: str | Path,
    *,
    extra: dict[str, Any],
    metrics: dict[str, Any] | None = None,
) -> Path:
    """Write ``checkpoint`` to ``path`` (atomically) with ``prior`` as its noise prior; ``extra`` is merged
    into its metadata, ``metrics`` replaces its metrics when given. The discriminator's sampling defaults
    (rejection, noise width) were set for the prior it trained against: the new prior samples as it is,
    at its own width (``--discriminator-keep`` still asks for rejection)."""
    import dataclasses

    from molgan.checkpoint import save_checkpoint

    modules: dict[str, torch.nn.Module] = {
        name: _StateHolder(checkpoint.state_dict(name)) for name in checkpoint.meta.get("modules", []) if name != "prior"
    }
    modules["prior"] = prior
    train = checkpoint.config.train
    critic = dataclasses.replace(train.critic, sample_keep=None, sample_noise_scale=None)
    config = dataclasses.replace(checkpoint.config, train=dataclasses.replace(train, critic=critic))
    return save_checkpoint(path, config=config, vocab=checkpoint.vocab, modules=modules,
                           step=checkpoint.step, metrics=checkpoint.metrics if metrics is None else metrics,
                           extra=checkpoint.extra | extra)


class _StateHolder(torch.nn.Module):
    """Carries an already-saved state dict through :func:`save_checkpoint` unchanged."""

    def __init__(self, state: dict) -> None:
        super().__init__()
        self._state = state

    def state_dict(self, *args, **kwargs):  # noqa: D102 - same contract as nn.Module
        return dict(self._state)


def _check_count(num: int) -> None:
    if not isinstance(num, (int, np.integer)) or num < 0:
        raise InputError(f"the number of molecules must be a non-negative integer, got {num!r}")


def torch_threads(n: int | None) -> None:
    """Set torch's intra-op threads when asked (CLI --threads)."""
    if n:
        torch.set_num_threads(n)
