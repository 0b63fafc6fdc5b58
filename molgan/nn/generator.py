"""The generator: noise -> logits of a molecular graph."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn


class Generator(nn.Module):
    """An MLP from noise ``z [B, Z]`` to node logits ``[B, N, T]`` and edge logits ``[B, N, N, R + 1]``.

    A conditional generator (``condition_dim = C > 0``) takes ``[B, Z + C]``: the noise followed by the
    normalised condition (:mod:`molgan.data.conditions`).

    Edge logits are symmetric; the diagonal is forced to "no bond". Turning logits into graphs is a
    separate step (:mod:`molgan.nn.relax` for training, :mod:`molgan.sampling.sampler` for sampling).
    """

    def __init__(
        self,
        z_dim: int,
        max_atoms: int,
        num_node_types: int,
        num_bond_types: int,
        hidden_dims: Sequence[int] = (128, 256, 512),
        dropout: float = 0.0,
        condition_dim: int = 0,
    ) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.condition_dim = condition_dim
        self.max_atoms = max_atoms
        self.num_node_types = num_node_types
        self.num_bond_types = num_bond_types
        layers: list[nn.Module] = []
        width = z_dim + condition_dim
        for hidden in hidden_dims:
            layers += [nn.Linear(width, hidden), nn.SiLU(), nn.Dropout(dropout)]
            width = hidden
        self.body = nn.Sequential(*layers)
        self.node_head = nn.Linear(width, max_atoms * num_node_types)
        self.edge_head = nn.Linear(width, max_atoms * max_atoms * num_bond_types)
        diagonal = torch.zeros(max_atoms, max_atoms, num_bond_types)
        diagonal[torch.arange(max_atoms), torch.arange(max_atoms), 1:] = -1e4
        self.register_buffer("diagonal_mask", diagonal, persistent=False)

    def reset_parameters(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Linear):
                module.reset_parameters()

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor]:
        h = self.body(z)
        n, t, r = self.max_atoms, self.num_node_types, self.num_bond_types
        node_logits = self.node_head(h).view(-1, n, t)
        edge_logits = self.edge_head(h).view(-1, n, n, r)
        edge_logits = 0.5 * (edge_logits + edge_logits.transpose(1, 2))
        edge_logits = edge_logits + self.diagonal_mask
        return node_logits, edge_logits

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(z_dim={self.z_dim}, "
            + (f"condition_dim={self.condition_dim}, " if self.condition_dim else "")
            + f"max_atoms={self.max_atoms}, "
            f"node_types={self.num_node_types}, bond_types={self.num_bond_types})"
        )
