"""Screen a file of molecules into a file: ``molgan screen IN -o OUT`` as a function.

    result = screen_file("samples.csv", "hits.csv", ScreenSpec(where=("qed>0.6",), pains=True))
    print(format_report(result.report))

The input is read and screened in chunks, so memory stays bounded by about two chunks plus the
de-duplication set; the output gets the columns ``smiles``, the other columns of the input, and the
spec's :attr:`~molgan.evaluation.screen.ScreenSpec.columns`. It is written atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

from molgan.errors import InputError, NothingUsableError
from molgan.evaluation.screen import ReportRow, Screener, ScreenSpec

#: Molecules screened (and held in memory) at a time.
CHUNK_SIZE = 5_000


@dataclass
class ScreenFileResult:
    """What :func:`screen_file` did: the report (first row ``("valid", records, valid)``), the
    molecules written, records skipped while reading (by reason) and how many values of columns
    absent from the first records could not be written; input columns renamed because a computed
    property has their name (old -> ``input_<old>``)."""

    output: str
    report: list[ReportRow]
    n_written: int
    skipped: dict[str, int] = field(default_factory=dict)
    n_dropped_values: int = 0
    renamed: dict[str, str] = field(default_factory=dict)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def screen_file(
    input: str | Path,
    output: str | Path,
    spec: ScreenSpec,
    *,
    smiles_column: str | None = None,
    force: bool = False,
    chunk_size: int = CHUNK_SIZE,
    keep_fragments: str = "all",
    delimiter: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ScreenFileResult:
    """Write the molecules of ``input`` that pass ``spec`` to ``output`` (``.smi``, ``.csv``, ``.sdf``,
    optionally ``.gz``, or ``"-"``), in input order, with the other columns of the input.
    ``keep_fragments`` (``"all"``, ``"largest"``: strip salts, ``"skip"``) applies to each record as read;
    ``delimiter`` forces a table's delimiter (default: sniffed from its header line);
    ``progress(screened)`` is called after each chunk with the molecules screened so far.

    A missing ``input`` and a bad or existing ``output`` (without ``force``) raise
    :class:`~molgan.errors.InputError` before anything is read; an input without one usable molecule
    raises :class:`~molgan.errors.NothingUsableError` and writes nothing.
    """
    from molgan.data.readers import ReadTally, is_stdin, iter_molecules, parse_delimiter
    from molgan.data.writers import input_column_name, open_writer

    delimiter = parse_delimiter(delimiter)
    input, out_props = Path(input), spec.columns
    output = str(output)
    if not is_stdin(input) and not input.exists():
        raise InputError(f"file not found: {input}")
    open_writer(output, properties=out_props, force=force)  # refuses a bad or existing OUT early

    filters = spec.filters()
    tally = ReadTally()
    records = iter_molecules(input, smiles_column, keep_fragments=keep_fragments, tally=tally, delimiter=delimiter)
    chunks = _chunks(records, chunk_size)
    first = next(chunks, [])
    if not first:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(tally.skipped.items())) or "the file is empty"
        raise NothingUsableError(f"no usable molecule in {input} ({tally.n_read} records read; {reasons})")
    given = list(dict.fromkeys(key for _, _, fields in first for key in fields))
    renamed = {c: input_column_name(c, set(out_props) | set(given) | {"smiles"}) for c in given if c in out_props}
    columns = [renamed.get(c, c) for c in given]
    screener = Screener(filters, out_props, columns=columns, source=str(input))
    n_dropped_values = 0
    with open_writer(output, properties=out_props, force=force, columns=columns) as writer:
        chunks = chain([first], chunks)
        del first  # so that a processed chunk is freed: memory stays bounded by about two chunks
        for chunk in chunks:
            start = screener.n_read  # result.indices count from the start of the input
            if renamed:
                chunk = [(text, mol, {renamed.get(k, k): v for k, v in fields.items()}) for text, mol, fields in chunk]
            result = screener.run(
                [text for text, _, _ in chunk], [mol for _, mol, _ in chunk], [fields for _, _, fields in chunk]
            )
            for k, index in enumerate(result.indices):
                fields = chunk[index - start][2]
                values = {key: value for key, value in fields.items() if key in writer.columns}
                n_dropped_values += sum(1 for key in fields if key not in values and key != "smiles")
                values.update({name: result.properties[name][k] for name in out_props})
                writer.write(result.smiles[k], result.mols[k], values)
            del chunk, result
            if progress is not None:
                progress(screener.n_read)

    report = screener.report()
    skipped = {k: v for k, v in tally.skipped.items() if v}
    n_records = tally.n_read - skipped.get("empty_line", 0)  # blank lines are not records
    report[0] = ("valid", n_records, report[0][2])
    return ScreenFileResult(output, report, writer.n_written, skipped, n_dropped_values, renamed)

