"""Valence arithmetic on (soft) graph tensors: bond orders, each atom's used valence and its limit.

The training loss's valence penalty and the discriminator's valence features both read it.
"""

from __future__ import annotations

import torch
from torch import Tensor

from molgan.chem.vocab import Vocabulary

#: Bond order of each bond-type index (none, single, double, triple, aromatic). An aromatic bond
#: counts 1, the least it adds to an atom's valence in a kekulé structure: so the penalty, an upper
#: bound, never fires on a real aromatic atom (with 1.5, furan's O would carry 3 > 2 and a ring-fusion
#: carbon 4.5 > 4).
BOND_ORDERS = (0.0, 1.0, 2.0, 3.0, 1.0)


def max_valences(vocab: Vocabulary) -> Tensor:
    """Largest allowed valence per node type ``[T]`` (0 for the empty type), from RDKit's tables.

    An atom type with hydrogens (``[nH]``) has them taken off: its graph bonds may use the rest."""
    from rdkit import Chem

    from molgan.chem.valence import isoelectronic_number, max_valence

    table = Chem.GetPeriodicTable()
    values = [0.0]
    for symbol, charge, *hydrogens in vocab.atom_types:
        z = table.GetAtomicNumber(symbol)
        limit = max_valence(z, charge)
        limit = float(limit) if limit is not None else float(table.GetDefaultValence(isoelectronic_number(z, charge)))
        values.append(limit - sum(hydrogens))
    return torch.tensor(values)


def used_valence(node_probs: Tensor, edge_probs: Tensor) -> Tensor:
    """Expected bond order each slot carries ``[B, N]``, bonds to empty slots not counted.

    node_probs ``[B, N, T]`` (type 0 = empty), edge_probs ``[B, N, N, R]`` (type 0 = no bond).
    """
    orders = torch.tensor(BOND_ORDERS[: edge_probs.shape[-1]], device=edge_probs.device, dtype=edge_probs.dtype)
    present = 1.0 - node_probs[..., 0]
    return ((edge_probs * orders).sum(-1) * present.unsqueeze(1)).sum(-1)


def free_valence(node_probs: Tensor, edge_probs: Tensor, valence_limits: Tensor) -> Tensor:
    """Allowed minus used valence of each slot ``[B, N]``: negative where an atom is hypervalent (weigh it by
    the slot's presence ``1 - node_probs[..., 0]`` where empty slots must not count)."""
    return node_probs @ valence_limits.to(node_probs) - used_valence(node_probs, edge_probs)


def valence_excess(node_probs: Tensor, edge_probs: Tensor, valence_limits: Tensor) -> Tensor:
    """Expected bond order above each slot's allowed valence ``[B, N]`` (0 where within it)."""
    return torch.relu(-free_valence(node_probs, edge_probs, valence_limits))
