"""One optimisation step of each network: critic, generator (+ encoder), reward network.

Each function takes the networks, their optimizer and tensors, updates the weights and returns the
loss values as floats (copied to the host once per step function). They know nothing of files,
logging or schedules (see :mod:`molgan.training.loop`). ``precision`` (``fp32`` or ``bf16``, see
:mod:`molgan.training.precision`) is the autocast of the networks' forward passes; losses are fp32.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from molgan.training import distributed, losses
from molgan.training.precision import forward_fp32, logged
from molgan.nn.build import GanModules
from molgan.nn.relax import relax


@dataclass
class GraphBatch:
    """Integer graphs ``nodes [B, N]``, ``adj [B, N, N]`` and their one-hot forms ``[B, N, T]``, ``[B, N, N, R]``;
    for a conditional model, their normalised properties ``conditions [B, C]``."""

    nodes: Tensor
    adj: Tensor
    nodes_onehot: Tensor
    adj_onehot: Tensor
    conditions: Tensor | None = None

    @classmethod
    def from_indices(cls, nodes: Tensor, adj: Tensor, num_node_types: int, num_bond_types: int) -> GraphBatch:
        nodes, adj = nodes.long(), adj.long()
        return cls(
            nodes=nodes,
            adj=adj,
            nodes_onehot=F.one_hot(nodes, num_node_types).float(),
            adj_onehot=F.one_hot(adj, num_bond_types).float(),
        )


@dataclass(frozen=True)
class LossWeights:
    """Weights of the generator's loss terms."""

    adversarial: float = 1.0
    valence: float = 1.0
    connectivity: float = 5.0
    reconstruction: float = 1.0
    latent: float = 10.0
    latent_regularizer: str = "mmd"
    rl_lambda: float = 1.0  # MolGAN's lambda; applies once the RL term is on
    rl_on: bool = False
    condition: float = 0.0  # the property-consistency term of a conditional model
    mode_seeking: float = 0.0  # MSGAN's term, with the adversarial one

    @classmethod
    def from_config(cls, cfg, *, rl_on: bool = False, adversarial_on: bool = True, condition_on: bool = True) -> LossWeights:
        """The weights of a :class:`molgan.config.TrainConfig` (``adversarial_on=False``: before the discriminator starts)."""
        return cls(
            adversarial=cfg.critic.adversarial_weight if adversarial_on else 0.0,
            valence=cfg.valence_weight,
            connectivity=cfg.connectivity_weight,
            reconstruction=cfg.reconstruction_weight,
            latent=cfg.latent_weight,
            latent_regularizer=cfg.latent_regularizer,
            rl_lambda=cfg.rl.lambda_gan,
            rl_on=rl_on,
            condition=cfg.condition_weight if condition_on else 0.0,
            mode_seeking=cfg.critic.mode_seeking_weight if adversarial_on else 0.0,
        )


def straight_through(node_logits: Tensor, edge_logits: Tensor) -> tuple[Tensor, Tensor]:
    """The argmax graph as one-hot tensors, with the softmax's gradient (straight-through estimator).

    Bonds to empty slots are removed, as decoding removes them: the discriminator sees what the
    user gets, in the form of the one-hot training graphs, so it cannot tell them apart by softness.
    """
    nodes, edges = F.softmax(node_logits, -1), F.softmax(edge_logits, -1)
    nodes = nodes + (F.one_hot(nodes.argmax(-1), nodes.shape[-1]).to(nodes) - nodes).detach()
    edges = edges + (F.one_hot(edges.argmax(-1), edges.shape[-1]).to(edges) - edges).detach()
    present = 1.0 - nodes[..., 0]
    bonds = edges[..., 1:] * (present.unsqueeze(2) * present.unsqueeze(1)).unsqueeze(-1)
    return nodes, torch.cat([1.0 - bonds.sum(-1, keepdim=True), bonds], dim=-1)


def discriminator_input(logits: tuple[Tensor, Tensor], critic_input: str, relaxation: str) -> tuple[Tensor, Tensor]:
    """Generated graphs of generator ``logits`` as the discriminator sees them (``straight_through`` or ``relaxed``)."""
    if critic_input == "relaxed":
        return relax(logits[0], relaxation), relax(logits[1], relaxation)
    return straight_through(*logits)


