"""A relational graph convolution over dense (possibly soft) adjacency tensors."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class DenseRelationalConv(nn.Module):
    r"""Relational graph convolution (Schlichtkrull et al. 2018) on dense adjacency.

    .. math::
        h_i' = W_0 h_i + \sum_{r=1}^{R} \sum_j A_{r,ij} W_r h_j + b

    This is :class:`torch_geometric.nn.RGCNConv` with ``aggr="add"`` and ``root_weight=True``,
    written for batched dense input so that a *soft* adjacency (probabilities from a generator)
    carries gradients; ``tests/test_nn.py`` checks it against ``RGCNConv`` on hard graphs.

    Args:
        in_channels: node feature size ``F``.
        out_channels: output feature size.
        num_relations: number of edge types ``R`` (no-bond excluded).

    Shapes:
        x: ``[B, N, F]``, adj: ``[B, R, N, N]``, mask (optional): ``[B, N]`` -> ``[B, N, out]``
    """

    def __init__(self, in_channels: int, out_channels: int, num_relations: int) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_relations = num_relations
        self.weight = nn.Parameter(torch.empty(num_relations, in_channels, out_channels))
        self.root = nn.Parameter(torch.empty(in_channels, out_channels))
        self.bias = nn.Parameter(torch.empty(out_channels))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.in_channels)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.root, -bound, bound)
        nn.init.zeros_(self.bias)

    def forward(self, x: Tensor, adj: Tensor, mask: Tensor | None = None) -> Tensor:
        batch, nodes, _ = x.shape
        relations, out_channels = self.num_relations, self.out_channels
        # transform first, in one matmul for the root and every relation: [B, N, (R + 1) * out]
        weights = torch.cat([self.root, self.weight.permute(1, 0, 2).reshape(self.in_channels, -1)], dim=1)
        h = (x @ weights).view(batch, nodes, relations + 1, out_channels)
        # then aggregate over (relation, neighbour) pairs in one batched matmul
        neighbours = h[:, :, 1:].transpose(1, 2).reshape(batch, relations * nodes, out_channels)
        pairs = adj.transpose(1, 2).reshape(batch, nodes, relations * nodes)
        out = torch.bmm(pairs, neighbours) + h[:, :, 0] + self.bias
        if mask is not None:
            out = out * mask.unsqueeze(-1)
        return out

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, "
            f"num_relations={self.num_relations})"
        )
