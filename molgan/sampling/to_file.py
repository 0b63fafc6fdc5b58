"""Sample N molecules (or, raw, N graphs) from a model straight to a file, on all cores for big runs.

    result = sample_to_file("qm9", "big.smi.gz", 1_000_000, seed=0)   # as ``molgan sample``

Blocks are sampled and decoded by worker processes but written in block order, so the file is the
same for any number of processes. With ``shard`` (see :mod:`molgan.sampling.shard`) a run writes
one contiguous part of a fixed number of draws (``raw``: ``num`` graphs; else ``draws`` graphs, of
which the valid ones are written); the parts, concatenated in order, are the one-process file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from molgan.errors import InputError
from molgan.jobs import resolve_jobs
from molgan.sampling.rejection import REJECTED
from molgan.sampling.sampler import BLOCK
from molgan.sampling.shard import Shard, parse_shard

#: Without ``jobs``, sampling uses every core from this many molecules on (starting workers costs ~3 s).
AUTO_JOBS_FROM = 50_000


@dataclass(frozen=True)
class SampleFileResult:
    """What :func:`sample_to_file` wrote: ``written`` rows after ``drawn`` generated graphs."""

    output: str
    written: int
    drawn: int


def auto_jobs(num: int, jobs: int | None) -> int:
    """Processes for sampling ``num`` molecules: ``jobs`` by the one rule, or by default all cores
    from :data:`AUTO_JOBS_FROM` molecules on and one process below."""
    if jobs is None:
        jobs = 0 if num >= AUTO_JOBS_FROM else 1
    return resolve_jobs(jobs)


def sample_to_file(
    model,
    output: str | Path,
    num: int | None = None,
    *,
    draws: int | None = None,
    shard: Shard | str | None = None,
    seed: int = 0,
    raw: bool = False,
    unique: bool = False,
    max_draws: int | None = None,
    properties: Sequence[str] = (),
    decoding: str | None = None,
    temperature: float | None = None,
    corrected: bool = False,
    jobs: int | None = None,
    device: str = "cpu",
    noise_scale: float | None = None,
    discriminator_keep: float | None = None,
    condition: Mapping[str, float] | str | None = None,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> SampleFileResult:
    """Write ``num`` valid molecules (distinct ones with ``unique``; every graph the model gives, in order, with ``raw``,
    empty SMILES where invalid) of ``model`` to ``output`` (``.smi``, ``.csv``, ``.sdf``, optionally
    ``.gz``, or ``"-"``).

    ``model`` is a shipped model name, a checkpoint directory (loaded on ``device`` with
    ``noise_scale``) or a loaded :class:`~molgan.sampling.model.Model`. ``jobs``: processes (0 or -1:
    all cores; default: all cores from 50,000 molecules on, else 1). Gives up after ``max_draws``
    graphs (default 100 x ``num``) and then writes nothing. Instead of ``num``, ``draws``: the valid
    molecules among the first ``draws`` graphs. ``shard`` (``Shard``, ``"I/N"`` or ``"auto"``) writes
    part I of N of a fixed number of draws (``raw`` with ``num``, or ``draws``): graphs
    ``[I * D // N, (I + 1) * D // N)``, the header (CSV, SMILES with properties) in part 0 only, and
    ``{shard}`` in ``output`` becomes I. ``progress(done)`` is called after each block (done:
    molecules written, or graphs drawn with ``draws``). ``discriminator_keep``: discriminator
    rejection sampling (:mod:`molgan.sampling.rejection`; default: the model's own share, 1 = off), where
    ``draws`` and ``max_draws`` count the graphs generated, ``raw`` writes every accepted graph, and only a
    run of ``draws`` can be sharded. ``condition`` aims a conditional model at target properties (``{"qed": 0.8}`` or
    ``"qed=0.8"``; :meth:`~molgan.sampling.model.Model.with_condition`). Every argument is checked before the
    model is loaded; an existing ``output`` is refused unless ``force``.
    """
    from molgan.data.writers import check_output_path, check_properties, open_writer

    part = shard if isinstance(shard, Shard) else parse_shard(shard)
    start, stop = check_counts(num, draws, raw=raw, unique=unique, max_draws=max_draws, shard=part)
    output = part.name(str(output))
    workers = auto_jobs(stop - start if draws is not None or raw else num, jobs)
    names = check_properties(properties)
    if output != "-":
        check_output_path(output, force=force)

    import torch

    from molgan.sampling.model import Model, load

    if isinstance(model, Model):
        if noise_scale is not None:
            raise ValueError("give noise_scale when loading the model, not with a loaded Model")
        noise_scale = model.noise_scale
    else:
        model = load(model, device=device, noise_scale=noise_scale)
    if condition is not None:
        model = model.with_condition(condition)
    discriminator_keep = model.resolve_keep(discriminator_keep)
    if discriminator_keep is not None and part.count > 1 and draws is None:
        raise InputError(
            "with discriminator rejection sampling, --shard splits --draws D (the accepted graphs among D draws), "
            "not --raw --num (--discriminator-keep 1 turns rejection off)"
        )
    if model.condition is not None and not isinstance(model.condition, Mapping):
        workers = 1  # one target per molecule: the targets follow the graphs of one stream
    # One intra-op thread: the cores belong to the decoding workers, and several torch threads
    # on a busy machine make the generator many times slower (they wait for each other).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        update = progress or _no_progress
        blocks = _smiles_blocks(
            model, seed, workers, decoding, temperature, corrected, noise_scale, start // BLOCK, discriminator_keep
        )
        try:
            with open_writer(output, properties=names, force=force, header=part.index == 0) as writer:
                if draws is None and (not raw or discriminator_keep is not None):  # num molecules (accepted graphs)
                    limit = max_draws if max_draws is not None else max(100 * num, BLOCK)
                    written, drawn = write_blocks(blocks, writer, update, num, raw=raw, unique=unique, limit=limit)
                else:
                    graphs = graph_range(blocks, start % BLOCK, stop - start)
                    written, drawn = write_range(graphs, writer, update, raw=raw, unique=unique)
        finally:
            blocks.close()  # stops the worker processes, also on errors
    finally:
        torch.set_num_threads(threads)
    return SampleFileResult(output, written, drawn)


def _no_progress(written: int) -> None:
    """A progress callback that shows nothing."""


def check_counts(num: int | None, draws: int | None, *, raw: bool, unique: bool, max_draws: int | None,
                 shard: Shard) -> tuple[int, int]:
    """Check how much a run samples; return the ``[start, stop)`` of the graphs ``shard`` draws
    (``(0, 0)`` for ``num`` valid molecules, whose draws are not known in advance)."""
    if draws is not None:
        if num is not None:
            raise InputError("give --num (valid molecules) or --draws (graphs drawn), not both")
        if raw:
            raise InputError("--draws is for valid-only output; with --raw, --num counts the graphs")
        if max_draws is not None:
            raise InputError("--max-draws limits --num runs; --draws already fixes the graphs drawn")
        if draws <= 0:
            raise InputError(f"--draws must be a positive integer, got {draws}")
        total = draws
    else:
        if num is None or num <= 0:
            raise InputError(f"--num must be a positive integer, got {num}")
        if max_draws is not None and max_draws <= 0:
            raise InputError(f"--max-draws must be a positive integer, got {max_draws}")
        total = num if raw else 0
    if shard.count > 1 and not raw and draws is None:
        raise InputError(
            "--shard splits a fixed number of draws: use --raw --num G or --draws D (the valid molecules "
            "among D graphs); where the K-th valid molecule falls depends on every earlier block"
        )
    if shard.count > 1 and unique:
        raise InputError("--unique needs the whole run; de-duplicate the concatenated shards instead")
    return shard.range(total)


def graph_range(blocks: Iterable[list[str | None]], skip: int, count: int) -> Iterator[list[str | None]]:
    """The ``count`` SMILES after the first ``skip`` of ``blocks``, in blocks (the first and last cut)."""
    left = count
    for block in blocks:
        if left <= 0:
            return
        part = block[skip: skip + left]
        skip = 0
        left -= len(part)
        yield part


def write_range(blocks: Iterable[list[str | None]], writer, update: Callable[[int], None], *,
                raw: bool, unique: bool) -> tuple[int, int]:
    """Write every SMILES of ``blocks`` (but the rejected) with ``raw``, else the valid (with ``unique``, distinct) ones;
    ``update`` gets the graphs drawn after each block. Returns (written, drawn)."""
    written = drawn = 0
    seen: set[str] = set()
    for block in blocks:
        for smiles in block:
            if smiles is not REJECTED and (raw or (smiles and smiles not in seen)):
                if unique:
                    seen.add(smiles)
                writer.write(smiles)
                written += 1
        drawn += len(block)
        update(written if raw else drawn)
    return written, drawn


def _smiles_blocks(model, seed: int, workers: int, decoding: str | None, temperature: float | None,
                   corrected: bool, noise_scale: float | None, start_block: int = 0,
                   discriminator_keep: float | None = None) -> Iterator[list[str | None]]:
    """Endless SMILES blocks of ``model`` in block order from ``start_block`` on, sampled and decoded
    on ``workers`` processes (``discriminator_keep``: rejection sampling, in the CPU workers or, with one
    process or a GPU, in this one; a rejected graph's place holds :data:`~molgan.sampling.rejection.REJECTED`)."""
    from molgan.sampling.stream import prefetch, stream_model_raw, stream_raw

    options = model._options(decoding, temperature, corrected)
    if workers > 1 and model.device.type == "cpu":  # each worker samples and decodes whole blocks
        return stream_model_raw(
            model.path, seed, jobs=workers, decoding=options.decoding, temperature=options.temperature,
            correct=corrected, noise_scale=noise_scale, start_block=start_block, condition=model.condition,
            discriminator_keep=discriminator_keep,
        )
    if discriminator_keep is not None:
        return model.iter_raw(seed, decoding=decoding, temperature=temperature, correct=corrected,
                              discriminator_keep=discriminator_keep, start_block=start_block, mark_rejected=True)
    # one process, or the generator on a GPU here and decoding workers beside it
    graphs = model.iter_graphs(seed, decoding=options.decoding, temperature=options.temperature, start_block=start_block)
    if model.device.type == "cuda":  # the GPU generates the next blocks while the CPU decodes
        graphs = prefetch(graphs)
    return stream_raw(graphs, model.vocab, jobs=workers, correct=corrected)


def write_blocks(blocks: Iterable[list[str | None]], writer, update: Callable[[int], None], num: int, *,
                 raw: bool, unique: bool, limit: int) -> tuple[int, int]:
    """Write SMILES from ``blocks`` until ``num`` are written: every graph that rejection sampling did not
    reject with ``raw``, else valid (and, with ``unique``, distinct) ones, giving up after ``limit`` graphs
    drawn. Returns (written, drawn)."""
    written = drawn = 0
    seen: set[str] = set()
    for block in blocks:
        for smiles in block:
            drawn += 1
            if smiles is REJECTED:
                pass
            elif raw:
                writer.write(smiles)
                written += 1
            elif smiles and (not unique or smiles not in seen):
                if unique:
                    seen.add(smiles)
                writer.write(smiles)
                written += 1
            if written == num:
                break
            if not raw and drawn >= limit:
                raise InputError(
                    f"only {written} of {num} {'distinct ' if unique else ''}valid molecules after "
                    f"{drawn} draws; raise --max-draws (nothing was written)"
                )
        update(written)
        if written == num:
            break
    return written, drawn
