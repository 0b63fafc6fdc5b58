"""``molgan screen``: filter a file of molecules and write the ones that pass."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain, islice
from pathlib import Path
from typing import Annotated, Optional

import typer

from molgan.errors import InputError, NothingUsableError

#: Molecules screened (and held in memory) at a time.
CHUNK_SIZE = 5_000

SCREEN_HELP = """Filter molecules by properties, rule of five, structural alerts, novelty and duplicates.

Filters run in this order, and the table printed to stderr says how many molecules passed each one after the previous ones (cheap filters first): valid SMILES, unique (canonical SMILES; --no-dedupe keeps duplicates), novel (--novel-against), --lipinski (at most one violation), --pains, --brenk, then each --where condition.

OUT gets the columns smiles, the other columns of IN, the --properties and the properties of the --where conditions. It is written atomically; an existing OUT is refused without --force.

Examples:

  molgan screen samples.csv -o hits.csv -w "qed>0.6" -w "sa<4" --pains

  molgan screen samples.smi -o ok.sdf.gz --lipinski --brenk -p qed,logp,mw

  molgan screen samples.csv -o novel.smi --novel-against qm9

  molgan screen zinc.csv --smiles-column SMILES -o - --where "mw<=350"
"""



def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def screen_command(
    input: Annotated[
        Path, typer.Argument(metavar="IN", help="Molecules to screen: .smi, .csv, .tsv or .sdf, optionally .gz.")
    ],
    output: Annotated[
        str, typer.Option("--output", "-o", help="Where to write the molecules that pass: .smi, .csv, .sdf, .gz or -.")
    ],
    where: Annotated[
        Optional[list[str]],
        typer.Option("--where", "-w", help="Condition such as 'qed>0.6' (< <= > >= == !=); repeatable."),
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
    properties: Annotated[
        str, typer.Option("--properties", "-p", help="Comma-separated properties to write, e.g. qed,logp,sa,mw.")
    ] = "",
    smiles_column: Annotated[
        Optional[str], typer.Option("--smiles-column", help="SMILES column of a CSV/TSV input (default: smiles).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite OUT if it exists.")] = False,
) -> None:
    from molgan.evaluation.screen import Screener, build_filters, format_report, parse_condition
    from molgan.data.writers import check_properties, open_writer

    # every argument is checked before any input is read
    conditions = [parse_condition(text) for text in where or []]
    requested = check_properties(properties.split(","))
    out_props = list(dict.fromkeys(requested + [c.prop for c in conditions]))
    if not input.exists():
        raise InputError(f"file not found: {input}")
    open_writer(output, properties=out_props, force=force)  # refuses a bad or existing OUT early

    from molgan.data.readers import ReadTally, iter_molecules

    from molgan.evaluation.metrics import load_reference

    reference = load_reference(novel_against) if novel_against is not None else None
    filters = build_filters(
        where=conditions,
        lipinski=lipinski,
        pains=pains,
        brenk=brenk,
        novel_against=reference,
        unique=not no_dedupe,
    )
    screener = Screener(filters, out_props)
    tally = ReadTally()
    records = iter_molecules(input, smiles_column, tally=tally)
    chunks = _chunks(records, CHUNK_SIZE)
    first = next(chunks, [])
    if not first:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(tally.skipped.items())) or "the file is empty"
        raise NothingUsableError(f"no usable molecule in {input} ({tally.n_read} records read; {reasons})")
    columns = list(dict.fromkeys(key for _, _, fields in first for key in fields))
    n_dropped_values = 0
    with open_writer(output, properties=out_props, force=force, columns=columns) as writer:
        chunks = chain([first], chunks)
        del first  # so that a processed chunk is freed: memory stays bounded by about two chunks
        for chunk in chunks:
            start = screener.n_read  # result.indices count from the start of the input
            result = screener.run([text for text, _, _ in chunk], [mol for _, mol, _ in chunk])
            for k, index in enumerate(result.indices):
                fields = chunk[index - start][2]
                values = {key: value for key, value in fields.items() if key in writer.columns}
                n_dropped_values += sum(1 for key in fields if key not in values and key != "smiles")
                values.update({name: result.properties[name][k] for name in out_props})
                writer.write(result.smiles[k], result.mols[k], values)
            del chunk, result

    report = screener.report()
    skipped = {k: v for k, v in tally.skipped.items() if v}
    n_records = tally.n_read - skipped.get("empty_line", 0)  # blank lines are not records
    report[0] = ("valid", n_records, report[0][2])
    typer.echo(format_report(report), err=True)
    if skipped:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(skipped.items()))
        typer.echo(f"skipped while reading: {reasons}", err=True)
    if n_dropped_values:
        note = f"note: {n_dropped_values} values of columns absent from the first records were not written"
        typer.echo(note, err=True)
    where_to = "standard output" if output == "-" else output
    typer.echo(f"wrote {writer.n_written} molecules to {where_to}", err=True)


def register(app: typer.Typer) -> None:
    """Add ``molgan screen`` to the app."""
    app.command("screen", help=SCREEN_HELP, no_args_is_help=True)(screen_command)
