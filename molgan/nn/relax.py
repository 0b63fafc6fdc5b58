"""Differentiable relaxations of generator logits, and hard graphs drawn from them.

Training feeds the critic probabilities (``softmax``) or Gumbel-softmax samples (soft or
straight-through ``hard``); sampling turns logits into integer graph tensors by ``argmax`` or seeded
categorical draws at a temperature.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

RELAXATIONS = ("softmax", "gumbel", "gumbel_hard")
DECODINGS = ("argmax", "sample")


def relax(logits: Tensor, method: str = "softmax", temperature: float = 1.0) -> Tensor:
    """Probabilities over the last dimension: ``softmax``, ``gumbel`` or ``gumbel_hard`` (straight-through)."""
    if method == "softmax":
        return F.softmax(logits / temperature, dim=-1)
    if method == "gumbel":
        return F.gumbel_softmax(logits, tau=temperature, hard=False, dim=-1)
    if method == "gumbel_hard":
        return F.gumbel_softmax(logits, tau=temperature, hard=True, dim=-1)
    raise ValueError(f"unknown relaxation {method!r}; choose from {RELAXATIONS}")


def symmetric_edges(edge_probs: Tensor) -> Tensor:
    """Make sampled edge tensors ``[B, N, N, R]`` symmetric by mirroring the upper triangle."""
    n = edge_probs.shape[1]
    upper = torch.triu(torch.ones(n, n, dtype=torch.bool, device=edge_probs.device), diagonal=1)
    mirrored = torch.where(upper[None, :, :, None], edge_probs, edge_probs.transpose(1, 2))
    eye = torch.eye(n, dtype=torch.bool, device=edge_probs.device)[None, :, :, None]
    no_bond = F.one_hot(torch.zeros((), dtype=torch.long, device=edge_probs.device), edge_probs.shape[-1])
    return torch.where(eye, no_bond.to(edge_probs.dtype), mirrored)


def hard_graphs(
    node_logits: Tensor,
    edge_logits: Tensor,
    method: str = "argmax",
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Integer graphs ``nodes [B, N]`` and symmetric ``adj [B, N, N]`` from logits.

    ``argmax`` takes the most likely class; ``sample`` draws from ``softmax(logits / temperature)``
    with the given ``torch.Generator`` (reproducible for a seed, whatever the batch size when the
    generator is advanced in the same order).
    """
    if method == "argmax":
        nodes = node_logits.argmax(-1)
        adj = edge_logits.argmax(-1)
    elif method == "sample":
        nodes = _categorical(node_logits, temperature, generator)
        adj = _categorical(edge_logits, temperature, generator)
    else:
        raise ValueError(f"unknown decoding {method!r}; choose from {DECODINGS}")
    adj = torch.triu(adj, diagonal=1)
    return nodes, adj + adj.transpose(1, 2)


def _categorical(logits: Tensor, temperature: float, generator: torch.Generator | None) -> Tensor:
    probs = F.softmax(logits.float() / temperature, dim=-1)
    flat = probs.reshape(-1, probs.shape[-1])
    draws = torch.multinomial(flat, 1, generator=generator).squeeze(-1)
    return draws.view(probs.shape[:-1])
