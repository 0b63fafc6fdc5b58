"""Per-step CSV logs that survive a killed run: rows appended and synced, rows after a resume point dropped."""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from molgan.data.atomic import atomic_file


def append_row(path: Path, columns: Sequence[str], row: Mapping[str, Any], *, line_end: str = "\r\n") -> None:
    """Append one row (header first when the file is new); floats as ``%.6g``, NaN and missing as empty."""
    new = not path.exists()
    with open(path, "a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator=line_end)
        if new:
            writer.writeheader()
        writer.writerow({k: format_value(row.get(k)) for k in columns})
        handle.flush()
        os.fsync(handle.fileno())


def format_value(value: Any) -> Any:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return value


def truncate_rows(path: Path, columns: Sequence[str], key: str, last: int, *, line_end: str = "\r\n") -> None:
    """Keep the rows whose ``key`` is at most ``last`` (later ones belong to work lost when a run was
    killed); rewritten atomically, nothing to do when the file does not exist. ``line_end``: the csv
    module's default, or ``"\n"``."""
    if not path.exists():
        return
    with open(path, newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get(key) and int(float(r[key])) <= last]
    with atomic_file(path) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator=line_end)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in columns})
