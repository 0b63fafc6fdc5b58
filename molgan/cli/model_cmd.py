"""CLI commands (placeholder until implemented)."""

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""

    @app.command("version")
    def version() -> None:
        """Print molgan's version."""
        from molgan import __version__

        typer.echo(__version__)
