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


def relax(logits: Tensor, method: str = "softmax") -> Tensor:
    """Probabilities over the last dimension: ``softmax``, ``gumbel`` or ``gumbel_hard`` (straight-through)."""
    if method == "softmax":
        return F.softmax(logits, dim=-1)
    if method == "gumbel":
        return F.gumbel_softmax(logits, tau=1.0, hard=False, dim=-1)
    if method == "gumbel_hard":
        return F.gumbel_softmax(logits, tau=1.0, hard=True, dim=-1)
    raise ValueError(f"unknown relaxation {method!r}; choose from {RELAXATIONS}")


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
