"""Sampling molecules from a trained generator: noise -> logits -> graph tensors -> molecules.

Noise is drawn in fixed blocks of :data:`BLOCK` rows, block ``k`` from a ``torch.Generator`` seeded
with ``(seed, k)``, and the generator network always runs on whole blocks: the same seed gives the
same molecules whatever batch size or number of worker processes is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from molgan.chem.graphs import decode_graphs, to_smiles
from molgan.nn import Generator
from molgan.latent.priors import NoisePrior
from molgan.nn.device import to_device, to_host
from molgan.nn.relax import DECODINGS, hard_graphs
from molgan.chem.vocab import Vocabulary

BLOCK = 1024


@dataclass(frozen=True)
class SamplingOptions:
    """How logits become graphs: ``argmax`` or seeded categorical ``sample`` at ``temperature``."""

    decoding: str = "argmax"
    temperature: float = 1.0
    correct: bool = False  # valence correction: results must be labelled "corrected"

    def __post_init__(self) -> None:
        if self.decoding not in DECODINGS:
            raise ValueError(f"decoding must be one of {DECODINGS}, got {self.decoding!r}")
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}")


def block_generator(seed: int, block: int, device: torch.device | str = "cpu") -> torch.Generator:
    """The random stream of block ``block`` for ``seed``."""
    g = torch.Generator(device=device)
    g.manual_seed((int(seed) * 1_000_003 + int(block)) % (2**63 - 1))
    return g


@torch.no_grad()
def generate_block(
    generator: Generator,
    seed: int,
    block: int,
    options: SamplingOptions = SamplingOptions(),
    device: torch.device | str = "cpu",
    prior: NoisePrior | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Graph tensors ``nodes [BLOCK, N]`` and ``adj [BLOCK, N, N]`` (uint8) of one noise block.

    Noise is N(0, I), or drawn from ``prior`` (a fitted mixture) when the model has one. On a GPU
    the block crosses to the host once: as uint8 graphs (argmax, taken on the GPU) or as the logits
    (``sample``: the seeded categorical draws are made on the CPU, as on a CPU).
    """
    if prior is None and getattr(generator, "condition_dim", 0):
        raise ValueError("a conditional generator samples from its noise prior, which holds the conditions")
    g = block_generator(seed, block, "cpu")
    z = prior.sample(BLOCK, g) if prior is not None else torch.randn(BLOCK, generator.z_dim, generator=g)
    return graphs_of_codes(generator, z, options, device, g)


@torch.no_grad()
def graphs_of_codes(
    generator: Generator,
    z: torch.Tensor,
    options: SamplingOptions = SamplingOptions(),
    device: torch.device | str = "cpu",
    rng: torch.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Graph tensors ``nodes [B, N]``, ``adj [B, N, N]`` (uint8) the generator makes of codes ``z [B, Z]``;
    ``rng`` draws categorical decodings. On a GPU the graphs cross to the host once: as uint8 graphs
    (argmax, taken on the GPU) or as the logits (``sample``: the seeded draws are made on the CPU)."""
    z = to_device(z, device)
    was_training = generator.training
    generator.eval()
    node_logits, edge_logits = generator(z.to(device))
    generator.train(was_training)
    if z.device.type != "cpu":
        if options.decoding == "argmax":
            return to_host(*(t.to(torch.uint8) for t in hard_graphs(node_logits, edge_logits)))
        node_logits, edge_logits = map(torch.from_numpy, to_host(node_logits.float(), edge_logits.float()))
    nodes, adj = hard_graphs(
        node_logits.float().cpu(), edge_logits.float().cpu(), options.decoding, options.temperature, generator=rng
    )
    return nodes.to(torch.uint8).numpy(), adj.to(torch.uint8).numpy()


def iter_graph_blocks(
    generator: Generator,
    seed: int,
    options: SamplingOptions = SamplingOptions(),
    device: torch.device | str = "cpu",
    start_block: int = 0,
    prior: NoisePrior | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Endless stream of graph blocks for ``seed``."""
    block = start_block
    while True:
        yield generate_block(generator, seed, block, options, device, prior)
        block += 1


def decode_smiles(nodes: np.ndarray, adj: np.ndarray, vocab: Vocabulary, correct: bool = False) -> list[str | None]:
    """SMILES (``None`` for an invalid graph) of every graph, in order."""
    return to_smiles(decode_graphs(nodes, adj, vocab, correct=correct))


def sample_raw(
    generator: Generator,
    vocab: Vocabulary,
    num: int,
    seed: int = 0,
    options: SamplingOptions = SamplingOptions(),
    device: torch.device | str = "cpu",
    prior: NoisePrior | None = None,
) -> list[str | None]:
    """Exactly ``num`` generated graphs as SMILES, in order, ``None`` where not a valid molecule."""
    out: list[str | None] = []
    for nodes, adj in iter_graph_blocks(generator, seed, options, device, prior=prior):
        take = min(BLOCK, num - len(out))
        out.extend(decode_smiles(nodes[:take], adj[:take], vocab, options.correct))
        if len(out) >= num:
            return out
    return out  # pragma: no cover
