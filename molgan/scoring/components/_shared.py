"""Descriptors that several components need, computed once per molecule within one batch.

``qed`` needs Crippen logP, which is also the ``logp`` component; inside :func:`shared_batch`
(the reward opens one around each batch) the value is kept per molecule object and reused.
Outside it nothing is cached. The cache lives only while the batch's molecules are alive, so
keying it by ``id(mol)`` is safe.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from rdkit.Chem import Crippen

from molgan.scoring.components.base import Mol

_BATCH: ContextVar[dict | None] = ContextVar("molgan_scoring_batch", default=None)


@contextmanager
def shared_batch() -> Iterator[None]:
    """Reuse shared descriptors of the same molecule objects until the block ends."""
    token = _BATCH.set({})
    try:
        yield
    finally:
        _BATCH.reset(token)


def crippen_logp(mol: Mol) -> float:
    """Wildman-Crippen logP (``Crippen.MolLogP``), shared within a batch."""
    cache = _BATCH.get()
    if cache is None:
        return Crippen.MolLogP(mol)
    key = ("logp", id(mol))
    value = cache.get(key)
    if value is None:
        value = cache[key] = Crippen.MolLogP(mol)
    return value
