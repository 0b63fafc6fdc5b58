"""Write a :class:`ScoreTable` as CSV, atomically: a temporary file next to the output, then ``os.replace``."""

from __future__ import annotations

import csv
import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

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
    handle = tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False, newline="", encoding="utf-8"
    )
    try:
        with handle:
            writer = csv.writer(handle)
            writer.writerow(["smiles", *table.columns])
            for smi, row in zip(smiles, table.to_rows()):
                writer.writerow([smi, *("" if math.isnan(v) else repr(v) for v in row.values())])
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, _file_mode(path))  # the temporary file was created 0600
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return path


def _file_mode(path: Path) -> int:
    """The mode of the file being replaced, else what ``open()`` would give a new file (0666 - umask)."""
    if path.exists():
        return path.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
