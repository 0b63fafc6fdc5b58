"""Fréchet ChemNet Distance (Preuer et al. 2018) with cached reference statistics.

FCD compares the mean ``mu [512]`` and covariance ``sigma [512, 512]`` of ChemNet's penultimate
activations over two sets of SMILES. ChemNet and its weights come from the ``fcd`` package; the
reference side is the expensive one, so :func:`reference_stats` keeps ``(mu, sigma)`` of every
reference it has seen as an ``.npz`` file (``allow_pickle=False``) in :func:`cache_dir`, named by a
hash of the reference SMILES; statistics shipped in ``datasets/fcd/`` under the same name (the QM9
training split, float32) are used first. This module takes SMILES as given: :func:`molgan.evaluation.metrics.fcd` chooses
them (canonical, valid, one fragment).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from molgan.data.atomic import atomic_file

#: Bump when anything that changes the statistics changes (model, preprocessing, SMILES choice).
STATS_VERSION = "molgan-fcd-1"

CACHE_ENV = "MOLGAN_CACHE_DIR"
#: Batches of ChemNet per progress report of :func:`activations`.
PROGRESS_BATCHES = 40
_CHEMNET_PAD = 350  # the fcd package pads every SMILES of a list to 350 one-hot rows (or the longest + 1)


def _one_blas_thread():
    """Run numpy/scipy linear algebra on one thread.

    The 512 x 512 covariance and matrix square root take well under a second on one thread, but
    a multi-threaded BLAS on a shared, busy machine can take seconds for each (measured: 0.05 s vs
    3.5 s for one ``eigh``), so FCD pins BLAS to one thread while it runs.
    """
    try:
        from threadpoolctl import threadpool_limits  # installed with scikit-learn
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


@dataclass(frozen=True)
class FCDStats:
    """Gaussian summary of ChemNet activations: ``mu [512]``, ``sigma [512, 512]``, over ``n`` SMILES."""

    mu: np.ndarray
    sigma: np.ndarray
    n: int

    def save(self, path: str | os.PathLike, dtype: type = np.float64) -> None:
        """Write to ``path`` as ``.npz`` atomically (a reader never sees a half-written file).

        ``dtype=np.float32`` halves the file (for statistics shipped with the package).
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path) as tmp, open(tmp, "wb") as f:
            np.savez_compressed(
                f, mu=self.mu.astype(dtype), sigma=self.sigma.astype(dtype), n=np.int64(self.n),
                version=np.str_(STATS_VERSION),
            )

    @classmethod
    def load(cls, path: str | os.PathLike) -> FCDStats:
        """Read statistics written by :meth:`save`; ``ValueError`` if the file is foreign or stale."""
        with np.load(path, allow_pickle=False) as data:
            if str(data["version"]) != STATS_VERSION:
                raise ValueError(f"{path}: statistics version {data['version']}, expected {STATS_VERSION}")
            mu, sigma, n = data["mu"].astype(np.float64), data["sigma"].astype(np.float64), int(data["n"])
        if mu.shape != (sigma.shape[0],) or sigma.shape != (mu.shape[0], mu.shape[0]):
            raise ValueError(f"{path}: mu {mu.shape} and sigma {sigma.shape} do not match")
        return cls(mu=mu, sigma=sigma, n=n)


def cache_dir() -> Path:
    """Where molgan caches files: ``$MOLGAN_CACHE_DIR`` if set, else ``~/.cache/molgan``."""
    from molgan.data.datasets import default_cache_dir

    return default_cache_dir()


@lru_cache(maxsize=1)
def chemnet():
    """The pretrained ChemNet from the ``fcd`` package, loaded once (its own bundled weights file)."""
    import fcd  # imported here: importing it pulls in torch and scipy

    return fcd.load_ref_model()


