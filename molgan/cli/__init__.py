"""The ``molgan`` command line: each module registers its commands; library code does the work."""

#: Help of every ``--delimiter`` option (the names are parsed by :func:`molgan.data.readers.parse_delimiter`).
DELIMITER_HELP = "Delimiter of a table: comma, semicolon or tab (also , ; \\t); default: sniffed from its header line."
