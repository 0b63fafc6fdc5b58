"""A relational GNN that maps a (soft) molecular graph to a vector: discriminator, encoder, reward net."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from molgan.nn.readout import GatedSumReadout
from molgan.nn.relational_conv import DenseRelationalConv
from molgan.nn.valence import free_valence


class GraphCritic(nn.Module):
    """Relational graph convolutions -> gated-sum readout -> MLP head.

    The same architecture serves as WGAN critic (``out_dim=1``), as encoder of a graph into a latent
    code (``out_dim=2 * z_dim``: mean and log-variance) and as reward network (``out_dim=1``).

    Args:
        num_node_types: node classes ``T`` (empty type included; input is one-hot or soft).
        num_bond_types: edge classes ``R + 1`` (no-bond included; the no-bond channel is dropped).
        conv_dims: sizes of the relational convolutions.
        readout_dim: size of the graph embedding.
        head_dims: hidden sizes of the MLP head.
        out_dim: output size.
        dropout: dropout in the head.
        condition_dim: size ``C`` of a condition joined to the graph embedding before the head
            (a conditional discriminator judges a graph together with the properties it was asked for).
        valence_limits: allowed valence per node type ``[T]`` (:func:`molgan.nn.valence.max_valences`):
            when given, each atom also carries its free and its excess valence, and the head the graph's
            total excess (structural features as DiGress gives its denoiser), so that the critic can tell
            a hypervalent graph from a real one at once (its rejection sampling then drops such graphs).

    Shapes: nodes ``[B, N, T]``, adj ``[B, N, N, R + 1]`` (probabilities), condition ``[B, C]`` -> ``[B, out_dim]``.
    """

    def __init__(
        self,
        num_node_types: int,
        num_bond_types: int,
        conv_dims: Sequence[int] = (128, 64),
        readout_dim: int = 128,
        head_dims: Sequence[int] = (128,),
        out_dim: int = 1,
        dropout: float = 0.0,
        condition_dim: int = 0,
        valence_limits: Tensor | None = None,
    ) -> None:
        super().__init__()
        self.condition_dim = condition_dim
        self.valence_features = valence_limits is not None
        if valence_limits is not None:
            self.register_buffer("valence_limits", valence_limits.float().clone(), persistent=False)
        relations = num_bond_types - 1
        node_features = num_node_types + 2 * self.valence_features
        dims = [node_features, *conv_dims]
        self.convs = nn.ModuleList(
            DenseRelationalConv(dims[i] + (node_features if i else 0), dims[i + 1], relations)
            for i in range(len(conv_dims))
        )
        self.readout = GatedSumReadout(dims[-1] + node_features, readout_dim)
        layers: list[nn.Module] = []
        width = readout_dim + condition_dim + self.valence_features
        for hidden in head_dims:
            layers += [nn.Linear(width, hidden), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
            width = hidden
        layers.append(nn.Linear(width, out_dim))
        self.head = nn.Sequential(*layers)

    def reset_parameters(self) -> None:
        for module in self.modules():
            if module is not self and hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def embed(self, nodes: Tensor, adj: Tensor) -> Tensor:
        """Graph embedding ``[B, readout_dim]`` before the head (``+ 1``: the total excess valence)."""
        relations = adj[..., 1:].permute(0, 3, 1, 2)
        present = 1.0 - nodes[..., 0]
        if self.valence_features:
            excess, free = self._valence(nodes, adj)
            nodes = torch.cat([nodes, excess.unsqueeze(-1), free.unsqueeze(-1)], dim=-1)
        h = nodes
        for i, conv in enumerate(self.convs):
            inputs = h if i == 0 else torch.cat([h, nodes], dim=-1)
            h = torch.tanh(conv(inputs, relations))
        h = self.readout(torch.cat([h, nodes], dim=-1), present)
        if self.valence_features:
            h = torch.cat([h, excess.sum(-1, keepdim=True)], dim=-1)
        return h

    def _valence(self, nodes: Tensor, adj: Tensor) -> tuple[Tensor, Tensor]:
        """Each present atom's excess and free valence ``[B, N]`` each (0 on empty slots).

        The excess carries no gradient back to the bonds (only through the slot's presence): in a trial
        where it did, the generator escaped the discriminator's valence check by dropping bonds (too many
        hydrogens, too few rings, a much higher FCD); the valence penalty alone teaches the generator
        valence, the discriminator only recognises its violations.
        """
        present = 1.0 - nodes[..., 0]
        free = free_valence(nodes, adj, self.valence_limits)
        excess = torch.relu(-free_valence(nodes.detach(), adj.detach(), self.valence_limits))
        return excess * present, torch.relu(free) * present

    def forward(self, nodes: Tensor, adj: Tensor, condition: Tensor | None = None) -> Tensor:
        h = self.embed(nodes, adj)
        if self.condition_dim:
            if condition is None:
                raise ValueError(f"this critic judges graphs with a condition of size {self.condition_dim}")
            h = torch.cat([h, condition], dim=-1)
        return self.head(h)
