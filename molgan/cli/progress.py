"""A progress bar for long CLI jobs (rich, shipped with typer); silent with --quiet or off a terminal."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from collections.abc import Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


@contextmanager
def progress_bar(description: str, total: int | None, *, quiet: bool = False, start: int = 0) -> Iterator:
    """Yield ``update(completed, text="", total=None)``; a no-op when quiet or stderr is not a terminal.

    ``start`` is where a resumed job begins: the time left is estimated from the work done since.
    """
    if quiet or not sys.stderr.isatty():
        yield lambda completed, text="", total=None: None
        return
    columns = [
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[info]}"),
    ]
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(description, total=total, completed=start, info="")

        def update(completed: int, text: str = "", total: int | None = None) -> None:
            bar.update(task, completed=completed, info=text, **({"total": total} if total is not None else {}))

        yield update