@dataclass(frozen=True)
class CriticSettings:
    """How the discriminator is trained (a :class:`molgan.config.CriticConfig` without the schedule)."""

    loss: str = "bce"
    regularizer: str = "r1"
    regularizer_weight: float = 1.0
    regularizer_every: int = 16
    input: str = "straight_through"
    generator_objective: str = "adversarial"
    mode_seeking_width: float = 0.4

    @classmethod
    def from_config(cls, critic) -> CriticSettings:
        return cls(
            critic.loss, critic.regularizer, critic.regularizer_weight, critic.regularizer_every, critic.input,
            critic.generator_objective, critic.mode_seeking_width,
        )


def critic_step(
    modules: GanModules,
    optimizer: torch.optim.Optimizer,
    real: GraphBatch,
    z: Tensor,
    settings: CriticSettings = CriticSettings(),
    *,
    regularize: bool = True,
    relaxation: str = "softmax",
    precision: str = "fp32",
) -> dict[str, float]:
    """Update the discriminator once on a real batch and a batch generated from ``z``.

    ``regularize``: apply the regulariser in this step (lazy regularisation applies it every
    ``regularizer_every`` steps with that factor on its weight; the gradient penalty's interpolation
    uses torch's RNG). The regulariser's double backward runs in fp32 whatever the ``precision``.
    """
    with torch.no_grad():
        fake = discriminator_input(forward_fp32(modules.generator, z, precision=precision), settings.input, relaxation)
    real_graphs = (real.nodes_onehot, real.adj_onehot)
    judged = [torch.cat([real_graphs[0], fake[0]]), torch.cat([real_graphs[1], fake[1]])]
    if real.conditions is not None:
        judged.append(torch.cat([real.conditions, generator_condition(modules, z)]))
    scores = forward_fp32(modules.critic, *judged, precision=precision)
    real_scores, fake_scores = scores[: len(real.nodes)], scores[len(real.nodes):]
    total = losses.CRITIC_LOSSES[settings.loss](real_scores, fake_scores)
    values = {"d_loss": total, "d_real": real_scores.mean(), "d_fake": fake_scores.mean()}
    if regularize and settings.regularizer != "none" and settings.regularizer_weight > 0:
        if settings.regularizer == "r1":
            penalty = losses.r1_penalty(modules.critic, real_graphs, real.conditions)
            weight = 0.5 * settings.regularizer_weight * settings.regularizer_every
        else:
            penalty = losses.gradient_penalty(modules.critic, real_graphs, fake, condition=real.conditions)
            weight = settings.regularizer_weight * settings.regularizer_every
        total = total + weight * penalty
        values["d_reg"] = penalty
    optimizer.zero_grad(set_to_none=True)
    total.backward()
    optimizer.step()
    return logged(values)


# Loss terms of the generator: each a pure function returning a scalar tensor.


@contextmanager
def frozen(network: nn.Module) -> Iterator[None]:
    """``network``'s weights take no gradient inside the block (a critic in the generator's step: that saves
    their part of the backward pass); their flags are restored after it."""
    params = list(network.parameters())
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)


def generator_condition(modules: GanModules, z: Tensor) -> Tensor | None:
    """The condition part of a conditional generator's input ``z [B, Z + C]`` (``None`` for an unconditional one)."""
    return z[:, modules.generator.z_dim :] if modules.generator.condition_dim else None


def adversarial_term(
    modules: GanModules, fake: tuple[Tensor, Tensor], loss: str, real: tuple[Tensor, Tensor] | None = None,
    condition: Tensor | None = None,
    precision: str = "fp32",
) -> Tensor:
    """The discriminator's verdict on generated graphs (asked for ``condition``, for a conditional model), as
    the generator's loss for ``loss``; with ``real`` graphs, feature matching instead: the squared distance
    between the mean discriminator embeddings of the real and the generated batch.

    The discriminator's weights take no gradient here (it is the generator's step): that saves
    their part of the backward pass.
    """
    with frozen(modules.critic):
        if real is not None:  # means over the global batch under torchrun
            with torch.no_grad():
                target = distributed.global_batch(forward_fp32(modules.critic.embed, *real, precision=precision)).mean(0)
            embedded = forward_fp32(modules.critic.embed, *fake, precision=precision)
            return (distributed.global_batch(embedded).mean(0) - target).pow(2).sum()
        judged = fake if condition is None else (*fake, condition)
        return losses.GENERATOR_LOSSES[loss](forward_fp32(modules.critic, *judged, precision=precision))


