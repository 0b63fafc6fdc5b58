"""Noise distributions fitted to the encoder codes of real molecules (ex-post density estimation).

Two kinds: a Gaussian mixture with a few dozen full-covariance components, and a kernel density
estimate over a fixed set of codes (a Gaussian of width ``bandwidth`` around each code: the
aggregate posterior of the auto-encoder). The mixture is compact but coarse in 32 dimensions; the
kernel estimate follows the codes closely, and its bandwidth trades closeness to the data (FCD)
against novelty.

The generator is trained to reconstruct every training molecule from its encoder code, with the
codes pulled towards N(0, I). Drawing the generator's noise from a mixture fitted to those codes
(Ghosh et al. 2020, "From variational to deterministic autoencoders") puts samples where the
generator was taught, which brings them closer to the data (lower FCD) without collapsing them.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class GaussianMixturePrior(nn.Module):
    """Mixture of ``K`` Gaussians over ``Z``-dimensional noise; ``scale`` shrinks every component.

    Buffers: weights ``[K]``, means ``[K, Z]``, scale_tril ``[K, Z, Z]`` (Cholesky factors), scale ``[]``.
    """

    def __init__(self, weights: Tensor, means: Tensor, scale_tril: Tensor, scale: float = 1.0) -> None:
        super().__init__()
        self.register_buffer("weights", weights.float() / weights.sum())
        self.register_buffer("means", means.float())
        self.register_buffer("scale_tril", scale_tril.float())
        self.register_buffer("scale", torch.tensor(float(scale)))

    @property
    def z_dim(self) -> int:
        return self.means.shape[1]

    @property
    def num_components(self) -> int:
        return self.means.shape[0]

    def sample(self, num: int, generator: torch.Generator | None = None) -> Tensor:
        """``num`` noise vectors ``[num, Z]`` drawn with ``generator`` (CPU)."""
        component = torch.multinomial(self.weights.cpu(), num, replacement=True, generator=generator)
        eps = torch.randn(num, self.z_dim, generator=generator)
        tril = self.scale_tril.cpu()[component]
        return self.means.cpu()[component] + self.scale.cpu() * (tril @ eps.unsqueeze(-1)).squeeze(-1)

    def with_scale(self, scale: float) -> GaussianMixturePrior:
        """The same mixture with every component's spread multiplied by ``scale`` instead."""
        return GaussianMixturePrior(self.weights, self.means, self.scale_tril, scale)

    @classmethod
    def empty(cls, num_components: int, z_dim: int) -> GaussianMixturePrior:
        """A placeholder of the right shapes, to load saved buffers into."""
        return cls(torch.ones(num_components), torch.zeros(num_components, z_dim), torch.eye(z_dim).repeat(num_components, 1, 1))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(components={self.num_components}, z_dim={self.z_dim}, scale={float(self.scale):.3g})"


