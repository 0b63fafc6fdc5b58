"""``molgan bench``: training and sampling throughput on this machine's device, for QM9 and MOSES sizes."""

from __future__ import annotations

import json

import typer

BENCH_HELP = """Measure training graphs/s and sampling molecules/s (generator alone, and with RDKit decoding).

Fresh networks of the default sizes, on QM9-sized (9 atoms) and MOSES-sized (27 atoms) graphs; see
molgan.benchmarks.throughput. Rates on this machine at this moment: compare them as ratios in one run.

Examples:

  molgan bench

  molgan bench --device cuda --seconds 5 --json

  molgan bench --sizes qm9 --threads 1
"""


def register(app: typer.Typer) -> None:
    """Add ``molgan bench`` to the app."""

    @app.command("bench", help=BENCH_HELP)
    def bench_command(
        device: str = typer.Option("auto", help="auto, cpu or cuda."),
        precision: str = typer.Option(
            "auto", help="Training precision: auto (bf16 autocast on a GPU that has it, fp32 on CPU), fp32 or bf16."
        ),
        seconds: float = typer.Option(3.0, help="Seconds measured per figure (after one warm-up call)."),
        sizes: str = typer.Option("qm9,moses", help="Comma-separated sizes: qm9 (9 atoms), moses (27 atoms)."),
        threads: int = typer.Option(0, min=0, help="CPU threads for torch (0: torch's default)."),
        as_json: bool = typer.Option(False, "--json", help="One JSON list of rows."),
    ) -> None:
        import torch

        from molgan.benchmarks.throughput import format_table, measure

        if threads:
            torch.set_num_threads(threads)
        names = tuple(s.strip() for s in sizes.split(",") if s.strip())
        rows = measure(device, seconds, names, precision=precision)
        typer.echo(json.dumps(rows, indent=2) if as_json else format_table(rows))
