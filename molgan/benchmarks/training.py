"""Training-throughput benchmark: graphs per second through the discriminator on this machine.

    python -m molgan.benchmarks.training [--batch 128] [--seconds 5] [--threads 2] [--config molgan/configs/gan.toml]

Prints, in one run:
- dense relational critic (molgan's): forward only, forward + backward;
- the same critic built from torch-geometric's sparse ``RGCNConv`` (hard graphs only: a sparse layer
  cannot take a soft adjacency, which is why molgan's critic is dense);
- one discriminator step (generator forward, discriminator on real + generated, backward, Adam) per
  loss and regulariser: WGAN-GP (the MolGAN ports' recipe), logistic without a regulariser, with R1
  every step and with lazy R1 (every 16 steps), hinge;
- a full training step of the default recipe (or of ``--config``; discriminator step + generator/encoder step), as
  graphs through the discriminator per second (real + generated in its step, generated again in the
  generator's) and as training graphs per second.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F


from molgan.training.losses import max_valences
from molgan.nn.build import build_modules
from molgan.training.steps import CriticSettings, GraphBatch, LossWeights, critic_step, generator_step
from molgan.chem.vocab import QM9_VOCABULARY



def _rate(fn: Callable[[], None], graphs_per_call: int, seconds: float) -> float:
    for _ in range(3):
        fn()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        calls += 1
    return calls * graphs_per_call / (time.perf_counter() - start)


def _sparse_critic(vocab, dims=(128, 64)):
    from torch_geometric.nn import RGCNConv, global_add_pool

    class SparseCritic(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            sizes = [vocab.num_node_types, *dims]
            self.convs = torch.nn.ModuleList(RGCNConv(sizes[i], sizes[i + 1], vocab.num_bond_types - 1) for i in range(len(dims)))
            self.head = torch.nn.Linear(dims[-1], 1)

        def forward(self, x, edge_index, edge_type, batch):
            for conv in self.convs:
                x = torch.tanh(conv(x, edge_index, edge_type))
            return self.head(global_add_pool(x, batch))

    return SparseCritic()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--config", default=None, help="recipe of the full step (default: the default recipe)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    from molgan.data.datasets import load_dataset

    vocab = QM9_VOCABULARY
    data = load_dataset("qm9")
    from molgan.config import RunConfig, load_config

    config = load_config(args.config) if args.config else RunConfig()
    modules = build_modules(config.model, vocab)
    rng = np.random.default_rng(0)
    b = args.batch

    def real() -> GraphBatch:
        index = rng.integers(0, len(data.nodes), b)
        return GraphBatch.from_indices(
            torch.from_numpy(data.nodes[index]), torch.from_numpy(data.adj[index]), vocab.num_node_types, vocab.num_bond_types
        )

    fixed = real()
    opt_d = torch.optim.Adam(modules.critic.parameters(), 1e-4)
    opt_g = torch.optim.Adam(list(modules.generator.parameters()) + list(modules.encoder.parameters()), 1e-4)
    z = lambda: torch.randn(b, config.model.z_dim)  # noqa: E731

    def dense_forward() -> None:
        with torch.no_grad():
            modules.critic(fixed.nodes_onehot, fixed.adj_onehot)

    step_count = [0]

    def critic_variant(settings: CriticSettings) -> Callable[[], None]:
        def run() -> None:
            regularize = step_count[0] % settings.regularizer_every == 0
            step_count[0] += 1
            critic_step(modules, opt_d, fixed, z(), settings, regularize=regularize)

        return run

    # sparse reference on the same hard graphs
    from molgan.chem.pyg import to_pyg_batch

    sparse = _sparse_critic(vocab, config.model.critic_conv_dims)
    pyg = to_pyg_batch(fixed.nodes.numpy(), fixed.adj.numpy(), vocab)
    edge_type = pyg.edge_attr.argmax(-1)
    x = torch.cat([torch.zeros(pyg.x.shape[0], 1), pyg.x], dim=1)

    def sparse_forward() -> None:
        with torch.no_grad():
            sparse(x, pyg.edge_index, edge_type, pyg.batch)

    def sparse_backward() -> None:
        sparse(x, pyg.edge_index, edge_type, pyg.batch).sum().backward()

    def dense_backward() -> None:
        modules.critic(fixed.nodes_onehot, fixed.adj_onehot).sum().backward()

    cfg = config.train
    limits = max_valences(vocab)
    weights = LossWeights.from_config(cfg)
    settings = CriticSettings.from_config(cfg.critic)
    n_critic = cfg.critic.n_critic if cfg.critic.adversarial_weight > 0 else 0

    def recipe_step() -> None:
        for _ in range(n_critic):
            critic_variant(settings)()
        generator_step(modules, opt_g, real(), z(), limits, weights, critic=settings)

    through_d = (2 * n_critic + (1 if n_critic else 0)) * b
    print(f"torch threads: {torch.get_num_threads()}, batch {b}")
    variants = [
        ("discriminator step: WGAN-GP (every step)", CriticSettings("wgan", "gp", 10.0, 1)),
        ("discriminator step: logistic, no regulariser", CriticSettings("bce", "none", 0.0, 1)),
        ("discriminator step: logistic + R1 every step", CriticSettings("bce", "r1", 1.0, 1)),
        ("discriminator step: logistic + lazy R1 (every 16)", CriticSettings("bce", "r1", 1.0, 16)),
        ("discriminator step: hinge + lazy R1 (every 16)", CriticSettings("hinge", "r1", 1.0, 16)),
    ]
    rows = [
        ("dense critic forward (molgan)", _rate(dense_forward, b, args.seconds)),
        ("sparse RGCNConv critic forward (torch-geometric)", _rate(sparse_forward, b, args.seconds)),
        ("dense critic forward+backward", _rate(dense_backward, b, args.seconds)),
        ("sparse RGCNConv critic forward+backward", _rate(sparse_backward, b, args.seconds)),
        *((name, _rate(critic_variant(variant), 2 * b, args.seconds)) for name, variant in variants),
    ]
    label = f"n_critic={n_critic}, {settings.loss}, {settings.regularizer} every {settings.regularizer_every}, weight {cfg.critic.adversarial_weight}"
    recipe = _rate(recipe_step, 1, args.seconds)
    if through_d:
        rows.append((f"full step, graphs through the discriminator ({label})", recipe * through_d))
    rows.append(("full step, training graphs (batch of the generator step)", recipe * b))
    for name, rate in rows:
        print(f"{name:<78} {rate:>10,.0f} graphs/s")


if __name__ == "__main__":
    main()