class KernelDensityPrior(nn.Module):
    """Uniform mixture of isotropic Gaussians of width ``bandwidth`` centred on ``codes [K, Z]`` (kept in float16).

    A conditional model's prior also holds each code's normalised condition ``conditions [K, C]``: a draw
    is then the noisy code followed by that code's condition, ``[num, Z + C]``, the generator's input.
    """

    def __init__(self, codes: Tensor, bandwidth: float = 0.4, conditions: Tensor | None = None) -> None:
        super().__init__()
        self.register_buffer("codes", codes.detach().to(torch.float16))
        self.register_buffer("bandwidth", torch.tensor(float(bandwidth)))
        if conditions is not None:
            if conditions.shape[0] != codes.shape[0]:
                raise ValueError(f"{codes.shape[0]} codes but {conditions.shape[0]} conditions")
            self.register_buffer("conditions", conditions.detach().float())
        else:
            self.conditions = None

    @property
    def z_dim(self) -> int:
        return self.codes.shape[1]

    @property
    def condition_dim(self) -> int:
        return 0 if self.conditions is None else self.conditions.shape[1]

    @property
    def num_codes(self) -> int:
        return self.codes.shape[0]

    @property
    def scale(self) -> Tensor:
        """The bandwidth, under the name the mixture uses for its width (``molgan prior --scale``)."""
        return self.bandwidth

    def sample(self, num: int, generator: torch.Generator | None = None) -> Tensor:
        """``num`` noise vectors ``[num, Z]`` (``[num, Z + C]`` with conditions) drawn with ``generator`` (CPU)."""
        index = torch.randint(0, self.num_codes, (num,), generator=generator)
        return self.around(index, generator)

    def around(self, index: Tensor, generator: torch.Generator | None = None, conditions: Tensor | None = None) -> Tensor:
        """Noise around the codes ``index [num]`` (CPU); with conditions, each followed by ``conditions [num, C]``
        or, where not given, the code's own."""
        eps = torch.randn(len(index), self.z_dim, generator=generator)
        z = self.codes[index.to(self.codes.device)].cpu().float() + self.bandwidth.cpu() * eps
        if self.conditions is None:
            return z
        own = self.conditions[index.to(self.conditions.device)].cpu()
        return torch.cat([z, own if conditions is None else conditions], dim=1)

    def with_scale(self, scale: float) -> KernelDensityPrior:
        """The same codes with bandwidth ``scale``."""
        return KernelDensityPrior(self.codes, scale, self.conditions)

    @classmethod
    def from_state(cls, state: dict[str, Tensor]) -> KernelDensityPrior:
        """The prior saved as ``state`` (its buffers), with float16 codes or as :func:`compact_kernel_state` stores them."""
        missing = {"codes", "bandwidth"} - state.keys()
        if missing:
            raise KeyError(f"a kernel prior's saved state lacks {sorted(missing)}")
        codes = state["codes"]
        if "code_step" in state:
            codes = codes.float() * state["code_step"].float() + state["code_offset"].float()
        conditions = state.get("conditions")
        return cls(codes, float(state["bandwidth"]), None if conditions is None else conditions.float())

    def __repr__(self) -> str:
        extra = f", conditions={self.condition_dim}" if self.conditions is not None else ""
        return f"{self.__class__.__name__}(codes={self.num_codes}, z_dim={self.z_dim}, bandwidth={float(self.bandwidth):.3g}{extra})"


NoisePrior = GaussianMixturePrior | KernelDensityPrior


def compact_kernel_state(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """A kernel prior's buffers as a shipped model stores them: each code dimension as int8 steps between its
    smallest and largest value (``code_step``, ``code_offset``; the rounding, at most 1/508 of that range, is
    tiny beside the bandwidth) and the conditions in float16: half the bytes."""
    codes = state["codes"].float()
    low, high = codes.min(dim=0).values, codes.max(dim=0).values
    step = ((high - low) / 254).clamp_min(1e-8)
    offset = low + 127 * step
    compact = dict(state)
    compact["codes"] = torch.round((codes - offset) / step).clamp(-127, 127).to(torch.int8)
    compact["code_step"], compact["code_offset"] = step, offset
    if "conditions" in state:
        compact["conditions"] = state["conditions"].to(torch.float16)
    return compact


def fit_prior(
    codes: Tensor,
    num_components: int = 64,
    scale: float = 1.0,
    seed: int = 0,
    max_codes: int = 40000,
    init: GaussianMixturePrior | None = None,
    max_iter: int = 50,
) -> GaussianMixturePrior:
    """Fit a full-covariance Gaussian mixture (scikit-learn) to encoder codes ``[M, Z]``.

    ``init`` (a previous fit with the same number of components) starts EM from its parameters
    instead of k-means, which converges in a few iterations when the codes moved little.
    """
    import numpy as np
    from sklearn.mixture import GaussianMixture

    data = codes.detach().cpu().double().numpy()
    if len(data) > max_codes:
        data = data[np.random.default_rng(seed).choice(len(data), max_codes, replace=False)]
    warm = {}
    if init is not None and init.num_components == num_components:
        tril = init.scale_tril.detach().cpu().double()
        precisions = torch.cholesky_inverse(tril)
        weights = init.weights.detach().cpu().double()
        warm = {
            "weights_init": (weights / weights.sum()).numpy(),
            "means_init": init.means.detach().cpu().double().numpy(),
            "precisions_init": precisions.numpy(),
        }
    mixture = GaussianMixture(
        num_components, covariance_type="full", random_state=seed, reg_covar=1e-4, max_iter=max_iter, **warm
    )
    mixture.fit(data)
    covariances = mixture.covariances_ + 1e-6 * np.eye(data.shape[1])
    return GaussianMixturePrior(
        torch.from_numpy(mixture.weights_), torch.from_numpy(mixture.means_), torch.from_numpy(np.linalg.cholesky(covariances)), scale
    )