def mode_seeking_term(
    modules: GanModules, z: Tensor, fake: tuple[Tensor, Tensor], width: float, relaxation: str, precision: str = "fp32"
) -> Tensor:
    """MSGAN's term (Mao et al. 2019): 1 / (mean L1 distance between the graphs ``fake`` generated from ``z`` and those
    from ``z`` moved by Gaussian noise of ``width``, over the mean L1 distance moved); a conditional generator's
    condition part of ``z`` stays."""
    z_dim = modules.generator.z_dim
    shift = torch.zeros_like(z)
    shift[:, :z_dim] = width * torch.randn_like(z[:, :z_dim])
    node_logits, edge_logits = forward_fp32(modules.generator, z + shift, precision=precision)
    moved = relax(node_logits, relaxation), relax(edge_logits, relaxation)
    graph_distance = sum((a - b).abs().flatten(1).mean(1) for a, b in zip(fake, moved)).mean()
    return 1.0 / (graph_distance / shift[:, :z_dim].abs().mean() + 1e-5)


def condition_term(modules: GanModules, fake: tuple[Tensor, Tensor], condition: Tensor, precision: str = "fp32") -> Tensor:
    """Squared distance between the properties the property net sees in generated graphs and those they were
    asked for (normalised), with the property net's weights frozen."""
    with frozen(modules.property_net):
        return (forward_fp32(modules.property_net, *fake, precision=precision) - condition).pow(2).mean()


def property_step(modules: GanModules, optimizer: torch.optim.Optimizer, real: GraphBatch, precision: str = "fp32") -> dict[str, float]:
    """Fit the property net to the normalised properties of real graphs (mean squared error)."""
    predicted = forward_fp32(modules.property_net, real.nodes_onehot, real.adj_onehot, precision=precision)
    loss = (predicted - real.conditions).pow(2).mean()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return logged({"p_loss": loss})


def reward_term(modules: GanModules, fake: tuple[Tensor, Tensor], precision: str = "fp32") -> Tensor:
    """Mean reward the reward network predicts for generated graphs (to be maximised)."""
    assert modules.reward_net is not None
    return torch.sigmoid(forward_fp32(modules.reward_net, *fake, precision=precision)).mean()


def reconstruction_terms(
    modules: GanModules, real: GraphBatch, regularizer: str, eps: Tensor | None, precision: str = "fp32"
) -> tuple[Tensor, Tensor]:
    """``(latent, recon)``: the codes' distance to the prior (MMD or KL) and the reconstruction of real graphs.

    MMD compares sets, not molecules: under torchrun it sees the codes and draws of the whole global batch.
    """
    assert modules.encoder is not None
    mean, log_var = forward_fp32(modules.encoder, real.nodes_onehot, real.adj_onehot, precision=precision)
    noise = torch.randn_like(mean) if eps is None else eps
    if regularizer == "mmd":
        codes = mean
        latent = losses.mmd_to_prior(distributed.global_batch(codes), distributed.global_batch(noise))
    else:
        codes = mean + noise * torch.exp(0.5 * log_var)
        latent = losses.kl_divergence(mean, log_var)
    if real.conditions is not None:
        codes = torch.cat([codes, real.conditions], dim=1)
    node_logits, edge_logits = forward_fp32(modules.generator, codes, precision=precision)
    return latent, losses.reconstruction_loss(node_logits, edge_logits, real.nodes, real.adj)


