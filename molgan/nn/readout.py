"""Graph-level aggregation of node embeddings."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class GatedSumReadout(nn.Module):
    r"""Gated sum over nodes (Li et al. 2016, as in MolGAN):
    :math:`h_G = \tanh\big(\sum_i \sigma(W_g h_i) \odot \tanh(W_h h_i)\big)`.

    Shapes: x ``[B, N, F]``, node weights (optional, e.g. probability that the slot holds an
    atom) ``[B, N]`` -> ``[B, out]``.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.gate = nn.Linear(in_channels, out_channels)
        self.value = nn.Linear(in_channels, out_channels)

    def reset_parameters(self) -> None:
        self.gate.reset_parameters()
        self.value.reset_parameters()

    def forward(self, x: Tensor, node_weight: Tensor | None = None) -> Tensor:
        weight = torch.cat([self.gate.weight, self.value.weight])
        bias = torch.cat([self.gate.bias, self.value.bias])
        gate, value = F.linear(x, weight, bias).chunk(2, dim=-1)  # both projections in one matmul
        gated = torch.sigmoid(gate) * torch.tanh(value)
        if node_weight is not None:
            gated = gated * node_weight.unsqueeze(-1)
        return torch.tanh(gated.sum(dim=1))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, {self.out_channels})"
