"""Encoder codes of a set of graphs, and a noise mixture fitted to them (used by training and ``molgan prior``)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from molgan.nn.encoder import GraphEncoder
from molgan.latent.priors import GaussianMixturePrior, KernelDensityPrior, NoisePrior, fit_prior
from molgan.chem.vocab import Vocabulary


@torch.no_grad()
def encode_codes(
    encoder: GraphEncoder, nodes: np.ndarray, adj: np.ndarray, vocab: Vocabulary, chunk: int = 8192
) -> Tensor:
    """Latent means ``[M, Z]`` (CPU) of integer graphs ``nodes [M, N]``, ``adj [M, N, N]``.

    ``adj`` may be a :class:`~molgan.data.packed.PackedAdjacency`: it is densified ``chunk`` graphs at a time.
    """
    device = next(encoder.parameters()).device
    was_training = encoder.training
    encoder.eval()
    codes = []
    for start in range(0, len(nodes), chunk):
        n = torch.from_numpy(nodes[start : start + chunk].astype(np.int64)).to(device)
        a = torch.from_numpy(adj[start : start + chunk].astype(np.int64)).to(device)
        codes.append(encoder(F.one_hot(n, vocab.num_node_types).float(), F.one_hot(a, vocab.num_bond_types).float())[0].cpu())
    encoder.train(was_training)
    return torch.cat(codes) if codes else torch.zeros(0, encoder.z_dim)


def fit_code_prior(
    encoder: GraphEncoder,
    nodes: np.ndarray,
    adj: np.ndarray,
    vocab: Vocabulary,
    *,
    kind: str = "mixture",
    size: int = 64,
    scale: float = 1.0,
    seed: int = 0,
    max_codes: int = 40000,
    init: NoisePrior | None = None,
    max_iter: int = 50,
    conditions: np.ndarray | None = None,
) -> NoisePrior:
    """Fit a noise prior to the codes of (a seeded subset of) graphs.

    ``kind="mixture"``: a ``size``-component Gaussian mixture fitted to at most ``max_codes`` codes, each
    component's width multiplied by ``scale``; ``init`` warm-starts EM from a previous fit (then
    ``max_iter`` can be small). ``kind="kernel"``: a kernel density over the codes of ``size``
    graphs with bandwidth ``scale``; ``conditions [M, C]`` (a conditional model's normalised properties of
    the graphs) are kept with the kernel's codes.
    """
    limit = size if kind == "kernel" else max_codes
    if len(nodes) > limit:
        chosen = np.random.default_rng(seed).choice(len(nodes), limit, replace=False)
        nodes, adj = nodes[chosen], adj[chosen]
        conditions = None if conditions is None else conditions[chosen]
    codes = encode_codes(encoder, nodes, adj, vocab)
    if kind == "kernel":
        return KernelDensityPrior(codes, scale, None if conditions is None else torch.from_numpy(np.asarray(conditions)))
    if conditions is not None:
        raise ValueError("a conditional model's prior is a kernel prior")
    if kind != "mixture":
        raise ValueError(f"unknown prior kind {kind!r}; expected mixture or kernel")
    components = min(size, len(codes))  # never more components than codes
    warm = init if isinstance(init, GaussianMixturePrior) and init.num_components == components else None
    return fit_prior(codes, components, scale, seed, max_codes=max_codes, init=warm, max_iter=max_iter)
