"""``molgan info`` (a model card) and ``molgan models`` (the shipped models)."""

from __future__ import annotations

import json
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command("info", help="Show a model card.\n\nExamples:\n\n  molgan info\n\n  molgan info --model runs/qm9 --json")
    def info_command(
        model: str = typer.Option("qm9", "--model", "-m", help="Shipped model name or checkpoint directory."),
        as_json: bool = typer.Option(False, "--json", help="One JSON object."),
    ) -> None:
        from molgan.sampling.model import load

        card = load(model).card()
        if as_json:
            typer.echo(json.dumps(card, indent=2))
            return
        for key, value in card.items():
            if isinstance(value, dict):
                value = ", ".join(f"{k} {_fmt(v)}" for k, v in value.items())
            elif isinstance(value, list):
                value = " ".join(map(str, value))
            typer.echo(f"{key:>22}: {value}")

    @app.command(
        "prior",
        help="Fit the noise distribution of a trained model to its encoder codes and store it in the checkpoint; "
        "sampling then draws noise from it. --kind kernel keeps the codes of --components molecules and adds "
        "Gaussian noise of width --scale (smaller: closer to the data, less novel); --kind mixture fits "
        "--components full-covariance Gaussians.\n\nExamples:\n\n"
        "  molgan prior runs/qm9/best --kind kernel --components 20000 --scale 0.4\n\n"
        "  molgan prior runs/qm9/best --kind mixture --components 64 --scale 0.7",
    )
    def prior_command(
        model: str = typer.Argument(..., help="Checkpoint directory (rewritten in place, atomically)."),
        data: Optional[str] = typer.Option(
            None, help="Data set whose training split gives the codes (default: qm9; a model conditioned on label columns: its training file)."
        ),
        kind: str = typer.Option("mixture", help="mixture or kernel."),
        components: Optional[int] = typer.Option(
            None, help="Mixture components (default 64), or molecules whose codes a kernel prior keeps (default 20,000)."
        ),
        scale: float = typer.Option(1.0, help="Mixture: shrink every component's spread by this factor; kernel: bandwidth."),
        seed: int = typer.Option(0, help="Seed of the fit (and of the choice of molecules)."),
    ) -> None:
        from molgan.sampling.model import fit_noise_prior

        if components is None:
            components = 20000 if kind == "kernel" else 64
        path = fit_noise_prior(model, data, components, scale, seed, kind=kind)
        typer.echo(f"stored a {kind} noise prior ({components}, scale {scale}) in {path}", err=True)

    @app.command("models", help="List the models shipped with molgan.\n\nExample:\n\n  molgan models")
    def models_command() -> None:
        from molgan.pretrained import SHIPPED, available

        present = available()
        for name, text in SHIPPED.items():
            typer.echo(f"{name:10} {text}{'' if name in present else '  (not installed)'}")

    @app.command("version", help="Print molgan's version.\n\nExample:\n\n  molgan version")
    def version_command() -> None:
        from molgan import __version__

        typer.echo(__version__)


def _fmt(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
