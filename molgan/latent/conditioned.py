"""Noise for a conditional model aimed at target properties: the generator's input ``[z, condition]``.

The condition part is the target (a property left out takes the drawn code's own value). The code part
comes from the model's kernel prior, restricted to the codes of training molecules whose properties lie
within ``window`` (in training standard deviations) of the target: the conditional density of the codes,
estimated the same way as the unconditional one. Where fewer than ``min_codes`` codes fall inside the
window, the ``min_codes`` nearest codes are used.

Each target goes through its codes in a shuffled order, reshuffled once all were drawn (stratified
sampling of the kernel mixture): every draw still comes from the same mixture, but a code is drawn again
only after all the others, so a target with few codes gives fewer repeated molecules than independent
draws (which repeat a code about ``1 - (1 - 1/K)^N`` of the time) would.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from molgan.latent.priors import KernelDensityPrior

#: Default half-width of the code window, in training standard deviations of each property.
WINDOW = 0.25
#: Fewest codes a target draws from (the nearest ones when the window holds fewer).
MIN_CODES = 64


class ConditionedPrior:
    """Draws ``[num, Z + C]`` generator inputs aimed at ``targets [T, C]`` (normalised, NaN = free).

    With several targets, the ``i``-th draw of the stream (counted over successive :meth:`sample` calls)
    aims at target ``i mod T``; ``window=None`` draws codes from the whole prior (the generator alone
    then carries the condition).
    """

    def __init__(
        self, prior: KernelDensityPrior, targets: np.ndarray, window: float | None = WINDOW, min_codes: int = MIN_CODES
    ) -> None:
        if prior.conditions is None:
            raise ValueError("the prior holds no conditions: the model is not conditional")
        targets = np.asarray(targets, dtype=np.float32).reshape(-1, prior.condition_dim)
        self.prior, self.window, self.min_codes = prior, window, min_codes
        self.targets = torch.from_numpy(targets)
        self.candidates = [self._codes_near(t) for t in self.targets]
        self._queues: list[Tensor] = [torch.empty(0, dtype=torch.long) for _ in self.candidates]
        self.drawn = 0

    @property
    def z_dim(self) -> int:
        return self.prior.z_dim

    def sample(self, num: int, generator: torch.Generator | None = None) -> Tensor:
        """``num`` generator inputs drawn with ``generator`` (CPU)."""
        which = (self.drawn + torch.arange(num)) % len(self.targets)
        self.drawn += num
        index = torch.empty(num, dtype=torch.long)
        for t, codes in enumerate(self.candidates):
            rows = (which == t).nonzero().squeeze(1)
            if len(rows):
                index[rows] = self._next_codes(t, len(rows), generator)
        own = self.prior.conditions[index.to(self.prior.conditions.device)].cpu()
        wanted = self.targets[which]
        conditions = torch.where(torch.isnan(wanted), own, wanted)
        return self.prior.around(index, generator, conditions)

    def __repr__(self) -> str:
        sizes = ", ".join(str(len(c)) for c in self.candidates[:3]) + (", ..." if len(self.candidates) > 3 else "")
        return f"{self.__class__.__name__}({self.prior!r}, targets={len(self.targets)}, window={self.window}, codes per target: {sizes})"

    def _next_codes(self, t: int, num: int, generator: torch.Generator | None) -> Tensor:
        """The next ``num`` codes of target ``t``'s shuffled cycle through its candidates."""
        codes, queue = self.candidates[t], self._queues[t]
        while len(queue) < num:
            queue = torch.cat([queue, codes[torch.randperm(len(codes), generator=generator)]])
        self._queues[t] = queue[num:]
        return queue[:num]

    def _codes_near(self, target: Tensor) -> Tensor:
        """Indices of the codes drawn for one target."""
        given = ~torch.isnan(target)
        everything = torch.arange(self.prior.num_codes)
        if self.window is None or not given.any():
            return everything
        distance = (self.prior.conditions.cpu()[:, given] - target[given]).abs()
        inside = (distance <= self.window).all(dim=1).nonzero().squeeze(1)
        if len(inside) >= self.min_codes:
            return inside
        nearest = distance.pow(2).sum(1).argsort()[: self.min_codes]
        return nearest.sort().values


class GaussianWithConditions:
    """N(0, I) noise followed by the conditions of randomly drawn training molecules ``[M, C]``: a conditional
    model's noise before its prior is fitted."""

    def __init__(self, z_dim: int, conditions: np.ndarray) -> None:
        self.z_dim = z_dim
        self.conditions = torch.as_tensor(np.asarray(conditions, dtype=np.float32))

    def sample(self, num: int, generator: torch.Generator | None = None) -> Tensor:
        """``num`` generator inputs ``[num, Z + C]`` drawn with ``generator`` (CPU)."""
        z = torch.randn(num, self.z_dim, generator=generator)
        index = torch.randint(0, len(self.conditions), (num,), generator=generator)
        return torch.cat([z, self.conditions[index]], dim=1)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(z_dim={self.z_dim}, conditions of {len(self.conditions)} molecules)"
