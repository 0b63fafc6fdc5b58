"""``molgan screen``: filter a file of molecules and write the ones that pass."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from molgan.cli import DELIMITER_HELP

SCREEN_HELP = """Filter molecules by properties, rule of five, structural alerts, novelty and duplicates.

Filters run in this order, and the table printed to stderr says how many molecules passed each one after the previous ones (cheap filters first): valid SMILES, unique (canonical SMILES; --no-dedupe keeps duplicates), novel (--novel-against), --neutral, --lipinski (at most one violation), --pains, --brenk, each --smarts (must match), each --exclude-smarts (must not match), then each --where condition. --fragments largest keeps the largest fragment of each record (salts stripped) before any filter.

A --where condition names a property (qed, logp, ...) or any numeric column of IN (total>0.4 on the output of molgan score); a cell that is empty or not a number never passes.

OUT gets the columns smiles, the other columns of IN, the --properties and the properties of the --where conditions; a column of IN named like a computed property is written as input_<name> (and said so). It is written atomically; an existing OUT is refused without --force.

Examples:

  molgan screen samples.csv -o hits.csv -w "qed>0.6" -w "sa<4" --pains

  molgan screen samples.smi -o ok.sdf.gz --lipinski --brenk -p qed,logp,mw

  molgan screen samples.csv -o novel.smi --novel-against qm9

  molgan screen zinc.csv --smiles-column SMILES -o - --where "mw<=350"

  molgan screen scored.csv -o best.csv --where "total>0.4"
"""


def screen_command(
    input: Annotated[
        Path, typer.Argument(metavar="IN", help="Molecules to screen: .smi, .csv, .tsv or .sdf, optionally .gz; - for standard input.")
    ],
    output: Annotated[
        str, typer.Option("--output", "-o", help="Where to write the molecules that pass: .smi, .csv, .sdf, .gz or -.")
    ],
    where: Annotated[
        Optional[list[str]],
        typer.Option(
            "--where", "-w", help="Condition on a property or a numeric column of IN, e.g. 'qed>0.6' (< <= > >= == !=); repeatable."
        ),
    ] = None,
    lipinski: Annotated[bool, typer.Option("--lipinski", help="Rule of five, at most one violation.")] = False,
    pains: Annotated[bool, typer.Option("--pains", help="Drop PAINS (A, B, C) alert hits.")] = False,
    brenk: Annotated[bool, typer.Option("--brenk", help="Drop Brenk unwanted-group hits.")] = False,
    novel_against: Annotated[
        Optional[str],
        typer.Option(
            "--novel-against",
            help="Keep only molecules absent from this file or data set (a data set name such as qm9 stands for its training split).",
        ),
    ] = None,
    no_dedupe: Annotated[bool, typer.Option("--no-dedupe", help="Keep duplicate molecules.")] = False,
    neutral: Annotated[bool, typer.Option("--neutral", help="Drop molecules with a charged atom or a radical.")] = False,
    smarts: Annotated[
        Optional[list[str]], typer.Option("--smarts", help="Keep only molecules matching this SMARTS; repeatable (all must match).")
    ] = None,
    exclude_smarts: Annotated[
        Optional[list[str]], typer.Option("--exclude-smarts", help="Drop molecules matching this SMARTS; repeatable.")
    ] = None,
    fragments: Annotated[
        str, typer.Option("--fragments", help="all (as read), largest (keep the largest fragment: strips salts) or skip.")
    ] = "all",
    properties: Annotated[
        str, typer.Option("--properties", "-p", help="Comma-separated properties to write, e.g. qed,logp,sa,mw.")
    ] = "",
    smiles_column: Annotated[
        Optional[str], typer.Option("--smiles-column", help="SMILES column of a CSV/TSV input (default: smiles).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite OUT if it exists.")] = False,
    delimiter: Annotated[Optional[str], typer.Option("--delimiter", help=DELIMITER_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar (there is none off a terminal).")] = False,
) -> None:
    from molgan.evaluation.screen import ScreenSpec, format_report
    from molgan.evaluation.screen_file import screen_file

    from molgan.cli.progress import progress_bar
    from molgan.data.readers import FRAGMENT_POLICIES
    from molgan.errors import InputError

    if fragments not in FRAGMENT_POLICIES:
        raise InputError(f"--fragments must be one of {', '.join(FRAGMENT_POLICIES)}, got {fragments!r}")
    spec = ScreenSpec(
        where=tuple(where or ()), lipinski=lipinski, pains=pains, brenk=brenk,
        novel_against=novel_against, unique=not no_dedupe, properties=properties, neutral=neutral,
        smarts=tuple(smarts or ()), exclude_smarts=tuple(exclude_smarts or ()),
    )
    with progress_bar("screening", None, quiet=quiet) as update:
        result = screen_file(
            input, output, spec, smiles_column=smiles_column, force=force, keep_fragments=fragments,
            delimiter=delimiter, progress=update,
        )
    typer.echo(format_report(result.report), err=True)
    if result.skipped:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(result.skipped.items()))
        typer.echo(f"skipped while reading: {reasons}", err=True)
    for old, new in result.renamed.items():
        typer.echo(f"note: input column {old!r} is written as {new!r} (a computed property has its name)", err=True)
    if result.n_dropped_values:
        note = f"note: {result.n_dropped_values} values of columns absent from the first records were not written"
        typer.echo(note, err=True)
    where_to = "standard output" if output == "-" else output
    typer.echo(f"wrote {result.n_written} molecules to {where_to}", err=True)


def register(app: typer.Typer) -> None:
    """Add ``molgan screen`` to the app."""
    app.command("screen", help=SCREEN_HELP, no_args_is_help=True)(screen_command)
