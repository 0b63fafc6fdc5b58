"""Write a :class:`ScoreTable` as CSV, atomically (a temporary file next to the output, then ``os.replace``) or to stdout."""

from __future__ import annotations

import contextlib
import csv
import gzip
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO

from molgan.data.writers import STDOUT, atomic_path, cell_text
from molgan.scoring.reward import ScoreTable


def write_scores_csv(
    path: str | os.PathLike,
    smiles: Sequence[str],
    table: ScoreTable,
    *,
    force: bool = False,
    fields: Sequence[Mapping[str, str]] | None = None,
    columns: Sequence[str] = (),
    reasons: Sequence[str] | None = None,
) -> Path | str:
    """Write ``smiles``, then ``columns`` (taken from each row's ``fields``), ``table.columns`` and (given
    ``reasons``) a ``reason`` column: one row per molecule, NaN as an empty cell.

    ``path`` ``"-"`` writes to standard output. An existing ``path`` is refused with :class:`InputError`
    unless ``force``. Nothing is left behind if writing fails: the previous file, if any, stays as it was.
    """
    if len(smiles) != len(table):
        raise ValueError(f"{len(smiles)} SMILES for {len(table)} rows of scores")
    header = ["smiles", *columns, *table.columns, *(["reason"] if reasons is not None else [])]
    with _text_stream(path, force=force) as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        for i, (smi, row) in enumerate(zip(smiles, table.to_rows())):
            given = [fields[i].get(c, "") for c in columns] if fields is not None else []
            reason = [reasons[i]] if reasons is not None else []
            writer.writerow([smi, *given, *(cell_text(v) for v in row.values()), *reason])
    return path if str(path) == STDOUT else Path(path)


@contextlib.contextmanager
def _text_stream(path: str | os.PathLike, *, force: bool) -> Iterator[IO[str]]:
    if str(path) == STDOUT:
        yield sys.stdout
        sys.stdout.flush()
        return
    opener = gzip.open if Path(path).suffix.lower() == ".gz" else open  # scores.csv.gz is gzip, as for every writer
    with atomic_path(path, force=force) as tmp, opener(tmp, "wt", newline="", encoding="utf-8") as handle:
        yield handle
