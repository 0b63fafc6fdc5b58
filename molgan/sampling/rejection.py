"""Discriminator rejection sampling (Azadi et al. 2019): keep generated graphs the discriminator finds real.

A trained logistic discriminator ``D`` estimates ``log p_data(x) / p_model(x)``; accepting a graph with
probability ``sigmoid(D(x) - t)`` reweights the model's samples towards the data. The offset ``t`` is
set so that the mean acceptance probability over a fixed calibration sample (seed
:data:`CALIBRATION_SEED`) is ``keep``: about ``keep`` of the graphs are accepted. The acceptance draws of block ``k`` come from their own
seeded stream: the same seed gives the same accepted graphs, in order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from molgan.chem.vocab import Vocabulary
from molgan.errors import InputError
from molgan.nn import GraphCritic

CALIBRATION_SEED = 20190501
CALIBRATION_BLOCKS = 8
_STREAM = 7_777_777  # offsets the acceptance stream from the noise stream of the same seed
#: A rejected graph's place in a block of SMILES (falsy, like an invalid graph's ``None``): blocks that keep
#: every graph's place can be cut into ranges of draws, as shards are.
REJECTED = False


def critic_scores(critic: GraphCritic, nodes: np.ndarray, adj: np.ndarray, vocab: Vocabulary) -> np.ndarray:
    """``D`` of integer graphs ``nodes [B, N]``, ``adj [B, N, N]`` as the discriminator saw them in training
    (one-hot, no bonds to empty slots)."""
    n = torch.from_numpy(nodes.astype(np.int64))
    present = (n > 0).long()
    a = torch.from_numpy(adj.astype(np.int64)) * present[:, :, None] * present[:, None, :]
    device = next(critic.parameters()).device
    with torch.no_grad():
        scores = critic(F.one_hot(n, vocab.num_node_types).float().to(device), F.one_hot(a, vocab.num_bond_types).float().to(device))
    return scores.squeeze(-1).float().cpu().numpy()


def check_keep(keep: float) -> None:
    """Refuse a keep share outside (0, 1] in one line."""
    if not 0.0 < keep <= 1.0:
        raise InputError(f"the discriminator's keep share must be in (0, 1], got {keep}")


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, without overflow for large ``|x|``."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))


def acceptance_offset(scores: np.ndarray, keep: float) -> float:
    """The offset ``t`` with ``mean(sigmoid(scores - t)) == keep`` (bisection: the mean falls as ``t`` grows)."""
    scores = np.asarray(scores, dtype=np.float64)
    low, high = float(scores.min()) - 40.0, float(scores.max()) + 40.0  # mean about 1 at low, about 0 at high
    for _ in range(100):
        middle = 0.5 * (low + high)
        if sigmoid(scores - middle).mean() > keep:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


class RejectionFilter:
    """Accepts about ``keep`` of the graphs of each block, preferring those the discriminator scores higher."""

    def __init__(self, critic: GraphCritic, vocab: Vocabulary, keep: float, calibration: np.ndarray) -> None:
        check_keep(keep)
        self.critic, self.vocab, self.keep = critic.eval(), vocab, keep
        self.offset = acceptance_offset(calibration, keep) if keep < 1.0 else -np.inf

    def accept(self, nodes: np.ndarray, adj: np.ndarray, seed: int, block: int) -> np.ndarray:
        """Indices of the accepted graphs of block ``block`` (in order)."""
        if self.keep >= 1.0:
            return np.arange(len(nodes))
        probability = sigmoid(critic_scores(self.critic, nodes, adj, self.vocab) - self.offset)
        draws = np.random.default_rng([seed, block, _STREAM]).random(len(nodes))
        return np.nonzero(draws < probability)[0]

    def decode_block(self, nodes: np.ndarray, adj: np.ndarray, seed: int, block: int,
                     decode: Callable[[np.ndarray, np.ndarray], list], mark_rejected: bool = True) -> list:
        """``decode`` (graphs -> SMILES) of the accepted graphs of block ``block``: only those, or with
        ``mark_rejected`` every place of the block, :data:`REJECTED` where a graph was rejected."""
        chosen = self.accept(nodes, adj, seed, block)
        accepted = decode(nodes[chosen], adj[chosen])
        return put_in_place(accepted, chosen, len(nodes)) if mark_rejected else accepted


def put_in_place(accepted: list, chosen: np.ndarray, size: int) -> list:
    """The SMILES of the ``accepted`` graphs back at their places ``chosen`` in a block of ``size``
    graphs, :data:`REJECTED` at every other place."""
    placed: list = [REJECTED] * size
    for index, smiles in zip(chosen.tolist(), accepted):
        placed[index] = smiles
    return placed
