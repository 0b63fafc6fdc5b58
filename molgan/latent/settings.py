"""The settings of reward-guided latent search (:mod:`molgan.latent.search`), without torch: the CLI
builds its option defaults from them at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from molgan.errors import InputError


@dataclass(frozen=True)
class SearchConfig:
    """Settings of :func:`molgan.latent.search.optimize` (the defaults made the shipped ``qm9-qed`` prior)."""

    pool_size: int = 30000  #: distinct molecules kept while searching
    rounds: int = 300  #: search rounds
    samples: int = 50000  #: noise vectors decoded per round
    search_scale: float = 0.35  #: width of the noise drawn around a parent's code while searching
    parent_share: float = 0.2  #: parents are drawn from this best share of the pool
    bandwidth: float = 0.05  #: width of the final kernel prior (sampling); smaller stays closer to the pool
    prior_size: int = 25000  #: codes in the final prior, chosen by the mean reward of their neighbourhood
    polish_rounds: int = 3  #: re-centring passes over the pool's codes after the search
    polish_samples: int = 8  #: noise vectors per code and pass while polishing
    seed: int = 0
    checkpoint_every: int = 10  #: rounds between saves of the search state (a killed search resumes)

    def __post_init__(self) -> None:
        for name in ("pool_size", "rounds", "samples", "checkpoint_every", "prior_size", "polish_samples"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise InputError(f"{name.replace('_', '-')} must be a positive integer, got {value!r}")
        for name in ("search_scale", "bandwidth", "parent_share"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 < value < float("inf")):
                raise InputError(f"{name.replace('_', '-')} must be a positive number, got {value!r}")
        if isinstance(self.polish_rounds, bool) or not isinstance(self.polish_rounds, int) or self.polish_rounds < 0:
            raise InputError(f"polish-rounds must be a non-negative integer, got {self.polish_rounds!r}")
        if not 0 < self.parent_share <= 1:
            raise InputError(f"parent-share must be in (0, 1], got {self.parent_share!r}")
