"""The encoder of real graphs into latent codes (the reconstruction term against mode collapse)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn


class GraphEncoder(nn.Module):
    """An MLP over the flattened one-hot graph (slot order matters: graphs are in canonical order).

    Returns the mean and log-variance of ``q(z | graph)``. A permutation-invariant GNN encoder would
    have to learn the canonical atom order before the generator could reconstruct it; reading the
    canonically ordered tensors directly makes reconstruction learnable in minutes.

    Shapes: nodes ``[B, N, T]``, adj ``[B, N, N, R]`` -> (``[B, Z]``, ``[B, Z]``).
    """

    def __init__(
        self, max_atoms: int, num_node_types: int, num_bond_types: int, z_dim: int, hidden_dims: Sequence[int] = (512, 256)
    ) -> None:
        super().__init__()
        self.max_atoms = max_atoms
        self.z_dim = z_dim
        rows, cols = torch.triu_indices(max_atoms, max_atoms, offset=1)
        self.register_buffer("rows", rows, persistent=False)
        self.register_buffer("cols", cols, persistent=False)
        width = max_atoms * num_node_types + len(rows) * num_bond_types
        layers: list[nn.Module] = []
        for hidden in hidden_dims:
            layers += [nn.Linear(width, hidden), nn.SiLU()]
            width = hidden
        layers.append(nn.Linear(width, 2 * z_dim))
        self.mlp = nn.Sequential(*layers)

    def reset_parameters(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Linear):
                module.reset_parameters()

    def forward(self, nodes: Tensor, adj: Tensor) -> tuple[Tensor, Tensor]:
        flat = torch.cat([nodes.flatten(1), adj[:, self.rows, self.cols].flatten(1)], dim=1)
        mean, log_var = self.mlp(flat).chunk(2, dim=-1)
        return mean, log_var.clamp(-8.0, 4.0)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(max_atoms={self.max_atoms}, z_dim={self.z_dim})"
