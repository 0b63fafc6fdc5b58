"""The elite pool: the best distinct molecules by reward seen so far, training molecules and generated ones.

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
        known = set(self.smiles)
        fresh: dict[str, float] = {}
        for s, score in zip(smiles, scores):
            if s and s not in known and np.isfinite(score) and score > fresh.get(s, -np.inf):
                fresh[s] = float(score)
        if not fresh:
            return 0
        worst = self.scores.min() if len(self) >= self.size else -np.inf
        candidates = [(s, v) for s, v in fresh.items() if v > worst]
        if not candidates:
            return 0
        encoded = encode_mols(to_mols(s for s, _ in candidates), self.vocab)
        keep = np.flatnonzero(encoded.ok)
        all_smiles = self.smiles + [candidates[i][0] for i in keep]
        all_scores = np.concatenate([self.scores, np.array([candidates[i][1] for i in keep])])
        all_nodes = np.concatenate([self.nodes, encoded.nodes[keep].astype(np.uint8)])
        all_adj = np.concatenate([self.adj, encoded.adj[keep].astype(np.uint8)])
        order = np.argsort(-all_scores, kind="stable")[: self.size]
        joined = int((order >= len(self)).sum())
        self.smiles = [all_smiles[i] for i in order]
        self.scores, self.nodes, self.adj = all_scores[order], all_nodes[order], all_adj[order]
        return joined

    def state(self) -> dict:
        """JSON-able contents (to resume a run exactly: graphs are re-encoded from the SMILES)."""
        return {"size": self.size, "smiles": list(self.smiles), "scores": [float(v) for v in self.scores]}

    @classmethod
    def from_state(cls, state: dict, vocab: Vocabulary) -> ElitePool:
        pool = cls(int(state["size"]), vocab)
        pool.add(state["smiles"], state["scores"])
        return pool
