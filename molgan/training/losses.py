"""Loss terms: discriminator losses (logistic, hinge, Wasserstein) and their regularisers (R1, gradient
penalty), valence and connectivity penalties, reconstruction, MMD and KL."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from molgan.nn.valence import max_valences, valence_excess  # noqa: F401 - max_valences: the loop's and benchmarks' import
from molgan.training import distributed


def wgan_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """Critic side of WGAN: ``E[D(fake)] - E[D(real)]``."""
    return fake_scores.mean() - real_scores.mean()


def wgan_generator_loss(fake_scores: Tensor) -> Tensor:
    """Generator side of WGAN: ``-E[D(fake)]``."""
    return -fake_scores.mean()


def bce_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """Discriminator side of the classic GAN (logits in, binary cross-entropy)."""
    return F.softplus(-real_scores).mean() + F.softplus(fake_scores).mean()


def bce_generator_loss(fake_scores: Tensor) -> Tensor:
    """Non-saturating generator loss ``-log D(fake)``."""
    return F.softplus(-fake_scores).mean()


def hinge_critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """Discriminator side of the hinge GAN: ``E[relu(1 - D(real))] + E[relu(1 + D(fake))]``."""
    return F.relu(1.0 - real_scores).mean() + F.relu(1.0 + fake_scores).mean()


#: Discriminator loss by name: ``(real_scores, fake_scores) -> loss``.
CRITIC_LOSSES = {"bce": bce_critic_loss, "hinge": hinge_critic_loss, "wgan": wgan_critic_loss}
#: Generator side by name: the non-saturating loss for ``bce``, ``-E[D(fake)]`` for hinge and WGAN.
GENERATOR_LOSSES = {"bce": bce_generator_loss, "hinge": wgan_generator_loss, "wgan": wgan_generator_loss}


def r1_penalty(critic: nn.Module, real: tuple[Tensor, Tensor], condition: Tensor | None = None) -> Tensor:
    """R1 (Mescheder et al. 2018): ``E[||grad_x D(x)||^2]`` on real graphs ``x`` (nodes and adjacency), judged
    with their ``condition`` by a conditional discriminator (the gradient is taken with respect to the graph only).

    The caller weights it by ``gamma / 2``. Unlike the gradient penalty it needs no generated graphs
    and no interpolates, so it can be applied lazily (every k-th step, weighted by k).
    """
    nodes = real[0].detach().requires_grad_(True)
    adj = real[1].detach().requires_grad_(True)
    scores = critic(nodes, adj) if condition is None else critic(nodes, adj, condition)
    grads = torch.autograd.grad(scores.sum(), (nodes, adj), create_graph=True)
    return (grads[0].pow(2).flatten(1).sum(1) + grads[1].pow(2).flatten(1).sum(1)).mean()


def gradient_penalty(
    critic: nn.Module,
    real: tuple[Tensor, Tensor],
    fake: tuple[Tensor, Tensor],
    generator: torch.Generator | None = None,
    condition: Tensor | None = None,
) -> Tensor:
    """WGAN-GP penalty ``E[(||grad D(x_hat)|| - 1)^2]`` on random interpolates of real and fake graphs
    (judged with the real graphs' ``condition`` by a conditional discriminator)."""
    batch = real[0].shape[0]
    # under torchrun: drawn for the global batch, this rank's share kept (one process: the same draw)
    alpha = distributed.shard(torch.rand(batch * distributed.world_size(), 1, 1, device=real[0].device, generator=generator))
    nodes = (alpha * real[0] + (1 - alpha) * fake[0]).requires_grad_(True)
    adj = (alpha[..., None] * real[1] + (1 - alpha[..., None]) * fake[1]).requires_grad_(True)
    scores = critic(nodes, adj) if condition is None else critic(nodes, adj, condition)
    grads = torch.autograd.grad(scores.sum(), (nodes, adj), create_graph=True)
    norm = torch.sqrt(grads[0].pow(2).flatten(1).sum(1) + grads[1].pow(2).flatten(1).sum(1) + 1e-12)
    return (norm - 1.0).pow(2).mean()


def valence_penalty(node_probs: Tensor, edge_probs: Tensor, valence_limits: Tensor) -> Tensor:
    """Mean squared excess of expected bond order over the allowed valence, per present atom.

    node_probs ``[B, N, T]``, edge_probs ``[B, N, N, R]``, valence_limits ``[T]``.
    """
    present = 1.0 - node_probs[..., 0]
    return (present * valence_excess(node_probs, edge_probs, valence_limits).pow(2)).mean()


def reconstruction_loss(node_logits: Tensor, edge_logits: Tensor, nodes: Tensor, adj: Tensor) -> Tensor:
    """Cross-entropy of integer graphs under logits, per node slot plus per upper-triangle pair."""
    n = nodes.shape[1]
    node_ce = F.cross_entropy(node_logits.reshape(-1, node_logits.shape[-1]), nodes.reshape(-1).long())
    rows, cols = torch.triu_indices(n, n, offset=1, device=adj.device)
    edge_ce = F.cross_entropy(
        edge_logits[:, rows, cols].reshape(-1, edge_logits.shape[-1]), adj[:, rows, cols].reshape(-1).long()
    )
    return node_ce + edge_ce * (len(rows) / n)


def kl_divergence(mean: Tensor, log_var: Tensor) -> Tensor:
    """KL(q(z|x) || N(0, I)) averaged over the batch."""
    return 0.5 * (mean.pow(2) + log_var.exp() - 1.0 - log_var).sum(-1).mean()


def mmd_to_prior(z: Tensor, prior: Tensor) -> Tensor:
    """Maximum mean discrepancy between codes ``z [B, Z]`` and prior draws, inverse multiquadric kernel.

    The Wasserstein auto-encoder penalty (Tolstikhin et al. 2018): it pulls the *aggregate* of the
    encoded codes towards N(0, I) without blurring each code, so prior draws decode into sharp graphs.
    """
    n, dim = z.shape
    scale = 2.0 * dim

    def kernel_sum(a: Tensor, b: Tensor) -> Tensor:
        return (scale / (scale + torch.cdist(a, b).pow(2))).sum()

    within = (kernel_sum(z, z) - n + kernel_sum(prior, prior) - n) / (n * (n - 1))
    return within - 2.0 * kernel_sum(z, prior) / (n * n)


def connectivity_penalty(node_probs: Tensor, edge_probs: Tensor) -> Tensor:
    """Expected share of atoms left unattached to every earlier atom.

    Graphs are encoded in canonical-SMILES atom order, where each atom after the first is bonded to
    some earlier one (a depth-first traversal). For slot ``i`` the probability that it holds an atom
    and has no bond to any earlier present atom is
    ``p_i * prod_{j < i} (1 - p_j * (1 - P(no bond_ij)))``; the mean over slots ``i >= 1`` is a
    differentiable stand-in for "the molecule is one fragment".

    node_probs ``[B, N, T]`` (type 0 = empty), edge_probs ``[B, N, N, R]`` (type 0 = no bond).
    """
    present = 1.0 - node_probs[..., 0]
    bonded = (1.0 - edge_probs[..., 0]) * present.unsqueeze(1)  # bonded[b, i, j]: i bonded to present j
    n = present.shape[1]
    earlier = torch.tril(torch.ones(n, n, device=node_probs.device, dtype=node_probs.dtype), diagonal=-1)
    log_unattached = torch.log((1.0 - bonded * earlier).clamp_min(1e-6)).sum(-1)
    unattached = present * torch.exp(log_unattached)
    return unattached[:, 1:].mean()
