"""The ``molgan`` command line: each module registers its commands; library code does the work."""

import typer


def warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    """Show a warning as one ``warning: ...`` line on stderr (install as ``warnings.showwarning``)."""
    typer.echo(f"warning: {message}", err=True)


#: Help of every ``--delimiter`` option (the names are parsed by :func:`molgan.data.readers.parse_delimiter`).
DELIMITER_HELP = "Delimiter of a table: comma, semicolon or tab (also , ; \\t); default: sniffed from its header line."
