"""``molgan data ...``: inspect data sets (the work is done by :mod:`molgan.data.datasets`)."""

from __future__ import annotations

import json
from typing import Optional

import typer

from molgan.chem.vocab import BOND_REPRESENTATIONS
from molgan.cli import DELIMITER_HELP
from molgan.data.datasets import FRAGMENT_POLICIES, LoadReport, dataset_warnings, load_dataset

data_app = typer.Typer(help="Inspect and prepare molecule data sets.", no_args_is_help=True)


@data_app.command("info")
def info(
    source: str = typer.Argument(..., help="qm9, moses, moses-sample, or a .smi/.csv/.tsv/.sdf file (optionally .gz)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
    smiles_column: Optional[str] = typer.Option(None, "--smiles-column", help="SMILES column of a CSV/TSV file."),
    max_atoms: Optional[int] = typer.Option(None, "--max-atoms", min=1, help="Skip molecules with more heavy atoms."),
    fragments: str = typer.Option("skip", "--fragments", help="Several-fragment molecules: skip or largest."),
    cache: bool = typer.Option(True, "--cache/--no-cache", help="Reuse (and store) the encoded arrays."),
    delimiter: Optional[str] = typer.Option(None, "--delimiter", help=DELIMITER_HELP),
    bonds: str = typer.Option("kekule", "--bonds", help="Bond types: kekule, or aromatic (aromatic bonds a type of their own)."),
) -> None:
    """Read SOURCE, encode it with its vocabulary, and report what fits exactly and what was skipped.

    \b
    Examples:
      molgan data info qm9
      molgan data info moses-sample --json
      molgan data info mols.csv.gz --smiles-column canonical_smiles --max-atoms 20
      molgan data info library.sdf --fragments largest --no-cache
      molgan data info moses --bonds aromatic
    """
    if fragments not in FRAGMENT_POLICIES:
        raise typer.BadParameter(f"use one of {', '.join(FRAGMENT_POLICIES)}", param_hint="--fragments")
    if bonds not in BOND_REPRESENTATIONS:
        raise typer.BadParameter(f"use one of {', '.join(BOND_REPRESENTATIONS)}", param_hint="--bonds")
    dataset = load_dataset(
        source, smiles_column=smiles_column, max_atoms=max_atoms, fragments=fragments, cache=cache,
        delimiter=delimiter, bonds=bonds,
    )
    report = dataset.report
    for line in dataset_warnings(dataset):
        typer.echo(f"note: {line}", err=True)
    if as_json:
        data = report.to_dict()
        data["splits"] = {name: len(indices) for name, indices in dataset.splits.items()}
        typer.echo(json.dumps(data))
    else:
        typer.echo(format_report(report, {name: len(v) for name, v in dataset.splits.items()}))


def format_report(report: LoadReport, split_sizes: dict[str, int]) -> str:
    """A readable, aligned summary of a :class:`LoadReport`."""
    rows = [
        ("source", report.source),
        ("records read", f"{report.n_read:,}"),
        ("parsed by RDKit", f"{report.n_valid:,}"),
        ("representable", f"{report.n_representable:,}"),
        ("round trip exact", f"{report.n_roundtrip_exact:,} ({report.roundtrip_exactness:.4%})"),
        ("kept", f"{report.n_kept:,}"),
        ("max atoms", str(report.max_atoms)),
        ("atom types", " ".join(report.atom_types)),
        ("splits", ", ".join(f"{k} {v:,}" for k, v in split_sizes.items())),
    ]
    skipped = sorted(report.skipped.items(), key=lambda kv: -kv[1])
    rows.append(("skipped", "none" if not skipped else ", ".join(f"{k} {v:,}" for k, v in skipped)))
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)


def register(app: typer.Typer) -> None:
    """Add the ``data`` command group to the app."""
    app.add_typer(data_app, name="data")
