"""``molgan sample``: draw molecules from a shipped model or a checkpoint and write them out."""

from __future__ import annotations

from typing import Optional

import typer


EXAMPLES = """
Examples:

  molgan sample --num 1000 --output mols.smi

  molgan sample --model qm9 --num 10000 --seed 0 --raw --output raw.csv      # every accepted graph, in order

  molgan sample --num 500 --unique --properties qed,logp,sa --output hits.sdf

  molgan sample --num 1000000 --output big.smi.gz                            # streams, on all cores

  molgan sample --num 20 --output -                                          # to standard output

  molgan sample --draws 1000000 --shard 3/10 --output part3.smi.gz           # part 3 of 10 (0-based)

  molgan sample --model runs/qm9-cond/best --condition "qed=0.5,logp=1" --num 1000 --output aimed.csv

Sharding: --shard I/N writes part I (0-based) of N contiguous parts of a fixed number of draws
(--draws D: the valid molecules among D graphs; or --raw --num G graphs, for the generator alone:
--discriminator-keep 1); the parts concatenated
in order are the one-process file byte for byte (for .gz: its uncompressed content; `cat` of gzip
parts is a valid gzip stream). Only part 0 writes the CSV header. --shard auto reads a SLURM job
array (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT) and torchrun (RANK of
WORLD_SIZE); I and N may be '$VAR'. {shard} in --output becomes I, zero-padded. --num K valid
molecules and --unique cannot be sharded (they depend on every earlier block).
"""


def register(app: typer.Typer) -> None:
    @app.command("sample", help="Sample valid molecules (or, with --raw, every graph the model gives)." + "\n" + EXAMPLES)
    def sample_command(
        output: str = typer.Option(..., "--output", "-o", help="File (.smi, .csv, .sdf, optionally .gz) or - ."),
        num: Optional[int] = typer.Option(
            None, "--num", "-n", help="How many valid molecules (graphs, with --raw; default 1000)."
        ),
        draws: Optional[int] = typer.Option(
            None, "--draws", help="Instead of --num: draw this many graphs and write the valid ones (can be sharded)."
        ),
        shard: Optional[str] = typer.Option(
            None, "--shard", help="I/N: write part I (0-based) of N of the draws; auto: from SLURM array / torchrun."
        ),
        model: str = typer.Option("qm9", "--model", "-m", help="Shipped model name or checkpoint directory."),
        seed: int = typer.Option(0, "--seed", "-s", help="Random seed: same seed, same molecules."),
        raw: bool = typer.Option(False, "--raw", help="Write every graph in order (those the discriminator accepts, by default), empty smiles if invalid."),
        unique: bool = typer.Option(False, "--unique", help="Only distinct molecules."),
        max_draws: Optional[int] = typer.Option(None, help="Give up after this many graphs (default 100 x num)."),
        properties: Optional[str] = typer.Option(None, help="Comma-separated: qed,logp,sa,mw,tpsa,..."),
        decoding: Optional[str] = typer.Option(None, help="argmax or sample (categorical)."),
        temperature: Optional[float] = typer.Option(None, help="Temperature of categorical decoding."),
        noise_scale: Optional[float] = typer.Option(
            None, help="Width of the model's noise prior (default: the model's; qm9: 0.5); smaller = closer to the data, less novel."
        ),
        discriminator_keep: Optional[float] = typer.Option(
            None, help="Discriminator rejection sampling: keep about this share (0-1] of graphs, those the discriminator finds most real (default: the model's; 1 = off)."
        ),
        condition: Optional[str] = typer.Option(
            None, "--condition", help="Targets of a conditional model, e.g. \"qed=0.5,logp=1\" or a label column it was trained on, \"pIC50=7\" (a condition left out is free)."
        ),
        corrected: bool = typer.Option(False, "--corrected", help="Apply valence correction (label results as corrected)."),
        jobs: Optional[int] = typer.Option(
            None, "--jobs", "-j",
            help="Processes sampling and decoding (0 or -1: all cores; default: all cores from 50,000 molecules on, else 1).",
        ),
        device: str = typer.Option("cpu", help="cpu, cuda or auto."),
        force: bool = typer.Option(False, "--force", help="Overwrite an existing output."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    ) -> None:
        import warnings

        from molgan.cli import warning_line
        from molgan.cli.progress import progress_bar
        from molgan.sampling.to_file import sample_to_file

        from molgan.sampling.shard import parse_shard

        names = [p.strip() for p in properties.split(",") if p.strip()] if properties else []
        part = parse_shard(shard)
        if num is None and draws is None:
            num = 1000
        start, stop = part.range(draws if draws is not None else num)
        total = stop - start if part.count > 1 or draws is not None else num
        with progress_bar("sampling", total, quiet=quiet or output == "-") as update, warnings.catch_warnings():
            warnings.showwarning = warning_line  # e.g. a target in the tails of the training data: one line
            result = sample_to_file(
                model, output, num, draws=draws, shard=part, seed=seed, raw=raw, unique=unique, max_draws=max_draws,
                properties=names,
                decoding=decoding, temperature=temperature, corrected=corrected, jobs=jobs, device=device,
                noise_scale=noise_scale, discriminator_keep=discriminator_keep, condition=condition, force=force,
                progress=update,
            )
        label = " (valence-corrected)" if corrected else ""
        if result.output != "-":
            kind = "graphs" if raw else ("distinct valid molecules" if unique else "valid molecules")
            where = f"part {part.index}/{part.count} " if part.count > 1 else ""
            typer.echo(
                f"wrote {result.written} {kind}{label} to {where}{result.output} ({result.drawn} graphs drawn)", err=True
            )
