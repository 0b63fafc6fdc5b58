"""Streaming generation at scale: the generator runs in this process, RDKit decoding on all cores.

Blocks of graph tensors go to worker processes (which import only numpy and RDKit) and come back
as SMILES, in order, so the output for a seed is the same for any number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator

import numpy as np

from molgan.vocab import Vocabulary

_VOCAB: Vocabulary | None = None
_CORRECT = False


def _init_worker(vocab: dict, correct: bool) -> None:
    global _VOCAB, _CORRECT
    _VOCAB = Vocabulary.from_dict(vocab)
    _CORRECT = correct


def _decode_block(block: tuple[np.ndarray, np.ndarray]) -> list[str | None]:
    from molgan.graphs import decode_graphs, to_smiles

    assert _VOCAB is not None
    return to_smiles(decode_graphs(block[0], block[1], _VOCAB, correct=_CORRECT))


def default_jobs() -> int:
    """Cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def stream_raw(
    graph_blocks: Iterator[tuple[np.ndarray, np.ndarray]],
    vocab: Vocabulary,
    *,
    jobs: int = 1,
    correct: bool = False,
) -> Iterator[list[str | None]]:
    """Decode an (endless) stream of graph blocks into SMILES blocks, using ``jobs`` processes."""
    if jobs <= 1:
        _init_worker(vocab.to_dict(), correct)
        for block in graph_blocks:
            yield _decode_block(block)
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(jobs, initializer=_init_worker, initargs=(vocab.to_dict(), correct)) as pool:
        yield from pool.imap(_decode_block, graph_blocks, chunksize=1)
