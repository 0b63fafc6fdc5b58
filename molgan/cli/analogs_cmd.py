"""``molgan analogs`` (molecules near one molecule in code space) and ``molgan interpolate`` (a path
between two molecules' codes)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

ANALOGS_HELP = """Sample analogs of a molecule: codes drawn around its encoder code, decoded, ranked by similarity.

Writes the --num distinct valid molecules other than the input that are most similar to it among the decodings of --draws codes (default 20 per analog, at least 1,000), most similar first, with their Tanimoto similarity (Morgan radius 2, 2048 bits); fewer if fewer were found. A molecule the model's vocabulary cannot represent is refused with the reason.

Examples:

  molgan analogs 'CC(C)C1CC1O'

  molgan analogs 'c1ccncc1' --num 50 --radius 0.5 --seed 1 --output analogs.csv
"""

INTERPOLATE_HELP = """Decode the path between two molecules' encoder codes and report how smooth it is.

Writes t, the molecule at each point (empty if invalid) and its similarity to A and to B; prints the smoothness: the mean Tanimoto similarity of consecutive valid molecules along the path.

Examples:

  molgan interpolate 'CC(C)C1CC1O' 'c1ccncc1' --steps 8

  molgan interpolate 'OC1CC1C#N' 'CC1=CC=CO1' --output path.csv --picture path.png
"""

Model = Annotated[str, typer.Option("--model", "-m", help="Shipped model name or checkpoint directory (needs an encoder).")]
Output = Annotated[str, typer.Option("--output", "-o", help="File (.smi, .csv, .sdf, optionally .gz) or - .")]
Device = Annotated[str, typer.Option(help="cpu, cuda or auto.")]
Force = Annotated[bool, typer.Option("--force", help="Overwrite existing outputs.")]


def analogs_command(
    smiles: Annotated[str, typer.Argument(metavar="SMILES", help="The molecule to find analogs of.")],
    model: Model = "qm9",
    num: Annotated[int, typer.Option("--num", "-n", min=1, help="Analogs to return (the most similar found).")] = 10,
    draws: Annotated[
        Optional[int], typer.Option("--draws", min=1, help="Codes drawn around the molecule (default 20 x --num, at least 1,000).")
    ] = None,
    radius: Annotated[
        Optional[float], typer.Option("--radius", "-r", min=0.0, help="Width of the Gaussian around the code (default 0.5).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Random seed: same seed, same analogs.")] = 0,
    output: Output = "-",
    device: Device = "cpu",
    force: Force = False,
) -> None:
    from molgan.latent.analogs import write_analogs
    from molgan.sampling.model import load

    found = load(model, device=device).analogs(smiles, num=num, radius=radius, seed=seed, draws=draws)
    written = write_analogs(found, output, force=force)
    typer.echo(f"{written} of {num} requested analogs of {smiles}", err=True)


def interpolate_command(
    a: Annotated[str, typer.Argument(metavar="A", help="The molecule at the start (t = 0).")],
    b: Annotated[str, typer.Argument(metavar="B", help="The molecule at the end (t = 1).")],
    model: Model = "qm9",
    steps: Annotated[int, typer.Option("--steps", "-k", min=2, help="Points on the path, both ends included.")] = 10,
    method: Annotated[str, typer.Option(help="linear or spherical.")] = "linear",
    output: Output = "-",
    picture: Annotated[
        Optional[Path], typer.Option("--picture", "-p", help="Grid picture of the path: .png or .svg.")
    ] = None,
    device: Device = "cpu",
    force: Force = False,
) -> None:
    from molgan.data.writers import check_output_path
    from molgan.evaluation.draw import GRID_FORMATS
    from molgan.errors import InputError
    from molgan.latent.analogs import draw_path, path_smoothness, write_path
    from molgan.sampling.model import load

    if picture is not None:
        if picture.suffix.lower() not in GRID_FORMATS:
            raise InputError(f"cannot tell the picture format of {picture.name!r}: use {', '.join(GRID_FORMATS)}")
        check_output_path(picture, force=force)
    points = load(model, device=device).interpolate(a, b, steps=steps, method=method)
    write_path(points, output, force=force)
    if picture is not None:
        draw_path(points, picture)
    valid = sum(p.smiles is not None for p in points)
    typer.echo(
        f"{method} path of {len(points)} points, {valid} valid; smoothness {path_smoothness(points):.3f} "
        f"(mean Tanimoto similarity of consecutive valid molecules)", err=True,
    )


def register(app: typer.Typer) -> None:
    """Add ``molgan analogs`` and ``molgan interpolate`` to the app."""
    app.command("analogs", help=ANALOGS_HELP, no_args_is_help=True)(analogs_command)
    app.command("interpolate", help=INTERPOLATE_HELP, no_args_is_help=True)(interpolate_command)
