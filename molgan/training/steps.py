"""One optimisation step of each network: critic, generator (+ encoder), reward network.

Each function takes the networks, their optimizer and tensors, updates the weights and returns the
loss values as floats. They know nothing of files, logging or schedules (see :mod:`molgan.training.loop`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from molgan.training import losses
from molgan.nn.build import GanModules
from molgan.nn.relax import relax


@dataclass
class GraphBatch:
    """Integer graphs ``nodes [B, N]``, ``adj [B, N, N]`` and their one-hot forms ``[B, N, T]``, ``[B, N, N, R]``."""

    nodes: Tensor
    adj: Tensor
    nodes_onehot: Tensor
    adj_onehot: Tensor

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


def fake_graphs(modules: GanModules, z: Tensor, relaxation: str) -> tuple[Tensor, Tensor]:
    """Relaxed (differentiable) generated graphs for noise ``z``."""
    node_logits, edge_logits = modules.generator(z)
    return relax(node_logits, relaxation), relax(edge_logits, relaxation)


def critic_step(
    modules: GanModules,
    optimizer: torch.optim.Optimizer,
    real: GraphBatch,
    z: Tensor,
    *,
    loss: str = "wgan",
    gp_weight: float = 10.0,
    relaxation: str = "softmax",
    rng: torch.Generator | None = None,
) -> dict[str, float]:
    """Update the critic once on a real batch and a generated batch."""
    with torch.no_grad():
        fake = fake_graphs(modules, z, relaxation)
    real_scores = modules.critic(real.nodes_onehot, real.adj_onehot)
    fake_scores = modules.critic(*fake)
    if loss == "wgan":
        distance = losses.wgan_critic_loss(real_scores, fake_scores)
        penalty = losses.gradient_penalty(modules.critic, (real.nodes_onehot, real.adj_onehot), fake, rng)
        total = distance + gp_weight * penalty
        values = {"d_loss": total.item(), "w_distance": -distance.item(), "gp": penalty.item()}
    else:
        total = losses.bce_critic_loss(real_scores, fake_scores)
        values = {"d_loss": total.item()}
    optimizer.zero_grad(set_to_none=True)
    total.backward()
    optimizer.step()
    return values


def generator_step(
    modules: GanModules,
    optimizer: torch.optim.Optimizer,
    real: GraphBatch,
    z: Tensor,
    valence_limits: Tensor,
    weights: LossWeights,
    *,
    loss: str = "wgan",
    relaxation: str = "softmax",
    eps: Tensor | None = None,
) -> dict[str, float]:
    """Update the generator (and encoder) once.

    Loss = lambda * adversarial + (1 - lambda) * (-predicted reward) once RL is on (MolGAN),
    + valence and connectivity penalties on generated graphs + reconstruction of real graphs through the encoder, with
    their codes pulled towards the prior (MMD or KL). Reconstruction ties every training molecule to
    a region of the latent space: the generator cannot drop modes, which is what defeats collapse.
    """
    fake_nodes, fake_adj = fake_graphs(modules, z, relaxation)
    terms: dict[str, Tensor] = {}
    total = torch.zeros((), device=z.device)
    rl_on = weights.rl_on and modules.reward_net is not None
    gan_share = weights.rl_lambda if rl_on else 1.0
    if weights.adversarial > 0 and gan_share > 0:
        scores = modules.critic(fake_nodes, fake_adj)
        adversarial = losses.wgan_generator_loss(scores) if loss == "wgan" else losses.bce_generator_loss(scores)
        terms["g_adv"] = adversarial
        total = total + weights.adversarial * gan_share * adversarial
    if rl_on:
        reward = torch.sigmoid(modules.reward_net(fake_nodes, fake_adj)).mean()
        terms["g_reward"] = reward
        total = total - (1.0 - weights.rl_lambda) * reward
    if weights.valence > 0:
        terms["valence"] = losses.valence_penalty(fake_nodes, fake_adj, valence_limits)
        total = total + weights.valence * terms["valence"]
    if weights.connectivity > 0:
        terms["connectivity"] = losses.connectivity_penalty(fake_nodes, fake_adj)
        total = total + weights.connectivity * terms["connectivity"]
    if weights.reconstruction > 0 and modules.encoder is not None:
        mean, log_var = modules.encoder(real.nodes_onehot, real.adj_onehot)
        if weights.latent_regularizer == "mmd":
            codes = mean
            terms["latent"] = losses.mmd_to_prior(codes, torch.randn_like(codes) if eps is None else eps)
        else:
            noise = torch.randn_like(mean) if eps is None else eps
            codes = mean + noise * torch.exp(0.5 * log_var)
            terms["latent"] = losses.kl_divergence(mean, log_var)
        node_logits, edge_logits = modules.generator(codes)
        terms["recon"] = losses.reconstruction_loss(node_logits, edge_logits, real.nodes, real.adj)
        total = total + weights.reconstruction * (terms["recon"] + weights.latent * terms["latent"])
    optimizer.zero_grad(set_to_none=True)
    total.backward()
    optimizer.step()
    values = {k: v.item() for k, v in terms.items()}
    values["g_loss"] = total.item()
    return values


def reward_step(
    modules: GanModules,
    optimizer: torch.optim.Optimizer,
    graphs: tuple[Tensor, Tensor],
    targets: Tensor,
) -> dict[str, float]:
    """Fit the reward network to rewards in [0, 1] of (one-hot) graphs by binary cross-entropy."""
    assert modules.reward_net is not None
    prediction = modules.reward_net(*graphs).squeeze(-1)
    loss = F.binary_cross_entropy_with_logits(prediction, targets.clamp(0, 1))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return {"r_loss": loss.item()}
