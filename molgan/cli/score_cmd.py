"""``molgan score``: score a file of molecules with a reward (a preset or a TOML file) into a CSV."""

from __future__ import annotations

import warnings
from pathlib import Path

import typer

from molgan.cli import DELIMITER_HELP
from molgan.scoring import AGGREGATIONS, COMPONENTS, PRESETS, TRANSFORMS, load_reward

_EPILOG = """\
Examples:

  molgan score samples.smi --reward qed --output scored.csv

  molgan score samples.csv.gz --reward druglike --output scored.csv --jobs 2

  molgan score hits.tsv --smiles-column canonical_smiles --reward my_reward.toml -o scored.csv --force

Presets: {presets}. A reward file is TOML with one table per component, for example:

  aggregation = "geometric"

  component = [{{ name = "qed" }}, {{ name = "mw", weight = 0.5, transform = {{ type = "double_sigmoid", low = 200, high = 500 }} }}]

Components: {components}. Transforms: {transforms}. Aggregations: {aggregations}.

The CSV has one row per input record, in input order, so it joins back to the input by row: smiles, the other columns of the input (an input column named like a score column becomes input_<name>), then <component>_raw and <component> (transformed onto 0..1) for each component, total, and reason (why a record could not be read; its scores are empty). -o - writes the CSV to standard output.

The component sklearn_model loads a joblib/pickle file: such files run code when loaded, so use only model files you trust.
"""


def score(
    file: Path = typer.Argument(
        ..., help="Molecules: .smi/.txt, .csv/.tsv (a 'smiles' column; comma, tab or semicolon) or .sdf, optionally .gz; - for standard input."
    ),
    reward: str = typer.Option(..., "--reward", "-r", help="A preset (see below) or a .toml reward file."),
    output: str = typer.Option(..., "--output", "-o", help="CSV file to write, or - for standard output."),
    smiles_column: str | None = typer.Option(
        None, "--smiles-column", help="Column holding the SMILES (default: 'smiles', any case)."
    ),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Processes to score with (0 or -1: all cores)."),
    force: bool = typer.Option(False, "--force", help="Overwrite the output if it exists."),
    delimiter: str | None = typer.Option(None, "--delimiter", help=DELIMITER_HELP),
    fragments: str = typer.Option(
        "all", "--fragments", help="all (as read), largest (score the largest fragment: strips salts) or skip."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar (there is none off a terminal)."),
) -> None:
    """Score molecules with a reward: per-component raw and transformed scores, and the total."""
    from molgan.cli.progress import progress_bar
    from molgan.data.readers import FRAGMENT_POLICIES, NOTES
    from molgan.errors import InputError
    from molgan.scoring.score_file import score_file

    if fragments not in FRAGMENT_POLICIES:
        raise InputError(f"--fragments must be one of {', '.join(FRAGMENT_POLICIES)}, got {fragments!r}")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = load_reward(reward)
    for warning in caught:
        typer.echo(f"warning: {warning.message}", err=True)
    with progress_bar("scoring", None, quiet=quiet) as update:
        done = score_file(
            file, loaded, output, smiles_column=smiles_column, jobs=jobs, force=force, delimiter=delimiter,
            keep_fragments=fragments, progress=lambda scored, total: update(scored, total=total),
        )
    where_to = "standard output" if output == "-" else output
    typer.echo(f"scored {done.n_scored} molecules from {file} with {loaded} -> {where_to}", err=True)
    for old, new in done.renamed.items():
        typer.echo(f"note: input column {old!r} is written as {new!r} (a score column has its name)", err=True)
    dropped = {reason: n for reason, n in done.skipped.items() if reason not in NOTES}
    if dropped:
        details = ", ".join(f"{n} {reason}" for reason, n in sorted(dropped.items()))
        unread = len(done.table) - done.n_scored
        typer.echo(f"{unread} of {len(done.table)} records could not be read ({details}): kept with empty scores", err=True)
    if done.skipped.get("fragments_reduced"):
        typer.echo(f"note: {done.skipped['fragments_reduced']} records reduced to their largest fragment", err=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    epilog = _EPILOG.format(
        presets=", ".join(PRESETS),
        components=", ".join(COMPONENTS),
        transforms=", ".join(TRANSFORMS),
        aggregations=", ".join(AGGREGATIONS),
    )
    app.command("score", help=f"{score.__doc__}\n\n{epilog}")(score)  # summary, examples, options
