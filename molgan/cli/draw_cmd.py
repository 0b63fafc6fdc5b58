"""``molgan draw``: a grid picture of the first molecules of a file."""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Annotated, Optional

import typer

from molgan.errors import InputError, NothingUsableError

DRAW_HELP = """Draw the first molecules of a file as a grid picture (PNG or SVG, by extension).

Invalid SMILES are skipped; an existing picture is refused without --force. IN may be - (standard input).

Examples:

  molgan draw samples.smi -o grid.png

  molgan draw hits.csv -o hits.svg --legend qed --max 24 --per-row 4

  molgan draw zinc.csv --smiles-column SMILES -o zinc.png --legend smiles
"""


def draw_command(
    input: Annotated[
        Path, typer.Argument(metavar="IN", help="Molecules: .smi, .csv, .tsv or .sdf, optionally .gz; - for standard input.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Picture to write: .png or .svg.")],
    legend: Annotated[
        Optional[str],
        typer.Option("--legend", help="Caption under each molecule: smiles or a property (qed, logp, ...)."),
    ] = None,
    max_mols: Annotated[int, typer.Option("--max", min=1, help="Draw at most this many molecules.")] = 48,
    per_row: Annotated[int, typer.Option("--per-row", min=1, help="Molecules per row.")] = 6,
    smiles_column: Annotated[
        Optional[str], typer.Option("--smiles-column", help="SMILES column of a CSV/TSV input (default: smiles).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the picture if it exists.")] = False,
) -> None:
    from molgan.evaluation.draw import GRID_FORMATS, draw_grid
    from molgan.chem.properties import PROPERTIES
    from molgan.data.readers import ReadTally, is_stdin, iter_molecules
    from molgan.data.writers import check_output_path

    if output.suffix.lower() not in GRID_FORMATS:
        raise InputError(f"cannot tell the picture format of {output.name!r}: use {', '.join(GRID_FORMATS)}")
    if legend is not None and legend != "smiles" and legend not in PROPERTIES:
        raise InputError(f"unknown legend {legend!r}; use smiles or one of: {', '.join(PROPERTIES)}")
    if not is_stdin(input) and not input.exists():
        raise InputError(f"file not found: {input}")
    check_output_path(output, force=force)

    tally = ReadTally()
    # only the first molecules are read, so a large file costs no more than a small one
    smiles = [text for text, _, _ in islice(iter_molecules(input, smiles_column, tally=tally), max_mols)]
    if not smiles:
        raise NothingUsableError(f"no usable molecule in {input} ({tally.n_read} records read)")
    draw_grid(smiles, output, legends=legend, mols_per_row=per_row, max_mols=max_mols)
    typer.echo(f"drew {len(smiles)} molecules to {output}", err=True)


def register(app: typer.Typer) -> None:
    """Add ``molgan draw`` to the app."""
    app.command("draw", help=DRAW_HELP, no_args_is_help=True)(draw_command)
