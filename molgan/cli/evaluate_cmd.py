"""``molgan evaluate``: MOSES-style metrics of a file of generated SMILES."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import typer

from molgan.cli import DELIMITER_HELP
from molgan.evaluation import fcd as fcd_stats
from molgan.evaluation import metrics
from molgan.errors import NothingUsableError

_EPILOG = """\
Examples:

  molgan evaluate samples.csv --model qm9

  molgan evaluate samples.csv --reference qm9 --json

  molgan evaluate samples.smi --reference train.smi --no-fcd

  molgan evaluate samples.tsv.gz --smiles-column canonical_smiles

  molgan evaluate samples.smi --benchmark moses --json

An empty SMILES cell counts as an invalid sample. Novelty and FCD compare with --reference, else
with the training data of --model (a data set name stands for its training split); with neither
they are not computed. heavy_atoms_mean, mw_mean, rings_mean and aromatic_rings_mean of the samples are
printed beside the reference's (reference_heavy_atoms_mean, ...: up to 5,000 of its molecules).

FCD statistics of a reference are cached in $MOLGAN_CACHE_DIR (default ~/.cache/molgan).

--benchmark moses prints MOSES's metrics with MOSES's definitions, against its test and scaffold
test sets (statistics ship with molgan; SNN and Novelty read the molsets package's data files:
pip install --no-deps molsets).
"""

#: How each metric is printed in the table.
_INTEGER_KEYS = {"n", "n_valid", "n_unique"}


def evaluate(
    file: Path = typer.Argument(
        ..., help="Generated SMILES: .csv/.tsv (a 'smiles' column), .smi/.txt or .sdf, optionally .gz; - for standard input."
    ),
    reference: str | None = typer.Option(
        None, "--reference", "-r", help="'qm9' (its training split) or a SMILES file: novelty and FCD."
    ),
    model: str | None = typer.Option(
        None, "--model", "-m", help="The model that made the samples: its training data is the default --reference."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
    no_fcd: bool = typer.Option(False, "--no-fcd", help="Skip FCD (it runs ChemNet on every molecule)."),
    smiles_column: str | None = typer.Option(
        None, "--smiles-column", help="Column holding the SMILES (default: 'smiles', any case)."
    ),
    benchmark: str | None = typer.Option(
        None, "--benchmark", help="'moses': MOSES's metrics against its test sets (ignores --reference)."
    ),
    delimiter: str | None = typer.Option(None, "--delimiter", help=DELIMITER_HELP),
) -> None:
    """Validity, uniqueness, novelty, FCD, internal diversity and property means of generated SMILES."""
    smiles = metrics.read_generated(file, smiles_column=smiles_column, delimiter=delimiter)
    if not smiles:
        raise NothingUsableError(f"{file}: no samples")
    if benchmark is not None:
        from molgan.evaluation.benchmark import benchmark_metrics

        with warnings.catch_warnings(record=True) as notes:
            warnings.simplefilter("always")
            result = benchmark_metrics(benchmark, smiles)
        for note in notes:
            if note.category.__name__ == "FewMoleculesWarning":  # others are third-party deprecations
                typer.echo(f"note: {note.message}", err=True)
        _print(result, as_json)
        return
    ref, what = metrics.reference_of(reference, model)
    if ref is None:
        typer.echo("note: novelty and FCD need --reference (e.g. --reference qm9) or --model; not computed", err=True)
    elif reference is None:
        typer.echo(f"novelty and FCD against {what}", err=True)
    from molgan.cli.progress import progress_bar

    computing = ref is not None and not no_fcd and fcd_stats.bundled_file(ref) is None and not fcd_stats.cache_file(ref).is_file()
    if computing:
        where = fcd_stats.cache_dir() / "fcd"
        typer.echo(f"computing FCD statistics of {len(ref)} reference molecules (once; cached in {where})", err=True)
    with progress_bar("FCD statistics", len(ref) if computing else 0, quiet=not computing) as update:
        result = metrics.evaluate(
            smiles, ref, compute_fcd=not no_fcd, sizes=True, fcd_progress=lambda done, total: update(done, total=total)
        )
    _print(result, as_json)


def _print(result: dict[str, float], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({k: (None if _is_nan(v) else v) for k, v in result.items()}))
    else:
        typer.echo(format_table(result))


def _is_nan(value: float) -> bool:
    return isinstance(value, float) and math.isnan(value)


def format_table(result: dict[str, float]) -> str:
    """Two aligned columns, ``metric  value``; integers as integers, ratios with 4 decimals."""
    width = max(len(k) for k in result)
    lines = []
    for key, value in result.items():
        text = str(int(value)) if key in _INTEGER_KEYS else ("nan" if _is_nan(value) else f"{value:.4f}")
        lines.append(f"{key:<{width}}  {text:>10}")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("evaluate", help=f"{evaluate.__doc__}\n\n{_EPILOG}")(evaluate)  # summary, examples, options