def activations(
    smiles: Sequence[str], *, batch_size: int = 128, n_jobs: int = 1, device: str | None = "cpu",
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """ChemNet penultimate activations ``[len(smiles), 512]`` (float32).

    ``n_jobs > 1`` one-hot encodes the SMILES in that many worker processes (``0`` or ``-1``: all
    cores); ``n_jobs=1`` stays in this process. ``device=None`` picks CUDA when present.
    ``progress(done, total)`` is called after each chunk of :data:`PROGRESS_BATCHES` batches; the
    chunks hold whole batches and ChemNet's default padding, so the activations are the same.
    """
    import fcd

    from molgan.jobs import resolve_jobs

    n_jobs = resolve_jobs(n_jobs, "n_jobs")
    smiles = list(smiles)
    predict = lambda part: fcd.get_predictions(  # noqa: E731
        chemnet(), part, batch_size=batch_size, n_jobs=n_jobs if n_jobs > 1 else 0, device=device
    )
    chunk = batch_size * PROGRESS_BATCHES
    if progress is None or len(smiles) <= chunk or max(map(len, smiles)) + 1 > _CHEMNET_PAD:
        return predict(smiles)  # (a SMILES longer than the padding widens it for the whole list)
    parts = []
    for start in range(0, len(smiles), chunk):
        parts.append(predict(smiles[start : start + chunk]))
        progress(min(start + chunk, len(smiles)), len(smiles))
    return np.concatenate(parts)


def compute_stats(smiles: Sequence[str], **kwargs) -> FCDStats:
    """Mean and covariance of the ChemNet activations of ``smiles`` (keywords go to :func:`activations`)."""
    if len(smiles) < 2:
        raise ValueError(f"FCD statistics need at least 2 SMILES, got {len(smiles)}")
    act = activations(smiles, **kwargs).astype(np.float64)
    with _one_blas_thread():
        return FCDStats(mu=act.mean(axis=0), sigma=np.cov(act, rowvar=False), n=len(smiles))


def stats_key(smiles: Sequence[str]) -> str:
    """Hex digest naming the statistics of ``smiles`` (order matters; so does :data:`STATS_VERSION`)."""
    digest = hashlib.sha256(STATS_VERSION.encode())
    for s in smiles:
        digest.update(b"\n")
        digest.update(s.encode())
    return digest.hexdigest()


def cache_file(smiles: Sequence[str]) -> Path:
    """Where :func:`reference_stats` keeps the statistics of ``smiles``."""
    return cache_dir() / "fcd" / f"{stats_key(smiles)[:32]}.npz"


def bundled_file(smiles: Sequence[str]) -> Path | None:
    """The statistics of ``smiles`` shipped in ``datasets/fcd/<hash>.npz`` (the QM9 training split), if any."""
    from molgan.data.datasets import bundled_file as bundled
    from molgan.errors import InputError

    try:
        return bundled(f"fcd/{stats_key(smiles)[:32]}.npz")
    except InputError:
        return None


def reference_stats(smiles: Sequence[str], *, cache: bool = True, **kwargs) -> FCDStats:
    """Statistics of a reference set: shipped (:func:`bundled_file`), or read from / written to
    ``cache_dir()/fcd/<hash>.npz`` if ``cache``.

    An unreadable or stale cache file is recomputed; a cache directory that cannot be written is
    ignored. Keyword arguments go to :func:`activations`.
    """
    if not cache:
        return compute_stats(smiles, **kwargs)
    shipped = bundled_file(smiles)
    if shipped is not None:
        with contextlib.suppress(OSError, ValueError, KeyError):
            return FCDStats.load(shipped)
    path = cache_file(smiles)
    if path.is_file():
        try:
            return FCDStats.load(path)
        except (OSError, ValueError, KeyError):
            pass  # corrupt or from another version: recompute and overwrite
    stats = compute_stats(smiles, **kwargs)
    try:
        stats.save(path)
    except OSError:
        pass  # read-only home or full disk: the result is still right, only not cached
    return stats


def frechet_distance(a: FCDStats, b: FCDStats) -> float:
    """``||mu_a - mu_b||^2 + Tr(sigma_a + sigma_b - 2 sqrt(sigma_a sigma_b))``, by the ``fcd`` package."""
    from fcd import calculate_frechet_distance

    with _one_blas_thread():
        return float(calculate_frechet_distance(mu1=a.mu, sigma1=a.sigma, mu2=b.mu, sigma2=b.sigma))
