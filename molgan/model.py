"""A trained generator ready to sample: ``molgan.load("qm9").sample(1000, seed=0)``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rdkit import Chem

from molgan.checkpoint import Checkpoint, load_checkpoint
from molgan.errors import InputError
from molgan.graphs import decode_graphs, to_smiles
from molgan.modules import build_generator
from molgan.pretrained import resolve_model
from molgan.sampling import BLOCK, SamplingOptions, iter_graph_blocks
from molgan.training import resolve_device


class Model:
    """A generator with its vocabulary and model card. Load with :func:`load`."""

    def __init__(self, checkpoint: Checkpoint, device: str = "cpu") -> None:
        self.checkpoint = checkpoint
        self.config = checkpoint.config
        self.vocab = checkpoint.vocab
        self.device = resolve_device(device)
        self.generator = build_generator(self.config.model, self.vocab)
        checkpoint.load_into("generator", self.generator)
        self.generator.to(self.device).eval()

    @property
    def path(self) -> Path:
        return self.checkpoint.path

    def card(self) -> dict[str, Any]:
        """Model card: data, vocabulary, size, training command and released metrics."""
        card_file = self.path / "card.json"
        card: dict[str, Any] = {}
        if card_file.exists():
            import json

            card = json.loads(card_file.read_text())
        n_params = sum(p.numel() for p in self.generator.parameters())
        return {
            "path": str(self.path),
            "data": self.config.train.data,
            "atom_types": self.vocab.atom_labels(),
            "max_atoms": self.vocab.max_atoms,
            "z_dim": self.config.model.z_dim,
            "generator_parameters": n_params,
            "trained_steps": self.checkpoint.step,
            "training_seconds": round(float(self.checkpoint.extra.get("seconds", 0.0)), 1),
            "training_command": self.checkpoint.extra.get("command"),
            "validation_metrics": self.checkpoint.metrics,
            **card,
        }

    def _options(self, decoding: str | None, temperature: float | None, correct: bool) -> SamplingOptions:
        try:
            return SamplingOptions(
                decoding=decoding or self.config.train.decoding,
                temperature=temperature if temperature is not None else self.config.train.temperature,
                correct=correct,
            )
        except ValueError as exc:
            raise InputError(str(exc)) from exc

    def iter_raw(
        self, seed: int = 0, *, decoding: str | None = None, temperature: float | None = None, correct: bool = False
    ) -> Iterator[list[str | None]]:
        """Endless blocks of generated SMILES (``None`` = not a valid molecule), in order."""
        options = self._options(decoding, temperature, correct)
        for nodes, adj in iter_graph_blocks(self.generator, seed, options, self.device):
            yield to_smiles(decode_graphs(nodes, adj, self.vocab, correct=correct))

    def iter_graphs(
        self, seed: int = 0, *, decoding: str | None = None, temperature: float | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Endless blocks of graph tensors ``nodes [BLOCK, N]``, ``adj [BLOCK, N, N]`` (uint8)."""
        yield from iter_graph_blocks(self.generator, seed, self._options(decoding, temperature, False), self.device)

    def sample_raw(self, num: int, seed: int = 0, **options: Any) -> list[str | None]:
        """Exactly ``num`` generated graphs as SMILES, in order, ``None`` where invalid. No de-duplication."""
        _check_count(num)
        out: list[str | None] = []
        if num == 0:
            return out
        for block in self.iter_raw(seed, **options):
            out.extend(block[: num - len(out)])
            if len(out) >= num:
                break
        return out

    def sample(
        self, num: int, seed: int = 0, *, unique: bool = False, max_draws: int | None = None, **options: Any
    ) -> list[str]:
        """``num`` valid molecules as canonical SMILES (distinct ones with ``unique=True``).

        Draws until enough are found or ``max_draws`` graphs were generated (default 100 x num),
        then raises :class:`~molgan.errors.InputError` saying how many were found.
        """
        _check_count(num)
        if num == 0:
            return []
        limit = max_draws if max_draws is not None else max(100 * num, BLOCK)
        out: list[str] = []
        seen: set[str] = set()
        drawn = 0
        for block in self.iter_raw(seed, **options):
            for smiles in block:
                drawn += 1
                if smiles and (not unique or smiles not in seen):
                    seen.add(smiles)
                    out.append(smiles)
                    if len(out) == num:
                        return out
                if drawn >= limit:
                    raise InputError(
                        f"only {len(out)} of {num} {'distinct ' if unique else ''}valid molecules after "
                        f"{drawn} draws; raise --max-draws"
                    )
        return out  # pragma: no cover

    def sample_mols(self, num: int, seed: int = 0, **options: Any) -> list[Chem.Mol]:
        """``num`` valid molecules as RDKit molecules."""
        return [Chem.MolFromSmiles(s) for s in self.sample(num, seed, **options)]

    def __repr__(self) -> str:
        return f"Model({str(self.path)!r}, data={self.config.train.data!r}, device={self.device})"


def load(name_or_path: str | Path = "qm9", device: str = "cpu") -> Model:
    """Load a shipped model (``"qm9"``, ``"qm9-qed"``) or a checkpoint / training output directory."""
    return Model(load_checkpoint(resolve_model(name_or_path)), device=device)


def _check_count(num: int) -> None:
    if not isinstance(num, (int, np.integer)) or num < 0:
        raise InputError(f"the number of molecules must be a non-negative integer, got {num!r}")


def torch_threads(n: int | None) -> None:
    """Set torch's intra-op threads when asked (CLI --threads)."""
    if n:
        torch.set_num_threads(n)