def generator_terms(
    modules: GanModules,
    real: GraphBatch,
    z: Tensor,
    valence_limits: Tensor,
    weights: LossWeights,
    *,
    critic: CriticSettings = CriticSettings(),
    relaxation: str = "softmax",
    eps: Tensor | None = None,
    precision: str = "fp32",
) -> dict[str, Tensor]:
    """The generator's loss terms that are switched on by ``weights``, by name (the metric column names)."""
    logits = forward_fp32(modules.generator, z, precision=precision)
    fake = relax(logits[0], relaxation), relax(logits[1], relaxation)
    rl_on = _rl_on(modules, weights)
    terms: dict[str, Tensor] = {}
    if weights.adversarial > 0 and _gan_share(weights, rl_on) > 0:
        judged = fake if critic.input == "relaxed" else discriminator_input(logits, critic.input, relaxation)
        matched = (real.nodes_onehot, real.adj_onehot) if critic.generator_objective == "feature_matching" else None
        terms["g_adv"] = adversarial_term(
            modules, judged, critic.loss, matched, generator_condition(modules, z), precision=precision
        )
        if weights.mode_seeking > 0:
            terms["g_ms"] = mode_seeking_term(modules, z, fake, critic.mode_seeking_width, relaxation, precision)
    if rl_on:
        terms["g_reward"] = reward_term(modules, fake, precision)
    if weights.condition > 0 and modules.property_net is not None:
        terms["condition"] = condition_term(modules, fake, generator_condition(modules, z), precision)
    if weights.valence > 0:
        terms["valence"] = losses.valence_penalty(*fake, valence_limits)
    if weights.connectivity > 0:
        terms["connectivity"] = losses.connectivity_penalty(*fake)
    if weights.reconstruction > 0 and modules.encoder is not None:
        terms["latent"], terms["recon"] = reconstruction_terms(modules, real, weights.latent_regularizer, eps, precision)
    return terms


def generator_loss(terms: dict[str, Tensor], weights: LossWeights, rl_on: bool) -> Tensor:
    """The weighted sum of ``terms``: lambda * adversarial - (1 - lambda) * predicted reward (MolGAN)
    + valence + connectivity + reconstruction * (recon + latent weight * latent)."""
    if not terms:
        raise ValueError("no generator loss term is switched on")
    pairs = {
        "g_adv": lambda: weights.adversarial * _gan_share(weights, rl_on) * terms["g_adv"],
        "g_reward": lambda: -(1.0 - weights.rl_lambda) * terms["g_reward"],
        "condition": lambda: weights.condition * terms["condition"],
        "g_ms": lambda: weights.mode_seeking * terms["g_ms"],
        "valence": lambda: weights.valence * terms["valence"],
        "connectivity": lambda: weights.connectivity * terms["connectivity"],
        "recon": lambda: weights.reconstruction * (terms["recon"] + weights.latent * terms["latent"]),
    }
    total = torch.zeros((), device=next(iter(terms.values())).device)
    for name, weighted in pairs.items():
        if name in terms:
            total = total + weighted()
    return total


def generator_step(
    modules: GanModules,
    optimizer: torch.optim.Optimizer,
    real: GraphBatch,
    z: Tensor,
    valence_limits: Tensor,
    weights: LossWeights,
    *,
    critic: CriticSettings = CriticSettings(),
    relaxation: str = "softmax",
    eps: Tensor | None = None,
    precision: str = "fp32",
) -> dict[str, float]:
    """Update the generator (and encoder) once on :func:`generator_loss` of :func:`generator_terms`.

    Reconstruction ties every training molecule to a region of the latent space: the generator
    cannot drop modes, which is what defeats collapse.
    """
    terms = generator_terms(
        modules, real, z, valence_limits, weights, critic=critic, relaxation=relaxation, eps=eps, precision=precision
    )
    total = generator_loss(terms, weights, _rl_on(modules, weights))
    optimizer.zero_grad(set_to_none=True)
    total.backward()
    optimizer.step()
    return logged({**terms, "g_loss": total})


def _rl_on(modules: GanModules, weights: LossWeights) -> bool:
    return weights.rl_on and modules.reward_net is not None


def _gan_share(weights: LossWeights, rl_on: bool) -> float:
    """Share of the adversarial term: lambda once RL is on, else 1."""
    return weights.rl_lambda if rl_on else 1.0


def reward_step(
    modules: GanModules,
    optimizer: torch.optim.Optimizer,
    graphs: tuple[Tensor, Tensor],
    targets: Tensor,
    precision: str = "fp32",
) -> dict[str, float]:
    """Fit the reward network to rewards in [0, 1] of (one-hot) graphs by binary cross-entropy."""
    assert modules.reward_net is not None
    prediction = forward_fp32(modules.reward_net, *graphs, precision=precision).squeeze(-1)
    loss = F.binary_cross_entropy_with_logits(prediction, targets.clamp(0, 1))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return logged({"r_loss": loss})
