"""Entry point of the ``molgan`` command: builds the typer app and turns errors into one line."""

from __future__ import annotations

import sys

import typer

from molgan.cli import (
    analogs_cmd,
    bench_cmd,
    data_cmd,
    draw_cmd,
    evaluate_cmd,
    model_cmd,
    optimize_cmd,
    sample_cmd,
    score_cmd,
    screen_cmd,
    train_cmd,
)
from molgan.chem.mol import quiet_rdkit
from molgan.errors import MolganError

app = typer.Typer(
    name="molgan",
    help="Generate, evaluate, score and screen molecules with a graph GAN.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



def _print_version(value: bool) -> None:
    if value:
        from molgan import __version__

        typer.echo(f"molgan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print molgan's version and exit."
    ),
) -> None:
    """Generate, evaluate, score and screen molecules with a graph GAN."""


for module in (data_cmd, train_cmd, sample_cmd, evaluate_cmd, score_cmd, screen_cmd, draw_cmd, model_cmd, optimize_cmd,
               analogs_cmd, bench_cmd):
    module.register(app)


def run() -> None:
    """Run the CLI; a :class:`MolganError` or an OS error becomes one line on stderr, no traceback."""
    try:
        with quiet_rdkit():  # RDKit's per-molecule warnings would bury the command's own output
            app()  # standalone mode: typer reports usage errors itself (exit code 2)
    except MolganError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except OSError as exc:
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        typer.echo(f"error: {exc.strerror or exc}{where}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # anything unforeseen: still one line, never a traceback
        typer.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    run()
