"""Sample N molecules (or, raw, N graphs) from a model straight to a file, on all cores for big runs.

    result = sample_to_file("qm9", "big.smi.gz", 1_000_000, seed=0)   # as ``molgan sample``

Blocks are sampled and decoded by worker processes but written in block order, so the file is the
same for any number of processes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from molgan.errors import InputError
from molgan.jobs import resolve_jobs

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
    num: int,
    *,
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
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> SampleFileResult:
    """Write ``num`` valid molecules (distinct ones with ``unique``; every graph in order with ``raw``,
    empty SMILES where invalid) of ``model`` to ``output`` (``.smi``, ``.csv``, ``.sdf``, optionally
    ``.gz``, or ``"-"``).

    ``model`` is a shipped model name, a checkpoint directory (loaded on ``device`` with
    ``noise_scale``) or a loaded :class:`~molgan.sampling.model.Model`. ``jobs``: processes (0 or -1:
    all cores; default: all cores from 50,000 molecules on, else 1). Gives up after ``max_draws``
    graphs (default 100 x ``num``) and then writes nothing. ``progress(written)`` is called after each
    block. Every argument is checked before the model is loaded; an existing ``output`` is refused
    unless ``force``.
    """
    from molgan.data.writers import check_output_path, check_properties, open_writer

    if num <= 0:
        raise InputError(f"--num must be a positive integer, got {num}")
    if max_draws is not None and max_draws <= 0:
        raise InputError(f"--max-draws must be a positive integer, got {max_draws}")
    workers = auto_jobs(num, jobs)
    names = check_properties(properties)
    if str(output) != "-":
        check_output_path(output, force=force)

    import torch

    from molgan.sampling.model import Model, load

    if isinstance(model, Model):
        if noise_scale is not None:
            raise ValueError("give noise_scale when loading the model, not with a loaded Model")
        noise_scale = model.noise_scale
    else:
        model = load(model, device=device, noise_scale=noise_scale)
    # One intra-op thread: the cores belong to the decoding workers, and several torch threads
    # on a busy machine make the generator many times slower (they wait for each other).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        blocks = _smiles_blocks(model, seed, workers, decoding, temperature, corrected, noise_scale)
        limit = max_draws if max_draws is not None else max(100 * num, 1024)
        try:
            with open_writer(output, properties=names, force=force) as writer:
                written, drawn = write_blocks(
                    blocks, writer, progress or _no_progress, num, raw=raw, unique=unique, limit=limit
                )
        finally:
            blocks.close()  # stops the worker processes, also on errors
    finally:
        torch.set_num_threads(threads)
    return SampleFileResult(str(output), written, drawn)


def _no_progress(written: int) -> None:
    """A progress callback that shows nothing."""


def _smiles_blocks(model, seed: int, workers: int, decoding: str | None, temperature: float | None,
                   corrected: bool, noise_scale: float | None) -> Iterator[list[str | None]]:
    """Endless SMILES blocks of ``model`` in block order, sampled and decoded on ``workers`` processes."""
    from molgan.sampling.stream import stream_model_raw, stream_raw

    options = model._options(decoding, temperature, corrected)
    if workers > 1 and model.device.type == "cpu":  # each worker samples and decodes whole blocks
        return stream_model_raw(
            model.path, seed, jobs=workers, decoding=options.decoding, temperature=options.temperature,
            correct=corrected, noise_scale=noise_scale,
        )
    # one process, or the generator on a GPU here and decoding workers beside it
    return stream_raw(
        model.iter_graphs(seed, decoding=options.decoding, temperature=options.temperature),
        model.vocab,
        jobs=workers,
        correct=corrected,
    )


def write_blocks(blocks: Iterable[list[str | None]], writer, update: Callable[[int], None], num: int, *,
                 raw: bool, unique: bool, limit: int) -> tuple[int, int]:
    """Write SMILES from ``blocks`` until ``num`` are written: every graph with ``raw``, else valid (and,
    with ``unique``, distinct) ones, giving up after ``limit`` graphs. Returns (written, drawn)."""
    written = drawn = 0
    seen: set[str] = set()
    for block in blocks:
        for smiles in block:
            drawn += 1
            if raw:
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
