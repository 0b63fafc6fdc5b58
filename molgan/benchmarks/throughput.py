"""Throughput on one device, for QM9 and MOSES sizes: what ``molgan bench`` prints.

    molgan bench [--device auto] [--precision auto] [--seconds 3] [--sizes qm9,moses] [--json]

For each size, with networks of the default sizes (``molgan.config.ModelConfig``) built fresh:

- ``train_graphs_per_s``: training graphs per second through one full step of the default recipe (one
  discriminator step, then generator + encoder: adversarial, reconstruction, latent, valence and
  connectivity terms; Adam), and ``autoencoder_train_graphs_per_s`` through a step of the auto-encoder
  recipe without the discriminator (``configs/autoencoder.toml``), both at the training ``precision``
  (:mod:`molgan.training.precision`; ``auto``: bf16 on a GPU that has it);
- ``generate_per_s``: graphs per second out of the generator alone (noise to argmax tensors, no RDKit);
- ``decode_per_s``: graphs per second of generator + RDKit decoding to canonical SMILES in this process
  (invalid graphs included: the networks are untrained).

Real batches are the shipped encoded graphs (``qm9``; ``moses-sample`` padded to 27 atoms for the
MOSES size, its largest molecule). On CUDA the clock waits for the device (``synchronize``) before
each reading. Figures are rates on this machine at this moment: compare them as ratios in one run.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

#: Size name -> (bundled data set, slots per graph).
SIZES = {"qm9": ("qm9", 9), "moses": ("moses-sample", 27)}
AUTOENCODER_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "autoencoder.toml"


def measure(device: str = "auto", seconds: float = 3.0, sizes: tuple[str, ...] = ("qm9", "moses"),
            batch_size: int = 128, block: int = 2048, precision: str = "auto") -> list[dict[str, float | str]]:
    """One row of rates per size (see the module docstring)."""
    from molgan.errors import InputError
    from molgan.nn.device import resolve_device
    from molgan.training.precision import resolve_precision

    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        raise InputError(f"unknown size(s) {unknown}; use {sorted(SIZES)}")
    if seconds <= 0:
        raise InputError("--seconds must be positive")
    where = resolve_device(device)
    resolved = resolve_precision(precision, where)
    return [_measure_size(name, where, seconds, batch_size, block, resolved) for name in sizes]


def _measure_size(name: str, device: torch.device, seconds: float, batch_size: int, block: int, precision: str) -> dict:
    from molgan.chem.graphs import decode_graphs, to_smiles
    from molgan.config import RunConfig, load_config
    from molgan.data.datasets import load_dataset
    from molgan.nn.build import build_modules
    from molgan.nn.device import to_device
    from molgan.training.losses import max_valences
    from molgan.training.steps import CriticSettings, GraphBatch, LossWeights, critic_step, generator_step

    source, slots = SIZES[name]
    data = load_dataset(source)
    vocab = dataclasses.replace(data.vocab, max_atoms=slots)
    nodes, adj = _padded(data.nodes, data.adj[np.arange(len(data))], slots)
    rng = np.random.default_rng(0)

    def real() -> GraphBatch:
        index = rng.integers(0, len(nodes), batch_size)
        return GraphBatch.from_indices(
            to_device(torch.from_numpy(nodes[index]), device), to_device(torch.from_numpy(adj[index]), device),
            vocab.num_node_types, vocab.num_bond_types,
        )

    row: dict[str, float | str] = {
        "size": name, "atoms": slots, "device": str(device), "precision": precision, "batch": batch_size,
    }
    for key, config in (("train_graphs_per_s", RunConfig()), ("autoencoder_train_graphs_per_s", load_config(AUTOENCODER_CONFIG))):
        torch.manual_seed(0)
        modules = build_modules(config.model, vocab).to(device)
        cfg = config.train
        z = lambda n=batch_size: torch.randn(n, config.model.z_dim, device=device)  # noqa: E731
        params = list(modules.generator.parameters()) + list(modules.encoder.parameters())
        opt_g = torch.optim.Adam(params, lr=cfg.lr_generator)
        opt_d = torch.optim.Adam(modules.critic.parameters(), lr=cfg.critic.lr, betas=(cfg.critic.beta1, cfg.critic.beta2))
        adversarial = cfg.critic.adversarial_weight > 0
        weights = LossWeights.from_config(cfg, adversarial_on=adversarial)
        settings = CriticSettings.from_config(cfg.critic)
        limits = max_valences(vocab).to(device)
        count = [0]

        def step() -> None:
            if adversarial:
                regularize = count[0] % settings.regularizer_every == 0
                critic_step(modules, opt_d, real(), z(), settings, regularize=regularize, precision=precision)
            generator_step(modules, opt_g, real(), z(), limits, weights, critic=settings, eps=z(), precision=precision)
            count[0] += 1

        row[key] = batch_size * _calls_per_second(step, seconds, device)
        generator = modules.generator

    generator.eval()

    def generate() -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            node_logits, edge_logits = generator(z(block))
            return node_logits.argmax(-1), edge_logits.argmax(-1)

    row["generate_per_s"] = block * _calls_per_second(generate, seconds, device)

    def decode() -> None:
        graph_nodes, graph_adj = generate()
        to_smiles(decode_graphs(graph_nodes.cpu().numpy(), graph_adj.cpu().numpy(), vocab))

    row["decode_per_s"] = block * _calls_per_second(decode, seconds, device)
    return row


def _padded(nodes: np.ndarray, adj: np.ndarray, slots: int) -> tuple[np.ndarray, np.ndarray]:
    """Graphs with ``slots`` atom slots (empty slots added at the end)."""
    extra = slots - nodes.shape[1]
    return np.pad(nodes, ((0, 0), (0, extra))), np.pad(adj, ((0, 0), (0, extra), (0, extra)))


def _calls_per_second(fn: Callable[[], object], seconds: float, device: torch.device) -> float:
    """Calls of ``fn`` per second over about ``seconds`` after one warm-up call."""
    fn()
    _sync(device)
    calls, start = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        _sync(device)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return calls / elapsed


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


COLUMNS = (
    ("size", "size"), ("atoms", "atoms"), ("device", "device"), ("precision", "precision"),
    ("train_graphs_per_s", "train graphs/s"),
    ("autoencoder_train_graphs_per_s", "no-discriminator train graphs/s"), ("generate_per_s", "generator graphs/s"),
    ("decode_per_s", "decoded graphs/s"),
)


def format_table(rows: list[dict]) -> str:
    """The rows as an aligned text table."""
    cells = [[label for _, label in COLUMNS]]
    for row in rows:
        cells.append([f"{row[k]:,.0f}" if isinstance(row.get(k), float) else str(row.get(k, "")) for k, _ in COLUMNS])
    widths = [max(len(r[i]) for r in cells) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells)
