"""``molgan sample``: draw molecules from a shipped model or a checkpoint and write them out."""

from __future__ import annotations

from typing import Optional

import typer

from molgan.errors import InputError

EXAMPLES = """
Examples:

  molgan sample --num 1000 --output mols.smi

  molgan sample --model qm9 --num 10000 --seed 0 --raw --output raw.csv      # every graph, in order

  molgan sample --num 500 --unique --properties qed,logp,sa --output hits.sdf

  molgan sample --num 1000000 --output big.smi.gz                            # streams, on all cores

  molgan sample --num 20 --output -                                          # to standard output
"""


#: ``molgan sample`` uses every core by default from this many molecules on.
AUTO_JOBS_FROM = 50_000


def register(app: typer.Typer) -> None:
    @app.command("sample", help="Sample valid molecules (or, with --raw, every generated graph)." + "\n" + EXAMPLES)
    def sample_command(
        output: str = typer.Option(..., "--output", "-o", help="File (.smi, .csv, .sdf, optionally .gz) or - ."),
        num: int = typer.Option(1000, "--num", "-n", help="How many molecules (or graphs, with --raw)."),
        model: str = typer.Option("qm9", "--model", "-m", help="Shipped model name or checkpoint directory."),
        seed: int = typer.Option(0, "--seed", "-s", help="Random seed: same seed, same molecules."),
        raw: bool = typer.Option(False, "--raw", help="Write every generated graph in order, empty smiles if invalid."),
        unique: bool = typer.Option(False, "--unique", help="Only distinct molecules."),
        max_draws: Optional[int] = typer.Option(None, help="Give up after this many graphs (default 100 x num)."),
        properties: Optional[str] = typer.Option(None, help="Comma-separated: qed,logp,sa,mw,tpsa,..."),
        decoding: Optional[str] = typer.Option(None, help="argmax or sample (categorical)."),
        temperature: Optional[float] = typer.Option(None, help="Temperature of categorical decoding."),
        noise_scale: Optional[float] = typer.Option(
            None, help="Width of the model's noise prior (qm9: 0.4); smaller = closer to the data, less novel."
        ),
        corrected: bool = typer.Option(False, "--corrected", help="Apply valence correction (label results as corrected)."),
        jobs: Optional[int] = typer.Option(
            None, "--jobs", "-j",
            help="Processes sampling and decoding (0 = all cores; default: all cores from 50,000 molecules on, else 1).",
        ),
        device: str = typer.Option("cpu", help="cpu, cuda or auto."),
        force: bool = typer.Option(False, "--force", help="Overwrite an existing output."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    ) -> None:
        from molgan.cli.progress import progress_bar
        from molgan.sampling.model import load, torch_threads
        from molgan.sampling.stream import default_jobs, stream_model_raw, stream_raw
        from molgan.data.writers import check_output_path, check_properties, open_writer

        if num <= 0:
            raise InputError(f"--num must be a positive integer, got {num}")
        if max_draws is not None and max_draws <= 0:
            raise InputError(f"--max-draws must be a positive integer, got {max_draws}")
        if jobs is None:  # starting workers costs ~3 s: worth it for big runs only
            jobs = 0 if num >= AUTO_JOBS_FROM else 1
        if jobs < 0:
            raise InputError(f"--jobs must be >= 0, got {jobs}")
        names = check_properties([p.strip() for p in properties.split(",") if p.strip()]) if properties else []
        if output != "-":
            check_output_path(output, force=force)
        generator_model = load(model, device=device, noise_scale=noise_scale)
        # One intra-op thread: the cores belong to the decoding workers, and several torch threads
        # on a busy machine make the generator many times slower (they wait for each other).
        torch_threads(1)
        options = generator_model._options(decoding, temperature, corrected)
        workers = jobs or default_jobs()
        if workers > 1 and generator_model.device.type == "cpu":  # each worker samples and decodes whole blocks
            blocks = stream_model_raw(
                generator_model.path, seed, jobs=workers, decoding=options.decoding, temperature=options.temperature,
                correct=corrected, noise_scale=noise_scale,
            )
        else:  # one process, or the generator on a GPU here and decoding workers beside it
            blocks = stream_raw(
                generator_model.iter_graphs(seed, decoding=options.decoding, temperature=options.temperature),
                generator_model.vocab,
                jobs=workers,
                correct=corrected,
            )
        limit = max_draws if max_draws is not None else max(100 * num, 1024)
        try:
            with open_writer(output, properties=names, force=force) as writer, progress_bar(
                "sampling", num, quiet=quiet or output == "-"
            ) as update:
                written, drawn = _write_blocks(blocks, writer, update, num, raw=raw, unique=unique, limit=limit)
        finally:
            blocks.close()  # stops the worker processes, also on errors
        label = " (valence-corrected)" if corrected else ""
        if output != "-":
            kind = "graphs" if raw else ("distinct valid molecules" if unique else "valid molecules")
            typer.echo(f"wrote {written} {kind}{label} to {output} ({drawn} graphs drawn)", err=True)


def _write_blocks(blocks, writer, update, num: int, *, raw: bool, unique: bool, limit: int) -> tuple[int, int]:
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
