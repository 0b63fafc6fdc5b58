"""Write a :class:`ScoreTable` as CSV, atomically: a temporary file next to the output, then ``os.replace``."""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from pathlib import Path

from molgan.data.atomic import atomic_file
from molgan.errors import InputError
from molgan.scoring.reward import ScoreTable


def write_scores_csv(path: str | os.PathLike, smiles: Sequence[str], table: ScoreTable, *, force: bool = False) -> Path:
    """Write ``smiles`` and ``table.columns`` (one row per molecule; NaN as an empty cell) to ``path``.

    An existing ``path`` is refused with :class:`InputError` unless ``force``. Nothing is left behind if
    writing fails: the previous file, if any, stays as it was.
    """
    path = Path(path)
    if len(smiles) != len(table):
        raise ValueError(f"{len(smiles)} SMILES for {len(table)} rows of scores")
    if path.exists() and not force:
        raise InputError(f"{path} exists; use --force to overwrite it")
    if not path.parent.is_dir():
        raise InputError(f"directory {path.parent} does not exist")
    with atomic_file(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["smiles", *table.columns])
        for smi, row in zip(smiles, table.to_rows()):
            writer.writerow([smi, *("" if math.isnan(v) else repr(v) for v in row.values())])
    return path

