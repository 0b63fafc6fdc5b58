"""Top-k pools of distinct molecules: one merge (:func:`new_candidates`, :func:`merge_top_k`) and the elite pool.

The elite pool holds the best distinct molecules by reward seen so far, training molecules and generated ones.

Reward-guided self-training (hill climbing in the spirit of Neil et al. 2018 and GuacaMol's
baselines): every few steps the generator samples, the reward scores the samples, distinct valid
molecules better than the pool's worst join it, and the pool replaces the training set as what the
generator reconstructs and what the noise prior is fitted to. The pool starts as the best training
molecules, so it only ever improves, and a fixed size keeps it diverse: ``size`` distinct molecules
to reconstruct, not a handful.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from molgan.chem.graphs import encode_mols
from molgan.chem.mol import to_mols
from molgan.chem.vocab import Vocabulary


def new_candidates(
    smiles: Sequence[str | None], scores: Sequence[float], known: set[str], worst: float = -np.inf
) -> list[int]:
    """Indices of the molecules worth offering to a pool: per new SMILES the best finite score (ties keep
    the earlier), better than ``worst`` (a full pool's worst; the merge would drop the others), in
    order of first occurrence."""
    best: dict[str, int] = {}
    for i, (s, score) in enumerate(zip(smiles, scores)):
        if s and s not in known and np.isfinite(score) and (s not in best or score > scores[best[s]]):
            best[s] = i
    return [i for i in best.values() if scores[i] > worst]


def worst_kept(scores: np.ndarray, size: int) -> float:
    """The score a newcomer must beat: a full pool's worst, else -inf."""
    return float(scores.min()) if len(scores) >= size else -np.inf


def merge_top_k(current: np.ndarray, offered: np.ndarray, size: int) -> tuple[np.ndarray, int]:
    """The best ``size`` of ``current`` followed by ``offered`` (stable: ties keep the earlier) as indices
    into their concatenation, best first, and how many of them were offered."""
    merged = np.concatenate([current, offered])
    order = np.argsort(-merged, kind="stable")[:size]
    return order, int((order >= len(current)).sum())


class ElitePool:
    """At most ``size`` distinct molecules (canonical SMILES) with the highest scores, encoded as graphs."""

    def __init__(self, size: int, vocab: Vocabulary) -> None:
        if size <= 0:
            raise ValueError(f"the pool size must be positive, got {size}")
        self.size = size
        self.vocab = vocab
        self.smiles: list[str] = []
        self.scores = np.zeros(0)
        self.nodes = np.zeros((0, vocab.max_atoms), dtype=np.uint8)
        self.adj = np.zeros((0, vocab.max_atoms, vocab.max_atoms), dtype=np.uint8)

    def __len__(self) -> int:
        return len(self.smiles)

    def add(self, smiles: Sequence[str | None], scores: Sequence[float]) -> int:
        """Offer molecules with their scores; returns how many joined. Ties keep the earlier molecule."""
        scores = np.asarray(scores, dtype=np.float64)
        chosen = new_candidates(smiles, scores, set(self.smiles), worst_kept(self.scores, self.size))
        if not chosen:
            return 0
        encoded = encode_mols(to_mols(smiles[i] for i in chosen), self.vocab)
        keep = np.flatnonzero(encoded.ok)
        order, joined = merge_top_k(self.scores, scores[[chosen[i] for i in keep]], self.size)
        merged = self.smiles + [smiles[chosen[i]] for i in keep]
        self.smiles = [merged[i] for i in order]
        self.nodes = np.concatenate([self.nodes, encoded.nodes[keep].astype(np.uint8)])[order]
        self.adj = np.concatenate([self.adj, encoded.adj[keep].astype(np.uint8)])[order]
        self.scores = np.concatenate([self.scores, scores[[chosen[i] for i in keep]]])[order]
        return joined

    def state(self) -> dict:
        """JSON-able contents (to resume a run exactly: graphs are re-encoded from the SMILES)."""
        return {"size": self.size, "smiles": list(self.smiles), "scores": [float(v) for v in self.scores]}

    @classmethod
    def from_state(cls, state: dict, vocab: Vocabulary) -> ElitePool:
        pool = cls(int(state["size"]), vocab)
        pool.add(state["smiles"], state["scores"])
        return pool
