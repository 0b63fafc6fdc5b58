"""Streaming generation at scale, on all cores, in order: the output for a seed is the same for any
number of processes.

Two layouts. :func:`stream_model_raw` (CPU): every worker process loads the model and turns noise
block ``k`` into SMILES by itself (generator and RDKit), so only block numbers and SMILES cross
process boundaries and every core works all the time. :func:`stream_raw`: the generator runs in
this process (e.g. on a GPU) and blocks of graph tensors go to decoding workers, which import only
numpy and RDKit; a bounded number of blocks is in flight, so the generator makes the next blocks
while the workers decode the earlier ones. On a GPU, :func:`prefetch` also runs the generator in a
background thread, so it works while this process decodes (one process) or hands blocks out. Each
process remembers the SMILES of the graphs it has decoded (see :class:`BlockDecoder`): generated
graphs repeat, and a repeated graph costs a dictionary look-up instead of RDKit.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import numpy as np

from molgan.chem.vocab import Vocabulary

#: Memory (bytes, roughly) each decoding process may spend remembering graphs it has decoded.
CACHE_BYTES = 64 * 2**20
_ENTRY_OVERHEAD = 170  # bytes of a dict entry, a bytes key and a short SMILES beyond the key's data


class BlockDecoder:
    """Turns graph blocks into SMILES, remembering the SMILES of graphs it has already decoded.

    A GAN draws the very same graph (same slots, same bonds) again and again, and decoding is a
    pure function of one graph, so a repeated graph skips RDKit and the output is unchanged. The
    memory is bounded: when about ``cache_bytes`` are held, everything remembered is dropped.
    """

    def __init__(self, vocab: Vocabulary, correct: bool = False, cache_bytes: int = CACHE_BYTES) -> None:
        self.vocab = vocab
        self.correct = correct
        self.cache_bytes = cache_bytes
        self.cache: dict[bytes, str | None] = {}

    def __call__(self, block: tuple[np.ndarray, np.ndarray]) -> list[str | None]:
        """SMILES (``None`` = not a valid molecule) of ``nodes [B, N]``, ``adj [B, N, N]``, in order."""
        from molgan.chem.graphs import decode_graphs, to_smiles

        nodes, adj = np.asarray(block[0]), np.asarray(block[1])
        keys = graph_keys(nodes, adj)
        cache = self.cache
        first: dict[bytes, int] = {}
        for i, key in enumerate(keys):
            if key not in cache and key not in first:
                first[key] = i
        new: dict[bytes, str | None] = {}
        if first:
            index = np.fromiter(first.values(), dtype=np.int64, count=len(first))
            smiles = to_smiles(decode_graphs(nodes[index], adj[index], self.vocab, correct=self.correct))
            new = dict(zip(first, smiles))
        out = [new[k] if k in new else cache[k] for k in keys]
        limit = max(1, self.cache_bytes // (len(keys[0]) + _ENTRY_OVERHEAD)) if keys else 1
        if len(cache) + len(new) > limit:
            cache.clear()
        cache.update(new)
        return out


def graph_keys(nodes: np.ndarray, adj: np.ndarray) -> list[bytes]:
    """One ``bytes`` per graph of ``nodes [B, N]``, ``adj [B, N, N]``: equal exactly for equal graphs."""
    flat = [a.reshape(len(a), int(np.prod(a.shape[1:]))) for a in (nodes, adj)]
    rows = np.ascontiguousarray(np.concatenate(flat, axis=1))
    return rows.view(np.dtype((np.void, rows.shape[1] * rows.itemsize))).ravel().tolist()


T = TypeVar("T")


def prefetch(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """The items of ``items`` in order, made by a background thread up to ``depth`` ahead.

    For a generator on a GPU: torch releases the GIL while the device computes, so the next blocks
    are generated while this thread decodes. An error of ``items`` is raised here; closing the
    returned iterator stops the thread.
    """
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def put(entry: tuple) -> bool:
        while not stop.is_set():
            try:
                ready.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer
            put((end, exc))
            return
        put((end, None))

    thread = threading.Thread(target=produce, name="molgan-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item, error = ready.get()
            if item is end:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        thread.join(timeout=60)


_DECODER: BlockDecoder | None = None  # of a worker process


def _init_worker(vocab: dict, correct: bool) -> None:
    global _DECODER
    _DECODER = BlockDecoder(Vocabulary.from_dict(vocab), correct)


def _decode_block(block: tuple[np.ndarray, np.ndarray]) -> list[str | None]:
    assert _DECODER is not None
    return _DECODER(block)


def _settle(pending: deque) -> None:
    """Let the blocks still in flight finish before their pool is terminated: terminating a pool while its
    task handler still feeds them can deadlock (seen once in CI, the machine busy)."""
    for result in pending:
        result.wait(SHUTDOWN_WAIT_SECONDS)


def stream_raw(
    graph_blocks: Iterator[tuple[np.ndarray, np.ndarray]],
    vocab: Vocabulary,
    *,
    jobs: int = 1,
    correct: bool = False,
) -> Iterator[list[str | None]]:
    """Decode an (endless) stream of graph blocks into SMILES blocks, in order, using ``jobs`` processes.

    With workers, at most ``2 * jobs`` blocks are being decoded while the next block is drawn from
    ``graph_blocks``: generation and decoding overlap, and memory stays bounded. Closing the stream
    closes ``graph_blocks`` (a :func:`prefetch` thread stops).
    """
    try:
        if jobs <= 1:
            decoder = BlockDecoder(vocab, correct)
            for block in graph_blocks:
                yield decoder(block)
            return
        context = multiprocessing.get_context("spawn")
        with context.Pool(jobs, initializer=_init_worker, initargs=(vocab.to_dict(), correct)) as pool:
            pending: deque = deque()
            try:
                for block in graph_blocks:
                    pending.append(pool.apply_async(_decode_block, (block,)))
                    if len(pending) >= 2 * jobs:
                        yield pending.popleft().get()
                while pending:
                    yield pending.popleft().get()
            finally:
                _settle(pending)
    finally:
        close = getattr(graph_blocks, "close", None)
        if close is not None:
            close()


SHUTDOWN_WAIT_SECONDS = 60.0  # how long a closing stream waits for each block still in flight
_MODEL_WORKER: dict = {}  # of a worker process: the model, its sampling options and a decoder


def _init_model_worker(
    path: str, noise_scale: float | None, decoding: str, temperature: float, correct: bool, condition: dict | None = None,
    discriminator_keep: float | None = None,
) -> None:
    # An exception here would make multiprocessing restart the worker forever: keep it for the first task.
    try:
        import torch

        torch.set_num_threads(1)
        from molgan.sampling.model import load

        model = load(path, noise_scale=noise_scale)
        if condition is not None:
            model = model.with_condition(condition)
        options = model._options(decoding, temperature, correct)
        rejection = model.rejection_filter(discriminator_keep, options) if discriminator_keep is not None else None
        _MODEL_WORKER.update(model=model, options=options, decoder=BlockDecoder(model.vocab, correct), rejection=rejection)
    except Exception as exc:  # noqa: BLE001 - re-raised in _sample_block
        _MODEL_WORKER["error"] = exc


def _sample_block(seed: int, block: int) -> list[str | None]:
    from molgan.sampling.sampler import generate_block

    if "error" in _MODEL_WORKER:
        raise _MODEL_WORKER["error"]
    model = _MODEL_WORKER["model"]
    nodes, adj = generate_block(model.generator, seed, block, _MODEL_WORKER["options"], "cpu", model.prior)
    rejection, decoder = _MODEL_WORKER["rejection"], _MODEL_WORKER["decoder"]
    if rejection is None:
        return decoder((nodes, adj))
    return rejection.decode_block(nodes, adj, seed, block, lambda n, a: decoder((n, a)))


def stream_model_raw(
    path: str | Path,
    seed: int,
    *,
    jobs: int,
    decoding: str,
    temperature: float,
    correct: bool = False,
    noise_scale: float | None = None,
    start_block: int = 0,
    condition: dict | None = None,
    discriminator_keep: float | None = None,
) -> Iterator[list[str | None]]:
    """Endless SMILES blocks of the model checkpoint at ``path`` (CPU), each sampled and decoded by one
    of ``jobs`` worker processes (aimed at ``condition``, for a conditional model; with
    ``discriminator_keep``, :data:`~molgan.sampling.rejection.REJECTED` in place of each graph its
    discriminator's rejection sampling rejects, as ``Model.iter_raw(..., mark_rejected=True)``); at most ``2 * jobs`` blocks are in flight, so memory stays bounded."""
    context = multiprocessing.get_context("spawn")
    initargs = (
        str(path), noise_scale, decoding, temperature, correct, None if condition is None else dict(condition), discriminator_keep,
    )
    with context.Pool(jobs, initializer=_init_model_worker, initargs=initargs) as pool:
        pending: deque = deque()
        block = start_block
        try:
            while True:
                while len(pending) < 2 * jobs:
                    pending.append(pool.apply_async(_sample_block, (seed, block)))
                    block += 1
                yield pending.popleft().get()
        finally:
            _settle(pending)
